"""What the outbound "today" page shows (实时监控): today's work and today's findings, counted in the database."""
from __future__ import annotations

from datetime import datetime, time as dtime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from recon.core.models import Discrepancy

from .kind_outbound import SPEC
from .models import Order, OutboundRecord, PickupScan, Platform

SHOWN = 50


def outbound_today(*, now: datetime | None = None) -> dict:
    """Orders to ship (and late among them), outbounds and pickups of today, outbounds of today not scanned yet, and
    the outbound discrepancies raised today (by type, and the largest first)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    start = datetime.combine(day, dtime.min, tzinfo=timezone.get_current_timezone())
    end = start + timedelta(days=1)
    sent = OutboundRecord.objects.filter(order_no=OuterRef("order_no"))
    waiting = Order.objects.filter(status=Order.Status.PAID, paid_at__lte=now).exclude(Exists(sent))
    late = Q()
    for code, hours in Platform.objects.values_list("id", "ship_within_hours"):
        late |= Q(platform_id=code, paid_at__lt=now - timedelta(hours=hours))
    outbounds_today = OutboundRecord.objects.filter(outbound_at__gte=start, outbound_at__lt=end, outbound_at__lte=now)
    scanned = PickupScan.objects.filter(courier_id=OuterRef("courier_id"), waybill_no=OuterRef("waybill_no"))
    found = Discrepancy.objects.filter(kind=SPEC.code, is_current=True, created_at__gte=start, created_at__lt=end)
    labels = {t.code: t.label for t in SPEC.types}
    by_type = [{"type": row["type"], "label": labels.get(row["type"], row["type"]), "count": row["n"],
                "amount": row["amount"]}
               for row in found.values("type").annotate(n=Count("id"), amount=Sum("amount_at_stake")).order_by("type")]
    order = {t.code: i for i, t in enumerate(SPEC.types)}
    by_type.sort(key=lambda r: order.get(r["type"], len(order)))
    return {
        "day": day,
        "now": now,
        "to_ship": waiting.count(),
        "late": waiting.filter(late).count() if late else 0,
        "shipped": outbounds_today.values("outbound_no").distinct().count(),
        "picked_up": PickupScan.objects.filter(picked_up_at__gte=start, picked_up_at__lt=end, picked_up_at__lte=now).count(),
        "not_picked_up": outbounds_today.exclude(Exists(scanned)).values("outbound_no").distinct().count(),
        "found": sum(r["count"] for r in by_type),
        "by_type": by_type,
        "rows": list(found.select_related("counterparty").order_by("-amount_at_stake", "-id")[:SHOWN]),
    }
