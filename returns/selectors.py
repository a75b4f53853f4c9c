"""Reads for returns' pages: the overview of a date range and one return with everything that belongs to it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Case, Count, Exists, IntegerField, Max, Min, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from recon.core.models import Discrepancy, ReconRun
from recon.core.permissions import setting_value
from recon.engine.returns import TYPES

from .models import ReturnFreightLine, ReturnReceipt, ReturnRequest
from .specs import FREIGHT_SPEC, RECEIPT_SPEC, REQUEST_SPEC

KIND = "returns"
GRACE_DAYS_DEFAULT = 7
OLDEST_SHOWN = 20


def returns_grace_days() -> int:
    """The days a customer has to send a return back before it is overdue (the `returns_grace_days` setting)."""
    return int(setting_value("returns_grace_days", GRACE_DAYS_DEFAULT))


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _midnight(day: date) -> datetime:
    """The start of a local (Asia/Shanghai) day: dates are compared as times, so both databases agree."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _arrived_row(as_of: date):
    """1 when a receipt dated on or before as_of carries the row's waybill, or its order number (the fallback for
    numbers customers mistyped); 0 otherwise."""
    received = ReturnReceipt.objects.filter(received_at__lt=_midnight(as_of + timedelta(days=1)))
    by_waybill = received.filter(return_waybill_no=OuterRef("return_waybill_no")).exclude(return_waybill_no="")
    by_order = received.filter(order_no=OuterRef("order_no")).exclude(order_no="")
    return Case(When(Q(Exists(by_waybill)) | Q(Exists(by_order)), then=Value(1)), default=Value(0), output_field=IntegerField())


def returns_in_range(*, start: date, end: date, as_of: date) -> QuerySet:
    """One row per return requested in [start, end] (by its first request row's local date): its first request time,
    whether anything arrived by as_of, and the money refunded on it."""
    return (
        ReturnRequest.objects.values("return_no")
        .annotate(
            requested=Min("requested_at"),
            arrived=Max(_arrived_row(as_of)),
            refunded=Coalesce(Sum("refund_amount", filter=Q(refund_status=ReturnRequest.RefundStatus.REFUNDED)), Decimal("0")),
            items=Sum("quantity"),
        )
        .filter(requested__gte=_midnight(start), requested__lt=_midnight(end + timedelta(days=1)))
    )


def latest_run(*, start: date, end: date) -> ReconRun | None:
    """The newest finished returns run whose range holds [start, end]."""
    return (ReconRun.objects.filter(kind=KIND, status=ReconRun.Status.SUCCEEDED, period_start__lte=start, period_end__gte=end)
            .order_by("-finished_at", "-id").first())


@dataclass
class ReturnsOverview:
    start: date
    end: date
    as_of: date
    grace_days: int
    counts: dict
    run: ReconRun | None
    by_type: list[dict]
    by_courier: list[dict]
    oldest_open: list[dict]


def returns_overview(*, start: date, end: date, as_of: date, grace_days: int) -> ReturnsOverview:
    """What happened to the returns of a range as of a date: counts from the rows, money from the latest run."""
    returns = returns_in_range(start=start, end=end, as_of=as_of)
    # Overdue on D when D > date(requested) + grace: requested before the local midnight that starts D − grace.
    overdue_before = _midnight(as_of - timedelta(days=grace_days))
    waiting = Q(arrived=0)
    late = waiting & Q(requested__lt=overdue_before)
    refunded_late = late & Q(refunded__gt=0)
    counts = returns.aggregate(
        requests=Count("return_no"),
        received=Count("return_no", filter=Q(arrived=1)),
        pending=Count("return_no", filter=waiting & Q(requested__gte=overdue_before)),
        overdue=Count("return_no", filter=late),
        refunded_not_received=Count("return_no", filter=refunded_late),
        refunded_not_received_amount=Coalesce(Sum("refunded", filter=refunded_late), Decimal("0")),
    )
    run = latest_run(start=start, end=end)
    by_type, by_courier = [], []
    if run is not None:
        found = Discrepancy.objects.filter(run=run)
        by_type = list(found.values("type").annotate(count=Count("id"), amount=Sum("amount_at_stake"),
                                                     claims=Count("id", filter=Q(is_claim=True))).order_by("type"))
        by_courier = list(found.filter(amount_at_stake__gt=0).values("counterparty__code", "counterparty__name")
                          .annotate(count=Count("id"), amount=Sum("amount_at_stake")).order_by("-amount", "counterparty__code"))
        order = {code: i for i, code in enumerate(TYPES)}
        by_type.sort(key=lambda row: order.get(row["type"], len(order)))
    oldest = list(returns.filter(waiting).order_by("requested", "return_no")[:OLDEST_SHOWN])
    for row in oldest:
        row["age_days"] = (as_of - timezone.localtime(row["requested"]).date()).days
        row["overdue"] = row["requested"] < overdue_before
    return ReturnsOverview(start=start, end=end, as_of=as_of, grace_days=grace_days, counts=counts, run=run,
                           by_type=by_type, by_courier=by_courier, oldest_open=oldest)


@dataclass
class ReturnFile:
    return_no: str
    requests: list[ReturnRequest]
    receipts: list[ReturnReceipt]
    freight: list[ReturnFreightLine]
    discrepancies: list[Discrepancy]


def return_detail(*, return_no: str) -> ReturnFile | None:
    """A return's request rows, the receipts of its waybills (or of its order when no waybill matched), the freight
    billed for its waybills, and its current discrepancies; None when no request has that number."""
    requests = list(ReturnRequest.objects.filter(return_no=return_no).select_related("return_courier").order_by("sku", "id"))
    if not requests:
        return None
    waybills = sorted({r.return_waybill_no for r in requests if r.return_waybill_no})
    orders = sorted({r.order_no for r in requests if r.order_no})
    receipts = ReturnReceipt.objects.filter(return_waybill_no__in=waybills) if waybills else ReturnReceipt.objects.none()
    if not receipts.exists() and orders:
        receipts = ReturnReceipt.objects.filter(order_no__in=orders)
    freight = ReturnFreightLine.objects.filter(waybill_no__in=waybills).select_related("courier").order_by("billed_at", "id")
    found = Discrepancy.objects.filter(kind=KIND, is_current=True).filter(
        Q(ref=return_no) | Q(ref__in=waybills, type__startswith="return_freight_")).order_by("type", "sku", "id")
    return ReturnFile(return_no=return_no, requests=requests, receipts=list(receipts.order_by("received_at", "id")),
                      freight=list(freight), discrepancies=list(found))


# --------------------------------------------------------------------------- a file before it is imported

SPECS = {"requests": REQUEST_SPEC, "receipts": RECEIPT_SPEC, "freight": FREIGHT_SPEC}


def returns_field_labels(kind: str) -> dict:
    """The translated label of each field of a kind's file, by field name."""
    from django.utils.translation import gettext

    return {name: gettext(label) for name, label in SPECS[kind].labels().items()}


def returns_columns_remembered(*, kind: str, courier) -> dict:
    """The headers last chosen for this courier's freight files; requests and receipts have no counterparty to remember by."""
    from recon.sources.selectors import column_mapping_remembered

    if kind != "freight" or courier is None:
        return {}
    names = {f.name for f in FREIGHT_SPEC.fields}
    found = column_mapping_remembered(counterparty_id=courier.counterparty_id, file_kind=ReturnFreightLine.FILE_KIND)
    return {k: v for k, v in found.items() if k in names}


def returns_file_inspect(*, staged, kind: str, courier=None, typed: dict) -> dict:
    """What the upload page shows of a returns file before anything is stored (the JSON of POST /returns/inspect/).

    A freight file is read with its courier's remembered columns: the courier chosen, else the one the file names,
    which is suggested as the bill page suggests it.
    """
    from couriers.suggest import suggest_courier
    from recon.sources.preview import preview_body
    from recon.sources.selectors import preferred
    from recon.sources.uploads import preview_head

    spec, labels = SPECS[kind], returns_field_labels(kind)
    typed = {k: v for k, v in typed.items() if k in {f.name for f in spec.fields}}
    remembered = returns_columns_remembered(kind=kind, courier=courier)
    preview = preview_head(staged, spec, {**preferred(remembered), **typed})
    suggested = suggest_courier(preview, staged.filename) if kind == "freight" else None
    if courier is None and suggested is not None:
        remembered = returns_columns_remembered(kind=kind, courier=suggested)
        if remembered:
            preview = preview_head(staged, spec, {**preferred(remembered), **typed})
    body = preview_body(preview=preview, filename=staged.filename, fmt=staged.format, spec=spec, labels=labels,
                        typed=typed, remembered=remembered,
                        date_fields=("billed_at",) if kind == "freight" else ("received_at", "requested_at", "refunded_at"))
    body["kind"] = kind
    body["suggested"] = {"courier": suggested.code if suggested else None, "courier_name": str(suggested) if suggested else None}
    return body
