"""Reading a platform's settlement file into ledger lines and rejected rows, column by column.

The layout is recognised by the header row's content, never by the file name (payments.settlement_specs.FORMATS).
Like the core's readers this module is free of Django: it runs in a forked child under the upload limits, and its
messages are translated through recon.ingest.errors.

Every line gets a `settlement_id` unique within its platform, made by these rules:
- a ledger (Alipay's account detail, JD, Pinduoduo, Douyin, Kuaishou …): the ledger serial as written (账务流水号 …);
  the same serial twice is the same line, imported once;
- WeChat Pay's merchant bill: one row gives a payment or a refund, and its fee. The payment is `<微信订单号>-P`, its fee
  `<微信订单号>-F`; a refund (交易状态 REFUND) is `<微信订单号>-R<微信退款单号>` and the fee it gives back
  `<微信订单号>-F<微信退款单号>`;
- a personal export (Alipay, WeChat): its 交易订单号 / 交易单号, which such files repeat for different lines: the
  first row of a sheet holding an ID keeps it bare, its n-th row (n ≥ 2) is `<ID>#<n>`. The same file read again gives
  the same IDs, so nothing is dropped and nothing is imported twice; a second sheet copying the first is its duplicate.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from recon.ingest import errors
from recon.ingest.clean import cell_text, clean_text, lost_digits, parse_datetime, parse_money_fen
from recon.ingest.errors import IngestError, _, gettext_noop
from recon.ingest.guard import run_isolated
from recon.ingest.readers import SheetTable, _join, read_tables
from recon.ingest.table import ParsedTable, classify_rows, column_or_blank, concat_rejected, first_reason, rejected_frame, sheet_info

from .settlement_specs import BUSINESS_TYPE_HINTS, BUSINESS_TYPES, DIRECTIONS, FORMATS, OUTGOING_TYPES, SettlementFormat

SETTLEMENT_ID_CHARS = 64

LINE_COLUMNS = [
    "settlement_id", "order_no", "trade_no", "occurred_at", "business_type", "business_type_raw", "amount_fen",
    "balance_fen", "counterparty_name", "remark", "sheet", "row_no",
]

REASONS = {
    "control_character": gettext_noop(
        "Cell “%(value)s” holds a control character (shown as �), which is never typed; "
        "the file was damaged on export. Remove it and export the file again"
    ),
    "settlement_id_missing": gettext_noop("Settlement line ID is empty"),
    "settlement_id_scientific": gettext_noop(
        "Settlement line ID “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "settlement_id_too_long": gettext_noop("Settlement line ID “%(value)s” is longer than 64 characters"),
    "order_no_scientific": gettext_noop(
        "Order number “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "occurred_at_missing": gettext_noop("Time is empty"),
    "occurred_at_invalid": gettext_noop("Time “%(value)s” is not a date"),
    "amount_missing": gettext_noop("Amount is empty"),
    "amount_invalid": gettext_noop("Amount “%(value)s” is not an amount"),
    "amount_in_invalid": gettext_noop("Income “%(value)s” is not an amount"),
    "amount_out_invalid": gettext_noop("Expense “%(value)s” is not an amount"),
    "fee_invalid": gettext_noop("Fee “%(value)s” is not an amount"),
    "refund_invalid": gettext_noop("Refund amount “%(value)s” is not an amount"),
    "balance_invalid": gettext_noop("Balance “%(value)s” is not an amount"),
    "direction_invalid": gettext_noop("Income or expense “%(value)s” is not one of 收入, 支出, 不计收支"),
}
_CODE_FIELDS = {
    "settlement_id_scientific": "settlement_id", "order_no_scientific": "order_no", "occurred_at_invalid": "occurred_at",
    "amount_invalid": "amount", "amount_in_invalid": "amount_in", "amount_out_invalid": "amount_out",
    "fee_invalid": "fee", "refund_invalid": "refund", "balance_invalid": "balance", "direction_invalid": "direction",
}
# Text the exports write for "nothing here".
_NOTHING = ("", "/", "-", "--", "—", "nan", "null", "none")


def read_settlements(path, filename: str, *, overrides: dict[str, dict] | None = None) -> ParsedTable:
    """A settlement file of any layout we read: one clean row per ledger line, and the rows refused.

    `overrides` name the header of a field's column, per layout code (the upload page's column chooser).
    """
    return run_isolated(_read, path, filename, overrides or {}, filename=filename)


def format_names() -> str:
    """The layouts read, in the reader's language, for the message that refuses a file."""
    return _join([_(f.label) for f in FORMATS])


def has_amounts(columns) -> bool:
    """A ledger needs an amount: income and expense columns, or one amount column."""
    return bool({"amount_in", "amount_out", "amount"} & set(columns))


def _read(path, filename: str, overrides: dict[str, dict] | None = None) -> ParsedTable:
    closest: dict[str, dict] = {}
    for fmt in FORMATS:
        try:
            tables = read_tables(path, filename, fmt.spec, (overrides or {}).get(fmt.code) or None)
        except IngestError as exc:
            if exc.code not in (errors.HEADER_NOT_FOUND, errors.MISNAMED_FILE):
                raise
            closest[fmt.code] = exc.details.get("headers_found", {})
            continue
        if fmt.code == "ledger":
            tables.tables = [t for t in tables.tables if _amount_layout(t)]
            if not tables.tables:
                continue
        return _parse(tables, fmt, filename)
    raise IngestError(
        errors.HEADER_NOT_FOUND,
        _("“%(filename)s” is not a settlement file we read: no header row of any of these layouts was found: %(formats)s.")
        % {"filename": filename, "formats": format_names()},
        {"formats": [f.code for f in FORMATS], "headers_found": closest.get("ledger", {}),
         "expected": FORMATS[-1].spec.expected()},
    )


def _parse(tables, fmt: SettlementFormat, filename: str) -> ParsedTable:
    frames, rejected, sheets = [], [], []
    footer_rows = totals_rows = 0
    n_data = 0
    for table in tables.tables:
        table = _without_backticks(table)
        footer = _footer(table)
        sheet = _wechat_merchant_sheet if fmt.code == "wechat_merchant" else _sheet
        frame, rej, kinds, data = sheet(table, fmt, footer)
        frames.append(frame)
        rejected.append(rej)
        sheets.append(sheet_info(table, int(data.sum())))
        n_data += int(data.sum())
        footer_rows += int((footer & ~kinds.blank).sum())
        totals_rows += int((kinds.totals & ~footer).sum())
    frame = pd.concat(frames, ignore_index=True)[LINE_COLUMNS]
    rejected = concat_rejected(rejected)
    if frame.empty and rejected.empty:
        raise IngestError(errors.NO_DATA, _("“%(filename)s” has a header but no settlement lines under it.") % {"filename": filename},
                          {"sheets": sheets})
    info = tables.info()
    info.update({"settlement_format": fmt.code, "sheets": sheets, "data_rows": n_data, "lines": int(len(frame)),
                 "footer_rows": footer_rows, "totals_rows": totals_rows})
    return ParsedTable(frame=frame, rejected=rejected, info=info)


# --------------------------------------------------------------------------- shared pieces

def _without_backticks(table: SheetTable) -> SheetTable:
    """WeChat Pay writes a backtick before every cell so that Excel keeps long numbers as text: it is not data."""
    data = table.data
    changed = False
    for col in data.columns:
        values = data[col]
        if values.dtype != object:
            continue
        quoted = np.fromiter((isinstance(v, str) and v.startswith("`") for v in values.to_numpy(dtype=object)),
                             dtype=bool, count=len(values))
        if quoted.any():
            if not changed:
                data, changed = data.copy(), True
            data.loc[quoted, col] = values[quoted].str.slice(1)
    if not changed:
        return table
    table.data = data
    return table


def _footer(table: SheetTable) -> np.ndarray:
    """Rows that are no data whatever they hold: comment lines (`#…`, dashes) and the totals block after the rows
    (WeChat's 总交易单数 … and the line of figures under it)."""
    first = cell_text(table.data[table.data.columns[0]]) if len(table.data.columns) else pd.Series(dtype=object)
    comment = first.str.match(r"^(?:#|[-—=_]{3,})").to_numpy(dtype=bool)
    block = first.str.replace(r"\s+", "", regex=True).str.match(r"^(?:总交易单数|总笔数|交易总笔数)").to_numpy(dtype=bool)
    after = np.zeros(len(first), dtype=bool)
    if block.any():
        after[int(np.flatnonzero(block)[0]):] = True
    return comment | after


def _nothing(values: pd.Series) -> pd.Series:
    return values.where(~values.str.lower().isin(_NOTHING), "")


def _text(values: pd.Series, limit: int) -> pd.Series:
    t = cell_text(values).str.normalize("NFKC").str.replace(r"\s+", " ", regex=True).str.strip()
    return _nothing(t).str.slice(0, limit)


def _ident(values: pd.Series) -> pd.Series:
    """IDs as written: without the tabs and spaces exports pad them with, and '/' for none made empty."""
    return _nothing(clean_text(values).str.replace(r"\s+", "", regex=True))


def business_types(raw: pd.Series) -> pd.Series:
    """payment/refund/fee/withdrawal/other from a platform's word (an unknown word is `other`, never a refusal)."""
    table = {word: code for code, words in BUSINESS_TYPES.items() for word in words}
    table = {k.lower().replace(" ", ""): v for k, v in table.items()}

    def one(word: str) -> str:
        key = word.lower().replace(" ", "").replace("\u3000", "")
        if key in table:
            return table[key]
        for code, hint in BUSINESS_TYPE_HINTS:
            if hint in key:
                return code
        return "other"

    codes, uniques = pd.factorize(raw.astype(str).str.normalize("NFKC").to_numpy(dtype=object), use_na_sentinel=False)
    done = np.array([one(str(u)) for u in uniques], dtype=object)
    return pd.Series(done[codes] if len(codes) else np.array([], dtype=object), index=raw.index, dtype=object)


def _directions(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(sign per row: 1, -1 or 0 for neither, invalid mask) from an income/expense flag."""
    key = raw.astype(str).str.normalize("NFKC").str.lower().str.replace(r"\s+", "", regex=True)
    sign = key.map(DIRECTIONS)
    return sign.fillna(0).astype(int).to_numpy(), sign.isna().to_numpy()


def _money(table: SheetTable, field: str) -> tuple[pd.Series, np.ndarray]:
    values, bad = parse_money_fen(column_or_blank(table, field), table.header.units.get(field) or "yuan")
    return values, bad.to_numpy()


def _amount_layout(table: SheetTable) -> str:
    cols = table.header.columns
    if "amount_in" in cols or "amount_out" in cols:
        return "in_out"
    if "amount" in cols:
        return "flagged" if "direction" in cols else "signed"
    return ""


def _data_rows(table: SheetTable, codes: np.ndarray, footer: np.ndarray):
    kinds = classify_rows(table, (codes != "") & ~footer)
    data = kinds.data & ~footer
    return kinds, data, data & (codes == ""), data & (codes != "")


def _numbered(ids: pd.Series, counted: np.ndarray) -> pd.Series:
    """The n-th row (n ≥ 2) of a sheet holding an ID gets `<ID>#<n>`; the first keeps it bare."""
    present = pd.Series(counted & (ids != "").to_numpy(), index=ids.index)
    occurrence = ids[present].groupby(ids[present], sort=False).cumcount() + 1
    out = ids.copy()
    later = occurrence[occurrence > 1]
    out.loc[later.index] = ids.loc[later.index] + "#" + later.astype(str)
    return out


# --------------------------------------------------------------------------- ledgers and personal exports

def _sheet(table: SheetTable, fmt: SettlementFormat, footer: np.ndarray):
    n = len(table.data)
    personal = fmt.code.endswith("_personal")
    id_field = "trade_no" if personal else "settlement_id"
    id_cells = column_or_blank(table, id_field)
    ids = _ident(id_cells)
    order_cells = column_or_blank(table, "order_no")
    occurred_at, occurred_bad = parse_datetime(column_or_blank(table, "occurred_at"))
    raw_type = _text(column_or_blank(table, "business_type"), 64)
    btype = business_types(raw_type)
    balance, balance_bad = _money(table, "balance")
    layout = _amount_layout(table)
    checks = []
    if layout == "in_out":
        income, in_bad = _money(table, "amount_in")
        expense, out_bad = _money(table, "amount_out")
        # An expense column holds expenses whatever sign the platform writes them with.
        amount = income.fillna(0) - expense.fillna(0).abs()
        missing = (income.isna() & expense.isna()).to_numpy() & ~in_bad & ~out_bad
        checks += [(in_bad, "amount_in_invalid"), (out_bad, "amount_out_invalid"), (missing, "amount_missing")]
    else:
        value, bad = _money(table, "amount")
        missing = value.isna().to_numpy() & ~bad
        checks += [(bad, "amount_invalid"), (missing, "amount_missing")]
        if layout == "flagged":
            sign, sign_bad = _directions(_text(column_or_blank(table, "direction"), 16))
            # Neither income nor expense (不计收支, 中性交易): the money moves as the business type does.
            by_type = np.where(btype.isin(OUTGOING_TYPES).to_numpy(), -1, 1)
            sign = np.where(sign == 0, by_type, sign)
            amount = value.abs() * sign
            checks.append((sign_bad, "direction_invalid"))
        else:
            amount = value
    control, control_text = table.control_rows()
    codes = first_reason(n, [
        (control, "control_character"),
        ((ids == "").to_numpy(), "settlement_id_missing"),
        (lost_digits(id_cells).to_numpy(), "settlement_id_scientific"),
        (lost_digits(order_cells).to_numpy(), "order_no_scientific"),
        (occurred_at.isna().to_numpy() & ~occurred_bad.to_numpy(), "occurred_at_missing"),
        (occurred_bad.to_numpy(), "occurred_at_invalid"),
        *checks,
        (balance_bad, "balance_invalid"),
    ])
    kinds, data, keep, reject = _data_rows(table, codes, footer)
    settlement_id = _numbered(ids, data) if personal else ids
    too_long = keep & (settlement_id.str.len() > SETTLEMENT_ID_CHARS).to_numpy()
    if too_long.any():
        codes = codes.copy()
        codes[too_long] = "settlement_id_too_long"
        keep, reject = keep & ~too_long, reject | too_long
    trade = ids if personal else _ident(column_or_blank(table, "trade_no"))
    frame = pd.DataFrame({
        "settlement_id": settlement_id[keep].to_numpy(dtype=object),
        "order_no": _ident(order_cells)[keep].str.slice(0, 64).to_numpy(dtype=object),
        "trade_no": trade[keep].str.slice(0, 64).to_numpy(dtype=object),
        "occurred_at": occurred_at[keep].to_numpy(dtype="datetime64[ns]"),
        "business_type": btype[keep].to_numpy(dtype=object),
        "business_type_raw": raw_type[keep].to_numpy(dtype=object),
        "amount_fen": amount[keep].astype("int64").to_numpy(),
        "balance_fen": balance[keep].array,
        "counterparty_name": _text(column_or_blank(table, "counterparty_name"), 128)[keep].to_numpy(dtype=object),
        "remark": _text(column_or_blank(table, "remark"), 255)[keep].to_numpy(dtype=object),
        "sheet": np.full(int(keep.sum()), table.name, dtype=object),
        "row_no": table.row_nos()[keep],
    })
    values = np.where(codes == "settlement_id_too_long", settlement_id.to_numpy(dtype=object), control_text)
    rejected = rejected_frame(table, reject, codes, {**_CODE_FIELDS, "settlement_id_scientific": id_field}, values, REASONS)
    return frame, rejected, kinds, data


# --------------------------------------------------------------------------- WeChat Pay's merchant bill

def _wechat_merchant_sheet(table: SheetTable, fmt: SettlementFormat, footer: np.ndarray):
    n = len(table.data)
    wx_cells = column_or_blank(table, "wechat_no")
    wx = _ident(wx_cells)
    order_cells = column_or_blank(table, "order_no")
    occurred_at, occurred_bad = parse_datetime(column_or_blank(table, "occurred_at"))
    settled, settled_bad = _money(table, "settled")
    fee, fee_bad = _money(table, "fee")
    refund, refund_bad = _money(table, "refund")
    refund_no = _ident(column_or_blank(table, "refund_no"))
    refund_no = refund_no.where(refund_no != "0", "")
    status = _text(column_or_blank(table, "status"), 32)
    control, control_text = table.control_rows()
    codes = first_reason(n, [
        (control, "control_character"),
        ((wx == "").to_numpy(), "settlement_id_missing"),
        (lost_digits(wx_cells).to_numpy(), "settlement_id_scientific"),
        (lost_digits(order_cells).to_numpy(), "order_no_scientific"),
        (occurred_at.isna().to_numpy() & ~occurred_bad.to_numpy(), "occurred_at_missing"),
        (occurred_bad.to_numpy(), "occurred_at_invalid"),
        (settled_bad, "amount_invalid"),
        (settled.isna().to_numpy() & ~settled_bad, "amount_missing"),
        (fee_bad, "fee_invalid"),
        (refund_bad, "refund_invalid"),
    ])
    kinds, data, keep, reject = _data_rows(table, codes, footer)
    refund_fen = refund.fillna(0)
    # A refund row repeats the order's amounts; its 交易状态 (or, without one, a refund amount) says what it is.
    is_refund = (status.str.upper() == "REFUND").to_numpy() | ((status == "").to_numpy() & (refund_fen != 0).to_numpy())
    fee_fen = fee.fillna(0)
    base = pd.DataFrame({
        "order_no": _ident(order_cells).str.slice(0, 64), "trade_no": wx.str.slice(0, 64),
        "occurred_at": occurred_at, "balance_fen": pd.array([pd.NA] * n, dtype="Int64"),
        "counterparty_name": "", "remark": _text(column_or_blank(table, "remark"), 255),
        "sheet": table.name, "row_no": table.row_nos(),
    }, index=table.data.index)
    suffix = np.where(is_refund, refund_no.to_numpy(dtype=object), "")
    parts = []
    pay = keep & ~is_refund
    parts.append(base[pay].assign(settlement_id=(wx + "-P")[pay], business_type="payment", business_type_raw="应结订单金额",
                                  amount_fen=settled.fillna(0)[pay].astype("int64")))
    back = keep & is_refund
    parts.append(base[back].assign(settlement_id=(wx + "-R" + suffix)[back], business_type="refund", business_type_raw="退款金额",
                                   amount_fen=-refund_fen[back].abs().astype("int64")))
    charged = keep & (fee_fen != 0).to_numpy()
    # The fee is charged on a payment (手续费 positive) and given back on a refund (手续费 negative).
    parts.append(base[charged].assign(settlement_id=(wx + "-F" + suffix)[charged], business_type="fee", business_type_raw="手续费",
                                      amount_fen=-fee_fen[charged].astype("int64")))
    frame = pd.concat(parts).sort_index(kind="stable")
    frame["occurred_at"] = frame["occurred_at"].astype("datetime64[ns]")
    frame["amount_fen"] = frame["amount_fen"].astype("int64")
    frame = frame.reset_index(drop=True)[LINE_COLUMNS]
    rejected = rejected_frame(table, reject, codes, {**_CODE_FIELDS, "settlement_id_scientific": "wechat_no",
                                                     "amount_invalid": "settled"}, control_text, REASONS)
    return frame, rejected, kinds, data
