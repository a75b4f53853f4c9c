"""Writes on alert rules: create, change, deactivate — each audited — and what each rule type needs to be complete."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from recon.audit.services import audit_record, changes_of, model_values
from recon.kinds import kind_label, type_label

from .alerts import file_kind_choices, yuan_text
from .alerts_models import AlertRule

T = AlertRule.Type
# The parameters each rule type reads; the form and the API refuse a rule without them.
REQUIRED = {
    T.OVERCHARGE_RATE: ("threshold_percent",),
    T.RUN_AT_STAKE: ("threshold_amount",),
    T.DISCREPANCY_AMOUNT: ("type_code", "threshold_amount"),
    T.RECEIVABLES_AGE: ("days", "threshold_amount"),
    T.RUN_FAILED: (),
    T.FILE_MISSING: ("file_kind", "time_of_day"),
}
PARAMETERS = ("threshold_percent", "threshold_amount", "days", "type_code", "kind", "counterparty", "time_of_day", "file_kind")


# The roles (groups) by the names people know them by; the group's name stays the code the API reads and writes.
ROLE_LABELS = {"finance": gettext_lazy("Finance"), "ops": gettext_lazy("Operations"), "manager": gettext_lazy("Manager"),
               "integration": gettext_lazy("Integration"), "auditor": gettext_lazy("Auditor")}


def role_label(name: str) -> str:
    """A role's label in the active language; a group that is not one of the product's roles keeps its name."""
    return str(ROLE_LABELS.get(name, name))


def alert_rule_parameters(*, rule: AlertRule) -> list[str]:
    """The rule's parameters as a reader reads them, in the active language: labels, never codes."""
    out = []
    if rule.threshold_percent is not None:
        out.append(f"{rule.threshold_percent}%")
    if rule.threshold_amount is not None:
        out.append(yuan_text(rule.threshold_amount))
    if rule.days is not None:
        out.append(ngettext("%(days)s day", "%(days)s days", rule.days) % {"days": rule.days})
    if rule.type_code:
        out.append(str(type_label(rule.type_code)))
    if rule.kind:
        out.append(str(kind_label(rule.kind)))
    if rule.counterparty_id:
        out.append(str(rule.counterparty))
    if rule.file_kind:
        out.append(str(dict(file_kind_choices()).get(rule.file_kind, rule.file_kind)))
    if rule.time_of_day is not None:
        out.append(rule.time_of_day.strftime("%H:%M"))
    return out


def alert_rule_problems(*, data: dict) -> dict[str, str]:
    """Field → message for what the rule's type needs and the data lacks, and for a rule nobody would hear of."""
    problems = {}
    for name in REQUIRED.get(data.get("rule_type"), ()):
        if data.get(name) in (None, ""):
            problems[name] = _("This rule type needs this value.")
    for name in ("threshold_percent", "threshold_amount"):
        if data.get(name) is not None and data[name] != "" and data[name] < 0:
            problems[name] = _("A threshold is 0 or more.")
    if not data.get("subscribers") and not data.get("role"):
        problems["subscribers"] = _("Choose the people to notify, or a role.")
    return problems


def _values(rule: AlertRule) -> dict:
    values = model_values(rule)
    values.pop("updated_at", None)  # changes on every save: noise in the trail
    values["subscribers"] = sorted(rule.subscribers.values_list("username", flat=True))
    return values


@transaction.atomic
def alert_rule_create(*, data: dict, subscribers, user) -> AlertRule:
    """Create a rule from cleaned values (its fields, without subscribers) and subscribe the given users."""
    rule = AlertRule.objects.create(**data, created_by=user)
    rule.subscribers.set(subscribers)
    audit_record(user=user, object_type="alert_rule", object_id=rule.id, action="create", changes=changes_of({}, _values(rule)))
    return rule


@transaction.atomic
def alert_rule_update(*, rule: AlertRule, data: dict, subscribers, user) -> AlertRule:
    """Change a rule's fields and subscribers; the trail keeps the old and new values."""
    before = _values(rule)
    for name, value in data.items():
        setattr(rule, name, value)
    rule.save()
    if subscribers is not None:
        rule.subscribers.set(subscribers)
    diff = changes_of(before, _values(rule))
    if diff:
        audit_record(user=user, object_type="alert_rule", object_id=rule.id, action="change", changes=diff)
    return rule


def alert_rule_deactivate(*, rule: AlertRule, user) -> AlertRule:
    """Stop checking a rule; its past alerts stay."""
    return alert_rule_update(rule=rule, data={"active": False}, subscribers=None, user=user)
