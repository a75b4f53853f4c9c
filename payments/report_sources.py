"""What the settlements offer to custom reports: money settled per platform, shop and month."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Case, CharField, Count, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from reports.sources import Dimension, Measure, SourceSpec, month_of, month_text

from .models import SettlementLine


def _business_type(value):
    return dict(SettlementLine.BusinessType.choices).get(value, value)


def report_sources() -> list[SourceSpec]:
    """The settlement lines (signed: money in positive); `settled` is what payments and refunds settled."""
    counted = Q(business_type__in=[SettlementLine.BusinessType.PAYMENT, SettlementLine.BusinessType.REFUND])
    return [SourceSpec(
        code="settlements",
        label=_("Settlements"),
        model="payments.SettlementLine",
        date_field="occurred_at__date",
        permission="payments.view_settlementline",
        dimensions={
            "platform": Dimension(_("platform"), "platform__code", filter_path="platform__code"),
            "shop": Dimension(_("shop"), "shop", filter_path="shop"),
            "type": Dimension(_("business type"), "business_type", display=_business_type, filter_path="business_type"),
            "month": Dimension(_("month"), month_of("occurred_at", tz=True), display=month_text),
        },
        measures={
            "count": Measure(_("lines"), Count("id"), money=False),
            "settled": Measure(_("settled amount"), Sum("amount", filter=counted)),
            "fees": Measure(_("fees"), Sum("amount", filter=Q(business_type=SettlementLine.BusinessType.FEE))),
            "amount": Measure(_("amount"), Sum("amount")),
        },
    )]


# The receivables' age buckets of the collection analysis: (code, lowest age, highest age or None), in days since
# payment; an order paid 30 days ago is in 0–30, one paid 31 days ago in 31–60.
ANALYSIS_AGE_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def collection_analysis(*, today: date | None = None, platform: str = "", shop: str = "") -> dict:
    """Money due, settled and outstanding by platform, shop and month of payment; sales against collections per month;
    the outstanding money by age bucket. Each is one aggregate query; "due" is what payments.receivables says."""
    from .receivables import SHANGHAI, orders_due, shanghai_today

    today = today or shanghai_today()
    now = datetime.combine(today, time.max, tzinfo=SHANGHAI)
    orders = orders_due(now=now)
    lines = SettlementLine.objects.filter(business_type=SettlementLine.BusinessType.PAYMENT, occurred_at__lte=now)
    if platform:
        orders, lines = orders.filter(platform__code=platform), lines.filter(platform__code=platform)
    if shop:
        orders, lines = orders.filter(shop=shop), lines.filter(shop=shop)
    month = TruncMonth("paid_at", tzinfo=SHANGHAI)
    groups = [
        {"platform": r["platform__code"], "shop": r["shop"], "month": month_text(r["month"]), "due": r["due_total"],
         "settled": r["settled_total"], "outstanding": r["due_total"] - r["settled_total"]}
        for r in (orders.order_by().annotate(month=month).values("platform__code", "shop", "month")
                  .annotate(due_total=Sum("due"), settled_total=Sum("settled"))
                  .order_by("month", "platform__code", "shop"))
    ]
    months: dict[str, dict] = {}
    zero = Decimal("0.00")
    for r in orders.order_by().annotate(month=month).values("month").annotate(total=Sum("due")):
        months.setdefault(month_text(r["month"]), {"sales": zero, "collections": zero})["sales"] = r["total"]
    for r in (lines.order_by().annotate(month=TruncMonth("occurred_at", tzinfo=SHANGHAI)).values("month")
              .annotate(total=Sum("amount"))):
        months.setdefault(month_text(r["month"]), {"sales": zero, "collections": zero})["collections"] = r["total"]
    return {
        "groups": groups,
        "months": [{"month": m, **months[m]} for m in sorted(months)],
        "ages": _ages(orders, today),
    }


def _ages(orders, today: date) -> list[dict]:
    """The outstanding money of these orders by age bucket, one aggregate query."""
    zero = Decimal("0.00")
    buckets = [When(paid_date__gte=today - timedelta(days=high), then=Value(code))
               for code, _low, high in ANALYSIS_AGE_BUCKETS if high is not None]
    ages = {code: {"count": 0, "amount": zero} for code, _low, _high in ANALYSIS_AGE_BUCKETS}
    for r in (orders.filter(outstanding__gt=0).order_by()
              .annotate(bucket=Case(*buckets, default=Value(ANALYSIS_AGE_BUCKETS[-1][0]), output_field=CharField()))
              .values("bucket").annotate(count=Count("id"), amount=Sum("outstanding"))):
        ages[r["bucket"]] = {"count": r["count"], "amount": r["amount"]}
    return [{"bucket": code, **ages[code]} for code, _low, _high in ANALYSIS_AGE_BUCKETS]


def receivable_ages(*, as_of: date) -> list[dict]:
    """The receivables (money due on paid orders, not yet settled) by age bucket on a day: the dashboard's panel."""
    from .receivables import SHANGHAI, orders_due

    return _ages(orders_due(now=datetime.combine(as_of, time.max, tzinfo=SHANGHAI)), as_of)
