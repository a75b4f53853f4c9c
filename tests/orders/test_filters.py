"""Sorting shipments: the FilterSet's `ordering`, used as it is by the API and the HTML list."""
from datetime import datetime

import pytest
from django.utils import timezone

from orders.filters import ShipmentFilter
from orders.models import Shipment
from tests.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcels(zto):
    """Two parcels shipped in the same minute, two of the same weight, and one never weighed."""
    rows = [  # waybill, shipped on 2026-10-<day> at <hour>:00, weight in g
        ("ZT003", 3, 10, 1200),
        ("ZT001", 1, 9, None),
        ("ZT004", 3, 10, 500),
        ("ZT002", 2, 15, 1200),
    ]
    for i, (waybill, day, hour, weight_g) in enumerate(rows):
        ShipmentFactory(
            order_no=f"SO{i}", waybill_no=waybill, courier=zto, weight_g=weight_g,
            shipped_at=timezone.make_aware(datetime(2026, 10, day, hour, 0)),
        )


# Ties go by id in the sort's direction; a parcel without a weight comes last either way.
SHIPMENT_ORDERS = [
    ("shipped_at", ["ZT001", "ZT002", "ZT003", "ZT004"]),
    ("-shipped_at", ["ZT004", "ZT003", "ZT002", "ZT001"]),
    ("waybill_no", ["ZT001", "ZT002", "ZT003", "ZT004"]),
    ("-waybill_no", ["ZT004", "ZT003", "ZT002", "ZT001"]),
    ("weight_g", ["ZT004", "ZT003", "ZT002", "ZT001"]),
    ("-weight_g", ["ZT002", "ZT003", "ZT004", "ZT001"]),
]


@pytest.mark.parametrize(("ordering", "expected"), SHIPMENT_ORDERS)
def test_shipment_ordering(parcels, ordering, expected):
    qs = ShipmentFilter({"ordering": ordering}, queryset=Shipment.objects.all()).qs
    assert list(qs.values_list("waybill_no", flat=True)) == expected


@pytest.mark.parametrize(("ordering", "expected"), SHIPMENT_ORDERS)
def test_shipment_api_list_sorts_by_the_filterset(api_client, parcels, ordering, expected, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = api_client.get("/api/v1/shipments/", {"ordering": ordering})
    assert response.status_code == 200, response.content
    assert [row["waybill_no"] for row in response.json()["results"]] == expected


@pytest.mark.parametrize(("ordering", "expected"), [("-weight_g", ["ZT002", "ZT003", "ZT004", "ZT001"]), ("shipped_at", ["ZT001", "ZT002", "ZT003", "ZT004"])])
def test_shipment_html_list_sorts_by_the_filterset(client, finance_user, parcels, ordering, expected):
    client.force_login(finance_user)
    response = client.get("/shipments/", {"ordering": ordering})
    assert response.status_code == 200
    assert [s.waybill_no for s in response.context["page_obj"]] == expected


def test_shipment_list_headers_sort_and_keep_the_filter(client, finance_user, parcels):
    client.force_login(finance_user)
    response = client.get("/shipments/", {"province": "广东", "ordering": "-weight_g"}, HTTP_ACCEPT_LANGUAGE="en")
    headers = {h["label"]: h for h in response.context["headers"]}
    assert headers["Weight (kg)"]["state"] == "desc"
    assert headers["Weight (kg)"]["url"] == "?province=%E5%B9%BF%E4%B8%9C&ordering=weight_g"
    assert headers["Shipped at"]["url"] == "?province=%E5%B9%BF%E4%B8%9C&ordering=-shipped_at"  # newest first
    assert headers["Waybill"]["url"] == "?province=%E5%B9%BF%E4%B8%9C&ordering=waybill_no"
    assert headers["Recipient"]["url"] == ""
    assert 'aria-sort="descending"' in response.content.decode()

    unsorted = client.get("/shipments/", HTTP_ACCEPT_LANGUAGE="en")
    assert {h["label"]: h["state"] for h in unsorted.context["headers"]}["Shipped at"] == "desc"
    assert [s.waybill_no for s in unsorted.context["page_obj"]] == ["ZT003", "ZT004", "ZT002", "ZT001"]
