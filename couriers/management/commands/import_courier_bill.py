import json
import sys
import time

from django.core.management.base import CommandError

from couriers.selectors import courier_get
from couriers.services import BillSubmission, courier_bill_submit
from recon.runs import services as run_services
from recon.core.errors import UserFacingError
from recon.core.management.base import ServiceCommand
from recon.core.models import ReconRun
from recon.runs.selectors import run_result


class Command(ServiceCommand):
    help = "Import a courier bill (CSV/XLSX/XLS) for a period and reconcile it."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--courier", required=True, help="courier code, e.g. ZTO")
        parser.add_argument("--period", required=True, help="YYYY-MM, or YYYY-MM-DD..YYYY-MM-DD")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--sync", action="store_true", help="reconcile in this process (no worker needed)")
        mode.add_argument("--wait", action="store_true", help="queue for the worker and wait for it")
        parser.add_argument("--timeout", type=int, default=1800, help="seconds --wait waits (default 1800)")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=HEADER",
                            help="use this column for a field (waybill_no, billed_fee, billed_weight, province, billed_at)")
        parser.add_argument("--json", action="store_true", help="print one JSON object and nothing else on stdout")
        second = parser.add_mutually_exclusive_group()
        second.add_argument("--replace", nargs="?", const=0, type=int, default=None, metavar="BILL_ID",
                            help="a second bill of the period replaces the earlier one (name it when the period has several)")
        second.add_argument("--supplement", action="store_true",
                            help="a second bill of the period is a supplementary bill (补充账单); both count")
        parser.add_argument("--rerun", action="store_true",
                            help="if this file's earlier run failed (worker lost, database down …), run it again")

    def handle(self, *args, **o):
        mapping = {}
        for item in o["map"]:
            if "=" not in item:
                raise CommandError(f"--map {item!r}: use FIELD=HEADER")
            k, v = item.split("=", 1)
            mapping[k.strip()] = v.strip()
        try:
            fh = open(o["file"], "rb")
        except OSError as exc:
            raise CommandError(f"cannot open {o['file']}: {exc.strerror}") from exc
        try:
            with fh:
                submission = courier_bill_submit(
                    file=fh, filename=o["file"], courier=courier_get(code=o["courier"]), period=o["period"],
                    mapping=mapping, enqueue=not o["sync"],
                    mode="replace" if o["replace"] is not None else ("supplement" if o["supplement"] else ""),
                    replaces=o["replace"] or None,
                )
        except UserFacingError as exc:
            if not o["json"]:
                raise
            # A tool reading --json gets its one object even when the file is refused.
            self.stdout.write(json.dumps({"bill_id": None, "run_id": None, "status": "failed", "lines": 0, "rejected": 0,
                                          "by_type": {}, "error": exc.as_dict()}, ensure_ascii=False, default=str))
            sys.exit(1)
        for warning in submission.warnings if not o["json"] else ():
            self.stderr.write(f"warning: {warning['code']}: {warning['message']}")
        run = submission.run
        if submission.duplicate and run is not None and run.status == ReconRun.Status.FAILED and o["rerun"]:
            run = run_services.run_rerun(run=run, enqueue=not o["sync"])
            submission = BillSubmission(run=run, bill=submission.bill, warnings=submission.warnings)
        elif submission.duplicate and not o["json"]:
            self.stderr.write(f"this file was already imported (bill #{submission.bill.id if submission.bill else '?'}, run #{run.id if run else '?'})")
            if run is not None and run.status == ReconRun.Status.FAILED:
                self.stderr.write(f"its run #{run.id} failed; add --rerun to run it again")
        if run is not None and not run.is_finished:
            if o["sync"]:
                run_services.run_execute(run_id=run.id)  # a no-op if a worker already claimed it: then wait for it
            if o["sync"] or o["wait"]:
                deadline = time.monotonic() + o["timeout"]
                while True:
                    run.refresh_from_db()
                    if run.is_finished:
                        break
                    if time.monotonic() > deadline:
                        raise CommandError(f"run #{run.id} did not finish within {o['timeout']} s (is a worker running?)")
                    time.sleep(0.3)
        if run is not None:
            run.refresh_from_db()
        self.report(run, submission, o["json"])
        # Exit 0 only when the run succeeded, or when a new run was queued without waiting for it (it is then
        # the caller's to poll); 1 when it failed; 3 when the file's earlier run is still queued or running.
        if run is not None and run.status == ReconRun.Status.FAILED:
            sys.exit(1)
        if run is not None and submission.duplicate and not run.is_finished:
            sys.exit(3)

    def report(self, run, submission, as_json):
        summary = (run.summary if run else {}) or {}
        bill = run.courier_bill if run else submission.bill
        data = {
            "bill_id": bill.id if bill else None,
            "run_id": run.id if run else None,
            "status": run.status if run else "succeeded",
            "lines": summary.get("lines", bill.line_count if bill else 0),
            "rejected": summary.get("rejected", bill.rejected_count if bill else 0),
            "by_type": run_result(run=run)["by_type"] if run else {},
        }
        if submission.duplicate:
            data["duplicate"] = True
        data["warnings"] = submission.warnings
        if run is not None and run.status == ReconRun.Status.FAILED:
            data["error"] = {"code": run.error_code, "message": run.error, "details": run.error_details}
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        if run is not None and run.status == ReconRun.Status.FAILED:
            self.stderr.write(f"run #{run.id} failed: {run.error_code}: {run.error}" + self.format_details(run.error_details))
            return
        self.stdout.write(f"bill #{data['bill_id']} run #{data['run_id']} {data['status']}: {data['lines']} lines, {data['rejected']} rejected")
        for t, v in data["by_type"].items():
            if v["count"]:
                self.stdout.write(f"  {t:<28} {v['count']:>8}  ¥{v['amount_at_stake']}")
