"""Which calendar month a discrepancy belongs to: one rule for the period report, the dashboard and their totals.

A row with a reconciliation period belongs to the month its period starts in (the queue's `month=YYYY-MM` filter).
A row without one (a return's finding with no courier or shop known, say) belongs to the month of the day it happened
(`occurred_on`); without that date, to the month its run's range starts in (`ReconRun.period_start`); without that
either, to the month it was created in, in local time (settings.TIME_ZONE, Asia/Shanghai by default).
"""
from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import DateField, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from recon.core.models import ReconPeriod, ReconRun

from .sources import MonthStart


def month_following(first: date) -> date:
    """The first day of the month after the one starting on `first`."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_period_ids(first: date):
    """The ids of the periods that start in the month beginning on `first` (a subquery, not a list)."""
    return ReconPeriod.objects.filter(start__gte=first, start__lt=month_following(first)).values("id")


def unperiodised_month_q(first: date) -> Q:
    """Rows without a period that belong to the month starting on `first` (the rule in the module's docstring)."""
    following = month_following(first)
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(first, time.min), zone)
    until = timezone.make_aware(datetime.combine(following, time.min), zone)
    # The runs as subqueries rather than a join: a month of a million rows with periods is not joined to its runs.
    runs_starting = ReconRun.objects.filter(period_start__gte=first, period_start__lt=following).values("id")
    runs_without_range = ReconRun.objects.filter(period_start__isnull=True).values("id")
    return Q(period_id__isnull=True) & (
        Q(occurred_on__gte=first, occurred_on__lt=following)
        | Q(occurred_on__isnull=True, run_id__in=runs_starting)
        | Q(occurred_on__isnull=True, run_id__in=runs_without_range, created_at__gte=since, created_at__lt=until)
    )


def discrepancy_month_q(first: date) -> Q:
    """The current discrepancies of the month starting on `first`, with a period (by its start) and without one."""
    return Q(is_current=True) & (Q(period_id__in=month_period_ids(first)) | unperiodised_month_q(first))


def month_day(*, periodised: bool = True):
    """The day whose month a discrepancy belongs to by the rule above, as one expression (joins its period and run):
    its period's start, else the day it happened, else its run's start, else the day it was created in local time.
    `periodised=False` leaves the period out: the day of a row without one (NULL never happens then)."""
    days = ["occurred_on", "run__period_start", TruncDate("created_at", tzinfo=timezone.get_current_timezone())]
    if periodised:
        days.insert(0, "period__start")
    return Coalesce(*days, output_field=DateField())


def month_start(*, periodised: bool = True):
    """The first day of the month a discrepancy belongs to (month_day's month), as one expression."""
    return MonthStart(month_day(periodised=periodised))
