"""Working discrepancies one at a time: status, outcome, assignment, comments, attachments (in bulk: review/bulk.py)."""
from __future__ import annotations

import logging
import mimetypes
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recon.audit.services import audit_record, audit_record_many, changes_of
from recon.core.db import yuan_of
from recon.core.errors import UserFacingError
from recon.ingest.clean import TOO_MANY_DECIMALS, MoneyError, money_fen
from recon.core.models import (
    Discrepancy, DiscrepancyAttachment, DiscrepancyComment, DisputeItem,
)
from recon.periods.services import period_lock_check
from recon.core.permissions import may_work

log = logging.getLogger(__name__)

S = Discrepancy.Status
O = Discrepancy.Outcome

# Where each status may go. Leaving `resolved` is a reopen and is recorded as one.
TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.INVESTIGATING, S.DISPUTED, S.RESOLVED},
    S.INVESTIGATING: {S.OPEN, S.DISPUTED, S.RESOLVED},
    S.DISPUTED: {S.OPEN, S.INVESTIGATING, S.RESOLVED},
    S.RESOLVED: {S.OPEN, S.INVESTIGATING},
}
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
WORKFLOW_FIELDS = ["status", "outcome", "outcome_reason", "recovered_amount", "shortfall_amount", "shortfall_outcome", "shortfall_reason", "assignee_id"]
SF = Discrepancy.ShortfallOutcome
ZERO = Decimal("0.00")


def _state(d: Discrepancy) -> dict:
    return {f: getattr(d, f) for f in WORKFLOW_FIELDS}


def credited_before(d: Discrepancy) -> Decimal:
    """What the courier already credited on a row that is not resolved: the first part of a claim whose shortfall went
    back to the queue (zero for any other row)."""
    return ZERO if d.status == S.RESOLVED else (d.recovered_amount or ZERO)


def still_claimed(d: Discrepancy) -> Decimal:
    """The money of a claim not yet credited: what a dispute asks for and what a recovery may be at most."""
    return d.amount_at_stake - credited_before(d)


def record_credit(d: Discrepancy, *, credited: Decimal) -> None:
    """Set a recovery on an unsaved row: the credit adds to any earlier one, and the uncredited rest is its shortfall."""
    total = credited_before(d) + credited
    rest = d.amount_at_stake - total
    d.recovered_amount = total
    d.shortfall_amount = rest if rest > 0 else None
    d.shortfall_outcome, d.shortfall_reason = SF.TO_DECIDE, ""


def record_settled(d: Discrepancy, *, outcome: str, reason: str) -> None:
    """Set an accepted or written-off outcome on an unsaved row; an earlier partial credit stays recovered."""
    before = credited_before(d)
    d.recovered_amount = before or None
    if before and d.shortfall_amount:
        # The rest that went back to the queue is settled now, in the same way as the discrepancy.
        d.shortfall_outcome, d.shortfall_reason = outcome, reason


def parse_amount(value) -> Decimal | None:
    """A yuan amount typed by a clerk ('12.5', '¥1,234.00'), exact to the fen, or None when empty."""
    try:
        return yuan_of(money_fen(value))
    except MoneyError as exc:
        if exc.code == TOO_MANY_DECIMALS:
            raise UserFacingError("invalid_amount", _("Amounts have at most two decimals (fen).")) from exc
        raise UserFacingError("invalid_amount", _("“%(value)s” is not an amount of money.") % {"value": value}) from exc


def check_change(
    *, current: str, target: str, outcome: str, amount: Decimal | None, reason: str, ceiling: Decimal | None, claim: bool = True,
) -> None:
    """The rules of the workflow, shared by single and bulk changes; raises a clear error when one is broken."""
    if target not in TRANSITIONS:
        raise UserFacingError("invalid_status", _("Unknown status “%(status)s”.") % {"status": target})
    if target == current:
        raise UserFacingError("no_change", _("The discrepancy is already %(status)s.") % {"status": S(target).label})
    if target not in TRANSITIONS[current]:
        raise UserFacingError(
            "invalid_transition",
            _("A discrepancy cannot go from %(old)s to %(new)s.") % {"old": S(current).label, "new": S(target).label},
        )
    if target != S.RESOLVED:
        return
    if outcome not in O.values:
        raise UserFacingError("outcome_required", _("Choose the outcome: recovered, accepted or written off."))
    if outcome == O.RECOVERED:
        if not claim:
            raise UserFacingError("nothing_to_recover", _("This discrepancy is not a claim against the courier: there is nothing to recover."))
        if amount is None or amount <= 0:
            raise UserFacingError("amount_required", _("Enter the amount the courier actually credited."))
        if ceiling is not None and amount > ceiling:
            raise UserFacingError(
                "amount_too_large", _("The credited amount ¥%(amount)s is more than the ¥%(ceiling)s in question.")
                % {"amount": f"{amount:.2f}", "ceiling": f"{ceiling:.2f}"},
            )
    elif not (reason or "").strip():
        raise UserFacingError("reason_required", _("Say why: a reason is required to accept or write off a charge."))


def _ceiling(d: Discrepancy) -> Decimal:
    # At most what is still claimed: a credit above the money at stake would make the money panel's parts outgrow it.
    return still_claimed(d)


def _check_current(d: Discrepancy) -> None:
    if not d.is_current:
        raise UserFacingError(
            "not_current", _("A later run of this bill replaced this discrepancy (or the bill was deleted); work the current one."),
            {"discrepancy_id": d.id}, http_status=409,
        )


def _lock_and_check(*, discrepancy: Discrepancy, user) -> Discrepancy:
    d = Discrepancy.objects.select_for_update(of=("self",)).select_related("period__counterparty").get(pk=discrepancy.pk)
    _check_current(d)
    period_lock_check(d.period_id)
    if not may_work(user, d):
        raise UserFacingError(
            "forbidden", _("You may only work discrepancies assigned to you or to nobody."), http_status=403,
        )
    return d


def discrepancy_set_status(
    *, discrepancy: Discrepancy, status: str, user, outcome: str = "", amount=None, reason: str = "", comment: str = "",
) -> Discrepancy:
    """Move a discrepancy through the workflow; resolving records the outcome, leaving `resolved` is a reopen."""
    amount = parse_amount(amount)
    with transaction.atomic():
        d = _lock_and_check(discrepancy=discrepancy, user=user)
        check_change(current=d.status, target=status, outcome=outcome, amount=amount, reason=reason, ceiling=_ceiling(d),
                     claim=d.is_claim)
        before = _state(d)
        reopening = d.status == S.RESOLVED
        if status == S.RESOLVED:
            d.outcome, d.outcome_reason = outcome, (reason or "").strip()
            if outcome == O.RECOVERED:
                record_credit(d, credited=amount)
            else:
                record_settled(d, outcome=outcome, reason=d.outcome_reason)
        elif reopening:
            d.outcome, d.outcome_reason, d.recovered_amount = "", "", None
            d.shortfall_amount, d.shortfall_outcome, d.shortfall_reason = None, SF.TO_DECIDE, ""
        d.status = status
        d.updated_at = timezone.now()
        d.save(update_fields=WORKFLOW_FIELDS[:-1] + ["updated_at"])
        action = "reopen" if reopening else ("resolve" if status == S.RESOLVED else "status")
        audit_record(user=user, object_type="discrepancy", object_id=d.id, action=action,
                     changes=changes_of(before, _state(d)), note=(reason or "").strip() if reopening else "")
        if (comment or "").strip():
            _comment(d, comment, user)
    return d


def discrepancy_resolve(*, discrepancy: Discrepancy, outcome: str, amount=None, reason: str = "", user) -> Discrepancy:
    """Resolve with an outcome: recovered (the amount credited), accepted or written off (a reason each)."""
    return discrepancy_set_status(discrepancy=discrepancy, status=S.RESOLVED, outcome=outcome, amount=amount, reason=reason, user=user)


def _shortfall_decide(*, discrepancy: Discrepancy, decision: str, reason: str, user) -> Discrepancy:
    reason = (reason or "").strip()
    with transaction.atomic():
        d = _lock_and_check(discrepancy=discrepancy, user=user)
        if d.status != S.RESOLVED or d.outcome != O.RECOVERED or not d.shortfall_amount:
            raise UserFacingError("no_shortfall", _("Only a partial recovery leaves a shortfall to decide."), http_status=409)
        if d.shortfall_outcome:
            raise UserFacingError(
                "shortfall_decided", _("The shortfall is already decided (%(outcome)s); reopen the discrepancy to change it.")
                % {"outcome": SF(d.shortfall_outcome).label}, http_status=409,
            )
        if decision != SF.REOPENED and not reason:
            raise UserFacingError("reason_required", _("Say why: a reason is required to accept or write off a shortfall."))
        before = _state(d)
        if decision == SF.REOPENED:
            # The credited part stays recovered; only the rest goes back to the queue, to be disputed again.
            d.status, d.outcome, d.outcome_reason = S.OPEN, "", ""
        d.shortfall_outcome, d.shortfall_reason = decision, reason
        d.updated_at = timezone.now()
        d.save(update_fields=WORKFLOW_FIELDS[:-1] + ["updated_at"])
        audit_record(user=user, object_type="discrepancy", object_id=d.id, action="shortfall",
                     changes=changes_of(before, _state(d)), note=reason)
    return d


def discrepancy_shortfall_accept(*, discrepancy: Discrepancy, reason: str, user) -> Discrepancy:
    """Accept the uncredited rest of a partial recovery: that part of the charge was right (a reason is required)."""
    return _shortfall_decide(discrepancy=discrepancy, decision=SF.ACCEPTED, reason=reason, user=user)


def discrepancy_shortfall_write_off(*, discrepancy: Discrepancy, reason: str, user) -> Discrepancy:
    """Write off the uncredited rest of a partial recovery (a reason is required)."""
    return _shortfall_decide(discrepancy=discrepancy, decision=SF.WRITTEN_OFF, reason=reason, user=user)


def discrepancy_shortfall_reopen(*, discrepancy: Discrepancy, reason: str = "", user) -> Discrepancy:
    """Put the uncredited rest of a partial recovery back in the queue as open; the credited part stays recovered."""
    return _shortfall_decide(discrepancy=discrepancy, decision=SF.REOPENED, reason=reason, user=user)


SHORTFALL_DECISIONS = {
    SF.ACCEPTED: discrepancy_shortfall_accept, SF.WRITTEN_OFF: discrepancy_shortfall_write_off, SF.REOPENED: discrepancy_shortfall_reopen,
}


def discrepancy_assign(*, discrepancy: Discrepancy, assignee, user) -> Discrepancy:
    """Give a discrepancy to a person (or to nobody)."""
    if assignee is not None and not assignee.has_perm("recon.work_discrepancy"):
        raise UserFacingError("invalid_assignee", _("%(name)s cannot work discrepancies.") % {"name": assignee.get_username()})
    with transaction.atomic():
        d = _lock_and_check(discrepancy=discrepancy, user=user)
        new_id = assignee.pk if assignee else None
        if d.assignee_id == new_id:
            return d
        before = d.assignee_id
        d.assignee_id, d.updated_at = new_id, timezone.now()
        d.save(update_fields=["assignee", "updated_at"])
        audit_record(user=user, object_type="discrepancy", object_id=d.id, action="assign",
                     changes={"assignee_id": [before, new_id]})
    return d


def _comment(d: Discrepancy, text: str, user) -> DiscrepancyComment:
    c = DiscrepancyComment.objects.create(discrepancy=d, author=user, text=text.strip())
    audit_record(user=user, object_type="discrepancy", object_id=d.id, action="comment", changes={"comment": [None, c.text]})
    return c


def discrepancy_comment_add(*, discrepancy: Discrepancy, text: str, user) -> DiscrepancyComment:
    """Add a comment to a discrepancy's history."""
    if not (text or "").strip():
        raise UserFacingError("empty_comment", _("The comment is empty."))
    if not user.has_perm("recon.add_discrepancycomment"):
        raise UserFacingError("forbidden", _("You may not comment on discrepancies."), http_status=403)
    with transaction.atomic():
        d = Discrepancy.objects.select_for_update(of=("self",)).select_related("period__counterparty").get(pk=discrepancy.pk)
        _check_current(d)
        period_lock_check(d.period_id)
        return _comment(d, text, user)


def discrepancy_attachment_add(*, discrepancy: Discrepancy, file, user) -> DiscrepancyAttachment:
    """Keep a file as evidence with a discrepancy (a photo of the scale, a courier's reply)."""
    if not user.has_perm("recon.add_discrepancyattachment"):
        raise UserFacingError("forbidden", _("You may not attach files to discrepancies."), http_status=403)
    size = getattr(file, "size", None) or 0
    if size <= 0:
        raise UserFacingError("empty_file", _("The file is empty."))
    if size > ATTACHMENT_MAX_BYTES:
        raise UserFacingError("file_too_large", _("Attachments may be at most %(mb)d MB.") % {"mb": ATTACHMENT_MAX_BYTES // 2**20}, http_status=413)
    name = Path(getattr(file, "name", "") or "attachment").name[:255]
    with transaction.atomic():
        d = Discrepancy.objects.select_for_update(of=("self",)).select_related("period__counterparty").get(pk=discrepancy.pk)
        _check_current(d)
        period_lock_check(d.period_id)
        a = DiscrepancyAttachment(
            discrepancy=d, original_filename=name, size_bytes=size, uploaded_by=user,
            content_type=getattr(file, "content_type", "") or mimetypes.guess_type(name)[0] or "",
        )
        a.file.save(name, file, save=False)
        a.save()
        audit_record(user=user, object_type="discrepancy", object_id=d.id, action="attach",
                     changes={"attachment": [None, name]})
    return a


# --------------------------------------------------------------------------- a bill reconciled again


def discrepancies_carry_over(*, source_id: int, run_id: int, user=None, by_line: bool = True) -> int:
    """A new run of a source file (a bill) replaces the old one in the queue, keeping the work done: status, outcome, assignee,
    dispute, comments and attachments move to the new row with the same type, waybill and line (or, for a bill
    replacing another one, the same type and waybill, paired in line order)."""
    return _carry_over(where="source_id = %s", params=[source_id], run_id=run_id, user=user, by_line=by_line)


def discrepancies_carry_over_runs(*, run_ids: list[int], run_id: int, user=None, counterparty_id: int | None = None) -> int:
    """A new run that judges what earlier runs judged (no single source file: a kind that reads many) replaces their
    current rows in the queue, keeping the work done on each row with the same carry key; a run of one counterparty
    replaces only that counterparty's rows of a run that covered them all."""
    ids = sorted({int(i) for i in run_ids if int(i) != run_id})
    if not ids:
        return 0
    marks = ", ".join(["%s"] * len(ids))
    if counterparty_id is not None:
        return _carry_over(where=f"run_id IN ({marks}) AND counterparty_id = %s", params=[*ids, int(counterparty_id)],
                           run_id=run_id, user=user, by_line=True)
    return _carry_over(where=f"run_id IN ({marks})", params=ids, run_id=run_id, user=user, by_line=True)


def discrepancies_carry_over_ids(*, ids, run_id: int, user=None) -> int:
    """A new run whose range overlaps earlier runs' replaces exactly the rows it judged again (the kind says which, by
    id), keeping the work done on each; the earlier runs' other rows stay in the queue."""
    import pandas as pd
    from django.db import connection

    from recon.core.db import bulk_load, is_postgres

    scope = pd.DataFrame({"id": pd.Series(ids, dtype="int64")}).drop_duplicates()
    if scope.empty:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS carry_scope")
        cursor.execute("CREATE TEMP TABLE carry_scope (id bigint PRIMARY KEY)")
        bulk_load("carry_scope", scope)
        if is_postgres():
            cursor.execute("ANALYZE carry_scope")
    try:
        return _carry_over(where="id IN (SELECT id FROM carry_scope)", params=[], run_id=run_id, user=user, by_line=True)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS carry_scope")


def _carry_over(*, where: str, params: list, run_id: int, user, by_line: bool) -> int:
    import pandas as pd
    from django.db import connection

    from recon.core.db import bulk_load, fetch_frame, is_postgres

    table = Discrepancy._meta.db_table
    # A row's carry key (written by its kind's run) says what makes it the same discrepancy on a rerun; a bill that
    # replaces another may renumber its lines, so there the n-th row of a type and reference pairs with the n-th.
    cols = ["id", "type", "ref", "source_line", "carry_key"]
    select = f"SELECT id, type, ref, COALESCE(source_line, 0), carry_key FROM {table} "
    old = fetch_frame(select + f"WHERE {where} AND run_id <> %s AND is_current", [*params, run_id], cols)
    if old.empty:
        return 0  # a bill's first run: nothing to carry (and no join to plan)
    new = fetch_frame(select + "WHERE run_id = %s", [run_id], cols)
    # Paired in pandas: right after the COPY the planner's row estimates for the new run are stale, and a
    # nested loop over two bills' discrepancies took seconds.
    if by_line:
        pairs = new.merge(old.drop_duplicates(["carry_key"])[["id", "carry_key"]], on=["carry_key"], suffixes=("_new", "_old"))
    else:
        new, old = (f.sort_values(["source_line", "id"]).assign(nth=lambda f: f.groupby(["type", "ref"]).cumcount()) for f in (new, old))
        pairs = new.merge(old, on=["type", "ref", "nth"], suffixes=("_new", "_old"))
    pairs = pd.DataFrame({"new_id": pairs["id_new"].astype("int64"), "old_id": pairs["id_old"].astype("int64")})
    with connection.cursor() as cursor:
        if len(pairs):
            cursor.execute("DROP TABLE IF EXISTS carry_pairs")
            cursor.execute("CREATE TEMP TABLE carry_pairs (new_id bigint PRIMARY KEY, old_id bigint NOT NULL)")
            bulk_load("carry_pairs", pairs)
            if is_postgres():
                cursor.execute("ANALYZE carry_pairs")
            cursor.execute(
                f"UPDATE {table} SET status = o.status, outcome = o.outcome, outcome_reason = o.outcome_reason, "
                "recovered_amount = o.recovered_amount, shortfall_amount = o.shortfall_amount, shortfall_outcome = o.shortfall_outcome, "
                "shortfall_reason = o.shortfall_reason, assignee_id = o.assignee_id, dispute_id = o.dispute_id, "
                f"updated_at = o.updated_at FROM carry_pairs p, {table} o WHERE {table}.id = p.new_id AND o.id = p.old_id"
            )
            for model in (DiscrepancyComment, DiscrepancyAttachment, DisputeItem):
                t = model._meta.db_table
                cursor.execute(f"UPDATE {t} SET discrepancy_id = p.new_id FROM carry_pairs p WHERE {t}.discrepancy_id = p.old_id")
            cursor.execute("DROP TABLE carry_pairs")
        cursor.execute(f"UPDATE {table} SET is_current = %s WHERE {where} AND run_id <> %s AND is_current", [False, *params, run_id])
    # The trail of the new row starts by naming the row it replaces, so its page can show the whole history.
    audit_record_many(user=user, object_type="discrepancy", action="carry_over",
                      rows=((int(n), {"replaces": [None, int(o)]}) for n, o in pairs.itertuples(index=False)), note=f"run #{run_id}")
    return len(pairs)
