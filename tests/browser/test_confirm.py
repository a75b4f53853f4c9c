"""Destructive forms ask first in a real browser, on pages other than the queue too: cancel keeps, OK goes ahead."""
from __future__ import annotations

import pytest

from tests.web.conftest import make_bill, make_discrepancy, make_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(page, user) -> None:
    page.goto("/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", f"{user.username}-pass-123")
    page.locator("form.stack button[type=submit]").click()  # the first submit on the page is the language switch
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_deleting_a_bill_asks_and_cancel_keeps_it(page, zto, manager_user):
    from couriers.models import CourierBill

    bill = make_bill(zto, manager_user)
    log_in(page, manager_user)
    page.goto(f"/bills/{bill.pk}/")
    asked = []
    delete = page.locator(f"form[action='/bills/{bill.pk}/delete/'] button[type=submit]")

    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    delete.click()
    page.wait_for_timeout(300)
    assert asked == ["确定删除该账单吗？其差异将移出差异列表；主管可恢复该账单。"]
    assert CourierBill.objects.get(pk=bill.pk).deleted_at is None

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        delete.click()
    assert CourierBill.objects.get(pk=bill.pk).deleted_at is not None
    assert page.js_errors == []


def test_a_bulk_write_off_asks_once_and_cancel_changes_nothing(page, zto, ops_user):
    from recon.core.models import Discrepancy

    bill = make_bill(zto, ops_user)
    d = make_discrepancy(make_run(zto, ops_user, bill), "ZT00000001", "rate_overcharge", "2.00", "4.60", "2.60")
    log_in(page, ops_user)
    page.goto("/discrepancies/")
    page.locator(f"input.tick[value='{d.pk}']").check()
    page.locator("[data-testid=bulkbar] select[name=action]").select_option("status")
    page.locator("[data-testid=bulkbar] select[name=status]").select_option("resolved")
    page.locator("[data-testid=bulkbar] select[name=outcome]").select_option("written_off")
    page.locator("[data-testid=bulkbar] input[name=reason]").fill("金额太小")
    asked = []

    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("[data-testid=bulkbar] button[type=submit]").click()
    page.wait_for_timeout(300)
    assert asked == ["确定核销所选差异吗？这些金额将不再向快递公司追讨。"]
    assert Discrepancy.objects.get(pk=d.pk).status == "open"
    assert page.js_errors == []
