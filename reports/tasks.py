"""Celery tasks of the reports: ids in, the service of the same name does the work."""
from celery import shared_task


@shared_task(name="reports.tasks.export_job_execute_task")
def export_job_execute_task(export_job_id: int) -> None:
    from .export_jobs import export_job_execute

    export_job_execute(export_job_id=export_job_id)


@shared_task(name="reports.tasks.export_jobs_expire_task")
def export_jobs_expire_task() -> int:
    from .export_jobs import export_jobs_expire

    return export_jobs_expire()
