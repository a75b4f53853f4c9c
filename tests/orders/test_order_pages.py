"""The orders pages: the list with its filters and exact money, the upload with its counts and rejected rows, the nav."""
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.services import orders_file_import
from orders.models import Platform
from recon.sources.models import RejectedRow, SourceFile

from .order_files import ERP, TMALL, csv_bytes

pytestmark = pytest.mark.django_db


def cells(html: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}">([^<]*)<', html)


def rows_of(html: str) -> list[list[str]]:
    rows = re.findall(r'<tr[^>]*data-testid="order-row">(.*?)</tr>', html, re.S)
    return [[re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]


def test_the_list_shows_each_order_with_exact_amounts_and_filters(client, finance_user):
    orders_file_import(file=io.BytesIO(csv_bytes(TMALL)), filename="天猫.csv", platform=Platform.objects.get(code="TMALL"))
    orders_file_import(file=io.BytesIO(csv_bytes(ERP)), filename="erp.csv")
    client.force_login(finance_user)
    html = client.get(reverse("order-list") + "?platform=TMALL&paid_from=2026-10-01&paid_to=2026-10-01").content.decode()
    assert cells(html, "order-count") == ["3"]
    assert cells(html, "order-total") == ["2,388.90"]
    assert cells(html, "refund-total") == ["110.50"]
    assert rows_of(html) == [
        [["天猫"], ["3012345678901234568"], ["某某旗舰店"], ["已完成"], ["2026-10-01", "11:01"], ["2026-10-01", "18:00"],
         ["89.00"], ["10.50"], ["SOCK-3", "×3"]],
        [["天猫"], ["3012345678901234567"], ["某某旗舰店"], ["已发货"], ["2026-10-01", "10:00"], ["2026-10-02", "15:30"],
         ["1,299.90"], ["0.00"], ["COAT-BLK-M", "×1", "SCARF-01", "×2"]],
        [["天猫"], ["3012345678901234999"], ["某某旗舰店"], ["已完成"], ["2026-10-01", "10:00"], ["2026-10-02", "10:00"],
         ["1,000.00"], ["100.00"], []],
    ]
    closed = client.get(reverse("order-list") + "?status=closed").content.decode()
    assert [r[1] for r in rows_of(closed)] == [["3700000000001"], ["3012345678901234570"]]
    assert cells(closed, "order-total") == ["20.01"]
    by_shop = client.get(reverse("order-list") + "?shop=美妆抖店&order_no=692").content.decode()
    assert [r[1] for r in rows_of(by_shop)] == [["6929876543210999999"]]


def test_the_upload_shows_the_counts_and_links_the_rejected_rows(client, finance_user):
    client.force_login(finance_user)
    rows = [*TMALL, ['="3012345678901234599"', "tb", "9.90", "等待买家付款", "", "", "", "", "某某旗舰店", "贴纸", "STK", "1"]]
    upload = SimpleUploadedFile("天猫订单.csv", csv_bytes(rows), content_type="text/csv")
    html = client.post(reverse("order-upload"), {"platform": "TMALL", "file": upload}).content.decode()
    assert (cells(html, "rows"), cells(html, "rejected"), cells(html, "duplicates")) == (["5"], ["1"], ["0"])
    source = SourceFile.objects.get(file_kind="orders")
    assert f'href="/orders/files/{source.pk}/rejected/" data-testid="rejected-link"' in html
    assert "订单状态“等待买家付款”不是已付款" in html
    page = client.get(reverse("orders-file-rejected", args=[source.pk])).content.decode()
    assert "订单状态“等待买家付款”不是已付款、待发货、已发货、卖家已发货、交易成功、已完成、已签收、交易关闭、已取消之一" in page
    assert f'href="/orders/files/{source.pk}/rejected/download/"' in page
    download = client.get(reverse("orders-file-rejected-download", args=[source.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="orders-file-{source.pk}-rejected.csv"'
    assert "order_status_invalid" in download.content.decode("utf-8-sig")
    again = client.post(reverse("order-upload"), {"platform": "TMALL",
                                                  "file": SimpleUploadedFile("副本.csv", csv_bytes(rows))}).content.decode()
    assert 'data-testid="repeated"' in again and RejectedRow.objects.count() == 1


def test_the_upload_without_a_platform_says_what_is_missing(client, finance_user):
    client.force_login(finance_user)
    html = client.post(reverse("order-upload"), {"file": SimpleUploadedFile("天猫.csv", csv_bytes(TMALL))}).content.decode()
    assert "“天猫.csv”没有“平台”列：请指明这些订单来自哪个平台（--platform 平台代码）。" in html
    assert not SourceFile.objects.exists()


def test_another_kind_of_file_has_no_orders_rejected_page(client, finance_user):
    other = SourceFile.objects.create(file="r.csv", original_filename="退货.csv", sha256="0" * 64, size_bytes=1,
                                      file_kind="return_requests")
    client.force_login(finance_user)
    assert client.get(reverse("orders-file-rejected", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("role, links", [("finance", ["订单", "上传订单", "今日发货", "上传出库/揽收"]),
                                         ("manager", ["订单", "上传订单", "今日发货", "上传出库/揽收"]),
                                         ("ops", ["订单", "今日发货"]), ("auditor", ["订单", "今日发货"])])
def test_the_nav_links_the_pages_a_role_may_use(client, user_in_role, role, links):
    client.force_login(user_in_role(role))
    html = client.get(reverse("home")).content.decode()
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
    assert [t for t in re.findall(r'href="/orders/[^"]*"[^>]*>([^<]*)<', nav)] == links
