"""`manage.py reconcile KIND`: reconcile a kind's stored sources again for a period, whatever the kind.

The command knows no kind: it calls the `reconcile` hook the kind's spec declares.
"""
import json
import time
from datetime import date, datetime, time as dtime, timedelta

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recon.runs import services as run_services
from recon.kinds import UnknownKind, kind_spec, kind_specs
from recon.core.management.base import ServiceCommand
from recon.core.models import Counterparty, ReconRun
from recon.runs.selectors import run_result


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("%(option)s “%(value)s” is not a date: use YYYY-MM-DD.") % {"option": option, "value": value}) from None


def period_dates(period: str) -> tuple[date, date]:
    """YYYY-MM (a month), YYYY-Www (an ISO week) or YYYY-MM-DD (a day) → its first and last day."""
    text = period.strip()
    try:
        if "-W" in text.upper():
            year, week = text.upper().split("-W", 1)
            return date.fromisocalendar(int(year), int(week), 1), date.fromisocalendar(int(year), int(week), 7)
        if text.count("-") == 2:
            day = date.fromisoformat(text)
            return day, day
        year, month = (int(x) for x in text.split("-"))
        start = date(year, month, 1)
        nxt = date(year + month // 12, month % 12 + 1, 1)
        return start, nxt - timedelta(days=1)
    except (ValueError, TypeError):
        raise CommandError(
            _("Period “%(period)s” is not valid: use YYYY-MM (a month), YYYY-Www (an ISO week) or YYYY-MM-DD (a day).")
            % {"period": period}) from None


def as_of_datetime(value: str) -> datetime:
    """'YYYY-MM-DD HH:MM' in local time; a bare day means the end of that day."""
    text = value.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), dtime(23, 59, 59))
        else:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        raise CommandError(_("--as-of “%(value)s” is not valid: use “YYYY-MM-DD” or “YYYY-MM-DD HH:MM”.") % {"value": value}) from None
    return timezone.make_aware(moment)


class Command(ServiceCommand):
    help = (
        "Reconcile one kind again for a period: every stored source of the period (per counterparty, or all of them) "
        "gets a new run, and the work done on its discrepancies carries over. Dates are inclusive, in local time. "
        "--as-of is stored on each run (run.params['as_of']); courier-fee matching does not use it yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="kind code, e.g. courier_fee")
        parser.add_argument("--period", help="YYYY-MM (a month), YYYY-Www (an ISO week) or YYYY-MM-DD (a day)")
        parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day (with --to)")
        parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day, inclusive (with --from)")
        parser.add_argument("--counterparty", help="counterparty code, e.g. ZTO (default: every counterparty)")
        parser.add_argument("--as-of", dest="as_of", help="'YYYY-MM-DD[ HH:MM]', local time; stored on the run")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--sync", action="store_true", help="reconcile in this process (no worker needed)")
        mode.add_argument("--wait", action="store_true", help="queue for the worker and wait for each run")
        parser.add_argument("--timeout", type=int, default=1800, help="seconds --wait waits (default 1800)")
        parser.add_argument("--json", action="store_true", help="print one JSON object per run, one per line")
        # Options some kinds take (KindSpec.reconcile_options), each declared once whatever the number of kinds.
        seen = set()
        for spec in kind_specs().values():
            for option in spec.reconcile_options:
                if option.flag not in seen:
                    seen.add(option.flag)
                    parser.add_argument(option.flag, dest=f"kind_option_{option.dest}", type=option.type,
                                        metavar=option.metavar or None, help=str(option.help))

    def handle(self, *args, **o):
        try:
            spec = kind_spec(o["kind"])
        except UnknownKind:
            raise CommandError(_("Unknown reconciliation kind “%(kind)s”; known kinds: %(known)s.")
                               % {"kind": o["kind"], "known": ", ".join(kind_specs())}) from None
        hook = spec.hook("reconcile")
        if hook is None:
            raise CommandError(_("The kind “%(kind)s” cannot be reconciled from the command line.") % {"kind": spec.code})
        extra = {}
        declared = {option.flag: option for option in spec.reconcile_options}
        for other in kind_specs().values():
            for option in other.reconcile_options:
                if o.get(f"kind_option_{option.dest}") is None:
                    continue
                if option.flag not in declared:
                    raise CommandError(_("The kind “%(kind)s” does not take %(option)s.") % {"kind": spec.code, "option": option.flag})
                extra[option.dest] = o[f"kind_option_{option.dest}"]
        start, end = self.dates(o)
        as_of = as_of_datetime(o["as_of"]) if o["as_of"] else None
        code = o["counterparty"]
        if code and not Counterparty.objects.filter(code=code).exists():
            raise CommandError(_("Unknown counterparty “%(code)s”.") % {"code": code})
        # All runs or none: an error half-way through leaves nothing behind (a queued run is sent on commit).
        with transaction.atomic():
            runs = hook(counterparty_code=code or "", start=start, end=end, as_of=as_of, user=None, enqueue=not o["sync"], **extra)
            if not runs:
                raise CommandError(_("Nothing to reconcile for “%(kind)s” from %(start)s to %(end)s.")
                                   % {"kind": spec.code, "start": start, "end": end})
        if o["sync"]:
            for run in runs:
                run_services.run_execute(run_id=run.id)
        elif o["wait"]:
            self.wait(runs, o["timeout"])
        failed = False
        for run in runs:
            run.refresh_from_db()
            failed = failed or run.status == ReconRun.Status.FAILED
            self.report(run, o["json"])
        if failed:
            raise CommandError(_("At least one run failed."))

    def dates(self, o) -> tuple[date, date]:
        if o["period"] and (o["date_from"] or o["date_to"]):
            raise CommandError(_("Give either --period or --from/--to, not both."))
        if o["period"]:
            return period_dates(o["period"])
        if not (o["date_from"] and o["date_to"]):
            raise CommandError(_("Give --period, or both --from and --to."))
        start, end = _day(o["date_from"], "--from"), _day(o["date_to"], "--to")
        if end < start:
            raise CommandError(_("--to is before --from."))
        return start, end

    def wait(self, runs, timeout: int) -> None:
        deadline = time.monotonic() + timeout
        pending = {run.id for run in runs}
        while pending:
            finished = ReconRun.objects.filter(id__in=pending, status__in=[ReconRun.Status.SUCCEEDED, ReconRun.Status.FAILED])
            pending -= set(finished.values_list("id", flat=True))
            if not pending:
                return
            if time.monotonic() > deadline:
                raise CommandError(_("Run(s) %(ids)s did not finish within %(seconds)s s (is a worker running?)")
                                   % {"ids": ", ".join(f"#{i}" for i in sorted(pending)), "seconds": timeout})
            time.sleep(0.3)

    def report(self, run, as_json: bool) -> None:
        data = run_result(run=run)
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        if run.status == ReconRun.Status.FAILED:
            self.stderr.write(f"run #{run.id} failed: {run.error_code}: {run.error}")
            return
        self.stdout.write(f"run #{run.id} {run.kind} {run.period_start}..{run.period_end}: {run.status}")
        for t, v in data["by_type"].items():
            if v["count"]:
                self.stdout.write(f"  {t:<28} {v['count']:>8}  ¥{v['amount_at_stake']}")
