"""Shipment lists from our own shop or warehouse system: what we actually sent."""

import numpy as np
import pandas as pd

from recon.core.writers import csv_text_undone
from recon.ingest import errors
from recon.ingest.bills import weight_unit_of
from recon.ingest.clean import (
    cell_text,
    clean_text,
    lost_digits,
    normalize_waybill,
    parse_datetime,
    parse_length_mm,
    parse_money_fen,
    parse_weight_g,
)
from recon.ingest.guard import run_isolated
from recon.ingest.errors import IngestError, _
from recon.ingest.readers import SheetTable, _mark_controls, read_tables
from recon.ingest.regions import normalize_province
from recon.ingest.specs import SHIPMENT_SPEC
from recon.ingest.table import (
    ParsedTable,
    classify_rows,
    column_or_blank,
    concat_rejected,
    first_reason,
    rejected_frame,
    sheet_info,
    without_cells,
)

SHIPMENT_COLUMNS = [
    "order_no", "waybill_no", "courier", "shipped_at", "weight_g", "length_mm", "width_mm", "height_mm",
    "province", "city", "status", "declared_value_fen", "recipient_name", "recipient_phone", "recipient_address",
    "sheet", "row_no",
]
RECIPIENT_FIELDS = ("recipient_name", "recipient_phone", "recipient_address")
STATUSES = {
    "": "shipped",
    "shipped": "shipped",
    "已发货": "shipped",
    "发货": "shipped",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "已取消": "cancelled",
    "取消": "cancelled",
    "作废": "cancelled",
    "已作废": "cancelled",
    "voided": "cancelled",
    "void": "cancelled",
}
_DIMENSIONS = ("length", "width", "height")
_CODE_FIELDS = {
    "waybill_missing": "waybill_no",
    "waybill_scientific": "waybill_no",
    "waybill_invalid": "waybill_no",
    "order_no_scientific": "order_no",
    "shipped_at_invalid": "shipped_at",
    "weight_invalid": "weight_kg",
    "length_invalid": "length_cm",
    "width_invalid": "width_cm",
    "height_invalid": "height_cm",
    "declared_value_invalid": "declared_value",
    "status_invalid": "status",
}


def read_shipments(path, filename: str, overrides: dict[str, str] | None = None) -> ParsedTable:
    """Read a shipment list into one clean row per parcel and rejected rows.

    Parsed in a child process under the upload limits (guard.run_isolated): a file built to exhaust memory fails alone.
    """
    return run_isolated(_read_shipments, path, filename, overrides, filename=filename)


def _read_shipments(path, filename: str, overrides: dict[str, str] | None = None) -> ParsedTable:
    tables = read_tables(path, filename, SHIPMENT_SPEC, overrides)
    frames, rejected, sheets, totals = [], [], [], []
    blank_rows = repeated_headers = 0
    units = []
    for table in tables.tables:
        frame, rej, kinds, n_rows = _read_sheet(table)
        frames.append(frame)
        rejected.append(rej)
        sheets.append(sheet_info(table, n_rows))
        blank_rows += int(kinds.blank.sum())
        repeated_headers += int(kinds.repeated_header.sum())
        totals.extend(
            {"sheet": table.name, "row_no": int(r), "text": str(t)}
            for r, t in zip(table.row_nos()[kinds.totals], kinds.totals_text[kinds.totals])
        )
        if table.column("weight_kg") is not None:
            units.append(weight_unit_of(table, "weight_kg"))

    frame = pd.concat(frames, ignore_index=True)[SHIPMENT_COLUMNS]
    rejected = concat_rejected(rejected)
    if frame.empty and rejected.empty:
        raise IngestError(
            errors.NO_DATA,
            _("“%(filename)s” has a header but no shipments under it.") % {"filename": filename},
            {"sheets": sheets},
        )
    unit, source = units[0] if units else ("kg", "default")
    info = tables.info()
    info.update(
        {
            "sheets": sheets,
            "totals_rows": totals,
            "repeated_headers": repeated_headers,
            "blank_rows": blank_rows,
            "weight_unit": unit,
            "weight_unit_source": source,
            "duplicate_waybills": int(frame["waybill_no"].duplicated().sum()),
        }
    )
    return ParsedTable(frame=frame, rejected=rejected, info=info)


def _length_unit(table: SheetTable, field_name: str) -> str:
    unit = table.header.units.get(field_name, "")
    return unit if unit in ("cm", "mm", "m") else "cm"


def _read_sheet(table: SheetTable):
    n = len(table.data)
    waybill, waybill_reason = normalize_waybill(column_or_blank(table, "waybill_no"))
    waybill_ok = (waybill_reason == "").to_numpy()
    header_waybill = normalize_waybill(pd.Series([table.header_text("waybill_no")], dtype=object))[0][0]
    kinds = classify_rows(table, ~waybill_ok | (waybill == header_waybill).to_numpy())

    order_cells = column_or_blank(table, "order_no")
    order_no = clean_text(order_cells)
    courier = clean_text(column_or_blank(table, "courier"))
    shipped_at, shipped_bad = parse_datetime(column_or_blank(table, "shipped_at"))
    unit, _source = weight_unit_of(table, "weight_kg")
    weight, weight_bad = parse_weight_g(column_or_blank(table, "weight_kg"), unit)
    dims = {}
    for d in _DIMENSIONS:
        dims[d] = parse_length_mm(column_or_blank(table, f"{d}_cm"), _length_unit(table, f"{d}_cm"))
    declared, declared_bad = parse_money_fen(column_or_blank(table, "declared_value"))
    status_text = cell_text(column_or_blank(table, "status")).str.normalize("NFKC").str.lower()
    status = status_text.str.replace(r"\s+", "", regex=True).map(STATUSES)

    control, control_text = table.control_rows()
    codes = first_reason(
        n,
        [
            (control, "control_character"),
            (~waybill_ok, waybill_reason.to_numpy(dtype=object)),
            ((order_no == "").to_numpy(), "order_no_missing"),
            (lost_digits(order_cells).to_numpy(), "order_no_scientific"),
            ((courier == "").to_numpy(), "courier_missing"),
            (shipped_at.isna().to_numpy() & ~shipped_bad.to_numpy(), "shipped_at_missing"),
            (shipped_bad.to_numpy(), "shipped_at_invalid"),
            (weight_bad.to_numpy(), "weight_invalid"),
            *[(dims[d][1].to_numpy(), f"{d}_invalid") for d in _DIMENSIONS],
            (declared_bad.to_numpy(), "declared_value_invalid"),
            (status.isna().to_numpy(), "status_invalid"),
        ],
    )
    keep = kinds.data & (codes == "")
    reject = kinds.data & (codes != "")
    province = normalize_province(cell_text(column_or_blank(table, "province"))[keep])
    frame = pd.DataFrame(
        {
            "order_no": order_no[keep].to_numpy(dtype=object),
            "waybill_no": waybill[keep].to_numpy(dtype=object),
            "courier": courier[keep].to_numpy(dtype=object),
            "shipped_at": shipped_at[keep].to_numpy(dtype="datetime64[ns]"),
            "weight_g": weight[keep].array,
            **{f"{d}_mm": dims[d][0][keep].array for d in _DIMENSIONS},
            "province": province.to_numpy(dtype=object),
            "city": csv_text_undone(cell_text(column_or_blank(table, "city"))).str.strip()[keep].to_numpy(dtype=object),
            "status": status[keep].to_numpy(dtype=object),
            "declared_value_fen": declared[keep].array,
            **{f: _recipient_text(column_or_blank(table, f))[keep].to_numpy(dtype=object) for f in RECIPIENT_FIELDS},
            "sheet": np.full(int(keep.sum()), table.name, dtype=object),
            "row_no": table.row_nos()[keep],
        }
    )
    masked = without_cells(table, RECIPIENT_FIELDS)
    if control.any() and masked is not table:
        # The cell quoted in the reason may be a recipient's: quote it from the masked sheet.
        remarked = _mark_controls(masked.data)
        visible = remarked[1] if remarked is not None else np.full(n, "", dtype=object)
        control_text = np.where(visible != "", visible, "***").astype(object)
    rejected = rejected_frame(masked, reject, codes, _CODE_FIELDS, control_text)
    return frame, rejected, kinds, int(keep.sum() + reject.sum())


def _recipient_text(s: pd.Series) -> pd.Series:
    # Phones come as Excel numbers too; cell_text shows them without '.0'.
    # A phone such as '+86 138…' comes back from our own CSV export with the apostrophe that kept Excel from running it.
    return csv_text_undone(cell_text(s).str.normalize("NFKC").str.replace(r"\s+", " ", regex=True).str.strip()).str.strip()


