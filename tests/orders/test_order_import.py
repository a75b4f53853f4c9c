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
