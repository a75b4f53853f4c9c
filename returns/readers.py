"""Reading the three returns files into clean rows and rejected rows, column by column (no loop over rows).

Built on the core's readers (header detection, cell parsers, totals and repeated headers) and, like them, free of
Django: a file is parsed in a forked child under the upload limits, and messages are translated through
recon.ingest.errors (the app hands it Django's gettext).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from recon.ingest import errors
from recon.ingest.bills import weight_unit_of
from recon.ingest.clean import (
    cell_text,
    clean_text,
    lost_digits,
    parse_datetime,
    parse_money_fen,
    parse_scaled,
    parse_weight_g,
)
from recon.ingest.errors import IngestError, _, gettext_noop
from recon.ingest.guard import run_isolated
from recon.ingest.readers import SheetTable, read_tables
from recon.ingest.regions import normalize_province
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

from .specs import CONDITIONS, FREIGHT_SPEC, RECEIPT_SPEC, REFUND_STATUSES, REQUEST_SPEC

BUYER_FIELDS = ("buyer_name", "buyer_phone", "buyer_address")

# Reason texts by code; %(value)s is the offending cell as the user typed it.
REASONS = {
    "control_character": gettext_noop(
        "Cell “%(value)s” holds a control character (shown as �), which is never typed; "
        "the file was damaged on export. Remove it and export the file again"
    ),
    "return_no_missing": gettext_noop("Return number is empty"),
    "return_no_scientific": gettext_noop(
        "Return number “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "order_no_scientific": gettext_noop(
        "Order number “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "sku_missing": gettext_noop("SKU is empty"),
    "sku_scientific": gettext_noop(
        "SKU “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "waybill_missing": gettext_noop("Waybill number is empty"),
    "waybill_scientific": gettext_noop(
        "Waybill number “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "receipt_key_missing": gettext_noop("The row has neither a waybill number nor an order number"),
    "quantity_missing": gettext_noop("Quantity is empty"),
    "quantity_invalid": gettext_noop("Quantity “%(value)s” is not a whole number of items"),
    "refund_amount_invalid": gettext_noop("Refund amount “%(value)s” is not an amount"),
    "refund_status_invalid": gettext_noop("Refund status “%(value)s” is not one of 待处理, 处理中, 退款成功, 已退款, 退款关闭, 已拒绝"),
    "refunded_at_invalid": gettext_noop("Refund time “%(value)s” is not a date"),
    "requested_at_missing": gettext_noop("Request time is empty"),
    "requested_at_invalid": gettext_noop("Request time “%(value)s” is not a date"),
    "received_at_missing": gettext_noop("Receipt time is empty"),
    "received_at_invalid": gettext_noop("Receipt time “%(value)s” is not a date"),
    "condition_invalid": gettext_noop("Condition “%(value)s” is not one of 良品, 正常, 破损, 残次, 错货, 空包, 缺件"),
    "fee_missing": gettext_noop("Fee is empty"),
    "fee_invalid": gettext_noop("Fee “%(value)s” is not an amount"),
    "weight_invalid": gettext_noop("Weight “%(value)s” is not a weight"),
}

REQUEST_COLUMNS = [
    "return_no", "sku", "order_no", "platform", "shop", "return_waybill_no", "return_waybill_raw", "return_courier",
    "quantity", "refund_amount_fen", "refund_status", "refunded_at", "requested_at", "reason", *BUYER_FIELDS,
    "sheet", "row_no",
]
RECEIPT_COLUMNS = [
    "return_waybill_no", "return_waybill_raw", "order_no", "received_at", "sku", "quantity", "condition", "warehouse",
    "inspector", "photos", "sheet", "row_no",
]
FREIGHT_COLUMNS = [
    "line_no", "sheet", "row_no", "waybill_no", "waybill_raw", "billed_at", "billed_weight_g", "fee_fen",
    "origin_province", "origin_province_raw",
]


# (normalised numbers, scientific-notation mask) of a column of return waybill numbers; the caller says how.
Normalize = Callable[[pd.Series], tuple[pd.Series, np.ndarray]]


# --------------------------------------------------------------------------- shared pieces

def per_distinct(fn: Callable[[pd.Series], pd.Series], values: pd.Series) -> pd.Series:
    """fn applied once per distinct cell: exports repeat the same platform, shop, status and reason thousands of times."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    done = fn(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)
    return pd.Series(done[codes], index=values.index, dtype=object)


def _mapped(values: pd.Series, table: dict[str, str]) -> pd.Series:
    key = per_distinct(lambda u: cell_text(u).str.normalize("NFKC").str.lower().str.replace(r"\s+", "", regex=True), values)
    return key.map(table)


def _count(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(whole numbers as Int64, empty mask, invalid mask): '3', '3件', '3.0' read; '1.5' and '-1' do not."""
    text = cell_text(values).str.replace(r"(?:件|个|pcs)$", "", regex=True)
    milli, bad = parse_scaled(text, 3, allow_negative=False)
    empty = milli.isna().to_numpy() & ~bad.to_numpy()
    fraction = (milli.fillna(0) % 1000 != 0).to_numpy()
    invalid = bad.to_numpy() | fraction
    whole = (milli // 1000).where(~pd.Series(invalid, index=milli.index))
    return whole, empty, invalid


def _text(values: pd.Series, limit: int) -> pd.Series:
    return per_distinct(
        lambda u: cell_text(u).str.normalize("NFKC").str.replace(r"\s+", " ", regex=True).str.strip().str.slice(0, limit), values)


def _read(path, filename: str, spec, read_sheet: Callable, no_data: str, overrides: dict | None = None) -> ParsedTable:
    tables = read_tables(path, filename, spec, overrides or None)
    frames, rejected, sheets, totals = [], [], [], []
    blank_rows = repeated_headers = 0
    for table in tables.tables:
        frame, rej, kinds, n_rows = read_sheet(table)
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
    rejected = concat_rejected(rejected)
    if frame.empty and rejected.empty:
        raise IngestError(errors.NO_DATA, no_data % {"filename": filename}, {"sheets": sheets})
    if frame.empty and (rejected["reason_code"].str.endswith("_scientific")).all():
        # Every row lost its digits: the column was saved as numbers, and nothing of the file can be matched.
        raise IngestError(
            "scientific_notation",
            _("“%(filename)s”: every row's number is in scientific notation (for example “%(value)s”), so its digits "
              "were lost. Format the column as text in Excel and export the file again.")
            % {"filename": filename, "value": _first_quoted(rejected["reason"].iat[0])},
            {"rows": int(len(rejected))},
        )
    info = tables.info()
    info.update({"sheets": sheets, "totals_rows": totals, "repeated_headers": repeated_headers, "blank_rows": blank_rows})
    return ParsedTable(frame=frame, rejected=rejected, info=info)


def _first_quoted(reason: str) -> str:
    start, end = reason.find("“"), reason.find("”")
    return reason[start + 1:end] if 0 <= start < end else ""


def _masks(kinds, codes):
    keep = kinds.data & (codes == "")
    return keep, kinds.data & (codes != "")


# --------------------------------------------------------------------------- return requests

_REQUEST_FIELDS = {
    "return_no_scientific": "return_no", "order_no_scientific": "order_no", "sku_scientific": "sku",
    "waybill_scientific": "return_waybill_no", "quantity_invalid": "quantity", "refund_amount_invalid": "refund_amount",
    "refund_status_invalid": "refund_status", "refunded_at_invalid": "refunded_at", "requested_at_invalid": "requested_at",
}


def read_return_requests(path, filename: str, *, normalize_waybills: Normalize, overrides: dict | None = None) -> ParsedTable:
    """A platform's export of return requests (退货申请/售后单): one clean row per item, and rejected rows."""
    return run_isolated(_read, path, filename, REQUEST_SPEC, partial(_request_sheet, normalize=normalize_waybills),
                        _("“%(filename)s” has a header but no return requests under it."), overrides, filename=filename)


def _request_sheet(table: SheetTable, *, normalize: Normalize):
    n = len(table.data)
    return_cells, order_cells, sku_cells = (column_or_blank(table, f) for f in ("return_no", "order_no", "sku"))
    return_no, order_no, sku = clean_text(return_cells), clean_text(order_cells), clean_text(sku_cells)
    waybill_cells = column_or_blank(table, "return_waybill_no")
    waybill, waybill_lost = normalize(waybill_cells)
    quantity, quantity_empty, quantity_bad = _count(column_or_blank(table, "quantity"))
    amount, amount_bad = parse_money_fen(column_or_blank(table, "refund_amount"))
    status = _mapped(column_or_blank(table, "refund_status"), REFUND_STATUSES)
    refunded_at, refunded_bad = parse_datetime(column_or_blank(table, "refunded_at"))
    requested_at, requested_bad = parse_datetime(column_or_blank(table, "requested_at"))
    control, control_text = table.control_rows()
    codes = first_reason(n, [
        (control, "control_character"),
        ((return_no == "").to_numpy(), "return_no_missing"),
        (lost_digits(return_cells).to_numpy(), "return_no_scientific"),
        (lost_digits(order_cells).to_numpy(), "order_no_scientific"),
        ((sku == "").to_numpy(), "sku_missing"),
        (lost_digits(sku_cells).to_numpy(), "sku_scientific"),
        (waybill_lost, "waybill_scientific"),
        (quantity_empty, "quantity_missing"),
        (quantity_bad | (quantity.fillna(1) < 1).to_numpy(), "quantity_invalid"),
        (amount_bad.to_numpy() | (amount.fillna(0) < 0).to_numpy(), "refund_amount_invalid"),
        (status.isna().to_numpy(), "refund_status_invalid"),
        (refunded_bad.to_numpy(), "refunded_at_invalid"),
        (requested_at.isna().to_numpy() & ~requested_bad.to_numpy(), "requested_at_missing"),
        (requested_bad.to_numpy(), "requested_at_invalid"),
    ])
    kinds = classify_rows(table, codes != "")
    keep, reject = _masks(kinds, codes)
    frame = pd.DataFrame({
        "return_no": return_no[keep].to_numpy(dtype=object),
        "sku": sku[keep].to_numpy(dtype=object),
        "order_no": order_no[keep].to_numpy(dtype=object),
        "platform": _text(column_or_blank(table, "platform"), 32)[keep].to_numpy(dtype=object),
        "shop": _text(column_or_blank(table, "shop"), 64)[keep].to_numpy(dtype=object),
        "return_waybill_no": waybill[keep].str.slice(0, 64).to_numpy(dtype=object),
        "return_waybill_raw": _text(waybill_cells, 128)[keep].to_numpy(dtype=object),
        "return_courier": _text(column_or_blank(table, "return_courier"), 64)[keep].to_numpy(dtype=object),
        "quantity": quantity[keep].astype("int64").to_numpy(),
        "refund_amount_fen": amount.fillna(0)[keep].astype("int64").to_numpy(),
        "refund_status": status[keep].to_numpy(dtype=object),
        "refunded_at": refunded_at[keep].to_numpy(dtype="datetime64[ns]"),
        "requested_at": requested_at[keep].to_numpy(dtype="datetime64[ns]"),
        "reason": _text(column_or_blank(table, "reason"), 255)[keep].to_numpy(dtype=object),
        "buyer_name": _text(column_or_blank(table, "buyer_name"), 64)[keep].to_numpy(dtype=object),
        "buyer_phone": _text(column_or_blank(table, "buyer_phone"), 32)[keep].to_numpy(dtype=object),
        "buyer_address": _text(column_or_blank(table, "buyer_address"), 255)[keep].to_numpy(dtype=object),
        "sheet": np.full(int(keep.sum()), table.name, dtype=object),
        "row_no": table.row_nos()[keep],
    })[REQUEST_COLUMNS]
    masked = without_cells(table, BUYER_FIELDS)
    rejected = rejected_frame(masked, reject, codes, _REQUEST_FIELDS, control_text, REASONS)
    return frame, rejected, kinds, int(keep.sum() + reject.sum())


# --------------------------------------------------------------------------- return receipts

_RECEIPT_FIELDS = {
    "order_no_scientific": "order_no", "sku_scientific": "sku", "waybill_scientific": "return_waybill_no",
    "quantity_invalid": "quantity", "condition_invalid": "condition", "received_at_invalid": "received_at",
}


def read_return_receipts(path, filename: str, *, normalize_waybills: Normalize, overrides: dict | None = None) -> ParsedTable:
    """A warehouse's export of returns received (退货入库/签收): one clean row per item, and rejected rows."""
    return run_isolated(_read, path, filename, RECEIPT_SPEC, partial(_receipt_sheet, normalize=normalize_waybills),
                        _("“%(filename)s” has a header but no return receipts under it."), overrides, filename=filename)


def _receipt_sheet(table: SheetTable, *, normalize: Normalize):
    n = len(table.data)
    order_cells, sku_cells = column_or_blank(table, "order_no"), column_or_blank(table, "sku")
    order_no, sku = clean_text(order_cells), clean_text(sku_cells)
    waybill_cells = column_or_blank(table, "return_waybill_no")
    waybill, waybill_lost = normalize(waybill_cells)
    quantity, _empty, quantity_bad = _count(column_or_blank(table, "quantity"))
    condition = _mapped(column_or_blank(table, "condition"), CONDITIONS)
    received_at, received_bad = parse_datetime(column_or_blank(table, "received_at"))
    control, control_text = table.control_rows()
    codes = first_reason(n, [
        (control, "control_character"),
        (waybill_lost, "waybill_scientific"),
        (lost_digits(order_cells).to_numpy(), "order_no_scientific"),
        (((waybill == "") & (order_no == "")).to_numpy(), "receipt_key_missing"),
        ((sku == "").to_numpy(), "sku_missing"),
        (lost_digits(sku_cells).to_numpy(), "sku_scientific"),
        (quantity_bad, "quantity_invalid"),
        (condition.isna().to_numpy(), "condition_invalid"),
        (received_at.isna().to_numpy() & ~received_bad.to_numpy(), "received_at_missing"),
        (received_bad.to_numpy(), "received_at_invalid"),
    ])
    kinds = classify_rows(table, codes != "")
    keep, reject = _masks(kinds, codes)
    frame = pd.DataFrame({
        "return_waybill_no": waybill[keep].str.slice(0, 64).to_numpy(dtype=object),
        "return_waybill_raw": _text(waybill_cells, 128)[keep].to_numpy(dtype=object),
        "order_no": order_no[keep].to_numpy(dtype=object),
        "received_at": received_at[keep].to_numpy(dtype="datetime64[ns]"),
        "sku": sku[keep].to_numpy(dtype=object),
        "quantity": quantity[keep].array,
        "condition": condition[keep].to_numpy(dtype=object),
        "warehouse": _text(column_or_blank(table, "warehouse"), 64)[keep].to_numpy(dtype=object),
        "inspector": _text(column_or_blank(table, "inspector"), 64)[keep].to_numpy(dtype=object),
        "photos": per_distinct(_photo_lists, column_or_blank(table, "photos"))[keep].to_numpy(dtype=object),
        "sheet": np.full(int(keep.sum()), table.name, dtype=object),
        "row_no": table.row_nos()[keep],
    })[RECEIPT_COLUMNS]
    rejected = rejected_frame(table, reject, codes, _RECEIPT_FIELDS, control_text, REASONS)
    return frame, rejected, kinds, int(keep.sum() + reject.sum())


# Links in a photo cell are separated as people type lists: spaces, commas, semicolons, new lines (full-width too).
_PHOTO_SEPARATORS = re.compile(r"[\s,;，；、]+")


def _photo_lists(cells: pd.Series) -> pd.Series:
    """Each cell's pieces as a JSON list ('[]' for an empty cell); nothing is dropped, text that is no link included."""
    return cell_text(cells).map(lambda text: json.dumps([p for p in _PHOTO_SEPARATORS.split(text) if p], ensure_ascii=False))


# --------------------------------------------------------------------------- return freight

_FREIGHT_FIELDS = {"waybill_scientific": "waybill_no", "fee_invalid": "billed_fee", "weight_invalid": "billed_weight"}


def read_return_freight(path, filename: str, *, normalize_waybills: Normalize, overrides: dict | None = None) -> ParsedTable:
    """A courier's return freight (退件运费), in a courier bill's columns: one clean line per charge, and rejected rows."""
    parsed = run_isolated(_read, path, filename, FREIGHT_SPEC, partial(_freight_sheet, normalize=normalize_waybills),
                          _("“%(filename)s” has a header but no freight lines under it."), overrides, filename=filename)
    parsed.frame.insert(0, "line_no", np.arange(1, len(parsed.frame) + 1, dtype=np.int64))
    parsed.frame = parsed.frame[FREIGHT_COLUMNS]
    return parsed


def _freight_sheet(table: SheetTable, *, normalize: Normalize):
    n = len(table.data)
    waybill_cells = column_or_blank(table, "waybill_no")
    waybill, waybill_lost = normalize(waybill_cells)
    fee, fee_bad = parse_money_fen(column_or_blank(table, "billed_fee"))
    unit, _source = weight_unit_of(table, "billed_weight")
    weight, weight_bad = parse_weight_g(column_or_blank(table, "billed_weight"), unit)
    control, control_text = table.control_rows()
    codes = first_reason(n, [
        (control, "control_character"),
        (waybill_lost, "waybill_scientific"),
        ((waybill == "").to_numpy(), "waybill_missing"),
        (fee.isna().to_numpy() & ~fee_bad.to_numpy(), "fee_missing"),
        (fee_bad.to_numpy(), "fee_invalid"),
        (weight_bad.to_numpy(), "weight_invalid"),
    ])
    kinds = classify_rows(table, codes != "")
    keep, reject = _masks(kinds, codes)
    origin = _text(column_or_blank(table, "origin_province"), 64)
    destination = _text(column_or_blank(table, "province"), 64)
    province_raw = origin.where(origin != "", destination)[keep]
    # An unreadable date is kept empty, as on a courier bill: the charge itself is still owed or disputed.
    billed_at, _bad = parse_datetime(column_or_blank(table, "billed_at")[keep])
    frame = pd.DataFrame({
        "sheet": np.full(int(keep.sum()), table.name, dtype=object),
        "row_no": table.row_nos()[keep],
        "waybill_no": waybill[keep].str.slice(0, 64).to_numpy(dtype=object),
        "waybill_raw": _text(waybill_cells, 128)[keep].to_numpy(dtype=object),
        "billed_at": billed_at.to_numpy(dtype="datetime64[ns]"),
        "billed_weight_g": weight[keep].array,
        "fee_fen": fee[keep].astype("int64").to_numpy(),
        "origin_province": normalize_province(province_raw).to_numpy(dtype=object),
        "origin_province_raw": province_raw.to_numpy(dtype=object),
    })
    rejected = rejected_frame(table, reject, codes, _FREIGHT_FIELDS, control_text, REASONS)
    return frame, rejected, kinds, int(keep.sum() + reject.sum())
