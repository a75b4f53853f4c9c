"""Alert rules and notifications in the browser and the API, and the monthly review page with its sign-off."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from recon.core.models import AuditEvent, Discrepancy, Dispute, ReconPeriod, ReconRun
from reports.alerts import RUN_FINISHED, alerts_check
from reports.alerts_models import AlertRule, Notification
from reports.review_models import ReviewSignOff
from tests.factories import DiscrepancyFactory, ReconRunFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", role="manager", email="carol@example.com")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fired(zto, users, *, amount="60.00"):
    """One alert from a run of `amount` at stake, notified to `users`."""
    AlertRule.objects.update(active=False)  # one rule at a time: each call fires one alert
    rule = AlertRule.objects.create(name=f"超过 ¥50（{amount}）", rule_type="run_at_stake", threshold_amount=Decimal("50.00"))
    rule.subscribers.add(*users)
    run = ReconRunFactory(courier=zto)
    DiscrepancyFactory(run=run, amount_at_stake=Decimal(amount))
    (alert,) = alerts_check(event=RUN_FINISHED, run=run)
    return alert


# --------------------------------------------------------------------------- the API


def test_a_manager_creates_a_rule_through_the_api_and_it_is_audited(carol):
    UserFactory(username="olivia", role="ops")
    response = api(carol).post("/api/v1/alert-rules/", {
        "name": "重量超收超过 ¥20", "rule_type": "discrepancy_amount", "type_code": "weight_overcharge",
        "threshold_amount": "20.00", "subscribers": ["carol", "olivia"], "role": "manager"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("name", "rule_type", "type_code", "threshold_amount", "subscribers", "role", "active", "created_by")} == {
        "name": "重量超收超过 ¥20", "rule_type": "discrepancy_amount", "type_code": "weight_overcharge", "threshold_amount": "20.00",
        "subscribers": ["carol", "olivia"], "role": "manager", "active": True, "created_by": "carol"}
    (event,) = AuditEvent.objects.filter(object_type="alert_rule")
    assert (event.object_id, event.action, event.actor_name) == (body["id"], "create", "carol")
    assert event.changes["subscribers"] == [None, ["carol", "olivia"]]


def test_the_api_refuses_a_rule_without_its_parameters_or_anyone_to_tell(carol):
    response = api(carol).post("/api/v1/alert-rules/", {"name": "x", "rule_type": "receivables_age", "days": 30}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"threshold_amount": ["该规则类型需要填写此项。"], "subscribers": ["请选择要通知的人员或角色。"]}


def test_delete_deactivates_a_rule_and_only_managers_manage_rules(carol):
    rule = AlertRule.objects.create(name="失败", rule_type="run_failed")
    finance = UserFactory(username="alice", role="finance")
    assert api(finance).get("/api/v1/alert-rules/").status_code == 403
    assert api(finance).post("/api/v1/alert-rules/", {"name": "x", "rule_type": "run_failed"}, format="json").status_code == 403
    assert api(carol).delete(f"/api/v1/alert-rules/{rule.id}/").status_code == 204
    assert AlertRule.objects.get(id=rule.id).active is False


def test_notifications_api_lists_the_callers_own_and_marks_them_read(zto, carol):
    olivia = UserFactory(username="olivia", role="ops")
    first = fired(zto, [carol, olivia], amount="60.00")
    second = fired(zto, [carol], amount="70.00")
    body = api(carol).get("/api/v1/notifications/").json()
    assert [(n["alert"]["id"], n["alert"]["amount"], n["read_at"]) for n in body["results"]] == [
        (second.id, "70.00", None), (first.id, "60.00", None)]
    mine = Notification.objects.get(user=carol, alert=first)
    hers = Notification.objects.get(user=olivia, alert=first)
    # Someone else's notification is not the caller's to mark.
    assert api(carol).post("/api/v1/notifications/read/", {"ids": [mine.id, hers.id]}, format="json").json() == {"marked": 1}
    assert Notification.objects.get(id=hers.id).read_at is None
    assert [n["alert"]["id"] for n in api(carol).get("/api/v1/notifications/?unread=true").json()["results"]] == [second.id]
    assert api(carol).post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert not Notification.objects.filter(user=carol, read_at__isnull=True).exists()
    assert [n["alert"]["id"] for n in api(olivia).get("/api/v1/notifications/").json()["results"]] == [first.id]


# --------------------------------------------------------------------------- the pages


def test_the_bell_shows_the_unread_count_and_the_list_marks_read(zto, carol):
    fired(zto, [carol], amount="60.00")
    second = fired(zto, [carol], amount="70.00")
    client = web(carol)
    page = client.get("/reports/notifications/").content.decode()
    assert '<span class="bell-count">2</span>' in page
    assert second.message in page
    note = Notification.objects.get(user=carol, alert=second)
    response = client.post("/reports/notifications/read/", {"id": note.id})
    assert response.status_code == 302
    assert '<span class="bell-count">1</span>' in client.get("/reports/notifications/").content.decode()
    client.post("/reports/notifications/read-all/")
    # Nothing unread: the bell, without a badge.
    home = client.get("/").content.decode()
    assert 'id="notification-bell"' in home and "bell-count" not in home


def test_a_manager_creates_edits_and_deactivates_a_rule_in_the_browser(carol):
    client = web(carol)
    assert "新建规则" in client.get("/reports/alerts/").content.decode()
    response = client.post("/reports/alerts/new/", {"name": "应收超 60 天", "rule_type": "receivables_age", "days": "60",
                                                     "threshold_amount": "1000", "subscribers": [carol.id], "active": "on"})
    assert response.status_code == 302, response.context["form"].errors
    rule = AlertRule.objects.get()
    assert (rule.days, rule.threshold_amount, rule.created_by, list(rule.subscribers.all())) == (60, Decimal("1000.00"), carol, [carol])
    invalid = client.post(f"/reports/alerts/{rule.id}/", {"name": "应收超 60 天", "rule_type": "receivables_age", "days": "",
                                                           "threshold_amount": "1000", "subscribers": [carol.id]})
    assert invalid.status_code == 200 and invalid.context["form"].errors == {"days": ["该规则类型需要填写此项。"]}
    client.post(f"/reports/alerts/{rule.id}/", {"name": "应收超 90 天", "rule_type": "receivables_age", "days": "90",
                                                "threshold_amount": "1000", "subscribers": [carol.id], "active": "on"})
    client.post(f"/reports/alerts/{rule.id}/deactivate/")
    rule.refresh_from_db()
    assert (rule.name, rule.days, rule.active) == ("应收超 90 天", 90, False)
    events = AuditEvent.objects.filter(object_type="alert_rule").order_by("id")
    assert [(e.action, e.changes) for e in events[1:]] == [
        ("change", {"name": ["应收超 60 天", "应收超 90 天"], "days": [60, 90]}), ("change", {"active": [True, False]})]
    assert web(UserFactory(username="olivia", role="ops")).get("/reports/alerts/").status_code == 403


# --------------------------------------------------------------------------- the monthly review


@pytest.fixture
def october(zto, carol):
    """October 2026: ZTO's period with two open claims and a disputed one, YTO's with nothing open, a dispute waiting."""
    from couriers.models import Courier

    yto = Courier.objects.get(code="YTO")
    zto_oct = ReconPeriod.objects.create(counterparty=zto.counterparty, start=date(2026, 10, 1), end=date(2026, 10, 31))
    yto_oct = ReconPeriod.objects.create(counterparty=yto.counterparty, start=date(2026, 10, 1), end=date(2026, 10, 31))
    ReconPeriod.objects.create(counterparty=zto.counterparty, start=date(2026, 11, 1), end=date(2026, 11, 30))
    run = ReconRunFactory(courier=zto, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31))
    ReconRunFactory(courier=yto, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31))
    ReconRunFactory(courier=yto, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31), status="failed")
    ReconRunFactory(kind="returns", counterparty=None, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31))
    ReconRunFactory(courier=zto, period_start=date(2026, 11, 1), period_end=date(2026, 11, 30))  # November: not counted
    for amount, status in (("12.50", "open"), ("7.25", "investigating"), ("30.00", "disputed")):
        DiscrepancyFactory(run=run, period=zto_oct, amount_at_stake=Decimal(amount), status=status)
    DiscrepancyFactory(run=run, period=zto_oct, type="rate_undercharge", amount_at_stake=Decimal("9.00"))  # information
    DiscrepancyFactory(run=run, period=yto_oct, counterparty=yto.counterparty, amount_at_stake=Decimal("5.00"), status="resolved",
                       outcome="recovered")
    waiting = Dispute.objects.create(number="ZTO-20261105-001", counterparty=zto.counterparty, period=zto_oct,
                                     amount_claimed=Decimal("30.00"))
    Dispute.objects.filter(id=waiting.id).update(created_at=timezone.now() - timedelta(days=20))
    Dispute.objects.create(number="ZTO-20261125-001", counterparty=zto.counterparty, period=zto_oct)  # 0 days: not yet
    return {"zto": zto_oct, "yto": yto_oct, "dispute": waiting}


def test_the_review_page_shows_the_months_figures(october, carol):
    from reports.review import review_figures

    figures = review_figures(period="2026-10")
    assert [(r["kind"], r["succeeded"], r["failed"], r["active"]) for r in figures["runs"]] == [
        ("courier_fee", 2, 1, 0), ("returns", 1, 0, 0)]
    assert (figures["claims_open"], figures["claims_open_amount"]) == (2, Decimal("19.75"))
    assert [d.number for d in figures["disputes_unanswered"]] == ["ZTO-20261105-001"]
    assert figures["disputes_unanswered"][0].days_waiting == 20
    assert [(p.counterparty.code, p.open_claims, p.runs_active, p.ready) for p in figures["periods"]] == [
        ("YTO", 0, False, True), ("ZTO", 3, False, False)]
    page = web(carol).get("/reports/review/?period=2026-10").content.decode()
    assert '<span class="num" id="claims-open-count">2</span>' in page
    assert '<span class="money" id="claims-open-amount">¥19.75</span>' in page
    assert "ZTO-20261105-001" in page and "ZTO-20261125-001" not in page


def test_a_running_run_keeps_a_period_from_being_ready(october, carol):
    from reports.review import review_figures

    ReconRun.objects.create(kind="courier_fee", counterparty=october["yto"].counterparty, status="running",
                            period_start=date(2026, 10, 1), period_end=date(2026, 10, 31))
    assert [(p.counterparty.code, p.ready) for p in review_figures(period="2026-10")["periods"]] == [("YTO", False), ("ZTO", False)]


def test_a_manager_signs_the_review_off_once_and_it_is_audited(october, carol):
    client = web(carol)
    response = client.post("/reports/review/sign-off/", {"period": "2026-10", "note": "十月已复核"})
    assert response.status_code == 302 and response["Location"] == "/reports/review/?period=2026-10"
    sign = ReviewSignOff.objects.get()
    assert (sign.period, sign.signed_by, sign.note) == ("2026-10", carol, "十月已复核")
    (event,) = AuditEvent.objects.filter(object_type="review")
    assert (event.object_id, event.action, event.changes) == (sign.id, "sign_off", {"period": [None, "2026-10"], "note": [None, "十月已复核"]})
    page = client.get("/reports/review/?period=2026-10").content.decode()
    assert f"carol 已于 {timezone.localtime(sign.signed_at):%Y-%m-%d %H:%M} 签核。" in page
    client.post("/reports/review/sign-off/", {"period": "2026-10"})
    assert ReviewSignOff.objects.count() == 1 and AuditEvent.objects.filter(object_type="review").count() == 1


def test_only_managers_see_the_review_and_sign_it_off(october):
    ops = web(UserFactory(username="olivia", role="ops"))
    assert ops.get("/reports/review/?period=2026-10").status_code == 403
    assert ops.post("/reports/review/sign-off/", {"period": "2026-10"}).status_code == 403
    assert not ReviewSignOff.objects.exists()


def test_a_bad_period_is_refused(carol):
    assert web(carol).get("/reports/review/?period=2026-13").status_code == 400


def test_a_manager_changes_a_rule_through_the_api(carol):
    rule = AlertRule.objects.create(name="差异超过 ¥50", rule_type="run_at_stake", threshold_amount=Decimal("50.00"))
    rule.subscribers.add(carol)
    response = api(carol).patch(f"/api/v1/alert-rules/{rule.id}/", {"threshold_amount": "80.00"}, format="json")
    assert response.status_code == 200 and response.json()["threshold_amount"] == "80.00"
    (event,) = AuditEvent.objects.filter(object_type="alert_rule", action="change")
    assert event.changes["threshold_amount"] == ["50.00", "80.00"]
    refused = api(carol).patch(f"/api/v1/alert-rules/{rule.id}/", {"threshold_amount": None}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["details"] == {"threshold_amount": ["该规则类型需要填写此项。"]}


def test_the_time_of_day_of_a_rule_is_audited_and_a_zone_is_dropped(carol):
    rule = AlertRule.objects.create(name="银行流水", rule_type="file_missing", file_kind="bank_statement", time_of_day="10:00")
    rule.subscribers.add(carol)
    response = api(carol).patch(f"/api/v1/alert-rules/{rule.id}/", {"time_of_day": "09:30:00Z"}, format="json")
    assert response.status_code == 200 and response.json()["time_of_day"] == "09:30"
    (event,) = AuditEvent.objects.filter(object_type="alert_rule", action="change")
    assert event.changes == {"time_of_day": ["10:00:00", "09:30:00"]}
