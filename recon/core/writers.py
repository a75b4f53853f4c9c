"""The one way every export writes CSV and Excel: text from uploads never becomes a live formula.

A spreadsheet program runs a cell that starts with = + - @ (and, in some of them, a tab or a carriage return
in front of one) as a formula, so an order number such as `=HYPERLINK("http://x","y")` in a shipment file
would turn into a link in the clerk's Excel. In CSV such text gets a leading apostrophe, which spreadsheet
programs take as "this is text" (OWASP's advice); in XLSX every str is written as a string cell, never a formula,
a link or a number. Only text is changed: numbers the product computed (a negative amount at stake
included) are written as numbers.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import xlsxwriter

# = + - @ start a formula; a tab or carriage return in front is dangerous by itself (OWASP). Other leading
# whitespace counts too, as a precaution: LibreOffice's CSV import can trim spaces before it evaluates formulas,
# so " =1" is treated like "=1".
_DANGEROUS_FIRST = frozenset("=+-@\t\r")
_FORMULA_AFTER_SPACE = re.compile(r"\s*[=+\-@]")

# xlsxwriter's defaults turn text into formulas (`=…`), hyperlinks (`http://…`) and, if asked, numbers.
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def runs_as_formula(value) -> bool:
    """Whether a spreadsheet opening this CSV cell could take it for a formula: text starting as described above."""
    if not isinstance(value, str) or not value:
        return False
    first = value[0]
    # The first character decides almost always; only text that starts with whitespace needs the pattern.
    return first in _DANGEROUS_FIRST or (first.isspace() and _FORMULA_AFTER_SPACE.match(value) is not None)


def csv_text(value):
    """The value for a CSV cell: text that a spreadsheet would run gets a leading apostrophe; anything else as is."""
    return "'" + value if runs_as_formula(value) else value


# What csv_text put in front, found again when one of our CSVs comes back as an import (after NFKC and space folding).
# It is always followed by whitespace or a formula character; an apostrophe before anything else is the file's own.
_OUR_APOSTROPHE = r"^'(?=\s|[=+\-@])"


def csv_text_undone(s: pd.Series) -> pd.Series:
    """Text cells of a re-imported export without the apostrophe that csv_text added."""
    return s.str.replace(_OUR_APOSTROPHE, "", regex=True)


def frame_to_csv_bytes(frame: pd.DataFrame, *, numbers: Iterable[str] = ()) -> bytes:
    """The frame as CSV in UTF-8 with a BOM (Excel on Windows then reads Chinese right), its text made safe.

    `numbers` names columns holding numbers the product computed and already formatted as text ("-0.50"):
    they are written as they are.
    """
    keep = set(numbers)
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if column not in keep and (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
            # One pass over the column without pandas' per-cell overhead: exports run to 100,000 rows.
            hit = np.fromiter(map(runs_as_formula, values.to_numpy(dtype=object)), dtype=bool, count=len(values))
            if hit.any():
                safe[column] = values.where(~hit, "'" + values[hit])
    # CRLF rows, as Excel writes them: the csv module then quotes every field with a CR or LF in it. With bare LF
    # rows a CR inside a field went out unquoted and readers start a new row there: "x\r=1" put "=1" in a cell alone.
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def rows_to_csv_bytes(header: list[str], rows: Iterable[Iterable]) -> bytes:
    """Rows as CSV (the csv module's dialect) in UTF-8 with a BOM, their text made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([csv_text(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_workbook(target, options: dict | None = None) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook whose write() keeps every str a string cell."""
    return xlsxwriter.Workbook(target, {**(options or {}), **XLSX_OPTIONS})


def xlsx_frame_writer(target, options: dict | None = None) -> pd.ExcelWriter:
    """A pandas ExcelWriter on xlsxwriter whose to_excel() keeps every str a string cell."""
    return pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": {**(options or {}), **XLSX_OPTIONS}})


def frame_to_xlsx_bytes(frame: pd.DataFrame, *, sheet_name: str) -> bytes:
    """The frame as a one-sheet workbook, header in the first row, text as string cells."""
    buffer = io.BytesIO()
    with xlsx_frame_writer(buffer) as writer:
        frame.to_excel(writer, sheet_name=sheet_name, index=False)
    return buffer.getvalue()
