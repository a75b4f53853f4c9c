"""The settlements API: the list and its filters, the bulk post (created or updated by platform + settlement_id), its 400s."""
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from payments.models import SettlementLine
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/settlements/"
LINE = {"platform": "TMALL", "shop": "旗舰店", "settlement_id": "20261001110070001506", "order_no": "T202610010001",
        "trade_no": "2026100122001412345678901234", "occurred_at": "2026-10-01 10:12:30", "business_type": "在线支付",
        "amount": "299.00", "balance": "10299.00", "counterparty_name": "buy***@163.com", "remark": ""}


def client_for(role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(username=f"{role}-api", role=role))
    return client


def test_the_url_is_the_documented_one():
    assert reverse("api-settlement-list") == URL


def test_bulk_creates_and_reports_an_existing_settlement_id_sent_again_as_a_duplicate():
    client = client_for("integration")
    fee = {**LINE, "settlement_id": "20261001110070001507", "business_type": "技术服务费", "amount": "-1.79", "balance": None}
    first = client.post(URL, [LINE, fee], format="json")
    assert (first.status_code, first.json()) == (200, {"rows": 2, "rejected": 0, "duplicates": 0, "updated": 0, "errors": []})
    second = client.post(URL, {"records": [LINE, {**LINE, "platform": "京东"}]}, format="json")
    assert second.json() == {"rows": 1, "rejected": 0, "duplicates": 1, "updated": 0, "errors": []}
    assert list(SettlementLine.objects.order_by("platform__code", "settlement_id").values_list(
        "platform__code", "settlement_id", "business_type", "business_type_raw", "amount", "balance", "shop", "row_no")) == [
        ("JD", "20261001110070001506", "payment", "在线支付", Decimal("299.00"), Decimal("10299.00"), "旗舰店", 2),
        ("TMALL", "20261001110070001506", "payment", "在线支付", Decimal("299.00"), Decimal("10299.00"), "旗舰店", 1),
        ("TMALL", "20261001110070001507", "fee", "技术服务费", Decimal("-1.79"), None, "旗舰店", 2),
    ]
    line = SettlementLine.objects.get(platform__code="TMALL", settlement_id="20261001110070001506")
    assert line.occurred_at.isoformat() == "2026-10-01T02:12:30+00:00"


def test_bulk_refuses_records_it_cannot_read_with_their_index():
    client = client_for("finance")
    records = [
        {**LINE, "platform": "AMAZON"},
        {**LINE, "settlement_id": ""},
        {**LINE, "settlement_id": "S3", "occurred_at": "昨天"},
        {**LINE, "settlement_id": "S4", "amount": "两百"},
        {**LINE, "settlement_id": "S5", "amount": None, "business_type": "神秘款项"},
        "not an object",
        {**LINE, "settlement_id": "S7", "business_type": "神秘款项", "amount": "-5"},
    ]
    body = client.post(URL, records, format="json").json()
    assert body == {"rows": 1, "rejected": 6, "duplicates": 0, "updated": 0, "errors": [
        {"index": 0, "field": "platform", "code": "platform_unknown", "message": "未知平台“AMAZON”。"},
        {"index": 1, "field": "settlement_id", "code": "settlement_id_missing", "message": "账务流水号为空"},
        {"index": 2, "field": "occurred_at", "code": "occurred_at_invalid", "message": "时间“昨天”不是日期"},
        {"index": 3, "field": "amount", "code": "amount_invalid", "message": "金额“两百”不是有效金额"},
        {"index": 4, "field": "amount", "code": "amount_missing", "message": "金额为空"},
        {"index": 5, "field": "", "code": "not_an_object", "message": "每条记录必须是 JSON 对象。"},
    ]}
    assert list(SettlementLine.objects.values_list("settlement_id", "business_type", "business_type_raw", "amount")) == [
        ("S7", "other", "神秘款项", Decimal("-5.00"))]


@pytest.mark.parametrize("body, code", [
    ([], "no_data"), ({"records": "x"}, "no_data"), ({}, "no_data"),
    # No record names a settlement_id or a time: nothing can be read as a ledger.
    ([{"platform": "TMALL", "amount": "1.00"}], "header_not_found"),
])
def test_bulk_400s(body, code):
    response = client_for("finance").post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_too_many_records_is_a_400(monkeypatch):
    from payments import settlement_services

    monkeypatch.setattr(settlement_services, "MAX_RECORDS", 2)
    response = client_for("finance").post(URL, [LINE, LINE, LINE], format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "too_many")
    assert SettlementLine.objects.count() == 0


@pytest.mark.parametrize("role, list_status, post_status", [
    ("finance", 200, 200), ("integration", 200, 200), ("manager", 200, 200), ("ops", 200, 403), ("auditor", 200, 403),
])
def test_writes_need_import_payments(role, list_status, post_status):
    client = client_for(role)
    assert client.get(URL).status_code == list_status
    assert client.post(URL, [LINE], format="json").status_code == post_status


def test_list_filters_by_platform_type_order_and_dates(django_assert_max_num_queries):
    client = client_for("finance")
    records = [
        {**LINE, "settlement_id": "A", "order_no": "SO1", "occurred_at": "2026-10-01 10:00"},
        {**LINE, "settlement_id": "B", "order_no": "SO1", "business_type": "佣金", "amount": "-3", "occurred_at": "2026-10-02 10:00"},
        {**LINE, "settlement_id": "C", "order_no": "SO2", "business_type": "提现", "amount": "-100", "occurred_at": "2026-10-31 23:30"},
        {**LINE, "platform": "JD", "settlement_id": "D", "order_no": "SO1", "occurred_at": "2026-11-01 00:10"},
    ]
    assert client.post(URL, records, format="json").json()["rows"] == 4

    def ids(**params):
        with django_assert_max_num_queries(6):
            body = client.get(URL, params).json()
        return [r["settlement_id"] for r in body["results"]]

    assert ids() == ["D", "C", "B", "A"]
    assert ids(platform="jd") == ["D"]
    assert ids(business_type="fee") == ["B"]
    assert ids(order_no="SO1") == ["D", "B", "A"]
    # Dates are local days: 23:30 on 31 October and 00:10 on 1 November fall either side of the month's end.
    assert ids(occurred_from="2026-10-02", occurred_to="2026-10-31") == ["C", "B"]
    first = client.get(URL, {"platform": "TMALL", "business_type": "withdrawal"}).json()["results"][0]
    assert {k: first[k] for k in ("platform", "settlement_id", "business_type", "business_type_raw", "amount", "order_no")} == {
        "platform": "TMALL", "settlement_id": "C", "business_type": "withdrawal", "business_type_raw": "提现",
        "amount": "-100.00", "order_no": "SO2"}
