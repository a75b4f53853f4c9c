"""Big exports go to a worker and land on "my exports": exact rows, progress, owner-only downloads, expiry."""
from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from reports.export_jobs import export_job_execute, export_jobs_expire, export_job_submit
from reports.models import ExportJob
from reports.tasks import export_job_execute_task
from tests.factories import UserFactory
from tests.reports.test_discrepancy_export import ZH_HEADER
from tests.web.conftest import clerk_client, reconciled  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_ASYNC_ROWS = 3


def _content(job: ExportJob) -> bytes:
    with job.file.open("rb") as fh:
        return fh.read()


def test_a_big_export_is_handed_to_the_worker_and_written_with_every_row(clerk_client, reconciled, finance_user,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = clerk_client.get(reverse("discrepancy-export"), {"format": "csv", "run": reconciled["run"].id})
    assert (response.status_code, response["Location"]) == (302, reverse("export-list"))
    job = ExportJob.objects.get()
    assert (job.user, job.kind, job.format, job.status, job.params) == (
        finance_user, "discrepancies", "csv", "pending", {"query": f"run={reconciled['run'].id}"})
    assert len(callbacks) == 1  # the task is sent once the job row is committed
    export_job_execute_task.apply(args=(job.id,))
    job.refresh_from_db()
    assert (job.status, job.progress_current, job.progress_total, job.progress_percent) == ("succeeded", 4, 4, 100)
    content = _content(job)
    assert content[:3] == b"\xef\xbb\xbf"
    run = reconciled["run"].id
    assert content.decode("utf-8-sig").split("\r\n") == [
        "waybill_no,order_no,type,type_label,status,amount_at_stake,billed_fee,expected_fee,billed_weight_g,"
        "expected_weight_g,billed_province,expected_province,line_no,courier,run_id,reason,kind,ref,ref2,sku,counterparty",
        f"ZT99999999,,unknown_waybill,非我方运单,open,3.00,3.00,,2000,1250,浙江,上海,,ZTO,{run},unknown_waybill on ZT99999999,courier_fee,ZT99999999,,,ZTO",
        f"ZT00000001,,rate_overcharge,运费超收,open,2.00,4.60,2.60,2000,1250,浙江,上海,1,ZTO,{run},rate_overcharge on ZT00000001,courier_fee,ZT00000001,,,ZTO",
        f"ZT00000002,,weight_overcharge,重量超收,open,1.00,4.00,3.00,2000,1250,浙江,上海,2,ZTO,{run},weight_overcharge on ZT00000002,courier_fee,ZT00000002,,,ZTO",
        f"ZT00000003,,rate_undercharge,运费少收,open,0.50,2.50,3.00,2000,1250,浙江,上海,4,ZTO,{run},rate_undercharge on ZT00000003,courier_fee,ZT00000003,,,ZTO",
        "",
    ]
    page = clerk_client.get(reverse("export-list")).content.decode()
    assert reverse("export-download", args=[job.id]) in page
    download = clerk_client.get(reverse("export-download", args=[job.id]))
    assert b"".join(download.streaming_content) == content
    assert download["Content-Disposition"].startswith('attachment; filename="discrepancies-')


def test_the_excel_of_a_big_export_has_labels_money_and_totals(reconciled, finance_user):
    job = export_job_submit(kind="discrepancies", fmt="xlsx", params={"query": f"run={reconciled['run'].id}"}, user=finance_user,
                            enqueue=False)
    export_job_execute(export_job_id=job.id)
    job.refresh_from_db()
    sheet = openpyxl.load_workbook(io.BytesIO(_content(job)))["差异"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ZH_HEADER
    assert [r[:7] for r in rows[1:5]] == [
        ["ZT99999999", None, "非我方运单", "待处理", 3, 3, None],
        ["ZT00000001", None, "运费超收", "待处理", 2, 4.6, 2.6],
        ["ZT00000002", None, "重量超收", "待处理", 1, 4, 3],
        ["ZT00000003", None, "运费少收", "待处理", 0.5, 2.5, 3],
    ]
    assert rows[5][:7] == ["合计", None, None, None, "=SUM(E2:E5)", "=SUM(F2:F5)", "=SUM(G2:G5)"]
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(2, 5).number_format == "¥#,##0.00"


def test_a_small_export_stays_immediate(clerk_client, reconciled, settings):
    settings.EXPORT_ASYNC_ROWS = 4
    response = clerk_client.get(reverse("discrepancy-export"), {"format": "csv", "run": reconciled["run"].id})
    assert response.status_code == 200
    assert response.content.count(b"\r\n") == 5
    assert not ExportJob.objects.exists()


def test_running_the_task_twice_writes_the_file_once(reconciled, finance_user):
    job = export_job_submit(kind="discrepancies", fmt="csv", params={"query": ""}, user=finance_user, enqueue=False)
    export_job_execute(export_job_id=job.id)
    first = ExportJob.objects.get(id=job.id).file.name
    export_job_execute(export_job_id=job.id)
    assert ExportJob.objects.get(id=job.id).file.name == first


def test_another_user_cannot_see_or_download_an_export(client, reconciled, finance_user):
    job = export_job_submit(kind="discrepancies", fmt="csv", params={"query": ""}, user=finance_user, enqueue=False)
    export_job_execute(export_job_id=job.id)
    other = UserFactory(role="manager")
    client.force_login(other)
    assert client.get(reverse("export-download", args=[job.id])).status_code == 404
    assert client.get(reverse("export-status", args=[job.id])).status_code == 404
    assert reverse("export-download", args=[job.id]) not in client.get(reverse("export-list")).content.decode()
    client.force_login(finance_user)
    assert client.get(reverse("export-status", args=[job.id])).json() == {
        "status": "succeeded", "status_label": "已完成", "percent": 100, "done": 4, "total": 4, "finished": True, "error": ""}


def test_expired_exports_lose_their_file_and_row(reconciled, finance_user, settings):
    settings.EXPORT_KEEP_DAYS = 7
    old = export_job_submit(kind="discrepancies", fmt="csv", params={"query": ""}, user=finance_user, enqueue=False)
    fresh = export_job_submit(kind="discrepancies", fmt="csv", params={"query": ""}, user=finance_user, enqueue=False)
    for job in (old, fresh):
        export_job_execute(export_job_id=job.id)
    old.refresh_from_db()
    path = old.file.name
    assert default_storage.exists(path)
    assert timedelta(days=7) - timedelta(seconds=5) < fresh.expires_at - fresh.created_at <= timedelta(days=7)
    ExportJob.objects.filter(id=old.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert export_jobs_expire() == 1
    assert not default_storage.exists(path)
    assert list(ExportJob.objects.values_list("id", flat=True)) == [fresh.id]


def test_the_expiry_runs_every_night_from_beat_s_database():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="reports-export-expiry")
    assert (task.task, task.crontab.minute, task.crontab.hour, task.enabled) == ("reports.tasks.export_jobs_expire_task", "30", "3", True)
