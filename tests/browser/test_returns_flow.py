"""Returns in a real browser: a finance clerk uploads the three files and starts the run, an ops user disputes a claim.

The files are written here with one refunded return that never came back and one freight line for a waybill no
return names; a real Celery worker runs the reconciliation, and every figure is checked to the fen.
"""
from __future__ import annotations

import re

import pytest

from tests.returns.conftest import FREIGHT_HEADER, RECEIPT_HEADER, REQUEST_HEADER, csv_bytes

from .conftest import screenshot
from .test_ops_flow import DISPUTE_PAGE, fen, filter_queue, log_in, queue_rows, second_person

# The flush after each test empties the couriers the data migration made; serialized_rollback puts them back.
pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RUN_PAGE = re.compile(r"/runs/(\d+)/$")

REQUESTS = [
    REQUEST_HEADER,
    # Refunded on the 4th and still not back on the 31st: the refund is money lost.
    ["RT1", "SO1", "淘宝", "旗舰店", "中通 7530-0000-0001", "中通", "SKU-A", "2", "128.40", "退款成功", "2026-10-04", "2026-10-03 10:00",
     "", "张三", "13800000000", "杭州市西湖区"],
    # Refunded and received in good order: nothing to report.
    ["RT2", "SO2", "淘宝", "旗舰店", "753000000002", "ZTO", "SKU-B", "1", "59.90", "退款成功", "2026-10-06", "2026-10-05 09:30",
     "", "李四", "13900000000", "杭州市上城区"],
]
RECEIPTS = [
    RECEIPT_HEADER,
    ["753000000002", "", "2026-10-08", "SKU-B", "1", "良品", "杭州仓", "王五"],
]
# ZTO's demo card from 浙江: ¥3.00 up to 1 kg, ¥2.60 up to 0.5 kg, so neither line is overcharged.
FREIGHT = [
    FREIGHT_HEADER,
    ["753000000002", "2026-10-07", "1", "3.00", "", "浙江"],
    ["753000000088", "2026-10-12", "0.5", "2.60", "", "浙江"],  # no return names this waybill
]


def upload(page, tmp_path, name: str, kind: str, rows: list[list], courier: str = "") -> dict[str, str]:
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    page.goto("/returns/upload/")
    page.select_option("#id_kind", kind)
    page.select_option("#id_courier", courier)
    page.set_input_files("#id_file", path)
    with page.expect_navigation():
        page.locator("form.stack button[type=submit]").click()
    result = page.locator("[data-testid=import-result]")
    assert name in result.locator("h2").inner_text()
    return {key: result.locator(f"[data-testid={key}]").inner_text() for key in ("rows", "rejected", "duplicates")}


def test_clerk_uploads_three_files_runs_returns_and_ops_disputes_the_freight(
        page, browser, live_server, live_worker, finance_user, ops_user, demo_rate_card, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"  # uploads and the dispute file stay out of var/
    log_in(page, finance_user)

    # ---- The three files, each with its counts on the same page.
    assert upload(page, tmp_path, "退货申请.csv", "requests", REQUESTS) == {"rows": "2", "rejected": "0", "duplicates": "0"}
    assert upload(page, tmp_path, "退货入库.csv", "receipts", RECEIPTS) == {"rows": "1", "rejected": "0", "duplicates": "0"}
    assert upload(page, tmp_path, "中通退件运费.csv", "freight", FREIGHT, courier="ZTO") == {"rows": "2", "rejected": "0", "duplicates": "0"}
    screenshot(page, "returns-uploaded")

    # ---- October, judged on the 31st with a week's grace, started from the overview.
    page.goto("/returns/?start=2026-10-01&end=2026-10-31&as_of=2026-10-31&grace_days=7")
    assert page.locator("[data-testid=requests]").inner_text() == "2"
    assert page.locator("[data-testid=refunded-not-received]").inner_text() == "¥128.40"
    assert page.locator("[data-testid=no-run]").count() == 1
    form = page.locator("form[data-testid=reconcile]")
    assert [form.locator(f"#id_run-{f}").input_value() for f in ("start", "end", "as_of", "grace_days")] == [
        "2026-10-01", "2026-10-31", "2026-10-31", "7"]
    with page.expect_navigation():
        form.get_by_role("button", name="对账").click()
    run_id = int(RUN_PAGE.search(page.url).group(1))
    assert page.locator(".msg-success").inner_text() == f"退货对账已开始，运行 #{run_id}。"
    page.wait_for_selector(".cards, .error-card", timeout=60_000)  # the page follows the worker by itself
    assert page.locator(".error-card").count() == 0
    assert page.locator(".pagehead .tag").inner_text() == "已完成"
    screenshot(page, "returns-run")

    # ---- The queue, returns only: the two claims, to the fen.
    page.goto("/discrepancies/")
    page.locator("form.filterbar input[name=kind][value=returns]").check()
    with page.expect_navigation():
        page.locator("form.filterbar button[type=submit]").click()
    assert "kind=returns" in page.url
    rows = sorted((r["type"], r["waybill"], r["at_stake"], r["status"]) for r in queue_rows(page))
    assert rows == [("refunded_not_received", "RT1", "128.40", "open"),
                    ("return_freight_unknown", "753000000088", "2.60", "open")]
    screenshot(page, "returns-queue")

    # ---- Ops disputes the courier's freight claim.
    ops_context, ops = second_person(browser, live_server)
    log_in(ops, ops_user)
    ops.goto("/discrepancies/?kind=returns")
    filter_queue(ops, types=["return_freight_unknown"], courier="ZTO")
    assert [(r["waybill"], r["at_stake"]) for r in queue_rows(ops)] == [("753000000088", "2.60")]
    ops.locator("a.btn[href^='/disputes/new/']").click()
    ops.wait_for_url(re.compile(r"/disputes/new/\?.*courier=ZTO"))
    assert ops.locator("[data-testid=problem]").count() == 0
    with ops.expect_navigation():
        ops.locator("form[action='/disputes/new/'] button[type=submit]").click()
    dispute_id = int(DISPUTE_PAGE.search(ops.url).group(1))
    assert fen(ops.locator(".cards .stat.accent .value").inner_text()) == 260
    screenshot(ops, "returns-dispute")

    ops.goto("/disputes/")
    listed = ops.locator(f"table.data tbody tr:has(a[href='/disputes/{dispute_id}/'])")
    assert listed.count() == 1
    cells = [c.strip() for c in listed.locator("td").all_inner_texts()]
    assert (cells[1], cells[3], cells[4], cells[7]) == ("ZTO 中通", "1", "2.60", ops_user.username)
    ops_context.close()

    # Back in the queue the freight claim is disputed; the refund stays open for finance.
    page.reload()
    statuses = sorted((r["type"], r["status"]) for r in queue_rows(page))
    assert statuses == [("refunded_not_received", "open"), ("return_freight_unknown", "disputed")]
    assert page.js_errors == [] and ops.js_errors == []
