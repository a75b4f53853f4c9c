"""The period report: a month of two kinds and two counterparties, as Excel, CSV, JSON and a browser download."""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse

from couriers.models import Courier
from orders.services import shipment_import
from recon.core.models import Discrepancy
from recon.periods.services import period_get_or_create
from reports.period import period_cover
from tests.couriers.test_bill_reconciliation import submit_and_run
from tests.factories import DiscrepancyFactory, ReconRunFactory

pytestmark = pytest.mark.django_db

WAYBILLS = ["ZT8000000001", "ZT8000000002", "ZT8000000003", "ZT8000000004"]


def _shipments_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["订单号", "运单号", "快递公司", "发货时间", "重量", "省份", "城市", "状态", "收件人", "收件人电话", "收件地址"])
    for i, waybill in enumerate(WAYBILLS):
        writer.writerow([f"SO{i}", waybill, "ZTO", "2026-10-05 10:00:00", "1.2", "广东", "深圳", "已发货", "张三", "13812341234", "深圳南山"])
    return out.getvalue().encode("utf-8")


def _bill(path) -> None:
    # Three lines charged ¥99.00 for a ¥3.50 parcel, one charged ¥0.01 (an undercharge, information) and one whose fee
    # cannot be read (a rejected row).
    lines = [["运单号", "揽收时间", "目的省份", "计费重量(kg)", "运费(元)"]]
    lines += [[w, "2026-10-05", "广东", "1.2", "99.00"] for w in WAYBILLS[:3]]
    lines += [[WAYBILLS[3], "2026-10-05", "广东", "1.2", "0.01"]]
    lines += [["ZT8000000009", "2026-10-05", "广东", "1", "abc"]]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(lines)


@pytest.fixture
def month(demo_rate_card, zto, no_enqueue, tmp_path, settings):
    """October 2026: ZTO's bill (courier fees) and returns of ZTO and STO, in every state of the money panel."""
    settings.MEDIA_ROOT = tmp_path / "media"
    assert shipment_import(file=io.BytesIO(_shipments_csv()), filename="shipments.csv").created == 4
    path = tmp_path / "zto-2026-10.csv"
    _bill(path)
    run = submit_and_run(path, zto)
    assert run.status == "succeeded", run.error
    found = Discrepancy.objects.filter(run=run)
    assert sorted(found.values_list("ref", "type", "amount_at_stake")) == [
        (WAYBILLS[0], "rate_overcharge", Decimal("94.00")), (WAYBILLS[1], "rate_overcharge", Decimal("94.00")),
        (WAYBILLS[2], "rate_overcharge", Decimal("94.00")), (WAYBILLS[3], "rate_undercharge", Decimal("-4.99")),
    ]
    found.filter(ref=WAYBILLS[0]).update(status="disputed")
    found.filter(ref=WAYBILLS[1]).update(status="resolved", outcome="recovered", recovered_amount=Decimal("94.00"))
    zto_period = run.courier_bill.period
    sto = Courier.objects.get(code="STO")
    sto_period = period_get_or_create(counterparty=sto.counterparty, start=date(2026, 10, 1), end=date(2026, 10, 31))
    returns_zto = ReconRunFactory(kind="returns", courier=zto, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
                                  params={"as_of": "2026-11-05", "grace_days": 14})
    returns_sto = ReconRunFactory(kind="returns", courier=sto, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
                                  params={"as_of": "2026-11-05", "grace_days": 14})
    DiscrepancyFactory(run=returns_zto, period=zto_period, type="return_damaged", waybill_no="RZ1", amount_at_stake=Decimal("20.00"),
                       status="investigating")
    DiscrepancyFactory(run=returns_sto, period=sto_period, type="refunded_not_received", waybill_no="RS1",
                       amount_at_stake=Decimal("12.30"))
    # Another month's row: never in October's report.
    november = period_get_or_create(counterparty=sto.counterparty, start=date(2026, 11, 1), end=date(2026, 11, 30))
    DiscrepancyFactory(run=returns_sto, period=november, type="refunded_not_received", waybill_no="RS2",
                       amount_at_stake=Decimal("7.00"))
    return {"run": run, "returns": (returns_zto, returns_sto)}


COVER = {
    "period": "2026-10", "billed": "297.01", "expected": "20.00", "at_stake": "314.30", "open": "126.30",
    "investigating": "20.00", "disputed": "94.00", "recovered": "94.00", "accepted": "0.00", "written_off": "0.00",
    "shortfall": "0.00",
}


def test_cover_keeps_the_money_identity(month):
    cover = period_cover(period="2026-10")
    assert {k: (v if k == "period" else f"{v:.2f}") for k, v in cover.items()} == COVER
    parts = ("open", "disputed", "recovered", "accepted", "written_off", "shortfall")
    assert sum(cover[k] for k in parts) == cover["at_stake"]
    sto = period_cover(period="2026-10", counterparty="STO")
    assert {k: (v if k == "period" else f"{v:.2f}") for k, v in sto.items()} == {
        **{k: "0.00" for k in COVER}, "period": "2026-10", "at_stake": "12.30", "open": "12.30"}


def test_json_prints_the_cover_as_one_object(month, tmp_path):
    out = io.StringIO()
    call_command("export_report", "period", "--period", "2026-10", "--format", "xlsx", "-o", str(tmp_path / "r.xlsx"), "--json", stdout=out)
    printed = out.getvalue().strip()
    assert json.loads(printed) == COVER
    assert list(json.loads(printed)) == list(COVER)


def _book(path, **kw) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path, **kw)


def test_xlsx_sheets_headers_formats_totals_and_print_setup(month, tmp_path):
    path = tmp_path / "october.xlsx"
    call_command("export_report", "period", "--period", "2026-10", "--format", "xlsx", "-o", str(path), stdout=io.StringIO())
    book = _book(path)
    assert book.sheetnames == ["封面", "运费超收", "运费少收", "已退款，退货未收到", "退货破损", "未导入的行", "对账参数"]

    cover = book["封面"]
    rows = [list(r) for r in cover.iter_rows(values_only=True)]
    assert rows[0] == ["账期", "对账方", "名称", "账单金额", "应收金额", "涉及金额", "待处理", "其中核查中", "争议中", "已追回",
                       "已认可", "已核销", "待定差额", "差异条数"]
    assert rows[1] == ["2026-10", "STO", "申通", 0, 0, 12.3, 12.3, 0, 0, 0, 0, 0, 0, 1]
    assert rows[2] == ["2026-10", "ZTO", "中通", 297.01, 20, 302, 114, 20, 94, 94, 0, 0, 0, 5]
    assert rows[3] == ["合计", None, None, "=SUM(D2:D3)", "=SUM(E2:E3)", "=SUM(F2:F3)", "=SUM(G2:G3)", "=SUM(H2:H3)",
                       "=SUM(I2:I3)", "=SUM(J2:J3)", "=SUM(K2:K3)", "=SUM(L2:L3)", "=SUM(M2:M3)", "=SUM(N2:N3)"]
    cached = [list(r) for r in _book(path, data_only=True)["封面"].iter_rows(values_only=True)]
    assert cached[3][3:] == [297.01, 20, 314.3, 126.3, 20, 94, 94, 0, 0, 0, 6]
    assert cover.freeze_panes == "A2"
    assert cover.auto_filter.ref == "A1:N3"
    assert [cover.cell(2, c).number_format for c in (4, 6, 13)] == ["¥#,##0.00"] * 3
    assert cover.page_setup.orientation == "landscape"
    # Fit to one page wide (fitToWidth absent: OOXML's default of 1), as many tall as it takes (0).
    assert (cover.page_setup.fitToWidth, cover.page_setup.fitToHeight, cover.sheet_properties.pageSetUpPr.fitToPage) == (None, 0, True)
    assert cover.page_setup.paperSize == 9
    assert cover.print_title_rows == "$1:$1"

    over = book["运费超收"]
    rows = [list(r) for r in over.iter_rows(values_only=True)]
    assert rows[0] == ["运单号", "订单号", "类型", "差异类型", "状态", "涉及金额", "账单运费", "应收运费", "账单重量（千克）",
                       "我方重量（千克）", "账单省份", "我方省份", "行号", "快递公司", "对账记录", "原因", "计入涉及金额"]
    assert [r[:10] for r in rows[1:4]] == [
        [w, f"SO{i}", "rate_overcharge", "运费超收", status, 94, 99, 5, 1.2, 1.2]
        for i, (w, status) in enumerate(zip(WAYBILLS, ["争议中", "已解决", "待处理"]))
    ]
    assert rows[4][:9] == ["索赔合计", None, None, None, None, '=SUMIF($Q$2:$Q$4,"是",F2:F4)',
                           '=SUMIF($Q$2:$Q$4,"是",G2:G4)', '=SUMIF($Q$2:$Q$4,"是",H2:H4)', None]
    assert [r[16] for r in rows[1:4]] == ["是", "是", "是"]
    db = Discrepancy.objects.filter(run=month["run"], type="rate_overcharge").aggregate(
        s=Sum("amount_at_stake"), b=Sum("theirs_amount"), e=Sum("ours_amount"))
    cached = list(_book(path, data_only=True)["运费超收"].iter_rows(values_only=True))[4]
    assert [Decimal(str(v)) for v in cached[5:8]] == [db["s"], db["b"], db["e"]] == [Decimal("282.00"), Decimal("297.00"), Decimal("15.00")]
    assert over.cell(2, 9).number_format == "0.000"
    assert over.cell(2, 6).number_format == "¥#,##0.00"
    assert over.freeze_panes == "A2"
    assert over.auto_filter.ref == "A1:Q4"
    assert over.print_title_rows == "$1:$1"
    assert over.page_setup.orientation == "landscape"

    returns = [list(r) for r in book["退货破损"].iter_rows(values_only=True)]
    assert returns[0] == ["类型", "差异类型", "状态", "涉及金额", "退款或账单金额", "应收金额", "日期", "对账记录", "原因", "单号",
                          "第二单号", "SKU", "对账方", "计入涉及金额"]
    assert returns[1][:4] == ["return_damaged", "退货破损", "核查中", 20]
    assert returns[1][9:] == ["RZ1", None, None, "ZTO", "是"]
    assert returns[2][:6] == ["索赔合计", None, None, '=SUMIF($N$2:$N$2,"是",D2:D2)', '=SUMIF($N$2:$N$2,"是",E2:E2)',
                              '=SUMIF($N$2:$N$2,"是",F2:F2)']

    rejected = [list(r) for r in book["未导入的行"].iter_rows(values_only=True)]
    assert rejected[0] == ["文件名", "工作表", "行", "原因代码", "原因", "原始行内容"]
    assert [(r[0], r[2], r[3]) for r in rejected[1:]] == [("zto-2026-10.csv", 6, "fee_invalid")]

    params = [list(r) for r in book["对账参数"].iter_rows(values_only=True)]
    assert params[0] == ["对账记录", "对账类别", "对账方", "账期", "参数", "值"]
    courier_rows = [r[4:] for r in params[1:] if r[0] == month["run"].id]
    card = month["run"].counterparty.courier.rate_cards.get()
    assert courier_rows == [["报价单", f"#{card.id} {card.name} 2026-01-01–…"], ["重量容差（克）", "0"], ["运费容差（分）", "0"],
                            ["抛比", "8000"]]
    returns_rows = [r[2:] for r in params[1:] if r[0] == month["returns"][1].id]
    assert returns_rows == [["STO", "2026-10-01–2026-10-31", "截至", "2026-11-05"], ["STO", "2026-10-01–2026-10-31", "宽限天数", "14"]]


def test_csv_has_the_bom_the_cover_and_every_row(month, tmp_path):
    path = tmp_path / "october.csv"
    call_command("export_report", "period", "--period", "2026-10", "--format", "csv", "-o", str(path), stdout=io.StringIO())
    content = path.read_bytes()
    assert content[:3] == b"\xef\xbb\xbf"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[:4] == [
        ["账期", "对账方", "名称", "账单金额", "应收金额", "涉及金额", "待处理", "其中核查中", "争议中", "已追回", "已认可", "已核销", "待定差额", "差异条数"],
        ["2026-10", "STO", "申通", "0.00", "0.00", "12.30", "12.30", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "1"],
        ["2026-10", "ZTO", "中通", "297.01", "20.00", "302.00", "114.00", "20.00", "94.00", "94.00", "0.00", "0.00", "0.00", "5"],
        ["2026-10", "合计", "", "297.01", "20.00", "314.30", "126.30", "20.00", "94.00", "94.00", "0.00", "0.00", "0.00", "6"],
    ]
    refs = [cell for r in rows for cell in r if cell.startswith(("ZT8", "RZ", "RS"))]
    assert sorted(refs) == sorted([*WAYBILLS, "RZ1", "RS1"])
    undercharge = next(r for r in rows if r and r[0] == WAYBILLS[3])
    assert undercharge[5:10] == ["-4.99", "0.01", "5.00", "1.200", "1.200"]


@pytest.mark.parametrize("args, message", [
    (["--period", "2026-13"], "账期“2026-13”无效：请使用 YYYY-MM，例如 2026-10。"),
    (["--period", "2026-09"], "2026-09 没有对账账期。"),
    (["--period", "2026-10", "--counterparty", "NOPE"], "未知的对方“NOPE”。"),
    (["--period", "2026-10", "--format", "doc"], "未知的格式“doc”；请使用 xlsx、pdf 或 csv。"),
])
def test_bad_input_is_refused_in_chinese_and_writes_nothing(month, tmp_path, args, message):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "r.out"
    with pytest.raises(CommandError) as exc:
        call_command("export_report", "period", *args, "-o", str(out), stdout=io.StringIO())
    assert str(exc.value).endswith(message)
    assert list(folder.iterdir()) == []


def test_browser_download_is_permission_checked(month, client, manager_user, outsider_user):
    url = reverse("period-report")
    client.force_login(outsider_user)
    assert client.get(url, {"period": "2026-10", "format": "xlsx"}).status_code == 403
    client.force_login(manager_user)
    page = client.get(url)
    assert page.status_code == 200
    assert "下载期间报表 (Excel / CSV / PDF)" in page.content.decode()
    response = client.get(url, {"period": "2026-10", "counterparty": "ZTO", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="period-2026-10-ZTO.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [list(r) for r in book["封面"].iter_rows(values_only=True)][1][:6] == ["2026-10", "ZTO", "中通", 297.01, 20, 302]
    csv_response = client.get(url, {"period": "2026-10", "format": "csv"})
    assert csv_response.content[:3] == b"\xef\xbb\xbf"
    bad = client.get(url, {"period": "2026-13", "format": "xlsx"})
    assert bad.status_code == 400
    assert "账期“2026-13”无效" in bad.content.decode()


def test_a_big_month_goes_to_my_exports(month, client, manager_user, settings, tmp_path, django_capture_on_commit_callbacks):
    from reports.export_jobs import export_job_execute
    from reports.models import ExportJob

    settings.EXPORT_ASYNC_ROWS = 5
    client.force_login(manager_user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(reverse("period-report"), {"period": "2026-10", "format": "xlsx"})
    assert (response.status_code, response["Location"], len(callbacks)) == (302, reverse("export-list"), 1)
    job = ExportJob.objects.get()
    assert (job.kind, job.format, job.params) == ("period_report", "xlsx", {"period": "2026-10", "counterparty": ""})
    export_job_execute(export_job_id=job.id)
    job.refresh_from_db()
    assert (job.status, job.filename) == ("succeeded", "period-2026-10.xlsx")
    with job.file.open("rb") as fh:
        book = openpyxl.load_workbook(io.BytesIO(fh.read()), data_only=True)
    assert list(book["封面"].iter_rows(values_only=True))[3][3:6] == (297.01, 20, 314.3)


def test_pdf_is_the_managers_summary_of_the_month(month, tmp_path):
    import pypdf

    path = tmp_path / "october.pdf"
    call_command("export_report", "period", "--period", "2026-10", "--format", "pdf", "-o", str(path), stdout=io.StringIO())
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    # The month's money at stake over both counterparties (302.00 + 12.30), in Chinese, as the cover counts it.
    assert "2026-10" in text
    assert "¥314.30" in text
    assert "涉及金额" in text


def test_the_monthly_email_carries_the_months_report_as_excel_and_pdf(month, tmp_path):
    import pypdf
    from django.core import mail

    from reports.review import reports_email_scheduled
    from reports.review_models import ReportSubscription
    from tests.factories import UserFactory

    for name in ("lin", "wang"):
        ReportSubscription.objects.create(user=UserFactory(username=name, email=f"{name}@example.com", role="manager"),
                                          cadence="monthly")
    ReportSubscription.objects.create(user=UserFactory(username="zhao", email="zhao@example.com", role="manager"), cadence="weekly")
    assert reports_email_scheduled(cadence="monthly", today=date(2026, 11, 1)) == 2
    assert [m.to for m in mail.outbox] == [["lin@example.com"], ["wang@example.com"]]
    message = mail.outbox[0]
    assert message.subject == "2026-10 月报"
    (xlsx_name, xlsx, _), (pdf_name, pdf, _) = message.attachments
    assert (xlsx_name, pdf_name) == ("period-2026-10.xlsx", "period-2026-10.pdf")
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book["封面"]["F4"].value == "=SUM(F2:F3)"
    assert [r[5] for r in book["封面"].iter_rows(min_row=2, max_row=3, values_only=True)] == [12.3, 302]
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "¥314.30" in text
