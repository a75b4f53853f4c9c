"""Checks every upload gets before anything is stored: size, emptiness, type, encryption, integrity."""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from recon.core.errors import UserFacingError
from recon.ingest import IngestError, sniff_format


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


def stage_upload(*, file, filename: str | None = None) -> StagedUpload:
    """Copy an uploaded file (Django UploadedFile, open binary file or path) aside and validate it."""
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
            fmt = sniff_format(tmp, name)
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


def check_header(staged: StagedUpload, spec, overrides: dict | None = None) -> None:
    """Find the header now, so that a file nobody can read is refused in the request, not later by the worker.

    The request never parses a whole file: a CSV's first 256 KB and the first rows of an xlsx's sheets (read from
    a bounded prefix of its XML) are enough. A legacy xls has no such prefix; a small one is read in a child
    process under the tighter limits of a request, a large one is checked by the worker (the run then fails
    with the same error).
    """
    from recon.ingest import read_tables
    from recon.ingest.guard import check_xlsx, run_isolated
    from recon.ingest.limits import limits
    from recon.ingest.readers import check_xlsx_head

    try:
        if staged.format == "csv":
            with open(staged.path, "rb") as fh:
                head = fh.read(PREVIEW_CSV_BYTES)
            if len(head) == PREVIEW_CSV_BYTES and b"\n" in head:
                head = head[: head.rfind(b"\n") + 1]  # 0x0A is never inside a GBK or UTF-8 character
            fd, tmp = tempfile.mkstemp(dir=staged.path.parent, suffix=".csv")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(head)
                read_tables(tmp, staged.filename, spec, overrides or None)
            finally:
                os.unlink(tmp)
        elif staged.format == "xlsx":
            check_xlsx(staged.path, staged.filename, scan=False)
            check_xlsx_head(staged.path, staged.filename, spec, overrides or None)
        elif staged.size <= PREVIEW_XLS_MAX_BYTES:
            lim = limits()
            run_isolated(_header_only, staged.path, staged.filename, spec, overrides or None, filename=staged.filename,
                         memory_mb=lim.sniff_memory_mb, timeout_s=lim.sniff_timeout_s)
    except IngestError as exc:
        raise ingest_error(exc) from exc


def _header_only(path, filename, spec, overrides) -> None:
    from recon.ingest import read_tables

    read_tables(path, filename, spec, overrides)  # the tables stay in the child; only an error comes back
