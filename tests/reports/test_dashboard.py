"""The dashboard: each panel's figures for a known data set, per role, and links that list exactly what they count."""
from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from reports.dashboard import dashboard_figures
from recon.core.models import Discrepancy

pytestmark = pytest.mark.django_db


def _totals_behind(client, url: str) -> dict:
    """The queue's money panel for the filter a dashboard link carries (what the list page shows above its rows)."""
    parts = urlsplit(html.unescape(url))
    assert parts.path == reverse("discrepancy-list")
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200
    return client.get(f"{reverse('discrepancy-totals')}?{parts.query}").context["totals"]["total"]


def test_the_months_money_identity_and_its_trend(dashboard_data):
    f = dashboard_figures(month=date(2026, 10, 1))
    t = f.totals
    assert (t["count"], t["at_stake"], t["open"], t["investigating"], t["disputed"], t["recovered"], t["informational"]) == (
        5, Decimal("72.50"), Decimal("42.50"), Decimal("12.50"), Decimal("20.00"), Decimal("10.00"), Decimal("5.00"))
    assert f.recovery_rate == Decimal("13.8")
    assert [t["month"] for t in f.trend] == [f"2025-{m:02d}" for m in (11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]
    assert [(t["month"], t["at_stake"], t["billed"]) for t in f.trend[-2:]] == [
        ("2026-09", Decimal("7.25"), Decimal("800.00")), ("2026-10", Decimal("72.50"), Decimal("1500.00"))]
    assert all(t["at_stake"] == 0 for t in f.trend[:-2])


def test_overcharge_and_recovery_per_counterparty(dashboard_data):
    f = dashboard_figures(month=date(2026, 10, 1))
    assert [(c["code"], c["billed"], c["at_stake"], c["overcharge_rate"], c["recovered"], c["recovery_rate"]) for c in f.counterparties] == [
        ("ZTO", Decimal("1000.00"), Decimal("60.00"), Decimal("6.0"), Decimal("10.00"), Decimal("16.7")),
        ("YTO", Decimal("500.00"), Decimal("12.50"), Decimal("2.5"), Decimal("0.00"), Decimal("0.0")),
    ]


def test_counts_by_kind_type_and_status(dashboard_data):
    f = dashboard_figures(month=date(2026, 10, 1))
    assert [(t["kind"], t["type"], t["count"], {s: n for s, n in t["counts"].items() if n}) for t in f.types] == [
        ("courier_fee", "weight_overcharge", 3, {"open": 1, "investigating": 1, "disputed": 1}),
        ("courier_fee", "not_billed", 1, {"open": 1}),  # equal counts in the order of their codes
        ("courier_fee", "rate_overcharge", 1, {"resolved": 1}),
    ]


def test_every_link_lists_what_its_figure_counts(client, manager_user, dashboard_data):
    client.force_login(manager_user)
    f = dashboard_figures(month=date(2026, 10, 1))
    month = _totals_behind(client, f.links["at_stake"])
    assert (month["count"], month["at_stake"], month["recovered"]) == (5, Decimal("72.50"), Decimal("10.00"))
    assert _totals_behind(client, f.links["open"])["open"] == Decimal("42.50")
    assert _totals_behind(client, f.links["disputed"])["disputed"] == Decimal("20.00")
    weight = f.types[0]
    assert _totals_behind(client, weight["url"])["count"] == 3
    assert _totals_behind(client, weight["status_urls"]["disputed"])["count"] == 1
    zto = f.counterparties[0]
    assert _totals_behind(client, zto["url"])["at_stake"] == Decimal("60.00")
    september = f.trend[-2]
    assert _totals_behind(client, september["url"])["at_stake"] == Decimal("7.25")


def test_the_page_bars_link_to_their_lists(client, manager_user, dashboard_data):
    client.force_login(manager_user)
    page = client.get(reverse("home"), {"period": "2026-10"}).content.decode()
    # The stacked bar of weight overcharges still disputed, as drawn on the page, leads to the one row it counts.
    bar = re.search(r'<a href="([^"]+)"><rect class="chart-bar"[^>]*><title>重量超收 · 争议中: 1</title>', page)
    assert bar, "no bar for the disputed weight overcharges"
    assert _totals_behind(client, bar.group(1))["count"] == 1
    assert '<span class="value">¥72.50</span>' in page


def test_money_roles_see_money_and_ops_see_their_work(client, manager_user, finance_user, auditor_user, ops_user, dashboard_data):
    for user in (manager_user, finance_user, auditor_user):
        client.force_login(user)
        page = client.get(reverse("home"), {"period": "2026-10"}).content.decode()
        assert 'data-testid="kpi-at-stake"' in page and 'data-testid="panel-trend"' in page
        assert f'href="{reverse("reports-summary-pdf")}?period=2026-10"' in page
        assert "下载本期 PDF 摘要" in page
        assert (reverse("bill-upload") in page) == (user != auditor_user)  # the auditor reads, uploads nothing
    client.force_login(ops_user)
    page = client.get(reverse("home"), {"period": "2026-10"}).content.decode()
    assert 'data-testid="kpi-at-stake"' not in page and 'data-testid="panel-trend"' not in page
    assert "下载本期 PDF 摘要" not in page
    assert 'data-testid="kpi-assigned"' in page and 'data-testid="panel-types"' in page
    assert re.search(r'data-testid="kpi-month-count".*?<span class="value">5</span>', page, re.S)


def test_oldest_open_items_and_failed_runs(client, manager_user, dashboard_data):
    client.force_login(manager_user)
    response = client.get(reverse("home"), {"period": "2026-10"})
    assert [d.ref for d in response.context["oldest"]] == ["S1", "Z1", "Y1", "Z4"]
    assert [r.error for r in response.context["failed"]] == ["账单读不出来"]
    assert _totals_behind(client, response.context["oldest_url"])["count"] == 4


def test_a_month_that_is_not_one_falls_back_and_says_so(client, manager_user, dashboard_data):
    client.force_login(manager_user)
    response = client.get(reverse("home"), {"period": "2026-13"})
    assert response.status_code == 200
    assert response.context["error"] == "请按 YYYY-MM 格式输入月份。"
    assert response.context["month"] == "2026-10"  # the newest period that has begun


def test_the_queue_refuses_a_month_it_cannot_read(client, manager_user, dashboard_data):
    client.force_login(manager_user)
    response = client.get(reverse("discrepancy-totals"), {"month": "10/2026"})
    assert response.context["invalid"] is True


def test_receivables_by_age_come_from_the_kind_that_knows_them(client, manager_user):
    from reports.dashboard import receivables_by_age
    from tests.payments.test_receivables import line, order

    # Paid 30 days ago is in 0–30, 31 days in 31–60; a part-settled order counts what is left, a settled one nothing.
    order("D30", days_ago=30, amount="100.00")
    order("D31", days_ago=31, amount="100.00")
    order("D61", days_ago=61, amount="100.00")
    line("D61", "40.00")
    order("D95", days_ago=95, amount="25.50")
    order("D90PAID", days_ago=90, amount="100.00")
    line("D90PAID", "100.00")
    from payments.receivables import shanghai_today

    assert receivables_by_age(shanghai_today()) == [
        {"bucket": "0-30", "count": 1, "amount": Decimal("100.00")},
        {"bucket": "31-60", "count": 1, "amount": Decimal("100.00")},
        {"bucket": "61-90", "count": 1, "amount": Decimal("60.00")},
        {"bucket": "90+", "count": 1, "amount": Decimal("25.50")},
    ]
    client.force_login(manager_user)
    page = client.get(reverse("home")).content.decode()
    panel = page[page.index('data-testid="panel-receivables"'):]
    assert re.search(r"<td>61-90</td><td class=\"num\">1</td><td class=\"num\">¥60.00</td>", panel)


# --------------------------------------------------------------------------- rows without a counterparty, and links


def _count_behind(client, url: str) -> int:
    return _totals_behind(client, url)["count"]


def test_rows_without_a_counterparty_count_in_their_month(client, manager_user, without_counterparty):
    f = dashboard_figures(month=date(2026, 10, 1))
    assert (f.totals["count"], f.totals["at_stake"], f.totals["open"]) == (7, Decimal("271.50"), Decimal("241.50"))
    assert [(t["month"], t["at_stake"]) for t in f.trend[-2:]] == [("2026-09", Decimal("8.25")), ("2026-10", Decimal("271.50"))]
    assert [(c["label"], c["count"], c["at_stake"]) for c in f.counterparties] == [
        ("对账方未知", 2, Decimal("199.00")), ("中通", 4, Decimal("60.00")), ("圆通", 1, Decimal("12.50"))]
    assert [(t["kind"], t["type"], t["count"]) for t in f.types][-2:] == [
        ("returns", "refunded_not_received", 1), ("returns", "return_not_received", 1)]
    client.force_login(manager_user)
    # The headline is the queue's money panel for the month.
    month = _totals_behind(client, f.links["at_stake"])
    assert {k: month[k] for k in ("count", "at_stake", "open", "disputed", "recovered")} == {
        k: f.totals[k] for k in ("count", "at_stake", "open", "disputed", "recovered")}
    unknown = _totals_behind(client, f.counterparties[0]["url"])
    assert (unknown["count"], unknown["at_stake"]) == (2, Decimal("199.00"))


def test_the_monthly_review_counts_the_open_claims_without_a_counterparty(without_counterparty):
    from reports.review import review_figures

    review = review_figures(period="2026-10")
    # Z1 ¥30.00 and Y1 ¥12.50 (open, investigating), and the return's ¥199.00.
    assert (review["claims_open"], review["claims_open_amount"]) == (3, Decimal("241.50"))


def test_every_figure_with_a_link_counts_exactly_its_list(client, manager_user, without_counterparty):
    client.force_login(manager_user)
    context = client.get(reverse("home"), {"period": "2026-10"}).context
    f = context["figures"]
    checked = []

    def check(url, key, expected):
        assert _totals_behind(client, url)[key] == expected, (url, key)
        checked.append(url)

    check(f.links["at_stake"], "at_stake", f.totals["at_stake"])
    check(f.links["at_stake"], "count", f.totals["count"])
    check(f.links["recovered"], "recovered", f.totals["recovered"])
    check(f.links["open"], "open", f.totals["open"])
    check(f.links["disputed"], "disputed", f.totals["disputed"])
    for t in f.trend:
        check(t["url"], "at_stake", t["at_stake"])
        check(t["url"], "count", t["count"])
    for t in f.types:
        check(t["url"], "count", t["count"])
        for status, url in t["status_urls"].items():
            check(url, "count", t["counts"][status])
    for c in [*f.counterparties, *context["stakes"]]:
        check(c["url"], "count", c["count"])
        check(c["url"], "at_stake", c["at_stake"])
    assert len(checked) == 5 + 2 * 12 + sum(1 + len(t["status_urls"]) for t in f.types) + 2 * 2 * len(f.counterparties)
    # The stakes card shows the month's counterparties, each with its list's count.
    page = client.get(reverse("home"), {"period": "2026-10"}).content.decode()
    card = page[page.index('data-testid="panel-stakes"'):page.index('data-testid="panel-trend"')]
    assert "各对账方涉及金额，2026-10" in card
    rows = re.findall(r'<td><a href="([^"]+)">([^<]+)</a></td>\s*<td class="num"><a href="[^"]+">(\d+)</a></td>', card)
    assert [(name, int(n)) for _url, name, n in rows] == [("对账方未知", 2), ("中通", 4), ("圆通", 1)]
    assert [_count_behind(client, url) for url, _name, _n in rows] == [2, 4, 1]


def test_counterparties_are_named_once_and_told_apart_by_kind(client, manager_user, dashboard_data):
    from recon.core.models import Counterparty, ReconPeriod, ReconRun
    from couriers.models import Courier

    jd_courier = Courier.objects.get(code="JD").counterparty
    jd_shop = Counterparty.objects.get_or_create(kind="shop", code="JD", defaults={"name": "京东"})[0]
    assert jd_shop.name == jd_courier.name == "京东"
    bank = Counterparty.objects.create(kind="bank", code="31050161373600001234", name="31050161373600001234")
    oct_s, oct_e = date(2026, 10, 1), date(2026, 10, 31)
    for cp, kind, type_, amount in ((jd_courier, "courier_fee", "rate_overcharge", "3.00"),
                                    (jd_shop, "settlement", "settlement_amount_mismatch", "4.00"),
                                    (bank, "bank", "withdrawal_not_received", "5.00")):
        period = ReconPeriod.objects.create(counterparty=cp, start=oct_s, end=oct_e, cycle=ReconPeriod.Cycle.MONTHLY)
        run = ReconRun.objects.create(kind=kind, status="succeeded", counterparty=cp, period_start=oct_s, period_end=oct_e)
        Discrepancy.objects.create(run=run, kind=kind, type=type_, counterparty=cp, period=period, ref=f"X{cp.pk}",
                                   amount_at_stake=Decimal(amount), is_claim=True, reason="…")
    f = dashboard_figures(month=date(2026, 10, 1))
    assert [(c["label"], c["at_stake"]) for c in f.counterparties] == [
        ("中通", Decimal("60.00")), ("圆通", Decimal("12.50")), ("31050161373600001234", Decimal("5.00")),
        ("京东（平台店铺）", Decimal("4.00")), ("京东（快递公司）", Decimal("3.00"))]
    client.force_login(manager_user)
    for c in f.counterparties:
        assert _totals_behind(client, c["url"])["at_stake"] == c["at_stake"]
    page = client.get(reverse("home"), {"period": "2026-10"}).content.decode()
    assert "JD 京东" not in page and "31050161373600001234 31050161373600001234" not in page
    assert page.count(">京东（快递公司）</a>") == 2  # the stakes card and the money panel


def test_the_latest_runs_show_each_kinds_figures_and_a_dash_where_none_applies(client, manager_user, dashboard_data,
                                                                               without_counterparty):
    returns = without_counterparty["run"]
    client.force_login(manager_user)
    page = client.get(reverse("home"), {"period": "2026-10"}).content.decode()
    row = re.search(rf'<tr data-run="{returns.pk}">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[1:3] == ["退货", "—"] and cells[4:9] == ["已完成", "—", "2", "—", "199.00"]
    zto_run = dashboard_data["rows"]["Z1"].run
    row = re.search(rf'<tr data-run="{zto_run.pk}">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[1:3] == ["快递运费", "中通"] and cells[5:9] == ["10", "—", "1,000.00", "—"]


def test_the_queues_counterparty_filter(client, manager_user, dashboard_data, without_counterparty):
    client.force_login(manager_user)
    url = reverse("discrepancy-totals")
    count = lambda value: client.get(url, {"counterparty": value}).context["totals"]["total"]["count"]  # noqa: E731
    # The unknown counterparty's two current rows and September's one; ZTO's current rows of both months.
    assert (count("none"), count(str(dashboard_data["zto"].pk)), count("abc"), count("²"), count(str(2**63))) == (3, 5, 0, 0, 0)
    page = client.get(reverse("home"), {"period": "2026-10"}).content.decode()
    row = re.search(r'<tr data-run="\d+">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="num">—</td>' in row and "money\">—" not in page
