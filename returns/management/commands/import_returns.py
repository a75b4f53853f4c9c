import json

from django.core.management.base import CommandError

from couriers.selectors import courier_get
from recon.core.management.base import ServiceCommand
from returns.services import KINDS, returns_file_import


class Command(ServiceCommand):
    help = "Import a returns file: return requests, warehouse receipts, or a courier's return freight (with --courier)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=list(KINDS))
        parser.add_argument("--courier", help="the courier's code; required with --kind freight")
        parser.add_argument("--json", action="store_true", help='print {"file_id", "rows", "rejected", "duplicates"}')

    def handle(self, *args, **o):
        if o["kind"] == "freight" and not o["courier"]:
            raise CommandError("--courier CODE is required with --kind freight: say which courier billed the return freight.")
        courier = courier_get(code=o["courier"]) if o["kind"] == "freight" else None
        try:
            fh = open(o["file"], "rb")
        except OSError as exc:
            raise CommandError(f"cannot open {o['file']}: {exc.strerror}") from exc
        with fh:
            result = returns_file_import(file=fh, filename=o["file"], kind=o["kind"], courier=courier)
        if o["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        note = " (this file was imported before: nothing written)" if result.repeated else ""
        self.stdout.write(f"file #{result.file_id}: rows {result.rows}, rejected {result.rejected}, "
                          f"duplicates {result.duplicates}{note}")
        for r in result.rejected_rows.head(20).itertuples():
            self.stderr.write(f"  rejected: sheet {r.sheet} row {r.row_no}: {r.reason}")
