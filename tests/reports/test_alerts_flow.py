"""Where the checks are called from: the end of every run (one place, the core's run_execute), records arriving through
the outbound API, beat's schedules; and the demo's rule crossed by a demo run."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings
from django_celery_beat.models import PeriodicTask

from recon.core.models import ReconRun
from recon.runs.services import run_execute
from reports.alerts_models import Alert, AlertRule, Notification
from tests.factories import UserFactory
from tests.recon.toy_kind import SPEC

pytestmark = pytest.mark.django_db


def _boom(*, run):
    raise RuntimeError("the file went away")


def _succeed(*, run):
    ReconRun.objects.filter(id=run.id).update(status="succeeded", summary={"toy": True})


FAILING = dataclasses.replace(SPEC, execute=_boom)
SUCCEEDING = dataclasses.replace(SPEC, execute=_succeed)


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", role="manager", email="carol@example.com")


@override_settings(RECON_EXTRA_KINDS={"toy": "tests.reports.test_alerts_flow.FAILING"})
def test_a_run_that_fails_in_the_worker_fires_the_failed_run_rule(carol):
    rule = AlertRule.objects.create(name="运行失败", rule_type="run_failed")
    rule.subscribers.add(carol)
    run = ReconRun.objects.create(kind="toy")
    with pytest.raises(RuntimeError):
        run_execute(run_id=run.id)
    (alert,) = Alert.objects.all()
    assert (alert.rule, alert.key) == (rule, f"run:{run.id}")
    # A run of every counterparty names none, rather than its kind a second time.
    assert alert.message == f"对账 #{run.id}（Toy refunds）失败：RuntimeError: the file went away"
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["carol"] and len(mail.outbox) == 1


@override_settings(RECON_EXTRA_KINDS={"toy": "tests.reports.test_alerts_flow.SUCCEEDING"})
def test_a_run_that_succeeds_is_checked_once_it_has_ended(carol):
    rule = AlertRule.objects.create(name="运行失败", rule_type="run_failed")
    rule.subscribers.add(carol)
    run = ReconRun.objects.create(kind="toy")
    run_execute(run_id=run.id)
    assert ReconRun.objects.get(id=run.id).status == "succeeded" and not Alert.objects.exists()


def test_a_pickup_weight_far_above_ours_arriving_through_the_api_fires_the_discrepancy_rule(token_client, carol, demo_rate_card):
    rule = AlertRule.objects.create(name="揽收重量远超出库", rule_type="discrepancy_amount", type_code="pickup_weight_mismatch",
                                    threshold_amount=Decimal("5.00"))
    rule.subscribers.add(carol)
    parcel = {"waybill_no": "75312345678901", "courier": "ZTO", "packed_weight": "1.25", "outbound_at": "2026-10-02 15:30:00",
              "warehouse": "杭州仓", "province": "浙江"}
    token_client.post("/api/v1/outbound/", [{"outbound_no": "CK001", "order_no": "SO-1", "sku": "COAT", "quantity": 1, **parcel}],
                      format="json")
    assert not Alert.objects.exists()
    body = token_client.post("/api/v1/pickups/", [{"waybill_no": "75312345678901", "courier": "ZTO",
                                                   "picked_up_at": "2026-10-02 18:05", "pickup_weight": "9.80"}],
                             format="json").json()
    (alert,) = Alert.objects.all()
    assert (alert.run_id, alert.rule, alert.amount) == (body["check_run"], rule, Decimal("8.00"))
    assert alert.message == f"SO-1 的揽收重量超过称重重量金额 ¥8.00（对账 #{body['check_run']}），超过 ¥5.00。"
    # The same waybill posted again is checked again, and its finding has already fired.
    token_client.post("/api/v1/pickups/", [{"waybill_no": "75312345678901", "courier": "ZTO",
                                            "picked_up_at": "2026-10-02 18:05", "pickup_weight": "9.80"}], format="json")
    assert Alert.objects.count() == 1


def test_beat_has_the_alert_checks_and_the_report_emails_editable_in_the_admin():
    from recon.celery import app

    tasks = {t.name: (t.task, t.kwargs, t.crontab and (t.crontab.minute, t.crontab.hour, t.crontab.day_of_week, t.crontab.day_of_month),
                      t.interval and (t.interval.every, t.interval.period))
             for t in PeriodicTask.objects.filter(name__startswith="reports-").exclude(name="reports-export-expiry")}
    assert tasks == {
        "reports-receivables-ageing": ("reports.alerts_check_receivables", "{}", ("30", "1", "*", "*"), None),
        "reports-expected-files": ("reports.alerts_check_expected_files", "{}", None, (15, "minutes")),
        "reports-dispute-reminders": ("reports.alerts_check_disputes", "{}", ("0", "9", "*", "*"), None),
        "reports-email-weekly": ("reports.reports_email_scheduled", '{"cadence": "weekly"}', ("0", "8", "1", "*"), None),
        "reports-email-monthly": ("reports.reports_email_scheduled", '{"cadence": "monthly"}', ("0", "8", "*", "1"), None),
    }
    app.loader.import_default_modules()
    assert {t for t, *_ in tasks.values()} <= set(app.tasks)


def test_the_expected_files_task_fires_through_the_service(carol):
    from datetime import time

    from reports.alerts_tasks import alerts_check_expected_files

    rule = AlertRule.objects.create(name="银行流水", rule_type="file_missing", file_kind="bank_statement", time_of_day=time(0, 0))
    rule.subscribers.add(carol)
    assert alerts_check_expected_files() == 1
    assert alerts_check_expected_files() == 0


def test_the_demo_rule_is_crossed_by_a_demo_run_and_the_manager_is_told(tmp_path, settings, capsys):
    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    call_command("seed_demo", lines=200)
    rule = AlertRule.objects.get(rule_type="run_at_stake")
    assert (rule.threshold_amount, list(rule.subscribers.values_list("username", flat=True))) == (Decimal("50.00"), ["admin"])
    crossing = [r for r in ReconRun.objects.order_by("id") if Decimal(r.summary["amount_at_stake"]) > Decimal("50.00")]
    assert crossing
    assert sorted(Alert.objects.values_list("run_id", flat=True)) == [r.id for r in crossing]
    assert Notification.objects.filter(user__username="admin", read_at__isnull=True).count() == len(crossing)
    assert [m.to for m in mail.outbox] == [["admin@example.com"]] * len(crossing)
    assert "Alerts: admin is notified" in capsys.readouterr().out
