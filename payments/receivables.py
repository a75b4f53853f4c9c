"""Reads of receivables (回款管理): the orders whose money has not come in, their age, and the collection rate.

Everything is computed in one SQL statement per question (the orders run to millions): an order's settled amount is a
correlated subquery over its settlement lines, its age bucket a CASE on its payment date in Asia/Shanghai.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import django_filters
from django.db.models import Case, CharField, Count, DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Order

from .models import ReceivableFollowUp, SettlementLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONEY = DecimalField(max_digits=16, decimal_places=2)
# (code, label, lowest age in days, highest age in days or None)
AGE_BUCKETS = (
    ("0-7", _("0–7 days"), 0, 7),
    ("8-30", _("8–30 days"), 8, 30),
    ("31-60", _("31–60 days"), 31, 60),
    ("60+", _("over 60 days"), 61, None),
)
COUNTED_TYPES = (SettlementLine.BusinessType.PAYMENT, SettlementLine.BusinessType.REFUND)


def shanghai_today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()


def _settled(now: datetime) -> Subquery:
    """The sum of an order's payment and refund lines (refunds negative) booked up to `now`."""
    lines = (SettlementLine.objects
             .filter(platform_id=OuterRef("platform_id"), order_no=OuterRef("order_no"),
                     business_type__in=COUNTED_TYPES, occurred_at__lte=now)
             .order_by().values("platform_id").annotate(total=Sum("amount")).values("total"))
    return Subquery(lines, output_field=MONEY)


def orders_due(*, now: datetime | None = None) -> QuerySet[Order]:
    """Orders with money due (not closed, paid, order amount − refund amount > 0), annotated with due, settled,
    outstanding, paid_date and follow-up status (open when none was set)."""
    now = now or timezone.now()
    return (Order.objects
            .exclude(status=Order.Status.CLOSED).filter(paid_at__isnull=False)
            .annotate(due=F("order_amount") - F("refund_amount"))
            .filter(due__gt=0)
            .annotate(settled=Coalesce(_settled(now), Value(Decimal("0")), output_field=MONEY),
                      paid_date=TruncDate("paid_at", tzinfo=SHANGHAI),
                      follow_up_status=Coalesce("follow_up__status", Value(ReceivableFollowUp.Status.OPEN),
                                                output_field=CharField()))
            .annotate(outstanding=F("due") - F("settled")))


def receivables(*, today: date | None = None, now: datetime | None = None) -> QuerySet[Order]:
    """The receivables: orders due whose outstanding amount is above zero, with their age bucket, oldest first."""
    today = today or shanghai_today()
    buckets = [When(paid_date__gte=today - timedelta(days=high), then=Value(code))
               for code, _label, _low, high in AGE_BUCKETS if high is not None]
    return (orders_due(now=now).filter(outstanding__gt=0)
            .annotate(age_bucket=Case(*buckets, default=Value(AGE_BUCKETS[-1][0]), output_field=CharField()))
            .select_related("platform", "follow_up", "follow_up__updated_by")
            .order_by("paid_at", "id"))


def receivables_by_age(*, older_than_days: int, today: date | None = None) -> Decimal:
    """The outstanding money of the receivables paid more than `older_than_days` days before today (the alert rule's)."""
    today = today or shanghai_today()
    total = (receivables(today=today).filter(paid_date__lt=today - timedelta(days=older_than_days))
             .order_by().aggregate(total=Sum("outstanding"))["total"])
    return total or Decimal("0.00")


def age_days(paid_at: datetime, today: date) -> int:
    return (today - paid_at.astimezone(SHANGHAI).date()).days


def month_range(month: str) -> tuple[date, date] | None:
    """The first and the last day of a month written YYYY-MM, or None for anything else."""
    try:
        year, mon = (int(part) for part in month.split("-"))
        return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])
    except ValueError:
        return None


class ReceivableFilter(django_filters.FilterSet):
    """The receivables page's, the export's and the summary's filter."""

    platform = django_filters.CharFilter(field_name="platform__code", lookup_expr="iexact", label=_("platform"))
    shop = django_filters.CharFilter(field_name="shop", lookup_expr="exact", label=_("shop"))
    age = django_filters.ChoiceFilter(field_name="age_bucket", label=_("age"),
                                      choices=[(code, label) for code, label, _low, _high in AGE_BUCKETS])
    follow_up = django_filters.ChoiceFilter(field_name="follow_up_status", label=_("follow-up status"),
                                            choices=ReceivableFollowUp.Status.choices)
    paid_month = django_filters.CharFilter(method="filter_paid_month", label=_("paid in month (YYYY-MM)"))

    class Meta:
        model = Order
        fields = ["platform", "shop", "age", "follow_up", "paid_month"]

    def filter_paid_month(self, queryset, name, value):
        bounds = month_range(value)
        if bounds is None:
            return queryset.none()
        return queryset.filter(paid_date__gte=bounds[0], paid_date__lte=bounds[1])


def receivable_summary(queryset: QuerySet[Order]) -> list[dict]:
    """Platform × age bucket: the count and the outstanding amount of each cell, one row per platform, with totals."""
    cells = (queryset.order_by().values("platform__code", "platform__name", "age_bucket")
             .annotate(count=Count("id"), amount=Sum("outstanding")))
    rows: dict[str, dict] = {}
    for cell in cells:  # at most platforms × 4 cells
        row = rows.setdefault(cell["platform__code"], {
            "code": cell["platform__code"], "name": cell["platform__name"],
            "cells": {code: {"count": 0, "amount": Decimal("0.00")} for code, *_rest in AGE_BUCKETS},
            "count": 0, "amount": Decimal("0.00")})
        row["cells"][cell["age_bucket"]] = {"count": cell["count"], "amount": cell["amount"]}
        row["count"] += cell["count"]
        row["amount"] += cell["amount"]
    out = [rows[code] for code in sorted(rows)]
    for row in out:
        row["cells"] = [(code, row["cells"][code]) for code, *_rest in AGE_BUCKETS]
    return out


def collection_rates(*, now: datetime | None = None) -> list[dict]:
    """Per platform and month of payment: money due, money settled (up to now) and the rate settled / due."""
    rows = (orders_due(now=now).order_by()
            .annotate(month=TruncMonth("paid_at", tzinfo=SHANGHAI))
            .values("platform__code", "platform__name", "month")
            .annotate(due_total=Sum("due"), settled_total=Sum("settled"), count=Count("id"))
            .order_by("month", "platform__code"))
    return [{**row, "month": _month_text(row["month"]), "rate": _rate(row["settled_total"], row["due_total"])}
            for row in rows]


def sales_and_collections(*, now: datetime | None = None) -> list[dict]:
    """Per month: sales (money due of the orders paid that month) and collections (payment lines booked that month)."""
    now = now or timezone.now()
    sales = (orders_due(now=now).order_by().annotate(month=TruncMonth("paid_at", tzinfo=SHANGHAI))
             .values("month").annotate(total=Sum("due")))
    collections = (SettlementLine.objects.filter(business_type=SettlementLine.BusinessType.PAYMENT, occurred_at__lte=now)
                   .order_by().annotate(month=TruncMonth("occurred_at", tzinfo=SHANGHAI))
                   .values("month").annotate(total=Sum("amount")))
    months: dict[str, dict] = {}
    zero = Decimal("0.00")
    for row in sales:
        months.setdefault(_month_text(row["month"]), {"sales": zero, "collections": zero})["sales"] = row["total"]
    for row in collections:
        months.setdefault(_month_text(row["month"]), {"sales": zero, "collections": zero})["collections"] = row["total"]
    return [{"month": month, **months[month]} for month in sorted(months)]


def _month_text(value) -> str:
    # TruncMonth gives a datetime on PostgreSQL and SQLite alike; only its year and month matter.
    return f"{value.year:04d}-{value.month:02d}"


def _rate(settled: Decimal, due: Decimal) -> Decimal | None:
    if not due:
        return None
    return (settled * 100 / due).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def month_bounds_text(month: str) -> tuple[str, str]:
    first, last = month_range(month)
    return first.isoformat(), last.isoformat()


__all__ = ["AGE_BUCKETS", "ReceivableFilter", "age_days", "collection_rates", "month_bounds_text", "orders_due",
           "receivable_summary", "receivables", "sales_and_collections", "shanghai_today"]
