"""The orders API: bulk create-or-update by platform + order number with nested lines, its errors, who may use it,
the list's filters, and the platforms' list."""
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from orders.models import Order, OrderLine
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COAT = {
    "platform": "TMALL", "order_no": "3012345678901234567", "shop": "某某旗舰店", "status": "卖家已发货，等待买家确认",
    "paid_at": "2026-10-01 10:00:05", "shipped_at": "2026-10-02 15:30", "order_amount": "1,299.90", "refund_amount": "",
    "lines": [{"sku": "COAT-BLK-M", "quantity": 1, "line_amount": "1199.90"}, {"sku": "SCARF-01", "quantity": 2}],
}
FLOSS = {"platform": "京东", "order_no": "289123456790", "status": "completed", "paid_at": "2026-10-06 08:00", "order_amount": 45.5}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def lines_of(order_no: str) -> list[tuple]:
    return list(OrderLine.objects.filter(order__order_no=order_no).order_by("line_no")
                .values_list("line_no", "sku", "quantity", "line_amount"))


def test_bulk_creates_orders_with_their_lines_then_updates_them(finance_user):
    client = client_for(finance_user)
    url = reverse("api-order-list")
    first = client.post(url, [COAT, FLOSS], format="json")
    assert first.status_code == 200
    assert first.json() == {"rows": 2, "rejected": 0, "duplicates": 0, "errors": []}
    coat = Order.objects.get(order_no="3012345678901234567")
    assert (coat.platform.code, coat.status, coat.order_amount, coat.refund_amount, coat.paid_at.isoformat(), coat.source_id,
            coat.row_no) == ("TMALL", "shipped", Decimal("1299.90"), Decimal("0.00"), "2026-10-01T02:00:05+00:00", None, 2)
    assert lines_of("3012345678901234567") == [(1, "COAT-BLK-M", 1, Decimal("1199.90")), (2, "SCARF-01", 2, None)]
    floss = Order.objects.get(order_no="289123456790")
    assert (floss.platform.code, floss.status, floss.order_amount) == ("JD", "completed", Decimal("45.50"))

    settled = {**COAT, "status": "交易成功", "refund_amount": "100", "lines": [{"sku": "COAT-BLK-L", "quantity": 1}]}
    no_lines = {**FLOSS, "refund_amount": "5.50"}
    second = client.post(url, {"records": [settled, FLOSS, {k: v for k, v in COAT.items() if k != "lines"} | {"order_no": "X1"}]},
                         format="json")
    assert second.json() == {"rows": 2, "rejected": 0, "duplicates": 1, "errors": []}
    coat.refresh_from_db()
    assert (coat.status, coat.refund_amount) == ("completed", Decimal("100.00"))
    assert lines_of("3012345678901234567") == [(1, "COAT-BLK-L", 1, None)]
    third = client.post(url, [no_lines], format="json")
    assert third.json() == {"rows": 1, "rejected": 0, "duplicates": 0, "errors": []}
    assert Order.objects.get(order_no="289123456790").refund_amount == Decimal("5.50")
    assert lines_of("X1") == []


def test_bulk_reports_each_refused_record_with_its_field(token_client):
    url = reverse("api-order-list")
    records = [
        {**FLOSS, "order_no": "A1", "status": "等待买家付款"},
        {**FLOSS, "order_no": "A2", "platform": "亚马逊"},
        {**COAT, "order_no": "A3", "lines": [{"sku": "S1", "quantity": 1}, {"sku": "S2", "quantity": "两件"}]},
        {**FLOSS, "order_no": "A4", "order_amount": "四十"},
        "not an order",
        {**FLOSS, "order_no": "A5", "lines": "S1"},
        {**FLOSS, "order_no": "A6"},
    ]
    response = token_client.post(url, records, format="json")
    assert response.status_code == 200
    assert response.json() == {"rows": 1, "rejected": 6, "duplicates": 0, "errors": [
        {"index": 0, "field": "status", "code": "order_status_invalid",
         "message": "订单状态“等待买家付款”不是已付款、待发货、已发货、卖家已发货、交易成功、已完成、已签收、交易关闭、已取消之一"},
        {"index": 1, "field": "platform", "code": "platform_unknown", "message": "平台“亚马逊”不是已知的平台代码或名称"},
        {"index": 2, "field": "lines[1].quantity", "code": "quantity_invalid", "message": "数量“两件”不是整数件数"},
        {"index": 3, "field": "order_amount", "code": "order_amount_invalid", "message": "实付金额“四十”不是金额"},
        {"index": 4, "field": "", "code": "record_invalid", "message": "每条记录必须是 JSON 对象。"},
        {"index": 5, "field": "lines", "code": "lines_invalid",
         "message": "“lines”必须是由含 sku、quantity 和 line_amount 的对象组成的列表。"},
    ]}
    assert list(Order.objects.values_list("order_no", flat=True)) == ["A6"]


def test_bulk_refuses_what_is_no_list_of_records(finance_user):
    client = client_for(finance_user)
    url = reverse("api-order-list")
    for body in ([], {"records": {}}, {"orders": []}):
        response = client.post(url, body, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": {"code": "no_data", "message": "请发送非空的 JSON 记录列表。", "details": {}}}
    assert not Order.objects.exists()


@pytest.mark.parametrize("role, post_status", [("finance", 200), ("integration", 200), ("manager", 200), ("ops", 403),
                                               ("auditor", 403)])
def test_who_may_post_orders(role, post_status):
    client = client_for(UserFactory(username=f"u-{role}", role=role))
    assert client.post(reverse("api-order-list"), [FLOSS], format="json").status_code == post_status
    assert client.get(reverse("api-order-list")).status_code == 200
    assert client.get(reverse("api-platform-list")).status_code == 200


def test_list_filters_and_shows_the_lines(finance_user, django_assert_max_num_queries):
    client = client_for(finance_user)
    url = reverse("api-order-list")
    client.post(url, [COAT, FLOSS, {**FLOSS, "order_no": "289123456791", "paid_at": "2026-10-09 08:00", "shop": "京东店",
                                    "status": "已取消"}], format="json")

    def numbers(query: str) -> list[str]:
        return [o["order_no"] for o in client.get(f"{url}?{query}").json()["results"]]

    assert numbers("platform=jd") == ["289123456791", "289123456790"]
    assert numbers("platform=TMALL") == ["3012345678901234567"]
    assert numbers("status=closed") == ["289123456791"]
    assert numbers("shop=京东店") == ["289123456791"]
    assert numbers("paid_from=2026-10-02&paid_to=2026-10-06") == ["289123456790"]
    assert numbers("order_no=3012") == ["3012345678901234567"]
    with django_assert_max_num_queries(6):
        body = client.get(f"{url}?platform=TMALL").json()
    assert body["results"][0] | {"id": 0, "updated_at": "", "source": None} == {
        "id": 0, "platform": "TMALL", "order_no": "3012345678901234567", "shop": "某某旗舰店", "status": "shipped",
        "paid_at": "2026-10-01T10:00:05+08:00", "shipped_at": "2026-10-02T15:30:00+08:00", "order_amount": "1299.90",
        "refund_amount": "0.00", "lines": [{"line_no": 1, "sku": "COAT-BLK-M", "quantity": 1, "line_amount": "1199.90"},
                                           {"line_no": 2, "sku": "SCARF-01", "quantity": 2, "line_amount": None}],
        "source": None, "row_no": 2, "updated_at": ""}


def test_platforms_list(token_client):
    body = token_client.get(reverse("api-platform-list")).json()
    assert [p["code"] for p in body["results"]] == ["DOUYIN", "JD", "KUAISHOU", "OWN", "PDD", "TAOBAO", "TMALL", "WXSHOP"]
    douyin = body["results"][0]
    assert (douyin["name"], "抖店" in douyin["aliases"]) == ("抖音", True)
