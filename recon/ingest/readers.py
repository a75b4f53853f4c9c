"""Opening uploaded files: format sniffing, text decoding, and reading sheets down to their header."""
import codecs
import csv
import io
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np
import olefile
import pandas as pd
from django.utils.translation import gettext_noop
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from . import errors
from .clean import cell_text
from .errors import IngestError, _
from .header import HEADER_SEARCH_ROWS, HeaderMatch, TableSpec, find_header

_SNIFF_BYTES = 64 * 1024
_WHITESPACE = b" \t\r\n\x0b\x0c"
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DELIMITERS = (",", "\t", ";", "|")

# Magic numbers of files people upload by mistake, to name what we found.
_FOREIGN_MAGIC = (
    (b"%PDF", gettext_noop("a PDF document")),
    (b"\x89PNG", gettext_noop("a PNG image")),
    (b"\xff\xd8\xff", gettext_noop("a JPEG image")),
    (b"GIF8", gettext_noop("a GIF image")),
    (b"Rar!", gettext_noop("a RAR archive")),
    (b"7z\xbc\xaf\x27\x1c", gettext_noop("a 7-Zip archive")),
    (b"\x1f\x8b", gettext_noop("a gzip archive")),
    (b"{\\rtf", gettext_noop("an RTF document")),
)


def _unsupported(found: str, filename: str) -> IngestError:
    return IngestError(
        errors.UNSUPPORTED_TYPE,
        _("“%(filename)s” cannot be imported: it is %(found)s. Upload an xlsx, xls or csv file.")
        % {"filename": filename, "found": _(found)},
        {"found": found},
    )


def _corrupt(filename: str, problem: str) -> IngestError:
    return IngestError(
        errors.CORRUPT_FILE,
        _("“%(filename)s” is damaged and cannot be read (%(problem)s). Export or download it again.")
        % {"filename": filename, "problem": problem},
        {"problem": problem},
    )


def _is_blank(path) -> bool:
    """Whether the file holds nothing but whitespace and byte order marks."""
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            for bom in _BOMS:
                chunk = chunk.replace(bom, b"")
            if chunk.strip(_WHITESPACE):
                return False
    return True


def sniff_format(path, filename: str) -> str:
    """'csv', 'xlsx' or 'xls', decided by the content (names lie: HTML saved as .xls, CSV as .xlsx)."""
    if os.path.getsize(path) == 0 or _is_blank(path):
        raise IngestError(errors.EMPTY_FILE, _("“%(filename)s” is empty.") % {"filename": filename})
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)

    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(path, filename)
    if head.startswith(olefile.MAGIC):
        return _sniff_ole(path, filename)
    for magic, found in _FOREIGN_MAGIC:
        if head.startswith(magic):
            raise _unsupported(found, filename)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if b"\x00" in head:
        raise _unsupported(gettext_noop("a binary file of an unknown type"), filename)
    start = head.lstrip(codecs.BOM_UTF8 + _WHITESPACE)[:512].lower()
    if start.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")) or b"<html" in start:
        # Many shop and courier systems serve an HTML table named .xls.
        found = gettext_noop("a web page (HTML) saved with a spreadsheet name; open it in Excel and save as xlsx")
        raise _unsupported(found, filename)
    if start.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            found = gettext_noop("an Excel 2003 XML spreadsheet; open it in Excel and save as xlsx")
            raise _unsupported(found, filename)
        raise _unsupported(gettext_noop("an XML document"), filename)
    return "csv"


def _sniff_zip(path, filename: str) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _corrupt(filename, "truncated or broken zip archive")
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise _unsupported(gettext_noop("an Excel binary workbook (xlsb); save it as xlsx"), filename)
    if any(n.startswith("xl/") for n in names):
        raise _corrupt(filename, "the workbook part is missing")
    if "word/document.xml" in names:
        raise _unsupported(gettext_noop("a Word document"), filename)
    if any(n.startswith("ppt/") for n in names):
        raise _unsupported(gettext_noop("a PowerPoint presentation"), filename)
    if "content.xml" in names:
        raise _unsupported(gettext_noop("an OpenDocument file; save it as xlsx"), filename)
    raise _unsupported(gettext_noop("a zip archive"), filename)


def _sniff_ole(path, filename: str) -> str:
    try:
        with olefile.OleFileIO(path) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir()}
    except Exception as exc:  # olefile raises OSError and plain exceptions for truncated files
        raise _corrupt(filename, f"broken compound document: {str(exc)[:200]}")
    if "encryptioninfo" in streams or "encryptedpackage" in streams:
        raise _encrypted(filename)
    if "workbook" in streams or "book" in streams:
        if _xls_is_encrypted(path):
            raise _encrypted(filename)
        return "xls"
    if "worddocument" in streams:
        raise _unsupported(gettext_noop("a Word document"), filename)
    if "powerpoint document" in streams:
        raise _unsupported(gettext_noop("a PowerPoint presentation"), filename)
    raise _unsupported(gettext_noop("an Office file that is not a workbook"), filename)


def _encrypted(filename: str) -> IngestError:
    return IngestError(
        errors.ENCRYPTED_FILE,
        _("“%(filename)s” is protected by a password. Open it in Excel, remove the password and upload it again.")
        % {"filename": filename},
    )


def _xls_is_encrypted(path) -> bool:
    import msoffcrypto

    try:
        with open(path, "rb") as f:
            return bool(msoffcrypto.OfficeFile(f).is_encrypted())
    except Exception:
        # msoffcrypto does not know every BIFF variant; the reader will report real damage.
        return False


# --- text -------------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): BOMs first, then strict UTF-8, then GB18030 (a superset of GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError(
            errors.CORRUPT_FILE,
            _("The text encoding of this file is not recognised. Save it as CSV UTF-8 and upload it again."),
        )
    return str(best), best.encoding


# --- sheets -----------------------------------------------------------------------------------


@dataclass
class SheetTable:
    """The part of one sheet under its header, cells raw (str, float, datetime, '')."""

    name: str
    header: HeaderMatch
    header_row: int            # 1-based row of the header as the user sees it
    data: pd.DataFrame         # positional columns 0..n-1
    hidden: bool = False

    def row_nos(self) -> np.ndarray:
        return np.arange(len(self.data), dtype=np.int64) + self.header_row + 1

    def column(self, field_name: str) -> pd.Series | None:
        col = self.header.columns.get(field_name)
        if col is None or col >= self.data.shape[1]:
            return None
        return self.data[col]

    def header_text(self, field_name: str) -> str:
        return str(self.header.cells[self.header.columns[field_name]]).strip()


@dataclass
class Tables:
    """Every sheet of a file whose header was found, plus what was skipped and why."""

    format: str
    tables: list[SheetTable]
    skipped: list[dict] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None

    def info(self) -> dict:
        info = {"format": self.format}
        if self.format == "csv":
            info["encoding"] = self.encoding
            info["delimiter"] = self.delimiter
        info["skipped_sheets"] = self.skipped
        return info


def read_tables(path, filename: str, spec: TableSpec, overrides: dict[str, str] | None = None) -> Tables:
    """Sniff, decode and read every sheet whose header matches `spec`; IngestError if none does."""
    fmt = sniff_format(path, filename)
    if fmt == "csv":
        return _read_csv(path, filename, spec, overrides)
    return _read_workbook(path, filename, fmt, spec, overrides)


def _header_not_found(filename: str, spec: TableSpec, found: dict[str, list[str]]) -> IngestError:
    return IngestError(
        errors.HEADER_NOT_FOUND,
        _("No header row with the expected columns was found in “%(filename)s”. Required: %(required)s.")
        % {"filename": filename, "required": ", ".join(spec.required)},
        {"headers_found": found, "expected": spec.expected(), "required": spec.required},
    )


def _candidate_cells(match: HeaderMatch) -> list[str]:
    return [c.strip() for c in match.cells if c.strip()]


def _read_workbook(path, filename, fmt, spec, overrides) -> Tables:
    try:
        with open(path, "rb") as f:
            book = CalamineWorkbook.from_filelike(f)
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise _corrupt(filename, str(exc)[:200])
    tables, skipped, found = [], [], {}
    any_cells = False
    for meta in book.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue  # chart and dialog sheets hold no cells
        hidden = meta.visible != SheetVisibleEnum.Visible
        try:
            sheet = book.get_sheet_by_name(meta.name)
            # Keep empty leading rows and columns so that row numbers match what Excel shows.
            head = sheet.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS)
        except Exception as exc:
            raise _corrupt(filename, f"sheet {meta.name}: {str(exc)[:200]}")
        head_text = [cell_text(pd.Series(row, dtype=object)).tolist() for row in head]
        has_cells = any(c for row in head_text for c in row)
        any_cells = any_cells or has_cells
        match = find_header(head_text, spec, overrides)
        if not match.complete:
            found[meta.name] = _candidate_cells(match)
            reason = "header_not_found" if has_cells else "empty"
            skipped.append({"name": meta.name, "reason": reason, "hidden": hidden})
            continue
        try:
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as exc:
            raise _corrupt(filename, f"sheet {meta.name}: {str(exc)[:200]}")
        body = rows[match.row + 1 :]
        data = pd.DataFrame(body, dtype=object, columns=range(len(head[match.row])))
        tables.append(SheetTable(meta.name, match, match.row + 1, data, hidden))
    if not tables:
        if not any_cells:
            raise IngestError(errors.EMPTY_FILE, _("“%(filename)s” is empty.") % {"filename": filename})
        raise _header_not_found(filename, spec, found)
    return Tables(fmt, tables, skipped)


def _read_csv(path, filename, spec, overrides) -> Tables:
    with open(path, "rb") as f:
        raw = f.read()
    text, encoding = decode_text(raw)
    if "\n" not in text[:_SNIFF_BYTES] and "\r" in text[:_SNIFF_BYTES]:
        text = text.replace("\r", "\n")  # classic Mac line ends
    # Enough lines for the header search even when preamble records span several lines.
    head_text = text[: _offset_after_lines(text, HEADER_SEARCH_ROWS * 4)]

    best = None
    for delimiter in _DELIMITERS:
        records, line_ends = _head_records(head_text, delimiter)
        match = find_header(records, spec, overrides)
        width = len(match.cells)
        rank = (*match.score, width)
        if best is None or rank > best[0]:
            best = (rank, delimiter, match, line_ends)
    _rank, delimiter, match, line_ends = best
    if not match.complete:
        if not text.strip(" \t\r\n,;|\ufeff"):
            raise IngestError(errors.EMPTY_FILE, _("“%(filename)s” is empty.") % {"filename": filename})
        raise _header_not_found(filename, spec, {"": _candidate_cells(match)})

    start = _offset_after_lines(text, line_ends[match.row])
    data = _read_csv_body(text[start:], delimiter, len(match.cells), filename)
    table = SheetTable("", match, match.row + 1, data)
    return Tables("csv", [table], encoding=encoding, delimiter=delimiter)


def _head_records(head: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """Records of the first lines and, for each, how many physical lines have been read after it."""
    reader = csv.reader(io.StringIO(head), delimiter=delimiter)
    records, line_ends = [], []
    try:
        for record in reader:
            records.append(record)
            line_ends.append(reader.line_num)
            if len(records) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass  # an unterminated quote in the preamble: use what was read
    return records, line_ends


def _offset_after_lines(text: str, n_lines: int) -> int:
    """Position in `text` just after its first `n_lines` lines."""
    pos = 0
    for _i in range(n_lines):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return len(text)
        pos = nxt + 1
    return pos


def _read_csv_body(body: str, delimiter: str, header_width: int, filename: str) -> pd.DataFrame:
    data = body.encode("utf-8")
    if not data.strip():
        return pd.DataFrame(columns=range(header_width), dtype=object)
    # read_csv needs the widest row up front or it fails on rows longer than the header. Count
    # delimiters per line with numpy: an upper bound, since quoted delimiters count too.
    arr = np.frombuffer(data, dtype=np.uint8)
    delimiters = np.flatnonzero(arr == ord(delimiter))
    width = header_width
    if delimiters.size:
        line_of = np.searchsorted(np.flatnonzero(arr == 10), delimiters)
        width = max(header_width, int(np.bincount(line_of).max()) + 1)
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=delimiter,
            header=None,
            names=range(width),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            quotechar='"',
            encoding="utf-8",
            engine="c",
            index_col=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise _corrupt(filename, str(exc)[:200])
    return frame.fillna("").astype(object)
