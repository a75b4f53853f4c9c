"""Starting runs of any kind for a range of days: the one reading of dates, as-of and kind options that
`manage.py reconcile`, the API (POST /api/v1/runs/) and the runs page share, and the service they all call.

Each caller names the values as its user typed them ("--from" on the command line, "from" in JSON), so every
message speaks the caller's language of names. No kind is imported: the kind's spec says what it takes.
"""
from __future__ import annotations

from datetime import date, datetime, time as dtime
from typing import Any, Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recon.core.errors import UserFacingError
from recon.core.models import Counterparty, ReconRun
from recon.kinds import KindSpec, UnknownKind, kind_spec, kind_specs


class RunStartError(UserFacingError):
    """A request to start runs that cannot be read or has nothing to run (the kind's own errors stay UserFacingError)."""


def startable_kinds() -> list[KindSpec]:
    """The kinds that can be reconciled for any range of days (those declaring a reconcile hook)."""
    return [spec for spec in kind_specs().values() if spec.reconcile]


def startable_kind(code: str) -> KindSpec:
    """The spec of a kind that can be started for a range; an unknown kind or one without the hook is an error."""
    try:
        spec = kind_spec(code)
    except UnknownKind:
        raise RunStartError("unknown_kind", _("Unknown reconciliation kind “%(kind)s”; known kinds: %(known)s.")
                            % {"kind": code, "known": ", ".join(kind_specs())}) from None
    if not spec.reconcile:
        raise RunStartError("kind_not_startable", _("The kind “%(kind)s” cannot be reconciled for a range of days.")
                            % {"kind": spec.code})
    return spec


def day_parse(value: Any, *, name: str) -> date:
    """A day written YYYY-MM-DD."""
    if value is None or value == "":
        raise RunStartError("date_missing", _("%(option)s is missing: use YYYY-MM-DD.") % {"option": name})
    try:
        return date.fromisoformat(value)
    except (ValueError, TypeError):
        raise RunStartError("invalid_date", _("%(option)s “%(value)s” is not a date: use YYYY-MM-DD.")
                            % {"option": name, "value": value}) from None


def range_parse(first: Any, last: Any, *, names: tuple[str, str]) -> tuple[date, date]:
    """The first and last day of a range, both inclusive, the last not before the first."""
    start, end = day_parse(first, name=names[0]), day_parse(last, name=names[1])
    if end < start:
        raise RunStartError("range_reversed", _("%(last)s is before %(first)s.") % {"last": names[1], "first": names[0]})
    return start, end


def as_of_parse(value: Any, *, name: str) -> datetime | None:
    """'YYYY-MM-DD HH:MM' in local time; a bare day means the end of that day; nothing means no as-of."""
    if value is None or value == "":
        return None
    text = value.strip() if isinstance(value, str) else ""
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), dtime(23, 59, 59))
        else:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        raise RunStartError("invalid_as_of", _("%(option)s “%(value)s” is not valid: use “YYYY-MM-DD” or “YYYY-MM-DD HH:MM”.")
                            % {"option": name, "value": value}) from None
    return timezone.make_aware(moment)


def kind_options_parse(spec: KindSpec, given: Mapping[str, Any], *, by: str) -> dict[str, Any]:
    """The kind's options from the values given, keyed by each option's `flag` or `dest` (`by`): {dest: value}."""
    declared = {getattr(option, by): option for option in spec.reconcile_options}
    values = {}
    for name, raw in given.items():
        option = declared.get(name)
        if option is None:
            raise RunStartError("option_not_taken", _("The kind “%(kind)s” does not take %(option)s.")
                                % {"kind": spec.code, "option": name})
        # JSON may carry a number where the command line carries its text; the option's type reads the text.
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            raw = repr(raw)
        try:
            values[option.dest] = option.type(str(raw).strip())
        except (ValueError, TypeError):
            raise RunStartError("invalid_option", _("%(option)s “%(value)s” is not valid.")
                                % {"option": name, "value": raw}) from None
    return values


def run_start(*, spec: KindSpec, start: date, end: date, as_of: datetime | None, counterparty_code: str = "",
              options: Mapping[str, Any] | None = None, user=None, enqueue: bool = True) -> list[ReconRun]:
    """Start the kind's runs for [start, end] through its reconcile hook: all of them or none."""
    # PostgreSQL refuses a NUL byte in a query: such a code is simply no counterparty's.
    if counterparty_code and ("\x00" in counterparty_code or not Counterparty.objects.filter(code=counterparty_code).exists()):
        raise RunStartError("unknown_counterparty", _("Unknown counterparty “%(code)s”.") % {"code": counterparty_code})
    # An error half-way through leaves nothing behind (a queued run is sent on commit).
    with transaction.atomic():
        runs = spec.hook("reconcile")(counterparty_code=counterparty_code, start=start, end=end, as_of=as_of, user=user,
                                      enqueue=enqueue, **dict(options or {}))
        if not runs:
            raise RunStartError("nothing_to_reconcile", _("Nothing to reconcile for “%(kind)s” from %(start)s to %(end)s.")
                                % {"kind": spec.code, "start": start, "end": end})
    return runs


# The fields of a request to start runs, as the API's JSON and the runs page's form name them; anything else is
# one of the kind's options by its dest name.
REQUEST_FIELDS = ("kind", "from", "to", "as_of", "counterparty")


def run_start_request(*, data: Mapping[str, Any], user, names: Mapping[str, str] | None = None) -> list[ReconRun]:
    """Start runs from a request named as the API names it: kind, from, to, as_of, counterparty, options by dest.

    `names` says how messages call "from", "to" and "as_of" (the runs page uses its fields' labels).
    """
    names = {"from": "from", "to": "to", "as_of": "as_of", **(names or {})}
    kind = data.get("kind")
    spec = startable_kind(kind if isinstance(kind, str) else "")
    start, end = range_parse(data.get("from"), data.get("to"), names=(names["from"], names["to"]))
    as_of = as_of_parse(data.get("as_of"), name=names["as_of"])
    options = kind_options_parse(spec, {k: v for k, v in data.items() if k not in REQUEST_FIELDS and v not in (None, "")},
                                 by="dest")
    counterparty = data.get("counterparty") or ""
    if not isinstance(counterparty, str):
        counterparty = str(counterparty)
    return run_start(spec=spec, start=start, end=end, as_of=as_of, counterparty_code=counterparty.strip(), options=options,
                     user=user, enqueue=True)
