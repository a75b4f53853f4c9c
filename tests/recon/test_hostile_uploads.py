"""Hostile files through every door — the API, the upload page, the command, a real worker: a clear refusal or a
correct import, nothing half-written, no process killed."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from couriers.models import CourierBill, CourierBillLine
from recon.runs import services as run_services
from recon.core.models import Discrepancy, ReconRun, RejectedRow
from tests import hostile
from tests.conftest import wait_for_run

pytestmark = pytest.mark.django_db

# Refused inside the request: the zip directory, the declared extent or the first 256 KB of a CSV tell.
AT_THE_DOOR = [
    (hostile.sparse_sheet, "max_columns", "more than the limit of 100 columns"),
    (lambda d: hostile.zip_bomb(d, empty_cells=False), "max_compression_ratio", "more than the limit of 200 times"),
    (lambda d: hostile.zip_bomb(d, empty_cells=True), "max_compression_ratio", "more than the limit of 200 times"),
    (hostile.entity_expansion, "xml_entities", "declares XML entities, which spreadsheets never need"),
    (hostile.many_sheets, "max_zip_entries", "the workbook has 10004 parts, more than the limit of 2000"),
    (hostile.huge_cell_csv, "max_cell_chars", "cell D3 holds 40000 characters, more than the limit of 32767"),
]
DOOR_IDS = ["sparse", "bomb-numbers", "bomb-empty", "entities", "10000-sheets", "huge-cell-csv"]
# Past the request's bounded look: refused by the worker's full check, as a failed run.
IN_THE_WORKER = [(hostile.sparse_sheet_undeclared, "max_columns"), (hostile.huge_cell_xlsx, "max_cell_chars")]


def staging_files() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "staging"
    return sorted(folder.iterdir()) if folder.exists() else []


def post_bill(client, path: Path, language="en"):
    with open(path, "rb") as fh:
        return client.post("/api/v1/courier-bills/", {"file": fh, "courier": "ZTO", "period": "2026-10"},
                           format="multipart", HTTP_ACCEPT_LANGUAGE=language)


def assert_nothing_written():
    assert ReconRun.objects.count() == 0 and CourierBill.objects.count() == 0
    assert CourierBillLine.objects.count() == 0 and Discrepancy.objects.count() == 0


@pytest.mark.parametrize("make, limit, words", AT_THE_DOOR, ids=DOOR_IDS)
def test_api_refuses_at_the_door_naming_the_limit(token_client, zto, no_enqueue, tmp_path, make, limit, words):
    before = staging_files()
    path = make(tmp_path)
    r = post_bill(token_client, path)
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "limit_exceeded" and error["details"]["limit"] == limit
    assert error["message"].startswith(f"“{path.name}” cannot be imported: ") and words in error["message"]
    assert_nothing_written()
    assert staging_files() == before and no_enqueue == []


def test_api_refusal_speaks_chinese_by_default(token_client, zto, no_enqueue, tmp_path):
    r = post_bill(token_client, hostile.sparse_sheet(tmp_path), language="zh-hans")
    assert r.json()["error"]["message"] == "无法导入“sparse.xlsx”：表格到达第 16384 列（单元格 XFD1048576），超过 100 列的上限。"


@pytest.mark.parametrize("make, limit", IN_THE_WORKER, ids=["sparse-undeclared", "huge-cell-xlsx"])
def test_worker_refuses_what_the_request_could_not_see(token_client, zto, no_enqueue, tmp_path, make, limit):
    path = make(tmp_path)
    r = post_bill(token_client, path)
    assert r.status_code == 202, r.content
    run_id = r.json()["run"]["id"]
    run_services.run_execute(run_id=run_id)
    run = ReconRun.objects.get(id=run_id)
    assert (run.status, run.error_code) == ("failed", "limit_exceeded")
    assert run.error_details["limit"] == limit and "cannot be imported" in run.error and len(run.error) < 400
    assert CourierBill.objects.count() == 0 and CourierBillLine.objects.count() == 0 and Discrepancy.objects.count() == 0
    api_run = token_client.get(f"/api/v1/runs/{run_id}/").json()
    assert api_run["status"] == "failed" and api_run["error_code"] == "limit_exceeded"


def test_nul_bytes_reject_their_rows_and_the_rest_is_imported(token_client, zto, no_enqueue, tmp_path):
    path, good = hostile.nul_bytes_csv(tmp_path)
    r = post_bill(token_client, path)
    assert r.status_code == 202, r.content
    run_services.run_execute(run_id=r.json()["run"]["id"])
    run = ReconRun.objects.get(id=r.json()["run"]["id"])
    assert run.status == "succeeded" and run.summary["lines"] == len(good) and run.summary["rejected"] == 2
    stored = set(CourierBillLine.objects.values_list("waybill_no", flat=True))
    assert stored == set(good) and "95399" not in stored
    rejected = list(RejectedRow.objects.order_by("row_no").values_list("row_no", "reason_code", "raw"))
    assert [(row, code) for row, code, _raw in rejected] == [(len(good) + 2, "control_character"), (len(good) + 3, "control_character")]
    assert rejected[0][2] == "95399\ufffd999999 | 8.00 | 1.20 | 浙江省"


def test_utf16_bill_is_imported_whole(token_client, zto, no_enqueue, tmp_path):
    path, waybills = hostile.utf16_csv(tmp_path, bom=False)
    r = post_bill(token_client, path)
    run_services.run_execute(run_id=r.json()["run"]["id"])
    run = ReconRun.objects.get(id=r.json()["run"]["id"])
    assert run.status == "succeeded" and run.summary["lines"] == len(waybills) and run.summary["billed_total"] == "380.00"
    assert sorted(CourierBillLine.objects.values_list("waybill_no", flat=True)) == waybills


def test_upload_page_shows_the_refusal_and_keeps_nothing(client, finance_user, zto, no_enqueue, tmp_path):
    client.force_login(finance_user)
    path = hostile.sparse_sheet(tmp_path)
    before = staging_files()
    r = client.post(reverse("bill-upload"), {
        "courier": "ZTO", "period": "2026-10",
        "file": SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/octet-stream"),
    })
    assert r.status_code == 200
    assert "无法导入“sparse.xlsx”：表格到达第 16384 列（单元格 XFD1048576），超过 100 列的上限。" in r.content.decode()
    assert_nothing_written()
    assert staging_files() == before


def test_command_refuses_with_the_message_and_exits_non_zero(zto, tmp_path):
    with pytest.raises(CommandError, match="无法导入“sparse.xlsx”：表格到达第 16384 列（单元格 XFD1048576），超过 100 列的上限。"):
        call_command("import_courier_bill", str(hostile.sparse_sheet(tmp_path)), "--courier", "ZTO", "--period", "2026-10", "--sync")
    assert_nothing_written()


def test_command_reports_the_workers_refusal_and_exits_non_zero(zto, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    path = hostile.sparse_sheet_undeclared(tmp_path)
    with pytest.raises(SystemExit) as exited:
        call_command("import_courier_bill", str(path), "--courier", "ZTO", "--period", "2026-10", "--sync", "--json",
                     stdout=out, stderr=err)
    assert exited.value.code == 1
    result = json.loads(out.getvalue())
    assert result["status"] == "failed" and result["bill_id"] is None
    run = ReconRun.objects.get(id=result["run_id"])
    assert run.error_code == "limit_exceeded" and CourierBill.objects.count() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # restores the migrations' couriers after the flush
def test_a_real_worker_survives_a_hostile_file_and_runs_the_next(live_worker, token_client, tmp_path):
    bad = post_bill(token_client, hostile.sparse_sheet_undeclared(tmp_path)).json()["run"]["id"]
    path, waybills = hostile.utf16_csv(tmp_path, bom=True)
    good = post_bill(token_client, path).json()["run"]["id"]
    failed = wait_for_run(bad, timeout=120)
    assert (failed.status, failed.error_code) == ("failed", "limit_exceeded")
    succeeded = wait_for_run(good, timeout=120)
    assert succeeded.status == "succeeded" and succeeded.summary["lines"] == len(waybills)
    assert live_worker.poll() is None  # the worker process is alive


def test_what_a_failed_run_keeps_of_the_file_is_bounded(token_client, zto, no_enqueue, tmp_path):
    """A header search that fails on a file of huge cells stores a few short cells, not the file (runs list stays small)."""
    path = tmp_path / "no-header.csv"
    path.write_text("\n".join(",".join("长" * 30_000 for _c in range(3)) for _r in range(5)) + "\n", encoding="utf-8")
    r = post_bill(token_client, path)
    assert r.status_code == 400 and r.json()["error"]["code"] == "header_not_found"
    cells = r.json()["error"]["details"]["headers_found"][""]
    assert [len(c) for c in cells] == [100, 100, 100] and all(c.endswith("…") for c in cells)
    assert len(r.content) < 5000


def test_run_fail_bounds_message_and_details(zto):
    run = ReconRun.objects.create(kind="courier_fee", counterparty=zto.counterparty, period_start="2026-10-01", period_end="2026-10-31")
    run_services.run_fail(run_id=run.id, code="internal_error", message="x" * 100_000,
                          details={"rows": [{"raw": "y" * 100_000}] * 500})
    run.refresh_from_db()
    assert len(run.error) == 1000 and run.error.endswith("…")
    assert len(run.error_details["rows"]) == 51 and run.error_details["rows"][-1] == "… 450 more"
    assert len(run.error_details["rows"][0]["raw"]) == 300
    assert len(json.dumps(run.error_details)) < 30_000
