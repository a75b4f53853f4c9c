"""Set-based writes and reads that the ORM would do row by row: COPY on PostgreSQL, executemany on SQLite."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection
from django.utils import timezone

from recon.engine.text import yuan

SQLITE_CHUNK = 5000


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def bulk_load(table: str, frame: pd.DataFrame) -> int:
    """Append every row of `frame` (columns named as the table's) in one set-based statement per chunk."""
    if frame.empty:
        return 0
    columns = list(frame.columns)
    with connection.cursor() as cursor:
        if is_postgres():
            buffer = io.StringIO()
            frame.to_csv(buffer, index=False, header=False, na_rep="\\N", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
            buffer.seek(0)
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            sql = f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            cursor.copy_expert(sql, buffer)  # psycopg2's cursor under Django's wrapper
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({cols}) VALUES ({placeholders})"
            values = frame.astype(object).where(frame.notna(), None)
            for start in range(0, len(values), SQLITE_CHUNK):
                cursor.executemany(sql, values.iloc[start : start + SQLITE_CHUNK].itertuples(index=False, name=None))
    return len(frame)


def chunked(values: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for v in values:
        batch.append(v)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def fetch_frame(sql: str, params: list | tuple, columns: list[str]) -> pd.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame.from_records(rows, columns=columns)


def fetch_by_keys(sql_template: str, keys: list[str], columns: list[str], extra_params: list | None = None) -> pd.DataFrame:
    """Run `sql_template` (with `{keys}` where the key list goes) for a long key list.

    PostgreSQL takes the whole list as one array parameter; SQLite gets chunks under its variable limit.
    """
    extra = list(extra_params or [])
    if not keys:
        return pd.DataFrame(columns=columns)
    if is_postgres():
        return fetch_frame(sql_template.format(keys="= ANY(%s)"), [*extra, list(keys)], columns)
    frames = []
    for batch in chunked(keys, 30000):
        marks = ", ".join(["%s"] * len(batch))
        frames.append(fetch_frame(sql_template.format(keys=f"IN ({marks})"), [*extra, *batch], columns))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def money(fen: pd.Series) -> pd.Series:
    """Fen -> decimal text for a DecimalField column; NULL stays NULL."""
    text = yuan(fen)
    return text.where(text != "", None)


def local_naive_to_db(values: pd.Series) -> pd.Series:
    """Naive local datetimes (as read from files) -> the text each backend stores for an aware DateTimeField."""
    s = pd.to_datetime(values)
    aware = s.dt.tz_localize(settings.TIME_ZONE, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
    if is_postgres():
        text = aware.dt.strftime("%Y-%m-%d %H:%M:%S+00:00")
    else:
        text = aware.dt.strftime("%Y-%m-%d %H:%M:%S")
    return text.where(s.notna(), None).astype(object)


def db_to_local_naive(values: pd.Series) -> pd.Series:
    """Aware datetimes (or UTC text from SQLite) -> naive local time, the engine's clock."""
    s = pd.to_datetime(values, utc=True)
    return s.dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None)


def now_db() -> str:
    now = timezone.now()
    return now.strftime("%Y-%m-%d %H:%M:%S+00:00") if is_postgres() else now.strftime("%Y-%m-%d %H:%M:%S")


def int_or_null(values: pd.Series) -> pd.Series:
    arr = pd.array(values, dtype="Int64")
    return pd.Series(arr).astype(object).where(~np.asarray(pd.isna(arr)), None)
