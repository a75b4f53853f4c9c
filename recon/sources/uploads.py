"""Checks every upload gets before anything is stored: size, emptiness, type, encryption, integrity."""
from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from recon.core.errors import UserFacingError
from recon.ingest import IngestError, sniff_format
from recon.ingest.header import HEADER_SEARCH_ROWS, HeaderMatch, find_header


@dataclass
class StagedUpload:
    """An upload copied to a local temporary file, hashed and sniffed."""

    path: Path
    filename: str
    sha256: str
    size: int
    format: str

    def discard(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def ingest_error(exc: IngestError) -> UserFacingError:
    return UserFacingError(exc.code, str(exc.message), exc.details)


def stage_upload(*, file, filename: str | None = None, sniff: bool = True) -> StagedUpload:
    """Copy an uploaded file (Django UploadedFile, open binary file or path) aside and validate it.

    `sniff=False` leaves telling the format to the caller: a bank statement may be XML or text no sheet reader reads.
    """
    VAR = Path(settings.MEDIA_ROOT) / "staging"
    VAR.mkdir(parents=True, exist_ok=True)
    name = filename or getattr(file, "name", None) or "upload"
    name = os.path.basename(str(name))
    fd, tmp = tempfile.mkstemp(dir=VAR, suffix=Path(name).suffix.lower()[:10])
    digest = hashlib.sha256()
    size = 0
    limit = settings.UPLOAD_MAX_BYTES
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(file, (str, os.PathLike)):
                source = open(file, "rb")  # noqa: SIM115 - closed below
            elif isinstance(file, UploadedFile):
                file.seek(0)
                source = file
            else:
                source = file
            try:
                chunks = source.chunks() if isinstance(source, UploadedFile) else iter(lambda: source.read(1024 * 1024), b"")
                for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise UserFacingError(
                            "file_too_large",
                            _("The file is larger than the limit of %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
                            {"limit_bytes": limit},
                            http_status=413,
                        )
                    digest.update(chunk)
                    out.write(chunk)
            finally:
                if isinstance(file, (str, os.PathLike)):
                    source.close()
        try:
            fmt = sniff_format(tmp, name) if sniff else ""
        except IngestError as exc:
            raise ingest_error(exc) from exc
    except BaseException:
        os.unlink(tmp)
        raise
    return StagedUpload(path=Path(tmp), filename=name, sha256=digest.hexdigest(), size=size, format=fmt)


def keep_staged(staged: StagedUpload, subdir: str) -> str:
    """Move a staged file under MEDIA_ROOT/subdir and return its storage name (relative path)."""
    target_dir = Path(settings.MEDIA_ROOT) / subdir
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{staged.sha256[:16]}{Path(staged.filename).suffix.lower()[:10]}"
    shutil.move(str(staged.path), target)
    staged.path = target
    return str(target.relative_to(settings.MEDIA_ROOT))


PREVIEW_CSV_BYTES = 256 * 1024
PREVIEW_XLS_MAX_BYTES = 8 * 1024 * 1024


@dataclass
class HeadPreview:
    """What the first rows of a file say before it is read in full: its header, the title above it, a sample below."""

    filename: str
    format: str
    sheet: str                  # '' for a CSV
    header_row: int             # 1-based, as Excel shows it
    cells: list[str]            # the header row's cells
    match: HeaderMatch          # columns, units and uncertain fields, under the overrides given
    title: list[str]            # the non-empty rows above the header, each as one text
    rows: list[list[str]]       # the first data rows (blank rows left out), as text, as wide as the header
    whole: bool                 # True when the sample is every data row of the sheet

    def column_values(self, field_name: str) -> list[str] | None:
        """The sample's cells of a field's column, or None when the field was not found."""
        col = self.match.columns.get(field_name)
        if col is None:
            return None
        return [row[col] for row in self.rows]


def check_header(staged: StagedUpload, spec, overrides: dict | None = None) -> None:
    """Find the header now, so that a file nobody can read is refused in the request, not later by the worker."""
    preview_head(staged, spec, overrides, sample_rows=0)


def preview_head(staged: StagedUpload, spec, overrides: dict | None = None, *, sample_rows: int = 2000) -> HeadPreview | None:
    """The header, the title rows above it and a sample of the rows below it, read from the head of the file.

    The request never parses a whole file: a CSV's first 256 KB and the first rows of an xlsx's sheets (read from
    a bounded prefix of its XML) are enough. A legacy xls has no such prefix; a small one is read in a child
    process under the tighter limits of a request. None when the head cannot tell (a large xls, an xlsx whose
    header lies past the prefix): the worker then checks the file in full and fails the run with the same error.
    """
    from recon.ingest.guard import check_xlsx, run_isolated
    from recon.ingest.limits import limits
    from recon.ingest.readers import check_xlsx_head

    overrides = overrides or None
    try:
        if staged.format == "csv":
            return _preview_csv(staged, spec, overrides, sample_rows)
        if staged.format == "xlsx":
            from recon.ingest.head import read_head

            check_xlsx(staged.path, staged.filename, scan=False)
            sheets = read_head(staged.path, max_rows=HEADER_SEARCH_ROWS + sample_rows)
            if sheets is None:
                return None
            found = _preview_from_rows(staged, [(s.name, s.rows, s.complete) for s in sheets], spec, overrides, sample_rows)
            if found is None:
                check_xlsx_head(staged.path, staged.filename, spec, overrides)  # raises the reader's own error
            return found
        if staged.size <= PREVIEW_XLS_MAX_BYTES:
            lim = limits()
            return run_isolated(_preview_xls, staged, spec, overrides, sample_rows, filename=staged.filename,
                                memory_mb=lim.sniff_memory_mb, timeout_s=lim.sniff_timeout_s)
        return None
    except IngestError as exc:
        raise ingest_error(exc) from exc


def _preview_csv(staged: StagedUpload, spec, overrides, sample_rows: int) -> HeadPreview | None:
    from recon.ingest import read_tables
    from recon.ingest.readers import decode_text

    with open(staged.path, "rb") as fh:
        head = fh.read(PREVIEW_CSV_BYTES)
    whole = len(head) < PREVIEW_CSV_BYTES
    if not whole and b"\n" in head:
        head = head[: head.rfind(b"\n") + 1]  # 0x0A is never inside a GBK or UTF-8 character
    fd, tmp = tempfile.mkstemp(dir=staged.path.parent, suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(head)
        # The reader refuses what it cannot read with its own errors, and picks the delimiter.
        tables = read_tables(tmp, staged.filename, spec, overrides)
    finally:
        os.unlink(tmp)
    text, _encoding = decode_text(head)
    if "\n" not in text[:65536] and "\r" in text[:65536]:
        text = text.replace("\r", "\n")  # classic Mac line ends, as the reader reads them
    rows: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text), delimiter=tables.delimiter or ","):
            rows.append(record)
            if len(rows) >= HEADER_SEARCH_ROWS + sample_rows:
                whole = False
                break
    except csv.Error:
        pass  # an unterminated quote at the cut: the sample ends before it
    return _preview_from_rows(staged, [("", rows, whole)], spec, overrides, sample_rows)


def _preview_xls(staged: StagedUpload, spec, overrides, sample_rows: int) -> HeadPreview | None:
    """In a child process: the xls's first rows, through the same reader the worker uses."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    from recon.ingest import read_tables

    read_tables(staged.path, staged.filename, spec, overrides)  # a small file: checked in full, as the worker will
    sheets = []
    with open(staged.path, "rb") as f:
        book = CalamineWorkbook.from_filelike(f)
    for meta in book.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        sheet = book.get_sheet_by_name(meta.name)
        rows = sheet.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS + sample_rows + 1)
        complete = len(rows) <= HEADER_SEARCH_ROWS + sample_rows
        sheets.append((meta.name, rows[: HEADER_SEARCH_ROWS + sample_rows], complete))
    return _preview_from_rows(staged, sheets, spec, overrides, sample_rows)


def _as_text(row) -> list[str]:
    from recon.ingest.clean import cell_text

    return cell_text(pd.Series(list(row), dtype=object)).tolist() if len(row) else []


def _text_rows(rows, width: int) -> list[list[str]]:
    """Rows as text cells, exactly `width` wide, column by column (a few thousand rows in one pass each)."""
    from recon.ingest.clean import cell_text

    if not rows or not width:
        return [[""] * width for _row in rows]
    frame = pd.DataFrame([list(row[:width]) for row in rows], dtype=object).reindex(columns=range(width))
    columns = [cell_text(frame[c].where(frame[c].notna(), "")).to_numpy(dtype=object) for c in range(width)]
    return [list(cells) for cells in zip(*columns)]


def _preview_from_rows(staged: StagedUpload, sheets, spec, overrides, sample_rows: int) -> HeadPreview | None:
    """The first sheet whose first rows hold a complete header, previewed; None when none does."""
    for name, rows, complete in sheets:
        head = [_as_text(row) for row in rows[:HEADER_SEARCH_ROWS]]
        match = find_header(head, spec, overrides)
        if not match.complete:
            continue
        width = len(match.cells)
        title = [" ".join(c for c in row if c) for row in head[: match.row]]
        below = [cells for cells in _text_rows(rows[match.row + 1 :], width) if any(cells)] if sample_rows else []
        return HeadPreview(
            filename=staged.filename, format=staged.format, sheet=name, header_row=match.row + 1,
            cells=[str(c).strip() for c in match.cells], match=match, title=[t for t in title if t],
            rows=below[:sample_rows], whole=complete and len(below) <= sample_rows,
        )
    return None
