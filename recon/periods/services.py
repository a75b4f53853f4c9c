"""Reconciliation periods: found or made for each bill, closed when nothing in them is open, reopened by a manager."""
from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from recon.audit.services import audit_record
from recon.core.errors import UserFacingError
from recon.core.models import Discrepancy, ReconPeriod, claim_q


def cycle_of(start: date, end: date) -> str:
    if start == end:
        return ReconPeriod.Cycle.DAILY
    if start.day == 1 and (end + timedelta(days=1)).day == 1 and (end - start).days < 31:
        return ReconPeriod.Cycle.MONTHLY
    if (end - start).days == 6 and start.isoweekday() == 1:
        return ReconPeriod.Cycle.WEEKLY
    return ReconPeriod.Cycle.MONTHLY if (end - start).days >= 27 else ReconPeriod.Cycle.WEEKLY


def period_get_or_create(*, counterparty, start: date, end: date) -> ReconPeriod:
    """The counterparty's period for these dates, created on first use."""
    period, _created = ReconPeriod.objects.get_or_create(
        counterparty=counterparty, start=start, end=end, defaults={"cycle": cycle_of(start, end)},
    )
    return period


def period_check_open(period: ReconPeriod | None) -> None:
    """Refuse a change inside a closed period, with a message a clerk understands."""
    if period is not None and period.is_closed:
        raise UserFacingError(
            "period_closed",
            _("Period %(period)s of %(courier)s is closed: its bills and discrepancies cannot be changed. "
              "A manager can reopen it.") % {"period": period.label, "courier": period.counterparty.name},
            {"period_id": period.id}, http_status=409,
        )


def periods_lock(period_ids) -> set[int]:
    """Lock these periods' rows (in id order) for the rest of the transaction and return the closed ones' ids.

    Every change inside a period takes this lock and `period_close` takes it too, so a change and a close
    never interleave: either the change lands before the close counts what is open, or it sees the period closed.
    """
    ids = sorted({i for i in period_ids if i})
    if not ids:
        return set()
    rows = ReconPeriod.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "status")
    return {pk for pk, status in rows if status == ReconPeriod.Status.CLOSED}


def period_lock_check(period_id: int | None) -> None:
    """Lock a period for the current transaction and refuse if it is closed."""
    if period_id and periods_lock([period_id]):
        period_check_open(ReconPeriod.objects.select_related("counterparty").get(pk=period_id))


def period_open_items(period: ReconPeriod):
    """Claims still being worked in the period (informational rows, ¥0 ones included, do not hold a period open)."""
    return Discrepancy.objects.filter(claim_q(), period=period, is_current=True).filter(~Q(status=Discrepancy.Status.RESOLVED))


def period_close(*, period: ReconPeriod, user) -> ReconPeriod:
    """Close a period once nothing in it is open; its bills and discrepancies are locked from then on."""
    if not user.has_perm("recon.close_period"):
        raise UserFacingError("forbidden", _("Only a manager can close a period."), http_status=403)
    with transaction.atomic():
        period = ReconPeriod.objects.select_for_update().select_related("counterparty").get(pk=period.pk)
        if period.is_closed:
            raise UserFacingError("period_closed", _("This period is already closed."), {"period_id": period.id}, http_status=409)
        still = period_open_items(period).aggregate(n=Count("id"), amount=Sum("amount_at_stake"))
        if still["n"]:
            raise UserFacingError(
                "period_has_open_items",
                _("%(n)d discrepancies (¥%(amount)s) in this period are not resolved yet; resolve them before closing.")
                % {"n": still["n"], "amount": f"{still['amount']:.2f}"},
                {"open": still["n"], "amount": f"{still['amount']:.2f}"}, http_status=409,
            )
        # A partial credit whose uncredited rest nobody has decided on is money still in question.
        undecided = Discrepancy.objects.filter(
            period=period, is_current=True, outcome="recovered", shortfall_amount__gt=0, shortfall_outcome="",
        ).aggregate(n=Count("id"), amount=Sum("shortfall_amount"))
        if undecided["n"]:
            raise UserFacingError(
                "period_has_undecided_shortfalls",
                _("%(n)d partial credits in this period leave ¥%(amount)s with no decision yet (accept, write off or "
                  "reopen it) before closing.")
                % {"n": undecided["n"], "amount": f"{undecided['amount']:.2f}"},
                {"undecided": undecided["n"], "amount": f"{undecided['amount']:.2f}"}, http_status=409,
            )
        period.status, period.closed_by, period.closed_at = ReconPeriod.Status.CLOSED, user, timezone.now()
        period.save(update_fields=["status", "closed_by", "closed_at"])
        audit_record(user=user, object_type="period", object_id=period.id, action="close",
                     changes={"status": ["open", "closed"]})
    return period


def period_reopen(*, period: ReconPeriod, user, reason: str) -> ReconPeriod:
    """Reopen a closed period (managers only); the reason is kept in the trail."""
    if not user.has_perm("recon.reopen_period"):
        raise UserFacingError("forbidden", _("Only a manager can reopen a period."), http_status=403)
    reason = (reason or "").strip()
    if not reason:
        raise UserFacingError("reason_required", _("Say why the period is reopened."))
    with transaction.atomic():
        period = ReconPeriod.objects.select_for_update().get(pk=period.pk)
        if not period.is_closed:
            raise UserFacingError("period_open", _("This period is not closed."), http_status=409)
        period.status, period.closed_by, period.closed_at = ReconPeriod.Status.OPEN, None, None
        period.save(update_fields=["status", "closed_by", "closed_at"])
        audit_record(user=user, object_type="period", object_id=period.id, action="reopen",
                     changes={"status": ["closed", "open"]}, note=reason)
    return period
