"""Disputes (对账差异单): from a queue selection to a numbered dispute with its file; the file is written by
recon/disputes/sheets.py and the counterparty's answer worked back by recon/disputes/replies.py."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recon.audit.services import audit_record, audit_record_many
from recon.core.errors import UserFacingError
from recon.core.models import Counterparty, Discrepancy, Dispute, DisputeItem, ReconPeriod
from recon.core.permissions import may_work
from recon.disputes.sheets import dispute_workbook
from recon.kinds import information_types, type_choices
from recon.periods.services import period_check_open, periods_lock
from recon.review import selectors

S = Discrepancy.Status
O = Discrepancy.Outcome
A = DisputeItem.Answer
ELIGIBLE_STATUSES = (S.OPEN, S.INVESTIGATING)
CHUNK = 2000

# Why rows of a selection stay out of a dispute, in the order a row is sorted out.
LEFT_OUT_REASONS = {
    "not_current": gettext_lazy("replaced by a newer run of its bill"),
    "informational": gettext_lazy("informational, not a claim"),
    "disputed": gettext_lazy("already in a dispute"),
    "resolved": gettext_lazy("already resolved"),
    "no_stake": gettext_lazy("no money at stake"),
    "not_yours": gettext_lazy("assigned to someone else"),
    "changed": gettext_lazy("changed by someone else meanwhile"),
}
# Query keys that page or sort the queue without selecting anything.


def _may_manage(user) -> None:
    if not user.has_perm("recon.manage_dispute"):
        raise UserFacingError("forbidden", _("You may not send disputes or record couriers' answers."), http_status=403)


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# --------------------------------------------------------------------------- reads


def discrepancies_from_query(*, query: str, user) -> QuerySet:
    """The queue's rows for a query string; the whole queue is never what a clerk meant to send to one courier."""
    return selectors.discrepancies_from_query(
        query=query, user=user, empty_message=_("Filter the queue first: a dispute is made from a filtered selection."))


@dataclass
class DisputeSelection:
    """What a selection would put in a dispute: count and money per type, what stays out and why, and any problem."""

    by_type: list[dict]
    count: int
    amount: Decimal
    left_out: dict[str, int]
    counterparty: Counterparty | None
    eligible: QuerySet
    problem: UserFacingError | None = None
    period_id: int | None = None

    @property
    def left_out_rows(self) -> list[dict]:
        return [{"reason": k, "label": str(LEFT_OUT_REASONS[k]), "count": n} for k, n in self.left_out.items() if n]

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())


def _assignee_rule(user, assignee_ids) -> dict:
    """may_work for each distinct assignee: the object rule depends on nothing else, so rows need not be loaded."""
    return {a: may_work(user, SimpleNamespace(assignee_id=a)) for a in assignee_ids}


def _allowed_q(rule: dict) -> Q:
    ids = [a for a, ok in rule.items() if ok and a is not None]
    q = Q(assignee_id__in=ids) if ids else Q(pk__in=[])
    return q | Q(assignee__isnull=True) if rule.get(None) else q


def dispute_selection(*, discrepancies: QuerySet, user) -> DisputeSelection:
    """Sort a selection out (set-based): the claims that would go in a dispute, what stays out and why, what blocks it."""
    qs = discrepancies.order_by()
    information = sorted(information_types())
    claim = Q(is_current=True) & ~Q(type__in=information)
    left_out = qs.aggregate(
        not_current=Count("id", filter=Q(is_current=False)),
        informational=Count("id", filter=Q(is_current=True, type__in=information)),
        disputed=Count("id", filter=claim & Q(status=S.DISPUTED)),
        resolved=Count("id", filter=claim & Q(status=S.RESOLVED)),
        no_stake=Count("id", filter=claim & Q(status__in=ELIGIBLE_STATUSES, amount_at_stake__lte=0)),
    )
    candidates = qs.filter(claim, status__in=ELIGIBLE_STATUSES, amount_at_stake__gt=0)
    groups = list(
        candidates.values("assignee_id", "counterparty_id", "period_id", "type").annotate(n=Count("id")).order_by()
    )
    rule = _assignee_rule(user, {g["assignee_id"] for g in groups})
    left_out["not_yours"] = sum(g["n"] for g in groups if not rule[g["assignee_id"]])
    groups = [g for g in groups if rule[g["assignee_id"]]]
    eligible = candidates.filter(_allowed_q(rule))

    # Money is summed from the rows' Decimals, never by the database's floating point (SQLite).
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    # A row whose shortfall went back to the queue is claimed again for its uncredited rest only.
    for type_, amount, credited in eligible.values_list("type", "amount_at_stake", "recovered_amount").iterator(chunk_size=CHUNK):
        amounts[type_] += amount - (credited or 0)
    counts: dict[str, int] = defaultdict(int)
    for g in groups:
        counts[g["type"]] += g["n"]
    by_type = [
        {"type": value, "label": str(label), "count": counts[value], "amount": amounts[value]}
        for value, label in type_choices() if counts.get(value)
    ]
    party_ids = {g["counterparty_id"] for g in groups}
    counterparty = Counterparty.objects.filter(pk=next(iter(party_ids))).first() if len(party_ids) == 1 else None
    selection = DisputeSelection(
        by_type=by_type, count=sum(counts.values()), amount=sum(amounts.values(), Decimal("0.00")),
        left_out=left_out, counterparty=counterparty, eligible=eligible,
    )
    period_ids = {g["period_id"] for g in groups}
    selection.period_id = next(iter(period_ids)) if len(period_ids) == 1 else None
    selection.problem = _selection_problem(selection, groups, party_ids)
    return selection


def _selection_problem(selection: DisputeSelection, groups: list[dict], party_ids: set) -> UserFacingError | None:
    left = {k: n for k, n in selection.left_out.items() if n}
    if not groups:
        if selection.left_out["not_yours"]:
            return UserFacingError(
                "forbidden", _("You may only dispute discrepancies assigned to you or to nobody."),
                {"left_out": left}, http_status=403,
            )
        return UserFacingError(
            "nothing_to_dispute",
            _("Nothing in this selection can be disputed: only current, open or investigating claims with money at stake go in a dispute."),
            {"left_out": left},
        )
    if len(party_ids) > 1 or None in party_ids:
        codes = sorted(Counterparty.objects.filter(pk__in=party_ids - {None}).values_list("code", flat=True))
        return UserFacingError(
            "mixed_couriers",
            _("A dispute goes to one courier, but this selection has discrepancies of %(couriers)s. Filter the queue by courier first.")
            % {"couriers": ", ".join(codes) + (", –" if None in party_ids else "")},
            {"couriers": codes},
        )
    all_periods = {g["period_id"] for g in groups}
    if len(all_periods) > 1:
        periods = ReconPeriod.objects.filter(pk__in=all_periods - {None}).order_by("start", "end")
        labels = [p.label for p in periods] + (["–"] if None in all_periods else [])
        return UserFacingError(
            "mixed_periods",
            _("A dispute is for one period, but this selection has discrepancies of %(periods)s. Filter the queue by period first.")
            % {"periods": ", ".join(labels)},
            {"periods": labels},
        )
    period_ids = all_periods - {None}
    closed = ReconPeriod.objects.filter(pk__in=period_ids, status=ReconPeriod.Status.CLOSED).select_related("counterparty").first()
    if closed is not None:
        try:
            period_check_open(closed)
        except UserFacingError as exc:
            return exc
    return None


# --------------------------------------------------------------------------- creating a dispute


def _next_number(party: Counterparty, day) -> str:
    prefix = f"{party.code}-{day:%Y%m%d}-"
    taken = Dispute.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    last = max((int(n[len(prefix):]) for n in taken if n[len(prefix):].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}"


def _dispute_insert(*, counterparty: Counterparty, period_id: int | None, user, note: str, count: int, claimed: Decimal) -> Dispute:
    """Insert the dispute under the next free number of the courier and day; the unique number settles any race."""
    day = timezone.localdate()
    for attempt in range(5):
        try:
            with transaction.atomic():
                return Dispute.objects.create(
                    number=_next_number(counterparty, day), counterparty=counterparty, period_id=period_id, status=Dispute.Status.SENT, item_count=count,
                    amount_claimed=claimed, note=note, created_by=user,
                )
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def dispute_create(*, discrepancies: QuerySet, user, note: str = "") -> Dispute:
    """Put a selection's open claims of one courier in a new dispute, file included; `.left_out` says what stayed out and why."""
    _may_manage(user)
    note = (note or "").strip()
    with transaction.atomic():
        selection = dispute_selection(discrepancies=discrepancies, user=user)
        if selection.problem is not None:
            raise selection.problem
        # One dispute at a time per counterparty: its numbers are handed out in order.
        counterparty = Counterparty.objects.select_for_update().get(pk=selection.counterparty.pk)
        ids = list(selection.eligible.order_by("id").values_list("id", flat=True))
        fields = ["id", "type", "status", "dispute_id", "amount_at_stake", "recovered_amount", "assignee_id", "counterparty_id", "is_current",
                  "period_id"]
        rows = []
        for chunk in _chunks(ids):
            rows += Discrepancy.objects.select_for_update().filter(id__in=chunk).values(*fields)
        # The selection was checked to hold one period; a row moved to another since is not this dispute's.
        period_id = selection.period_id
        closed = periods_lock(Discrepancy.objects.filter(id__in=ids).values_list("period_id", flat=True).distinct())
        if closed:
            period_check_open(ReconPeriod.objects.select_related("counterparty").get(pk=min(closed)))
        # Another clerk may have moved rows since they were counted: only what is still open goes in.
        rule = _assignee_rule(user, {r["assignee_id"] for r in rows})
        information = information_types()
        rows = [
            r for r in rows
            if r["status"] in ELIGIBLE_STATUSES and r["is_current"] and r["counterparty_id"] == counterparty.pk
            and r["type"] not in information and r["amount_at_stake"] > 0 and rule[r["assignee_id"]] and r["period_id"] == period_id
        ]
        left_out = {**selection.left_out, "changed": len(ids) - len(rows)}
        if not rows:
            raise UserFacingError("nothing_to_dispute", _("Nothing in this selection can be disputed any more: someone else changed it meanwhile."))
        for r in rows:
            r["claim"] = r["amount_at_stake"] - (r["recovered_amount"] or 0)
        claimed = sum((r["claim"] for r in rows), Decimal("0.00"))
        dispute = _dispute_insert(counterparty=counterparty, period_id=period_id, user=user, note=note, count=len(rows), claimed=claimed)
        DisputeItem.objects.bulk_create(
            [DisputeItem(dispute=dispute, discrepancy_id=r["id"], amount_claimed=r["claim"]) for r in rows],
            batch_size=CHUNK,
        )
        now = timezone.now()
        row_ids = [r["id"] for r in rows]
        for chunk in _chunks(row_ids):
            Discrepancy.objects.filter(id__in=chunk).update(status=S.DISPUTED, dispute=dispute, updated_at=now)
        audit_record_many(
            user=user, object_type="discrepancy", action="dispute", note=dispute.number,
            rows=((r["id"], {"status": [r["status"], S.DISPUTED.value], "dispute_id": [r["dispute_id"], dispute.id]}) for r in rows),
        )
        audit_record(
            user=user, object_type="dispute", object_id=dispute.id, action="create", note=note,
            changes={"number": [None, dispute.number], "courier": [None, counterparty.code],
                     "period": [None, dispute.period.label if dispute.period else None], "item_count": [None, len(rows)],
                     "amount_claimed": [None, f"{claimed:.2f}"], "left_out": [None, {k: n for k, n in left_out.items() if n}]},
        )
        dispute.file.save(f"{dispute.number}.xlsx", ContentFile(dispute_workbook(dispute=dispute)), save=False)
        dispute.save(update_fields=["file"])
    dispute.left_out = {k: n for k, n in left_out.items() if n}
    return dispute


def left_out_message(left_out: dict[str, int]) -> str:
    """'3 left out: 2 informational, not a claim; 1 already resolved' for the page's message."""
    parts = [f"{n} {LEFT_OUT_REASONS[k]}" for k, n in left_out.items() if n]
    if not parts:
        return ""
    return _("%(n)d left out: %(reasons)s.") % {"n": sum(left_out.values()), "reasons": "; ".join(parts)}


# --------------------------------------------------------------------------- the dispute file


# --------------------------------------------------------------------------- the courier's answer


