"""Sorting bills and rate cards: the FilterSet's `ordering`, used as it is by the API and the HTML lists."""
import calendar
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from couriers.filters import CourierBillFilter, RateCardFilter
from couriers.models import CourierBill, RateCard
from tests.factories import CourierBillFactory, RateCardFactory

pytestmark = pytest.mark.django_db

# name: courier, period, lines, billed total, day of November uploaded. Created in this order, so ids ascend a → d.
BILLS = {
    "a": ("ZTO", date(2026, 9, 1), 120, "530.50", 5),
    "b": ("YTO", date(2026, 10, 1), 80, "1200.00", 3),
    "c": ("ZTO", date(2026, 10, 1), 300, "99.90", 7),
    "d": ("YTO", date(2026, 8, 1), 80, "530.50", 1),
}


@pytest.fixture
def bills(finance_user):
    ids = {}
    for name, (code, start, lines, total, day) in BILLS.items():
        end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        bill = CourierBillFactory(
            courier__code=code, period_start=start, period_end=end, period=None, file=f"bills/{name}.csv",
            original_filename=f"{name}.csv", size_bytes=100, line_count=lines, billed_total=Decimal(total), uploaded_by=finance_user,
        )
        CourierBill.objects.filter(pk=bill.pk).update(uploaded_at=timezone.make_aware(datetime(2026, 11, day, 9, 0)))
        ids[bill.pk] = name
    return ids


# Ties (two bills of 2026-10, two of 80 lines, two of ¥530.50) go by id, in the sort's direction.
BILL_ORDERS = [
    ("uploaded_at", "dbac"),
    ("-uploaded_at", "cabd"),
    ("period_start", "dabc"),
    ("-period_start", "cbad"),
    ("line_count", "bdac"),
    ("-line_count", "cadb"),
    ("billed_total", "cadb"),
    ("-billed_total", "bdac"),
]


@pytest.mark.parametrize(("ordering", "expected"), BILL_ORDERS)
def test_bill_ordering(bills, ordering, expected):
    qs = CourierBillFilter({"ordering": ordering}, queryset=CourierBill.objects.all()).qs
    assert "".join(bills[pk] for pk in qs.values_list("pk", flat=True)) == expected


@pytest.mark.parametrize(("ordering", "expected"), BILL_ORDERS)
def test_bill_api_list_sorts_by_the_filterset(api_client, bills, ordering, expected, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/courier-bills/", {"ordering": ordering})
    assert response.status_code == 200, response.content
    assert "".join(bills[row["id"]] for row in response.json()["results"]) == expected


def test_bill_api_sorts_within_a_filter_and_refuses_unknown_keys(api_client, bills):
    response = api_client.get("/api/v1/courier-bills/", {"courier": "zto", "ordering": "-line_count"})
    assert "".join(bills[row["id"]] for row in response.json()["results"]) == "ca"
    bad = api_client.get("/api/v1/courier-bills/", {"ordering": "sha256"})
    assert bad.status_code == 400
    assert "ordering" in bad.json()["error"]["details"]


@pytest.mark.parametrize(("ordering", "expected"), [("period_start", "dabc"), ("-billed_total", "bdac")])
def test_bill_html_list_sorts_by_the_filterset(client, finance_user, bills, ordering, expected):
    client.force_login(finance_user)
    response = client.get("/bills/", {"ordering": ordering})
    assert response.status_code == 200
    assert "".join(bills[b.pk] for b in response.context["page_obj"]) == expected


@pytest.fixture
def cards():
    ids = {}
    for name, code, start in [("zto-2026", "ZTO", date(2026, 1, 1)), ("yto-2026", "YTO", date(2026, 1, 1)), ("zto-2025", "ZTO", date(2025, 7, 1))]:
        ids[RateCardFactory(courier__code=code, name="", effective_from=start).pk] = name
    return ids


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [("effective_from", ["zto-2025", "zto-2026", "yto-2026"]), ("-effective_from", ["yto-2026", "zto-2026", "zto-2025"])],
)
def test_rate_card_ordering(api_client, client, finance_user, cards, ordering, expected):
    qs = RateCardFilter({"ordering": ordering}, queryset=RateCard.objects.all()).qs
    assert [cards[pk] for pk in qs.values_list("pk", flat=True)] == expected

    response = api_client.get("/api/v1/rate-cards/", {"ordering": ordering})
    assert [cards[row["id"]] for row in response.json()["results"]] == expected

    client.force_login(finance_user)
    page = client.get("/rate-cards/", {"ordering": ordering}).context["page_obj"]
    assert [cards[c.pk] for c in page] == expected


def test_bill_list_headers_sort_and_keep_the_filter(client, finance_user, bills):
    client.force_login(finance_user)
    response = client.get("/bills/", {"courier": "ZTO", "ordering": "period_start", "page": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    headers = {h["label"]: h for h in response.context["headers"]}
    assert headers["Period"]["state"] == "asc"
    assert headers["Period"]["url"] == "?courier=ZTO&ordering=-period_start"  # again: the other way; back to page 1
    assert headers["Lines"]["url"] == "?courier=ZTO&ordering=-line_count"  # counts and money: biggest first
    assert headers["Billed total"]["url"] == "?courier=ZTO&ordering=-billed_total"
    assert headers["Uploaded"]["url"] == "?courier=ZTO&ordering=-uploaded_at"
    assert headers["File"]["url"] == ""
    assert 'aria-sort="ascending"' in response.content.decode()
    assert "".join(bills[b.pk] for b in response.context["page_obj"]) == "ac"

    unsorted = client.get("/bills/", HTTP_ACCEPT_LANGUAGE="en")
    assert {h["label"]: h["state"] for h in unsorted.context["headers"]}["Uploaded"] == "desc"  # newest upload first
    assert "".join(bills[b.pk] for b in unsorted.context["page_obj"]) == "cabd"


def test_rate_card_list_header_sorts_by_effective_date(client, finance_user, cards):
    client.force_login(finance_user)
    response = client.get("/rate-cards/", HTTP_ACCEPT_LANGUAGE="en")
    headers = {h["label"]: h for h in response.context["headers"]}
    assert (headers["Effective from"]["state"], headers["Effective from"]["url"]) == ("", "?ordering=-effective_from")
    # Unsorted: by courier code, newest card first.
    assert [cards[c.pk] for c in response.context["page_obj"]] == ["yto-2026", "zto-2026", "zto-2025"]
    assert headers["Courier"]["url"] == ""
