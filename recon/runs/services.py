"""Writes on runs: claim, progress, finish, fail, and the dispatch to each kind's reconciliation."""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recon.audit.services import audit_record, changes_of, current_ip
from recon.core.errors import UserFacingError, bounded, bounded_message
from recon.kinds import kind_spec, kind_specs
from recon.core.models import ReconRun, Setting

log = logging.getLogger(__name__)

PHASE_ORDER = ["queued", "reading", "validating", "loading", "matching", "saving", "done"]


def run_enqueue(*, run: ReconRun) -> None:
    """Send the run to a worker once the row that describes it is committed (the row is the outbox)."""
    run_id = run.id
    transaction.on_commit(lambda: run_send(run_id=run_id))


def run_send(*, run_id: int) -> bool:
    """Publish a pending run's message; a broker that is down leaves it pending for the requeue sweep."""
    from recon.runs.tasks import run_execute_task

    ReconRun.objects.filter(id=run_id).update(enqueue_attempts=F("enqueue_attempts") + 1)
    try:
        # One quick retry only: the upload request waits on this, and the sweep will try again anyway.
        run_execute_task.apply_async((run_id,), retry=True, retry_policy={"max_retries": 1, "interval_start": 0.2})
    except Exception:  # any transport error; the run row is committed, so nothing is lost
        log.exception("run %s could not be queued; the requeue sweep will send it again", run_id)
        return False
    ReconRun.objects.filter(id=run_id).update(queued_at=timezone.now())
    return True


def run_requeue_pending() -> int:
    """Send again the pending runs whose message may be lost (broker down at upload, or restarted empty)."""
    now = timezone.now()
    first = settings.RUN_REQUEUE_AFTER_SECONDS
    candidates = (
        ReconRun.objects.filter(status=ReconRun.Status.PENDING)
        .annotate(last_sent=Coalesce("queued_at", "created_at"))
        .filter(last_sent__lte=now - timedelta(seconds=first))
        .order_by("id")
        .values_list("id", "last_sent", "enqueue_attempts")[:500]
    )
    sent = 0
    for run_id, last_sent, attempts in candidates:
        # Back off (1x, 2x, 4x … the first delay, capped) so a run waiting behind a long queue is not re-sent
        # every minute; a duplicate message costs one no-op claim, not a second run.
        wait = min(first * 2 ** max(attempts - 1, 0), max(settings.RUN_REQUEUE_MAX_SECONDS, first))
        if last_sent <= now - timedelta(seconds=wait) and run_send(run_id=run_id):
            sent += 1
    if sent:
        log.warning("re-sent %s pending run(s) to the broker", sent)
    return sent


def run_claim(*, run_id: int) -> bool:
    """Move a pending run to running; False if someone else already did (running a task twice is harmless)."""
    now = timezone.now()
    changed = ReconRun.objects.filter(id=run_id, status=ReconRun.Status.PENDING).update(
        status=ReconRun.Status.RUNNING, started_at=now, heartbeat_at=now, phase=ReconRun.Phase.READING,
        progress_current=1, progress_total=len(PHASE_ORDER) - 1,
    )
    return changed == 1


def run_progress(*, run_id: int, phase: str) -> None:
    """Record the phase a worker has reached; the UI polls it."""
    ReconRun.objects.filter(id=run_id).update(
        phase=phase, progress_current=PHASE_ORDER.index(phase), heartbeat_at=timezone.now())


def run_fail(*, run_id: int, code: str, message: str, details: dict | None = None) -> None:
    """Mark a run failed; what it keeps of the error is bounded, so that a run list never carries a file's worth of text."""
    ReconRun.objects.filter(id=run_id).update(
        status=ReconRun.Status.FAILED, phase=ReconRun.Phase.FAILED, error_code=code, error=bounded_message(message),
        error_details=bounded(details or {}), finished_at=timezone.now(),
    )


def run_heartbeat(*, run_id: int) -> bool:
    """Tell the stale sweep this run's worker is alive; False once the run is no longer running."""
    return ReconRun.objects.filter(id=run_id, status=ReconRun.Status.RUNNING).update(heartbeat_at=timezone.now()) == 1


class _Heartbeat(threading.Thread):
    """Beats while the run works: the matching and saving phases can last minutes without a phase change."""

    def __init__(self, run_id: int):
        super().__init__(name=f"run-{run_id}-heartbeat", daemon=True)
        self.run_id, self.stopped = run_id, threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.RUN_HEARTBEAT_SECONDS):
                try:
                    if not run_heartbeat(run_id=self.run_id):
                        return
                except Exception:  # the database may be away for a while: beat again when it is back
                    log.warning("heartbeat of run %s not written", self.run_id, exc_info=True)
                    db_connection.close()
        finally:
            db_connection.close()  # this thread's own connection, opened by its first beat

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=30)


def _fail_when_database_is_back(*, run_id: int, code: str, message: str) -> bool:
    """Record a failure even if the database is just coming back; the stale sweep is the backstop."""
    delay = 1.0
    deadline = time.monotonic() + settings.RUN_HEARTBEAT_TIMEOUT_SECONDS
    while True:
        try:
            run_fail(run_id=run_id, code=code, message=message)
            return True
        except DatabaseError:
            # A connection broken by an outage cannot be reused; inside someone's transaction it must not be closed.
            if db_connection.in_atomic_block or time.monotonic() > deadline:
                log.exception("run %s could not be marked failed; the stale sweep will do it", run_id)
                return False
            db_connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def run_execute(*, run_id: int) -> None:
    """Run a claimed-or-pending run to its end, whatever its kind."""
    if not run_claim(run_id=run_id):
        log.info("run %s is not pending; nothing to do", run_id)
        return
    run = ReconRun.objects.get(id=run_id)
    # The trail records the address of whoever queued the run.
    token = current_ip.set((run.params or {}).get("ip"))
    heartbeat = _Heartbeat(run_id)
    heartbeat.start()
    try:
        kind_spec(run.kind).hook("execute")(run=run)
    except (OperationalError, InterfaceError) as exc:
        log.exception("run %s lost the database", run_id)
        with translation.override(settings.LANGUAGE_CODE):
            # One message with the exception's name in it, so that a reader of another language can have it rendered.
            message = _("The database could not be reached while this run worked; nothing of it was saved. Run it "
                        "again. (%(error)s)") % {"error": type(exc).__name__}
        _fail_when_database_is_back(run_id=run_id, code="database_unavailable", message=message)
        raise
    except Exception as exc:  # the run must never stay 'running' because of a bug
        log.exception("run %s failed", run_id)
        _fail_when_database_is_back(run_id=run_id, code="internal_error", message=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        heartbeat.stop()
        current_ip.reset(token)
        _alerts_after_run(run_id=run_id)


def _alerts_after_run(*, run_id: int) -> None:
    """Check the alert rules about runs once a run has ended, succeeded or failed; their trouble never fails the run."""
    from reports.alerts import RUN_FINISHED, alerts_check

    try:
        # A savepoint: a failed check must not break a transaction the caller holds.
        with transaction.atomic():
            run = ReconRun.objects.get(id=run_id)
            if run.is_finished:
                alerts_check(event=RUN_FINISHED, run=run)
    except Exception:
        log.exception("alert rules could not be checked after run %s", run_id)


def run_recover_stale() -> int:
    """Fail running runs whose worker stopped beating (killed, or cut off from the database), so they can run again."""
    cutoff = timezone.now() - timedelta(seconds=settings.RUN_HEARTBEAT_TIMEOUT_SECONDS)
    stale = ReconRun.objects.filter(status=ReconRun.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
    # Stored messages are read by the whole team: written in the product's language, like the reasons.
    with translation.override(settings.LANGUAGE_CODE):
        message = _("The worker stopped before finishing this run; start it again.")
    failed = stale.update(
        status=ReconRun.Status.FAILED, phase=ReconRun.Phase.FAILED, error_code="worker_lost",
        error=message, finished_at=timezone.now(),
    )
    if failed:
        log.warning("%s run(s) had no heartbeat for %s s: marked failed (worker_lost)", failed, settings.RUN_HEARTBEAT_TIMEOUT_SECONDS)
    return failed


def run_rerun(*, run: ReconRun, user=None, enqueue: bool = True) -> ReconRun:
    """Start a failed run again as a new run on the same input (its stored bill, or its stored upload)."""
    if run.status != ReconRun.Status.FAILED:
        raise UserFacingError("run_not_failed", _("Only a failed run can be run again; this one is “%(status)s”.")
                              % {"status": run.get_status_display()}, http_status=409)
    return kind_spec(run.kind).hook("rerun")(run=run, user=user, enqueue=enqueue)


# --------------------------------------------------------------------------- settings

KNOWN_SETTINGS = {
    "ops_edit_own_only": (True, gettext_lazy("Ops users may only work discrepancies assigned to them or to nobody")),
}


def known_settings() -> dict:
    """The core's settings and those the kinds declare: key → (default, label)."""
    out = dict(KNOWN_SETTINGS)
    for spec in kind_specs().values():
        for setting in spec.settings:
            out.setdefault(setting.key, (setting.default, setting.label))
    return out


def setting_change(*, key: str, value, user) -> Setting:
    """Change a product setting; the old and new values go to the trail."""
    known = known_settings()
    if key not in known:
        raise UserFacingError("unknown_setting", _("Unknown setting “%(key)s”.") % {"key": key})
    default = known[key][0]
    if isinstance(default, bool) and not isinstance(value, bool):
        raise UserFacingError("invalid_setting", _("“%(key)s” is true or false.") % {"key": key})
    if not isinstance(default, bool) and isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise UserFacingError("invalid_setting", _("“%(key)s” is a whole number, 0 or more.") % {"key": key})
    with transaction.atomic():
        row = Setting.objects.select_for_update().filter(key=key).first()
        before = default if row is None else row.value
        if row is None:
            row = Setting(key=key, value=value, updated_by=user)
        row.value, row.updated_by = value, user
        row.save()
        if before != value:
            audit_record(user=user, object_type="setting", object_id=row.id, action="change", changes=changes_of({key: before}, {key: value}))
    return row
