"""Alerts are read in the reader's language: a message is stored as a code and parameters and rendered when read (the
bell's list, the API, the admin), emails in the product's language; rule parameters show labels, never codes."""
from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from recon.core.models import ReconRun
from reports.alerts import RECORDS_ARRIVED, RUN_FINISHED, alerts_check
from reports.alerts_models import Alert, AlertRule, Notification
from tests.factories import DiscrepancyFactory, ReconRunFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", role="manager", email="carol@example.com")


def web(user, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def weight_alert(zto, carol) -> Alert:
    """A weight overcharge of ¥12.50 on waybill YT100 above a ¥10 rule, fired while an English page was being served."""
    rule = AlertRule.objects.create(name="重量超收", rule_type="discrepancy_amount", type_code="weight_overcharge",
                                    threshold_amount=Decimal("10.00"))
    rule.subscribers.add(carol)
    run = ReconRunFactory(courier=zto)
    found = DiscrepancyFactory(run=run, type="weight_overcharge", ref="YT100", amount_at_stake=Decimal("12.50"))
    with translation.override("en"):
        (alert,) = alerts_check(event=RECORDS_ARRIVED, objects=[found.id])
    return alert


def test_the_alert_keeps_a_code_and_parameters_not_a_translated_text(weight_alert):
    alert = Alert.objects.get(id=weight_alert.id)
    assert (alert.message_code, alert.message_params) == ("discrepancy_amount", {
        "type": "weight_overcharge", "amount": "12.50", "ref": "YT100", "run": alert.run_id, "threshold": "10.00"})


def test_the_notification_list_is_in_the_readers_language(weight_alert, carol):
    chinese = web(carol, "zh-hans").get("/reports/notifications/").content.decode()
    english = web(carol, "en").get("/reports/notifications/").content.decode()
    assert f"YT100 的重量超收金额 ¥12.50（对账 #{weight_alert.run_id}），超过 ¥10.00。" in chinese
    assert f"Weight overcharge of ¥12.50 on YT100 (run #{weight_alert.run_id}), above ¥10.00." in english
    assert "重量超收金额" not in english


def test_the_api_keeps_the_code_and_gives_the_message_in_the_callers_language(weight_alert, carol):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(carol)
    (row,) = client.get("/api/v1/notifications/").json()["results"]
    assert (row["alert"]["message"], row["alert"]["message_code"], row["alert"]["message_params"]["type"]) == (
        f"Weight overcharge of ¥12.50 on YT100 (run #{weight_alert.run_id}), above ¥10.00.", "discrepancy_amount",
        "weight_overcharge")


def test_the_email_is_in_the_product_language_whatever_the_page_that_fired_it(weight_alert):
    (email,) = mail.outbox
    assert (email.subject, email.to) == ("[对账预警] 重量超收", ["carol@example.com"])
    assert email.body.startswith(f"YT100 的重量超收金额 ¥12.50（对账 #{weight_alert.run_id}），超过 ¥10.00。")


def test_an_alert_fired_before_message_codes_shows_its_stored_text(zto, carol):
    rule = AlertRule.objects.create(name="旧规则", rule_type="run_failed")
    old = Alert.objects.create(rule=rule, rule_type="run_failed", key="run:1", message="对账 #1（快递运费，中通）失败：旧的错误",
                               check_token="00000000-0000-0000-0000-000000000001")
    Notification.objects.create(user=carol, alert=old)
    assert "对账 #1（快递运费，中通）失败：旧的错误" in web(carol, "en").get("/reports/notifications/").content.decode()


def test_a_failed_outbound_run_names_no_counterparty_rather_than_its_kind_twice(carol):
    rule = AlertRule.objects.create(name="运行失败", rule_type="run_failed")
    rule.subscribers.add(carol)
    run = ReconRun.objects.create(kind="outbound", status="failed", error="找不到订单")
    (alert,) = alerts_check(event=RUN_FINISHED, run=run)
    assert alert.message == f"对账 #{run.id}（出库/发货对账）失败：找不到订单"
    with translation.override("en"):
        assert alert.text == f"Run #{run.id} (Outbound and shipping) failed: 找不到订单"


def test_the_rules_page_and_the_admin_show_labels_not_codes(zto, carol):
    carol.is_staff = carol.is_superuser = True
    carol.save()
    AlertRule.objects.create(name="重量超收大额", rule_type="discrepancy_amount", type_code="weight_overcharge",
                             kind="courier_fee", threshold_amount=Decimal("10.00"), role=Group.objects.get(name="finance"))
    AlertRule.objects.create(name="银行流水未到", rule_type="file_missing", file_kind="bank_statement", time_of_day=time(10, 0),
                             role=Group.objects.get(name="manager"))
    page = web(carol, "zh-hans").get("/reports/alerts/").content.decode()
    assert '<td class="small parameters">¥10.00 · 重量超收 · 快递运费</td>' in page
    assert '<td class="small parameters">银行对账单 · 10:00</td>' in page
    assert " · 财务</td>" in page and " · 经理</td>" in page
    english = web(carol, "en").get("/reports/alerts/").content.decode()
    assert '<td class="small parameters">¥10.00 · Weight overcharge · Courier fees</td>' in english
    assert " · Finance</td>" in english
    for code in ("weight_overcharge", "courier_fee", "bank_statement", "· finance", "· manager"):
        assert code not in page
    admin = web(carol, "zh-hans").get("/admin/reports/alertrule/").content.decode()
    assert '<td class="field-parameters">¥10.00 · 重量超收 · 快递运费</td>' in admin
    assert '<td class="field-role_name">财务</td>' in admin
    form = web(carol, "zh-hans").get("/reports/alerts/new/").content.decode()
    assert '>财务</option>' in form and '>finance</option>' not in form
