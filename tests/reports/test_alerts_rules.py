"""Every alert rule type fires exactly once for its key, never at its bound ("above" is strictly more), and each firing
is a notification per subscriber, an email and an audit event."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from recon.core.models import AuditEvent, Dispute, ReconRun, SourceFile
from reports.alerts import (
    DISPUTES, EXPECTED_FILES, RECEIVABLES, RECORDS_ARRIVED, RUN_FINISHED, alerts_check,
)
from reports.alerts_models import Alert, AlertRule, Notification
from tests.factories import DiscrepancyFactory, ReconRunFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", role="manager", email="carol@example.com")


def rule(carol, rule_type: str, **params) -> AlertRule:
    made = AlertRule.objects.create(name=f"{rule_type} rule", rule_type=rule_type, **params)
    made.subscribers.add(carol)
    return made


def courier_run(zto, *stakes: str, type: str = "rate_overcharge", summary: dict | None = None, status: str = "succeeded") -> ReconRun:
    run = ReconRunFactory(courier=zto, status=status, summary=summary or {})
    for amount in stakes:
        DiscrepancyFactory(run=run, type=type, amount_at_stake=Decimal(amount))
    return run


# --------------------------------------------------------------------------- money at stake in a run


def test_money_at_stake_fires_above_the_threshold_once_per_run(zto, carol):
    r = rule(carol, "run_at_stake", threshold_amount=Decimal("50.00"))
    at_bound = courier_run(zto, "30.00", "20.00")
    assert alerts_check(event=RUN_FINISHED, run=at_bound) == []
    above = courier_run(zto, "30.00", "20.01")
    (alert,) = alerts_check(event=RUN_FINISHED, run=above)
    assert (alert.rule, alert.key, alert.amount, alert.run_id) == (r, f"run:{above.id}", Decimal("50.01"), above.id)
    assert alert.message == f"对账 #{above.id}（快递运费，ZTO 中通）差异金额 ¥50.01，超过 ¥50.00。"
    assert alert.link == f"/discrepancies/?run={above.id}"
    assert alerts_check(event=RUN_FINISHED, run=above) == []
    assert Alert.objects.count() == 1 and Notification.objects.count() == 1 and len(mail.outbox) == 1


def test_information_rows_are_not_money_at_stake(zto, carol):
    rule(carol, "run_at_stake", threshold_amount=Decimal("50.00"))
    run = courier_run(zto, "40.00")
    DiscrepancyFactory(run=run, type="rate_undercharge", amount_at_stake=Decimal("30.00"))  # information, not a claim
    assert alerts_check(event=RUN_FINISHED, run=run) == []


def test_a_rule_limited_to_another_kind_does_not_fire(zto, carol):
    rule(carol, "run_at_stake", threshold_amount=Decimal("1.00"), kind="returns")
    assert alerts_check(event=RUN_FINISHED, run=courier_run(zto, "99.00")) == []


# --------------------------------------------------------------------------- overcharge rate


def test_overcharge_rate_is_at_stake_over_billed_from_the_run_summary(zto, carol):
    rule(carol, "overcharge_rate", threshold_percent=Decimal("10"))
    at_bound = courier_run(zto, summary={"billed_total": "1000.00", "amount_at_stake": "100.00"})
    assert alerts_check(event=RUN_FINISHED, run=at_bound) == []
    above = courier_run(zto, summary={"billed_total": "1000.00", "amount_at_stake": "125.00"})
    (alert,) = alerts_check(event=RUN_FINISHED, run=above)
    assert alert.message == f"ZTO 中通：对账 #{above.id} 的多收费率为 12.50%（账单 ¥1,000.00 中差异金额 ¥125.00），超过 10.00%。"
    assert (alert.key, alert.amount) == (f"run:{above.id}", Decimal("125.00"))
    assert alerts_check(event=RUN_FINISHED, run=above) == []


def test_a_kind_without_a_billed_amount_never_fires_the_overcharge_rate(zto, carol):
    rule(carol, "overcharge_rate", threshold_percent=Decimal("0"))
    run = ReconRunFactory(kind="returns", counterparty=None, summary={"amount_at_stake": "500.00", "discrepancies": 3})
    assert alerts_check(event=RUN_FINISHED, run=run) == []


def test_the_overcharge_rate_of_another_counterparty_does_not_fire(zto, carol):
    from couriers.models import Courier

    rule(carol, "overcharge_rate", threshold_percent=Decimal("1"), counterparty=Courier.objects.get(code="YTO").counterparty)
    assert alerts_check(event=RUN_FINISHED, run=courier_run(zto, summary={"billed_total": "100.00", "amount_at_stake": "50.00"})) == []


# --------------------------------------------------------------------------- a discrepancy of a type above ¥Z


def test_a_discrepancy_of_the_type_fires_once_even_when_a_later_run_finds_it_again(zto, carol):
    rule(carol, "discrepancy_amount", type_code="weight_overcharge", threshold_amount=Decimal("20.00"))
    run = courier_run(zto, "20.00", "25.00", type="weight_overcharge")
    DiscrepancyFactory(run=run, type="rate_overcharge", amount_at_stake=Decimal("99.00"))  # another type
    big = run.discrepancies.get(amount_at_stake=Decimal("25.00"))
    (alert,) = alerts_check(event=RUN_FINISHED, run=run)
    assert alert.message == f"{big.ref} 的重量超收金额 ¥25.00（对账 #{run.id}），超过 ¥20.00。"
    assert (alert.key, alert.link) == (f"d:courier_fee:{zto.counterparty_id}:{big.carry_key}", f"/discrepancies/{big.id}/")
    assert alerts_check(event=RUN_FINISHED, run=run) == []
    # The same discrepancy (same carry key) in a rerun is the same object: no second alert.
    again = ReconRunFactory(courier=zto)
    DiscrepancyFactory(run=again, type="weight_overcharge", ref=big.ref, carry_key=big.carry_key, amount_at_stake=Decimal("25.00"))
    assert alerts_check(event=RUN_FINISHED, run=again) == []
    assert Alert.objects.count() == 1


def test_records_arriving_check_the_discrepancy_rules_only(zto, carol):
    rule(carol, "discrepancy_amount", type_code="weight_overcharge", threshold_amount=Decimal("5.00"))
    rule(carol, "run_at_stake", threshold_amount=Decimal("1.00"))
    run = courier_run(zto, "6.00", type="weight_overcharge")
    fired = alerts_check(event=RECORDS_ARRIVED, run=run)
    assert [a.rule_type for a in fired] == ["discrepancy_amount"]


# --------------------------------------------------------------------------- a failed run


def test_a_failed_run_fires_once_and_a_finished_one_not(zto, carol):
    rule(carol, "run_failed")
    assert alerts_check(event=RUN_FINISHED, run=courier_run(zto)) == []
    failed = courier_run(zto, status="failed")
    ReconRun.objects.filter(id=failed.id).update(error="文件为空")
    (alert,) = alerts_check(event=RUN_FINISHED, run=failed)
    assert alert.message == f"对账 #{failed.id}（快递运费，ZTO 中通）失败：文件为空"
    assert alert.link == f"/runs/{failed.id}/"
    assert alerts_check(event=RUN_FINISHED, run=failed) == []


# --------------------------------------------------------------------------- an expected file by a time of day


def test_an_expected_file_missing_by_its_time_fires_once_that_day(carol):
    r = rule(carol, "file_missing", file_kind="bank_statement", time_of_day=time(10, 0))
    morning = timezone.make_aware(datetime(2026, 11, 30, 9, 59))
    assert alerts_check(event=EXPECTED_FILES, now=morning) == []
    (alert,) = alerts_check(event=EXPECTED_FILES, now=morning + timedelta(minutes=1))
    assert (alert.rule, alert.key, alert.message) == (r, "file:2026-11-30", "2026-11-30 10:00 前未收到银行对账单。")
    assert alerts_check(event=EXPECTED_FILES, now=morning + timedelta(minutes=16)) == []


def test_a_file_that_arrived_today_fires_nothing(carol):
    rule(carol, "file_missing", file_kind="bank_statement", time_of_day=time(0, 0))
    SourceFile.objects.create(file="sources/x.csv", original_filename="x.csv", sha256="a" * 64, size_bytes=1,
                              file_kind="bank_statement")
    assert alerts_check(event=EXPECTED_FILES) == []


# --------------------------------------------------------------------------- receivables older than N days


def _receivables(*, older_than_days, today):
    return {30: Decimal("1000.00"), 60: Decimal("1000.01")}[older_than_days]


RECEIVABLES_SPEC = "tests.reports.test_alerts_rules.RECEIVABLES_KIND"


def _receivables_kind():
    import dataclasses

    from tests.recon.toy_kind import SPEC

    return dataclasses.replace(SPEC, receivables_by_age=_receivables)


RECEIVABLES_KIND = _receivables_kind()


@override_settings(RECON_EXTRA_KINDS={"toy": RECEIVABLES_SPEC})
def test_receivables_older_than_n_days_fire_once_a_month_above_the_amount(carol):
    rule(carol, "receivables_age", days=30, threshold_amount=Decimal("1000.00"))
    assert alerts_check(event=RECEIVABLES) == []  # ¥1,000.00 is not above ¥1,000.00
    r = rule(carol, "receivables_age", days=60, threshold_amount=Decimal("1000.00"))
    night = timezone.make_aware(datetime(2026, 11, 28, 1, 30))
    (alert,) = alerts_check(event=RECEIVABLES, now=night)
    assert (alert.rule, alert.key, alert.amount) == (r, "receivables:2026-11", Decimal("1000.01"))
    assert alert.message == "账龄超过 60 天的应收款 ¥1,000.01，超过 ¥1,000.00。"
    assert alerts_check(event=RECEIVABLES, now=night + timedelta(days=1)) == []
    assert len(alerts_check(event=RECEIVABLES, now=night + timedelta(days=3))) == 1  # December: a new period


# --------------------------------------------------------------------------- disputes left unanswered


def test_a_dispute_unanswered_after_the_reminder_days_reminds_managers_and_its_author_once(zto, carol, settings):
    settings.REPORTS_DISPUTE_REMINDER_DAYS = 14
    ops = UserFactory(username="olivia", role="ops", email="olivia@example.com")
    now = timezone.now()
    late = Dispute.objects.create(number="ZTO-20261101-001", counterparty=zto.counterparty, amount_claimed=Decimal("88.50"),
                                  created_by=ops)
    recent = Dispute.objects.create(number="ZTO-20261120-001", counterparty=zto.counterparty, created_by=ops)
    answered = Dispute.objects.create(number="ZTO-20261101-002", counterparty=zto.counterparty, status="answered")
    Dispute.objects.filter(id__in=[late.id, answered.id]).update(created_at=now - timedelta(days=15))
    Dispute.objects.filter(id=recent.id).update(created_at=now - timedelta(days=13, hours=23))
    sent_on = timezone.localtime(now - timedelta(days=15)).date().isoformat()
    (alert,) = alerts_check(event=DISPUTES, now=now)
    assert (alert.rule, alert.rule_type, alert.key) == (None, "dispute_unanswered", f"dispute:{late.id}")
    assert alert.message == f"{sent_on} 发给 ZTO 中通 的争议单 ZTO-20261101-001（索赔 ¥88.50）已 15 天未回复。"
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == ["carol", "olivia"]
    assert alerts_check(event=DISPUTES, now=now) == []


# --------------------------------------------------------------------------- what a firing does


def test_a_firing_notifies_subscribers_and_the_role_emails_them_and_is_audited(zto, carol):
    ops = UserFactory(username="olivia", role="ops", email="olivia@example.com")
    UserFactory(username="oscar", role="ops")  # no address: notified in the app only
    UserFactory(username="alice", role="finance", email="alice@example.com")  # neither subscribed nor in the role
    r = rule(carol, "run_at_stake", threshold_amount=Decimal("10.00"))
    r.subscribers.add(ops)  # subscribed and in the role: one notification
    r.role = Group.objects.get(name="ops")
    r.save()
    run = courier_run(zto, "12.34")
    (alert,) = alerts_check(event=RUN_FINISHED, run=run)
    assert sorted(Notification.objects.filter(alert=alert).values_list("user__username", "read_at")) == [
        ("carol", None), ("olivia", None), ("oscar", None)]
    (email,) = mail.outbox
    assert email.to == ["carol@example.com", "olivia@example.com"]
    assert email.subject == "[对账预警] run_at_stake rule"
    assert email.body == (f"对账 #{run.id}（快递运费，ZTO 中通）差异金额 ¥12.34，超过 ¥10.00。\n\n"
                          f"http://localhost:8000/discrepancies/?run={run.id}")
    (event,) = AuditEvent.objects.filter(object_type="alert")
    assert (event.object_id, event.action, event.actor_id) == (alert.id, "fire", None)
    assert event.changes == {"rule": [None, "run_at_stake rule"], "key": [None, f"run:{run.id}"], "amount": [None, "12.34"]}


def test_an_inactive_rule_is_not_checked(zto, carol):
    rule(carol, "run_at_stake", threshold_amount=Decimal("1.00"), active=False)
    assert alerts_check(event=RUN_FINISHED, run=courier_run(zto, "99.00")) == []


def test_an_unknown_event_is_a_programming_error():
    with pytest.raises(ValueError):
        alerts_check(event="page_load")
