"""`manage.py reconcile KIND`: reconcile a kind's stored sources again for a period, whatever the kind.

The command knows no kind: it calls the `reconcile` hook the kind's spec declares.
"""
import json
import time
from datetime import date, timedelta

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from recon.runs import services as run_services
from recon.kinds import kind_specs
from recon.core.management.base import ServiceCommand
from recon.core.models import ReconRun
from recon.runs.selectors import run_result
from recon.runs.start import RunStartError, as_of_parse, kind_options_parse, range_parse, run_start, startable_kind


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
                    # Read as text here and by the kind's type in recon.runs.start, as the API and the runs page read it.
                    parser.add_argument(option.flag, dest=f"kind_option_{option.dest}", metavar=option.metavar or None,
                                        help=str(option.help))

    def handle(self, *args, **o):
        try:
            runs = self.start(o)
        except RunStartError as exc:
            # The core's own refusals read as the command's other mistakes; a kind's errors keep their code.
            raise CommandError(exc.message) from None
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

    def start(self, o) -> list[ReconRun]:
        spec = startable_kind(o["kind"])
        given = {}
        for other in kind_specs().values():
            for option in other.reconcile_options:
                if o.get(f"kind_option_{option.dest}") is not None:
                    given[option.flag] = o[f"kind_option_{option.dest}"]
        options = kind_options_parse(spec, given, by="flag")
        start, end = self.dates(o)
        as_of = as_of_parse(o["as_of"], name="--as-of")
        return run_start(spec=spec, start=start, end=end, as_of=as_of, counterparty_code=o["counterparty"] or "",
                         options=options, user=None, enqueue=not o["sync"])

    def dates(self, o) -> tuple[date, date]:
        if o["period"] and (o["date_from"] or o["date_to"]):
            raise CommandError(_("Give either --period or --from/--to, not both."))
        if o["period"]:
            return period_dates(o["period"])
        if not (o["date_from"] and o["date_to"]):
            raise CommandError(_("Give --period, or both --from and --to."))
        return range_parse(o["date_from"], o["date_to"], names=("--from", "--to"))

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
