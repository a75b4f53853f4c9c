"""What a bill's head says about itself: the courier and the period it is for, and whether the chosen period fits.

Selectors over a HeadPreview (recon/sources/uploads.py): they read the active couriers and nothing else.
"""
from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from recon.core.errors import UserFacingError
from recon.ingest.clean import parse_datetime
from recon.sources.preview import preview_body
from recon.sources.selectors import column_mapping_remembered, preferred
from recon.sources.uploads import HeadPreview, StagedUpload, preview_head

from .models import Courier, CourierBill
from .selectors import period_bounds

# A month is suggested from the dates when this share of them falls in one month; otherwise their range.
MONTH_SHARE = 0.8
DATE_FIELD = "billed_at"

_Y = r"(20\d{2})"
_MD = r"(\d{1,2})"
_DAY = _Y + r"\s*[-/.年]\s*" + _MD + r"\s*[-/.月]\s*" + _MD + r"\s*日?"
# 2026年10月1日-2026年10月31日, 2026/10/01至2026/10/31, 2026-10-01 ~ 2026-10-31
_RANGE = re.compile(r"(?<!\d)" + _DAY + r"\s*(?:-|~|～|—|–|至|到|\.\.)+\s*" + _DAY + r"(?!\d)")
# 2026年10月, 2026-10, 2026.10, 2026/10 — but not the month of a single day (2026年10月5日, 2026-10-05).
_MONTH = re.compile(r"(?<!\d)" + _Y + r"\s*(?:年\s*" + _MD + r"\s*月|[-/.]\s*" + _MD + r")(?!\s*(?:[-/.]\s*)?\d)")


def _names(courier: Courier) -> list[str]:
    return [n for n in [courier.code, courier.name, courier.name_en, *(courier.aliases or [])] if n and str(n).strip()]


def _found(name: str, text: str) -> bool:
    if re.fullmatch(r"[A-Za-z0-9&. ]+", name):
        # Latin names are words: SF is not the sf of "xlsf", nor ZTO of "ZTOX".
        return re.search(r"(?<![A-Za-z])" + re.escape(name) + r"(?![A-Za-z])", text, re.I) is not None
    return name in text


def suggest_courier(preview: HeadPreview | None, filename: str = "") -> Courier | None:
    """The active courier named in the title rows or the file's name; the longest name found wins, none on a tie."""
    text = "\n".join([*(preview.title if preview else []), filename or (preview.filename if preview else "")])
    if not text.strip():
        return None
    best: dict[int, int] = {}
    couriers = {c.id: c for c in Courier.objects.filter(active=True)}
    for courier in couriers.values():
        lengths = [len(n) for n in _names(courier) if _found(n, text)]
        if lengths:
            best[courier.id] = max(lengths)
    if not best:
        return None
    longest = max(best.values())
    winners = [cid for cid, n in best.items() if n == longest]
    return couriers[winners[0]] if len(winners) == 1 else None


def _day(y, m, d) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def period_label(start: date, end: date) -> str:
    """A period as the form takes it: a whole month as 2026-10, a day as 2026-10-05, else a range."""
    if start.day == 1 and end == start.replace(day=monthrange(start.year, start.month)[1]):
        return f"{start:%Y-%m}"
    if start == end:
        return start.isoformat()
    return f"{start.isoformat()}..{end.isoformat()}"


def period_from_text(texts: list[str]) -> str | None:
    """The first period a title names: an explicit range of days, else a month."""
    for text in texts:
        for m in _RANGE.finditer(text):
            start, end = _day(*m.groups()[:3]), _day(*m.groups()[3:])
            if start and end and start <= end:
                return period_label(start, end)
        for m in _MONTH.finditer(text):
            year, month = m.group(1), m.group(2) or m.group(3)
            if 1 <= int(month) <= 12:
                return f"{int(year):04d}-{int(month):02d}"
    return None


def sample_dates(preview: HeadPreview | None) -> pd.Series:
    """The parseable pickup dates of the sample (as datetime64), in the order of the rows."""
    values = preview.column_values(DATE_FIELD) if preview is not None else None
    if not values:
        return pd.Series([], dtype="datetime64[ns]")
    text = pd.Series(values, dtype=object)
    # An xlsx's head is read as raw XML values: its dates come as Excel serial numbers.
    number = pd.to_numeric(text.where(text.str.fullmatch(r"\d+(?:\.\d+)?"), None), errors="coerce")
    cells = text.where(number.isna(), number.astype(object))
    parsed, _invalid = parse_datetime(cells.astype(object))
    return parsed.dropna().reset_index(drop=True)


def dates_summary(dates: pd.Series) -> dict | None:
    """First and last day, how many dates were read, and how many fall in each month."""
    if dates.empty:
        return None
    months = dates.dt.strftime("%Y-%m").value_counts().sort_index()
    return {"first": dates.min().date().isoformat(), "last": dates.max().date().isoformat(), "sampled": int(len(dates)),
            "by_month": {k: int(v) for k, v in months.items()}}


def period_from_dates(dates: pd.Series) -> str | None:
    """The month most dates fall in (at least MONTH_SHARE of them), else the range from the first to the last day."""
    if dates.empty:
        return None
    months = dates.dt.strftime("%Y-%m").value_counts()
    if months.iloc[0] >= MONTH_SHARE * len(dates):
        return str(months.index[0])
    return period_label(dates.min().date(), dates.max().date())


def suggest_period(preview: HeadPreview | None) -> tuple[str | None, str | None]:
    """(period, where it came from: 'title' or 'dates'): the title rows name it, else the pickup dates show it."""
    period = period_from_text(preview.title if preview else [])
    if period:
        return period, "title"
    period = period_from_dates(sample_dates(preview))
    return (period, "dates") if period else (None, None)


def period_mismatch(preview: HeadPreview | None, period: str, dates: pd.Series | None = None) -> dict | None:
    """When more than half of the sample's pickup dates fall outside `period`: the counts and the period they suggest."""
    dates = sample_dates(preview) if dates is None else dates
    if dates.empty:
        return None
    start, end = period_bounds(period)
    days = dates.dt.normalize()
    inside = int(np.count_nonzero((days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))))
    outside = int(len(dates)) - inside
    if outside * 2 <= len(dates):
        return None
    return {"chosen": period.strip(), "suggested": period_from_dates(dates), "inside": inside, "outside": outside,
            "sampled": int(len(dates))}


def period_mismatch_message(mismatch: dict) -> str:
    return _("Most pickup dates in this file (%(outside)d of %(sampled)d read) fall outside %(chosen)s: they are in "
             "%(suggested)s. Correct the period, or tick “The period is right” to upload anyway.") % mismatch


def bill_inspect(*, staged: StagedUpload, courier: Courier | None, period: str, typed: dict) -> dict:
    """What the upload page shows of a file before anything is stored (the JSON of POST /couriers/bills/inspect/).

    The head is read with the courier's remembered mapping: the courier chosen, else the one the file names.
    """
    from recon.ingest.specs import BILL_SPEC

    filename = staged.filename

    def remembered_of(c: Courier | None) -> dict:
        if c is None:
            return {}
        found = column_mapping_remembered(counterparty_id=c.counterparty_id, file_kind=CourierBill.FILE_KIND)
        return {k: v for k, v in found.items() if k in {f.name for f in BILL_SPEC.fields}}

    remembered = remembered_of(courier)
    try:
        preview = preview_head(staged, BILL_SPEC, {**preferred(remembered), **typed})
    except UserFacingError as exc:
        # A layout only the named courier's remembered columns read: the file's name may say which courier it is.
        named = suggest_courier(None, filename) if courier is None and exc.code == "header_not_found" else None
        if not remembered_of(named):
            raise
        courier, remembered = named, remembered_of(named)
        preview = preview_head(staged, BILL_SPEC, {**preferred(remembered), **typed})
    suggested = suggest_courier(preview, filename)
    if courier is None and suggested is not None:
        remembered = remembered_of(suggested)
        if remembered:
            preview = preview_head(staged, BILL_SPEC, {**preferred(remembered), **typed})
    return _inspect_body(preview=preview, filename=filename, fmt=staged.format, suggested=suggested, period=period,
                         typed=typed, remembered=remembered)


def _inspect_body(*, preview: HeadPreview | None, filename: str, fmt: str, suggested: Courier | None, period: str,
                  typed: dict, remembered: dict) -> dict:
    """The core's preview of the file, with the courier and period it suggests and the check of the chosen period."""
    from recon.ingest.specs import BILL_SPEC

    from .forms import BILL_FIELD_LABELS

    body = preview_body(preview=preview, filename=filename, fmt=fmt, spec=BILL_SPEC, labels=BILL_FIELD_LABELS,
                        typed=typed, remembered=remembered, date_fields=(DATE_FIELD,))
    body["suggested"] = {"courier": suggested.code if suggested else None,
                         "courier_name": str(suggested) if suggested else None, "period": None, "period_source": None}
    body["dates"] = body["period_check"] = None
    if preview is None:
        return body
    dates = sample_dates(preview)
    body["suggested"]["period"], body["suggested"]["period_source"] = suggest_period(preview)
    body["dates"] = dates_summary(dates)
    if period:
        try:
            check = period_mismatch(preview, period, dates)
        except UserFacingError:
            check = None  # a period the form will refuse anyway is not checked against the dates
        if check is not None:
            check["message"] = period_mismatch_message(check)
        body["period_check"] = check
    return body
