"""Importing the three returns files: exact counts, exact stored values, re-imports that update and never double."""
import io
import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from recon.core.errors import UserFacingError
from recon.sources.models import RejectedRow, SourceFile
from returns.models import ReturnFreightLine, ReturnReceipt, ReturnRequest
from returns.services import returns_file_import

from .conftest import FREIGHT_HEADER, RECEIPT_HEADER, REQUEST_HEADER, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")

REQUESTS = [
    REQUEST_HEADER,
    ["RT1001", "SO1001", "淘宝", "旗舰店", "中通 75312345678901", "中通", "SKU-A", "2", "￥1,234.50", "待处理", "", "2026-10-03 09:30",
     "尺码不合适", "张三丰", "13812341234", "浙江省杭州市西湖区文三路1号"],
    ["RT1001", "SO1001", "淘宝", "旗舰店", "75312345678901", "ZTO", "SKU-B", "1", "59.90", "退款成功", "2026-10-04 10:00",
     "2026-10-03 09:30", "", "张三丰", "13812341234", ""],
    ["", "SO1002", "淘宝", "旗舰店", "", "", "SKU-C", "1", "10", "待处理", "", "2026-10-03", "", "", "", ""],
    ["RT1003", "SO1003", "京东", "自营", "", "", "SKU-D", "1.5", "10", "待处理", "", "2026-10-03", "", "", "", ""],
    ["RT1004", "SO1004", "京东", "自营", "", "", "SKU-E", "1", "十元", "待处理", "", "2026-10-03", "", "", "", ""],
    ["RT1005", "SO1005", "京东", "自营", "", "", "SKU-F", "1", "10", "不知道", "", "2026-10-03", "", "", "", ""],
    ["合计", "", "", "", "", "", "", "6", "1,334.40", "", "", "", "", "", "", ""],
]


def run_import(data: bytes, name: str, kind: str, courier=None):
    return returns_file_import(file=io.BytesIO(data), filename=name, kind=kind, courier=courier, user=None)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def table_counts() -> tuple[int, int, int, int, int]:
    return (ReturnRequest.objects.count(), ReturnReceipt.objects.count(), ReturnFreightLine.objects.count(),
            SourceFile.objects.count(), RejectedRow.objects.count())


def test_requests_from_a_gbk_csv_with_exact_values_and_rejected_rows():
    result = run_import(csv_bytes(REQUESTS), "售后单.csv", "requests")
    assert (result.rows, result.rejected, result.duplicates) == (2, 4, 0)
    a = ReturnRequest.objects.get(return_no="RT1001", sku="SKU-A")
    assert (a.order_no, a.platform, a.shop, a.return_waybill_raw, a.return_courier.code, a.quantity, a.refund_amount,
            a.refund_status, a.refunded_at, a.requested_at, a.reason) == (
        "SO1001", "淘宝", "旗舰店", "中通 75312345678901", "ZTO", 2, Decimal("1234.50"), "requested", None,
        local(2026, 10, 3, 9, 30), "尺码不合适")
    assert (a.buyer_name, a.buyer_phone, a.buyer_address) == ("张三丰", "13812341234", "浙江省杭州市西湖区文三路1号")
    assert (a.source_id, a.row_no) == (result.file_id, 2)
    b = ReturnRequest.objects.get(return_no="RT1001", sku="SKU-B")
    assert (b.return_waybill_no, b.refund_amount, b.refund_status, b.refunded_at) == (
        "75312345678901", Decimal("59.90"), "refunded", local(2026, 10, 4, 10, 0))
    rejected = list(RejectedRow.objects.filter(source_id=result.file_id).order_by("row_no").values_list("row_no", "reason_code"))
    assert rejected == [(4, "return_no_missing"), (5, "quantity_invalid"), (6, "refund_amount_invalid"), (7, "refund_status_invalid")]
    source = SourceFile.objects.get(pk=result.file_id)
    assert (source.file_kind, source.line_count, source.rejected_count, source.read_info["duplicates"]) == ("return_requests", 2, 4, 0)


def test_rejected_rows_keep_the_buyer_out_of_the_raw_text():
    rows = [REQUEST_HEADER, ["", "SO9", "淘宝", "店", "", "", "SKU-Z", "1", "1", "待处理", "", "2026-10-03", "", "王小明", "13912345678", "北京市"]]
    result = run_import(csv_bytes(rows), "r.csv", "requests")
    raw = RejectedRow.objects.get(source_id=result.file_id).raw
    assert "王小明" not in raw and "13912345678" not in raw and "***" in raw


def test_the_same_file_twice_is_one_import():
    first = run_import(csv_bytes(REQUESTS), "售后单.csv", "requests")
    before = table_counts()
    again = run_import(csv_bytes(REQUESTS), "售后单-副本.csv", "requests")
    assert again.as_dict() == first.as_dict() == {"file_id": first.file_id, "rows": 2, "rejected": 4, "duplicates": 0}
    assert table_counts() == before == (2, 0, 0, 1, 4)


def test_a_later_export_with_the_refund_settled_updates_the_status():
    run_import(csv_bytes(REQUESTS), "售后单.csv", "requests")
    later = [list(r) for r in REQUESTS[:3]]
    later[1][9], later[1][10] = "已退款", "2026-10-06 08:15:00"
    result = run_import(csv_bytes(later), "售后单-10月6日.csv", "requests")
    assert (result.rows, result.rejected, result.duplicates) == (1, 0, 1)
    a = ReturnRequest.objects.get(return_no="RT1001", sku="SKU-A")
    assert (a.refund_status, a.refunded_at, a.source_id, ReturnRequest.objects.count()) == (
        "refunded", local(2026, 10, 6, 8, 15), result.file_id, 2)


def test_a_blank_buyer_in_a_later_export_keeps_the_stored_one():
    run_import(csv_bytes(REQUESTS), "售后单.csv", "requests")
    later = [list(r) for r in REQUESTS[:2]]
    later[1][13:16] = ["", "138****1234", ""]
    result = run_import(csv_bytes(later), "售后单2.csv", "requests")
    assert (result.rows, result.rejected, result.duplicates) == (0, 0, 1)
    a = ReturnRequest.objects.get(return_no="RT1001", sku="SKU-A")
    assert (a.buyer_name, a.buyer_phone) == ("张三丰", "13812341234")


RECEIPTS = [
    RECEIPT_HEADER,
    ["75312345678901", "", "2026-10-08 15:00", "SKU-A", "2", "良品", "杭州仓", "王五"],
    ["75312345678901", "", "2026-10-08 15:00", "SKU-B", "", "空包", "杭州仓", "王五"],
    ["", "SO1003", "2026-10-09", "SKU-D", "1", "damaged", "杭州仓", "王五"],
    ["", "", "2026-10-09", "SKU-X", "1", "良品", "杭州仓", "王五"],
    ["75312345678902", "", "2026-10-09", "SKU-Y", "1", "发霉", "杭州仓", "王五"],
]


def test_receipts_from_an_xlsx_with_a_title_row():
    data = xlsx_bytes(RECEIPTS, title_rows=[["退货入库明细 2026年10月"]])
    result = run_import(data, "退货入库.xlsx", "receipts")
    assert (result.rows, result.rejected, result.duplicates) == (3, 2, 0)
    got = list(ReturnReceipt.objects.order_by("sku").values_list(
        "return_waybill_no", "order_no", "received_at", "sku", "quantity", "condition", "warehouse", "inspector", "receipt_key"))
    assert got == [
        ("75312345678901", "", local(2026, 10, 8, 15, 0), "SKU-A", 2, "good", "杭州仓", "王五", "w:75312345678901|SKU-A|good"),
        ("75312345678901", "", local(2026, 10, 8, 15, 0), "SKU-B", None, "empty", "杭州仓", "王五", "w:75312345678901|SKU-B|empty"),
        ("", "SO1003", local(2026, 10, 9, 0, 0), "SKU-D", 1, "damaged", "杭州仓", "王五", "o:SO1003|SKU-D|damaged"),
    ]
    rejected = list(RejectedRow.objects.filter(source_id=result.file_id).order_by("row_no").values_list("row_no", "reason_code", "reason"))
    assert [r[:2] for r in rejected] == [(6, "receipt_key_missing"), (7, "condition_invalid")]


def test_a_receipt_re_export_updates_and_never_doubles():
    run_import(csv_bytes(RECEIPTS[:4]), "入库.csv", "receipts")
    later = [list(r) for r in RECEIPTS[:4]]
    later[1][4] = "3"  # recounted
    result = run_import(csv_bytes(later, encoding="utf-8"), "入库-更新.csv", "receipts")
    assert (result.rows, result.rejected, result.duplicates) == (1, 0, 2)
    assert ReturnReceipt.objects.count() == 3
    assert ReturnReceipt.objects.get(sku="SKU-A").quantity == 3


def test_freight_repeats_are_imported(zto):
    rows = [
        FREIGHT_HEADER,
        ["75312345678901", "2026-10-07", "1.2", "8.00", "上海", "浙江省"],
        ["75312345678901", "2026-10-07", "1.2", "8.00", "上海", "浙江省"],
        ["75312345678903", "2026-10-08", "0.5", "￥６.５", "广东", ""],
        ["75312345678904", "2026-10-08", "0.5", "", "广东", ""],
    ]
    result = run_import(csv_bytes(rows), "退件运费.csv", "freight", courier=zto)
    assert (result.rows, result.rejected, result.duplicates) == (3, 1, 0)
    lines = list(ReturnFreightLine.objects.order_by("line_no").values_list(
        "courier__code", "waybill_no", "billed_at", "billed_weight_g", "fee", "origin_province", "origin_province_raw", "line_no"))
    assert lines == [
        ("ZTO", "75312345678901", local(2026, 10, 7), 1200, Decimal("8.00"), "浙江", "浙江省", 1),
        ("ZTO", "75312345678901", local(2026, 10, 7), 1200, Decimal("8.00"), "浙江", "浙江省", 2),
        ("ZTO", "75312345678903", local(2026, 10, 8), 500, Decimal("6.50"), "广东", "广东", 3),
    ]
    source = SourceFile.objects.get(pk=result.file_id)
    assert (source.file_kind, source.counterparty_id) == ("return_freight", zto.counterparty_id)
    # A later file billing the same waybill again is imported too: the reconciliation reports it.
    again = run_import(csv_bytes(rows[:2], encoding="utf-8"), "退件运费2.csv", "freight", courier=zto)
    assert (again.rows, again.rejected, again.duplicates) == (1, 0, 0)
    assert ReturnFreightLine.objects.filter(waybill_no="75312345678901").count() == 3


def test_freight_without_a_courier_is_refused():
    with pytest.raises(UserFacingError) as exc:
        run_import(csv_bytes([FREIGHT_HEADER]), "f.csv", "freight")
    assert exc.value.code == "courier_required"


@pytest.mark.parametrize("data, code", [
    (b"", "empty_file"),
    (csv_bytes([["名称", "金额"], ["a", "1"]]), "header_not_found"),
    (csv_bytes([REQUEST_HEADER]), "no_data"),
    (csv_bytes([RECEIPT_HEADER, ["7.53123E+13", "", "2026-10-08", "SKU-A", "1", "良品", "", ""],
                ["7.53123E+13", "", "2026-10-08", "SKU-B", "1", "良品", "", ""]]), "scientific_notation"),
])
def test_a_bad_file_writes_nothing(data, code):
    before = table_counts()
    kind = "receipts" if code == "scientific_notation" else "requests"
    with pytest.raises(UserFacingError) as exc:
        run_import(data, "bad.csv", kind)
    assert exc.value.code == code
    assert table_counts() == before == (0, 0, 0, 0, 0)


def test_command_json_output(capsys, zto, tmp_path):
    path = tmp_path / "售后单.csv"
    path.write_bytes(csv_bytes(REQUESTS))
    call_command("import_returns", str(path), "--kind", "requests", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out == {"file_id": SourceFile.objects.get().pk, "rows": 2, "rejected": 4, "duplicates": 0}
    assert list(out) == ["file_id", "rows", "rejected", "duplicates"]


def test_command_freight_needs_a_courier(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes([FREIGHT_HEADER, ["75312345678901", "2026-10-07", "1", "8", "", "浙江"]]))
    with pytest.raises(CommandError, match="--courier CODE is required"):
        call_command("import_returns", str(path), "--kind", "freight")


def test_command_bad_file_exits_non_zero_with_the_message_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([["名称", "金额"], ["a", "1"]]))
    with pytest.raises(CommandError) as exc:
        call_command("import_returns", str(path), "--kind", "requests", "--json")
    # manage.py prints a CommandError on stderr and exits with its return code.
    assert exc.value.returncode == 1
    assert str(exc.value).startswith("header_not_found: ")
    assert capsys.readouterr().out == ""
    assert table_counts() == (0, 0, 0, 0, 0)


def test_a_waybill_in_scientific_notation_rejects_its_row_only():
    rows = [REQUEST_HEADER,
            ["RT1", "SO1", "淘宝", "店", "7.53123E+13", "", "SKU-A", "1", "10", "待处理", "", "2026-10-03", "", "", "", ""],
            ["RT2", "SO2", "淘宝", "店", "ＺＴＯ-7531 2345 678901", "", "SKU-A", "1", "10", "待处理", "", "2026-10-03", "", "", "", ""]]
    result = run_import(csv_bytes(rows, encoding="utf-8"), "r.csv", "requests")
    assert (result.rows, result.rejected, result.duplicates) == (1, 1, 0)
    assert list(RejectedRow.objects.values_list("row_no", "reason_code", "reason")) == [
        (2, "waybill_scientific", "运单号“7.53123E+13”为科学计数法，数字已丢失。请在 Excel 中将该列设置为文本格式后重新导出文件")]
    # Full-width letters and digits, spaces and hyphens do not matter, and the courier's code typed in front goes.
    assert ReturnRequest.objects.get().return_waybill_no == "75312345678901"


@pytest.mark.parametrize("kind, rows, counts", [
    ("requests", REQUESTS, (2, 0, 0, 1, 4)),
    ("receipts", RECEIPTS, (0, 3, 0, 1, 2)),
    ("freight", [FREIGHT_HEADER, ["75312345678901", "2026-10-07", "1.2", "8.00", "上海", "浙江省"]], (0, 0, 1, 1, 0)),
])
def test_each_kind_imported_twice_is_one_import(kind, rows, counts, zto):
    data = xlsx_bytes(rows)
    first = run_import(data, "a.xlsx", kind, courier=zto if kind == "freight" else None)
    again = run_import(data, "b.xlsx", kind, courier=zto if kind == "freight" else None)
    assert again.as_dict() == first.as_dict()
    assert (again.repeated, first.repeated) == (True, False)
    assert table_counts() == counts
