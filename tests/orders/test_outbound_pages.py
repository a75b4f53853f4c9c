"""The outbound upload page: the counts of an outbound or pickups file, its rejected rows and their page, a refused file."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.models import OutboundRecord, PickupScan
from recon.sources.models import SourceFile

from .order_files import csv_bytes

pytestmark = pytest.mark.django_db

OUTBOUND = [
    ["出库单号", "平台单号", "运单号", "快递公司", "商品编码", "出库数量", "包裹重量(g)", "出库时间", "仓库", "收货省份"],
    ["CK001", "A1", "75312345678901", "中通快递", "S1", "1", "1250", "2026-10-02 15:30", "杭州仓", "浙江"],
    ["CK001", "A2", "75312345678901", "中通快递", "S2", "2", "1250", "2026-10-02 15:30", "杭州仓", "浙江"],
    ["CK002", "A3", "7.53123E+13", "中通快递", "S3", "1", "800", "2026-10-02 16:00", "杭州仓", "浙江"],
]


def cells(html: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}">([^<]*)<', html)


def test_an_outbound_upload_shows_the_counts_and_links_the_rejected_rows(client, finance_user):
    client.force_login(finance_user)
    upload = SimpleUploadedFile("出库单.csv", csv_bytes(OUTBOUND, "utf-8"), content_type="text/csv")
    html = client.post(reverse("outbound-upload"), {"kind": "outbound", "file": upload}).content.decode()
    assert (cells(html, "rows"), cells(html, "rejected"), cells(html, "duplicates")) == (["2"], ["1"], ["0"])
    source = SourceFile.objects.get(file_kind="outbound")
    assert f'href="/orders/outbound/files/{source.pk}/rejected/" data-testid="rejected-link"' in html
    reason = "运单号“7.53123E+13”为科学计数法，数字已丢失。请在 Excel 中将该列设置为文本格式后重新导出文件"
    assert reason in html
    assert sorted(OutboundRecord.objects.values_list("order_no", "packed_weight_g")) == [("A1", 1250), ("A2", 1250)]
    page = client.get(reverse("outbound-file-rejected", args=[source.pk])).content.decode()
    assert reason in page
    csv = client.get(reverse("outbound-file-rejected-download", args=[source.pk]))
    assert csv.status_code == 200 and "7.53123E+13" in csv.content.decode("utf-8-sig")
    again = SimpleUploadedFile("出库单.csv", csv_bytes(OUTBOUND, "utf-8"), content_type="text/csv")
    html = client.post(reverse("outbound-upload"), {"kind": "outbound", "file": again}).content.decode()
    assert cells(html, "rows") == ["2"] and 'data-testid="repeated"' in html
    assert SourceFile.objects.count() == 1


def test_a_pickups_upload_and_a_refused_file(client, finance_user):
    client.force_login(finance_user)
    form = client.get(reverse("outbound-upload") + "?kind=pickups").content.decode()
    assert re.findall(r'<input type="radio" name="kind" value="(\w+)"[^>]*checked', form) == ["pickups"]
    rows = [["运单号", "快递公司", "揽收时间", "揽收重量"], ["75312345678901", "ZTO", "2026-10-02 18:00", "1.3"]]
    upload = SimpleUploadedFile("揽收.csv", csv_bytes(rows, "utf-8"), content_type="text/csv")
    html = client.post(reverse("outbound-upload"), {"kind": "pickups", "file": upload}).content.decode()
    assert (cells(html, "rows"), cells(html, "rejected")) == (["1"], ["0"])
    assert PickupScan.objects.get().pickup_weight_g == 1300
    empty = SimpleUploadedFile("空.csv", b"", content_type="text/csv")
    html = client.post(reverse("outbound-upload"), {"kind": "pickups", "file": empty}).content.decode()
    assert "“空.csv”是空文件。" in html
    assert SourceFile.objects.filter(file_kind="pickups").count() == 1


def test_another_kinds_file_has_no_outbound_rejected_page(client, finance_user):
    client.force_login(finance_user)
    orders_file = SourceFile.objects.create(file="o.csv", original_filename="订单.csv", sha256="1" * 64, size_bytes=1,
                                            file_kind="orders")
    assert client.get(reverse("outbound-file-rejected", args=[orders_file.pk])).status_code == 404
