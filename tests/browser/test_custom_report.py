"""A manager's custom report in a real browser: pick a source, a dimension and a measure, see the table and the
chart, save it by name and find it in the list of saved reports."""
from __future__ import annotations

import pytest

from tests.reports.custom_data import known  # noqa: F401  (fixture)

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_build_save_and_find_a_custom_report(page, finance_user, known):
    page.goto("/")
    page.fill("#id_username", finance_user.username)
    page.fill("#id_password", f"{finance_user.username}-pass-123")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto("/reports/custom/")
    page.select_option("[data-testid=source]", "courier_bills")  # changing the source reloads its dimensions
    page.wait_for_url("**/reports/custom/?source=courier_bills**")
    assert page.locator("[data-testid=measure-billed]").count() == 1
    page.select_option("[data-testid=source]", "discrepancies")
    page.wait_for_url("**/reports/custom/?source=discrepancies**")
    page.select_option("[data-testid=dim1]", "counterparty")
    page.check("[data-testid=measure-at_stake]")
    page.fill("input[name=f_kind]", "courier_fee")
    page.click("[data-testid=run]")

    rows = page.locator("[data-testid=report-row]")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").all_inner_texts() == ["YTO", "¥10.00"]
    assert rows.nth(1).locator("td").all_inner_texts() == ["ZTO", "¥17.75"]
    assert page.locator("[data-testid=report-totals] th").all_inner_texts() == ["合计", "¥27.75"]
    assert page.locator("[data-testid=report-chart] svg rect").count() >= 2
    screenshot(page, "custom-report-built")

    page.fill("[data-testid=report-name]", "各快递涉及金额")
    page.check("input[name=share][value=manager]")
    page.click("[data-testid=save]")
    page.wait_for_url("**/reports/custom/*/")
    assert page.locator("h1").inner_text() == "各快递涉及金额"

    page.goto("/reports/custom/saved/")
    saved = page.locator("[data-testid=saved-report]")
    assert saved.count() == 1
    assert saved.locator("td").nth(0).inner_text() == "各快递涉及金额"
    assert saved.locator("td").nth(2).inner_text() == "manager"
    saved.locator("a").click()
    assert page.locator("[data-testid=report-row]").count() == 2
