"""Reads for couriers, rate cards and bills."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from recon.core.db import fen_of, yuan_of
from recon.engine import FeeStep, RateCardSpec, explain_fee, rates
from recon.core.errors import UserFacingError

from .models import Courier, CourierBill, CourierBillLine, RateCard


def courier_lookup_table() -> dict[str, int]:
    """Every way a file may name a courier (code, Chinese name, aliases; case-insensitive) -> courier id."""
    table: dict[str, int] = {}
    for c in Courier.objects.all():
        for name in [c.code, c.name, c.name_en, *(c.aliases or [])]:
            if name:
                table[str(name).strip().upper()] = c.id
    return table


def courier_get(*, code: str) -> Courier:
    """The courier with this code (or name/alias), or a clear error listing the known codes."""
    key = (code or "").strip().upper()
    courier_id = courier_lookup_table().get(key)
    if courier_id is None:
        known = ", ".join(Courier.objects.order_by("code").values_list("code", flat=True))
        raise UserFacingError(
            "unknown_courier",
            _("Unknown courier code “%(code)s”. Known codes: %(known)s.") % {"code": code, "known": known},
            {"code": code, "known": known.split(", ") if known else []},
        )
    return Courier.objects.get(id=courier_id)


def rate_card_specs(*, courier: Courier) -> list[RateCardSpec]:
    """All of a courier's rate cards in the engine's shape (money in fen)."""
    return [_card_spec(card) for card in courier.rate_cards.prefetch_related("bands", "zones")]


def _card_spec(card: RateCard) -> RateCardSpec:
    bands = pd.DataFrame(
        [(b.province, b.upper_g, fen_of(b.price)) for b in card.bands.all()],
        columns=["province", "upper_g", "price_fen"],
    )
    zones = pd.DataFrame(
        [(z.province, z.step_g, fen_of(z.step_price)) for z in card.zones.all()],
        columns=["province", "step_g", "step_price_fen"],
    )
    zones["step_price_fen"] = pd.array(zones["step_price_fen"], dtype="Int64")
    return RateCardSpec(
        id=card.id,
        name=card.name,
        effective_from=card.effective_from,
        effective_to=card.effective_to,
        volumetric_divisor=card.volumetric_divisor,
        weight_tolerance_g=card.weight_tolerance_g,
        fee_tolerance_fen=card.fee_tolerance_fen,
        bands=bands,
        zones=zones,
    )


def rate_card_fee_table(*, card: RateCard) -> list[dict]:
    """The card as a clerk reads it: one row per province with its band prices and step price."""
    bounds = sorted({b.upper_g for b in card.bands.all()})
    by_province: dict[str, dict] = {}
    for b in card.bands.all():
        by_province.setdefault(b.province, {"province": b.province, "prices": {}, "step_g": None, "step_price": None})["prices"][b.upper_g] = b.price
    for z in card.zones.all():
        row = by_province.setdefault(z.province, {"province": z.province, "prices": {}, "step_g": None, "step_price": None})
        row["step_g"], row["step_price"] = z.step_g, z.step_price
    rows = []
    for province in sorted(by_province):
        row = by_province[province]
        row["cells"] = [row["prices"].get(b) for b in bounds]
        rows.append(row)
    return [{"bounds": bounds, "rows": rows}]


def bills_current_in_period(*, courier: Courier, period_start: date, period_end: date, exclude_ids=()) -> QuerySet[CourierBill]:
    """The bills that count for a courier's period: not deleted, oldest first."""
    qs = CourierBill.objects.filter(courier=courier, period_start=period_start, period_end=period_end, deleted_at__isnull=True)
    return qs.exclude(id__in=[i for i in exclude_ids if i]).order_by("id")


def bill_affected_runs(*, bill: CourierBill) -> list:
    """The newest runs of other current bills that saw this bill in its other state (deleted or not) and so count
    it wrongly now: bills of the same period (not billed) and later bills sharing a waybill (duplicate charges)."""
    from django.db.models import Exists, OuterRef, Q

    from recon.core.models import AuditEvent, ReconRun

    changes = list(AuditEvent.objects.filter(object_type="courier_bill", object_id=bill.id, action__in=["delete", "restore"])
                   .order_by("-at", "-id").values_list("at", flat=True)[:2])
    if not changes:
        return []
    # A run saw the bill in its former state if it started after the change before the last one (or after the
    # bill was made) and before the last change.
    changed, since = changes[0], changes[1] if len(changes) > 1 else bill.uploaded_at
    shared = CourierBillLine.objects.filter(
        bill_id=OuterRef("pk"), waybill_no__in=CourierBillLine.objects.filter(bill_id=bill.id).values("waybill_no"))
    related = (
        CourierBill.objects.filter(courier_id=bill.courier_id, deleted_at__isnull=True).exclude(id=bill.id)
        .filter(Q(period_start=bill.period_start, period_end=bill.period_end) | Q(Exists(shared), id__gt=bill.id))
        .values_list("id", flat=True)
    )
    runs = []
    for bill_id in related:
        run = ReconRun.objects.filter(courier_bill_id=bill_id, status=ReconRun.Status.SUCCEEDED).order_by("-id").first()
        if run is not None and run.started_at is not None and since < run.started_at < changed:
            runs.append(run)
    return sorted(runs, key=lambda r: r.id)


def period_bounds(period: str) -> tuple[date, date]:
    """A bill's period as couriers cycle: '2026-10' (month), '2026-W44' (ISO week), '2026-10-05' (day),
    or 'YYYY-MM-DD..YYYY-MM-DD'."""
    text = (period or "").strip()
    try:
        if ".." in text:
            a, b = text.split("..", 1)
            start, end = date.fromisoformat(a.strip()), date.fromisoformat(b.strip())
        elif "-W" in text.upper():
            year, week = text.upper().split("-W", 1)
            start = date.fromisocalendar(int(year), int(week), 1)
            end = date.fromisocalendar(int(year), int(week), 7)
        elif text.count("-") == 2:
            start = end = date.fromisoformat(text)
        else:
            year, month = (int(x) for x in text.split("-"))
            start = date(year, month, 1)
            end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    except (ValueError, TypeError) as exc:
        raise UserFacingError(
            "invalid_period",
            _("Period “%(period)s” is not valid: use YYYY-MM (a month, e.g. 2026-10), YYYY-Www (an ISO week, e.g. "
              "2026-W44), YYYY-MM-DD (a day) or YYYY-MM-DD..YYYY-MM-DD.") % {"period": period},
        ) from exc
    if end < start:
        raise UserFacingError("invalid_period", _("The period ends before it starts."))
    return start, end


def rate_card_explain(*, card_id: int, weight_g: int, province: str) -> dict:
    """How the card prices one weight to one province, step by step, for a clerk checking the engine's figure."""
    card = RateCard.objects.prefetch_related("bands", "zones").get(id=card_id)
    explained = explain_fee(_card_spec(card), province=province, weight_g=weight_g)
    return {"fee": yuan_of(explained.fee_fen), "steps": [_fee_step_text(step) for step in explained.steps]}


def _kg(grams: int) -> str:
    return format((Decimal(grams) / 1000).normalize(), "f")


def _fee_step_text(step: FeeStep) -> str:
    v = step.values
    if step.code == rates.NO_PRICES:
        return _("The card has no prices for %(province)s.") % {"province": v["province"]}
    if step.code == rates.IN_BAND:
        return _("%(w)s kg is within the band up to %(upper)s kg: ¥%(price)s") % {
            "w": _kg(v["weight_g"]), "upper": _kg(v["upper_g"]), "price": yuan_of(v["price_fen"])}
    if step.code == rates.ABOVE_LAST_BAND:
        return _("%(w)s kg is above the last band (up to %(upper)s kg, ¥%(price)s)") % {
            "w": _kg(v["weight_g"]), "upper": _kg(v["upper_g"]), "price": yuan_of(v["price_fen"])}
    if step.code == rates.NOTHING_ABOVE:
        return _("The card prices nothing above %(upper)s kg to %(province)s.") % {"upper": _kg(v["upper_g"]), "province": v["province"]}
    if step.code == rates.EXTRA_STEPS:
        return _("%(extra)s kg more, in started steps of %(step)s kg: %(n)d × ¥%(sp)s = ¥%(add)s") % {
            "extra": _kg(v["extra_g"]), "step": _kg(v["step_g"]), "n": v["steps"], "sp": yuan_of(v["step_price_fen"]),
            "add": yuan_of(v["added_fen"])}
    return _("Total: ¥%(base)s + ¥%(add)s = ¥%(fee)s") % {
        "base": yuan_of(v["base_fen"]), "add": yuan_of(v["added_fen"]), "fee": yuan_of(v["fee_fen"])}
