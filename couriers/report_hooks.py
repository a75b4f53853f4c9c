"""What the period report asks of courier fees (KindSpec hooks): the bills' money and the rate cards a run used."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from .models import CourierBillLine, RateCard


def courier_period_amounts(*, start: date, end: date, counterparty_ids) -> dict[str, Decimal]:
    """What the current bills of the period charged and what our rate cards expected for their lines."""
    lines = CourierBillLine.objects.filter(
        bill__deleted_at__isnull=True, bill__counterparty_id__in=list(counterparty_ids),
        bill__period_start__gte=start, bill__period_start__lte=end,
    )
    sums = lines.aggregate(billed=Sum("billed_fee"), expected=Sum("expected_fee"))
    zero = Decimal("0.00")
    return {"billed": sums["billed"] or zero, "expected": sums["expected"] or zero}


def courier_run_parameters(*, run) -> list[tuple[str, str]]:
    """The rate cards in force during the run's period, each with its tolerances, then the run's own options."""
    out: list[tuple[str, str]] = []
    if run.counterparty_id and run.period_start and run.period_end:
        cards = RateCard.objects.filter(courier__counterparty_id=run.counterparty_id, effective_from__lte=run.period_end).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=run.period_start)).order_by("effective_from", "id")
        for card in cards:
            until = card.effective_to.isoformat() if card.effective_to else "…"
            out.append((_("rate card"), f"#{card.id} {card.name} {card.effective_from.isoformat()}–{until}".replace("  ", " ")))
            out.append((_("weight tolerance (g)"), str(card.weight_tolerance_g)))
            out.append((_("fee tolerance (fen)"), str(card.fee_tolerance_fen)))
            out.append((_("volumetric divisor"), str(card.volumetric_divisor or "")))
    for key in ("as_of", "mode", "replaces"):
        if run.params.get(key):
            out.append((key, str(run.params[key])))
    return out
