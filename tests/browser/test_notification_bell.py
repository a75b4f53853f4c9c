"""The notification bell in a real browser: a manager sees the count of unread alerts, opens the list, marks one read
and then the rest, and the count drops each time."""
from __future__ import annotations

from decimal import Decimal

import pytest

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(page, user) -> None:
    page.goto("/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", f"{user.username}-pass-123")
    page.locator("form.stack button[type=submit]").click()  # the first submit on the page is the language switch
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_the_manager_sees_the_bell_count_opens_the_list_and_marks_read(page, zto, manager_user):
    from reports.alerts import RUN_FINISHED, alerts_check
    from reports.alerts_models import AlertRule
    from tests.factories import DiscrepancyFactory, ReconRunFactory

    rule = AlertRule.objects.create(name="差异超过 ¥50", rule_type="run_at_stake", threshold_amount=Decimal("50.00"))
    rule.subscribers.add(manager_user)
    runs = []
    for amount in ("60.00", "75.50", "120.00"):
        run = ReconRunFactory(courier=zto)
        DiscrepancyFactory(run=run, amount_at_stake=Decimal(amount))
        alerts_check(event=RUN_FINISHED, run=run)
        runs.append(run)

    log_in(page, manager_user)
    bell = page.locator("#notification-bell")
    assert bell.locator(".bell-count").inner_text() == "3"
    bell.click()
    page.wait_for_url("**/reports/notifications/")
    screenshot(page, "notifications")
    rows = page.locator("tr.unread")
    assert rows.count() == 3
    assert rows.first.locator("td").nth(2).inner_text() == f"对账 #{runs[2].id}（快递运费，ZTO 中通）差异金额 ¥120.00，超过 ¥50.00。"

    rows.first.get_by_role("button", name="标为已读").click()
    page.wait_for_url("**/reports/notifications/")
    assert page.locator("#notification-bell .bell-count").inner_text() == "2"
    assert page.locator("tr.unread").count() == 2 and page.locator("tr.read").count() == 1

    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_url("**/reports/notifications/")
    assert page.locator("#notification-bell").is_visible() and page.locator("#notification-bell .bell-count").count() == 0
    assert page.locator("tr.unread").count() == 0
    assert page.js_errors == []
