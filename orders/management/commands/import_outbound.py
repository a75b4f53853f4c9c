import json

from django.core.management.base import CommandError

from orders.outbound_services import KINDS, outbound_file_import
from recon.core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Import a warehouse's outbound records (出库单) or a courier's pickup scans (揽收记录)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=list(KINDS))
        parser.add_argument("--json", action="store_true", help='print {"file_id", "rows", "rejected", "duplicates"}')

    def handle(self, *args, **o):
        try:
            fh = open(o["file"], "rb")
        except OSError as exc:
            raise CommandError(f"cannot open {o['file']}: {exc.strerror}") from exc
        with fh:
            result = outbound_file_import(file=fh, filename=o["file"], kind=o["kind"])
        if o["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        note = " (this file was imported before: nothing written)" if result.repeated else ""
        self.stdout.write(f"file #{result.file_id}: rows {result.rows}, rejected {result.rejected}, "
                          f"duplicates {result.duplicates}{note}")
        for r in result.rejected_rows.head(20).itertuples():
            self.stderr.write(f"  rejected: sheet {r.sheet} row {r.row_no}: {r.reason}")
