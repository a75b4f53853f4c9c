"""Bulk actions on the queue: a selection of discrepancies changed together, in the request or in the worker."""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recon.audit.services import audit_record_many, changes_of, current_ip
from recon.core.errors import UserFacingError
from recon.core.models import BulkAction, Discrepancy, DiscrepancyComment
from recon.core.permissions import setting_value
from recon.periods.services import periods_lock
from recon.review.services import (
    SF, TRANSITIONS, WORKFLOW_FIELDS, O, S, _state, record_credit, record_settled, still_claimed,
)

log = logging.getLogger(__name__)

# Why a bulk action left a row alone, as the result counts it (codes) and the pages say it.
SKIP_REASONS = {
    "period_closed": gettext_lazy("in a closed period"), "not_yours": gettext_lazy("assigned to someone else"),
    "invalid_transition": gettext_lazy("not allowed from their status"), "unchanged": gettext_lazy("already so"),
    "nothing_to_recover": gettext_lazy("nothing to recover"), "forbidden": gettext_lazy("not permitted"),
    "not_current": gettext_lazy("replaced by a later run or deleted"),
}
BULK_SYNC_LIMIT = 500
BULK_CHUNK = 2000
def _selection(*, ids: list[int] | None, query: str, user):
    from recon.review.selectors import discrepancies_from_query

    if ids:
        return Discrepancy.objects.filter(id__in=ids)
    return discrepancies_from_query(query=query, user=user)


def bulk_action_submit(*, action: str, params: dict, user, ids: list[int] | None = None, query: str = "") -> BulkAction:
    """Check a bulk action and run it: at once when small, by a worker (with progress) when large."""
    if action not in BulkAction.Action.values:
        raise UserFacingError("invalid_action", _("Unknown bulk action “%(action)s”.") % {"action": action})
    needed = "recon.add_discrepancycomment" if action == BulkAction.Action.COMMENT else "recon.work_discrepancy"
    if not user.has_perm(needed):
        raise UserFacingError("forbidden", _("You may not do this to discrepancies."), http_status=403)
    ids = [int(i) for i in (ids or [])]
    params = _bulk_params(action, params or {}, user=user)
    total = _selection(ids=ids, query=query, user=user).count()
    if total == 0:
        raise UserFacingError("empty_selection", _("Nothing matches the selection."))
    job = BulkAction.objects.create(
        action=action, params=params, ids=ids, query=query if not ids else "", created_by=user,
        ip=current_ip.get(), progress_total=total,
    )
    if total <= BULK_SYNC_LIMIT:
        bulk_action_execute(bulk_action_id=job.id)
        job.refresh_from_db()
    else:
        from recon.runs.tasks import bulk_action_execute_task

        transaction.on_commit(lambda: bulk_action_execute_task.delay(job.id))
    return job


def _bulk_params(action: str, params: dict, *, user) -> dict:
    if action == BulkAction.Action.ASSIGN:
        from recon.review.selectors import assignee_lookup

        assignee = assignee_lookup(params.get("assignee"), me=user)
        if assignee is None:
            return {"assignee": None}
        if not assignee.has_perm("recon.work_discrepancy"):
            raise UserFacingError("invalid_assignee", _("%(name)s cannot work discrepancies.") % {"name": assignee.get_username()})
        return {"assignee": assignee.pk}
    if action == BulkAction.Action.COMMENT:
        text = str(params.get("text") or "").strip()
        if not text:
            raise UserFacingError("empty_comment", _("The comment is empty."))
        return {"text": text}
    status = str(params.get("status") or "")
    outcome = str(params.get("outcome") or "")
    reason = str(params.get("reason") or "").strip()
    if status not in TRANSITIONS:
        raise UserFacingError("invalid_status", _("Unknown status “%(status)s”.") % {"status": status})
    if status == S.RESOLVED:
        if outcome not in O.values:
            raise UserFacingError("outcome_required", _("Choose the outcome: recovered, accepted or written off."))
        if outcome != O.RECOVERED and not reason:
            raise UserFacingError("reason_required", _("Say why: a reason is required to accept or write off a charge."))
    # In bulk, `recovered` means recovered in full: each row's own amount at stake.
    return {"status": status, "outcome": outcome if status == S.RESOLVED else "", "reason": reason}


def bulk_action_execute(*, bulk_action_id: int) -> None:
    """Apply a bulk action chunk by chunk, set-based; rows the user may not change are counted, not changed."""
    claimed = BulkAction.objects.filter(id=bulk_action_id, status=BulkAction.Status.PENDING).update(status=BulkAction.Status.RUNNING)
    if not claimed:
        return
    job = BulkAction.objects.select_related("created_by").get(id=bulk_action_id)
    user = job.created_by
    token = current_ip.set(job.ip)
    result = {"changed": 0, "skipped": {}}
    try:
        ids = list(_selection(ids=job.ids, query=job.query, user=user).order_by("id").values_list("id", flat=True))
        BulkAction.objects.filter(id=job.id).update(progress_total=len(ids))
        for start in range(0, len(ids), BULK_CHUNK):
            chunk = ids[start : start + BULK_CHUNK]
            with transaction.atomic():
                _bulk_chunk(job, user, chunk, result)
            BulkAction.objects.filter(id=job.id).update(progress_current=min(start + BULK_CHUNK, len(ids)), result=result)
        BulkAction.objects.filter(id=job.id).update(
            status=BulkAction.Status.SUCCEEDED, result=result, progress_current=len(ids), finished_at=timezone.now(),
        )
    except Exception as exc:
        log.exception("bulk action %s failed", bulk_action_id)
        BulkAction.objects.filter(id=job.id).update(
            status=BulkAction.Status.FAILED, error=f"{type(exc).__name__}: {exc}", result=result, finished_at=timezone.now(),
        )
        raise
    finally:
        current_ip.reset(token)


def _skip(result: dict, reason: str, n: int) -> None:
    if n:
        result["skipped"][reason] = result["skipped"].get(reason, 0) + n


def _bulk_chunk(job: BulkAction, user, chunk: list[int], result: dict) -> None:
    """One chunk: lock the rows, sort out those the user may not change (counted by reason), update the rest at once."""
    fields = ["id", "type", "amount_at_stake", "period_id", "is_current", *WORKFLOW_FIELDS]
    rows = list(Discrepancy.objects.select_for_update().filter(id__in=chunk).only(*fields))
    closed = periods_lock(d.period_id for d in rows)
    own_only = not user.has_perm("recon.work_any_discrepancy") and setting_value("ops_edit_own_only", True)
    p = job.params
    target = p.get("status")
    allowed_from = {s for s, goes in TRANSITIONS.items() if target in goes} if target else set()
    todo: list[Discrepancy] = []
    for d in rows:
        if not d.is_current:
            _skip(result, "not_current", 1)
        elif d.period_id in closed:
            _skip(result, "period_closed", 1)
        elif not user.has_perm("recon.add_discrepancycomment" if job.action == BulkAction.Action.COMMENT else "recon.work_discrepancy"):
            # Checked again here: the job may run long after a role changed.
            _skip(result, "forbidden", 1)
        elif own_only and job.action != BulkAction.Action.COMMENT and d.assignee_id not in (None, user.pk):
            _skip(result, "not_yours", 1)
        elif job.action == BulkAction.Action.ASSIGN and d.assignee_id == p["assignee"]:
            _skip(result, "unchanged", 1)
        elif job.action == BulkAction.Action.STATUS and d.status not in allowed_from:
            _skip(result, "invalid_transition", 1)
        elif job.action == BulkAction.Action.STATUS and p["outcome"] == O.RECOVERED and not d.is_claim:
            _skip(result, "nothing_to_recover", 1)
        else:
            todo.append(d)
    if not todo:
        return
    ids = [d.id for d in todo]
    now = timezone.now()
    note = f"bulk #{job.id}"
    if job.action == BulkAction.Action.COMMENT:
        DiscrepancyComment.objects.bulk_create([DiscrepancyComment(discrepancy_id=i, author=user, text=p["text"]) for i in ids], batch_size=2000)
        audit_record_many(user=user, object_type="discrepancy", action="comment",
                          rows=((i, {"comment": [None, p["text"]]}) for i in ids), note=note)
    elif job.action == BulkAction.Action.ASSIGN:
        Discrepancy.objects.filter(id__in=ids).update(assignee_id=p["assignee"], updated_at=now)
        audit_record_many(user=user, object_type="discrepancy", action="assign",
                          rows=((d.id, {"assignee_id": [d.assignee_id, p["assignee"]]}) for d in todo), note=note)
    else:
        resolved = target == S.RESOLVED
        recovered = resolved and p["outcome"] == O.RECOVERED

        def after(d: Discrepancy) -> dict:
            # The single-row rules, applied to a copy; in bulk `recovered` means everything still claimed.
            state = Discrepancy(amount_at_stake=d.amount_at_stake, **_state(d))
            if resolved:
                state.outcome, state.outcome_reason = p["outcome"], p["reason"]
                if recovered:
                    record_credit(state, credited=still_claimed(d))
                else:
                    record_settled(state, outcome=p["outcome"], reason=p["reason"])
            elif d.status == S.RESOLVED:
                state.outcome, state.outcome_reason, state.recovered_amount = "", "", None
                state.shortfall_amount, state.shortfall_outcome, state.shortfall_reason = None, SF.TO_DECIDE, ""
            state.status = target
            return _state(state)

        befores = {d.id: _state(d) for d in todo}
        changed = []
        for d in todo:
            new = after(d)
            changed.append(Discrepancy(id=d.id, updated_at=now, **{f: v for f, v in new.items() if f != "assignee_id"}))
            d.after = new
        Discrepancy.objects.bulk_update(changed, [*WORKFLOW_FIELDS[:-1], "updated_at"], batch_size=BULK_CHUNK)

        for action, group in (("resolve", [d for d in todo if resolved]), ("reopen", [d for d in todo if not resolved and d.status == S.RESOLVED]),
                              ("status", [d for d in todo if not resolved and d.status != S.RESOLVED])):
            audit_record_many(user=user, object_type="discrepancy", action=action,
                              rows=((d.id, changes_of(befores[d.id], d.after)) for d in group), note=note)
    result["changed"] += len(ids)


