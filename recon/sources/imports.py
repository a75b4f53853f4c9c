"""The file import every kind repeats, kind-neutral: stage the upload, refuse nothing twice (the same bytes of the same
kind are the earlier import), read it, keep the file, then in one transaction record the SourceFile, write the rows,
save the rejected ones; and the set-based pieces of the write (unchanged rows, COPY + INSERT … ON CONFLICT)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from recon.core.db import bulk_load, is_postgres
from recon.ingest import IngestError
from recon.ingest.table import ParsedTable
from recon.sources.models import SourceFile
from recon.sources.preview import columns_uncertain, columns_uncertain_error
from recon.sources.selectors import source_file_duplicate
from recon.sources.services import rejected_rows_save
from recon.sources.uploads import (
    HeadPreview, StagedUpload, check_header, ingest_error, keep_staged, stage_upload,
)

REJECTED_COLUMNS = ["sheet", "row_no", "reason_code", "reason", "raw"]
Read = TypeVar("Read")


@dataclass
class FileImportResult:
    """What an import did: rows written (new or changed), rows refused, rows already stored as they are."""

    file_id: int | None = None
    rows: int = 0
    rejected: int = 0
    duplicates: int = 0
    rejected_rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECTED_COLUMNS))
    # True when the same bytes had been imported before as this kind: nothing was written this time.
    repeated: bool = False
    # The file's read_info as stored (with what the write added), for a kind that reports more than these counts.
    info: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"file_id": self.file_id, "rows": self.rows, "rejected": self.rejected, "duplicates": self.duplicates}


@dataclass
class Written:
    """What a kind's write did with the clean rows: per row, True when it changed nothing; rows it refused itself."""

    unchanged: np.ndarray
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECTED_COLUMNS))
    # More facts for the file's read_info, after the count of duplicates.
    info: dict = field(default_factory=dict)

    @classmethod
    def counted(cls, *, rows: int, duplicates: int, **kwargs) -> Written:
        """For a write that knows only how many rows it wrote (an INSERT … DO NOTHING): the counts are all the import keeps."""
        return cls(unchanged=np.concatenate([np.zeros(rows, dtype=bool), np.ones(duplicates, dtype=bool)]), **kwargs)


def earlier_import(*, file_kind: str, sha256: str) -> FileImportResult | None:
    """The result of the earlier import of these bytes as this kind, as it was counted then; None when there is none."""
    earlier = source_file_duplicate(file_kind=file_kind, sha256=sha256)
    if earlier is None:
        return None
    return FileImportResult(file_id=earlier.pk, rows=earlier.line_count, rejected=earlier.rejected_count,
                            duplicates=int((earlier.read_info or {}).get("duplicates", 0)), repeated=True,
                            info=earlier.read_info or {})


def source_file_import(*, file, filename: str | None, file_kind: str, folder: str,
                       read: Callable[[StagedUpload], ParsedTable], write: Callable[[pd.DataFrame, int], Written],
                       spec=None, counterparty_id: int | Callable[[], int | None] | None = None, user=None,
                       sniff: bool = True, after_write: Callable[[SourceFile, ParsedTable], None] | None = None,
                       save_rejected: Callable[..., None] | None = None) -> FileImportResult:
    """Import one file of one kind: `read` turns the staged file into clean and rejected rows (an IngestError refuses the
    file whole), `write(frame, source_id)` stores the clean rows; the same bytes twice is one import, a bad file writes
    nothing, and the file is kept under MEDIA_ROOT/`folder`.

    `counterparty_id` may be a callable, called inside the transaction (a counterparty the import itself creates);
    `after_write(source, parsed)` runs last inside it (remembering the columns chosen); `sniff` as for stage_upload;
    `save_rejected` stands for rejected_rows_save (a kind's module may name the one it uses)."""
    staged = stage_upload(file=file, filename=filename, sniff=sniff)
    earlier = earlier_import(file_kind=file_kind, sha256=staged.sha256)
    if earlier is not None:
        staged.discard()
        return earlier
    try:
        if spec is not None:
            # The header is found from the head of the file first, so that a file nobody can read is refused at once.
            check_header(staged, spec)
        parsed = read(staged)
    except IngestError as exc:
        staged.discard()
        raise ingest_error(exc) from exc
    except BaseException:
        staged.discard()
        raise
    # A folder per file kind: a failed import removes what it stored, never a file of the same bytes of another kind.
    stored = keep_staged(staged, f"{folder}/{timezone.now():%Y/%m}")
    try:
        with transaction.atomic():
            source = SourceFile.objects.create(
                file=stored, original_filename=staged.filename[:255], sha256=staged.sha256, size_bytes=staged.size,
                file_kind=file_kind, counterparty_id=counterparty_id() if callable(counterparty_id) else counterparty_id,
                read_info=parsed.info, uploaded_by=user,
            )
            written = write(parsed.frame, source.pk)
            rejected = pd.concat([parsed.rejected[REJECTED_COLUMNS], written.rejected[REJECTED_COLUMNS]], ignore_index=True)
            (save_rejected or rejected_rows_save)(source=source, rejected=rejected)
            duplicates = int(np.count_nonzero(written.unchanged))
            rows = int(len(written.unchanged) - duplicates)
            source.line_count, source.rejected_count = rows, len(rejected)
            source.read_info = {**parsed.info, "duplicates": duplicates, **written.info}
            source.save(update_fields=["line_count", "rejected_count", "read_info"])
            if after_write is not None:
                after_write(source, parsed)
    except IntegrityError:
        # The same bytes imported at the same moment by someone else: theirs is the import, as for a later upload.
        earlier = earlier_import(file_kind=file_kind, sha256=staged.sha256)
        if earlier is None:
            raise
        return earlier
    except BaseException:
        Path(staged.path).unlink(missing_ok=True)
        raise
    return FileImportResult(file_id=source.pk, rows=rows, rejected=len(rejected), duplicates=duplicates, rejected_rows=rejected,
                            info=source.read_info)


def mapping_chosen(mapping: dict | None, spec) -> dict:
    """The columns a clerk chose on the upload page, by field of `spec`: headers stripped, blanks and unknown fields dropped."""
    names = {f.name for f in spec.fields}
    return {k: str(v).strip() for k, v in (mapping or {}).items() if k in names and str(v or "").strip()}


def columns_confirmed(preview: HeadPreview | None, spec, overrides: dict, *, confirm: bool, labels: Callable[[], dict]) -> dict:
    """The headers of the columns of the file's head (`preview`) only guessed, as the clerk confirmed them; unless
    `confirm`, the refusal naming each guess (labelled by `labels()`)."""
    uncertain = columns_uncertain(preview, spec, overrides)
    if uncertain and not confirm:
        raise columns_uncertain_error(preview, uncertain, labels(), advanced=False)
    return {name: preview.cells[preview.match.columns[name]] for name in uncertain}


# --------------------------------------------------------------------------- the API's bulk posts


@dataclass
class BulkResult:
    """Counted by record: written (new or changed), refused, already stored as sent."""

    rows: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "rejected": self.rejected, "duplicates": self.duplicates, "errors": self.errors}


def records_read(table: pd.DataFrame, read: Callable[[str], Read]) -> Read:
    """Posted records through a file reader itself, so that the API accepts exactly what an upload accepts: `table`
    written as a CSV under MEDIA_ROOT/staging (its row 1 the header), `read(path)`, the file removed."""
    staging = Path(settings.MEDIA_ROOT) / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", dir=staging, encoding="utf-8", newline="", delete=False) as fh:
        table.to_csv(fh, index=False)
        path = fh.name
    try:
        return read(path)
    except IngestError as exc:
        raise ingest_error(exc) from exc
    finally:
        os.unlink(path)


# --------------------------------------------------------------------------- the set-based write


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as comparable text: '' for none, whole numbers without '.0' (Int64 and int64 alike)."""
    return pd.DataFrame({c: frame[c].astype(object).where(frame[c].notna(), "").astype(str) for c in frame.columns},
                        index=frame.index)


def local_text(values: pd.Series) -> pd.Series:
    """Datetimes as compared: naive local time to the second, as text ('' for none)."""
    s = pd.to_datetime(values)
    if s.dt.tz is not None:
        return s.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    # numpy writes ISO text in C; strftime formats one timestamp at a time.
    text = np.datetime_as_string(s.to_numpy(dtype="datetime64[ns]").astype("datetime64[s]"), unit="s").astype(object)
    return pd.Series(text, index=s.index, dtype=object).str.replace("T", " ", regex=False).where(s.notna().to_numpy(), "")


def rows_unchanged(incoming: pd.DataFrame, stored: pd.DataFrame, key: list[str], compared: list[str],
                   blank_keeps: tuple[str, ...] = ()) -> np.ndarray:
    """Per incoming row, True when it changes nothing: equal to the same key's previous row in the file, or else to the
    stored row (both as `comparable` text). A blank in a `blank_keeps` column compares equal to anything (the upsert's
    keep_if_blank keeps the stored value)."""
    mine = comparable(incoming[key + compared])
    first = ~incoming.duplicated(key, keep="first").to_numpy()
    previous = mine.groupby(key, sort=False)[compared].shift(1)
    theirs = comparable(stored[key + compared]) if len(stored) else pd.DataFrame(columns=key + compared, dtype=object)
    merged = mine[key].merge(theirs.assign(_hit=True), on=key, how="left")
    merged.index = mine.index
    base = previous.copy()
    base.loc[first, compared] = merged.loc[first, compared]
    same = np.where(first, merged["_hit"].eq(True).to_numpy(), True)
    for c in compared:
        equal = (mine[c] == base[c]).to_numpy()
        if c in blank_keeps:
            equal |= (mine[c] == "").to_numpy()
        same &= equal
    return same


def rows_to_write(incoming: pd.DataFrame, unchanged: np.ndarray, key: list[str]) -> np.ndarray:
    """The last row of each key that at least one row of the file changes: only those are written (the last one wins)."""
    changed = pd.Series(~unchanged, index=incoming.index).groupby([incoming[k] for k in key], sort=False).transform("any")
    last = ~incoming.duplicated(key, keep="last").to_numpy()
    return last & changed.to_numpy(dtype=bool)


def upsert_rows(table: str, rows: pd.DataFrame, conflict: list[str], keep_if_blank: tuple[str, ...] = (),
                keep_if_null: tuple[str, ...] = ()) -> None:
    """INSERT … ON CONFLICT (conflict) DO UPDATE of every row: COPY into a temporary table on PostgreSQL, executemany
    on SQLite. A column of `keep_if_blank` ('' sent) or `keep_if_null` (NULL sent) keeps the stored value."""
    if rows.empty:
        return

    def update(c: str) -> str:
        if c in keep_if_blank:
            return f"{c} = COALESCE(NULLIF(excluded.{c}, ''), {table}.{c})"
        if c in keep_if_null:
            return f"{c} = COALESCE(excluded.{c}, {table}.{c})"
        return f"{c} = excluded.{c}"

    updates = ", ".join(update(c) for c in rows.columns if c not in conflict and c != "created_at")
    _insert_on_conflict(table, rows, conflict, f"DO UPDATE SET {updates}", count=False)


def insert_new_rows(table: str, rows: pd.DataFrame, conflict: list[str], *, counted: bool = False) -> int | None:
    """INSERT … ON CONFLICT (conflict) DO NOTHING of every row, as upsert_rows loads them; with `counted`, how many rows
    were new (on SQLite that costs a count of the table before and after)."""
    if rows.empty:
        return 0 if counted else None
    return _insert_on_conflict(table, rows, conflict, "DO NOTHING", count=counted)


def _insert_on_conflict(table: str, rows: pd.DataFrame, conflict: list[str], action: str, *, count: bool) -> int | None:
    columns = list(rows.columns)
    cols = ", ".join(columns)
    target = ", ".join(conflict)
    with connection.cursor() as cursor:
        if is_postgres():
            # Dropped explicitly too: inside an outer transaction ON COMMIT comes too late for a second call.
            cursor.execute("DROP TABLE IF EXISTS import_in")
            cursor.execute(f"CREATE TEMP TABLE import_in ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA")
            bulk_load("import_in", rows)
            cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM import_in ON CONFLICT ({target}) {action}")
            written = cursor.rowcount
            cursor.execute("DROP TABLE import_in")
            return written
        marks = ", ".join(["%s"] * len(columns))
        values = rows.astype(object).where(rows.notna(), None)
        insert = f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({target}) {action}"
        if not count:
            cursor.executemany(insert, values.itertuples(index=False, name=None))
            return None
        # executemany's rowcount is not to be trusted on SQLite: the table's count before and after tells what was added.
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        before = cursor.fetchone()[0]
        cursor.executemany(insert, values.itertuples(index=False, name=None))
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return cursor.fetchone()[0] - before
