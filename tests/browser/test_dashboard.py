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
