"""Beat keeps its schedule in the database (django-celery-beat), where a manager edits it in the admin."""
import pytest
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from recon.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    """Beat closes connections it finds outside autocommit between ticks, which a test's transaction always is."""
    import django_celery_beat.schedulers

    monkeypatch.setattr(django_celery_beat.schedulers, "close_old_connections", lambda: None)


def test_beat_writes_the_sweeps_into_the_database_and_follows_an_edit():
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    scheduler = DatabaseScheduler(app=app)

    stale = PeriodicTask.objects.get(name="recover-stale-runs")
    pending = PeriodicTask.objects.get(name="requeue-pending-runs")
    assert (stale.task, stale.interval.every, stale.interval.period) == ("recon.tasks.run_recover_stale", 30, "seconds")
    assert (pending.task, pending.interval.every, pending.interval.period) == ("recon.tasks.run_requeue_pending", 30, "seconds")
    assert {"recover-stale-runs", "requeue-pending-runs"} <= set(scheduler.all_as_schedule())

    # An entry switched off in the admin is no longer scheduled.
    pending.enabled = False
    pending.save()
    assert "requeue-pending-runs" not in scheduler.all_as_schedule()
    assert "recover-stale-runs" in scheduler.all_as_schedule()
