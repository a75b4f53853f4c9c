"""Celery tasks: ids in, the service of the same name does the work.

Their names are the ones queued messages and the beat schedule have always carried (recon.tasks.*), kept when
the module moved into recon/runs/.
"""
from celery import shared_task

from recon.runs import services


@shared_task(name="recon.tasks.run_execute_task")
def run_execute_task(run_id: int) -> None:
    services.run_execute(run_id=run_id)


@shared_task(name="recon.tasks.run_recover_stale")
def run_recover_stale() -> int:
    return services.run_recover_stale()


@shared_task(name="recon.tasks.run_requeue_pending")
def run_requeue_pending() -> int:
    return services.run_requeue_pending()


@shared_task(name="recon.tasks.bulk_action_execute_task")
def bulk_action_execute_task(bulk_action_id: int) -> None:
    from recon.review import bulk

    bulk.bulk_action_execute(bulk_action_id=bulk_action_id)
