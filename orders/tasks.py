"""Celery tasks of the orders app: the service of the same name does the work."""
from celery import shared_task

from orders import runs_outbound


@shared_task(name="orders.tasks.outbound_daily_run")
def outbound_daily_run() -> int:
    """The morning run beat starts (schedule "outbound-daily", editable in the admin): yesterday, as of now."""
    return runs_outbound.outbound_daily_run().id


@shared_task(name="orders.tasks.outbound_grace_sweep")
def outbound_grace_sweep() -> int:
    """Every few minutes (schedule "outbound-grace-sweep"): the waybills whose pickup grace has just ended."""
    from orders.outbound_checks import outbound_grace_sweep as sweep

    run = sweep()
    return run.id if run else 0
