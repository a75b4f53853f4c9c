"""Reads of the dashboard (the home page after login) and of the manager's period summary.

A "period" here is a calendar month (YYYY-MM): every counterparty's reconciliation periods that start in it, and the
rows without a period that belong to it (reports.months: the same rule the queue's `month` filter applies), so every
figure links to the list that adds up to it. The money of a month
comes from one grouped query per panel over the current rows of its periods (the queue's money identity,
recon.review.selectors.money_aggregates); the labels of the few groups are looked up afterwards.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Case, Count, DateField, Q, When
from django.db.models.fields.json import KT
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from recon.core.models import Counterparty, Discrepancy, ReconPeriod, ReconRun
from recon.kinds import kind_label, kind_specs, type_label
from recon.review.selectors import MONEY_COLUMNS, money_aggregates

from . import totals
from .months import discrepancy_month_q, month_start

ZERO = Decimal("0.00")
TREND_MONTHS = 12
# Roles whose home page is about money; the others (ops) see the work of the queue.
MONEY_ROLES = ("manager", "finance", "auditor")


# --------------------------------------------------------------------------- months


def month_first(value: str) -> date:
    """The first day of a month written YYYY-MM; ValueError otherwise."""
    year, month = value.split("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(value)
    return date(int(year), int(month), 1)


def month_add(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_label(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def period_months(limit: int = 24) -> tuple[list[str], date]:
    """The months that have periods, newest first (the period picker), and the default month: that of the newest
    period that has begun (the one people are working on), else this month. One query."""
    today = timezone.localdate()
    starts = list(ReconPeriod.objects.order_by("-start").values_list("start", flat=True).distinct()[:400])
    months = sorted({month_label(s.replace(day=1)) for s in starts}, reverse=True)
    begun = next((s for s in starts if s <= today), today)
    return months[:limit], begun.replace(day=1)


def queue_url(**params) -> str:
    """The review queue under a filter (lists become repeated parameters, as the queue's checkboxes send them)."""
    pairs = []
    for key, value in params.items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if v not in (None, ""):
                pairs.append((key, v))
    return f"{reverse('discrepancy-list')}?{urlencode(pairs)}"


# --------------------------------------------------------------------------- the figures


@dataclass
class Window:
    """The months a dashboard covers: the chosen month and the eleven before it, and their periods."""

    month: date
    months: list[date]
    period_month: dict[int, date]

    @property
    def label(self) -> str:
        return month_label(self.month)


def window(month: date, months: int = TREND_MONTHS) -> Window:
    first = month_add(month, -(months - 1))
    following = month_add(month, 1)
    periods = ReconPeriod.objects.filter(start__gte=first, start__lt=following).values_list("id", "start")
    return Window(month=month, months=[month_add(first, k) for k in range(months)],
                  period_month={pk: start.replace(day=1) for pk, start in periods})


def _money_row(raw: dict) -> dict:
    row = {"count": raw.get("count") or 0}
    for k in (*MONEY_COLUMNS, "informational"):
        row[k] = raw.get(k) or ZERO
    return row


def _add(into: dict, row: dict) -> None:
    into["count"] = into.get("count", 0) + row["count"]
    for k in (*MONEY_COLUMNS, "informational"):
        into[k] = into.get(k, ZERO) + row[k]


def money_by_month_and_counterparty(w: Window, *, counterparty_id: int | None = None) -> list[dict]:
    """The money identity per (month, counterparty, kind) over the window, the rows without a period in the month
    reports.months gives them: one grouped query (of the totals table on PostgreSQL, of the discrepancies elsewhere)."""
    merged: dict[tuple, dict] = {}
    if totals.enabled():
        groups: dict[tuple, list] = defaultdict(list)
        for g in totals.money_groups(period_ids=list(w.period_month), months=(w.months[0], month_add(w.month, 1)),
                                     counterparty_id=counterparty_id):
            month = w.period_month[g["period_id"]] if g["period_id"] else g["unperiodised_month"]
            groups[(month, g["counterparty_id"], g["kind"])].append(g)
        for key, rows in groups.items():
            _add(merged.setdefault(key, {}), _money_row(totals.money_parts(rows)))
        return [{"month": k[0], "counterparty_id": k[1], "kind": k[2], **v} for k, v in merged.items()]
    # The month of a row without a period, by the one rule; a row with one is read through its period.
    own_month = Case(When(period_id__isnull=True, then=month_start(periodised=False)), default=None,
                     output_field=DateField())
    qs = (Discrepancy.objects.filter(is_current=True).annotate(own_month=own_month)
          .filter(Q(period_id__in=list(w.period_month))
                  | Q(period_id__isnull=True, own_month__gte=w.months[0], own_month__lt=month_add(w.month, 1))))
    if counterparty_id:
        qs = qs.filter(counterparty_id=counterparty_id)
    raw = qs.order_by().values("period_id", "own_month", "counterparty_id", "kind").annotate(**money_aggregates())
    for r in raw:
        key = (w.period_month[r["period_id"]] if r["period_id"] else r["own_month"], r["counterparty_id"], r["kind"])
        _add(merged.setdefault(key, {}), _money_row(r))
    return [{"month": k[0], "counterparty_id": k[1], "kind": k[2], **v} for k, v in merged.items()]


def counts_by_type(w: Window, *, counterparty_id: int | None = None) -> list[dict]:
    """The chosen month's discrepancies (claims and information) per kind, type and status: one grouped query."""
    ids = [pk for pk, m in w.period_month.items() if m == w.month]
    if totals.enabled():
        return totals.type_counts(period_ids=ids, months=(w.month, month_add(w.month, 1)), counterparty_id=counterparty_id)
    qs = Discrepancy.objects.filter(discrepancy_month_q(w.month)).order_by()
    if counterparty_id:
        qs = qs.filter(counterparty_id=counterparty_id)
    return list(qs.values("kind", "type", "status").annotate(count=Count("id")))


def billed_by_month_and_counterparty(w: Window, *, counterparty_id: int | None = None) -> dict[tuple, Decimal]:
    """What the counterparties billed per (month, counterparty, kind), from the summaries of the runs of the kinds that
    record it (KindSpec.summary_billed_key): the latest successful run of each live source file."""
    keys = {code: spec.summary_billed_key for code, spec in kind_specs().items() if getattr(spec, "summary_billed_key", "")}
    if not keys:
        return {}
    runs = ReconRun.objects.filter(
        kind__in=list(keys), status=ReconRun.Status.SUCCEEDED,
        period_start__gte=w.months[0], period_start__lt=month_add(w.month, 1),
    ).filter(Q(courier_bill__isnull=True) | Q(courier_bill__deleted_at__isnull=True))
    if counterparty_id:
        runs = runs.filter(counterparty_id=counterparty_id)
    latest: dict[tuple, dict] = {}
    for code, key in keys.items():
        rows = (runs.filter(kind=code).annotate(billed=KT(f"summary__{key}"))
                .values("id", "kind", "counterparty_id", "courier_bill_id", "period_start", "period_end", "billed").order_by("id"))
        for r in rows:
            # A bill reconciled again replaces its earlier run, as its discrepancies do.
            source = r["courier_bill_id"] or ("run", r["id"])
            latest[(r["kind"], source, r["period_start"], r["period_end"])] = r
    out: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for r in latest.values():
        if r["billed"] not in (None, ""):
            out[(r["period_start"].replace(day=1), r["counterparty_id"], r["kind"])] += Decimal(str(r["billed"]))
    return dict(out)


def receivables_by_age(as_of: date) -> list[dict] | None:
    """The receivables by age bucket from the kinds that declare them (KindSpec receivable_ages), or None."""
    rows, found = [], False
    for spec in kind_specs().values():
        if not spec.receivable_ages:
            continue
        found = True
        rows.extend(spec.hook("receivable_ages")(as_of=as_of))
    if not found:
        return None
    buckets: dict[str, dict] = {}
    for r in rows:
        b = buckets.setdefault(str(r["bucket"]), {"bucket": str(r["bucket"]), "amount": ZERO, "count": 0})
        b["amount"] += Decimal(str(r["amount"]))
        b["count"] += int(r["count"])
    return list(buckets.values())


def oldest_open(limit: int = 10) -> list[Discrepancy]:
    """The rows waiting longest in the queue (open or under investigation), as the queue lists them oldest first."""
    return list(Discrepancy.objects.filter(is_current=True, status__in=["open", "investigating"])
                .select_related("counterparty").order_by("created_at", "id")[:limit])


def latest_runs(limit: int = 12) -> list[dict]:
    """The newest runs of every kind (a deleted bill's run left out) with the figures their summaries hold: what was
    billed (the kinds that declare KindSpec.summary_billed_key), the lines read, the discrepancies found and the money
    at stake; None where a kind's summary has no such figure (a failed run's has none)."""
    runs = (ReconRun.objects.select_related("counterparty")
            .filter(Q(courier_bill__isnull=True) | Q(courier_bill__deleted_at__isnull=True)).order_by("-created_at", "-id")[:limit])
    specs = kind_specs()
    out = []
    for run in runs:
        summary = run.summary or {}
        billed_key = getattr(specs.get(run.kind), "summary_billed_key", "")
        out.append({
            "run": run, "kind_label": kind_label(run.kind),
            "billed": summary.get(billed_key) if billed_key else None,
            "lines": summary.get("lines"), "discrepancies": summary.get("discrepancies"),
            "at_stake": summary.get("amount_at_stake"),
        })
    return out


def failed_runs(limit: int = 10) -> list[ReconRun]:
    return list(ReconRun.objects.filter(status=ReconRun.Status.FAILED).select_related("counterparty").order_by("-created_at", "-id")[:limit])


def rate(part: Decimal, whole: Decimal) -> Decimal | None:
    """A percentage with one decimal, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


@dataclass
class Figures:
    """Everything the dashboard and the period summary show for one month, with the links behind each figure."""

    month: str
    totals: dict
    trend: list[dict]
    counterparties: list[dict]
    types: list[dict]
    statuses: list[str]
    recovery_rate: Decimal | None
    links: dict = field(default_factory=dict)


def dashboard_figures(*, month: date, counterparty: Counterparty | None = None, months: int = TREND_MONTHS) -> Figures:
    """The month's money identity, its trend over `months` months, the overcharge and recovery rates per counterparty,
    and the counts by kind, type and status; each with the queue filter that lists its rows."""
    w = window(month, months)
    cp_id = counterparty.id if counterparty else None
    # By id: two counterparties may share a code (the courier JD and the shop JD).
    only = {"counterparty": counterparty.id} if counterparty else {}
    scope = {"month": w.label, **only}
    money = money_by_month_and_counterparty(w, counterparty_id=cp_id)
    billed = billed_by_month_and_counterparty(w, counterparty_id=cp_id)

    by_month: dict[date, dict] = {m: {} for m in w.months}
    for r in money:
        _add(by_month[r["month"]], r)
    trend = []
    for m in w.months:
        row = _money_row(by_month[m])
        billed_total = sum((v for (bm, _c, _k), v in billed.items() if bm == m), ZERO)
        trend.append({"month": month_label(m), "billed": billed_total,
                      "url": queue_url(month=month_label(m), **only), **row})
    totals = dict(trend[-1])

    per_cp: dict[int, dict] = {}
    for r in money:
        if r["month"] != w.month:
            continue
        cp = per_cp.setdefault(r["counterparty_id"], {"money": {}, "billed_at_stake": ZERO, "billed": ZERO})
        _add(cp["money"], r)
        if (w.month, r["counterparty_id"], r["kind"]) in billed:
            cp["billed_at_stake"] += r["at_stake"]
    for (bm, cp_key, _kind), amount in billed.items():
        if bm == w.month:
            per_cp.setdefault(cp_key, {"money": {}, "billed_at_stake": ZERO, "billed": ZERO})["billed"] += amount
    names = Counterparty.objects.in_bulk([k for k in per_cp if k])
    labels = counterparty_labels(names.values())
    counterparties = []
    for cp_key, v in per_cp.items():
        c = names.get(cp_key)
        row = _money_row(v["money"])
        counterparties.append({
            "id": cp_key, "code": c.code if c else "", "name": c.name if c else "",
            "label": labels[cp_key] if c else _("No counterparty known"), **row, "billed": v["billed"],
            "overcharge_rate": rate(v["billed_at_stake"], v["billed"]),
            "recovery_rate": rate(row["recovered"], row["at_stake"]),
            # The rows no counterparty is known for (a return with no courier or shop) have their own list.
            "url": queue_url(month=w.label, counterparty=cp_key or "none"),
        })
    counterparties.sort(key=lambda r: (-r["at_stake"], r["id"] is None, r["label"]))

    statuses = [s for s, _label in Discrepancy.Status.choices]
    grouped: dict[tuple, dict] = {}
    for r in counts_by_type(w, counterparty_id=cp_id):
        g = grouped.setdefault((r["kind"], r["type"]), {s: 0 for s in statuses})
        g[r["status"]] = g.get(r["status"], 0) + r["count"]
    kind_order = {code: n for n, code in enumerate(kind_specs())}
    types = []
    for (kind, type_code), counts in sorted(grouped.items(), key=lambda kv: (kind_order.get(kv[0][0], 99), -sum(kv[1].values()), kv[0][1])):
        types.append({
            "kind": kind, "kind_label": kind_label(kind), "type": type_code, "type_label": type_label(type_code),
            "counts": counts, "count": sum(counts.values()),
            "url": queue_url(**scope, kind=kind, type=type_code),
            "status_urls": {s: queue_url(**scope, kind=kind, type=type_code, status=s) for s in statuses},
        })

    links = {
        "at_stake": queue_url(**scope), "recovered": queue_url(**scope),
        "open": queue_url(**scope, status=["open", "investigating"]), "disputed": queue_url(**scope, status="disputed"),
    }
    return Figures(month=w.label, totals=totals, trend=trend, counterparties=counterparties, types=types,
                   statuses=statuses, recovery_rate=rate(totals["recovered"], totals["at_stake"]), links=links)


def counterparty_labels(counterparties) -> dict[int, str]:
    """How the dashboard names each counterparty: by its name (the code is most often the name again: JD 京东, or a
    bank account's number twice), with its kind when another one shown shares the name (the courier and the shop
    both called 京东)."""
    counterparties = list(counterparties)
    seen = defaultdict(int)
    for c in counterparties:
        seen[c.name] += 1
    return {c.id: (_("%(name)s (%(kind)s)") % {"name": c.name, "kind": c.get_kind_display()} if seen[c.name] > 1 else c.name)
            for c in counterparties}


def dashboard_role(user) -> str:
    """Which home page a user gets: "money" (managers, finance, auditors) or "work" (ops)."""
    if user.is_superuser:
        return "money"
    groups = set(user.groups.values_list("name", flat=True))
    return "money" if groups & set(MONEY_ROLES) else "work"


def assigned_open_count(user) -> int:
    return Discrepancy.objects.filter(is_current=True, assignee_id=user.pk, status__in=["open", "investigating"]).count()
