import json

from django.core.management.base import CommandError

from orders.services import shipment_import
from recon.core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Import our shipments from CSV/XLSX; a known waybill is updated, never duplicated."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")

    def handle(self, *args, **o):
        try:
            fh = open(o["file"], "rb")
        except OSError as exc:
            raise CommandError(f"cannot open {o['file']}: {exc.strerror}") from exc
        with fh:
            result = shipment_import(file=fh, filename=o["file"])
        if o["json"]:
            self.stdout.write(json.dumps({**result.as_dict(), "source_id": result.source_id}, ensure_ascii=False, default=str))
            return
        self.stdout.write(f"created {result.created}, updated {result.updated}, rejected {len(result.rejected)}")
        for r in result.rejected.head(20).itertuples():
            self.stderr.write(f"  rejected: sheet {r.sheet} row {r.row_no}: {r.reason}")
