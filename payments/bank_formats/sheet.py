"""Bank statements exported as sheets (CSV, XLS, XLSX): Chinese banks' columns or English ones, found by the core's
header detection; one statement per sheet."""
from __future__ import annotations

import numpy as np
import pandas as pd

from recon.ingest import errors
from recon.ingest.clean import cell_text, clean_text, parse_datetime, parse_money_fen
from recon.ingest.errors import IngestError, _, gettext_noop
from recon.ingest.header import Field, TableSpec, Words
from recon.ingest.readers import SheetTable, read_tables
from recon.ingest.table import (
    classify_rows, column_or_blank, concat_rejected, first_reason, rejected_frame, sheet_info,
)

from .base import StatementData, BankFile, lines_frame

FORMAT = "sheet"

BANK_SHEET_SPEC = TableSpec(fields=(
    # A bank splits date and time into two columns; the date one must win, so time names come last.
    Field("booked_on", ("交易日期", "记账日期", "记账日", "入账日期", "交易日", "日期", "date", "booking date", "posting date",
                        "transaction date", "book date", "交易时间"), required=True,
          label=gettext_noop("Booking date"), content="date"),
    Field("value_on", ("起息日", "起息日期", "value date", "valuedate"), label=gettext_noop("Value date")),
    # An amount named in other words (入账金额, 本币金额, 原币金额) is a guess the clerk confirms: a foreign-currency
    # account shows the amount traded and the amount booked side by side, and only the clerk knows which is the line's.
    Field("amount", ("金额", "交易金额", "发生额", "收支金额", "amount", "transaction amount"), label=gettext_noop("Amount"),
          content="money", words=Words(core=("金额", "发生额", "amount"),
                                       qualifiers=("交易", "入账", "记账", "本币", "原币", "人民币", "实际", "账户", "transaction",
                                                   "booked", "booking", "posted", "local", "original", "cny", "rmb"))),
    Field("debit", ("借方发生额", "借方金额", "记账金额(支出)", "支出金额", "支出", "取出金额", "付款金额", "debit", "debit amount",
                    "withdrawal", "withdrawals", "money out", "paid out"), label=gettext_noop("Debit"), content="money"),
    Field("credit", ("贷方发生额", "贷方金额", "记账金额(收入)", "收入金额", "收入", "存入金额", "收款金额", "credit",
                     "credit amount", "deposit", "deposits", "money in", "paid in"), label=gettext_noop("Credit"),
          content="money"),
    Field("direction", ("收支", "收/支", "借贷", "借贷标志", "借贷方向", "收支类型", "收支方向", "debit/credit", "dr/cr", "cr/dr",
                        "direction", "type"), label=gettext_noop("Debit or credit")),
    Field("balance", ("余额", "账户余额", "本次余额", "联机余额", "交易后余额", "当前余额", "balance", "running balance"),
          label=gettext_noop("Balance"), content="money"),
    Field("counterparty_name", ("对方户名", "对方账户名", "对方名称", "对方单位", "对手信息", "交易对手名称", "对方户名称",
                                "收付款人名称", "partner", "payee", "payer", "counterparty", "beneficiary", "partner name"),
          label=gettext_noop("Counterparty")),
    Field("counterparty_account", ("对方账号", "对方账户", "对方卡号/账号", "对方卡号", "对方账户号", "partner account",
                                   "counterparty account", "payee account", "iban"), label=gettext_noop("Counterparty account")),
    Field("description", ("摘要", "交易摘要", "用途", "附言", "交易附言", "备注", "交易名称", "客户摘要", "交易详情", "description",
                          "label", "memo", "narrative", "details", "purpose"), label=gettext_noop("Description")),
    Field("description2", ("用途", "附言", "交易附言", "备注", "客户摘要", "label", "memo", "purpose"),
          label=gettext_noop("Description")),
    Field("ref", ("交易流水号", "流水号", "银行流水号", "交易参考号", "参考号", "日志号", "凭证号", "reference", "ref",
                  "transaction id", "bank reference"), label=gettext_noop("Reference")),
    Field("currency", ("币种", "币别", "货币", "记账币种", "currency"), label=gettext_noop("Currency")),
))

REASONS = {
    "control_character": gettext_noop(
        "Cell “%(value)s” holds a control character (shown as �), which is never typed; "
        "the file was damaged on export. Remove it and export the file again"),
    "date_missing": gettext_noop("Booking date is empty"),
    "date_invalid": gettext_noop("Booking date “%(value)s” is not a date"),
    "amount_missing": gettext_noop("The row has no amount"),
    "amount_invalid": gettext_noop("Amount “%(value)s” is not an amount"),
    "direction_invalid": gettext_noop("Debit or credit “%(value)s” is not one of 收入, 支出, 借, 贷, debit, credit"),
}
CODE_FIELDS = {"date_invalid": "booked_on", "direction_invalid": "direction"}

_DEBIT_WORDS = {"支出", "支", "借", "借方", "付", "付款", "出", "d", "dr", "debit", "out", "-"}
_CREDIT_WORDS = {"收入", "收", "贷", "贷方", "收款", "入", "c", "cr", "credit", "in", "+"}
# Cells that mean "no amount here" in the unused one of two amount columns.
_NONE_TOKENS = {"", "-", "--", "—", "/", "无"}
_CURRENCIES = {"人民币": "CNY", "人民币元": "CNY", "rmb": "CNY", "cny": "CNY", "美元": "USD", "usd": "USD", "欧元": "EUR",
               "eur": "EUR", "港币": "HKD", "hkd": "HKD"}


def _money(values: pd.Series, unit: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(fen, blank mask, invalid mask); '-' and '--' are blank: banks write them in the unused column."""
    text = cell_text(values).str.strip()
    blank = text.isin(_NONE_TOKENS).to_numpy()
    fen, bad = parse_money_fen(values.where(~blank, ""), unit="fen" if unit == "fen" else "yuan")
    return fen, blank, bad.to_numpy() & ~blank


def _text(values: pd.Series, limit: int) -> pd.Series:
    t = cell_text(values).str.normalize("NFKC").str.replace(r"\s+", " ", regex=True).str.strip()
    return t.mask(t.isin(("-", "--", "---")), "").str.slice(0, limit)


def _sheet(table: SheetTable):
    n = len(table.data)
    units = table.header.units
    booked, booked_bad = parse_datetime(column_or_blank(table, "booked_on"))
    value_on, value_bad = parse_datetime(column_or_blank(table, "value_on"))
    debit_fen = credit_fen = amount_fen = None
    missing = np.zeros(n, dtype=bool)
    invalid = np.zeros(n, dtype=bool)
    direction_bad = np.zeros(n, dtype=bool)
    # A signed amount only guessed from its words gives way to debit and credit columns named for sure.
    amount_guessed = "amount" in table.header.uncertain and (table.column("debit") is not None
                                                             or table.column("credit") is not None)
    if table.column("amount") is not None and not amount_guessed:
        amount_fen, blank, invalid = _money(table.column("amount"), units.get("amount", ""))
        missing = blank
        if table.column("direction") is not None:
            flag = cell_text(table.column("direction")).str.normalize("NFKC").str.strip().str.lower()
            debit, credit = flag.isin(_DEBIT_WORDS).to_numpy(), flag.isin(_CREDIT_WORDS).to_numpy()
            direction_bad = ~(debit | credit) & ~missing & ~invalid
            magnitude = amount_fen.abs()
            amount_fen = magnitude.where(~pd.Series(debit, index=magnitude.index), -magnitude)
    else:
        debit_fen, debit_blank, debit_bad = _money(column_or_blank(table, "debit"), units.get("debit", ""))
        credit_fen, credit_blank, credit_bad = _money(column_or_blank(table, "credit"), units.get("credit", ""))
        missing = debit_blank & credit_blank
        invalid = debit_bad | credit_bad
        # An expense column holds expenses whatever their sign.
        amount_fen = credit_fen.fillna(0).abs() - debit_fen.fillna(0).abs()
    balance_fen, balance_blank, balance_bad = _money(column_or_blank(table, "balance"), units.get("balance", ""))
    control, _control_text = table.control_rows()
    codes = first_reason(n, [
        (control, "control_character"),
        (booked.isna().to_numpy() & ~booked_bad.to_numpy(), "date_missing"),
        (booked_bad.to_numpy(), "date_invalid"),
        (invalid, "amount_invalid"),
        (missing, "amount_missing"),
        (direction_bad, "direction_invalid"),
    ])
    kinds = classify_rows(table, codes != "")
    # A note under the table ('以上数据仅供参考') has neither a date nor an amount: it is no bank line.
    note = kinds.data & booked.isna().to_numpy() & ~booked_bad.to_numpy() & missing
    kinds.blank |= note
    keep = kinds.data & (codes == "")
    reject = kinds.data & (codes != "")
    values = np.full(n, "", dtype=object)
    amount_cells = [table.column(f) for f in ("amount", "debit", "credit") if table.column(f) is not None]
    joined = pd.Series("", index=table.data.index, dtype=object)
    for cells in amount_cells:
        text = cell_text(cells).str.strip()
        joined = joined.where(text.isin(_NONE_TOKENS), joined.where(joined == "", joined + " / ") + text)
    values[codes == "amount_invalid"] = joined.to_numpy(dtype=object)[codes == "amount_invalid"]
    rejected = rejected_frame(table, reject, codes, CODE_FIELDS, values=values, reasons=REASONS)
    description = _text(column_or_blank(table, "description"), 512)
    extra = _text(column_or_blank(table, "description2"), 512)
    description = description.where(extra == "", description.where(description == "", description + " ") + extra)
    currency = _text(column_or_blank(table, "currency"), 16)
    currency = currency.str.lower().map(_CURRENCIES).fillna(currency.str.upper().where(currency.str.len() == 3, ""))
    row_nos = table.row_nos()
    # A balance the bank masked ('xx,yyyy.zz') or left out is no balance; the line itself is good.
    balance = balance_fen.where(~pd.Series(balance_bad, index=balance_fen.index))
    frame = lines_frame([])
    if keep.any():
        frame = lines_frame([
            {"ref": r, "booked_on": b.date(), "value_on": (v.date() if not pd.isna(v) else None), "amount_fen": int(a),
             "balance_fen": (None if pd.isna(bal) else int(bal)), "currency": c, "counterparty_name": name,
             "counterparty_account": acct, "description": d, "row_no": int(row)}
            for r, b, v, a, bal, c, name, acct, d, row in zip(
                clean_text(column_or_blank(table, "ref"))[keep].str.slice(0, 100), booked[keep], value_on[keep],
                amount_fen[keep], balance[keep], currency[keep],
                _text(column_or_blank(table, "counterparty_name"), 128)[keep],
                _text(column_or_blank(table, "counterparty_account"), 64)[keep], description[keep], row_nos[keep])
        ])
    facts = {"balance_unreadable": int((balance_bad & keep).sum())}
    return frame, rejected, kinds, int(kinds.data.sum()), facts


def read(path, filename: str, overrides: dict | None = None) -> BankFile:
    """Every sheet whose header names a booking date and an amount (one signed, with a flag, or debit and credit).

    `overrides` names the header of a field's column (the upload page's column chooser, or an account's remembered one).
    """
    tables = read_tables(path, filename, BANK_SHEET_SPEC, overrides or None)
    statements, rejected, sheets = [], [], []
    totals = blank_rows = unreadable = 0
    for table in tables.tables:
        cols = table.header.columns
        if "amount" not in cols and not ({"debit", "credit"} & set(cols)):
            continue
        frame, rej, kinds, n_rows, facts = _sheet(table)
        statements.append(StatementData(format=FORMAT, lines=frame, statement_ref=table.name[:64]))
        rejected.append(rej)
        sheets.append(sheet_info(table, n_rows))
        totals += int(kinds.totals.sum())
        blank_rows += int(kinds.blank.sum())  # notes under the table included
        unreadable += facts["balance_unreadable"]
    if not statements:
        raise IngestError(errors.HEADER_NOT_FOUND, _(
            "Header not found in “%(filename)s”: a bank statement needs a date column and an amount column (金额, or "
            "借方发生额 and 贷方发生额; Amount, or Debit and Credit).") % {"filename": filename})
    rejected = concat_rejected(rejected)
    if all(s.lines.empty for s in statements) and rejected.empty:
        raise IngestError(errors.NO_DATA, _("“%(filename)s” has a header but no bank lines under it.") % {"filename": filename})
    info = tables.info()
    info.update({"sheets": sheets, "totals_rows": totals, "blank_rows": blank_rows, "balance_unreadable": unreadable})
    return BankFile(format=FORMAT, statements=statements, rejected=rejected, info=info)
