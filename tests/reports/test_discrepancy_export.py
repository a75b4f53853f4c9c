"""The discrepancy export: the CSV keeps its code columns for other tools; the Excel speaks the reader's language."""
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from tests.web.conftest import DISCREPANCIES, clerk_client, reconciled  # noqa: F401

pytestmark = pytest.mark.django_db

ZH_HEADER = [
    "运单号", "订单号", "差异类型", "状态", "涉及金额", "账单运费", "应收运费", "账单重量（克）", "我方重量（克）",
    "账单省份", "我方省份", "行号", "快递公司", "对账记录", "原因", "对账类别", "单号", "第二单号", "SKU", "对账方",
]
EN_HEADER = [
    "waybill number", "order number", "discrepancy type", "status", "amount at stake", "billed fee", "expected fee",
    "billed weight (g)", "our weight (g)", "billed province", "our province", "line", "courier", "run", "reason",
    "kind", "reference", "second reference", "SKU", "counterparty",
]
MONEY = "¥#,##0.00"


def workbook(content: bytes, *, data_only: bool = False) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content), data_only=data_only)


def export(client, fmt: str, **headers) -> bytes:
    response = client.get(reverse("discrepancy-export"), {"format": fmt}, **headers)
    assert response.status_code == 200
    return response.content


def test_csv_is_unchanged_byte_for_byte(clerk_client, reconciled):
    run = reconciled["run"].pk
    rows = [
        f"ZT99999999,,unknown_waybill,非我方运单,open,3.00,3.00,,2000,1250,浙江,上海,,ZTO,{run},unknown_waybill on ZT99999999,courier_fee,ZT99999999,,,ZTO",
        f"ZT00000001,,rate_overcharge,运费超收,open,2.00,4.60,2.60,2000,1250,浙江,上海,1.0,ZTO,{run},rate_overcharge on ZT00000001,courier_fee,ZT00000001,,,ZTO",
        f"ZT00000002,,weight_overcharge,重量超收,open,1.00,4.00,3.00,2000,1250,浙江,上海,2.0,ZTO,{run},weight_overcharge on ZT00000002,courier_fee,ZT00000002,,,ZTO",
        f"ZT00000003,,rate_undercharge,运费少收,open,0.50,2.50,3.00,2000,1250,浙江,上海,4.0,ZTO,{run},rate_undercharge on ZT00000003,courier_fee,ZT00000003,,,ZTO",
    ]
    header = ("waybill_no,order_no,type,type_label,status,amount_at_stake,billed_fee,expected_fee,billed_weight_g,"
              "expected_weight_g,billed_province,expected_province,line_no,courier,run_id,reason,kind,ref,ref2,sku,counterparty")
    expected = "\ufeff" + "\r\n".join([header, *rows]) + "\r\n"
    assert export(clerk_client, "csv") == expected.encode()


def test_xlsx_speaks_chinese_with_labels_totals_and_money_format(clerk_client, reconciled):
    content = export(clerk_client, "xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    sheet = workbook(content)["差异"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ZH_HEADER
    assert rows[1][:7] == ["ZT99999999", None, "非我方运单", "待处理", 3, 3, None]
    assert [r[2] for r in rows[1:5]] == ["非我方运单", "运费超收", "重量超收", "运费少收"]
    assert rows[1][15] == "快递运费"
    # The totals row: a SUM over each money column, and the value Excel shows before recalculating.
    assert rows[5][0] == "合计：4 条差异"
    assert rows[5][4:7] == ["=SUM(E2:E5)", "=SUM(F2:F5)", "=SUM(G2:G5)"]
    cached = list(workbook(content, data_only=True)["差异"].iter_rows(min_row=6, values_only=True))[0]
    stake, billed, expected = (sum(Decimal(d[i]) for d in DISCREPANCIES if d[i] is not None) for i in (2, 3, 4))
    assert (stake, billed, expected) == (Decimal("6.50"), Decimal("14.10"), Decimal("8.60"))
    assert cached[4:7] == (float(stake), float(billed), float(expected))
    assert [sheet.cell(row=r, column=c).number_format for r in (2, 3, 6) for c in (5, 6, 7) if r != 2 or c != 7] == [MONEY] * 8
    assert sheet.cell(row=2, column=8).number_format == "General"  # grams are not money
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:T5"


def test_xlsx_summary_sheet_has_labels_totals_and_money_format(clerk_client, reconciled):
    content = export(clerk_client, "xlsx")
    sheet = workbook(content)["汇总"]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["差异类型", "数量", "涉及金额"],
        ["非我方运单", 1, 3], ["运费超收", 1, 2], ["重量超收", 1, 1], ["运费少收", 1, 0.5],
        ["合计", "=SUM(B2:B5)", "=SUM(C2:C5)"],
    ]
    cached = list(workbook(content, data_only=True)["汇总"].iter_rows(min_row=6, values_only=True))[0]
    assert cached == ("合计", 4, 6.5)
    assert [sheet.cell(row=r, column=3).number_format for r in range(2, 7)] == [MONEY] * 5


def test_xlsx_in_english_when_the_browser_asks_for_it(clerk_client, reconciled):
    book = workbook(export(clerk_client, "xlsx", HTTP_ACCEPT_LANGUAGE="en"))
    assert book.sheetnames == ["Discrepancies", "Summary"]
    rows = [list(r) for r in book["Discrepancies"].iter_rows(values_only=True)]
    assert rows[0] == EN_HEADER
    assert rows[1][2:4] == ["Unknown waybill", "Open"]
    assert rows[5][0] == "Total: 4 discrepancies"
    assert [list(r) for r in book["Summary"].iter_rows(max_row=2, values_only=True)] == [
        ["discrepancy type", "Count", "Amount at stake"], ["Unknown waybill", 1, 3]]


def test_xlsx_of_nothing_has_a_zero_total(clerk_client, reconciled):
    response = clerk_client.get(reverse("discrepancy-export"), {"format": "xlsx", "waybill_no": "NONE"})
    rows = [list(r) for r in workbook(response.content)["差异"].iter_rows(values_only=True)]
    assert rows[1][0] == "合计：0 条差异" and rows[1][4:7] == [0, 0, 0]


def test_command_writes_the_xlsx_in_the_default_language(reconciled, tmp_path):
    out = tmp_path / "run.xlsx"
    # Whatever language the caller had active, a file without a reader is in the product's default language.
    with translation.override("en"):
        call_command("export_discrepancies", str(reconciled["run"].pk), "--format", "xlsx", "-o", str(out), stdout=io.StringIO())
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["差异", "汇总"]
    rows = [list(r) for r in book["差异"].iter_rows(values_only=True)]
    assert rows[0] == ZH_HEADER
    assert rows[1][2:4] == ["非我方运单", "待处理"]


def test_xlsx_sums_money_to_the_fen(clerk_client, zto, finance_user):
    from tests.web.conftest import make_bill, make_discrepancy, make_run

    run = make_run(zto, finance_user, make_bill(zto, finance_user))
    for i, stake in enumerate(["0.70", "0.20", "0.10"]):
        make_discrepancy(run, f"ZT1000000{i}", "rate_overcharge", stake, "4.00", "3.00")
    content = export(clerk_client, "xlsx")
    # In floats 0.7 + 0.2 + 0.1 is 0.9999999999999999; the cells hold the sum to the fen.
    assert list(workbook(content)["汇总"].iter_rows(min_row=2, max_row=2, values_only=True)) == [("运费超收", 3, 1)]
    assert list(workbook(content, data_only=True)["差异"].iter_rows(min_row=5, values_only=True))[0][4] == 1
