"""Checks an upload's shape before a parser opens it, and parses it in a child process that may fail alone.

A workbook is a zip of XML: its directory says how big each part unpacks, each sheet declares its extent, and the
cells name their own row and column. All three are checked here (the sheets by a streaming scan, so that a lying
directory or extent is caught too) before the spreadsheet library reserves memory for the sheet's area. Whatever
slips past these checks meets the child process's memory and time limits: one failed read, never a dead worker.
"""
from __future__ import annotations

import faulthandler
import gc
import html
import os
import pickle
import re
import resource
import select
import signal
import tempfile
import time
import traceback
import zipfile
import zlib

import numpy as np

from recon.ingest.errors import IngestError, _, corrupt_file
from recon.ingest.limits import limits

LIMIT_EXCEEDED = "limit_exceeded"

_SCAN_CHUNK = 8 * 1024 * 1024
_OVERLAP = 64
_RATIO_FLOOR = 1024 * 1024  # small parts (styles, rels) may compress well; only big ones can be bombs


def refuse(filename: str, limit: str, value: int, found, message: str) -> IngestError:
    """The error for a file over one of the limits; `message` names the limit in the user's words."""
    return IngestError(
        LIMIT_EXCEEDED,
        _("“%(filename)s” cannot be imported: %(problem)s") % {"filename": filename, "problem": message},
        {"limit": limit, "value": value, "found": found},
    )


def column_letters(n: int) -> str:
    """Excel's column name of the n-th column (1 = A, 27 = AA)."""
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?([0-9]+)?(?::([A-Z]+)([0-9]+))?"')
_REF = re.compile(r"([A-Z]*)([0-9]*)")
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\s")
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def check_xlsx(path, filename: str, *, scan: bool = True) -> bool:
    """Refuse an xlsx whose parts, sheets or cells go past the limits, before any parser sees it.

    Returns whether a cell may hold a control character (escaped as _x0000_ or raw), so that the reader
    looks for them only then. With scan=False (a web request) only the zip directory, the parts' heads and
    the sheets' declared extents are read, never the sheets' whole XML.
    """
    lim = limits()
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            if len(infos) > lim.max_zip_entries:
                raise refuse(filename, "max_zip_entries", lim.max_zip_entries, len(infos), _(
                    "the workbook has %(found)d parts, more than the limit of %(limit)d.")
                    % {"found": len(infos), "limit": lim.max_zip_entries})
            total = 0
            for info in infos:
                total += info.file_size
                if info.file_size > lim.max_part_bytes:
                    raise refuse(filename, "max_part_bytes", lim.max_part_bytes, info.file_size, _(
                        "its part “%(part)s” unpacks to %(found)d MB, more than the limit of %(limit)d MB.")
                        % {"part": info.filename[:100], "found": info.file_size // 1024**2, "limit": lim.max_part_bytes // 1024**2})
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > _RATIO_FLOOR and ratio > lim.max_compression_ratio:
                    raise refuse(filename, "max_compression_ratio", lim.max_compression_ratio, int(ratio), _(
                        "its part “%(part)s” is compressed %(found)d times, more than the limit of %(limit)d times "
                        "(files built to unpack into gigabytes look like this).")
                        % {"part": info.filename[:100], "found": int(ratio), "limit": lim.max_compression_ratio})
            if total > lim.max_uncompressed_bytes:
                raise refuse(filename, "max_uncompressed_bytes", lim.max_uncompressed_bytes, total, _(
                    "it unpacks to %(found)d MB, more than the limit of %(limit)d MB.")
                    % {"found": total // 1024**2, "limit": lim.max_uncompressed_bytes // 1024**2})
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    with z.open(info) as part:
                        head = part.read(4096)
                    if _DOCTYPE.search(head):
                        raise refuse(filename, "xml_entities", 0, info.filename[:100], _(
                            "its part “%(part)s” declares XML entities, which spreadsheets never need.")
                            % {"part": info.filename[:100]})
            names = {i.filename for i in infos}
            if "xl/workbook.xml" in names:
                with z.open("xl/workbook.xml") as wb:
                    sheets = len(_SHEET_TAG.findall(wb.read()))
                if sheets > lim.max_sheets:
                    raise refuse(filename, "max_sheets", lim.max_sheets, sheets, _(
                        "the workbook has %(found)d sheets, more than the limit of %(limit)d.")
                        % {"found": sheets, "limit": lim.max_sheets})
            if not scan:
                for info in infos:
                    if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                        with z.open(info) as part:
                            _check_dimension(filename, part.read(65536))
                return True
            controls = False
            for info in infos:
                name = info.filename
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    controls |= _scan_part(z, info, filename, sheet=True)
                elif name == "xl/sharedStrings.xml":
                    controls |= _scan_part(z, info, filename, sheet=False)
            return controls
    except IngestError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error) as exc:
        # A part whose content does not match its checksum fails here.
        raise corrupt_file(filename, str(exc)[:200])


_CONTROL_ESCAPE = re.compile(rb"_x00[01][0-9A-Fa-f]_|_x007[Ff]_")


def _scan_part(z: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str, *, sheet: bool) -> bool:
    """Stream one sheet's (or the shared strings') XML against the bounds; True if a control character may be in it.

    For a sheet: its declared extent, then every row and cell reference (the declaration may lie). For both:
    text longer than a cell may hold, counted exactly only for the candidates a byte scan finds. The scans are
    numpy passes over each block's bytes: a regex would cost a microsecond at each of millions of references.
    """
    lim = limits()
    part_name = info.filename.rsplit("/", 1)[-1]
    controls = False
    longest = 8 * lim.max_cell_chars + 64  # a character takes at most 8 bytes (&#x4E2D;)
    with z.open(info) as part:
        tail = b""
        first = True
        while chunk := part.read(_SCAN_CHUNK):
            # The tail keeps a reference or a long text cut at a chunk's end whole in the next block.
            block = tail + chunk
            arr = np.frombuffer(block, dtype=np.uint8)
            if sheet and first:
                _check_dimension(filename, block[:65536])
            first = False
            if sheet:
                _check_references(filename, arr, block)
            _check_text_lengths(filename, part_name, arr, block)
            if not controls:
                controls = bool(_IS_CONTROL[arr].any()) or bool(_CONTROL_ESCAPE.search(block))
            # Keep what follows the last '>' (a tag or a text cut in two) for the next block.
            pending = block[block.rfind(b">") + 1 :]
            if len(pending) > longest and b"<" not in pending:
                raise refuse(filename, "max_cell_chars", lim.max_cell_chars, None, _(
                    "a cell in “%(part)s” holds more than the limit of %(limit)d characters.")
                    % {"part": part_name, "limit": lim.max_cell_chars})
            tail = pending if len(pending) <= longest else block[-_OVERLAP:]
    return controls


_IS_CONTROL = np.zeros(256, dtype=bool)
_IS_CONTROL[[b for b in range(32) if b not in (9, 10, 13)] + [127]] = True
_WINDOW = 12  # r=" then at most 3 letters and 8 digits are enough to tell a reference past the bounds


def _check_references(filename: str, arr: np.ndarray, block: bytes) -> None:
    """Every r="…" attribute (cells' A1-style references and rows' numbers) against the row and column bounds.

    Only references long enough to pass a bound (as many letters as the last allowed column, as many digits as
    the last allowed row) are decoded and compared; in a usual bill that is none of them.
    """
    lim = limits()
    if arr.size < 4:
        return
    at = np.flatnonzero((arr[1:-2] == 0x72) & (arr[2:-1] == 0x3D) & (arr[3:] == 0x22)) + 1  # r="
    at = at[np.isin(arr[at - 1], (0x20, 0x09, 0x0A, 0x0D))]  # an attribute of its own, not the end of another name
    if at.size == 0:
        return
    padded = np.concatenate([arr, np.zeros(_WINDOW + 3, dtype=np.uint8)])
    w = padded[at[:, None] + (3 + np.arange(_WINDOW))]
    upper = (w[:, :4] >= 65) & (w[:, :4] <= 90)
    letters = upper.argmin(axis=1)
    letters[upper.all(axis=1)] = 4
    quote = w == 0x22
    length = np.where(quote.any(axis=1), quote.argmax(axis=1), _WINDOW)
    digits = length - letters
    suspects = (letters >= len(column_letters(lim.max_columns))) | (digits >= len(str(lim.max_rows)))
    for i in np.flatnonzero(suspects):
        start = int(at[i]) + 3
        end = block.find(b'"', start, start + 64)
        ref = block[start : end if end >= 0 else start + 20].decode("ascii", "replace")
        m = _REF.fullmatch(ref)
        if not m:
            continue
        letters_text, digits_text = m.groups()
        rows = int(digits_text) if digits_text else 0
        cols = column_number(letters_text) if letters_text else 0
        if rows > lim.max_rows or cols > lim.max_columns:
            _check_extent(filename, rows, cols, ref)


def _check_text_lengths(filename: str, part_name: str, arr: np.ndarray, block: bytes) -> None:
    """Text between tags longer than a cell may hold: byte gaps between '<' find candidates, characters decide."""
    lim = limits()
    opens = np.flatnonzero(arr == 0x3C)
    if opens.size < 2:
        return
    gaps = np.diff(opens)
    for i in np.flatnonzero(gaps > lim.max_cell_chars + 1):
        segment = block[int(opens[i]) : int(opens[i + 1])]
        text = html.unescape(segment[segment.find(b">") + 1 :].decode("utf-8", "replace"))
        if len(text) > lim.max_cell_chars:
            raise refuse(filename, "max_cell_chars", lim.max_cell_chars, len(text), _(
                "a cell in “%(part)s” holds %(found)d characters, more than the limit of %(limit)d.")
                % {"part": part_name, "found": len(text), "limit": lim.max_cell_chars})


def _check_dimension(filename: str, head: bytes) -> None:
    """The extent a sheet declares (<dimension ref="A1:XFD1048576"/>) against the bounds."""
    dim = _DIMENSION.search(head)
    if dim and dim.group(3):
        cols, rows = column_number(dim.group(3).decode()), int(dim.group(4))
        _check_extent(filename, rows, cols, f"{dim.group(3).decode()}{rows}")


def _check_extent(filename: str, rows: int, cols: int, ref: str) -> None:
    lim = limits()
    if rows > lim.max_rows and ref.isdigit():  # a <row r="…"> element, not a cell
        raise refuse(filename, "max_rows", lim.max_rows, rows, _(
            "a sheet reaches row %(found)d, more than the limit of %(limit)d rows.") % {"found": rows, "limit": lim.max_rows})
    if rows > lim.max_rows:
        raise refuse(filename, "max_rows", lim.max_rows, rows, _(
            "a sheet reaches row %(found)d (cell %(ref)s), more than the limit of %(limit)d rows.")
            % {"found": rows, "ref": ref, "limit": lim.max_rows})
    if cols > lim.max_columns:
        raise refuse(filename, "max_columns", lim.max_columns, cols, _(
            "a sheet reaches column %(found)d (cell %(ref)s), more than the limit of %(limit)d columns.")
            % {"found": cols, "ref": ref, "limit": lim.max_columns})


# --------------------------------------------------------------------------- the child process

_in_child = False


class ReaderCrashed(RuntimeError):
    """The parsing child failed with an error that is not the file's fault (a bug): the run fails as internal."""


def run_isolated(fn, *args, filename: str = "", memory_mb: int | None = None, timeout_s: float | None = None, **kwargs):
    """fn(*args, **kwargs) in a forked child under a memory and time limit; its IngestError or result comes back."""
    global _in_child
    if _in_child or not hasattr(os, "fork"):
        return fn(*args, **kwargs)
    lim = limits()
    memory_mb = lim.memory_mb if memory_mb is None else memory_mb
    timeout_s = lim.timeout_s if timeout_s is None else timeout_s
    fd, result_path = tempfile.mkstemp(prefix="recon-ingest-", suffix=".pickle")
    # Frozen, the parent's objects are never walked by the child's garbage collector: walking them would write
    # to every inherited page and copy the parent's whole heap (seconds in a worker holding a big frame).
    gc.freeze()
    pid = os.fork()
    if pid != 0:
        gc.unfreeze()
    if pid == 0:  # the child: never returns
        status = 0
        try:
            _in_child = True
            faulthandler.disable()  # a reader that aborts is an expected outcome here, not a crash to dump
            _cap_memory(memory_mb)
            try:
                outcome = ("ok", fn(*args, **kwargs))
            except IngestError as exc:
                outcome = ("refused", (exc.code, exc.message, exc.details))
            except MemoryError:
                outcome = ("memory", None)
            except BaseException:
                outcome = ("crash", traceback.format_exc()[-4000:])
            with os.fdopen(fd, "wb") as out:
                pickle.dump(outcome, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            status = 70
        finally:
            os._exit(status)
    os.close(fd)
    try:
        exit_status = _wait(pid, timeout_s)
        if exit_status is None:
            raise refuse(filename, "timeout_s", int(timeout_s), None, _(
                "reading it took longer than the limit of %(limit)d seconds.") % {"limit": int(timeout_s)})
        if os.WIFSIGNALED(exit_status) or os.WEXITSTATUS(exit_status) != 0 or os.path.getsize(result_path) == 0:
            # calamine aborts the process when it cannot reserve memory; the kernel kills on the same grounds.
            raise _over_memory(filename, memory_mb)
        with open(result_path, "rb") as fh:
            kind, value = pickle.load(fh)  # noqa: S301 - written by our own child a moment ago
    finally:
        os.unlink(result_path)
    if kind == "ok":
        return value
    if kind == "refused":
        raise IngestError(*value)
    if kind == "memory":
        raise _over_memory(filename, memory_mb)
    raise ReaderCrashed(value)


def _over_memory(filename: str, memory_mb: int) -> IngestError:
    return refuse(filename, "memory_mb", memory_mb, None, _(
        "reading it needed more than the limit of %(limit)d MB of memory, or the file is damaged.") % {"limit": memory_mb})


def _cap_memory(memory_mb: int) -> None:
    """Allow the child `memory_mb` of address space beyond what it inherited from its parent."""
    try:
        with open("/proc/self/statm") as fh:
            vsize = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return
    cap = vsize + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _wait(pid: int, timeout_s: float):
    """The child's exit status, or None after killing it at the deadline."""
    deadline = time.monotonic() + timeout_s
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
            if pidfd is not None:
                select.select([pidfd], [], [], min(left, 5.0))
            else:
                time.sleep(min(left, 0.02))
    finally:
        if pidfd is not None:
            os.close(pidfd)
