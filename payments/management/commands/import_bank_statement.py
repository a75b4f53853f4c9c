import json

from django.core.management.base import CommandError

from payments.bank_services import bank_statement_import
from recon.core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = ("Import a bank statement (MT940, CAMT.053, OFX, or a CSV/XLS/XLSX export), recognised by its content; "
            "--account is needed only when the file does not name its account.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--account", default="", help="the account number, when the file does not state it")
        parser.add_argument("--json", action="store_true", help='print {"file_id", "rows", "rejected", "duplicates"}')

    def handle(self, *args, **o):
        try:
            fh = open(o["file"], "rb")
        except OSError as exc:
            raise CommandError(f"cannot open {o['file']}: {exc.strerror}") from exc
        with fh:
            result = bank_statement_import(file=fh, filename=o["file"], account_no=o["account"])
        if o["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        note = " (this file was imported before: nothing written)" if result.repeated else ""
        self.stdout.write(f"file #{result.file_id}: rows {result.rows}, rejected {result.rejected}, "
                          f"duplicates {result.duplicates}{note}")
        for s in result.statements:
            if s["balance_ok"] is False:
                self.stderr.write(f"  balances do not add up: statement {s['statement_ref'] or s['id']} of account "
                                  f"{s['account']}, difference {s['balance_difference']}"
                                  + (f" before line {s['balance_break_ref']}" if s["balance_break_ref"] else ""))
        for r in result.rejected_rows.head(20).itertuples():
            self.stderr.write(f"  rejected: sheet {r.sheet} row {r.row_no}: {r.reason}")
