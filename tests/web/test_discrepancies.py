"""The discrepancy list: filters, sorting, totals, and exports of exactly the filtered rows."""
import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from .conftest import make_bill, make_discrepancy, make_run

pytestmark = pytest.mark.django_db


def waybills(response):
    return [d.ref for d in response.context["rows"]]


def test_default_order_is_biggest_amount_first(clerk_client, reconciled):
    response = clerk_client.get(reverse("discrepancy-list"))
    assert waybills(response) == ["ZT99999999", "ZT00000001", "ZT00000002", "ZT00000003"]


def test_filter_by_types_shows_exactly_those(clerk_client, reconciled):
    response = clerk_client.get(reverse("discrepancy-list"), {"type": ["weight_overcharge", "unknown_waybill"]})
    assert waybills(response) == ["ZT99999999", "ZT00000002"]
    totals = clerk_client.get(reverse("discrepancy-totals"), {"type": ["weight_overcharge", "unknown_waybill"]}).context["totals"]["total"]
    assert totals["count"] == 2
    assert totals["at_stake"] == Decimal("4.00")
    html = response.content.decode()
    assert re.search(r'value="weight_overcharge"[^>]* checked', html)  # the checkbox stays ticked
    assert not re.search(r'value="rate_overcharge"[^>]* checked', html)


def test_filters_by_run_amount_and_waybill_prefix(clerk_client, reconciled, zto, finance_user):
    other = make_run(zto, finance_user, make_bill(zto, finance_user, sha="c" * 64))
    make_discrepancy(other, "YT00000001", "rate_overcharge", "8.00", "11.00", "3.00")
    url = reverse("discrepancy-list")
    assert waybills(clerk_client.get(url, {"run": other.pk})) == ["YT00000001"]
    assert waybills(clerk_client.get(url, {"amount_min": "1", "amount_max": "2.5"})) == ["ZT00000001", "ZT00000002"]
    assert waybills(clerk_client.get(url, {"waybill_no": "ZT0000000"})) == ["ZT00000001", "ZT00000002", "ZT00000003"]


def test_sort_by_amount_ascending_then_toggle(clerk_client, reconciled):
    url = reverse("discrepancy-list")
    response = clerk_client.get(url, {"ordering": "amount_at_stake", "type": "rate_overcharge"})
    assert waybills(clerk_client.get(url, {"ordering": "amount_at_stake"})) == ["ZT00000003", "ZT00000002", "ZT00000001", "ZT99999999"]
    header = next(h for h in response.context["headers"] if h["state"])
    # The active column links to the other direction and keeps the filter.
    assert header["state"] == "asc" and "ordering=-amount_at_stake" in header["url"] and "type=rate_overcharge" in header["url"]


def test_totals_separate_informational_money(clerk_client, reconciled):
    response = clerk_client.get(reverse("discrepancy-list"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<td class="num nowrap">2 / 1.25</td>' in response.content.decode()  # kg, not grams
    # The money panel is loaded by the page after the list.
    assert reverse("discrepancy-totals") in response.content.decode()
    panel = clerk_client.get(reverse("discrepancy-totals"), HTTP_ACCEPT_LANGUAGE="en")
    totals = panel.context["totals"]["total"]
    assert (totals["count"], totals["at_stake"], totals["informational"], totals["open"]) == (4, Decimal("6.00"), Decimal("0.50"), Decimal("6.00"))
    assert "4 discrepancies" in panel.content.decode()


def test_pagination_keeps_the_filter(clerk_client, zto, finance_user):
    run = make_run(zto, finance_user, make_bill(zto, finance_user))
    for i in range(55):
        make_discrepancy(run, f"ZT4{i:07d}", "rate_overcharge", "1.00", "4.00", "3.00")
    response = clerk_client.get(reverse("discrepancy-list"), {"type": "rate_overcharge"})
    assert len(response.context["rows"]) == 50
    cursor = response.context["page"].next_cursor
    assert f"?type=rate_overcharge&amp;cursor={cursor}" in response.content.decode()
    page2 = clerk_client.get(reverse("discrepancy-list"), {"type": "rate_overcharge", "cursor": cursor})
    assert len(page2.context["rows"]) == 5
    # Same amounts everywhere: the pages follow the id order, nothing repeated, nothing skipped.
    seen = waybills(response) + waybills(page2)
    assert sorted(seen) == [f"ZT4{i:07d}" for i in range(55)] and len(set(seen)) == 55
    assert not page2.context["page"].has_next
    back = clerk_client.get(reverse("discrepancy-list"), {"type": "rate_overcharge", "cursor": page2.context["page"].prev_cursor})
    assert waybills(back) == waybills(response)


def test_export_links_carry_the_current_filter(clerk_client, reconciled):
    html = clerk_client.get(reverse("discrepancy-list"), {"type": "rate_overcharge", "run": reconciled["run"].pk}).content.decode()
    assert f'{reverse("discrepancy-export")}?format=xlsx&amp;type=rate_overcharge&amp;run={reconciled["run"].pk}' in html


def test_export_xlsx_of_the_filter(clerk_client, reconciled):
    run = reconciled["run"]
    response = clerk_client.get(reverse("discrepancy-export"), {"format": "xlsx", "run": run.pk, "type": ["rate_overcharge", "unknown_waybill"]})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="discrepancies-run-{run.pk}.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:3] == ["运单号", "订单号", "差异类型"]
    col = {name: i for i, name in enumerate(header)}
    assert [(r[col["运单号"]], r[col["差异类型"]], r[col["涉及金额"]]) for r in rows[1:]] == [
        ("ZT99999999", "非我方运单", 3), ("ZT00000001", "运费超收", 2), ("合计：2 条差异", None, "=SUM(E2:E3)")]


def test_export_csv_of_the_filter(clerk_client, reconciled):
    response = clerk_client.get(reverse("discrepancy-export"), {"format": "csv", "type": "weight_overcharge"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    first = text.splitlines()[0].split(",")
    assert {"waybill_no", "type", "amount_at_stake"} <= set(first)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["waybill_no"], r["amount_at_stake"]) for r in rows] == [("ZT00000002", "1.00")]


def test_export_refuses_an_invalid_filter_or_format(clerk_client, reconciled):
    url = reverse("discrepancy-export")
    assert clerk_client.get(url, {"format": "pdf"}).status_code == 400
    assert clerk_client.get(url, {"format": "csv", "amount_min": "lots"}).status_code == 400
