"""The first rows of an xlsx's sheets, read from a bounded prefix of its XML: the header check a web request can afford.

The request must answer at once and must never parse a whole file; the worker reads the file in full later, under
the limits. So this streams at most a few megabytes of each sheet and of the shared strings, and answers "don't
know" (None) when the header rows lie beyond that, rather than reading on.
"""
from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass

from recon.ingest.header import HEADER_SEARCH_ROWS

SHEET_PREFIX_BYTES = 4 * 1024 * 1024
SHARED_PREFIX_BYTES = 8 * 1024 * 1024
MAX_SHEETS = 50
_CHUNK = 256 * 1024

_SHEET = re.compile(rb"<(?:\w+:)?sheet\s([^>]*?)/?>")
_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_REL = re.compile(rb"<(?:\w+:)?Relationship\s([^>]*?)/?>")
_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_SI = re.compile(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si/>", re.S)
_REF = re.compile(rb"([A-Z]+)([0-9]+)")


@dataclass
class HeadSheet:
    name: str
    hidden: bool
    rows: list[list[str]]   # the first rows as text, row 1 first, empty rows kept
    complete: bool          # True when the sheet ended within the rows read (nothing more below)


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode().split(":")[-1]: html.unescape(v.decode("utf-8", "replace")) for k, v in _ATTR.findall(raw)}


def _text(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8", "replace"))


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def _read_prefix(z: zipfile.ZipFile, name: str, limit: int) -> tuple[bytes, bool]:
    """(up to `limit` unpacked bytes of a part, whether that is the whole part)."""
    with z.open(name) as part:
        data = part.read(limit + 1)
    return data[:limit], len(data) <= limit


def _sheet_targets(z: zipfile.ZipFile) -> list[tuple[str, bool, str]] | None:
    names = set(z.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return None
    workbook, whole = _read_prefix(z, "xl/workbook.xml", 2 * 1024 * 1024)
    rels, rels_whole = _read_prefix(z, "xl/_rels/workbook.xml.rels", 2 * 1024 * 1024)
    if not (whole and rels_whole):
        return None
    targets = {}
    for raw in _REL.findall(rels):
        a = _attrs(raw)
        target = a.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[a.get("Id")] = target
    out = []
    for raw in _SHEET.findall(workbook):
        a = _attrs(raw)
        target = targets.get(a.get("id"))
        if target and target in names and "/worksheets/" in target:
            out.append((a.get("name", ""), a.get("state", "visible") != "visible", target))
    return out


def _shared_strings(z: zipfile.ZipFile, needed: int) -> list[str] | None:
    """The shared strings up to index `needed`, or None if they lie past the prefix read."""
    if needed < 0:
        return []
    if "xl/sharedStrings.xml" not in z.namelist():
        return None
    out: list[str] = []
    read = 0
    buffer = b""
    with z.open("xl/sharedStrings.xml") as part:
        while len(out) <= needed:
            chunk = part.read(_CHUNK)
            read += len(chunk)
            buffer += chunk
            end = 0
            for m in _SI.finditer(buffer):
                body = _PHONETIC.sub(b"", m.group(1) or b"")
                out.append("".join(_text(t) for t in _TEXT.findall(body)))
                end = m.end()
            buffer = buffer[end:]
            if not chunk or read > SHARED_PREFIX_BYTES:
                break
    return out if len(out) > needed else None


def read_head(path, max_rows: int = HEADER_SEARCH_ROWS) -> list[HeadSheet] | None:
    """The first rows of every worksheet, or None when they cannot be had from a bounded prefix.

    Past the first HEADER_SEARCH_ROWS rows (a preview asks for more), the rows are whatever the prefix holds: a sheet
    or its shared strings that go on beyond it end the sample early rather than failing it.
    """
    try:
        with zipfile.ZipFile(path) as z:
            sheets = _sheet_targets(z)
            if sheets is None or len(sheets) > MAX_SHEETS:
                return None
            raw_sheets = []
            needed = -1
            for name, hidden, target in sheets:
                data, whole = _read_prefix(z, target, SHEET_PREFIX_BYTES)
                rows, complete, tops = _rows(data, whole, max(max_rows, HEADER_SEARCH_ROWS))
                if rows is None:
                    return None
                needed = max(needed, max(tops, default=-1))
                raw_sheets.append((name, hidden, rows, complete, tops))
            shared = _shared_strings(z, needed)
            if shared is None:
                head_needed = max((max(tops[:HEADER_SEARCH_ROWS], default=-1) for *_x, tops in raw_sheets), default=-1)
                shared = _shared_strings(z, head_needed)
                if shared is None:
                    return None
                raw_sheets = [_cut_at_strings(sheet, len(shared)) for sheet in raw_sheets]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError):
        return None  # the worker's full read reports the damage precisely
    out = []
    for name, hidden, rows, complete, _tops in raw_sheets:
        text_rows = [[shared[int(v)] if kind == "s" else v for kind, v in row] for row in rows]
        out.append(HeadSheet(name, hidden, text_rows, complete))
    return out


def _cut_at_strings(sheet: tuple, available: int) -> tuple:
    """A sheet's rows up to the first one using a shared string past those read (the sample then ends there)."""
    name, hidden, rows, complete, tops = sheet
    for i, top in enumerate(tops):
        if top >= available:
            return name, hidden, rows[:i], False, tops[:i]
    return sheet


def _rows(data: bytes, whole: bool, max_rows: int = HEADER_SEARCH_ROWS) -> tuple[list[list[tuple[str, str]]] | None, bool, list[int]]:
    """(rows of (kind, value) cells, whether the sheet ended within them, highest shared-string index used up to each row)."""
    rows: list[list[tuple[str, str]]] = []
    tops: list[int] = []
    top = -1
    next_row = 1
    for m in _ROW.finditer(data):
        a = _attrs(m.group(1))
        r = int(a["r"]) if a.get("r", "").isdigit() else next_row
        if r > max_rows:
            return rows, False, tops
        while len(rows) < r - 1:
            rows.append([])
            tops.append(top)
        cells: list[tuple[str, str]] = []
        for c in _CELL.finditer(m.group(2) or b""):
            ca = _attrs(c.group(1))
            ref = _REF.fullmatch(ca.get("r", "").encode())
            col = _col(ref.group(1)) if ref else len(cells)
            body = c.group(2) or b""
            kind = ca.get("t", "n")
            if kind == "inlineStr":
                value, kind = "".join(_text(t) for t in _TEXT.findall(_PHONETIC.sub(b"", body))), "str"
            else:
                v = _VALUE.search(body)
                value = _text(v.group(1)) if v else ""
                if kind == "s":
                    if not value.strip().isdigit():
                        return (None, False, tops) if len(rows) < HEADER_SEARCH_ROWS else (rows, False, tops)
                    top = max(top, int(value))
            while len(cells) < col:
                cells.append(("str", ""))
            cells.append(("s" if kind == "s" else "str", value))
        rows.append(cells)
        tops.append(top)
        next_row = r + 1
        if len(rows) >= max_rows:
            return rows, False, tops
    if not whole:
        # The prefix ended inside the first rows: too little to judge; past them, a shorter sample.
        return (None, False, tops) if len(rows) < HEADER_SEARCH_ROWS else (rows, False, tops)
    return rows, True, tops
