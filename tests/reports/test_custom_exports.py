"""Custom report downloads: Excel (formats, frozen header, autofilter, totals, no formula from data), CSV, PDF."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pypdf
import pytest
from django.urls import reverse

from reports.custom import report_csv, report_pdf, report_run, report_xlsx

from .custom_data import known  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

BY_COURIER_MONTH = {"source": "discrepancies", "dimensions": ["counterparty", "month"],
                    "measures": ["count", "at_stake"], "filters": {"kind": ["courier_fee"]}}


@pytest.fixture
def hostile_shop(db):
    """Orders of a shop whose name, from an uploaded file, starts with "=": it must stay text in every download."""
    from orders.models import Order, Platform

    platform, _ = Platform.objects.get_or_create(code="TMALL", defaults={"name": "天猫"})
    for no, shop, amount in (("A1", '=HYPERLINK("http://x","y")', "12.50"), ("A2", "旗舰店", "30.00")):
        Order.objects.create(platform=platform, order_no=no, shop=shop, status="completed", order_amount=Decimal(amount))
    return {"source": "orders", "dimensions": ["shop"], "measures": ["count", "sales"], "filters": {}}


def test_xlsx_header_formats_totals_frozen_and_filtered(known):
    book = openpyxl.load_workbook(io.BytesIO(report_xlsx(report_run(BY_COURIER_MONTH))))
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["对账方", "发生月份", "数量", "涉及金额"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2, max_row=4)] == [
        ["YTO", "2026-10", 2, 10], ["ZTO", "2026-10", 3, 15.5], ["ZTO", "2026-11", 1, 2.25]]
    assert sheet["D2"].number_format == "¥#,##0.00" and sheet["C2"].number_format == "#,##0"
    assert [c.value for c in sheet[5]] == ["合计", None, "=SUM(C2:C4)", "=SUM(D2:D4)"]
    assert sheet["D5"].number_format == "¥#,##0.00"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D4"


def test_a_cell_from_a_file_starting_with_equals_stays_text(hostile_shop):
    result = report_run(hostile_shop)
    sheet = openpyxl.load_workbook(io.BytesIO(report_xlsx(result))).active
    cell = sheet["A2"]
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"
    rows = list(csv.reader(io.StringIO(report_csv(result).decode("utf-8-sig"))))
    assert rows[1] == ["'=HYPERLINK(\"http://x\",\"y\")", "1", "12.50"]


def test_csv_has_a_bom_header_rows_and_totals(known):
    body = report_csv(report_run(BY_COURIER_MONTH))
    assert body.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(body.decode("utf-8-sig")))) == [
        ["对账方", "发生月份", "数量", "涉及金额"], ["YTO", "2026-10", "2", "10.00"], ["ZTO", "2026-10", "3", "15.50"],
        ["ZTO", "2026-11", "1", "2.25"], ["合计", "", "6", "27.75"]]


def test_pdf_has_the_chinese_headers_and_the_figures(known):
    pdf = report_pdf(report_run(BY_COURIER_MONTH), title="十月差异")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for expected in ("十月差异", "对账方", "涉及金额", "¥15.50", "¥27.75"):
        assert expected in text


def test_download_links_of_a_saved_report(client, finance_user, known):
    from reports.custom_services import saved_report_save

    report = saved_report_save(user=finance_user, name="导出", definition=BY_COURIER_MONTH)
    client.force_login(finance_user)
    url = reverse("custom-report-saved-export", args=[report.pk])
    xlsx = client.get(url, {"format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(url, {"format": "csv"}).content.startswith(b"\xef\xbb\xbf")
    assert client.get(url, {"format": "pdf"}).content.startswith(b"%PDF")
    assert client.get(url, {"format": "doc"}).status_code == 400
