"""Set-based writes and reads that the ORM would do row by row: COPY on PostgreSQL, executemany on SQLite."""
from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection
from django.utils import timezone

from recon.engine.text import yuan

SQLITE_CHUNK = 5000
CENT = Decimal("0.01")


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def bulk_load(table: str, frame: pd.DataFrame) -> int:
    """Append every row of `frame` (columns named as the table's) in one set-based statement per chunk."""
    if frame.empty:
        return 0
    columns = list(frame.columns)
    with connection.cursor() as cursor:
        if is_postgres():
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            sql = f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN"
            cursor.copy_expert(sql, _CopyStream(frame))  # psycopg2's cursor under Django's wrapper
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({cols}) VALUES ({placeholders})"
            values = frame.astype(object).where(frame.notna(), None)
            for start in range(0, len(values), SQLITE_CHUNK):
                cursor.executemany(sql, values.iloc[start : start + SQLITE_CHUNK].itertuples(index=False, name=None))
    return len(frame)


# COPY's text format: one line per row, columns separated by tabs, \N for NULL, backslash escapes.
COPY_BLOCK_ROWS = 20_000
_COPY_SPECIAL_CHARS = "\\\t\n\r"
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(frame: pd.DataFrame) -> str:
    """The frame in COPY text format, built column by column (pandas' to_csv formats cell by cell)."""
    columns = [_copy_column(frame[c]) for c in frame.columns]
    return "\n".join(map("\t".join, zip(*columns))) + "\n"


class _CopyStream:
    """What psycopg2's copy_expert reads from: the frame's COPY text, one block of rows per read.

    The server parses and indexes one block while the next is built, so the two processes work side by side.
    """

    def __init__(self, frame: pd.DataFrame):
        self._blocks = (frame.iloc[i : i + COPY_BLOCK_ROWS] for i in range(0, len(frame), COPY_BLOCK_ROWS))

    def read(self, size: int = -1) -> str:
        block = next(self._blocks, None)
        return "" if block is None else copy_text(block)


def _copy_column(s: pd.Series) -> list[str]:
    """One column as COPY text cells: NULL as \\N, tabs, newlines and backslashes escaped."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iub":  # numpy ints and bools: no NULL, nothing to escape
        return s.astype(str).tolist()
    values = s.to_numpy(dtype=object)
    present = ~pd.isna(values)
    kind = pd.api.types.infer_dtype(values[present], skipna=False)
    if kind == "integer":
        cells = pd.Series(values[present].astype(np.int64)).astype(str).tolist()
    else:
        # Text as it is; Decimals, dates and the rest as str() writes them, which is what COPY reads.
        cells = values[present].tolist() if kind == "string" else [str(v) for v in values[present]]
        joined = "".join(cells)  # one scan in C instead of a pattern match per cell
        if any(c in joined for c in _COPY_SPECIAL_CHARS):
            cells = [v.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(v) else v for v in cells]
    if present.all():
        return cells
    text = np.full(len(values), "\\N", dtype=object)
    text[present] = cells
    return text.tolist()


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


# What a NULL in a nullable integer column travels as (fetch_frame_copy): below any time, weight or amount stored.
NULL_INT = -(2**63)


def fetch_frame_copy(sql: str, params: list | tuple, columns: list[str], numbers: dict[str, str] | None = None) -> pd.DataFrame:
    """fetch_frame for big reads: on PostgreSQL the rows come as COPY CSV and pandas parses them in C, every cell as
    text ("" for NULL and for empty text alike), to be typed by the caller; elsewhere fetch_frame's values.

    `numbers` names integer columns and their dtype ("int64", or "Int64" where NULL may come): those arrive typed on
    every backend, parsed in C on PostgreSQL rather than as text and converted afterwards.
    """
    numbers = numbers or {}
    if not is_postgres():
        frame = fetch_frame(sql, params, columns)
        for name, dtype in numbers.items():
            frame[name] = pd.array(frame[name], dtype=dtype) if len(frame) else pd.Series([], dtype=dtype)
        return frame
    nullable = [name for name, dtype in numbers.items() if dtype == "Int64"]
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params).decode() if params else sql
        if nullable:
            # pandas parses a nullable integer column as text and converts it in Python (seconds for a million rows);
            # NULL sent as a value no such column holds keeps every number column on the C parser's int64 path.
            names = [f"c{i}" for i in range(len(columns))]
            cells = ", ".join(f"COALESCE({n}, '{NULL_INT}'::bigint)" if c in nullable else n for n, c in zip(names, columns))
            query = f"SELECT {cells} FROM ({query}) AS q({', '.join(names)})"
        # Bytes: pandas decodes UTF-8 in C; a StringIO would make psycopg2 decode every block in Python first.
        out = io.BytesIO()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", out)
    out.seek(0)
    dtypes = {name: "int64" if name in numbers else str for name in columns}
    # "" stays "" in text columns (NULL and empty text alike, as documented).
    frame = pd.read_csv(out, header=None, names=columns, dtype=dtypes, keep_default_na=False, na_filter=False,
                        encoding="utf-8")
    for name in nullable:
        values = frame[name].to_numpy(dtype=np.int64)
        frame[name] = pd.arrays.IntegerArray(values, values == NULL_INT)
    return frame


def fetch_frames_copy(*reads: tuple) -> list[pd.DataFrame]:
    """Several fetch_frame_copy reads (each the tuple of its arguments) at once on PostgreSQL, each but the first on a
    connection of its own: the server runs one query while pandas parses another's rows (it tokenizes without the GIL).

    Inside a transaction, and on SQLite, they run one after the other on this connection: only it sees rows it has not
    committed. Each read is its own snapshot either way, as fetch_frame_copy's are outside a transaction.
    """
    if len(reads) < 2 or not is_postgres() or connection.in_atomic_block:
        return [fetch_frame_copy(*read) for read in reads]

    def on_own_connection(read: tuple) -> pd.DataFrame:
        try:
            return fetch_frame_copy(*read)
        finally:
            connection.close()  # this thread's connection, opened by the read

    with ThreadPoolExecutor(max_workers=len(reads) - 1) as pool:
        others = [pool.submit(on_own_connection, read) for read in reads[1:]]
        first = fetch_frame_copy(*reads[0])
        return [first, *(future.result() for future in others)]


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


# Money columns are DecimalFields with 2 places and at most 14 digits, so every stored value is k / 100 for an
# integer |k| < 10**14 < 2**47. SQLite keeps them as REAL and hands back the float nearest to k / 100;
# PostgreSQL hands back Decimals; raw text may come too. The float nearest to k / 100 is within half an ulp
# of it; multiplied by 100 (one more rounding) it is within about 1.5 ulp of k, and an ulp below 2**51 is at
# most 1/4, so the nearest integer is k exactly. Truncating instead (astype(int64)) turns 12.87, read back as
# 12.869999..., into 1286 fen.
MAX_MONEY_FEN = 10**14


def fen_from_db(values: pd.Series) -> pd.Series:
    """A money column as read from any database (Decimal, float, int or text) -> exact integer fen.

    int64 when nothing is missing, nullable Int64 otherwise.
    """
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="raise").astype(float)
    scaled = np.rint(numbers.to_numpy() * 100)
    present = ~np.isnan(scaled)
    if (np.abs(scaled[present]) >= MAX_MONEY_FEN).any():
        raise ValueError("money value beyond a DecimalField(max_digits=14, decimal_places=2)")
    if present.all():
        return pd.Series(scaled.astype(np.int64), index=values.index)
    result = pd.array(np.where(present, scaled, 0).astype(np.int64), dtype="Int64")
    result[~present] = pd.NA
    return pd.Series(result, index=values.index)


def fen_of(value) -> int | None:
    """One money value (Decimal, float, int or text) -> exact integer fen; None stays None."""
    if value is None:
        return None
    # str() of a float is its shortest round-trip text, which for a stored money value is its two-place text.
    return int(Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP).scaleb(2))


def yuan_of(fen: int | None) -> Decimal | None:
    """Integer fen -> Decimal yuan with two places (1287 -> Decimal('12.87')); None stays None."""
    return None if fen is None else Decimal(int(fen)).scaleb(-2)


def local_naive_to_db(values: pd.Series) -> pd.Series:
    """Naive local datetimes (as read from files) -> the text each backend stores for an aware DateTimeField."""
    s = pd.to_datetime(values)
    aware = s.dt.tz_localize(settings.TIME_ZONE, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
    # numpy writes ISO text in C; strftime formats one timestamp at a time, twenty times slower.
    utc = aware.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype("datetime64[s]")
    text = np.char.replace(np.datetime_as_string(utc, unit="s"), "T", " ").astype(object)
    if is_postgres():
        text = text + "+00:00"
    return pd.Series(text, index=s.index, dtype=object).where(aware.notna(), None)


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


# Big reads through fetch_frame_copy: on PostgreSQL local times come as integer microseconds and money as integer fen,
# parsed in C by COPY's reader (a million ISO timestamps as text take seconds to parse); SQLite gives stored values,
# converted afterwards.
def local_micros_sql(column: str) -> str:
    """A timestamp column as the local time's microseconds since 1970 (PostgreSQL); the column itself elsewhere."""
    if not is_postgres():
        return column
    return f"(EXTRACT(EPOCH FROM ({column}) AT TIME ZONE '{settings.TIME_ZONE}') * 1000000)::bigint"


def fen_sql(column: str) -> str:
    """A money column as integer fen (PostgreSQL); the column itself elsewhere."""
    return f"(({column}) * 100)::bigint" if is_postgres() else column


def copy_numbers(**dtypes: str) -> dict[str, str]:
    """fetch_frame_copy's `numbers` for columns that are integers on PostgreSQL only (times and money read as above)."""
    return dtypes if is_postgres() else {}


def local_moments(values: pd.Series) -> pd.Series:
    """What local_micros_sql read, as naive local times (NaT where NULL)."""
    if not len(values):
        return pd.Series([], dtype="datetime64[ns]")
    if is_postgres():
        micros = pd.Series(pd.array(values, dtype="Int64"), index=values.index)
        if not micros.isna().any():
            return pd.Series(pd.to_datetime(micros.to_numpy(dtype="int64"), unit="us"), index=values.index)
        out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        present = micros.notna()
        out[present] = pd.to_datetime(micros[present].to_numpy(dtype="int64"), unit="us")
        return out
    present = values.notna() & (values.astype(str) != "")
    if present.all():
        return db_to_local_naive(values)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if present.any():
        out[present] = db_to_local_naive(values[present]).to_numpy()
    return out


def fen_values(values: pd.Series) -> pd.Series:
    """What fen_sql read, as int64 fen."""
    if not len(values):
        return pd.Series([], dtype="int64")
    return values.astype("int64") if is_postgres() else fen_from_db(values)


# Converting to local time on the server (AT TIME ZONE) costs a time zone lookup per value, and EXTRACT's numeric more:
# together about two thirds of a big read's server time. date_part's float8 epoch is exact to the microsecond up to
# 2**32 s after 1970 (the year 2106): the division's rounding is within 0.24 µs of it, the product's within 0.25 more.
def utc_micros_sql(column: str) -> str:
    """A timestamp column as its UTC microseconds since 1970 (PostgreSQL); the column itself elsewhere."""
    if not is_postgres():
        return column
    return f"round(date_part('epoch', {column}) * 1000000)::bigint"


def utc_micros_local(values: pd.Series) -> pd.Series:
    """What utc_micros_sql read, as naive local times (NaT where NULL), converted by pandas in one vectorised pass."""
    if not is_postgres():
        return local_moments(values)
    if not len(values):
        return pd.Series([], dtype="datetime64[ns]")
    micros = pd.array(values, dtype="Int64")
    utc = micros.to_numpy(dtype="int64", na_value=0).astype("datetime64[us]").astype("datetime64[ns]")
    utc[np.asarray(micros.isna(), dtype=bool)] = np.datetime64("NaT")
    local = pd.DatetimeIndex(utc).tz_localize("UTC").tz_convert(settings.TIME_ZONE).tz_localize(None)
    return pd.Series(local.to_numpy(dtype="datetime64[ns]"), index=values.index)
