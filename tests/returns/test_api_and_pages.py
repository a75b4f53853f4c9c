"""The bulk API (create, then update by natural key), who may use it, and buyers' data masked in the API and the list page."""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from returns.models import ReturnFreightLine, ReturnReceipt, ReturnRequest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REQUEST = {
    "return_no": "RT2001", "order_no": "SO2001", "platform": "抖音", "shop": "官方店", "return_waybill_no": "SF1234567890123",
    "return_courier": "顺丰", "sku": "SKU-A", "quantity": 2, "refund_amount": "99.80", "refund_status": "处理中",
    "requested_at": "2026-10-03 09:30", "reason": "不想要了", "buyer_name": "张三丰", "buyer_phone": "13812341234",
    "buyer_address": "浙江省杭州市西湖区文三路1号",
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_requests_bulk_creates_then_updates(finance_user):
    client = client_for(finance_user)
    url = reverse("api-return-request-list")
    bad = {**REQUEST, "sku": "SKU-B", "quantity": "两件"}
    first = client.post(url, [REQUEST, bad], format="json")
    assert first.status_code == 200
    assert first.json() == {"rows": 1, "rejected": 1, "duplicates": 0, "errors": [
        {"index": 1, "field": "quantity", "code": "quantity_invalid", "message": "数量“两件”不是整数件数"}]}
    settled = {**REQUEST, "refund_status": "退款成功", "refunded_at": "2026-10-05 11:00"}
    second = client.post(url, {"records": [REQUEST, settled]}, format="json")
    assert second.json() == {"rows": 1, "rejected": 0, "duplicates": 1, "errors": []}
    row = ReturnRequest.objects.get()
    assert (row.return_no, row.sku, row.refund_status, row.refund_amount, row.return_courier.code, row.return_courier_raw,
            row.refunded_at.isoformat(), row.source_id, row.row_no) == (
        "RT2001", "SKU-A", "refunded", Decimal("99.80"), "SF", "顺丰", "2026-10-05T03:00:00+00:00", None, 2)


def test_receipts_bulk_by_natural_key(token_client):
    url = reverse("api-return-receipt-list")
    item = {"return_waybill_no": "SF1234567890123", "received_at": "2026-10-08 15:00", "sku": "SKU-A", "quantity": 2,
            "condition": "破损", "warehouse": "杭州仓", "inspector": "王五"}
    assert token_client.post(url, [item, {**item, "return_waybill_no": ""}], format="json").json() == {
        "rows": 1, "rejected": 1, "duplicates": 0, "errors": [
            {"index": 1, "field": "return_waybill_no", "code": "receipt_key_missing", "message": "该行既没有运单号也没有订单号"}]}
    assert token_client.post(url, [{**item, "quantity": 1}], format="json").json() == {
        "rows": 1, "rejected": 0, "duplicates": 0, "errors": []}
    assert list(ReturnReceipt.objects.values_list("receipt_key", "quantity", "condition")) == [
        ("w:SF1234567890123|SKU-A|damaged", 1, "damaged")]


def test_freight_bulk_names_its_courier_and_adds_repeats(finance_user, zto):
    url = reverse("api-return-freight-list")
    line = {"courier": "ZTO", "waybill_no": "75312345678901", "billed_at": "2026-10-07", "billed_weight": "1.2", "fee": "8.00",
            "origin_province": "浙江"}
    answer = client_for(finance_user).post(url, [line, line, {**line, "courier": "某某快递"}], format="json").json()
    assert answer == {"rows": 2, "rejected": 1, "duplicates": 0, "errors": [
        {"index": 2, "field": "courier", "code": "courier_unknown", "message": "未知快递公司 “某某快递”"}]}
    assert list(ReturnFreightLine.objects.order_by("line_no").values_list("courier__code", "fee", "origin_province", "line_no")) == [
        ("ZTO", Decimal("8.00"), "浙江", 1), ("ZTO", Decimal("8.00"), "浙江", 2)]


@pytest.mark.parametrize("role, post_status, get_status", [
    ("finance", 200, 200), ("manager", 200, 200), ("integration", 200, 200), ("ops", 403, 200), ("auditor", 403, 200),
    (None, 403, 403),
])
def test_permissions(role, post_status, get_status):
    user = UserFactory(username=f"u-{role}", role=role) if role else UserFactory(username="nobody")
    client = client_for(user)
    url = reverse("api-return-request-list")
    assert client.post(url, [REQUEST], format="json").status_code == post_status
    assert client.get(url).status_code == get_status


def _load(finance_user):
    client_for(finance_user).post(reverse("api-return-request-list"), [REQUEST], format="json")


def test_api_masks_buyers_without_the_personal_data_permission(finance_user, ops_user):
    _load(finance_user)
    data = client_for(ops_user).get(reverse("api-return-request-list"), {"return_no": "RT2001"}).json()
    assert data["count"] == 1
    row = data["results"][0]
    assert (row["buyer_name"], row["buyer_phone"], row["buyer_address"]) == ("张**", "138****1234", "浙江省杭州市****")
    ops_user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    ops_user = type(ops_user).objects.get(pk=ops_user.pk)
    row = client_for(ops_user).get(reverse("api-return-request-list")).json()["results"][0]
    assert (row["buyer_name"], row["buyer_phone"]) == ("张三丰", "13812341234")


def test_api_filters(finance_user):
    client = client_for(finance_user)
    client.post(reverse("api-return-request-list"), [REQUEST, {**REQUEST, "return_no": "RT2002", "order_no": "SO2002",
                                                               "return_waybill_no": "", "refund_status": "已拒绝"}], format="json")
    url = reverse("api-return-request-list")
    returns_of = lambda **q: [r["return_no"] for r in client.get(url, q).json()["results"]]  # noqa: E731
    assert returns_of(status="refused") == ["RT2002"]
    assert returns_of(order_no="SO2001") == ["RT2001"]
    assert returns_of(waybill="SF123") == ["RT2001"]
    assert returns_of(return_no="RT2002") == ["RT2002"]


def test_list_page_masks_buyers(finance_user, ops_user):
    _load(finance_user)
    client = Client()
    client.force_login(ops_user)
    page = client.get(reverse("return-request-list")).content.decode()
    assert "张**" in page and "138****1234" in page
    assert "张三丰" not in page and "13812341234" not in page and "文三路" not in page


def test_upload_page_shows_counts_and_links_the_rejected_rows(finance_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import REQUEST_HEADER, csv_bytes

    data = csv_bytes([REQUEST_HEADER,
                      ["RT1", "SO1", "淘宝", "店", "", "", "SKU-A", "1", "10", "待处理", "", "2026-10-03", "", "", "", ""],
                      ["RT2", "SO2", "淘宝", "店", "", "", "SKU-A", "0", "10", "待处理", "", "2026-10-03", "", "", "", ""]])
    client = Client()
    client.force_login(finance_user)
    response = client.post(reverse("returns-upload"), {"kind": "requests", "file": SimpleUploadedFile("售后.csv", data)})
    result = response.context["result"]
    assert (result["rows"], result["rejected"], result["duplicates"]) == (1, 1, 0)
    rejected_url = reverse("returns-file-rejected", args=[result["file_id"]])
    assert rejected_url in response.content.decode()
    page = client.get(rejected_url)
    assert [(r.row_no, r.reason_code) for r in page.context["page_obj"]] == [(3, "quantity_invalid")]
    csv = client.get(reverse("returns-file-rejected-download", args=[result["file_id"]]))
    assert csv.content.decode("utf-8-sig").splitlines()[1].startswith(",3,quantity_invalid,")


def test_upload_page_asks_for_the_courier_of_freight(finance_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(finance_user)
    response = client.post(reverse("returns-upload"), {"kind": "freight", "file": SimpleUploadedFile("f.csv", b"a,b\n")})
    assert response.context["form"].errors == {"courier": ["请选择开具此退件运费的快递公司。"]}
