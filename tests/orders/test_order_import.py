"""Importing orders files: every platform's layout with exact values, per-line and per-order files, orders whose rows
disagree, re-imports that update and replace lines, duplicates, the same bytes twice, and files refused whole."""
import io
import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orders.models import Order, OrderLine, Platform
from orders.services import orders_file_import
from recon.core.errors import UserFacingError
from recon.sources.models import RejectedRow, SourceFile

from .order_files import DOUYIN, ERP, JD, PDD, TMALL, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def platform(code: str) -> Platform:
    return Platform.objects.get(code=code)


def run_import(data: bytes, name: str, code: str | None = None):
    return orders_file_import(file=io.BytesIO(data), filename=name, platform=platform(code) if code else None, user=None)


def lines_of(order: Order) -> list[tuple]:
    return list(order.lines.order_by("line_no").values_list("line_no", "sku", "quantity", "line_amount"))


def counts() -> tuple[int, int, int, int]:
    return Order.objects.count(), OrderLine.objects.count(), SourceFile.objects.count(), RejectedRow.objects.count()


def rejected_of(result) -> list[tuple]:
    return list(RejectedRow.objects.filter(source_id=result.file_id).order_by("row_no").values_list("row_no", "reason_code", "reason"))


# --------------------------------------------------------------------------- each platform's layout

def test_tmall_gbk_csv_one_row_per_item():
    result = run_import(csv_bytes(TMALL), "天猫已卖出的宝贝.csv", "TMALL")
    assert result.as_dict() == {"file_id": result.file_id, "rows": 5, "rejected": 0, "duplicates": 0}
    coat = Order.objects.get(platform__code="TMALL", order_no="3012345678901234567")
    assert (coat.shop, coat.status, coat.paid_at, coat.shipped_at, coat.order_amount, coat.refund_amount, coat.source_id,
            coat.row_no) == ("某某旗舰店", "shipped", local(2026, 10, 1, 10, 0, 5), local(2026, 10, 2, 15, 30), Decimal("1299.90"),
                             Decimal("0.00"), result.file_id, 2)
    assert lines_of(coat) == [(1, "COAT-BLK-M", 1, None), (2, "SCARF-01", 2, None)]
    statuses = dict(Order.objects.values_list("order_no", "status"))
    assert statuses == {"3012345678901234567": "shipped", "3012345678901234568": "completed",
                        "3012345678901234569": "paid", "3012345678901234570": "closed"}
    socks = Order.objects.get(order_no="3012345678901234568")
    assert (socks.order_amount, socks.refund_amount, lines_of(socks)) == (Decimal("89.00"), Decimal("10.50"), [(1, "SOCK-3", 3, None)])
    assert Order.objects.get(order_no="3012345678901234569").shipped_at is None


def test_jd_xlsx_takes_what_the_buyer_paid_and_the_platform_given_at_import():
    result = run_import(xlsx_bytes(JD), "京东订单.xlsx", "JD")
    assert (result.rows, result.rejected, result.duplicates) == (3, 0, 0)
    brush = Order.objects.get(platform__code="JD", order_no="289123456789")
    assert (brush.status, brush.paid_at, brush.order_amount, brush.shop) == (
        "paid", local(2026, 10, 5, 20, 1, 10), Decimal("349.00"), "京东自营旗舰店")
    assert lines_of(brush) == [(1, "100012345678", 1, None), (2, "100012345679", 2, None)]
    floss = Order.objects.get(order_no="289123456790")
    assert (floss.status, floss.order_amount, lines_of(floss)) == ("completed", Decimal("45.50"), [(1, "100012345680", 5, None)])


def test_pinduoduo_utf8_csv_one_row_per_order_with_its_item():
    result = run_import(csv_bytes(PDD, "utf-8-sig"), "拼多多订单.csv", "PDD")
    assert (result.rows, result.rejected, result.duplicates) == (3, 0, 0)
    tissue = Order.objects.get(platform__code="PDD", order_no="261005-123456789012345")
    assert (tissue.status, tissue.paid_at, tissue.shipped_at, tissue.order_amount, tissue.refund_amount) == (
        "shipped", local(2026, 10, 5, 12), local(2026, 10, 6, 9), Decimal("34.90"), Decimal("0.00"))
    assert lines_of(tissue) == [(1, "TISSUE-10", 2, None)]
    assert dict(Order.objects.values_list("order_no", "status")) == {
        "261005-123456789012345": "shipped", "261005-123456789012346": "completed", "261005-123456789012347": "closed"}


def test_douyin_xlsx_main_order_numbers_padded_with_tabs():
    result = run_import(xlsx_bytes(DOUYIN), "抖店订单.xlsx", "DOUYIN")
    assert (result.rows, result.rejected, result.duplicates) == (3, 0, 0)
    lipstick = Order.objects.get(platform__code="DOUYIN", order_no="6929876543210987654")
    assert (lipstick.status, lipstick.paid_at, lipstick.shipped_at, lipstick.order_amount, lipstick.shop) == (
        "shipped", local(2026, 10, 7, 20), local(2026, 10, 8, 11), Decimal("238.00"), "美妆抖店")
    assert lines_of(lipstick) == [(1, "LIP-01", 1, None), (2, "LIP-02", 1, None)]
    assert Order.objects.get(order_no="6929876543210987657").status == "paid"


def test_erp_export_one_row_per_order_names_the_platform_on_each_row():
    result = run_import(csv_bytes(ERP), "ERP订单.csv")
    assert (result.rows, result.rejected, result.duplicates) == (4, 0, 0)
    got = {(o.platform.code, o.order_no): (o.shop, o.status, o.order_amount, o.refund_amount)
           for o in Order.objects.select_related("platform")}
    assert got == {
        ("TMALL", "3012345678901234999"): ("某某旗舰店", "completed", Decimal("1000.00"), Decimal("100.00")),
        ("JD", "289123456999"): ("京东店", "shipped", Decimal("500.00"), Decimal("0.00")),
        ("DOUYIN", "6929876543210999999"): ("美妆抖店", "shipped", Decimal("88.80"), Decimal("0.00")),
        ("WXSHOP", "3700000000001"): ("视频号店", "closed", Decimal("20.00"), Decimal("20.00")),
    }
    assert OrderLine.objects.count() == 0
    source = SourceFile.objects.get(pk=result.file_id)
    assert (source.file_kind, source.line_count, source.rejected_count, source.counterparty_id) == ("orders", 4, 0, None)
    assert source.read_info["totals_rows"] == [{"sheet": "", "row_no": 6, "text": "合计"}]


# --------------------------------------------------------------------------- rows of one order, rejected rows

HEADER = ["订单号", "店铺", "订单状态", "付款时间", "实付金额", "退款金额", "商品编码", "数量", "商品金额"]


def test_rows_of_one_order_that_disagree_are_all_rejected_with_the_field_and_values():
    rows = [
        HEADER,
        ["A1", "店", "已发货", "2026-10-01 10:00", "100.00", "0", "SKU-1", "1", "60.00"],
        ["A1", "店", "已发货", "2026-10-01 10:00", "100.0", "0", "SKU-2", "1", "40.00"],
        ["B1", "店", "已发货", "2026-10-01 10:00", "100.00", "0", "SKU-1", "1", "60.00"],
        ["B1", "店", "已发货", "2026-10-01 10:00", "90.00", "0", "SKU-2", "1", "30.00"],
        ["B1", "店", "已发货", "2026-10-01 10:00", "100.00", "0", "SKU-3", "1", "10.00"],
    ]
    result = run_import(csv_bytes(rows), "orders.csv", "TMALL")
    assert (result.rows, result.rejected, result.duplicates) == (2, 3, 0)
    reason = "订单“B1”的各行在“实付金额”上不一致：“100.00”、“90.00”"
    assert rejected_of(result) == [(4, "order_rows_disagree", reason), (5, "order_rows_disagree", reason),
                                   (6, "order_rows_disagree", reason)]
    assert list(Order.objects.values_list("order_no", "order_amount")) == [("A1", Decimal("100.00"))]
    assert lines_of(Order.objects.get(order_no="A1")) == [(1, "SKU-1", 1, Decimal("60.00")), (2, "SKU-2", 1, Decimal("40.00"))]


def test_an_unknown_status_rejects_the_row_naming_the_value_and_holds_back_the_rest_of_its_order():
    rows = [
        HEADER,
        ["C1", "店", "等待买家付款", "", "10.00", "", "SKU-1", "1", ""],
        ["D1", "店", "已发货", "2026-10-01", "10.00", "", "SKU-1", "1", ""],
        ["D1", "店", "已发货", "2026-10-01", "10.00", "", "SKU-2", "一", ""],
        ["E1", "店", "已签收", "2026-10-01", "10.00", "", "SKU-1", "2", "10"],
    ]
    result = run_import(csv_bytes(rows), "orders.csv", "TMALL")
    assert (result.rows, result.rejected, result.duplicates) == (1, 3, 0)
    assert rejected_of(result) == [
        (2, "order_status_invalid", "订单状态“等待买家付款”不是已付款、待发货、已发货、卖家已发货、交易成功、已完成、已签收、交易关闭、已取消之一"),
        (3, "order_row_rejected", "订单“D1”的另一行（第 4 行）被拒收，因此该订单的各行都没有导入"),
        (4, "quantity_invalid", "数量“一”不是整数件数"),
    ]
    assert list(Order.objects.values_list("order_no", "status")) == [("E1", "completed")]


@pytest.mark.parametrize("word, status", [
    ("等待买家确认收货", "shipped"), ("待收货", "shipped"), ("已取消", "closed"), ("交易成功", "completed"),
    ("买家已付款", "paid"), ("待发货", "paid"), ("卖家已发货，等待买家确认", "shipped"), ("交易关闭", "closed"),
    ("已完成", "completed"), ("已签收", "completed"), ("已付款", "paid"), ("ＳＨＩＰＰＥＤ", "shipped"),
])
def test_status_words_of_the_platforms(word, status):
    run_import(csv_bytes([HEADER, ["S1", "店", word, "2026-10-01", "1.00", "", "SKU", "1", ""]], "utf-8"), "s.csv", "JD")
    assert Order.objects.get(order_no="S1").status == status


# --------------------------------------------------------------------------- the same orders again

def test_reimport_updates_status_and_refund_and_replaces_the_lines():
    run_import(csv_bytes(TMALL), "天猫.csv", "TMALL")
    coat = Order.objects.get(order_no="3012345678901234567")
    later = [
        TMALL[0],
        ['="3012345678901234567"', "tb_buyer1", "1,299.90", "交易成功", "2026-10-01 09:58:12", "2026-10-01 10:00:05",
         "2026-10-02 15:30:00", "300.00", "某某旗舰店", "羊毛大衣 黑色 L", "COAT-BLK-L", "1"],
        TMALL[3],
    ]
    result = run_import(csv_bytes(later), "天猫-11月.csv", "TMALL")
    assert (result.rows, result.rejected, result.duplicates) == (1, 0, 1)
    coat.refresh_from_db()
    assert (coat.status, coat.refund_amount, coat.source_id, coat.row_no) == ("completed", Decimal("300.00"), result.file_id, 2)
    assert lines_of(coat) == [(1, "COAT-BLK-L", 1, None)]
    assert Order.objects.count() == 4 and OrderLine.objects.count() == 4


def test_a_file_without_item_columns_updates_the_orders_and_leaves_their_lines():
    run_import(csv_bytes(TMALL), "天猫.csv", "TMALL")
    rows = [["平台", "订单号", "订单状态", "付款时间", "发货时间", "实付金额", "退款金额", "店铺"],
            ["TMALL", "3012345678901234567", "交易成功", "2026-10-01 10:00:05", "2026-10-02 15:30:00", "1299.90", "0", "某某旗舰店"]]
    result = run_import(csv_bytes(rows), "erp.csv")
    assert (result.rows, result.rejected, result.duplicates) == (1, 0, 0)
    coat = Order.objects.get(order_no="3012345678901234567")
    assert coat.status == "completed"
    assert lines_of(coat) == [(1, "COAT-BLK-M", 1, None), (2, "SCARF-01", 2, None)]


def test_rows_of_unchanged_orders_are_duplicates_and_every_data_row_is_counted_once():
    run_import(csv_bytes(TMALL), "天猫.csv", "TMALL")
    changed = [row[:] for row in TMALL]
    changed[3][7] = "20.00"            # the socks order: a larger refund
    changed[5][3] = "已签收"            # a closed order's status word that is no status of ours
    changed.append(['="3012345678901234571"', "tb_buyer5", "5.00", "交易成功", "", "2026-10-04 09:00:00", "", "", "某某旗舰店",
                    "贴纸", "STICKER", "1"])
    changed.append(["合计", "", "", "", "", "", "", "", "", "", "", "9"])
    result = run_import(csv_bytes(changed), "天猫-再导.csv", "TMALL")
    # rows 2-3 (the coat, unchanged) and 5 (gloves, unchanged) are duplicates; 4 (socks) and 7 (new) are written;
    # 6 changed its status from closed to completed; the totals row is no data row.
    assert (result.rows, result.rejected, result.duplicates) == (3, 0, 3)
    assert result.rows + result.rejected + result.duplicates == len(changed) - 2
    assert Order.objects.get(order_no="3012345678901234568").refund_amount == Decimal("20.00")
    assert Order.objects.count() == 5


def test_the_same_bytes_twice_is_one_import():
    first = run_import(csv_bytes(TMALL), "天猫.csv", "TMALL")
    before = counts()
    again = run_import(csv_bytes(TMALL), "天猫-副本.csv", "TMALL")
    assert again.as_dict() == first.as_dict() == {"file_id": first.file_id, "rows": 5, "rejected": 0, "duplicates": 0}
    assert again.repeated and counts() == before == (4, 5, 1, 0)


# --------------------------------------------------------------------------- files refused whole

def test_a_file_without_a_platform_column_needs_a_platform():
    with pytest.raises(UserFacingError) as caught:
        run_import(csv_bytes(TMALL), "天猫.csv")
    assert caught.value.code == "platform_required"
    assert caught.value.message == "“天猫.csv”没有“平台”列：请指明这些订单来自哪个平台（--platform 平台代码）。"
    assert counts() == (0, 0, 0, 0)


def test_a_bad_file_writes_nothing():
    with pytest.raises(UserFacingError) as caught:
        run_import(csv_bytes([["运单号", "重量"], ["75312345678901", "1.2"]]), "not-orders.csv", "JD")
    assert caught.value.code == "header_not_found"
    assert counts() == (0, 0, 0, 0)


def test_an_unknown_platform_in_the_platform_column_rejects_the_row():
    rows = [["平台", "订单号", "订单状态", "实付金额"], ["亚马逊", "Z1", "已发货", "1.00"], ["", "Z2", "已发货", "1.00"],
            ["淘宝", "Z3", "已发货", "1.00"]]
    result = run_import(csv_bytes(rows), "erp.csv")
    assert rejected_of(result) == [(2, "platform_unknown", "平台“亚马逊”不是已知的平台代码或名称"),
                                   (3, "platform_missing", "平台为空，且没有为文件指定平台")]
    assert list(Order.objects.values_list("platform__code", "order_no")) == [("TAOBAO", "Z3")]


# --------------------------------------------------------------------------- the command

def test_import_orders_command_prints_the_json_contract(tmp_path):
    path = tmp_path / "douyin.xlsx"
    path.write_bytes(xlsx_bytes(DOUYIN))
    out = io.StringIO()
    call_command("import_orders", str(path), "--platform", "douyin", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data == {"file_id": SourceFile.objects.get().pk, "rows": 3, "rejected": 0, "duplicates": 0}
    out = io.StringIO()
    call_command("import_orders", str(path), "--platform", "抖店", "--json", stdout=out)
    assert json.loads(out.getvalue()) == data


def test_import_orders_command_refuses_a_file_without_platform(tmp_path):
    path = tmp_path / "douyin.xlsx"
    path.write_bytes(xlsx_bytes(DOUYIN))
    with pytest.raises(CommandError) as caught:
        call_command("import_orders", str(path), "--json")
    assert str(caught.value) == "platform_required: “douyin.xlsx”没有“平台”列：请指明这些订单来自哪个平台（--platform 平台代码）。"
    with pytest.raises(CommandError) as caught:
        call_command("import_orders", str(path), "--platform", "AMAZON")
    assert str(caught.value) == "platform_unknown: 没有代码或名称为“AMAZON”的平台。"
    assert counts() == (0, 0, 0, 0)
