import json

from django.core.management.base import CommandError

from orders.selectors import platform_by_name
from orders.services import orders_file_import
from recon.core.errors import UserFacingError
from recon.core.management.base import ServiceCommand
from django.utils.translation import gettext as _


class Command(ServiceCommand):
    help = "Import a platform's or an ERP's orders file (one row per order line, or one per order)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", help="the platform's code or name; required when the file has no 平台 column")
        parser.add_argument("--json", action="store_true", help='print {"file_id", "rows", "rejected", "duplicates"}')

    def handle(self, *args, **o):
        platform = None
        if o["platform"]:
            platform = platform_by_name(text=o["platform"])
            if platform is None:
                raise UserFacingError("platform_unknown", _("No platform has the code or name “%(name)s”.") % {"name": o["platform"]})
        try:
            fh = open(o["file"], "rb")
        except OSError as exc:
            raise CommandError(f"cannot open {o['file']}: {exc.strerror}") from exc
        with fh:
            result = orders_file_import(file=fh, filename=o["file"], platform=platform)
        if o["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        note = " (this file was imported before: nothing written)" if result.repeated else ""
        self.stdout.write(f"file #{result.file_id}: rows {result.rows}, rejected {result.rejected}, "
                          f"duplicates {result.duplicates}{note}")
        for r in result.rejected_rows.head(20).itertuples():
            self.stderr.write(f"  rejected: sheet {r.sheet} row {r.row_no}: {r.reason}")
