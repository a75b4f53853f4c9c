"""No export carries a live formula: text from uploads that starts with = + - @ (or a tab or CR) stays text.

Hostile values go in through the real imports (shipments, a courier bill) and services (a dispute, a
comment); every CSV and XLSX the product writes is then downloaded through its view or command.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile

import openpyxl
import pandas as pd
import pytest
from django.core.management import call_command
from django.urls import reverse

from orders.models import Shipment
from orders.services import shipment_import
from recon.disputes.services import dispute_create
from recon.core.models import Discrepancy
from recon.review.services import discrepancy_comment_add
from recon.core.writers import csv_text, frame_to_csv_bytes
from tests.factories import UserFactory
from tests.couriers.test_bill_reconciliation import submit_and_run

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://x","y")'
# Order numbers of four shipments (the import trims tabs and CRs around cells: those two are stored below).
ORDERS = [LINK, "+1+1", "-2+3", "@SUM(A1)"]
WAYBILLS = ["ZT7000000001", "ZT7000000002", "ZT7000000003", "ZT7000000004"]
NAMES = [LINK, "+1+1", "-2+3", "@SUM(A1)"]
ADDRESS = "=1+1 广东省深圳市南山区"
CITY, PHONE = "\t=1", "\r=1"
DISPUTE_NOTE = '=HYPERLINK("http://x","note")'
REASON = '=HYPERLINK("http://x","reason")'
COMMENT = '=HYPERLINK("http://x","comment")'
# What Excel and WPS would run: these, and the same after leading whitespace.
DANGEROUS = re.compile(r"^(?:[=+\-@\t\r]|\s*[=+\-@])")


def _shipments_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["订单号", "运单号", "快递公司", "发货时间", "重量", "省份", "城市", "状态", "收件人", "收件人电话", "收件地址"])
    for order, waybill, name in zip(ORDERS, WAYBILLS, NAMES):
        writer.writerow([order, waybill, "ZTO", "2026-10-05 10:00:00", "1", "广东", "深圳", "已发货", name, "13812341234", ADDRESS])
    return out.getvalue().encode("utf-8")


def _bill_csv(path) -> None:
    # Three overcharged lines and one undercharged (a negative amount at stake the product computes), then a row
    # whose fee cannot be read: it is rejected, and its raw text starts with the hostile remark in the first column.
    lines = [["备注", "运单号", "揽收时间", "目的省份", "计费重量(kg)", "运费(元)"]]
    lines += [[LINK, w, "2026-10-05", "广东", "1", "99.00"] for w in WAYBILLS[:3]]
    lines += [["+1+1", WAYBILLS[3], "2026-10-05", "广东", "1", "0.01"]]
    lines += [["@SUM(A1)", "ZT7000000009", "2026-10-05", "广东", "1", "abc"]]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(lines)


@pytest.fixture
def hostile(demo_rate_card, zto, no_enqueue, tmp_path, settings, manager_user, django_user_model):
    settings.MEDIA_ROOT = tmp_path / "media"
    result = shipment_import(file=io.BytesIO(_shipments_csv()), filename="shipments.csv")
    assert (result.created, len(result.rejected)) == (4, 0)
    # Tabs and CRs in front are trimmed by the import; a hand-made row (API, admin) can still hold them.
    Shipment.objects.filter(waybill_no=WAYBILLS[0]).update(city=CITY, recipient_phone=PHONE)
    path = tmp_path / "zto-2026-10.csv"
    _bill_csv(path)
    run = submit_and_run(path, zto)
    assert run.status == "succeeded", run.error
    found = Discrepancy.objects.filter(run=run)
    Discrepancy.objects.filter(run=run, ref=WAYBILLS[0]).update(reason=REASON)
    commenter = UserFactory(username="+1+1", role="ops")
    discrepancy_comment_add(discrepancy=found.get(ref=WAYBILLS[1]), text=COMMENT, user=commenter)
    dispute = dispute_create(discrepancies=found.filter(type="rate_overcharge"), user=manager_user, note=DISPUTE_NOTE)
    return {"run": run, "bill": run.courier_bill, "dispute": dispute}


# --------------------------------------------------------------------------- reading what was written


# The only formulas an export may hold: the totals row's own sums of a column's cells (of the claims only on the period
# report's type sheets: SUMIF over its last column), never text from a file.
OUR_TOTAL = re.compile(r"SUM\(([A-Z]+)2:\1\d+\)|SUMIF\(\$([A-Z]+)\$2:\$\2\$\d+,&quot;[^&,]*&quot;,([A-Z]+)2:\3\d+\)"
                       r'|SUMIF\(\$([A-Z]+)\$2:\$\4\$\d+,"[^",]*",([A-Z]+)2:\5\d+\)')


def xlsx_cells(content: bytes) -> list[list]:
    """Every sheet's rows; fails on any formula cell but a totals row's SUM, by openpyxl's reading and in the XML itself."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        assert sheets
        for name in sheets:
            xml = archive.read(name).decode()
            assert "<f " not in xml, name
            formulas = re.findall(r"<f>(.*?)</f>", xml)
            assert all(OUR_TOTAL.fullmatch(f) for f in formulas), (name, formulas)
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f" or (cell.row == sheet.max_row and OUR_TOTAL.fullmatch(cell.value[1:])), (
                    sheet.title, cell.coordinate, cell.value)
            rows.append([cell.value for cell in row])
    return rows


def xlsx_text(content: bytes) -> set[str]:
    return {v for row in xlsx_cells(content) for v in row if isinstance(v, str)}


def csv_rows(content: bytes) -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def assert_csv_safe(rows: list[dict], numbers: tuple[str, ...] = ()) -> set[str]:
    """No text field a spreadsheet would run; returns every field's text."""
    for row in rows:
        for column, value in row.items():
            if column not in numbers:
                assert not DANGEROUS.match(value), (column, value)
    return {v for row in rows for v in row.values()}


def get(client, user, url: str, **params) -> bytes:
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


# --------------------------------------------------------------------------- the exports


def test_the_helper_neutralises_text_only():
    assert [csv_text(v) for v in [*ORDERS, CITY, PHONE, " =1", "\u3000@x", "ZT1", "", "'=1"]] == [
        "'" + LINK, "'+1+1", "'-2+3", "'@SUM(A1)", "'\t=1", "'\r=1", "' =1", "'\u3000@x", "ZT1", "", "'=1",
    ]
    assert [csv_text(v) for v in (-12, -0.5, None)] == [-12, -0.5, None]


def test_frame_csv_quotes_a_cr_and_leaves_computed_numbers_alone():
    frame = pd.DataFrame({"text": ["x\r=1", "-12"], "money": ["-0.50", "3.00"], "count": [-2, 5]})
    assert frame_to_csv_bytes(frame, numbers=["money"]) == (
        '\ufefftext,money,count\r\n"x\r=1",-0.50,-2\r\n\'-12,3.00,5\r\n'.encode()
    )


MONEY = ("amount_at_stake", "billed_fee", "expected_fee")


def test_discrepancy_csv_keeps_order_numbers_as_text(hostile, client, manager_user):
    rows = csv_rows(get(client, manager_user, reverse("discrepancy-export"), run=hostile["run"].id, format="csv"))
    assert_csv_safe(rows, numbers=MONEY)
    assert [(r["waybill_no"], r["order_no"], r["type"], r["amount_at_stake"]) for r in rows] == [
        (WAYBILLS[0], "'" + LINK, "rate_overcharge", "95.50"),
        (WAYBILLS[1], "'+1+1", "rate_overcharge", "95.50"),
        (WAYBILLS[2], "'-2+3", "rate_overcharge", "95.50"),
        (WAYBILLS[3], "'@SUM(A1)", "rate_undercharge", "-3.49"),
    ]


def test_discrepancy_xlsx_keeps_order_numbers_as_text(hostile, client, manager_user):
    cells = xlsx_cells(get(client, manager_user, reverse("discrepancy-export"), run=hostile["run"].id, format="xlsx"))
    header = cells[0]
    body = [dict(zip(header, r)) for r in cells[1:5]]
    assert [(r["订单号"], r["涉及金额"]) for r in body] == [(LINK, 95.5), ("+1+1", 95.5), ("-2+3", 95.5), ("@SUM(A1)", -3.49)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_command_keeps_order_numbers_as_text(hostile, fmt, tmp_path):
    out = tmp_path / f"run.{fmt}"
    call_command("export_discrepancies", str(hostile["run"].id), "--format", fmt, "-o", str(out), stdout=io.StringIO())
    if fmt == "csv":
        rows = csv_rows(out.read_bytes())
        assert_csv_safe(rows, numbers=MONEY)
        assert [(r["order_no"], r["amount_at_stake"]) for r in rows] == [
            ("'" + LINK, "95.50"), ("'+1+1", "95.50"), ("'-2+3", "95.50"), ("'@SUM(A1)", "-3.49"),
        ]
    else:
        cells = xlsx_cells(out.read_bytes())
        assert [row[1] for row in cells[1:5]] == ORDERS


def test_shipment_csv_keeps_recipients_and_order_numbers_as_text(hostile, client, manager_user, ops_user):
    url = reverse("shipment-export")
    revealed = csv_rows(get(client, manager_user, url, format="csv"))
    assert_csv_safe(revealed)
    by_waybill = {r["waybill_no"]: r for r in revealed}
    assert [(by_waybill[w]["order_no"], by_waybill[w]["recipient_name"]) for w in WAYBILLS] == [
        ("'" + o, "'" + n) for o, n in zip(ORDERS, NAMES)
    ]
    assert (by_waybill[WAYBILLS[0]]["city"], by_waybill[WAYBILLS[0]]["recipient_phone"]) == ("'" + CITY, "'" + PHONE)
    assert by_waybill[WAYBILLS[1]]["recipient_address"] == "'" + ADDRESS

    masked = csv_rows(get(client, ops_user, url, format="csv"))
    assert_csv_safe(masked)
    assert sorted(r["recipient_name"] for r in masked) == ["'+***", "'-***", "'=*************************", "'@*******"]


def test_shipment_xlsx_keeps_recipients_and_order_numbers_as_text(hostile, client, manager_user, ops_user):
    url = reverse("shipment-export")
    text = xlsx_text(get(client, manager_user, url, format="xlsx"))
    # The CR is stored as OOXML's escape, which Excel reads back as a CR and openpyxl leaves as it is.
    assert {*ORDERS, *NAMES, ADDRESS, CITY, "_x000D_=1"} <= text
    text = xlsx_text(get(client, ops_user, url, format="xlsx"))
    assert {*ORDERS, "=*************************", "+***", "-***", "@*******"} <= text


def test_shipment_csv_imported_again_keeps_the_text_without_apostrophes(hostile, client, manager_user):
    content = get(client, manager_user, reverse("shipment-export"), format="csv")
    Shipment.objects.update(order_no="changed", city="", recipient_name="", recipient_address="")
    result = shipment_import(file=io.BytesIO(content), filename="shipments.csv")
    assert (result.created, result.updated, len(result.rejected)) == (0, 4, 0)
    stored = dict(Shipment.objects.values_list("waybill_no", "order_no"))
    assert [stored[w] for w in WAYBILLS] == ORDERS
    assert list(Shipment.objects.filter(waybill_no__in=WAYBILLS).order_by("waybill_no").values_list("recipient_name", flat=True)) == NAMES
    # The import trims the tab and CR around cells, as it did when these were first imported by hand.
    assert Shipment.objects.values_list("city", "recipient_phone", "recipient_address").get(waybill_no=WAYBILLS[0]) == ("=1", "=1", ADDRESS)


def test_rejected_rows_csv_keeps_the_raw_row_as_text(hostile, client, finance_user):
    content = get(client, finance_user, reverse("bill-rejected-download", args=[hostile["bill"].id]))
    rows = csv_rows(content)
    assert_csv_safe(rows)
    assert [(r["reason_code"], r["raw"]) for r in rows] == [
        ("fee_invalid", "'@SUM(A1) | ZT7000000009 | 2026-10-05 | 广东 | 1 | abc"),
    ]


def test_audit_csv_keeps_notes_and_names_as_text(hostile, client, manager_user):
    rows = csv_rows(get(client, manager_user, reverse("audit-export"), object_type="dispute", format="csv"))
    assert_csv_safe(rows)
    assert [(r["action"], r["note"]) for r in rows] == [("create", "'" + DISPUTE_NOTE)]
    rows = csv_rows(get(client, manager_user, reverse("audit-export"), action="comment", format="csv"))
    assert_csv_safe(rows)
    assert [(r["user"], r["changes"]) for r in rows] == [("'+1+1", '{"comment": [null, "=HYPERLINK(\\"http://x\\",\\"comment\\")"]}')]


def test_audit_xlsx_keeps_notes_and_names_as_text(hostile, client, manager_user):
    cells = xlsx_cells(get(client, manager_user, reverse("audit-export"), format="xlsx"))
    header = cells[0]
    events = [dict(zip(header, row)) for row in cells[1:]]
    # The Excel is in the reader's language: the object by its name, the action by its label.
    assert [e["备注"] for e in events if e["对象"].startswith("差异单 ")] == [DISPUTE_NOTE]
    assert [e["操作人"] for e in events if e["操作"] == "已评论"] == ["+1+1"]


def test_dispute_file_keeps_notes_and_reasons_as_text(hostile, client, manager_user):
    dispute = hostile["dispute"]
    for url in (reverse("dispute-file", args=[dispute.id]), reverse("api-dispute-file", args=[dispute.id])):
        cells = xlsx_cells(get(client, manager_user, url))
        assert ["备注", DISPUTE_NOTE] in [row[:2] for row in cells]
        reason = next(row for row in cells if row[0] == "运单号").index("说明")
        assert [row[reason] for row in cells if row[0] == WAYBILLS[0]] == [REASON]


# --------------------------------------------------------------------------- every export, one case each

# A cell we computed may start with a minus: a negative amount (-4.99) or count. Anything else starting with a
# formula character must carry the apostrophe.
COMPUTED_NUMBER = re.compile(r"^-\d+(?:\.\d+)?$")


def _receivables(hostile):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import Order, Platform

    Order.objects.create(platform=Platform.objects.get(code="TMALL"), order_no=LINK, shop="+1+1", status="shipped",
                         paid_at=timezone.now() - timedelta(days=3), order_amount="100.00", refund_amount="0")


def _command(name, *args):
    def fetch(hostile, tmp_path, fmt):
        out = tmp_path / f"export.{fmt}"
        values = [str(hostile["run"].id) if a == "RUN" else a for a in args]
        call_command(name, *values, "--format", fmt, "-o", str(out), stdout=io.StringIO())
        return out.read_bytes()
    return fetch


def _page(url_name, *, args=(), setup=None, **params):
    def fetch(hostile, tmp_path, fmt, client=None, user=None):
        if setup:
            setup(hostile)
        url_args = [hostile[a].id for a in args]
        values = {k: (hostile["run"].id if v == "RUN" else v) for k, v in params.items()}
        if fmt and "format" not in values and not url_name.endswith(("-csv", "-xlsx")) and url_name not in NO_FORMAT:
            values["format"] = fmt
        return get(client, user, reverse(url_name, args=url_args), **values)
    fetch.page = True
    return fetch


# Downloads with one format, named by their URL.
NO_FORMAT = {"bill-rejected-download", "dispute-file", "api-dispute-file"}

# Every CSV and Excel file the product writes, and text from an upload that each one must carry as plain text.
EXPORTS = {
    "discrepancies.csv": (_page("discrepancy-export", run="RUN"), LINK),
    "discrepancies.xlsx": (_page("discrepancy-export", run="RUN"), LINK),
    "export_discrepancies.csv": (_command("export_discrepancies", "RUN"), LINK),
    "export_discrepancies.xlsx": (_command("export_discrepancies", "RUN"), LINK),
    "shipments.csv": (_page("shipment-export"), LINK),
    "shipments.xlsx": (_page("shipment-export"), LINK),
    "bill rejected rows.csv": (_page("bill-rejected-download", args=("bill",)), "@SUM(A1) | ZT7000000009 | 2026-10-05 | 广东 | 1 | abc"),
    "audit.csv": (_page("audit-export", object_type="dispute"), DISPUTE_NOTE),
    "audit.xlsx": (_page("audit-export"), DISPUTE_NOTE),
    "dispute file.xlsx": (_page("dispute-file", args=("dispute",)), DISPUTE_NOTE),
    "dispute file (API).xlsx": (_page("api-dispute-file", args=("dispute",)), DISPUTE_NOTE),
    "period report.xlsx": (_page("period-report", period="2026-10"), REASON),
    "period report.csv": (_page("period-report", period="2026-10"), REASON),
    "export_report period.xlsx": (_command("export_report", "period", "--period", "2026-10"), REASON),
    "export_report period.csv": (_command("export_report", "period", "--period", "2026-10"), REASON),
    "receivables.csv": (_page("receivable-export-csv", setup=_receivables), LINK),
    "receivables.xlsx": (_page("receivable-export-xlsx", setup=_receivables), LINK),
}


@pytest.mark.parametrize("name", list(EXPORTS))
def test_every_export_writes_uploaded_text_as_text(name, hostile, client, manager_user, tmp_path):
    fetch, planted = EXPORTS[name]
    fmt = name.rsplit(".", 1)[1]
    if getattr(fetch, "page", False):
        content = fetch(hostile, tmp_path, fmt, client=client, user=manager_user)
    else:
        content = fetch(hostile, tmp_path, fmt)
    if fmt == "xlsx":
        # No formula cell but a totals row's SUM of its column, by openpyxl and in the sheets' XML.
        assert planted in xlsx_text(content)
        return
    assert content[:3] == b"\xef\xbb\xbf"
    cells = [c for row in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")) for c in row]
    unsafe = [c for c in cells if DANGEROUS.match(c) and not COMPUTED_NUMBER.match(c)]
    assert unsafe == []
    assert "'" + planted in cells
