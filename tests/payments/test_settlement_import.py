"""import_settlements and the file import service: counts, the set-based write, duplicates, rejected rows, bad files."""
import io
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orders.models import Platform
from payments.models import SettlementLine
from payments.settlement_services import settlement_file_import
from recon.sources.models import RejectedRow, SourceFile

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = FIXTURES / "payments" / "settlements"
REAL = FIXTURES / "real"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def run(path, platform="TMALL", *extra) -> dict:
    out = io.StringIO()
    call_command("import_settlements", str(path), "--platform", platform, "--json", *extra, stdout=out)
    return json.loads(out.getvalue())


def amounts(**filters) -> list[tuple]:
    rows = SettlementLine.objects.filter(**filters).order_by("source_id", "row_no", "settlement_id")
    return list(rows.values_list("settlement_id", "business_type", "amount"))


@pytest.mark.parametrize("name, platform, expected, data_rows", [
    ("alipay-account-detail-2026-10.csv", "TMALL", {"rows": 6, "rejected": 1, "duplicates": 0}, 7),
    ("wechat-merchant-bill-2026-10.csv", "WXSHOP", {"rows": 3, "rejected": 0, "duplicates": 0}, 3),
    ("jd-ledger-income-expense.csv", "JD", {"rows": 5, "rejected": 0, "duplicates": 0}, 5),
    ("pdd-ledger-signed.csv", "PDD", {"rows": 5, "rejected": 0, "duplicates": 0}, 5),
    ("douyin-ledger-flagged.csv", "DOUYIN", {"rows": 4, "rejected": 1, "duplicates": 0}, 5),
])
def test_each_layout_imports_with_its_counts_and_again_as_all_duplicates(name, platform, expected, data_rows):
    first = run(FILES / name, platform)
    source = SourceFile.objects.get()
    assert first == {"file_id": source.pk, **expected}
    assert list(first) == ["file_id", "rows", "rejected", "duplicates"]
    assert first["rows"] + first["rejected"] + first["duplicates"] == data_rows
    assert (source.file_kind, source.line_count, source.rejected_count) == ("settlement", expected["rows"], expected["rejected"])
    lines = SettlementLine.objects.count()
    # The same bytes again: the earlier file, every line it gave now a duplicate, nothing written.
    again = run(FILES / name, platform)
    assert again == {"file_id": source.pk, "rows": 0, "rejected": expected["rejected"], "duplicates": expected["rows"]}
    assert (SourceFile.objects.count(), SettlementLine.objects.count()) == (1, lines)


def test_alipay_account_detail_lines_as_stored():
    run(FILES / "alipay-account-detail-2026-10.csv", "TMALL", "--shop", "天猫旗舰店")
    line = SettlementLine.objects.get(settlement_id="20261001110070001507")
    assert (line.platform.code, line.shop, line.order_no, line.trade_no, line.business_type, line.business_type_raw,
            line.amount, line.balance, line.remark, line.row_no) == (
        "TMALL", "天猫旗舰店", "T202610010001", "2026100122001412345678901234", "fee", "收费", Decimal("-1.79"),
        Decimal("10297.21"), "服务费[2026100122001412345678901234]", 7)
    assert line.occurred_at == datetime(2026, 10, 1, 10, 12, 31, tzinfo=SHANGHAI)
    assert amounts() == [
        ("20261001110070001506", "payment", Decimal("299.00")), ("20261001110070001507", "fee", Decimal("-1.79")),
        ("20261003110070001733", "payment", Decimal("1099.00")), ("20261005110070001890", "refund", Decimal("-299.00")),
        ("20261008110070002001", "withdrawal", Decimal("-10000.00")), ("20261009110070002102", "other", Decimal("-50.00")),
    ]
    assert list(RejectedRow.objects.values_list("row_no", "reason_code", "reason")) == [
        (12, "amount_in_invalid", "收入“abc”不是有效金额")]


def test_wechat_merchant_bill_a_later_file_adds_only_the_refund_row(tmp_path):
    full = (FILES / "wechat-merchant-bill-2026-10.csv").read_text(encoding="utf-8").splitlines()
    early = tmp_path / "wechat-early.csv"
    early.write_text("\n".join(full[:3]) + "\n", encoding="utf-8")  # the header and the two payments
    assert run(early, "WXSHOP") == {"file_id": SourceFile.objects.get().pk, "rows": 2, "rejected": 0, "duplicates": 0}
    # The full bill: its two payment rows (and their fees) are there already; the refund row gives two new lines.
    result = run(FILES / "wechat-merchant-bill-2026-10.csv", "WXSHOP")
    assert (result["rows"], result["rejected"], result["duplicates"]) == (1, 0, 2)
    assert amounts() == [
        ("4200001234202610021234567890-F", "fee", Decimal("-0.77")),
        ("4200001234202610021234567890-P", "payment", Decimal("128.00")),
        ("4200001234202610031234567891-F", "fee", Decimal("-0.36")),
        ("4200001234202610031234567891-P", "payment", Decimal("59.90")),
        ("4200001234202610021234567890-F50300001234202610051234567", "fee", Decimal("0.77")),
        ("4200001234202610021234567890-R50300001234202610051234567", "refund", Decimal("-128.00")),
    ]


def test_the_same_lines_in_other_bytes_are_duplicates_and_on_another_platform_new_lines(tmp_path):
    run(FILES / "pdd-ledger-signed.csv", "PDD")
    # Other bytes, the same lines (as when a clerk saves the export again): every row a duplicate.
    again = tmp_path / "pdd-again.csv"
    again.write_bytes((FILES / "pdd-ledger-signed.csv").read_bytes() + b"\r\n")
    assert run(again, "PDD") == {"file_id": SourceFile.objects.order_by("id").last().pk, "rows": 0, "rejected": 0,
                                 "duplicates": 5}
    other = tmp_path / "pdd-as-douyin.csv"
    other.write_bytes((FILES / "pdd-ledger-signed.csv").read_bytes() + b"\r\n\r\n")
    assert run(other, "DOUYIN")["rows"] == 5
    assert (SettlementLine.objects.filter(platform__code="PDD").count(),
            SettlementLine.objects.filter(platform__code="DOUYIN").count()) == (5, 5)


def test_a_serial_twice_in_one_file_is_imported_once(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("流水号,发生时间,业务类型,金额\nA1,2026-10-01 10:00,货款,10.00\nA1,2026-10-01 10:00,货款,10.00\n"
                    "A2,2026-10-01 11:00,佣金,-1.00\n", encoding="utf-8")
    assert run(path, "JD") == {"file_id": SourceFile.objects.get().pk, "rows": 2, "rejected": 0, "duplicates": 1}
    assert amounts() == [("A1", "payment", Decimal("10.00")), ("A2", "fee", Decimal("-1.00"))]


ALIPAY_PERSONAL_TOTAL = Decimal("222264.23")
WECHAT_PERSONAL_TOTAL = Decimal("21002.25")


def test_real_alipay_personal_export_every_row_imports_and_again_nothing_new():
    result = run(REAL / "alipay" / "example-alipay-records.csv", "TAOBAO")
    assert (result["rows"], result["rejected"], result["duplicates"]) == (10, 0, 0)
    lines = SettlementLine.objects.filter(platform__code="TAOBAO")
    assert lines.count() == 10
    assert sum(lines.values_list("amount", flat=True)) == ALIPAY_PERSONAL_TOTAL
    assert sorted(lines.filter(settlement_id__startswith="xxxx").values_list("settlement_id", "amount")) == [
        ("xxxx", Decimal("82.00")), ("xxxx#2", Decimal("-9.90")), ("xxxx#3", Decimal("-82.00"))]


def test_real_wechat_personal_exports_every_row_imports_and_the_workbook_then_brings_nothing_new():
    result = run(REAL / "wechat" / "example-wechat-records.csv", "WXSHOP")
    assert (result["rows"], result["rejected"], result["duplicates"]) == (27, 0, 0)
    lines = SettlementLine.objects.filter(platform__code="WXSHOP")
    assert lines.count() == 27
    assert sum(lines.values_list("amount", flat=True)) == WECHAT_PERSONAL_TOTAL
    assert lines.filter(trade_no="3985734").count() == 8
    # The same bill as a workbook holding it twice: 54 data rows, every one already imported.
    again = run(REAL / "wechat" / "example-wechat-records.xlsx", "WXSHOP")
    assert (again["rows"], again["rejected"], again["duplicates"]) == (0, 0, 54)
    assert lines.count() == 27


def test_a_file_of_no_known_layout_is_refused_in_chinese_and_writes_nothing(media):
    with pytest.raises(CommandError) as exc:
        run(REAL / "cn_bank" / "cmb-debit-records.csv", "TMALL")
    assert str(exc.value).startswith("header_not_found: “cmb-debit-records.csv”不是可读取的结算文件：未找到以下任一格式的表头行："
                                     "微信支付商户账单、支付宝账务明细、支付宝个人交易明细、微信支付个人账单明细、")
    assert (SourceFile.objects.count(), SettlementLine.objects.count(), RejectedRow.objects.count()) == (0, 0, 0)
    assert [p for p in Path(media).rglob("*") if p.is_file()] == []


def test_an_unknown_platform_is_refused():
    with pytest.raises(CommandError) as exc:
        run(FILES / "pdd-ledger-signed.csv", "AMAZON")
    assert str(exc.value) == ("platform_unknown: 未知平台“AMAZON”：请使用 DOUYIN, JD, KUAISHOU, OWN, PDD, TAOBAO, TMALL, "
                              "WXSHOP 之一。")


def test_the_platform_may_be_named_by_its_chinese_name():
    result = settlement_file_import(file=str(FILES / "pdd-ledger-signed.csv"), platform=Platform.objects.get(name="拼多多"))
    assert (result.rows, result.format) == (5, "ledger")
    assert run(FILES / "jd-ledger-income-expense.csv", "京东")["rows"] == 5


def test_a_failed_write_leaves_nothing(monkeypatch, media):
    from payments import settlement_services

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(settlement_services, "rejected_rows_save", broken)
    with pytest.raises(RuntimeError):
        run(FILES / "alipay-account-detail-2026-10.csv", "TMALL")
    assert (SourceFile.objects.count(), SettlementLine.objects.count()) == (0, 0)
