"""Working discrepancies: the workflow's rules, the object rule, closed periods, and the trail each step leaves."""
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from recon.core.errors import UserFacingError
from recon.core.models import AuditEvent, Discrepancy, DiscrepancyComment, ReconPeriod
from recon.periods.services import period_close, period_reopen
from recon.review.services import discrepancy_assign, discrepancy_comment_add, discrepancy_resolve, discrepancy_set_status
from recon.runs.services import setting_change

pytestmark = pytest.mark.django_db


def by_waybill(reconciled, waybill):
    return next(d for d in reconciled["discrepancies"] if d.ref == waybill)


def trail(d):
    return list(AuditEvent.objects.filter(object_type="discrepancy", object_id=d.id).order_by("id").values_list("action", "actor_name", "changes"))


def test_open_to_recovered_records_every_step(reconciled, ops_user):
    d = by_waybill(reconciled, "ZT00000001")  # rate_overcharge, ¥2.00 at stake, billed ¥4.60
    discrepancy_set_status(discrepancy=d, status="investigating", user=ops_user)
    discrepancy_set_status(discrepancy=d, status="disputed", user=ops_user, comment="sent to ZTO by mail")
    discrepancy_resolve(discrepancy=d, outcome="recovered", amount="1.50", user=ops_user)
    d.refresh_from_db()
    assert (d.status, d.outcome, d.recovered_amount) == ("resolved", "recovered", Decimal("1.50"))
    assert trail(d) == [
        ("status", "olivia", {"status": ["open", "investigating"]}),
        ("status", "olivia", {"status": ["investigating", "disputed"]}),
        ("comment", "olivia", {"comment": [None, "sent to ZTO by mail"]}),
        ("resolve", "olivia", {"status": ["disputed", "resolved"], "outcome": ["", "recovered"], "recovered_amount": [None, "1.50"],
                               "shortfall_amount": [None, "0.50"]}),
    ]
    assert DiscrepancyComment.objects.get(discrepancy=d).text == "sent to ZTO by mail"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"status": "resolved"}, "outcome_required"),
    ({"status": "resolved", "outcome": "accepted"}, "reason_required"),
    ({"status": "resolved", "outcome": "written_off", "reason": "  "}, "reason_required"),
    ({"status": "resolved", "outcome": "recovered"}, "amount_required"),
    ({"status": "resolved", "outcome": "recovered", "amount": "0"}, "amount_required"),
    ({"status": "resolved", "outcome": "recovered", "amount": "4.61"}, "amount_too_large"),  # more than the ¥4.60 billed
    ({"status": "resolved", "outcome": "recovered", "amount": "1.005"}, "invalid_amount"),
    ({"status": "resolved", "outcome": "recovered", "amount": "abc"}, "invalid_amount"),
    ({"status": "open"}, "no_change"),
    ({"status": "lost"}, "invalid_status"),
])
def test_a_resolution_needs_its_outcome_amount_or_reason(reconciled, ops_user, kwargs, code):
    d = by_waybill(reconciled, "ZT00000001")
    with pytest.raises(UserFacingError) as err:
        discrepancy_set_status(discrepancy=d, user=ops_user, **kwargs)
    assert err.value.code == code
    d.refresh_from_db()
    assert (d.status, d.outcome, d.recovered_amount) == ("open", "", None)
    assert trail(d) == []


def test_accepted_and_written_off_keep_the_reason_and_reopen_clears_it(reconciled, ops_user):
    d = by_waybill(reconciled, "ZT00000002")
    discrepancy_resolve(discrepancy=d, outcome="accepted", reason="包装加厚，重量属实", user=ops_user)
    d.refresh_from_db()
    assert (d.status, d.outcome, d.outcome_reason, d.recovered_amount) == ("resolved", "accepted", "包装加厚，重量属实", None)
    with pytest.raises(UserFacingError) as err:
        discrepancy_set_status(discrepancy=d, status="disputed", user=ops_user)
    assert err.value.code == "invalid_transition"
    discrepancy_set_status(discrepancy=d, status="open", reason="courier sent new evidence", user=ops_user)
    d.refresh_from_db()
    assert (d.status, d.outcome, d.outcome_reason) == ("open", "", "")
    action, _who, changes = trail(d)[-1]
    assert action == "reopen" and changes["status"] == ["resolved", "open"] and changes["outcome"] == ["accepted", ""]
    assert AuditEvent.objects.filter(object_id=d.id, action="reopen").get().note == "courier sent new evidence"


def test_ops_work_only_their_own_or_unassigned_rows_unless_the_setting_says_otherwise(reconciled, ops_user, ops_user_2, manager_user):
    d = by_waybill(reconciled, "ZT00000001")
    discrepancy_assign(discrepancy=d, assignee=ops_user_2, user=manager_user)
    with pytest.raises(UserFacingError) as err:
        discrepancy_set_status(discrepancy=d, status="investigating", user=ops_user)
    assert (err.value.code, err.value.http_status) == ("forbidden", 403)
    discrepancy_set_status(discrepancy=d, status="investigating", user=ops_user_2)  # the assignee may
    discrepancy_set_status(discrepancy=d, status="disputed", user=manager_user)  # a manager may work anything
    setting_change(key="ops_edit_own_only", value=False, user=manager_user)
    discrepancy_set_status(discrepancy=d, status="investigating", user=ops_user)
    d.refresh_from_db()
    assert d.status == "investigating"
    assert AuditEvent.objects.filter(object_type="setting", action="change").get().changes == {"ops_edit_own_only": [True, False]}


def test_only_people_who_work_the_queue_can_be_assigned(reconciled, manager_user, auditor_user):
    with pytest.raises(UserFacingError) as err:
        discrepancy_assign(discrepancy=reconciled["discrepancies"][0], assignee=auditor_user, user=manager_user)
    assert err.value.code == "invalid_assignee"


def test_a_period_closes_only_when_nothing_is_open_and_then_locks(reconciled, ops_user, manager_user, finance_user):
    period = reconciled["bill"].period
    with pytest.raises(UserFacingError) as err:
        period_close(period=period, user=manager_user)
    # Three claims are open (¥2.00 + ¥1.00 + ¥3.00); the informational undercharge does not hold the period open.
    assert err.value.code == "period_has_open_items" and err.value.details == {"open": 3, "amount": "6.00"}
    for d in reconciled["discrepancies"][:3]:
        discrepancy_resolve(discrepancy=d, outcome="written_off", reason="below the threshold worth chasing", user=ops_user)
    period_close(period=period, user=manager_user)
    period.refresh_from_db()
    assert period.status == "closed" and period.closed_by == manager_user and period.closed_at is not None

    informational = reconciled["discrepancies"][3]
    for call in (
        lambda: discrepancy_set_status(discrepancy=informational, status="investigating", user=ops_user),
        lambda: discrepancy_comment_add(discrepancy=informational, text="late note", user=ops_user),
        lambda: discrepancy_assign(discrepancy=informational, assignee=ops_user, user=manager_user),
    ):
        with pytest.raises(UserFacingError) as err:
            call()
        assert (err.value.code, err.value.http_status) == ("period_closed", 409)
    from couriers.services import courier_bill_delete, courier_bill_rerun

    with pytest.raises(UserFacingError) as err:
        courier_bill_rerun(bill=reconciled["bill"], user=finance_user, enqueue=False)
    assert err.value.code == "period_closed"
    with pytest.raises(UserFacingError):
        courier_bill_delete(bill=reconciled["bill"], user=manager_user)

    with pytest.raises(UserFacingError) as err:
        period_reopen(period=period, user=ops_user, reason="mistake")
    assert err.value.http_status == 403
    with pytest.raises(UserFacingError) as err:
        period_reopen(period=period, user=manager_user, reason=" ")
    assert err.value.code == "reason_required"
    period_reopen(period=period, user=manager_user, reason="ZTO sent a corrected bill")
    discrepancy_set_status(discrepancy=informational, status="investigating", user=ops_user)
    assert list(AuditEvent.objects.filter(object_type="period", object_id=period.id).order_by("id").values_list("action", "actor_name", "note")) == [
        ("close", "carol", ""), ("reopen", "carol", "ZTO sent a corrected bill"),
    ]


def test_the_page_refuses_changes_in_a_closed_period_with_a_message(reconciled, ops_user, manager_user, client):
    period = reconciled["bill"].period
    ReconPeriod.objects.filter(pk=period.pk).update(status="closed")
    d = by_waybill(reconciled, "ZT00000001")
    client.force_login(ops_user)
    response = client.post(reverse("discrepancy-status", args=[d.pk]), {"status": "investigating"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "is closed" in response.content.decode()
    page = client.get(reverse("discrepancy-detail", args=[d.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "period is closed" in page and reverse("discrepancy-status", args=[d.pk]) not in page  # no action forms


def test_the_trail_is_append_only(reconciled, ops_user):
    d = reconciled["discrepancies"][0]
    discrepancy_set_status(discrepancy=d, status="investigating", user=ops_user)
    event = AuditEvent.objects.get(object_id=d.id)
    event.note = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.mark.postgres
def test_postgres_refuses_rewriting_the_trail_even_in_sql(reconciled, ops_user):
    from django.db import transaction
    from django.db.utils import InternalError

    discrepancy_set_status(discrepancy=reconciled["discrepancies"][0], status="investigating", user=ops_user)
    for sql in ("UPDATE recon_auditevent SET note = 'x'", "DELETE FROM recon_auditevent"):
        with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.count() == 1


def test_changes_through_the_page_record_who_and_the_address(reconciled, ops_user, client):
    d = by_waybill(reconciled, "ZT00000002")
    client.force_login(ops_user)
    response = client.post(
        reverse("discrepancy-status", args=[d.pk]),
        {"status": "resolved", "outcome": "recovered", "amount": "¥1.00"}, REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_id=d.id, action="resolve")
    assert (event.actor_id, event.actor_name, event.ip) == (ops_user.id, "olivia", "203.0.113.7")
    assert event.changes["recovered_amount"] == [None, "1.00"]


def test_a_missing_outcome_is_shown_next_to_its_field(reconciled, ops_client):
    d = by_waybill(reconciled, "ZT00000002")
    response = ops_client.post(reverse("discrepancy-status", args=[d.pk]), {"status": "resolved", "outcome": "accepted"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["status_form"].errors == {"reason": ["Say why: a reason is required to accept or write off a charge."]}
    assert Discrepancy.objects.get(pk=d.pk).status == "open"


def test_the_run_summary_shows_where_the_money_stands(reconciled, ops_user, client):
    d1, d2, d3, _info = reconciled["discrepancies"]
    discrepancy_resolve(discrepancy=d1, outcome="recovered", amount="1.50", user=ops_user)
    discrepancy_resolve(discrepancy=d2, outcome="written_off", reason="too small", user=ops_user)
    discrepancy_set_status(discrepancy=d3, status="disputed", user=ops_user)
    client.force_login(ops_user)
    workflow = client.get(reverse("run-detail", args=[reconciled["run"].pk])).context["workflow"]
    assert {k: workflow[k] for k in ("at_stake", "open", "disputed", "recovered", "accepted", "written_off")} == {
        "at_stake": Decimal("6.00"), "open": Decimal("0.00"), "disputed": Decimal("3.00"), "recovered": Decimal("1.50"),
        "accepted": Decimal("0.00"), "written_off": Decimal("1.00"),
    }


def test_the_history_speaks_the_readers_language(reconciled, ops_user, ops_user_2, manager_user, client):
    d = reconciled["discrepancies"][0]
    discrepancy_assign(discrepancy=d, assignee=ops_user_2, user=manager_user)
    discrepancy_set_status(discrepancy=d, status="investigating", user=manager_user)
    client.force_login(ops_user)
    html = client.get(reverse("discrepancy-detail", args=[d.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">status changed<" in html and "Open → Investigating" in html and "— → oscar" in html
    client.cookies.load({"django_language": "zh-hans"})
    html = client.get(reverse("discrepancy-detail", args=[d.pk])).content.decode()
    assert "status changed" not in html and "Investigating" not in html


def test_an_informational_row_has_nothing_to_recover(reconciled, ops_user):
    undercharge = reconciled["discrepancies"][3]  # rate_undercharge: information, not a claim
    with pytest.raises(UserFacingError) as err:
        discrepancy_resolve(discrepancy=undercharge, outcome="recovered", amount="0.50", user=ops_user)
    assert err.value.code == "nothing_to_recover"
    discrepancy_resolve(discrepancy=undercharge, outcome="accepted", reason="courier's favour", user=ops_user)


def test_only_a_manager_closes_a_period(reconciled, ops_user):
    with pytest.raises(UserFacingError) as err:
        period_close(period=reconciled["bill"].period, user=ops_user)
    assert err.value.http_status == 403
    assert ReconPeriod.objects.get(pk=reconciled["bill"].period_id).status == "open"


@pytest.mark.parametrize(("typed", "recovered"), [
    ("1.5", Decimal("1.50")), ("¥1.50", Decimal("1.50")), ("￥2", Decimal("2.00")), ("1.2元", Decimal("1.20")),
    ("１．６０", Decimal("1.60")), ("1.50 ", Decimal("1.50")), (Decimal("0.07"), Decimal("0.07")),
])
def test_a_recovered_amount_is_read_by_the_one_money_parser(reconciled, ops_user, typed, recovered):
    d = by_waybill(reconciled, "ZT00000001")
    discrepancy_resolve(discrepancy=d, outcome="recovered", amount=typed, user=ops_user)
    d.refresh_from_db()
    assert d.recovered_amount == recovered


@pytest.mark.parametrize(("typed", "message"), [
    ("1.005", "金额最多保留两位小数（精确到分）。"),
    ("abc", "“abc”不是金额。"),
])
def test_an_unreadable_recovered_amount_says_why(reconciled, ops_user, typed, message):
    d = by_waybill(reconciled, "ZT00000001")
    with pytest.raises(UserFacingError) as err:
        discrepancy_resolve(discrepancy=d, outcome="recovered", amount=typed, user=ops_user)
    assert (err.value.code, err.value.message) == ("invalid_amount", message)
