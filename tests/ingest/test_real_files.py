"""The generic reader against real exports (bank, Alipay, WeChat): copies kept in tests/fixtures/real (PROVENANCE.md)."""
from pathlib import Path

import pytest

from recon.ingest import Field, TableSpec, parse_datetime, parse_money_fen, read_tables

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
FILES = sorted(p for p in REAL.rglob("*") if p.suffix.lower() in (".csv", ".xls", ".xlsx"))

STATEMENT_SPEC = TableSpec(
    fields=(
        # Banks split date and time into two columns; the date one must win there.
        Field("booked_at", ("交易日期", "记账日期", "记账日", "交易时间"), required=True),
        Field(
            "amount",
            ("金额", "交易金额", "记账金额(支出)", "记账金额(收入)", "存入金额", "取出金额", "支出", "收入"),
            required=True,
        ),
        Field("counterparty", ("交易对方", "对手信息", "对方户名", "交易对手名称", "对方账户名")),
        Field("direction", ("收/支",)),
    )
)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_generic_reader_opens_real_exports(path):
    assert len(FILES) == 9
    tables = read_tables(path, path.name, STATEMENT_SPEC)
    assert tables.format == {".csv": "csv", ".xls": "xls", ".xlsx": "xlsx"}[path.suffix.lower()]
    assert tables.tables
    for table in tables.tables:
        assert table.header.complete
        assert len(table.data) > 0
        amounts, bad_amounts = parse_money_fen(table.column("amount"))
        assert amounts.notna().any()
        # Amount columns hold amounts; only footers or notes under the table may fail.
        assert bad_amounts.sum() <= 2, table.data[table.header.columns["amount"]][bad_amounts].tolist()
        dates, _bad = parse_datetime(table.column("booked_at"))
        assert dates.notna().any()


def test_real_exports_known_values():
    alipay = read_tables(REAL / "alipay/example-alipay-records.csv", "alipay.csv", STATEMENT_SPEC)
    assert alipay.encoding == "gb18030"
    table = alipay.tables[0]
    assert table.header_row == 25
    assert parse_money_fen(table.column("amount"))[0][0] == 4974

    wechat_csv = read_tables(REAL / "wechat/example-wechat-records.csv", "wechat.csv", STATEMENT_SPEC).tables[0]
    wechat_xlsx = read_tables(REAL / "wechat/example-wechat-records.xlsx", "wechat.xlsx", STATEMENT_SPEC).tables
    assert wechat_csv.header_row == 17
    assert wechat_csv.header.units["amount"] == "yuan"
    for table in (wechat_csv, *wechat_xlsx):
        assert parse_money_fen(table.column("amount"))[0][0] == 2816
