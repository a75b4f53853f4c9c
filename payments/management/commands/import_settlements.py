import json

from django.core.management.base import CommandError

from payments.settlement_services import platform_for, settlement_file_import
from recon.core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = ("Import a platform's settlement file (平台结算/账务明细): Alipay's account detail, WeChat Pay's merchant bill, "
            "Alipay's or WeChat's personal export, or any ledger with a serial, a time and amounts.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True, help="the platform's code (TMALL, JD, PDD …) or name")
        parser.add_argument("--shop", default="", help="the shop the platform account belongs to")
        parser.add_argument("--json", action="store_true", help='print {"file_id", "rows", "rejected", "duplicates"}')

    def handle(self, *args, **o):
        platform = platform_for(o["platform"])
        try:
            fh = open(o["file"], "rb")
        except OSError as exc:
            raise CommandError(f"cannot open {o['file']}: {exc.strerror}") from exc
        with fh:
            result = settlement_file_import(file=fh, filename=o["file"], platform=platform, shop=o["shop"].strip())
        if o["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        note = " (this file was imported before: nothing written)" if result.repeated else ""
        self.stdout.write(f"file #{result.file_id} ({result.format}): rows {result.rows}, rejected {result.rejected}, "
                          f"duplicates {result.duplicates}{note}")
        for r in result.rejected_rows.head(20).itertuples():
            self.stderr.write(f"  rejected: sheet {r.sheet} row {r.row_no}: {r.reason}")
