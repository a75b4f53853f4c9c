"""A run's as-of moment as stored on it and as the engines take it: a whole local day, or a local minute."""
from __future__ import annotations

from datetime import date, datetime, time as dtime, timedelta

from django.db import connection
from django.utils import timezone

AS_OF_MINUTE = "%Y-%m-%d %H:%M"


def as_of_param(as_of: datetime | None) -> str:
    """The as-of as stored on the run: "YYYY-MM-DD" for a whole day, "YYYY-MM-DD HH:MM" (local) for a moment."""
    if as_of is None:
        return timezone.localdate().isoformat()
    local = timezone.localtime(as_of)
    # The command reads a bare day as 23:59:59 of it; a time typed in minutes never has seconds.
    if local.time() == dtime(23, 59, 59):
        return local.date().isoformat()
    return local.strftime(AS_OF_MINUTE)


def as_of_value(text: str) -> date | datetime:
    """The stored as-of for the engine: a date (the whole day), or a naive local moment."""
    return date.fromisoformat(text) if len(text) == 10 else datetime.strptime(text, AS_OF_MINUTE)


def local_midnight_db(day: date):
    """The first moment of a local day, as the database compares it."""
    moment = datetime.combine(day, dtime.min, tzinfo=timezone.get_default_timezone())
    return connection.ops.adapt_datetimefield_value(moment)


def cut_db(as_of: date | datetime) -> tuple[str, object]:
    """The comparison for "at or before the as-of" ("<=" a moment, "<" the next midnight for a day) and its value."""
    if isinstance(as_of, datetime):
        moment = timezone.make_aware(as_of, timezone.get_default_timezone())
        return "<=", connection.ops.adapt_datetimefield_value(moment)
    return "<", local_midnight_db(as_of + timedelta(days=1))
