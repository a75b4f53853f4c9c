"""A clerk uploads hostile files in a real browser: a refusal that names the limit, on the page she is on; the worker
refuses what the request could not see, the run page says why, and the next good bill goes through."""
from __future__ import annotations

import re

import pytest

from tests import hostile

from .conftest import screenshot
from .test_clerk import FINISHED, RUN_PAGE, fill_upload_form, log_in

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_clerk_is_told_which_limit_a_file_breaks(page, live_worker, finance_user, tmp_path):
    from couriers.models import CourierBill
    from recon.core.models import ReconRun

    log_in(page, "alice", "alice-pass-123")
    fill_upload_form(page)
    page.set_input_files("[data-dropzone] input[type=file]", hostile.sparse_sheet(tmp_path))
    page.get_by_role("button", name="上传并对账").click()
    message = "无法导入“sparse.xlsx”：表格到达第 16384 列（单元格 XFD1048576），超过 100 列的上限。"
    page.get_by_text(message).wait_for()
    assert "/bills/upload/" in page.url
    screenshot(page, "upload-refused-limit")
    assert ReconRun.objects.count() == 0

    # The same far cell without a declared extent passes the request's look; the worker's scan refuses it.
    fill_upload_form(page)
    page.set_input_files("[data-dropzone] input[type=file]", hostile.sparse_sheet_undeclared(tmp_path))
    page.get_by_role("button", name="上传并对账").click()
    page.wait_for_url(RUN_PAGE)
    page.wait_for_selector(FINISHED, timeout=120_000)
    card = page.locator(".error-card")
    assert card.count() == 1
    assert "无法导入“sparse-undeclared.xlsx”：表格到达第 16384 列（单元格 XFD1048576），超过 100 列的上限。" in card.inner_text()
    screenshot(page, "run-refused-limit")
    assert CourierBill.objects.count() == 0

    # The worker that refused it takes the next bill: a UTF-16 text export, imported whole.
    path, waybills = hostile.utf16_csv(tmp_path, bom=True)
    fill_upload_form(page)
    page.set_input_files("[data-dropzone] input[type=file]", path)
    page.get_by_role("button", name="上传并对账").click()
    page.wait_for_url(re.compile(r"/runs/(\d+)/$"))
    page.wait_for_selector(FINISHED, timeout=120_000)
    assert page.locator(".error-card").count() == 0
    run = ReconRun.objects.order_by("-id").first()
    assert run.status == "succeeded" and run.summary["lines"] == len(waybills)
    assert live_worker.poll() is None
    assert page.js_errors == []
