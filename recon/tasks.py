"""Celery tasks: ids in, the service of the same name does the work."""
from celery import shared_task

from . import services


@shared_task(name="recon.tasks.run_execute_task")
def run_execute_task(run_id: int) -> None:
    services.run_execute(run_id=run_id)


@shared_task(name="recon.tasks.run_recover_stale")
def run_recover_stale() -> int:
    return services.run_recover_stale()
