"""Opening uploaded files: format sniffing, text decoding, and reading sheets down to their header."""
import codecs
import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass, field

import numpy as np
import olefile
import pandas as pd
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from recon.ingest import errors
from recon.ingest.clean import cell_text
from recon.ingest.errors import IngestError, _, corrupt_file, gettext_noop
from recon.ingest.guard import check_xlsx, column_letters, refuse
from recon.ingest.header import HEADER_SEARCH_ROWS, HeaderMatch, TableSpec, find_header
from recon.ingest.limits import limits

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


_WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls")


def _extension(filename: str) -> str:
    return os.path.splitext(str(filename))[1].lower()


def _unsupported(found: str, filename: str) -> IngestError:
    ext = _extension(filename)
    # A name that promises a table and content that is something else: say both, the name is what misled the user.
    if ext in _WORKBOOK_EXTENSIONS:
        message = _("“%(filename)s” is named as an Excel workbook but is %(found)s. Upload an xlsx, xls or csv file.")
    elif ext == ".csv":
        message = _("“%(filename)s” is named as a CSV file but is %(found)s. Upload an xlsx, xls or csv file.")
    else:
        message = _("“%(filename)s” cannot be imported: it is %(found)s. Upload an xlsx, xls or csv file.")
    return IngestError(errors.UNSUPPORTED_TYPE, message % {"filename": filename, "found": _(found)}, {"found": found})


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
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(head):
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


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for text whose every other byte is zero (ASCII and CJK exports without a BOM)."""
    sample = head[: len(head) // 2 * 2][:8192]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, other, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.3 * len(zeros) and other.count(0) <= 0.02 * len(other):
            try:
                sample.decode(encoding)
            except UnicodeDecodeError:
                return None
            return encoding
    return None


def _sniff_zip(path, filename: str) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise corrupt_file(filename, "truncated or broken zip archive")
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise _unsupported(gettext_noop("an Excel binary workbook (xlsb); save it as xlsx"), filename)
    if any(n.startswith("xl/") for n in names):
        raise corrupt_file(filename, "the workbook part is missing")
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
        raise corrupt_file(filename, f"broken compound document: {str(exc)[:200]}")
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
    bomless = _utf16_without_bom(data[:_SNIFF_BYTES])
    for encoding in ((bomless,) if bomless else ()) + ("utf-8", "gb18030"):
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
    # Rows with a control character (NUL, ESC …) in a cell, and that cell shown with the character marked.
    control: np.ndarray | None = None
    control_text: np.ndarray | None = None

    def control_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(mask, cell text) of the rows a control character rejects; nothing for the usual clean file."""
        n = len(self.data)
        if self.control is None:
            return np.zeros(n, dtype=bool), np.full(n, "", dtype=object)
        return self.control, self.control_text

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
    """Sniff, check against the limits, decode and read every sheet whose header matches `spec`; IngestError if none does."""
    fmt = sniff_format(path, filename)
    if fmt == "csv":
        return _read_csv(path, filename, spec, overrides)
    # The xlsx scan has bounded every cell's length and says whether any may hold a control character;
    # an xls (at most 65,536 × 256 cells) is checked cell by cell once read.
    suspect = check_xlsx(path, filename) if fmt == "xlsx" else True
    return _read_workbook(path, filename, fmt, spec, overrides, suspect=suspect)


# Control characters never typed into a cell; tab, line feed and carriage return are text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_BYTES = bytes([b for b in range(32) if b not in (9, 10, 13)] + [127])


def _mark_controls(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """Rows holding a control character, and the first such cell with each character shown as U+FFFD."""
    mask = np.zeros(len(data), dtype=bool)
    text = np.full(len(data), "", dtype=object)
    for col in data.columns:
        values = data[col]
        joined = "\x1e".join(v for v in values.to_numpy(dtype=object) if isinstance(v, str))
        if not _CONTROL.search(joined):
            continue  # the usual case: one regex pass over the column
        hit = values.map(lambda v: isinstance(v, str) and _CONTROL.search(v) is not None).to_numpy(dtype=bool)
        new = hit & ~mask
        text[new] = [_CONTROL.sub("\ufffd", v)[:200] for v in values.to_numpy(dtype=object)[new]]
        mask |= hit
    return (mask, text) if mask.any() else None


def _check_cells(data: pd.DataFrame, filename: str, sheet: str, header_row: int, *, cell_lengths: bool) -> None:
    """Refuse a sheet with too many rows or columns, or (if asked) a cell longer than Excel allows."""
    lim = limits()
    if len(data) > lim.max_rows:
        raise refuse(filename, "max_rows", lim.max_rows, len(data), _(
            "a sheet has %(found)d rows, more than the limit of %(limit)d rows.") % {"found": len(data), "limit": lim.max_rows})
    used = [c for c in data.columns if (data[c].astype(bool)).any()] if data.shape[1] > lim.max_columns else data.columns
    if len(used) and max(used) + 1 > lim.max_columns:
        found = int(max(used)) + 1
        raise refuse(filename, "max_columns", lim.max_columns, found, _(
            "a sheet reaches column %(found)d, more than the limit of %(limit)d columns.") % {"found": found, "limit": lim.max_columns})
    for col in data.columns if cell_lengths else ():
        values = data[col].to_numpy(dtype=object)
        if sum(len(v) for v in values if isinstance(v, str)) <= lim.max_cell_chars:
            continue
        lengths = np.fromiter((len(v) if isinstance(v, str) else 0 for v in values), dtype=np.int64, count=len(values))
        if lengths.max() > lim.max_cell_chars:
            i = int(lengths.argmax())
            where = f"{sheet + ' ' if sheet else ''}{column_letters(int(col) + 1)}{header_row + 1 + i}"
            raise refuse(filename, "max_cell_chars", lim.max_cell_chars, int(lengths[i]), _(
                "cell %(cell)s holds %(found)d characters, more than the limit of %(limit)d.")
                % {"cell": where, "found": int(lengths[i]), "limit": lim.max_cell_chars})


def check_xlsx_head(path, filename: str, spec: TableSpec, overrides: dict[str, str] | None = None) -> bool:
    """Look for the header in a bounded prefix of an xlsx; True if found, False if the prefix cannot tell.

    Raises the same errors as read_tables when the first rows of every sheet were read and hold no header.
    """
    from recon.ingest.head import read_head

    sheets = read_head(path)
    if sheets is None:
        return False
    found, any_cells = {}, False
    for sheet in sheets:
        head_text = [cell_text(pd.Series(row, dtype=object)).tolist() if row else [] for row in sheet.rows]
        any_cells = any_cells or any(c for row in head_text for c in row)
        match = find_header(head_text, spec, overrides)
        if match.complete:
            return True
        found[sheet.name] = match
    if not any_cells:
        if all(sheet.complete for sheet in sheets):
            raise IngestError(errors.EMPTY_FILE, _("“%(filename)s” is empty.") % {"filename": filename})
        return False
    raise _header_not_found(filename, spec, found)


def _join(items: list[str]) -> str:
    """Items as a list in the reader's language: 'a, b, c' in English, 'a、b、c' in Chinese."""
    text = ""
    for item in items:
        text = _("%(list)s, %(item)s") % {"list": text, "item": item} if text else item
    return text


# How many of the cells of the closest row the message quotes; the details keep them all.
_CELLS_QUOTED = 12


def _header_not_found(filename: str, spec: TableSpec, found: dict[str, HeaderMatch]) -> IngestError:
    """The header was not found: which fields are missing from the row that came closest, named in the reader's language.

    A file named as a workbook that turned out to be plain text is told so: its name is the likelier mistake.
    """
    sheet, best = max(found.items(), key=lambda item: item[1].score, default=("", None))
    missing = best.missing(spec) if best is not None else [*spec.required, *spec.required_groups]
    labels = spec.labels()
    cells = _candidate_cells(best) if best is not None else []
    shown = _join(cells[:_CELLS_QUOTED]) + ("…" if len(cells) > _CELLS_QUOTED else "")
    values = {"filename": filename, "missing": _join([_(labels[m]) for m in missing]), "headers": shown, "sheet": sheet}
    details = {
        "headers_found": {name: _candidate_cells(match) for name, match in found.items()},
        "expected": spec.expected(),
        "required": spec.required,
        "missing": missing,
    }
    if _extension(filename) in _WORKBOOK_EXTENSIONS and list(found) == [""]:
        message = _(
            "“%(filename)s” is named as an Excel workbook but is a plain text file, and no header row with the expected "
            "columns is in it (missing %(missing)s). Open the original in Excel and save it as xlsx, or export it again."
        )
        return IngestError(errors.MISNAMED_FILE, message % values, {**details, "found": "text", "named": _extension(filename)})
    if not cells:
        message = _("Header not found in “%(filename)s”: no row names the columns %(missing)s.")
    elif sheet:
        message = _("Header not found: missing %(missing)s (headers seen in “%(filename)s”, sheet “%(sheet)s”: %(headers)s).")
    else:
        message = _("Header not found: missing %(missing)s (headers seen in “%(filename)s”: %(headers)s).")
    return IngestError(errors.HEADER_NOT_FOUND, message % values, details)


def _candidate_cells(match: HeaderMatch) -> list[str]:
    """The cells of the row that came closest to a header, as the error shows them (a few, each cut short)."""
    cells = [c.strip() for c in match.cells if c.strip()]
    return [c if len(c) <= 100 else c[:99] + "…" for c in cells[:60]]


def _read_workbook(path, filename, fmt, spec, overrides, *, suspect: bool) -> Tables:
    try:
        with open(path, "rb") as f:
            book = CalamineWorkbook.from_filelike(f)
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise corrupt_file(filename, str(exc)[:200])
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
            raise corrupt_file(filename, f"sheet {meta.name}: {str(exc)[:200]}")
        head_text = [cell_text(pd.Series(row, dtype=object)).tolist() for row in head]
        has_cells = any(c for row in head_text for c in row)
        any_cells = any_cells or has_cells
        match = find_header(head_text, spec, overrides)
        if not match.complete:
            found[meta.name] = match
            reason = "header_not_found" if has_cells else "empty"
            skipped.append({"name": meta.name, "reason": reason, "hidden": hidden})
            continue
        try:
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as exc:
            raise corrupt_file(filename, f"sheet {meta.name}: {str(exc)[:200]}")
        body = rows[match.row + 1 :]
        del rows
        data = pd.DataFrame(body, dtype=object, columns=range(len(head[match.row])))
        del body
        _check_cells(data, filename, meta.name, match.row + 1, cell_lengths=fmt != "xlsx")
        table = SheetTable(meta.name, match, match.row + 1, data, hidden)
        marked = _mark_controls(data) if suspect else None
        if marked is not None:
            table.control, table.control_text = marked
        tables.append(table)
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
        raise _header_not_found(filename, spec, {"": match})

    start = _offset_after_lines(text, line_ends[match.row])
    data, controls = _read_csv_body(text[start:], delimiter, len(match.cells), filename, line_ends[match.row] + 1)
    table = SheetTable("", match, match.row + 1, data)
    marked = _mark_controls(data) if controls else None
    if marked is not None:
        table.control, table.control_text = marked
    return Tables("csv", [table], encoding=encoding, delimiter=delimiter)


def read_own_csv(text: str, filename: str, spec: TableSpec) -> Tables:
    """A CSV the product wrote itself (records posted to the API, as text): comma-separated, its header on the first
    line. The body is read as a file's is (limits, control characters); the header search over the first rows and the
    four delimiters, which is most of a small file's reading, is skipped: the header is known to be there."""
    header_line, _newline, body = text.partition("\n")
    records, _line_ends = _head_records(header_line, ",")
    match = find_header(records[:1], spec)
    if not match.complete:
        raise _header_not_found(filename, spec, {"": match})
    data, controls = _read_csv_body(body, ",", len(match.cells), filename, 2)
    table = SheetTable("", match, 1, data)
    marked = _mark_controls(data) if controls else None
    if marked is not None:
        table.control, table.control_text = marked
    return Tables("csv", [table], encoding="utf-8", delimiter=",")


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


def _read_csv_body(body: str, delimiter: str, header_width: int, filename: str, first_row: int) -> tuple[pd.DataFrame, bool]:
    """The records under the header as text cells, within the limits; and whether any holds a control character."""
    lim = limits()
    if header_width > lim.max_columns:
        raise refuse(filename, "max_columns", lim.max_columns, header_width, _(
            "the header has %(found)d columns, more than the limit of %(limit)d columns.")
            % {"found": header_width, "limit": lim.max_columns})
    data = body.encode("utf-8")
    if not data.strip():
        return pd.DataFrame(columns=range(header_width), dtype=object), False
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    # Line lengths in bytes bound them in characters from above; only a long line is decoded to count exactly.
    ends = np.append(newlines, len(arr))
    lengths = np.diff(np.concatenate(([-1], ends))) - 1
    longest = int(lengths.argmax())
    if lengths[longest] > lim.max_line_chars:
        start = int(ends[longest - 1]) + 1 if longest else 0
        chars = len(data[start : int(ends[longest])].decode("utf-8"))
        if chars > lim.max_line_chars:
            raise refuse(filename, "max_line_chars", lim.max_line_chars, chars, _(
                "line %(line)d holds %(found)d characters, more than the limit of %(limit)d.")
                % {"line": first_row + longest, "found": chars, "limit": lim.max_line_chars})
    # read_csv needs the widest row up front or it fails on rows longer than the header. Count
    # delimiters per line with numpy: an upper bound, since quoted delimiters count too.
    delimiters = np.flatnonzero(arr == ord(delimiter))
    width = header_width
    if delimiters.size:
        per_line = np.bincount(np.searchsorted(newlines, delimiters))
        width = max(header_width, int(per_line.max()) + 1)
        if width > lim.max_columns:
            width = _true_width(data, ends, per_line, delimiter, header_width, filename, first_row)
    controls = len(data.translate(None, _CONTROL_BYTES)) != len(data)
    if controls and b"\x00" in data:
        # The parser ends a cell at NUL and would keep only what comes before it; a visible control
        # character instead keeps the cell whole, so that its row is rejected rather than silently cut.
        data = data.replace(b"\x00", b"\x01")
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
        raise corrupt_file(filename, str(exc)[:200])
    frame = frame.fillna("").astype(object)
    _check_cells(frame, filename, "", first_row - 1, cell_lengths=bool(lengths[longest] > lim.max_cell_chars))
    return frame, controls


def _true_width(data: bytes, ends: np.ndarray, per_line: np.ndarray, delimiter: str, header_width: int,
                filename: str, first_row: int) -> int:
    """The widest record among lines with more delimiters than the limit allows columns, parsed for real (quotes)."""
    lim = limits()
    width = header_width
    for line in np.flatnonzero(per_line + 1 > lim.max_columns):
        start = int(ends[line - 1]) + 1 if line else 0
        text = data[start : int(ends[line])].decode("utf-8", "replace")
        record = next(csv.reader([text], delimiter=delimiter), [])
        if len(record) > lim.max_columns:
            raise refuse(filename, "max_columns", lim.max_columns, len(record), _(
                "line %(line)d has %(found)d columns, more than the limit of %(limit)d columns.")
                % {"line": first_row + int(line), "found": len(record), "limit": lim.max_columns})
        width = max(width, len(record))
    return max(width, lim.max_columns)
