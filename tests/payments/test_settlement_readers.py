"""The settlement readers on hand-written files of every layout and on the real personal exports: exact lines."""
from pathlib import Path

import openpyxl
import pytest

from payments.settlement_readers import read_settlements
from recon.ingest import IngestError

HERE = Path(__file__).resolve().parent.parent / "fixtures"
FILES = HERE / "payments" / "settlements"
REAL = HERE / "real"


def lines(parsed, *columns):
    return [tuple(r) for r in parsed.frame[list(columns)].itertuples(index=False)]


def test_alipay_account_detail_gbk_tabs_preamble_and_footer():
    parsed = read_settlements(FILES / "alipay-account-detail-2026-10.csv", "账务明细.csv")
    assert (parsed.info["settlement_format"], parsed.info["encoding"]) == ("alipay_merchant", "gb18030")
    # Seven rows between the '#' preamble and the '#' footer; the four footer lines are no data and no rejection.
    assert (parsed.info["data_rows"], parsed.info["footer_rows"], len(parsed.frame), len(parsed.rejected)) == (7, 4, 6, 1)
    assert lines(parsed, "settlement_id", "trade_no", "order_no", "business_type", "business_type_raw", "amount_fen",
                 "balance_fen", "row_no") == [
        ("20261001110070001506", "2026100122001412345678901234", "T202610010001", "payment", "在线支付", 29900, 1029900, 6),
        ("20261001110070001507", "2026100122001412345678901234", "T202610010001", "fee", "收费", -179, 1029721, 7),
        ("20261003110070001733", "2026100322001412345678905678", "T202610030002", "payment", "交易付款", 109900, 1139621, 8),
        ("20261005110070001890", "2026100122001412345678901234", "T202610010001", "refund", "交易退款", -29900, 1109721, 9),
        ("20261008110070002001", "", "", "withdrawal", "提现", -1000000, 109721, 10),
        ("20261009110070002102", "2026100922001412345678909999", "", "other", "保证金冻结", -5000, 104721, 11),
    ]
    assert str(parsed.frame["occurred_at"].iat[0]) == "2026-10-01 10:12:30"
    assert parsed.frame["counterparty_name"].tolist()[:2] == ["buy***@163.com", ""]
    assert parsed.rejected[["row_no", "reason_code", "reason"]].values.tolist() == [
        [12, "amount_in_invalid", "收入“abc”不是有效金额"]]


def test_wechat_merchant_bill_backticks_one_row_several_lines_and_totals_block():
    parsed = read_settlements(FILES / "wechat-merchant-bill-2026-10.csv", "wechat.csv")
    assert parsed.info["settlement_format"] == "wechat_merchant"
    # Three rows; the totals block (总交易单数 … and the figures under it) is neither data nor rejected.
    assert (parsed.info["data_rows"], parsed.info["footer_rows"], len(parsed.rejected)) == (3, 2, 0)
    assert lines(parsed, "settlement_id", "order_no", "trade_no", "business_type", "amount_fen", "row_no") == [
        ("4200001234202610021234567890-P", "W202610020001", "4200001234202610021234567890", "payment", 12800, 2),
        ("4200001234202610021234567890-F", "W202610020001", "4200001234202610021234567890", "fee", -77, 2),
        ("4200001234202610031234567891-P", "W202610030002", "4200001234202610031234567891", "payment", 5990, 3),
        ("4200001234202610031234567891-F", "W202610030002", "4200001234202610031234567891", "fee", -36, 3),
        ("4200001234202610021234567890-R50300001234202610051234567", "W202610020001", "4200001234202610021234567890",
         "refund", -12800, 4),
        ("4200001234202610021234567890-F50300001234202610051234567", "W202610020001", "4200001234202610021234567890",
         "fee", 77, 4),
    ]
    assert str(parsed.frame["occurred_at"].iat[4]) == "2026-10-05 16:20:00"


def test_ledger_with_income_and_expense_columns_expense_signed_either_way():
    parsed = read_settlements(FILES / "jd-ledger-income-expense.csv", "jd.csv")
    assert (parsed.info["settlement_format"], parsed.info["totals_rows"], len(parsed.rejected)) == ("ledger", 1, 0)
    # 佣金 9.40 and 售后退款 -59.00 sit in the expense column: both are money out.
    assert lines(parsed, "settlement_id", "order_no", "business_type", "amount_fen", "balance_fen") == [
        ("JD2026100100001", "JD300012345601", "payment", 18800, 518800),
        ("JD2026100100002", "JD300012345601", "fee", -940, 517860),
        ("JD2026100400003", "JD300012345602", "refund", -5900, 511960),
        ("JD2026100700004", "", "withdrawal", -200000, 311960),
        ("JD2026100900005", "", "other", 1250, 313210),
    ]
    assert parsed.frame["business_type_raw"].iat[4] == "广告推广返利"
    assert str(parsed.frame["occurred_at"].iat[3]) == "2026-10-07 16:45:00"


def test_ledger_with_one_signed_amount_in_gbk():
    parsed = read_settlements(FILES / "pdd-ledger-signed.csv", "pdd.csv")
    assert (parsed.info["settlement_format"], parsed.info["encoding"]) == ("ledger", "gb18030")
    assert lines(parsed, "settlement_id", "order_no", "business_type", "amount_fen") == [
        ("PDD202610020001", "261002-123456789012345", "payment", 7990),
        ("PDD202610020002", "261002-123456789012345", "fee", -48),
        ("PDD202610060003", "261002-123456789012345", "refund", -7990),
        ("PDD202610080004", "", "withdrawal", -90000),
        ("PDD202610090005", "", "other", 300),
    ]


def test_ledger_with_an_amount_and_an_income_or_expense_flag():
    parsed = read_settlements(FILES / "douyin-ledger-flagged.csv", "douyin.csv")
    assert lines(parsed, "settlement_id", "business_type", "amount_fen") == [
        ("DY7301000000001", "payment", 6600),
        ("DY7301000000002", "fee", -330),
        ("DY7301000000003", "refund", -2500),
        ("DY7301000000004", "withdrawal", -50000),
    ]
    assert parsed.rejected[["row_no", "reason_code"]].values.tolist() == [[7, "direction_invalid"]]


def test_kuaishou_xlsx_ledger_and_business_type_variants(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["快手小店账单"], ["账务流水号", "订单编号", "入账时间", "账务类型", "金额", "备注"],
                ["KS001", "2026100100001", "2026-10-01 08:00:00", "货款", 88.8, ""],
                ["KS002", "2026100100001", "2026-10-01 08:00:00", "平台服务费", -4.44, ""],
                ["KS003", "2026100100001", "2026-10-02 08:00:00", "佣金", -8.88, ""],
                ["KS004", "", "2026-10-03 08:00:00", "转账到银行卡", -75.48, ""],
                ["KS005", "", "2026-10-04 08:00:00", "神秘款项", 1, "平台说明"]):
        sheet.append(row)
    path = tmp_path / "kuaishou.xlsx"
    book.save(path)
    parsed = read_settlements(path, "kuaishou.xlsx")
    assert lines(parsed, "settlement_id", "business_type", "business_type_raw", "amount_fen", "row_no") == [
        ("KS001", "payment", "货款", 8880, 3), ("KS002", "fee", "平台服务费", -444, 4), ("KS003", "fee", "佣金", -888, 5),
        ("KS004", "withdrawal", "转账到银行卡", -7548, 6), ("KS005", "other", "神秘款项", 100, 7),
    ]


def test_real_alipay_personal_export_every_row_with_stable_unique_ids():
    parsed = read_settlements(REAL / "alipay" / "example-alipay-records.csv", "alipay.csv")
    assert (parsed.info["settlement_format"], parsed.info["encoding"], len(parsed.rejected)) == ("alipay_personal", "gb18030", 0)
    assert lines(parsed, "settlement_id", "business_type", "amount_fen", "row_no") == [
        ("202302xxxxxx0011000103xxxxxx", "other", -4974, 26),
        ("2xxxxxxxxxxxxxx0", "other", -2000, 27),
        # 不计收支 rows are money in unless they are a withdrawal or a fee.
        ("2xxxxxxxxxxxxxxxx8", "refund", 1603, 28),
        ("2xxxxxxxxxxxxxxxxxxxxxxxxxx8", "other", 9934, 29),
        ("2xxxxxxxxxxxxxxxxxxxxxxxxx9", "other", 22222850, 30),
        ("xxxx", "other", 8200, 31),
        ("2023xxxxx88_2023xx57", "refund", 5000, 32),
        ("2023xxxxx88", "other", -5000, 33),
        ("xxxx#2", "other", -990, 34),
        ("xxxx#3", "other", -8200, 35),
    ]
    # The ID followed by a tab and the padded blanks are read as written.
    assert parsed.frame["trade_no"].tolist()[8:] == ["xxxx", "xxxx"]
    assert parsed.frame["order_no"].tolist()[:4] == ["20230xxxxxxx014741014xxxxxx", "Txxxxxxxxxxxxx0", "20xxxxxxxxxxxxxxxx5", ""]


WECHAT_AMOUNTS = [-2816, 35, -1200, -50000, 2300, 200000, -10010, -1010, -100110, 54858, 1000000, 300000, 263478, 123,
                  550500, 130000, -224346, -1200, -1200, 7, 7, -3699, 500, -990, -5000, -1, -1]


@pytest.mark.parametrize("name", ["example-wechat-records.csv", "example-wechat-records.xlsx"])
def test_real_wechat_personal_export_repeated_ids_numbered_per_sheet(name):
    parsed = read_settlements(REAL / "wechat" / name, name)
    sheets = 1 if name.endswith(".csv") else 2  # the workbook holds the same bill twice
    assert (parsed.info["settlement_format"], len(parsed.frame), len(parsed.rejected)) == ("wechat_personal", 27 * sheets, 0)
    first = parsed.frame.iloc[:27]
    assert first["amount_fen"].tolist() == WECHAT_AMOUNTS
    assert first["settlement_id"].tolist()[:6] == ["3985734", "3985734#2", "3985734#3", "3985734#4", "3985734#5", "3985734#6"]
    assert first["settlement_id"].tolist()[17:19] == ["3985734#7", "3985734#8"]
    assert first["settlement_id"].tolist()[23:] == ["123456", "123456#2", "4200002168202406076349888061",
                                                    "4200002168202406076349888061#2"]
    assert first["settlement_id"].is_unique
    assert first["business_type"].tolist()[4:9] == ["payment", "other", "withdrawal", "withdrawal", "withdrawal"]
    if sheets == 2:
        assert parsed.frame.iloc[27:]["settlement_id"].tolist() == first["settlement_id"].tolist()


def test_a_file_of_no_settlement_layout_is_refused_naming_the_layouts_read():
    with pytest.raises(IngestError) as exc:
        read_settlements(REAL / "cn_bank" / "cmb-debit-records.csv", "cmb.csv")
    assert exc.value.code == "header_not_found"
    assert exc.value.message == (
        "“cmb.csv”不是可读取的结算文件：未找到以下任一格式的表头行：微信支付商户账单、支付宝账务明细、支付宝个人交易明细、"
        "微信支付个人账单明细、含流水号（账务流水号/流水号）、时间（入账时间/发生时间）和金额（收入金额与支出金额、金额，"
        "或金额加收支类型）的结算流水。"
    )


def test_a_ledger_without_an_amount_column_is_not_read_as_one(tmp_path):
    path = tmp_path / "no-amount.csv"
    path.write_text("流水号,发生时间,业务类型\nA1,2026-10-01 10:00,货款\n", encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        read_settlements(path, "no-amount.csv")
    assert exc.value.code == "header_not_found"


def test_rejected_rows_name_the_reason_and_keep_the_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "流水号,发生时间,业务类型,金额\n"
        "A1,2026-10-01 10:00,货款,10.00\n"
        ",2026-10-01 10:00,货款,10.00\n"
        "A3,昨天,货款,10.00\n"
        "A4,2026-10-01 10:00,货款,\n"
        "1.23457E+19,2026-10-01 10:00,货款,1\n",
        encoding="utf-8")
    parsed = read_settlements(path, "bad.csv")
    assert parsed.frame["settlement_id"].tolist() == ["A1"]
    assert parsed.rejected[["row_no", "reason_code", "reason"]].values.tolist() == [
        [3, "settlement_id_missing", "账务流水号为空"],
        [4, "occurred_at_invalid", "时间“昨天”不是日期"],
        [5, "amount_missing", "金额为空"],
        [6, "settlement_id_scientific", "账务流水号“1.23457E+19”是科学计数法，数字已丢失。请在 Excel 中将该列设为文本后重新导出"],
    ]


def test_an_id_longer_than_the_column_is_refused_not_cut(tmp_path):
    long_id = "4" * 63
    path = tmp_path / "wechat-long.csv"
    path.write_text(
        "交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注\n"
        f"2026-10-01 10:00:00,二维码收款,用户A,/,收入,¥10.00,零钱,已收钱,{long_id}\t,/\t,/\n"
        f"2026-10-01 11:00:00,二维码收款,用户B,/,收入,¥20.00,零钱,已收钱,{long_id}\t,/\t,/\n"
        f"2026-10-01 12:00:00,二维码收款,用户C,/,收入,¥30.00,零钱,已收钱,{'5' * 65}\t,/\t,/\n",
        encoding="utf-8")
    parsed = read_settlements(path, "wechat-long.csv")
    assert parsed.frame[["settlement_id", "amount_fen"]].values.tolist() == [[long_id, 1000]]
    assert parsed.rejected[["row_no", "reason_code", "reason"]].values.tolist() == [
        [3, "settlement_id_too_long", f"账务流水号“{long_id}#2”超过 64 个字符"],
        [4, "settlement_id_too_long", f"账务流水号“{'5' * 65}”超过 64 个字符"],
    ]
