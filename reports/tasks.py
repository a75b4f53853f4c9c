"""Celery tasks of the reports: ids in, the service of the same name does the work. The alerts' tasks live in
reports/alerts_tasks.py and are imported here so that the worker's autodiscovery of `tasks` modules finds them."""
from celery import shared_task

from reports.alerts_tasks import (  # noqa: F401
    alerts_check_disputes, alerts_check_expected_files, alerts_check_receivables, reports_email_scheduled,
)


@shared_task(name="reports.tasks.export_job_execute_task")
def export_job_execute_task(export_job_id: int) -> None:
    from .export_jobs import export_job_execute

    export_job_execute(export_job_id=export_job_id)


@shared_task(name="reports.tasks.export_jobs_expire_task")
def export_jobs_expire_task() -> int:
    from .export_jobs import export_jobs_expire

    return export_jobs_expire()
