"""Each filter of the returns lists, the lists' query budgets, and the nav link for those who may upload."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from returns.filters import ReturnFreightLineFilter, ReturnReceiptFilter, ReturnRequestFilter
from returns.models import ReturnFreightLine, ReturnReceipt, ReturnRequest

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def requests_():
    common = {"sku": "SKU-A", "quantity": 1, "refund_amount": Decimal("10.00")}
    return [
        ReturnRequest.objects.create(return_no="RT1", order_no="SO1", return_waybill_no="75310001", refund_status="requested",
                                     requested_at=at(1), **common),
        ReturnRequest.objects.create(return_no="RT2", order_no="SO2", return_waybill_no="SF20002", refund_status="refunded",
                                     requested_at=at(3), **common),
        # Requested late on 5 October in Shanghai: 4 October in UTC, 5 October by the local date.
        ReturnRequest.objects.create(return_no="RT3", order_no="SO3", refund_status="refused", requested_at=at(5, 2), **common),
    ]


def request_nos(**query) -> list[str]:
    return sorted(ReturnRequestFilter(query, queryset=ReturnRequest.objects.all()).qs.values_list("return_no", flat=True))


def test_request_filters(requests_):
    assert request_nos(return_no="RT2") == ["RT2"]
    assert request_nos(order_no="SO3") == ["RT3"]
    assert request_nos(waybill="SF2") == ["RT2"]
    assert request_nos(status="refused") == ["RT3"]
    assert request_nos(requested_from="2026-10-03") == ["RT2", "RT3"]
    assert request_nos(requested_to="2026-10-04") == ["RT1", "RT2"]


def test_receipt_filters():
    common = {"received_at": at(8), "quantity": 1}
    ReturnReceipt.objects.create(return_waybill_no="75310001", sku="SKU-A", condition="good", **common)
    ReturnReceipt.objects.create(order_no="SO9", sku="SKU-B", condition="empty", **common)

    def skus(**query):
        return sorted(ReturnReceiptFilter(query, queryset=ReturnReceipt.objects.all()).qs.values_list("sku", flat=True))

    assert skus(waybill="7531") == ["SKU-A"]
    assert skus(order_no="SO9") == ["SKU-B"]
    assert skus(status="empty") == ["SKU-B"]


def test_freight_filters(zto):
    from couriers.models import Courier

    sf = Courier.objects.get(code="SF")
    ReturnFreightLine.objects.create(courier=zto, waybill_no="75310001", fee=Decimal("8.00"), line_no=1)
    ReturnFreightLine.objects.create(courier=sf, waybill_no="SF20002", fee=Decimal("12.00"), line_no=1)

    def waybills(**query):
        return sorted(ReturnFreightLineFilter(query, queryset=ReturnFreightLine.objects.all()).qs.values_list("waybill_no", flat=True))

    assert waybills(waybill="SF") == ["SF20002"]
    assert waybills(courier="zto") == ["75310001"]


def test_list_endpoints_and_pages_keep_to_a_query_budget(requests_, finance_user, django_assert_max_num_queries):
    api = APIClient()
    api.force_authenticate(finance_user)
    page = Client()
    page.force_login(finance_user)
    for name in ("api-return-request-list", "api-return-receipt-list", "api-return-freight-list"):
        with django_assert_max_num_queries(8):
            assert api.get(reverse(name)).status_code == 200
    for name in ("return-request-list", "return-receipt-list"):
        with django_assert_max_num_queries(10):
            assert page.get(reverse(name)).status_code == 200


def test_the_nav_links_the_upload_page_for_those_who_may_upload(finance_user, ops_user):
    upload = f'href="{reverse("returns-upload")}"'
    client = Client()
    client.force_login(finance_user)
    assert upload in client.get(reverse("return-request-list")).content.decode()
    client.force_login(ops_user)
    html = client.get(reverse("return-request-list")).content.decode()
    assert upload not in html and f'href="{reverse("return-request-list")}"' in html
