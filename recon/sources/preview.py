"""What an upload page shows of a file before anything is stored, for any kind of file: the title rows, the first rows,
a column per field (guesses marked), and the refusal of guessed columns nobody confirmed.

Kind-neutral: a kind hands its TableSpec and the labels of its fields; what only one kind adds (a courier bill's
suggested courier and period) it adds to the body itself.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from recon.core.errors import UserFacingError
from recon.ingest.clean import parse_datetime
from recon.ingest.guard import column_letters
from recon.ingest.header import TableSpec, header_key

from .selectors import preferred
from .uploads import HeadPreview

PREVIEW_ROWS = 10


def columns_uncertain(preview: HeadPreview | None, spec: TableSpec, overrides: dict) -> list[str]:
    """The fields whose column was guessed and not named by the user (or remembered), in the spec's order."""
    if preview is None:
        return []
    # A remembered header is a preference: when this file does not have it, the column found instead is a guess.
    guessed = set(preview.match.uncertain) - {k for k, v in overrides.items() if not isinstance(v, (list, tuple))}
    return [f.name for f in spec.fields if f.name in guessed and f.name in preview.match.columns]


def columns_uncertain_error(preview: HeadPreview, uncertain: list[str], labels: dict, *, advanced: bool = True) -> UserFacingError:
    """The refusal of guessed columns submitted without the preview: each guess named by field, column letter and header.

    `advanced`: the page also has typed header names ("Advanced: column mapping") to point the user to.
    """
    guesses = []
    for name in uncertain:
        col = preview.match.columns[name]
        guesses.append(_("%(field)s → column %(letter)s “%(header)s”") % {
            "field": labels.get(name, name), "letter": column_letters(col + 1), "header": preview.cells[col]})
    if advanced:
        message = _("Please check the columns guessed for: %(guesses)s. Confirm them in the preview, or name the right ones "
                    "under “Advanced: column mapping”.")
    else:
        message = _("Please check the columns guessed for: %(guesses)s. Choose the file again and confirm them in the preview.")
    return UserFacingError(
        "columns_uncertain",
        message % {"guesses": _("; ").join(guesses)},
        {"uncertain": uncertain, "columns": {name: preview.cells[preview.match.columns[name]] for name in uncertain}},
    )


def shown_dates(preview: HeadPreview, rows: list[list[str]], date_fields: tuple[str, ...]) -> list[list[str]]:
    """The sample rows with an xlsx's date serials in the date columns shown as the dates they are."""
    if preview.format != "xlsx" or not rows:
        return rows
    out = None
    for name in date_fields:
        col = preview.match.columns.get(name)
        if col is None:
            continue
        values = pd.Series([row[col] for row in rows], dtype=object)
        serial = values.str.fullmatch(r"\d+\.\d+|\d{5}")
        if not serial.any():
            continue
        parsed, _invalid = parse_datetime(pd.to_numeric(values.where(serial, None), errors="coerce"))
        shown = parsed.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
        out = out or [list(row) for row in rows]
        for i in np.flatnonzero(serial.to_numpy() & parsed.notna().to_numpy()):
            out[i][col] = shown.iloc[i]
    return out or rows


def preview_body(*, preview: HeadPreview | None, filename: str, fmt: str, spec: TableSpec, labels: dict, typed: dict,
                 remembered: dict, date_fields: tuple[str, ...] = ()) -> dict:
    """The JSON an upload page's preview reads: header, title rows, first rows, each field's column, the guesses."""
    if preview is None:
        # The head could not tell (an xlsx whose header lies past the prefix, a large xls): the import reads it in full.
        return {
            "filename": filename, "format": fmt, "title": [], "header": None,
            "fields": [{"name": f.name, "label": str(labels.get(f.name, f.name)), "required": f.required,
                        "column": None, "header": "", "certain": False, "remembered": f.name in remembered}
                       for f in spec.fields],
            "uncertain": [], "rows": [], "needs_confirmation": False,
        }
    uncertain = columns_uncertain(preview, spec, {**preferred(remembered), **typed})
    fields = []
    for f in spec.fields:
        col = preview.match.columns.get(f.name)
        fields.append({
            "name": f.name, "label": str(labels.get(f.name, f.name)), "required": f.required, "column": col,
            "header": preview.cells[col] if col is not None else "", "certain": f.name not in uncertain,
            # Remembered only when this file has the remembered header: otherwise the column is found as any other.
            "remembered": (f.name in remembered and f.name not in typed and col is not None
                           and header_key(preview.cells[col])[0] == header_key(remembered[f.name])[0]),
        })
    return {
        "filename": filename, "format": preview.format,
        "title": preview.title,
        "header": {"sheet": preview.sheet, "row": preview.header_row, "cells": preview.cells},
        "fields": fields,
        "uncertain": uncertain,
        "rows": shown_dates(preview, preview.rows[:PREVIEW_ROWS], date_fields),
        "needs_confirmation": bool(uncertain),
    }


def inspect_error_body(exc: UserFacingError, labels: dict) -> dict:
    """An inspection's refusal as the page shows it: the message by the file, the code, and missing fields by label."""
    body = {"errors": {"file": [exc.message]}, "code": exc.code}
    missing = (exc.details or {}).get("missing") if isinstance(exc.details, dict) else None
    if missing:
        body["missing"] = [str(labels.get(name, name)) for name in missing]
    return body
