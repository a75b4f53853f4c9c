"""Big exports in a worker (我的导出): the job row, the file written in bounded memory, and its expiry.

A discrepancy export of a million rows does not fit the request's time or the web process's memory: the rows are read
through a server-side cursor in chunks and written as they come (CSV in chunks, xlsxwriter in constant-memory mode),
with the job's progress updated per chunk for the "my exports" page to poll.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from xlsxwriter.utility import xl_col_to_name
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from recon.core.errors import UserFacingError
from recon.core.models import Discrepancy
from recon.core.writers import csv_text, xlsx_workbook
from recon.kinds import kind_choices, kind_specs, type_choices

from .exports import GENERIC_COLUMNS, MONEY_FORMAT, TYPE_LABEL, _present_columns
from .models import ExportJob

CHUNK = 5000
FORMATS = {ExportJob.Kind.DISCREPANCIES: ("csv", "xlsx"), ExportJob.Kind.PERIOD_REPORT: ("csv", "xlsx", "pdf")}


def export_job_submit(*, kind: str, fmt: str, params: dict, user, enqueue: bool = True) -> ExportJob:
    """Record an export for a worker to write; the request returns at once."""
    if fmt not in FORMATS.get(kind, ()):
        raise UserFacingError("invalid_format", _("Unknown format “%(format)s”; use xlsx, pdf or csv.") % {"format": fmt})
    job = ExportJob.objects.create(user=user, kind=kind, format=fmt, params=params,
                                   expires_at=timezone.now() + timedelta(days=settings.EXPORT_KEEP_DAYS))
    if enqueue:
        from .tasks import export_job_execute_task

        transaction.on_commit(lambda: export_job_execute_task.delay(job.id))
    return job


def _progress(job_id: int, done: int) -> None:
    ExportJob.objects.filter(id=job_id).update(progress_current=done)


def _discrepancy_rows(job: ExportJob):
    """The queue's rows under the job's filter, as the person who asked sees them."""
    from recon.review.selectors import InvalidFilter, discrepancy_list

    try:
        return discrepancy_list(params=QueryDict(job.params.get("query", "")), user=job.user)
    except InvalidFilter as exc:
        raise UserFacingError("invalid_filter", _("The filter is not valid: %(errors)s") % {"errors": exc.errors.as_text()}) from exc


def discrepancies_stream(queryset, *, fmt: str, target, progress=None) -> int:
    """The discrepancy export (the columns of reports.exports) written row by row into a binary file object."""
    kinds = set(queryset.order_by().values_list("kind", flat=True).distinct())
    columns = _present_columns(kinds)
    specs = [s for s in kind_specs().values() if s.code in kinds]
    # Each kind fills the columns it declares from its own attribute; the generic ones come from the same on every row.
    paths = list(dict.fromkeys(["kind", "type", *(c.orm_path for s in specs for c in s.export_columns if c.attr != TYPE_LABEL),
                                *(c.orm_path for c in GENERIC_COLUMNS)]))
    where = {p: i for i, p in enumerate(paths)}
    plan = {}
    for spec in specs:
        own = {c.key: c.orm_path for c in spec.export_columns}
        plan[spec.code] = [
            ("type_label" if c.attr == TYPE_LABEL else where.get(c.orm_path if c in GENERIC_COLUMNS else own.get(c.key, ""), None))
            for c in columns
        ]
    types = {v: str(lbl) for v, lbl in type_choices()}
    rows = queryset.order_by("-amount_at_stake", "id").values_list(*paths).iterator(chunk_size=CHUNK)
    writer = _CsvStream(target, [c.key for c in columns]) if fmt == "csv" else _XlsxStream(target, columns)
    done = 0
    for done, row in enumerate(rows, start=1):
        picks = plan.get(row[0]) or [where.get(c.orm_path) for c in columns]
        values = [types.get(row[1], row[1]) if p == "type_label" else (None if p is None else row[p]) for p in picks]
        writer.row(values)
        if progress and done % CHUNK == 0:
            progress(done)
    writer.close()
    return done


class _CsvStream:
    """CSV as reports.exports writes it (codes, money as 12.34, text made safe), UTF-8 with a BOM, in chunks."""

    def __init__(self, target, header):
        self.fh = target
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")
        self.fh.write("\ufeff".encode())
        self.writer.writerow(header)

    def row(self, values) -> None:
        self.writer.writerow(["" if v is None else f"{v:.2f}" if isinstance(v, Decimal) else v if isinstance(v, (int, float))
                              else csv_text(str(v)) for v in values])
        if self.buffer.tell() > 1 << 20:
            self.flush()

    def flush(self) -> None:
        self.fh.write(self.buffer.getvalue().encode("utf-8"))
        self.buffer.seek(0)
        self.buffer.truncate()

    def close(self) -> None:
        self.flush()


class _XlsxStream:
    """The Excel export's sheet (labels in the reader's language, money formatted) in constant memory."""

    def __init__(self, target, columns):
        # As the immediate Excel: where a label column shows the type, the code column is the CSV's alone.
        self.keep = [not (c.key == "type" and any(k.key == TYPE_LABEL for k in columns)) for c in columns]
        columns = [c for c, keep in zip(columns, self.keep) if keep]
        self.book = xlsx_workbook(target, {"constant_memory": True})
        self.sheet = self.book.add_worksheet(_("Discrepancies")[:31])
        self.money = self.book.add_format({"num_format": MONEY_FORMAT})
        self.columns = columns
        self.statuses = {v: str(lbl) for v, lbl in Discrepancy.Status.choices}
        self.kinds = {v: str(lbl) for v, lbl in kind_choices()}
        self.sheet.write_row(0, 0, [str(c.label) for c in columns], self.book.add_format({"bold": True}))
        self.sheet.freeze_panes(1, 0)
        for i, c in enumerate(columns):
            self.sheet.set_column(i, i, 44 if c.key == "reason" else 16 if c.key in {"waybill_no", "order_no", TYPE_LABEL} else 12,
                                  self.money if c.money else None)
        self.r = 0
        self.sums = {i: Decimal("0") for i, c in enumerate(columns) if c.money}

    def row(self, values) -> None:
        self.r += 1
        values = [v for v, keep in zip(values, self.keep) if keep]
        for i, (c, v) in enumerate(zip(self.columns, values)):
            if v is None or v == "":
                continue
            if c.money:
                self.sums[i] += v
                self.sheet.write_number(self.r, i, float(v), self.money)
            elif c.key == "status":
                self.sheet.write_string(self.r, i, self.statuses.get(v, v))
            elif c.key == "kind":
                self.sheet.write_string(self.r, i, self.kinds.get(v, v))
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                self.sheet.write_number(self.r, i, v)
            else:
                self.sheet.write_string(self.r, i, str(v))

    def close(self) -> None:
        self.sheet.autofilter(0, 0, self.r, len(self.columns) - 1)
        bold = self.book.add_format({"bold": True, "top": 1})
        bold_money = self.book.add_format({"bold": True, "top": 1, "num_format": MONEY_FORMAT})
        total = self.r + 1
        self.sheet.write_string(total, 0, _("Total"), bold)
        for i, value in self.sums.items():
            letter = xl_col_to_name(i)
            if self.r:
                self.sheet.write_formula(total, i, f"=SUM({letter}2:{letter}{self.r + 1})", bold_money, float(value))
        self.book.close()


def _write(job: ExportJob, fh) -> None:
    if job.kind == ExportJob.Kind.DISCREPANCIES:
        queryset = _discrepancy_rows(job)
        ExportJob.objects.filter(id=job.id).update(progress_total=queryset.count())
        discrepancies_stream(queryset, fmt=job.format, target=fh, progress=lambda done: _progress(job.id, done))
    else:
        from .management.commands.export_report import write_period_report

        ExportJob.objects.filter(id=job.id).update(progress_total=1)
        write_period_report(period=job.params["period"], counterparty=job.params.get("counterparty") or None,
                            fmt=job.format, target=fh)


def _filename(job: ExportJob) -> str:
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M")
    if job.kind == ExportJob.Kind.PERIOD_REPORT:
        party = job.params.get("counterparty") or ""
        return f"period-{job.params['period']}{'-' + party if party else ''}.{job.format}"
    return f"discrepancies-{stamp}.{job.format}"


def export_job_execute(*, export_job_id: int) -> None:
    """Write the job's file (once: a second delivery of the task finds it claimed) and record the outcome."""
    from django.utils import translation

    claimed = ExportJob.objects.filter(id=export_job_id, status=ExportJob.Status.PENDING).update(status=ExportJob.Status.RUNNING)
    if not claimed:
        return
    job = ExportJob.objects.select_related("user").get(id=export_job_id)
    fd, path = tempfile.mkstemp(prefix="export-", suffix=f".{job.format}")
    try:
        # The file speaks the product's language, as the downloads made without a request do.
        with os.fdopen(fd, "w+b") as fh, translation.override(settings.LANGUAGE_CODE):
            _write(job, fh)
            fh.flush()
            fh.seek(0)
            name = _filename(job)
            job.file.save(name, File(fh, name=name), save=False)
        total = ExportJob.objects.values_list("progress_total", flat=True).get(id=job.id)
        ExportJob.objects.filter(id=job.id).update(
            status=ExportJob.Status.SUCCEEDED, file=job.file.name, filename=name, progress_current=total, finished_at=timezone.now())
    except UserFacingError as exc:
        ExportJob.objects.filter(id=job.id).update(status=ExportJob.Status.FAILED, error=exc.message, finished_at=timezone.now())
    except Exception as exc:
        ExportJob.objects.filter(id=job.id).update(status=ExportJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:1000],
                                                   finished_at=timezone.now())
        raise
    finally:
        if os.path.exists(path):
            os.unlink(path)


def export_jobs_expire(*, now=None) -> int:
    """Delete the exports past their expiry, files and rows; returns how many went."""
    now = now or timezone.now()
    gone = 0
    for job in ExportJob.objects.filter(expires_at__lte=now).only("id", "file"):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        gone += 1
    return gone
