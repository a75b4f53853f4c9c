"""Alerts (预警): the active rules checked when their data changes, each firing once per rule and period or object.

A check is called at the end of every run (recon.runs.services.run_execute), when records arrive through the API
(the outbound arrival checks) and by beat for what time alone changes (expected files, receivables ageing, disputes
left unanswered) — never on a page load. A firing is an Alert row whose (rule, key) is unique: the insert that loses
to an earlier firing inserts nothing, so a second check of the same data fires nothing. Each new alert becomes a
notification for every subscriber, an email to them and an event in the audit trail.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from recon.audit.services import audit_record_many
from recon.core.models import Discrepancy, Dispute, ReconRun, SourceFile
from recon.kinds import kind_label, kind_specs, type_label

from .alerts_models import Alert, AlertRule, Notification

log = logging.getLogger(__name__)

RUN_FINISHED = "run_finished"
RECORDS_ARRIVED = "records_arrived"
EXPECTED_FILES = "expected_files"
RECEIVABLES = "receivables"
DISPUTES = "disputes"

T = AlertRule.Type
# Which rules each event can cross.
RULES_BY_EVENT = {
    RUN_FINISHED: (T.OVERCHARGE_RATE, T.RUN_AT_STAKE, T.DISCREPANCY_AMOUNT, T.RUN_FAILED),
    RECORDS_ARRIVED: (T.DISCREPANCY_AMOUNT,),
    EXPECTED_FILES: (T.FILE_MISSING,),
    RECEIVABLES: (T.RECEIVABLES_AGE,),
    DISPUTES: (),
}
# The reminder of a dispute left unanswered has no rule behind it: it goes to the managers and the dispute's author.
DISPUTE_UNANSWERED = "dispute_unanswered"
CENT = Decimal("0.01")


def yuan_text(value: Decimal) -> str:
    return f"¥{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def _percent_text(value: Decimal) -> str:
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)}%"


def _money_param(value) -> str:
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)}"


def _file_kind_label(code: str):
    return dict(file_kind_choices()).get(code, code)


# How a stored parameter is shown when the message is read: labels in the reader's language, money as ¥#,##0.00.
SHOWN = {"money": yuan_text, "percent": _percent_text, "kind": kind_label, "type": type_label, "file": _file_kind_label}
# Each alert message: its msgid (translated when read, never when stored) and how its parameters are shown.
MESSAGES = {
    "overcharge_rate": (gettext_noop(
        "%(counterparty)s: overcharge rate %(rate)s in run #%(run)s (%(at_stake)s at stake of %(billed)s billed), "
        "above %(threshold)s."),
        {"rate": "percent", "at_stake": "money", "billed": "money", "threshold": "percent"}),
    "run_at_stake": (gettext_noop("Run #%(run)s (%(kind)s, %(counterparty)s): %(at_stake)s at stake, above %(threshold)s."),
                     {"kind": "kind", "at_stake": "money", "threshold": "money"}),
    # A run of every counterparty at once (outbound) names none: the kind in its place said the kind twice.
    "run_at_stake_all": (gettext_noop("Run #%(run)s (%(kind)s): %(at_stake)s at stake, above %(threshold)s."),
                         {"kind": "kind", "at_stake": "money", "threshold": "money"}),
    "discrepancy_amount": (gettext_noop("%(type)s of %(amount)s on %(ref)s (run #%(run)s), above %(threshold)s."),
                           {"type": "type", "amount": "money", "threshold": "money"}),
    "run_failed": (gettext_noop("Run #%(run)s (%(kind)s, %(counterparty)s) failed: %(error)s"), {"kind": "kind"}),
    "run_failed_all": (gettext_noop("Run #%(run)s (%(kind)s) failed: %(error)s"), {"kind": "kind"}),
    "file_missing": (gettext_noop("No %(file)s arrived by %(time)s on %(day)s."), {"file": "file"}),
    "receivables_age": (gettext_noop("Receivables older than %(days)s days: %(amount)s, above %(threshold)s."),
                        {"amount": "money", "threshold": "money"}),
    DISPUTE_UNANSWERED: (gettext_noop("Dispute %(number)s to %(counterparty)s (%(amount)s claimed) sent on %(day)s has had "
                                      "no answer for %(days)s days."), {"amount": "money"}),
}


def alert_message_text(*, code: str, params: dict, stored: str = "") -> str:
    """An alert's message in the active language; a row without a code (written before codes) shows its stored text."""
    if code not in MESSAGES:
        return stored
    msgid, shown = MESSAGES[code]
    values = {name: SHOWN[shown[name]](value) if name in shown and value not in (None, "") else value
              for name, value in (params or {}).items()}
    try:
        return _(msgid) % values
    except (KeyError, TypeError, ValueError):  # parameters of another version of the message: the stored text still reads
        return stored


@dataclass
class Firing:
    """What a crossed rule would record, before the unique key decides whether it is new."""

    rule: AlertRule | None
    rule_type: str
    key: str
    code: str
    params: dict
    amount: Decimal | None = None
    link: str = ""
    run_id: int | None = None
    # The users told when there is no rule (the dispute reminders); a rule's are its subscribers and its role.
    recipient_ids: set[int] = field(default_factory=set)


def _url(name: str, *args, query: dict | None = None) -> str:
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:  # a kind's page that is not installed
        return ""
    return f"{path}?{urlencode(query)}" if query else path


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "")) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _run_matches(rule: AlertRule, run: ReconRun) -> bool:
    return not rule.kind or rule.kind == run.kind


def _counterparty_text(run: ReconRun) -> str:
    """The run's counterparty, "" for a run of every counterparty at once (outbound: every platform and courier)."""
    return str(run.counterparty) if run.counterparty_id else ""


# --------------------------------------------------------------------------- the checks, one per rule type


def _check_overcharge_rate(rule: AlertRule, *, run: ReconRun | None, objects, now: datetime) -> list[Firing]:
    if run is None or run.status != ReconRun.Status.SUCCEEDED or not _run_matches(rule, run):
        return []
    if rule.counterparty_id and rule.counterparty_id != run.counterparty_id:
        return []
    # Only a kind whose run bills money (courier fees: the bill's total) has a rate; the others never fire this rule.
    billed = _decimal((run.summary or {}).get("billed_total"))
    at_stake = _decimal((run.summary or {}).get("amount_at_stake"))
    if not billed or billed <= 0 or at_stake is None or rule.threshold_percent is None:
        return []
    rate = at_stake * 100 / billed
    if rate <= rule.threshold_percent:
        return []
    # Only a courier bill's run has a billed total, and it always has its courier.
    params = {"counterparty": _counterparty_text(run), "rate": _money_param(rate), "run": run.id,
              "at_stake": _money_param(at_stake), "billed": _money_param(billed),
              "threshold": _money_param(rule.threshold_percent)}
    return [Firing(rule, rule.rule_type, f"run:{run.id}", "overcharge_rate", params, at_stake,
                   _url("discrepancy-list", query={"run": run.id}), run.id)]


def _check_run_at_stake(rule: AlertRule, *, run: ReconRun | None, objects, now: datetime) -> list[Firing]:
    if run is None or run.status != ReconRun.Status.SUCCEEDED or not _run_matches(rule, run) or rule.threshold_amount is None:
        return []
    rows = Discrepancy.objects.filter(run_id=run.id, is_claim=True)
    query = {"run": run.id}
    if rule.counterparty_id:
        rows = rows.filter(counterparty_id=rule.counterparty_id)
        query["courier"] = rule.counterparty.code
    at_stake = rows.order_by().aggregate(total=Sum("amount_at_stake"))["total"] or Decimal("0.00")
    if at_stake <= rule.threshold_amount:
        return []
    counterparty = str(rule.counterparty) if rule.counterparty_id else _counterparty_text(run)
    params = {"run": run.id, "kind": run.kind, "at_stake": _money_param(at_stake),
              "threshold": _money_param(rule.threshold_amount)}
    code = "run_at_stake" if counterparty else "run_at_stake_all"
    if counterparty:
        params["counterparty"] = counterparty
    return [Firing(rule, rule.rule_type, f"run:{run.id}", code, params, at_stake, _url("discrepancy-list", query=query), run.id)]


def _check_discrepancy_amount(rule: AlertRule, *, run: ReconRun | None, objects, now: datetime) -> list[Firing]:
    if rule.threshold_amount is None or not rule.type_code:
        return []
    if objects is not None:
        rows = Discrepancy.objects.filter(id__in=list(objects))
    elif run is not None and run.status == ReconRun.Status.SUCCEEDED:
        rows = Discrepancy.objects.filter(run_id=run.id)
    else:
        return []
    rows = rows.filter(is_current=True, type=rule.type_code, amount_at_stake__gt=rule.threshold_amount)
    if rule.kind:
        rows = rows.filter(kind=rule.kind)
    if rule.counterparty_id:
        rows = rows.filter(counterparty_id=rule.counterparty_id)
    out = []
    for d in rows.order_by("-amount_at_stake", "id").values("id", "kind", "ref", "counterparty_id", "carry_key", "amount_at_stake", "run_id"):
        # The same discrepancy found again (by the day's full run after an arrival check, or a rerun) keeps its carry key.
        identity = d["carry_key"] or f"id:{d['id']}"
        params = {"type": rule.type_code, "amount": _money_param(d["amount_at_stake"]), "ref": d["ref"], "run": d["run_id"],
                  "threshold": _money_param(rule.threshold_amount)}
        out.append(Firing(rule, rule.rule_type, f"d:{d['kind']}:{d['counterparty_id'] or 0}:{identity}"[:200],
                          "discrepancy_amount", params,
                          d["amount_at_stake"], _url("discrepancy-detail", d["id"]), d["run_id"]))
    return out


def _check_run_failed(rule: AlertRule, *, run: ReconRun | None, objects, now: datetime) -> list[Firing]:
    if run is None or run.status != ReconRun.Status.FAILED or not _run_matches(rule, run):
        return []
    if rule.counterparty_id and rule.counterparty_id != run.counterparty_id:
        return []
    counterparty = _counterparty_text(run)
    params = {"run": run.id, "kind": run.kind, "error": run.error[:300]}
    if counterparty:
        params["counterparty"] = counterparty
    return [Firing(rule, rule.rule_type, f"run:{run.id}", "run_failed" if counterparty else "run_failed_all", params, None, _url("run-detail", run.id), run.id)]


def file_kind_choices() -> list[tuple[str, object]]:
    """The source file kinds every kind declares (an expected file is one of them)."""
    out: dict[str, object] = {}
    for spec in kind_specs().values():
        for code, label in spec.source_file_kinds:
            out.setdefault(code, label)
    return list(out.items())


def _check_file_missing(rule: AlertRule, *, run: ReconRun | None, objects, now: datetime) -> list[Firing]:
    if not rule.file_kind or rule.time_of_day is None:
        return []
    local = timezone.localtime(now)
    if local.time() < rule.time_of_day:
        return []
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    files = SourceFile.objects.filter(file_kind=rule.file_kind, deleted_at__isnull=True, uploaded_at__gte=day_start)
    if rule.counterparty_id:
        files = files.filter(counterparty_id=rule.counterparty_id)
    if files.exists():
        return []
    params = {"file": rule.file_kind, "time": rule.time_of_day.strftime("%H:%M"), "day": local.date().isoformat()}
    return [Firing(rule, rule.rule_type, f"file:{local.date().isoformat()}", "file_missing", params, None, "")]


def _check_receivables_age(rule: AlertRule, *, run: ReconRun | None, objects, now: datetime) -> list[Firing]:
    if rule.days is None or rule.threshold_amount is None:
        return []
    today = timezone.localtime(now).date()
    total, link = Decimal("0.00"), ""
    for spec in kind_specs().values():
        hook = spec.hook("receivables_by_age")
        if hook is not None:
            total += hook(older_than_days=rule.days, today=today)
            link = link or _url("receivable-list")
    if total <= rule.threshold_amount:
        return []
    params = {"days": rule.days, "amount": _money_param(total), "threshold": _money_param(rule.threshold_amount)}
    # Once a month while it stays above: the month is the period the rule fires for.
    return [Firing(rule, rule.rule_type, f"receivables:{today:%Y-%m}", "receivables_age", params, total, link)]


CHECKS = {
    T.OVERCHARGE_RATE: _check_overcharge_rate,
    T.RUN_AT_STAKE: _check_run_at_stake,
    T.DISCREPANCY_AMOUNT: _check_discrepancy_amount,
    T.RUN_FAILED: _check_run_failed,
    T.FILE_MISSING: _check_file_missing,
    T.RECEIVABLES_AGE: _check_receivables_age,
}


def _dispute_reminders(now: datetime) -> list[Firing]:
    days = settings.REPORTS_DISPUTE_REMINDER_DAYS
    User = get_user_model()
    managers = set(User.objects.filter(groups__name="manager", is_active=True).values_list("id", flat=True))
    out = []
    waiting = (Dispute.objects.filter(status=Dispute.Status.SENT, created_at__lte=now - timedelta(days=days))
               .order_by("created_at", "id")
               .values("id", "number", "counterparty__code", "counterparty__name", "amount_claimed", "created_at", "created_by_id"))
    for d in waiting:
        params = {"number": d["number"], "counterparty": f"{d['counterparty__code']} {d['counterparty__name']}",
                  "amount": _money_param(d["amount_claimed"]), "day": timezone.localtime(d["created_at"]).date().isoformat(),
                  "days": (now - d["created_at"]).days}
        recipients = managers | ({d["created_by_id"]} if d["created_by_id"] else set())
        out.append(Firing(None, DISPUTE_UNANSWERED, f"dispute:{d['id']}", DISPUTE_UNANSWERED, params, d["amount_claimed"],
                          _url("dispute-detail", d["id"]), None, recipients))
    return out


# --------------------------------------------------------------------------- check and fire


def alerts_check(*, event: str, run: ReconRun | None = None, objects=None, now: datetime | None = None) -> list[Alert]:
    """Check the active rules the event concerns and fire those crossed for a period or object not fired before."""
    if event not in RULES_BY_EVENT:
        raise ValueError(f"unknown alert event {event!r}")
    now = now or timezone.now()
    if run is not None:
        run = ReconRun.objects.select_related("counterparty").get(id=run.id)  # its final status and summary
    firings = _dispute_reminders(now) if event == DISPUTES else []
    rules = (AlertRule.objects.filter(active=True, rule_type__in=RULES_BY_EVENT[event])
             .select_related("counterparty").order_by("id"))
    for rule in rules:
        firings += CHECKS[rule.rule_type](rule, run=run, objects=objects, now=now)
    return alerts_fire(firings=firings)


def _rule_recipients(rules: list[AlertRule]) -> dict[int, set[int]]:
    User = get_user_model()
    out: dict[int, set[int]] = {}
    for rule in rules:
        who = Q(alert_rules=rule) | (Q(groups=rule.role_id) if rule.role_id else Q(pk__in=[]))
        out[rule.id] = set(User.objects.filter(who, is_active=True).values_list("id", flat=True).distinct())
    return out


def alerts_fire(*, firings: list[Firing]) -> list[Alert]:
    """Record the firings whose (rule, key) is new, with a notification and an email per subscriber and an audit event."""
    if not firings:
        return []
    token = uuid.uuid4()
    with transaction.atomic():
        # A key fired before (by an earlier check, or a concurrent one) conflicts and inserts nothing.
        # The stored text (the trail's and the admin search's) is in the product's language; readers get `Alert.text`.
        with translation.override(settings.LANGUAGE_CODE):
            Alert.objects.bulk_create([
                Alert(rule=f.rule, rule_type=f.rule_type, key=f.key, message_code=f.code, message_params=f.params,
                      message=alert_message_text(code=f.code, params=f.params), amount=f.amount, link=f.link,
                      run_id=f.run_id, check_token=token) for f in firings
            ], ignore_conflicts=True, batch_size=1000)
        fired = list(Alert.objects.filter(check_token=token).select_related("rule").order_by("id"))
        if not fired:
            return []
        by_key = {(f.rule.id if f.rule else f.rule_type, f.key): f for f in firings}
        rules = {a.rule_id: a.rule for a in fired if a.rule_id}
        rule_users = _rule_recipients(list(rules.values()))
        recipients = {a.id: rule_users[a.rule_id] if a.rule_id else by_key[(a.rule_type, a.key)].recipient_ids for a in fired}
        Notification.objects.bulk_create([Notification(user_id=u, alert=a) for a in fired for u in sorted(recipients[a.id])],
                                         batch_size=2000)
        audit_record_many(user=None, object_type="alert", action="fire", rows=[
            (a.id, {"rule": [None, a.rule.name if a.rule else a.rule_type], "key": [None, a.key],
                    "amount": [None, None if a.amount is None else f"{a.amount:.2f}"]}) for a in fired
        ], note="")
    _alerts_email(alerts=fired, recipients=recipients)
    return fired


def _alerts_email(*, alerts: list[Alert], recipients: dict[int, set[int]]) -> None:
    """One email per alert to its recipients who have an address; a mail server that is down loses no alert."""
    User = get_user_model()
    everyone = set().union(*recipients.values())
    addresses = dict(User.objects.filter(id__in=everyone).exclude(email="").values_list("id", "email"))
    messages = []
    # The product keeps no language per user: every recipient reads the product's language.
    with translation.override(settings.LANGUAGE_CODE):
        for alert in alerts:
            to = sorted({addresses[u] for u in recipients[alert.id] if u in addresses})
            if not to:
                continue
            title = alert.rule.name if alert.rule else _("Dispute unanswered")
            body = alert.text
            if alert.link:
                body += "\n\n" + settings.REPORTS_SITE_URL + alert.link
            messages.append(mail.EmailMessage(subject=_("[Reconciliation alert] %(title)s") % {"title": title}, body=body,
                                              to=to))
    if not messages:
        return
    try:
        mail.get_connection().send_messages(messages)
    except Exception:  # the alert and its notifications are saved; the mail server's trouble is logged, not raised
        log.exception("alert emails could not be sent")
