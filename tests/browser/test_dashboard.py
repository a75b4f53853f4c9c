"""The dashboard in a real browser: a manager sees the month's figures and follows a bar to the list behind it."""
from __future__ import annotations

import pytest

from tests.browser.test_confirm import log_in
from tests.reports.dashboard_data import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_manager_follows_a_bar_to_its_rows(page, manager_user):
    build()
    log_in(page, manager_user)
    page.goto("/?period=2026-10")
    assert page.locator("[data-testid=kpi-at-stake] .value").inner_text() == "¥72.50"
    assert page.locator("[data-testid=kpi-recovery-rate] .value").inner_text() == "13.8%"
    assert page.locator("[data-testid=summary-pdf]").inner_text() == "⬇ 下载本期 PDF 摘要"
    # The disputed part of the weight overcharges' stacked bar: one row.
    bar = page.locator("[data-testid=panel-types] a:has(rect.chart-bar title:text-is('重量超收 · 争议中: 1'))")
    # Charts fit their card, and a bar is drawn as tall as its value (the page's styles must not size SVG bars).
    for chart in page.locator("[data-testid=panel-types] svg.chart, [data-testid=panel-trend] svg.chart").all():
        card = chart.locator("xpath=ancestor::section[1]").bounding_box()
        assert chart.bounding_box()["width"] <= card["width"]
    rect = bar.locator("rect")
    svg = page.locator("[data-testid=panel-types] svg.chart").first
    scale = svg.bounding_box()["width"] / float(svg.get_attribute("width"))
    assert abs(rect.bounding_box()["height"] - float(rect.get_attribute("height")) * scale) < 1
    with page.expect_navigation():
        bar.click()
    assert "/discrepancies/" in page.url and "month=2026-10" in page.url and "status=disputed" in page.url
    page.locator("[data-testid=total-count]").wait_for()
    assert page.locator("[data-testid=total-count]").get_attribute("data-count") == "1"
    assert page.locator("table.data tbody tr").count() == 1
    assert page.js_errors == []


def test_the_headline_is_the_queues_total_for_the_month(page, manager_user):
    from tests.reports.dashboard_data import add_without_counterparty

    build()
    add_without_counterparty()
    log_in(page, manager_user)
    page.goto("/?period=2026-10")
    # ¥72.50 of the couriers' rows and the ¥199.00 return no courier or shop is known for.
    assert page.locator("[data-testid=kpi-at-stake] .value").inner_text() == "¥271.50"
    assert page.locator("[data-testid=kpi-at-stake] .sub").inner_text() == "7 条差异"
    assert page.locator("[data-testid=kpi-open] .value").inner_text() == "¥241.50"
    stakes = page.locator("[data-testid=panel-stakes] tbody tr")
    assert stakes.first.locator("td").first.inner_text() == "对账方未知"
    assert page.locator("#notification-bell .bell-count").count() == 0  # nothing unread: no badge
    with page.expect_navigation():
        page.locator("[data-testid=kpi-at-stake]").click()
    assert "month=2026-10" in page.url
    page.locator("[data-testid=total-count]").wait_for()
    assert page.locator("[data-testid=total-count]").get_attribute("data-count") == "7"
    assert page.locator("[data-testid=total-at-stake]").inner_text() == "271.50"
    assert page.locator("[data-testid=total-open]").inner_text() == "241.50"
    page.go_back()
    with page.expect_navigation():
        stakes.first.locator("a").first.click()
    page.locator("[data-testid=total-count]").wait_for()
    assert page.locator("[data-testid=total-count]").get_attribute("data-count") == "2"
    assert page.locator("[data-testid=total-at-stake]").inner_text() == "199.00"
    assert page.js_errors == []
