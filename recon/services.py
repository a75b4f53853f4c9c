"""Writes on runs: claim, progress, finish, fail, and the dispatch to each kind's reconciliation."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit import audit_record, changes_of, current_ip
from .errors import UserFacingError, bounded, bounded_message
from .models import ReconRun, Setting

log = logging.getLogger(__name__)

PHASE_ORDER = ["queued", "reading", "validating", "loading", "matching", "saving", "done"]


def run_enqueue(*, run: ReconRun) -> None:
    """Hand the run to a worker once the row that describes it is committed."""
    from .tasks import run_execute_task

    transaction.on_commit(lambda: run_execute_task.delay(run.id))


def run_claim(*, run_id: int) -> bool:
    """Move a pending run to running; False if someone else already did (running a task twice is harmless)."""
    changed = ReconRun.objects.filter(id=run_id, status=ReconRun.Status.PENDING).update(
        status=ReconRun.Status.RUNNING, started_at=timezone.now(), phase=ReconRun.Phase.READING,
        progress_current=1, progress_total=len(PHASE_ORDER) - 1,
    )
    return changed == 1


def run_progress(*, run_id: int, phase: str) -> None:
    """Record the phase a worker has reached; the UI polls it."""
    ReconRun.objects.filter(id=run_id).update(phase=phase, progress_current=PHASE_ORDER.index(phase))


def run_fail(*, run_id: int, code: str, message: str, details: dict | None = None) -> None:
    """Mark a run failed; what it keeps of the error is bounded, so that a run list never carries a file's worth of text."""
    ReconRun.objects.filter(id=run_id).update(
        status=ReconRun.Status.FAILED, phase=ReconRun.Phase.FAILED, error_code=code, error=bounded_message(message),
        error_details=bounded(details or {}), finished_at=timezone.now(),
    )


def run_execute(*, run_id: int) -> None:
    """Run a claimed-or-pending run to its end, whatever its kind."""
    from couriers.services import courier_fee_run_execute

    if not run_claim(run_id=run_id):
        log.info("run %s is not pending; nothing to do", run_id)
        return
    run = ReconRun.objects.get(id=run_id)
    handlers = {"courier_fee": courier_fee_run_execute}
    # The trail records the address of whoever queued the run.
    token = current_ip.set((run.params or {}).get("ip"))
    try:
        handlers[run.kind](run=run)
    except Exception as exc:  # the run must never stay 'running' because of a bug
        log.exception("run %s failed", run_id)
        run_fail(run_id=run_id, code="internal_error", message=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        current_ip.reset(token)


def run_recover_stale() -> int:
    """Fail runs whose worker died mid-way so that they can be started again."""
    cutoff = timezone.now() - timedelta(seconds=settings.RUN_STALE_AFTER_SECONDS)
    stale = ReconRun.objects.filter(status=ReconRun.Status.RUNNING, started_at__lt=cutoff)
    from django.utils import translation

    # Stored messages are read by the whole team: written in the product's language, like the reasons.
    with translation.override(settings.LANGUAGE_CODE):
        message = _("The worker stopped before finishing this run; start it again.")
    return stale.update(
        status=ReconRun.Status.FAILED, phase=ReconRun.Phase.FAILED, error_code="worker_lost",
        error=message, finished_at=timezone.now(),
    )


# --------------------------------------------------------------------------- settings

KNOWN_SETTINGS = {
    "ops_edit_own_only": (True, gettext_lazy("Ops users may only work discrepancies assigned to them or to nobody")),
}


def setting_change(*, key: str, value, user) -> Setting:
    """Change a product setting; the old and new values go to the trail."""
    if key not in KNOWN_SETTINGS:
        raise UserFacingError("unknown_setting", _("Unknown setting “%(key)s”.") % {"key": key})
    default = KNOWN_SETTINGS[key][0]
    if isinstance(default, bool) and not isinstance(value, bool):
        raise UserFacingError("invalid_setting", _("“%(key)s” is true or false.") % {"key": key})
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
