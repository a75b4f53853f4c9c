from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation

from recon.core.management.base import ServiceCommand
from recon.core.models import Discrepancy, ReconRun
from reports.exports import discrepancies_csv, discrepancies_xlsx


class Command(ServiceCommand):
    help = "Write a run's discrepancies to CSV or XLSX, one row per discrepancy."

    def add_arguments(self, parser):
        parser.add_argument("run_id", type=int)
        parser.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
        parser.add_argument("-o", "--output", required=True, help="file to write")

    def handle(self, *args, **o):
        run = ReconRun.objects.filter(id=o["run_id"]).first()
        if run is None:
            raise CommandError(f"run #{o['run_id']} does not exist")
        if run.status != ReconRun.Status.SUCCEEDED:
            raise CommandError(f"run #{run.id} is {run.status}; only finished runs have discrepancies")
        qs = Discrepancy.objects.filter(run=run)
        if o["format"] == "csv":
            data = discrepancies_csv(qs)
        else:
            # No request says who reads the file: the product's default language, whatever the shell's locale.
            with translation.override(settings.LANGUAGE_CODE):
                data = discrepancies_xlsx(qs)
        try:
            Path(o["output"]).write_bytes(data)
        except OSError as exc:
            raise CommandError(f"cannot write {o['output']}: {exc.strerror}") from exc
        self.stdout.write(f"{qs.count()} discrepancies written to {o['output']}")
