import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from recon.core.management.base import ServiceCommand

REPORTS = ("period",)
FORMATS = ("xlsx", "pdf", "csv")


def write_period_report(*, period: str, counterparty: str | None, fmt: str, target) -> None:
    """The period report in one format into a path or binary file object."""
    from reports.period import period_report_csv, period_report_xlsx

    if fmt == "xlsx":
        period_report_xlsx(period=period, counterparty=counterparty, target=target)
    elif fmt == "csv":
        period_report_csv(period=period, counterparty=counterparty, target=target)
    else:
        from reports.pdf import period_summary_pdf

        data = period_summary_pdf(period=period, counterparty=counterparty)
        if isinstance(target, (str, os.PathLike)):
            Path(target).write_bytes(data)
        else:
            target.write(data)


class Command(ServiceCommand):
    help = "Write a report (period: a month's cover, a sheet per discrepancy type, rejected rows, run parameters)."

    def add_arguments(self, parser):
        parser.add_argument("report", help="period")
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--counterparty", default=None, help="a counterparty's code")
        parser.add_argument("--format", default="xlsx", help="xlsx, pdf or csv")
        parser.add_argument("-o", "--output", required=True, help="file to write")
        parser.add_argument("--json", action="store_true", help="also print the cover's figures as one JSON object")

    def handle(self, *args, **o):
        # No request says who reads the file: the product's language, whatever the shell's locale.
        with translation.override(settings.LANGUAGE_CODE):
            self._handle(**o)

    def _handle(self, **o):
        from reports.period import period_cover_json, period_cover_rows, period_scope

        if o["report"] not in REPORTS:
            raise CommandError(_("Unknown report “%(report)s”; known reports: %(known)s.") % {"report": o["report"], "known": ", ".join(REPORTS)})
        if o["format"] not in FORMATS:
            raise CommandError(_("Unknown format “%(format)s”; use xlsx, pdf or csv.") % {"format": o["format"]})
        # Checked before anything is written: a bad period or counterparty leaves no file behind.
        scope = period_scope(period=o["period"], counterparty=o["counterparty"])
        output = Path(o["output"])
        tmp = None
        try:
            # Written beside the target and renamed at the end: a failure halfway leaves no partial file.
            fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=".export-", suffix=output.suffix)
            os.close(fd)
            write_period_report(period=scope.label, counterparty=o["counterparty"], fmt=o["format"], target=tmp)
            os.replace(tmp, output)
        except OSError as exc:
            raise CommandError(_("Cannot write %(path)s: %(error)s") % {"path": o["output"], "error": exc.strerror}) from exc
        finally:
            if tmp and os.path.exists(tmp):
                os.unlink(tmp)
        if o["json"]:
            _rows, overall = period_cover_rows(scope=scope)
            self.stdout.write(period_cover_json(overall))
        else:
            self.stdout.write(_("Period report %(period)s written to %(path)s") % {"period": scope.label, "path": o["output"]})
