"""Reading an orders file into clean rows (one per order line, or one per order) and rejected rows, column by column.

Built on the core's readers and, like them, free of Django: the file is parsed in a forked child under the upload
limits, so the platforms are looked up by the caller and handed in as a table.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from recon.ingest import errors
from recon.ingest.clean import cell_text, clean_text, lost_digits, parse_datetime, parse_money_fen, parse_scaled
from recon.ingest.errors import IngestError, _, gettext_noop
from recon.ingest.guard import run_isolated
from recon.ingest.readers import SheetTable, read_tables
from recon.ingest.table import (
    REASON_CHARS,
    RAW_CHARS,
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

from .specs import ORDER_SPEC, STATUS_TABLE, platform_key, status_key

PLATFORM_REQUIRED = "platform_required"

# Reason texts by code; %(value)s is the offending cell as the user typed it.
REASONS = {
    "control_character": gettext_noop(
        "Cell “%(value)s” holds a control character (shown as �), which is never typed; "
        "the file was damaged on export. Remove it and export the file again"
    ),
    "order_no_missing": gettext_noop("Order number is empty"),
    "order_no_scientific": gettext_noop(
        "Order number “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "platform_missing": gettext_noop("Platform is empty and no platform was chosen for the file"),
    "platform_unknown": gettext_noop("Platform “%(value)s” is not a known platform code or name"),
    "status_missing": gettext_noop("Order status is empty"),
    "order_status_invalid": gettext_noop(
        "Order status “%(value)s” is not one of 已付款, 待发货, 已发货, 卖家已发货, 交易成功, 已完成, 已签收, 交易关闭, 已取消"
    ),
    "paid_at_invalid": gettext_noop("Payment time “%(value)s” is not a date"),
    "shipped_at_invalid": gettext_noop("Shipping time “%(value)s” is not a date"),
    "order_amount_missing": gettext_noop("Order amount is empty"),
    "order_amount_invalid": gettext_noop("Order amount “%(value)s” is not an amount"),
    "refund_amount_invalid": gettext_noop("Refund amount “%(value)s” is not an amount"),
    "refund_exceeds_amount": gettext_noop("Refund amount “%(value)s” is more than the order amount"),
    "sku_missing": gettext_noop("SKU is empty"),
    "sku_scientific": gettext_noop(
        "SKU “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "quantity_missing": gettext_noop("Quantity is empty"),
    "quantity_invalid": gettext_noop("Quantity “%(value)s” is not a whole number of items"),
    "line_amount_invalid": gettext_noop("Item amount “%(value)s” is not an amount"),
}
_FIELDS = {
    "order_no_scientific": "order_no", "platform_unknown": "platform", "order_status_invalid": "status",
    "paid_at_invalid": "paid_at", "shipped_at_invalid": "shipped_at", "order_amount_invalid": "order_amount",
    "refund_amount_invalid": "refund_amount", "refund_exceeds_amount": "refund_amount", "sku_scientific": "sku",
    "quantity_invalid": "quantity", "line_amount_invalid": "line_amount",
}
FRAME_COLUMNS = [
    "platform_id", "order_no", "shop", "status", "paid_at", "shipped_at", "order_amount_fen", "refund_amount_fen",
    "has_items", "sku", "quantity", "line_amount_fen", "sheet", "row_no",
]


def per_distinct(fn: Callable[[pd.Series], pd.Series], values: pd.Series) -> pd.Series:
    """fn applied once per distinct cell: an export repeats the same platform, shop and status on every row."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    done = fn(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)
    return pd.Series(done[codes], index=values.index, dtype=object)


def _text(values: pd.Series, limit: int) -> pd.Series:
    return per_distinct(
        lambda u: cell_text(u).str.normalize("NFKC").str.replace(r"\s+", " ", regex=True).str.strip().str.slice(0, limit), values)


def _count(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(whole numbers, empty mask, invalid mask): '3', '3件', '3.0' read; '1.5', '0' and '-1' do not."""
    text = cell_text(values).str.replace(r"(?:件|个|pcs)$", "", regex=True)
    milli, bad = parse_scaled(text, 3, allow_negative=False)
    empty = milli.isna().to_numpy() & ~bad.to_numpy()
    invalid = bad.to_numpy() | (milli.fillna(1000) % 1000 != 0).to_numpy() | (milli.fillna(1000) < 1000).to_numpy()
    whole = (milli // 1000).where(~pd.Series(invalid, index=milli.index))
    return whole, empty, invalid


def read_orders(path, filename: str, *, platforms: dict[str, int], default_platform_id: int | None,
                overrides: dict | None = None) -> ParsedTable:
    """An orders export: one clean row per order line (or per order), and rejected rows with their reasons.

    `platforms` maps platform_key(code or name) to a platform id; `default_platform_id` is the platform of rows
    whose file has no 平台 column or leaves the cell empty; `overrides` name the header of a field's column.
    """
    return run_isolated(_read, path, filename, platforms, default_platform_id, overrides or None, filename=filename)


def _read(path, filename: str, platforms: dict[str, int], default_platform_id: int | None, overrides: dict | None = None) -> ParsedTable:
    tables = read_tables(path, filename, ORDER_SPEC, overrides)
    if default_platform_id is None and any(t.column("platform") is None for t in tables.tables):
        raise IngestError(
            PLATFORM_REQUIRED,
            _("“%(filename)s” has no 平台 (platform) column: say which platform the orders are from (--platform CODE).")
            % {"filename": filename},
        )
    frames, rejected, sheets, totals, failed_keys = [], [], [], [], []
    blank_rows = repeated_headers = 0
    for index, table in enumerate(tables.tables):
        frame, rej, kinds, n_rows, keys = _order_sheet(table, platforms, default_platform_id)
        frame["_table"] = index
        frames.append(frame)
        rejected.append(rej)
        failed_keys.append(keys)
        sheets.append(sheet_info(table, n_rows))
        blank_rows += int(kinds.blank.sum())
        repeated_headers += int(kinds.repeated_header.sum())
        totals.extend(
            {"sheet": table.name, "row_no": int(r), "text": str(t)[:200]}
            for r, t in zip(table.row_nos()[kinds.totals], kinds.totals_text[kinds.totals])
        )
    frame = pd.concat(frames, ignore_index=True)
    frame, whole_orders = _whole_orders(frame, tables.tables, pd.concat(failed_keys, ignore_index=True))
    rejected = concat_rejected([*rejected, whole_orders])
    if frame.empty and rejected.empty:
        raise IngestError(errors.NO_DATA, _("“%(filename)s” has a header but no orders under it.") % {"filename": filename},
                          {"sheets": sheets})
    info = tables.info()
    info.update({"sheets": sheets, "totals_rows": totals, "repeated_headers": repeated_headers, "blank_rows": blank_rows})
    return ParsedTable(frame=frame[FRAME_COLUMNS].reset_index(drop=True), rejected=rejected, info=info)


def _order_sheet(table: SheetTable, platforms: dict[str, int], default_platform_id: int | None):
    n = len(table.data)
    order_cells = column_or_blank(table, "order_no")
    order_no = clean_text(order_cells)
    platform_text = _text(column_or_blank(table, "platform"), 64)
    named = per_distinct(lambda u: u.map(lambda v: platforms.get(platform_key(v)) if v else None), platform_text)
    platform_id = named.where(platform_text != "", default_platform_id)
    status_cells = column_or_blank(table, "status")
    status_text = cell_text(status_cells)
    status = per_distinct(lambda u: u.map(lambda v: STATUS_TABLE.get(status_key(v))), status_text)
    paid_at, paid_bad = parse_datetime(column_or_blank(table, "paid_at"))
    shipped_at, shipped_bad = parse_datetime(column_or_blank(table, "shipped_at"))
    amount, amount_bad = parse_money_fen(column_or_blank(table, "order_amount"))
    refund, refund_bad = parse_money_fen(column_or_blank(table, "refund_amount"))
    refund = refund.fillna(0)
    has_items = table.column("sku") is not None
    sku_cells = column_or_blank(table, "sku")
    sku = clean_text(sku_cells)
    if table.column("quantity") is not None:
        quantity, quantity_empty, quantity_bad = _count(column_or_blank(table, "quantity"))
    else:
        # An item without a quantity column is one piece; a per-order file has no quantity to read.
        quantity = pd.Series(1, index=table.data.index, dtype="Int64")
        quantity_empty = quantity_bad = np.zeros(n, dtype=bool)
    line_amount, line_bad = parse_money_fen(column_or_blank(table, "line_amount"))
    control, control_text = table.control_rows()
    item_checks = [
        ((sku == "").to_numpy(), "sku_missing"),
        (lost_digits(sku_cells).to_numpy(), "sku_scientific"),
        (quantity_empty, "quantity_missing"),
        (quantity_bad, "quantity_invalid"),
        (line_bad.to_numpy() | (line_amount.fillna(0) < 0).to_numpy(), "line_amount_invalid"),
    ] if has_items else []
    codes = first_reason(n, [
        (control, "control_character"),
        ((order_no == "").to_numpy(), "order_no_missing"),
        (lost_digits(order_cells).to_numpy(), "order_no_scientific"),
        (((platform_text == "") & platform_id.isna()).to_numpy(), "platform_missing"),
        (platform_id.isna().to_numpy(), "platform_unknown"),
        ((status_text == "").to_numpy(), "status_missing"),
        (status.isna().to_numpy(), "order_status_invalid"),
        (paid_bad.to_numpy(), "paid_at_invalid"),
        (shipped_bad.to_numpy(), "shipped_at_invalid"),
        (amount.isna().to_numpy() & ~amount_bad.to_numpy(), "order_amount_missing"),
        (amount_bad.to_numpy() | (amount.fillna(0) < 0).to_numpy(), "order_amount_invalid"),
        (refund_bad.to_numpy() | (refund < 0).to_numpy(), "refund_amount_invalid"),
        ((refund > amount.fillna(0)).to_numpy(dtype=bool), "refund_exceeds_amount"),
        *item_checks,
    ])
    kinds = classify_rows(table, codes != "")
    keep = kinds.data & (codes == "")
    reject = kinds.data & (codes != "")
    frame = pd.DataFrame({
        "platform_id": platform_id[keep].astype("int64").to_numpy(),
        "order_no": order_no[keep].str.slice(0, 64).to_numpy(dtype=object),
        "shop": _text(column_or_blank(table, "shop"), 64)[keep].to_numpy(dtype=object),
        "status": status[keep].to_numpy(dtype=object),
        "paid_at": paid_at[keep].to_numpy(dtype="datetime64[ns]"),
        "shipped_at": shipped_at[keep].to_numpy(dtype="datetime64[ns]"),
        "order_amount_fen": amount[keep].astype("int64").to_numpy(),
        "refund_amount_fen": refund[keep].astype("int64").to_numpy(),
        "has_items": np.full(int(keep.sum()), has_items),
        "sku": sku[keep].str.slice(0, 64).to_numpy(dtype=object) if has_items else np.full(int(keep.sum()), "", dtype=object),
        "quantity": quantity[keep].astype("Int64").array,
        "line_amount_fen": line_amount[keep].astype("Int64").array,
        "sheet": np.full(int(keep.sum()), table.name, dtype=object),
        "row_no": table.row_nos()[keep],
        "_pos": np.flatnonzero(keep),
    })
    rejected = rejected_frame(table, reject, codes, _FIELDS, control_text, REASONS)
    # The orders a rejected row belongs to: their other rows are held back too, or the order would lose items.
    known = reject & (order_no != "").to_numpy() & platform_id.notna().to_numpy()
    failed = pd.DataFrame({"platform_id": platform_id[known].astype("int64").to_numpy(),
                           "order_no": order_no[known].str.slice(0, 64).to_numpy(dtype=object),
                           "row_no": table.row_nos()[known]})
    return frame, rejected, kinds, int(keep.sum() + reject.sum()), failed


# The order fields as compared between the rows of one order, and the cell each is shown from.
_COMPARED = {"shop": "shop", "status": "status", "paid_at": "paid_at", "shipped_at": "shipped_at",
             "order_amount_fen": "order_amount", "refund_amount_fen": "refund_amount"}


def _whole_orders(frame: pd.DataFrame, tables: list[SheetTable], failed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of orders taken whole: an order whose rows disagree on an order field, or one of whose rows was rejected,
    loses all its rows, each with the reason."""
    if frame.empty:
        return frame, concat_rejected([])
    key = ["platform_id", "order_no"]
    code = np.full(len(frame), "", dtype=object)
    culprit = np.full(len(frame), "", dtype=object)
    for column in _COMPARED:
        values = frame[column].astype(object).where(frame[column].notna(), "\0")
        differ = values.groupby([frame[k] for k in key], sort=False).transform("nunique").to_numpy() > 1
        new = differ & (code == "")
        code[new], culprit[new] = "order_rows_disagree", column
    if len(failed):
        marks = failed.drop_duplicates(key, keep="first")
        hit = frame[key].merge(marks.assign(_failed=True), on=key, how="left")
        held = hit["_failed"].eq(True).to_numpy() & (code == "")
        code[held] = "order_row_rejected"
        culprit[held] = hit["row_no"].to_numpy()[held].astype(np.int64).astype(object)
    out = code != ""
    if not out.any():
        return frame, concat_rejected([])
    bad = frame[out].copy()
    bad["_culprit"] = culprit[out]
    bad["_code"] = code[out]
    parts = []
    for index, rows in bad.groupby("_table", sort=False):
        table = tables[int(index)]
        positions = rows["_pos"].to_numpy()
        held = (rows["_code"] == "order_row_rejected").to_numpy()
        reason_of = pd.Series("", index=rows.index, dtype=object)
        # Held-back orders can be many (a file whose every order has one bad line): one format per row, no pandas per order.
        template = _("Another row of order “%(order)s” (row %(row)s) was rejected, so none of its rows were imported")
        reason_of[held] = [template % {"order": o, "row": r} for o, r in zip(rows["order_no"][held], rows["_culprit"][held])]
        for (_pid, order_no), group in rows[~held].groupby(key, sort=False):
            field = group["_culprit"].iat[0]
            cells = cell_text(column_or_blank(table, _COMPARED[field]).iloc[group["_pos"].to_numpy()])
            seen = list(dict.fromkeys(v if v != "" else _("(empty)") for v in cells))
            reason_of[group.index] = _("The rows of order “%(order)s” disagree on %(field)s: %(values)s") % {
                "order": order_no, "field": _header_name(table, _COMPARED[field]), "values": "、".join(f"“{v}”" for v in seen)}
        parts.append(pd.DataFrame({
            "sheet": rows["sheet"].to_numpy(dtype=object),
            "row_no": rows["row_no"].to_numpy(dtype=np.int64),
            "reason_code": rows["_code"].to_numpy(dtype=object),
            "reason": shown(reason_of, REASON_CHARS).to_numpy(dtype=object),
            "raw": shown(join_cells(table.data.iloc[positions]), RAW_CHARS).to_numpy(dtype=object),
        }))
    return frame[~out], concat_rejected(parts)


def _header_name(table: SheetTable, field: str) -> str:
    """The field as the file names it ('买家实付金额'), which the clerk finds in the file."""
    return f"“{table.header_text(field)}”" if table.column(field) is not None else field
