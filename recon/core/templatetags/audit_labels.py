"""The trail stores codes (actions, field names, status values); pages show them in the reader's language."""
from django import template
from django.utils.translation import gettext_lazy as _

from recon.kinds import type_choices
from recon.core.models import Discrepancy, DisputeItem, ReconPeriod

register = template.Library()

ACTIONS = {
    "create": _("created"), "change": _("changed"), "delete": _("deleted"), "restore": _("restored"),
    "status": _("status changed"), "resolve": _("resolved"), "reopen": _("reopened"), "assign": _("assigned"),
    "comment": _("commented"), "attach": _("attached a file"), "dispute": _("sent in a dispute"),
    "answer": _("courier's answer recorded"), "carry_over": _("carried over from an earlier run"),
    "rerun": _("reconciled again"), "close": _("closed"), "shortfall": _("shortfall decided"),
}
FIELDS = {
    "status": _("status"), "outcome": _("outcome"), "outcome_reason": _("outcome reason"),
    "recovered_amount": _("recovered"), "assignee_id": _("assignee"), "comment": _("comment"),
    "attachment": _("attachment"), "replaces": _("replaces discrepancy"), "dispute_answer": _("courier's answer"),
    "dispute_id": _("dispute"), "shortfall_amount": _("shortfall"), "shortfall_outcome": _("shortfall outcome"),
    "shortfall_reason": _("shortfall reason"),
    "deleted_at": _("deleted at"), "run": _("run"), "file": _("file"), "lines": _("lines"),
    "billed_total": _("billed total"), "effective_from": _("effective from"), "effective_to": _("effective to"),
    "fee_tolerance_fen": _("fee tolerance (fen)"), "weight_tolerance_g": _("weight tolerance (g)"),
    "volumetric_divisor": _("volumetric divisor"), "ops_edit_own_only": _("ops edit own only"),
}
VALUES = {
    **dict(Discrepancy.Status.choices), **dict(Discrepancy.Outcome.choices),
    **dict(DisputeItem.Answer.choices), "closed": ReconPeriod.Status.CLOSED.label,
    "reopened": Discrepancy.ShortfallOutcome.REOPENED.label,
}


@register.filter
def audit_action(code: str) -> str:
    return ACTIONS.get(code, code)


@register.filter
def audit_field(name: str) -> str:
    return FIELDS.get(name, name)


# Fields whose values are money (stored as "12.50") or moments (stored as UTC ISO text).
MONEY_FIELDS = {"recovered_amount", "shortfall_amount", "billed_total", "amount_at_stake", "credited"}
TIME_FIELDS = {"deleted_at", "closed_at", "answered_at"}


def _money_text(value) -> str | None:
    from decimal import Decimal, InvalidOperation

    try:
        return f"¥{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return None


def _local_time_text(value) -> str | None:
    from datetime import timezone as dt_timezone

    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt_timezone.utc)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


@register.filter
def audit_value(value, field: str = ""):
    """A stored value as a reader wants it: labels for codes, yes/no for booleans, ¥ for money, local time."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field in MONEY_FIELDS and not isinstance(value, bool):
        text = _money_text(value)
        if text:
            return text
    if field in TIME_FIELDS:
        text = _local_time_text(value)
        if text:
            return text
    if field == "status" and value == "open":
        return Discrepancy.Status.OPEN.label
    if not isinstance(value, str):
        return value
    # Type labels come from the kinds' specs, read at render time: they load after this module.
    return VALUES.get(value) or dict(type_choices()).get(value, value)
