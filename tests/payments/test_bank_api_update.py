"""The bank lines bulk post creates or updates by account + ref: a line sent as stored is a duplicate, a changed one is
updated and audited, and a line held by a bank match keeps its amount and dates while its description updates."""
from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from payments.models import BankLine, BankStatement
from payments.services_bank_match import bank_match_create
from recon.core.models import AuditEvent
from tests.factories import UserFactory
from tests.payments import factories_bank as fb

pytestmark = pytest.mark.django_db

URL = "/api/v1/bank-lines/"
ACCOUNT = "6222000011112222"
CREDIT = {"ref": "B1", "booked_on": "2026-10-06", "value_on": "2026-10-06", "amount": "500.00", "balance": "5500.00",
          "currency": "CNY", "counterparty_name": "支付宝（中国）网络技术有限公司", "counterparty_account": "1001",
          "description": "提现"}


@pytest.fixture
def user(db):
    return UserFactory(username="erp-bank", role="integration")


@pytest.fixture
def client(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def post(client, *records):
    response = client.post(URL, {"account": ACCOUNT, "records": list(records)}, format="json")
    assert response.status_code == 200
    return response.json()


def stored(ref: str) -> tuple:
    line = BankLine.objects.get(account__account_no=ACCOUNT, ref=ref)
    return (line.amount, line.booked_on, line.value_on, line.balance, line.counterparty_name, line.description)


def test_a_line_sent_again_as_stored_is_a_duplicate_and_makes_no_statement(client):
    post(client, CREDIT)
    assert post(client, CREDIT) == {"rows": 0, "rejected": 0, "duplicates": 1, "updated": 0, "errors": []}
    assert BankStatement.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="bank_line").count() == 0


def test_a_changed_amount_updates_the_stored_line_and_the_trail(client, user):
    post(client, CREDIT)
    line = BankLine.objects.get()
    body = post(client, {**CREDIT, "amount": "480.50", "balance": "5480.50"})
    assert body == {"rows": 1, "rejected": 0, "duplicates": 0, "updated": 1, "errors": []}
    assert stored("B1") == (Decimal("480.50"), date(2026, 10, 6), date(2026, 10, 6), Decimal("5480.50"),
                            "支付宝（中国）网络技术有限公司", "提现")
    assert BankLine.objects.get().statement_id == line.statement_id
    [event] = AuditEvent.objects.filter(object_type="bank_line")
    assert (event.object_id, event.action, event.actor_id, event.actor_name, event.note, event.changes) == (
        line.pk, "change", user.pk, "erp-bank", "api",
        {"amount": ["500.00", "480.50"], "balance": ["5500.00", "5480.50"]})


def test_fields_a_record_leaves_out_keep_their_stored_values(client):
    post(client, CREDIT)
    body = post(client, {"ref": "B1", "booked_on": "2026-10-07", "amount": "500.00"})
    assert (body["rows"], body["updated"]) == (1, 1)
    assert stored("B1") == (Decimal("500.00"), date(2026, 10, 7), date(2026, 10, 6), Decimal("5500.00"),
                            "支付宝（中国）网络技术有限公司", "提现")
    [event] = AuditEvent.objects.filter(object_type="bank_line")
    assert event.changes == {"booked_on": ["2026-10-06", "2026-10-07"]}


def test_a_request_of_new_same_and_changed_lines_counts_each(client):
    post(client, CREDIT, {**CREDIT, "ref": "B2", "amount": "-30.00"})
    body = post(client,
                {**CREDIT, "ref": "B3", "amount": "1.00"},   # new
                CREDIT,                                     # same
                {**CREDIT, "ref": "B2", "amount": "-31.00"},  # changed
                {**CREDIT, "ref": "B4", "amount": "三十"},     # refused
                {**CREDIT, "ref": "B3", "amount": "9.99"})   # the same ref again in this request: the first counts
    assert (body["rows"], body["rejected"], body["duplicates"], body["updated"]) == (2, 1, 2, 1)
    assert [(e["index"], e["code"]) for e in body["errors"]] == [(3, "amount_invalid")]
    assert list(BankLine.objects.order_by("ref").values_list("ref", "amount")) == [
        ("B1", Decimal("500.00")), ("B2", Decimal("-31.00")), ("B3", Decimal("1.00"))]
    assert list(AuditEvent.objects.filter(object_type="bank_line").values_list("changes", flat=True)) == [
        {"amount": ["-30.00", "-31.00"]}]


def test_a_matched_line_keeps_its_amount_and_takes_its_new_description(client, user):
    post(client, CREDIT)
    credit = BankLine.objects.get()
    payout = fb.withdrawal(fb.platform("TMALL"), "W1", "2026-10-05", "500.00")
    bank_match_create(withdrawal_ids=[payout.pk], bank_line_ids=[credit.pk], user=user)
    body = post(client, {**CREDIT, "amount": "480.00", "description": "提现 W1"}, {**CREDIT, "ref": "B2"})
    assert body == {"rows": 1, "rejected": 1, "duplicates": 0, "updated": 0, "errors": [
        {"index": 0, "field": "amount", "code": "line_matched",
         "message": "这笔银行流水已与提现匹配，金额和日期不能更改。请先在银行匹配页面取消匹配。"}]}
    assert stored("B1") == (Decimal("500.00"), date(2026, 10, 6), date(2026, 10, 6), Decimal("5500.00"),
                            "支付宝（中国）网络技术有限公司", "提现 W1")
    [event] = AuditEvent.objects.filter(object_type="bank_line")
    assert (event.object_id, event.changes) == (credit.pk, {"description": ["提现", "提现 W1"]})
    moved = post(client, {**CREDIT, "booked_on": "2026-10-09", "description": "提现 W1"})
    assert [(e["index"], e["field"], e["code"]) for e in moved["errors"]] == [(0, "booked_on", "line_matched")]
    assert stored("B1")[1] == date(2026, 10, 6)


def test_an_unmatched_line_sent_with_the_same_values_but_an_amount_written_otherwise_is_a_duplicate(client):
    post(client, CREDIT)
    assert post(client, {**CREDIT, "amount": "500"})["duplicates"] == 1


def test_amounts_of_a_post_are_read_in_one_pass_exactly_as_one_by_one():
    from recon.ingest.clean import MoneyError, money_fen, money_fen_many

    values = ["1280.50", "-30", None, "", 1.5, 3, True, "¥1,234.50", "(3.00)", "３．５", "1.005", "abc", "1e5", 12.87]

    def one(value):
        try:
            return money_fen(value), False
        except MoneyError:
            return None, True

    fen, refused = money_fen_many(values)
    read = [(None if refused[i] or fen.isna().iat[i] else int(fen.iat[i]), bool(refused[i])) for i in range(len(values))]
    assert read == [one(v) for v in values] == [
        (128050, False), (-3000, False), (None, False), (None, False), (150, False), (300, False), (None, True),
        (123450, False), (-300, False), (350, False), (None, True), (None, True), (None, True), (1287, False)]
