"""Reads for outbound records and pickup scans."""
from __future__ import annotations

from django.utils.translation import gettext_noop

from couriers.models import Courier

from .outbound_readers import courier_key


def courier_keys() -> dict[str, int]:
    """Every way a file may name a courier (code, Chinese name, English name, aliases) as courier_key -> courier id."""
    table: dict[str, int] = {}
    for courier_id, code, name, name_en, aliases in Courier.objects.values_list("id", "code", "name", "name_en", "aliases"):
        for text in (code, name, name_en, *(aliases or [])):
            if text and str(text).strip():
                table.setdefault(courier_key(text), courier_id)
    return table


# The columns of the preview's "as stored" table, per kind of file: (stored column, label).
STORED_COLUMNS = {
    "outbound": (("outbound_no", "Outbound number"), ("order_no", "Order number"), ("sku", "SKU"), ("quantity", "Quantity"),
                 ("waybill_no", "Waybill number"), ("courier", "Courier"), ("packed_weight_g", gettext_noop("Packed weight (g)")),
                 ("outbound_at", "Outbound at"), ("warehouse", "Warehouse"), ("province", "Destination province")),
    "pickups": (("waybill_no", "Waybill number"), ("courier", "Courier"), ("picked_up_at", "Picked up at"),
                ("pickup_weight_g", gettext_noop("Pickup weight (g)")), ("site", "Pickup site")),
}
WEIGHT_FIELD = {"outbound": "packed_weight", "pickups": "pickup_weight"}
DATE_FIELD = {"outbound": "outbound_at", "pickups": "picked_up_at"}


def outbound_spec(kind: str):
    from .outbound_specs import OUTBOUND_SPEC, PICKUP_SPEC

    return OUTBOUND_SPEC if kind == "outbound" else PICKUP_SPEC


def outbound_mapping_kind(kind: str) -> str:
    """The ColumnMapping kind of a file kind: an outbound or pickups file is nobody's, so its choice is shared."""
    return f"outbound:{kind}"


def outbound_field_labels(*, kind: str) -> dict:
    """The translated label of each field of an outbound or pickups file, by field name."""
    from django.utils.translation import gettext

    return {name: gettext(label) for name, label in outbound_spec(kind).labels().items()}


def outbound_columns_remembered(*, kind: str) -> dict:
    """The headers last chosen for files of this kind, whoever uploaded them."""
    from recon.sources.selectors import column_mapping_remembered

    names = {f.name for f in outbound_spec(kind).fields}
    found = column_mapping_remembered(counterparty_id=None, file_kind=outbound_mapping_kind(kind), shared=True)
    return {k: v for k, v in found.items() if k in names}


def _sample_read(preview, rows: list[list[str]], kind: str, overrides: dict):
    """The preview's rows read as the import reads them (a CSV of the header and those rows), or None when the reader
    finds nothing to read in them."""
    import csv
    import os
    import tempfile
    from pathlib import Path

    from django.conf import settings

    from recon.ingest import IngestError

    from .outbound_readers import read_outbound, read_pickups

    staging = Path(settings.MEDIA_ROOT) / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", dir=staging, encoding="utf-8", newline="", delete=False) as fh:
        writer = csv.writer(fh)
        writer.writerow(preview.cells)
        writer.writerows(rows)
        path = fh.name
    reader = read_outbound if kind == "outbound" else read_pickups
    try:
        return reader(path, "preview.csv", couriers=courier_keys(), overrides=overrides)
    except IngestError:
        return None
    finally:
        os.unlink(path)


def _stored_rows(parsed, kind: str) -> list[list[str]]:
    import pandas as pd

    codes = dict(Courier.objects.values_list("id", "code"))
    out = []
    for row in parsed.frame.sort_values("row_no").to_dict("records"):
        cells = []
        for column, _label in STORED_COLUMNS[kind]:
            value = codes.get(int(row["courier_id"]), "") if column == "courier" else row[column]
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                cells.append("")
            elif column in ("outbound_at", "picked_up_at"):
                cells.append(pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S"))
            else:
                cells.append(str(int(value)) if column in ("quantity", "packed_weight_g", "pickup_weight_g") else str(value))
        out.append(cells)
    return out


def outbound_file_inspect(*, staged, kind: str, typed: dict) -> dict:
    """What the upload page shows of an outbound or pickups file before anything is stored (the JSON of POST
    /orders/outbound/inspect/): its columns per field, the weights' unit, and the first rows as the import will store
    them, with the reasons of those it would refuse."""
    from django.utils.translation import gettext

    from recon.sources.preview import preview_body
    from recon.sources.selectors import preferred, source_file_duplicate
    from recon.sources.uploads import preview_head

    from .outbound_readers import weight_unit

    spec = outbound_spec(kind)
    typed = {k: v for k, v in typed.items() if k in {f.name for f in spec.fields}}
    remembered = outbound_columns_remembered(kind=kind)
    overrides = {**preferred(remembered), **typed}
    preview = preview_head(staged, spec, overrides)
    body = preview_body(preview=preview, filename=staged.filename, fmt=staged.format, spec=spec,
                        labels=outbound_field_labels(kind=kind), typed=typed, remembered=remembered,
                        date_fields=(DATE_FIELD[kind],))
    # The names the reader takes for each field, so that the clerk can rename a column in the warehouse system's export.
    accepts = {f.name: list(f.synonyms) for f in spec.fields}
    for field in body["fields"]:
        field["accepts"] = accepts[field["name"]]
    earlier = source_file_duplicate(file_kind=kind, sha256=staged.sha256)
    body.update({
        "kind": kind, "weight_unit": None, "notes": [],
        "stored": {"columns": [gettext(label) for _column, label in STORED_COLUMNS[kind]], "rows": []},
        "sample_rejected": [], "already_imported": earlier.pk if earlier is not None else None,
    })
    if earlier is not None:
        body["notes"].append(gettext("This file was already imported: importing it again writes nothing."))
    if preview is None:
        return body
    col = preview.match.columns.get(WEIGHT_FIELD[kind])
    if col is not None:
        unit = weight_unit(preview.match.units, preview.cells[col], WEIGHT_FIELD[kind])
        body["weight_unit"] = unit
        text = (gettext("Weights are read in grams (column “%(header)s”).") if unit == "g"
                else gettext("Weights are read in kilograms (column “%(header)s”; a header that says g is read in grams)."))
        body["notes"].append(text % {"header": preview.cells[col]})
    parsed = _sample_read(preview, body["rows"], kind, overrides)
    if parsed is not None:
        body["stored"]["rows"] = _stored_rows(parsed, kind)
        # Row 1 of the sample's CSV is the header: row r is the preview's row r - 1.
        body["sample_rejected"] = [{"line": int(r.row_no) - 1, "reason": str(r.reason)}
                                   for r in parsed.rejected.sort_values("row_no").itertuples()]
    return body
