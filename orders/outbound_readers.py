"""Reading a warehouse's outbound file and a courier's pickup scans into clean rows and rejected rows, column by column.

Free of Django like the core's readers: the file is parsed in a forked child under the upload limits, so the couriers
are looked up by the caller and handed in as a table (courier_key(code, name or alias) -> courier id).
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from recon.ingest import errors
from recon.ingest.clean import cell_text, clean_text, lost_digits, normalize_waybill, parse_datetime, parse_weight_g
from recon.ingest.errors import IngestError, _, gettext_noop
from recon.ingest.guard import run_isolated
from recon.ingest.header import header_key
from recon.ingest.readers import SheetTable, read_own_csv, read_tables
from recon.ingest.regions import normalize_province
from recon.ingest.table import (
    REASONS as CORE_REASONS,
    RAW_CHARS,
    REASON_CHARS,
    ParsedTable,
    classify_rows,
    column_or_blank,
    concat_rejected,
    first_reason,
    join_cells,
    rejected_frame,
    sheet_info,
    shown,
)

from .outbound_specs import GRAM_KEYS, OUTBOUND_SPEC, PICKUP_SPEC
from .readers import _count, _text, per_distinct

# Reason texts by code; %(value)s is the offending cell as the user typed it. The core's (waybill, order number,
# courier, province) are used as they are.
REASONS = {
    **CORE_REASONS,
    "outbound_no_missing": gettext_noop("Outbound number is empty"),
    "outbound_no_scientific": gettext_noop(
        "Outbound number “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "courier_unknown": gettext_noop("Courier “%(value)s” is not a known courier code, name or alias"),
    "sku_scientific": gettext_noop(
        "SKU “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "quantity_missing": gettext_noop("Quantity is empty"),
    "quantity_negative": gettext_noop("Quantity “%(value)s” is negative"),
    "quantity_invalid": gettext_noop("Quantity “%(value)s” is not a whole number of items"),
    "weight_negative": gettext_noop("Weight “%(value)s” is negative"),
    "outbound_at_missing": gettext_noop("Outbound time is empty"),
    "outbound_at_invalid": gettext_noop("Outbound time “%(value)s” is not a date"),
    "picked_up_at_missing": gettext_noop("Pickup time is empty"),
    "picked_up_at_invalid": gettext_noop("Pickup time “%(value)s” is not a date"),
}
# The field whose cell each reason quotes.
OUTBOUND_FIELDS = {
    "outbound_no_scientific": "outbound_no", "order_no_scientific": "order_no", "waybill_scientific": "waybill_no",
    "waybill_invalid": "waybill_no", "courier_unknown": "courier", "sku_scientific": "sku", "quantity_negative": "quantity",
    "quantity_invalid": "quantity", "weight_negative": "packed_weight", "weight_invalid": "packed_weight",
    "outbound_at_invalid": "outbound_at", "province_unknown": "province",
}
PICKUP_FIELDS = {
    "waybill_scientific": "waybill_no", "waybill_invalid": "waybill_no", "courier_unknown": "courier",
    "weight_negative": "pickup_weight", "weight_invalid": "pickup_weight", "picked_up_at_invalid": "picked_up_at",
}
OUTBOUND_COLUMNS = [
    "outbound_no", "order_no", "sku", "quantity", "waybill_no", "courier_id", "packed_weight_g", "outbound_at", "warehouse",
    "province", "sheet", "row_no",
]
PICKUP_COLUMNS = ["courier_id", "waybill_no", "picked_up_at", "pickup_weight_g", "site", "sheet", "row_no"]
# The parcel's fields, repeated on each item of an outbound, and the column each is shown from.
PARCEL_FIELDS = {"waybill_no": "waybill_no", "courier_id": "courier", "packed_weight_g": "packed_weight",
                 "outbound_at": "outbound_at", "warehouse": "warehouse", "province": "province"}

_SPACES = re.compile(r"\s+")
# The largest value the database's integer columns hold: a bigger quantity or weight is a typing error, refused as invalid.
INT_MAX = 2_147_483_647


def courier_key(text) -> str:
    """A courier's code, name or alias as compared: case, width and spaces do not matter ('ｚｔｏ', '中通 快递')."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(text))).upper()


def read_outbound(path, filename: str, *, couriers: dict[str, int], overrides: dict | None = None) -> ParsedTable:
    """An outbound file: one clean row per outbound item (outbound + order + SKU), and rejected rows with their reasons.

    `overrides`: the header of a field's column, as chosen on the upload page (or a list of remembered ones, tried first).
    """
    return run_isolated(_read_outbound, path, filename, couriers, overrides, filename=filename)


def read_pickups(path, filename: str, *, couriers: dict[str, int], overrides: dict | None = None) -> ParsedTable:
    """A pickup scans file: one clean row per parcel picked up, and rejected rows with their reasons."""
    return run_isolated(_read_pickups, path, filename, couriers, overrides, filename=filename)


def weight_unit(units: dict, header: str, field_name: str) -> str:
    """'g' or 'kg' for a weight column: kilograms unless its header says grams ('重量(g)', '重量克', '重量g')."""
    unit = units.get(field_name, "")
    if unit in ("kg", "g"):
        return unit
    return "g" if header_key(header)[0] in GRAM_KEYS else "kg"


def read_posted_records(text: str, filename: str, *, kind: str, couriers: dict[str, int]) -> ParsedTable:
    """Records posted to the API, as the CSV text the service wrote from them, read in this process with the same
    cleaning and reasons as a file ("outbound" or "pickups").

    The child process guards against hostile files (zip bombs, sheets declaring millions of cells) and costs a fork per
    read; these records were parsed by the web process already, counted under the post's limit, and written out by us.
    """
    tables = lambda spec: read_own_csv(text, filename, spec)  # noqa: E731
    if kind == "outbound":
        return _outbound_table(tables, filename, couriers)
    return _pickups_table(tables, filename, couriers)


def _read(tables_of, filename: str, spec, sheet_reader, couriers: dict[str, int], no_data: str):
    tables = tables_of(spec)
    frames, rejected, sheets, totals = [], [], [], []
    blank_rows = repeated_headers = 0
    for index, table in enumerate(tables.tables):
        frame, rej, kinds, n_rows = sheet_reader(table, couriers)
        frame["_table"] = index
        frames.append(frame)
        rejected.append(rej)
        sheets.append(sheet_info(table, n_rows))
        blank_rows += int(kinds.blank.sum())
        repeated_headers += int(kinds.repeated_header.sum())
        totals.extend(
            {"sheet": table.name, "row_no": int(r), "text": str(t)[:200]}
            for r, t in zip(table.row_nos()[kinds.totals], kinds.totals_text[kinds.totals])
        )
    frame = pd.concat(frames, ignore_index=True)
    if frame.empty and not any(len(r) for r in rejected):
        raise IngestError(errors.NO_DATA, no_data % {"filename": filename}, {"sheets": sheets})
    info = tables.info()
    info.update({"sheets": sheets, "totals_rows": totals, "repeated_headers": repeated_headers, "blank_rows": blank_rows})
    return tables, frame, rejected, info


def _read_outbound(path, filename: str, couriers: dict[str, int], overrides: dict | None = None) -> ParsedTable:
    return _outbound_table(lambda spec: read_tables(path, filename, spec, overrides or None), filename, couriers)


def _outbound_table(tables_of, filename: str, couriers: dict[str, int]) -> ParsedTable:
    tables, frame, rejected, info = _read(tables_of, filename, OUTBOUND_SPEC, _outbound_sheet, couriers,
                                          _("“%(filename)s” has a header but no outbound records under it."))
    frame, disagreeing = _whole_parcels(frame, tables.tables)
    rejected = concat_rejected([*rejected, disagreeing])
    return ParsedTable(frame=frame[OUTBOUND_COLUMNS].reset_index(drop=True), rejected=rejected, info=info)


def _read_pickups(path, filename: str, couriers: dict[str, int], overrides: dict | None = None) -> ParsedTable:
    return _pickups_table(lambda spec: read_tables(path, filename, spec, overrides or None), filename, couriers)


def _pickups_table(tables_of, filename: str, couriers: dict[str, int]) -> ParsedTable:
    _tables, frame, rejected, info = _read(tables_of, filename, PICKUP_SPEC, _pickup_sheet, couriers,
                                           _("“%(filename)s” has a header but no pickup scans under it."))
    return ParsedTable(frame=frame[PICKUP_COLUMNS].reset_index(drop=True), rejected=concat_rejected(rejected), info=info)


def _weight(table: SheetTable, field_name: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(grams, negative mask, invalid mask): kilograms unless the header says grams ('重量(g)', '重量克', '重量g')."""
    cells = column_or_blank(table, field_name)
    unit = weight_unit(table.header.units, table.header_text(field_name), field_name) if table.column(field_name) is not None else "kg"
    grams, bad = parse_weight_g(cells, unit)
    negative = _negative(cells)
    too_big = (grams.fillna(0) > INT_MAX).to_numpy(dtype=bool)
    return grams.where(~too_big), negative, (bad.to_numpy() | too_big) & ~negative


def _negative(cells: pd.Series) -> np.ndarray:
    """Cells holding a negative number (typed or Excel's), told apart so that the reason says so."""
    def negative(u: pd.Series) -> pd.Series:
        text = cell_text(u).str.normalize("NFKC").str.replace(r"\s+", "", regex=True).str.replace("\u2212", "-", regex=False)
        return text.str.match(r"^-\d")

    return per_distinct(negative, cells).to_numpy(dtype=bool)


def _courier_ids(table: SheetTable, couriers: dict[str, int]) -> tuple[pd.Series, pd.Series]:
    """(courier id or None, the courier's text) per row."""
    text = _text(column_or_blank(table, "courier"), 64)
    ids = per_distinct(lambda u: u.map(lambda v: couriers.get(courier_key(v)) if v else None), text)
    return ids, text


def _province(table: SheetTable) -> tuple[pd.Series, np.ndarray]:
    """(short province name, unknown mask): a province given but not recognised is refused rather than dropped."""
    text = cell_text(column_or_blank(table, "province")).str.strip()
    province = per_distinct(normalize_province, text)
    return province, ((text != "") & (province == "")).to_numpy()


def _outbound_sheet(table: SheetTable, couriers: dict[str, int]):
    n = len(table.data)
    outbound_cells = column_or_blank(table, "outbound_no")
    # Per distinct cell: an outbound's number, SKU and parcel fields repeat on each of its items.
    outbound_no = per_distinct(clean_text, outbound_cells)
    order_cells = column_or_blank(table, "order_no")
    order_no = clean_text(order_cells)
    waybill, waybill_reason = normalize_waybill(column_or_blank(table, "waybill_no"))
    courier_id, courier_text = _courier_ids(table, couriers)
    sku_cells = column_or_blank(table, "sku")
    sku = per_distinct(clean_text, sku_cells)
    quantity, quantity_empty, quantity_bad = _count(column_or_blank(table, "quantity"))
    quantity_bad = quantity_bad | (quantity.fillna(0) > INT_MAX).to_numpy(dtype=bool)
    quantity_negative = _negative(column_or_blank(table, "quantity"))
    weight, weight_negative, weight_bad = _weight(table, "packed_weight")
    outbound_at, outbound_at_bad = parse_datetime(column_or_blank(table, "outbound_at"))
    province, province_unknown = _province(table)
    control, control_text = table.control_rows()
    codes = first_reason(n, [
        (control, "control_character"),
        ((outbound_no == "").to_numpy(), "outbound_no_missing"),
        (lost_digits(outbound_cells).to_numpy(), "outbound_no_scientific"),
        ((order_no == "").to_numpy(), "order_no_missing"),
        (lost_digits(order_cells).to_numpy(), "order_no_scientific"),
        ((waybill_reason != "").to_numpy(), waybill_reason.to_numpy(dtype=object)),
        ((courier_text == "").to_numpy(), "courier_missing"),
        (courier_id.isna().to_numpy(), "courier_unknown"),
        (lost_digits(sku_cells).to_numpy(), "sku_scientific"),
        (quantity_empty, "quantity_missing"),
        (quantity_negative, "quantity_negative"),
        (quantity_bad, "quantity_invalid"),
        (weight_negative, "weight_negative"),
        (weight_bad, "weight_invalid"),
        (outbound_at.isna().to_numpy() & ~outbound_at_bad.to_numpy(), "outbound_at_missing"),
        (outbound_at_bad.to_numpy(), "outbound_at_invalid"),
        (province_unknown, "province_unknown"),
    ])
    kinds = classify_rows(table, codes != "")
    keep = kinds.data & (codes == "")
    reject = kinds.data & (codes != "")
    frame = pd.DataFrame({
        "outbound_no": outbound_no[keep].str.slice(0, 64).to_numpy(dtype=object),
        "order_no": order_no[keep].str.slice(0, 64).to_numpy(dtype=object),
        "sku": sku[keep].str.slice(0, 64).to_numpy(dtype=object),
        "quantity": quantity[keep].astype("int64").to_numpy(),
        "waybill_no": waybill[keep].to_numpy(dtype=object),
        "courier_id": courier_id[keep].astype("int64").to_numpy(),
        "packed_weight_g": weight[keep].array,
        "outbound_at": outbound_at[keep].to_numpy(dtype="datetime64[ns]"),
        "warehouse": _text(column_or_blank(table, "warehouse"), 64)[keep].to_numpy(dtype=object),
        "province": province[keep].to_numpy(dtype=object),
        "sheet": np.full(int(keep.sum()), table.name, dtype=object),
        "row_no": table.row_nos()[keep],
        "_pos": np.flatnonzero(keep),
    })
    rejected = rejected_frame(table, reject, codes, OUTBOUND_FIELDS, control_text, REASONS)
    return frame, rejected, kinds, int(keep.sum() + reject.sum())


def _pickup_sheet(table: SheetTable, couriers: dict[str, int]):
    n = len(table.data)
    waybill, waybill_reason = normalize_waybill(column_or_blank(table, "waybill_no"))
    courier_id, courier_text = _courier_ids(table, couriers)
    weight, weight_negative, weight_bad = _weight(table, "pickup_weight")
    picked_up_at, picked_bad = parse_datetime(column_or_blank(table, "picked_up_at"))
    control, control_text = table.control_rows()
    codes = first_reason(n, [
        (control, "control_character"),
        ((waybill_reason != "").to_numpy(), waybill_reason.to_numpy(dtype=object)),
        ((courier_text == "").to_numpy(), "courier_missing"),
        (courier_id.isna().to_numpy(), "courier_unknown"),
        (weight_negative, "weight_negative"),
        (weight_bad, "weight_invalid"),
        (picked_up_at.isna().to_numpy() & ~picked_bad.to_numpy(), "picked_up_at_missing"),
        (picked_bad.to_numpy(), "picked_up_at_invalid"),
    ])
    kinds = classify_rows(table, codes != "")
    keep = kinds.data & (codes == "")
    reject = kinds.data & (codes != "")
    frame = pd.DataFrame({
        "courier_id": courier_id[keep].astype("int64").to_numpy(),
        "waybill_no": waybill[keep].to_numpy(dtype=object),
        "picked_up_at": picked_up_at[keep].to_numpy(dtype="datetime64[ns]"),
        "pickup_weight_g": weight[keep].array,
        "site": _text(column_or_blank(table, "site"), 64)[keep].to_numpy(dtype=object),
        "sheet": np.full(int(keep.sum()), table.name, dtype=object),
        "row_no": table.row_nos()[keep],
    })
    rejected = rejected_frame(table, reject, codes, PICKUP_FIELDS, control_text, REASONS)
    return frame, rejected, kinds, int(keep.sum() + reject.sum())


def _whole_parcels(frame: pd.DataFrame, tables: list[SheetTable]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An outbound is one parcel: when its rows disagree on a parcel field (waybill, courier, weight, time, warehouse,
    province), none of them can be trusted, and all are rejected with the values found."""
    if frame.empty:
        return frame, concat_rejected([])
    code = np.zeros(len(frame), dtype=bool)
    culprit = np.full(len(frame), "", dtype=object)
    for column in PARCEL_FIELDS:
        values = frame[column].astype(object).where(frame[column].notna(), "\0")
        differ = values.groupby(frame["outbound_no"], sort=False).transform("nunique").to_numpy() > 1
        new = differ & ~code
        code[new], culprit[new] = True, column
    if not code.any():
        return frame, concat_rejected([])
    bad = frame[code].copy()
    bad["_culprit"] = culprit[code]
    parts = []
    for index, rows in bad.groupby("_table", sort=False):
        table = tables[int(index)]
        reason_of = pd.Series("", index=rows.index, dtype=object)
        for outbound_no, group in rows.groupby("outbound_no", sort=False):
            field_name = PARCEL_FIELDS[group["_culprit"].iat[0]]
            # Every row of the outbound, in this sheet or another, is named by the values it was read with.
            everywhere = frame[frame["outbound_no"] == outbound_no]
            cells = _shown_values(everywhere, group["_culprit"].iat[0], tables)
            seen = list(dict.fromkeys(v if v != "" else _("(empty)") for v in cells))
            reason_of[group.index] = _("The rows of outbound “%(outbound)s” disagree on %(field)s: %(values)s") % {
                "outbound": outbound_no, "field": _header_name(table, field_name), "values": "、".join(f"“{v}”" for v in seen)}
        positions = rows["_pos"].to_numpy()
        parts.append(pd.DataFrame({
            "sheet": rows["sheet"].to_numpy(dtype=object),
            "row_no": rows["row_no"].to_numpy(dtype=np.int64),
            "reason_code": "outbound_rows_disagree",
            "reason": shown(reason_of, REASON_CHARS).to_numpy(dtype=object),
            "raw": shown(join_cells(table.data.iloc[positions]), RAW_CHARS).to_numpy(dtype=object),
        }))
    return frame[~code], concat_rejected(parts)


def _shown_values(rows: pd.DataFrame, column: str, tables: list[SheetTable]) -> list[str]:
    """The cells of a parcel field as the file shows them, row by row."""
    field_name = PARCEL_FIELDS[column]
    out = []
    for index, group in rows.groupby("_table", sort=False):
        table = tables[int(index)]
        out.extend(cell_text(column_or_blank(table, field_name).iloc[group["_pos"].to_numpy()]).tolist())
    return out


def _header_name(table: SheetTable, field_name: str) -> str:
    """The field as the file names it ('称重重量'), which the clerk finds in the file."""
    return f"“{table.header_text(field_name)}”" if table.column(field_name) is not None else field_name
