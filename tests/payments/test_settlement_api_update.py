"""The settlements bulk post creates or updates by platform + settlement_id: a line sent as stored is a duplicate, a
changed one is updated and audited, and a withdrawal held by a bank match keeps its amount and time."""
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from payments.models import SettlementLine
from payments.services_bank_match import bank_match_create
from recon.core.models import AuditEvent
from tests.factories import UserFactory
from tests.payments import factories_bank as fb

pytestmark = pytest.mark.django_db

URL = "/api/v1/settlements/"
LINE = {"platform": "TMALL", "shop": "旗舰店", "settlement_id": "S1", "order_no": "T1", "trade_no": "TR1",
        "occurred_at": "2026-10-01 10:12:30", "business_type": "在线支付", "amount": "299.00", "balance": "10299.00",
        "counterparty_name": "buy***@163.com", "remark": ""}
PAYOUT = {"platform": "TMALL", "settlement_id": "W1", "occurred_at": "2026-10-05 09:00:00", "business_type": "提现",
          "amount": "-500.00", "remark": "提现到银行卡"}


@pytest.fixture
def user(db):
    return UserFactory(username="erp-settlements", role="integration")


@pytest.fixture
def client(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def stored(settlement_id: str) -> tuple:
    line = SettlementLine.objects.get(platform__code="TMALL", settlement_id=settlement_id)
    return (line.amount, line.balance, line.occurred_at, line.business_type, line.remark, line.row_no)


def test_a_line_sent_again_as_stored_is_a_duplicate_and_writes_no_audit(client):
    client.post(URL, [LINE], format="json")
    again = client.post(URL, [LINE], format="json")
    assert again.json() == {"rows": 0, "rejected": 0, "duplicates": 1, "updated": 0, "errors": []}
    assert AuditEvent.objects.filter(object_type="settlement_line").count() == 0


def test_a_changed_amount_updates_the_stored_line_and_the_trail(client, user):
    client.post(URL, [LINE], format="json")
    line_id = SettlementLine.objects.get().pk
    changed = client.post(URL, [{**LINE, "amount": "300.10", "balance": "10300.10", "remark": "补差"}], format="json")
    assert changed.json() == {"rows": 1, "rejected": 0, "duplicates": 0, "updated": 1, "errors": []}
    assert stored("S1") == (Decimal("300.10"), Decimal("10300.10"),
                            datetime(2026, 10, 1, 2, 12, 30, tzinfo=dt_timezone.utc), "payment", "补差", 1)
    [event] = AuditEvent.objects.filter(object_type="settlement_line")
    assert (event.object_id, event.action, event.actor_id, event.actor_name, event.note, event.changes) == (
        line_id, "change", user.pk, "erp-settlements", "api",
        {"amount": ["299.00", "300.10"], "balance": ["10299.00", "10300.10"], "remark": ["", "补差"]})


def test_a_changed_time_and_type_update_and_fields_left_out_keep_their_values(client):
    client.post(URL, [LINE], format="json")
    # No shop, balance or remark in this record: the stored ones stay.
    record = {"platform": "天猫", "settlement_id": "S1", "occurred_at": "2026-10-02 08:00:00", "business_type": "退款",
              "amount": "-299.00"}
    assert client.post(URL, [record], format="json").json()["rows"] == 1
    line = SettlementLine.objects.get()
    assert (line.occurred_at, line.business_type, line.business_type_raw, line.amount, line.shop, line.balance,
            line.counterparty_name) == (datetime(2026, 10, 2, 0, 0, tzinfo=dt_timezone.utc), "refund", "退款",
                                        Decimal("-299.00"), "旗舰店", Decimal("10299.00"), "buy***@163.com")
    [event] = AuditEvent.objects.filter(object_type="settlement_line")
    assert event.changes == {"occurred_at": ["2026-10-01T02:12:30+00:00", "2026-10-02T00:00:00+00:00"],
                             "business_type": ["payment", "refund"], "business_type_raw": ["在线支付", "退款"],
                             "amount": ["299.00", "-299.00"]}


def test_a_request_of_new_same_and_changed_lines_counts_each(client):
    client.post(URL, [LINE, {**LINE, "settlement_id": "S2", "amount": "10.00"}], format="json")
    records = [
        {**LINE, "settlement_id": "S3", "amount": "1.00"},   # new
        LINE,                                               # same
        {**LINE, "settlement_id": "S2", "amount": "12.00"},  # changed
        {**LINE, "settlement_id": "S4", "amount": "两元"},    # refused
        {**LINE, "settlement_id": "S3", "amount": "9.99"},   # the same key again in this request: the first counts
    ]
    body = client.post(URL, records, format="json").json()
    assert (body["rows"], body["rejected"], body["duplicates"], body["updated"]) == (2, 1, 2, 1)
    assert [(e["index"], e["code"]) for e in body["errors"]] == [(3, "amount_invalid")]
    assert list(SettlementLine.objects.order_by("settlement_id").values_list("settlement_id", "amount")) == [
        ("S1", Decimal("299.00")), ("S2", Decimal("12.00")), ("S3", Decimal("1.00"))]
    assert list(AuditEvent.objects.filter(object_type="settlement_line").values_list("changes", flat=True)) == [
        {"amount": ["10.00", "12.00"]}]


def test_a_matched_withdrawal_keeps_its_amount_and_time_but_takes_its_remark(client, user):
    client.post(URL, [PAYOUT], format="json")
    payout = SettlementLine.objects.get()
    st = fb.statement(fb.account())
    credit = fb.line(st, "B1", "2026-10-06", "500.00", payer="支付宝（中国）网络技术有限公司")
    bank_match_create(withdrawal_ids=[payout.pk], bank_line_ids=[credit.pk], user=user)
    body = client.post(URL, [{**PAYOUT, "amount": "-480.00", "remark": "提现更正"},
                             {**PAYOUT, "settlement_id": "W2"}], format="json").json()
    assert body == {"rows": 1, "rejected": 1, "duplicates": 0, "updated": 0, "errors": [
        {"index": 0, "field": "amount", "code": "line_matched",
         "message": "这笔提现已与银行入账匹配，金额、时间和类型不能更改。请先在银行匹配页面取消匹配。"}]}
    assert stored("W1") == (Decimal("-500.00"), None, datetime(2026, 10, 5, 1, 0, tzinfo=dt_timezone.utc), "withdrawal",
                            "提现更正", 1)
    [event] = AuditEvent.objects.filter(object_type="settlement_line")
    assert (event.object_id, event.changes) == (payout.pk, {"remark": ["提现到银行卡", "提现更正"]})
    moved = client.post(URL, [{**PAYOUT, "occurred_at": "2026-10-04 09:00:00", "remark": "提现更正"}], format="json")
    assert [(e["field"], e["code"]) for e in moved.json()["errors"]] == [("occurred_at", "line_matched")]
    assert stored("W1")[2] == datetime(2026, 10, 5, 1, 0, tzinfo=dt_timezone.utc)


def test_an_unmatched_withdrawal_updates_freely(client):
    client.post(URL, [PAYOUT], format="json")
    body = client.post(URL, [{**PAYOUT, "amount": "-480.00"}], format="json").json()
    assert (body["rows"], body["updated"], body["errors"]) == (1, 1, [])
    assert stored("W1")[0] == Decimal("-480.00")
