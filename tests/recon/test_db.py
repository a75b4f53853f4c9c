"""Set-based writes: what goes in through COPY (PostgreSQL) or executemany (SQLite) comes back exactly."""
from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.db import connection

from recon.core.db import (
    bulk_load, copy_text, fetch_frame_copy, fetch_frames_copy, int_or_null, local_naive_to_db, money, utc_micros_local,
    utc_micros_sql,
)

pytestmark = pytest.mark.django_db

TEXTS = ["plain", "", "tab\there", "two\nlines", "carriage\rreturn", "back\\slash", "\\N", "广东省 深圳", "ends with \\"]


@pytest.fixture
def scratch():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE scratch (n bigint NOT NULL, maybe integer NULL, label text NULL, fee numeric(12, 2) NULL, at timestamp with time zone NULL)"
        )
    yield "scratch"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE scratch")


def read_back(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n, maybe, label, fee, at FROM {table} ORDER BY n")
        return cursor.fetchall()


def test_text_ints_nulls_and_money_come_back_exactly(scratch):
    n = len(TEXTS) + 2
    fen = pd.Series([12345, -5, None, 0, 100, 99999999, 7, None, 1, 250, 3][:n], dtype="Int64")
    frame = pd.DataFrame({
        "n": np.arange(n, dtype=np.int64),
        "maybe": int_or_null(pd.Series([1, None, 3, None, 0, 2**31 - 1, 5, 6, 7, 8, 9][:n], dtype="Int64")).to_numpy(),
        "label": pd.Series([*TEXTS, None, "last"], dtype=object).to_numpy(),
        "fee": money(fen).to_numpy(),
        "at": local_naive_to_db(pd.Series([datetime(2026, 10, 3, 10, 0, 5)] * (n - 1) + [None])).to_numpy(),
    })
    assert bulk_load(scratch, frame) == n
    rows = read_back(scratch)
    assert [r[0] for r in rows] == list(range(n))
    assert [r[1] for r in rows] == [1, None, 3, None, 0, 2**31 - 1, 5, 6, 7, 8, 9][:n]
    assert [r[2] for r in rows] == [*TEXTS, None, "last"]  # '' stays '' and NULL stays NULL
    expected_fee = [None if pd.isna(v) else Decimal(int(v)) / 100 for v in fen]
    assert [None if r[3] is None else Decimal(str(r[3])) for r in rows] == expected_fee
    if connection.vendor == "postgresql":
        # 10:00:05 in Shanghai is 02:00:05 UTC.
        assert {r[4].isoformat() for r in rows[:-1]} == {"2026-10-03T02:00:05+00:00"}
        assert rows[-1][4] is None


def test_large_frames_go_in_blocks_in_order(scratch, monkeypatch):
    monkeypatch.setattr("recon.core.db.COPY_BLOCK_ROWS", 4)
    frame = pd.DataFrame({"n": np.arange(11, dtype=np.int64), "label": [f"行{i}\t" if i % 3 else None for i in range(11)]})
    assert bulk_load(scratch, frame) == 11
    assert [(r[0], r[2]) for r in read_back(scratch)] == [(i, f"行{i}\t" if i % 3 else None) for i in range(11)]


def test_copy_text_escapes_each_cell_and_writes_nulls():
    frame = pd.DataFrame({
        "i": np.array([1, -2]), "I": pd.array([None, 3], dtype="Int64"), "t": ["a\tb\\c", None],
        "d": [Decimal("1.50"), None], "u": ["上海", "line\nbreak\r"],
    })
    assert copy_text(frame) == "1\t\\N\ta\\tb\\\\c\t1.50\t上海\n-2\t3\t\\N\t\\N\tline\\nbreak\\r\n"


def test_local_times_become_utc_text_for_the_backend():
    text = local_naive_to_db(pd.Series([datetime(2026, 1, 1, 0, 0, 59), None, datetime(2026, 10, 31, 23, 59, 59, 999999)]))
    suffix = "+00:00" if connection.vendor == "postgresql" else ""
    assert text.tolist() == [f"2025-12-31 16:00:59{suffix}", None, f"2026-10-31 15:59:59{suffix}"]


def test_fetch_frame_copy_types_the_number_columns_and_keeps_empty_text():
    frame = fetch_frame_copy(
        "SELECT 1, '', NULL, 'x' UNION ALL SELECT 2, '上海', 7, ''", [], ["n", "label", "maybe", "code"],
        {"n": "int64", "maybe": "Int64"})
    assert frame["n"].dtype == np.int64 and frame["maybe"].dtype == "Int64"
    assert frame["n"].tolist() == [1, 2]
    assert [None if pd.isna(v) else int(v) for v in frame["maybe"]] == [None, 7]
    # Text columns are text on PostgreSQL ('' stays ''); only the number columns read '' as NULL.
    assert frame["code"].tolist() == ["x", ""]
    assert frame["label"].tolist()[1] == "上海"


@pytest.mark.postgres
def test_times_read_as_utc_microseconds_come_back_as_local_times_to_the_microsecond(scratch):
    """Converted by pandas, not by the server: exact to the microsecond, Shanghai's summer time of 1986–1991 (UTC+9)
    included, and a NULL (sent as the nullable column's sentinel) stays missing."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {scratch} (n, at) VALUES (1, '2042-03-10 15:59:59.999999+00'), "
                       f"(2, '1988-07-01 03:00:00.000001+00'), (3, NULL), (4, '2105-12-30 16:00:00.123457+00')")
    frame = fetch_frame_copy(f"SELECT n, {utc_micros_sql('at')} FROM {scratch} ORDER BY n", [], ["n", "at"],
                             {"n": "int64", "at": "Int64"})
    at = utc_micros_local(frame["at"])
    assert at.dtype == "datetime64[ns]"
    assert [None if pd.isna(v) else v.isoformat() for v in at] == [
        "2042-03-10T23:59:59.999999", "1988-07-01T12:00:00.000001", None, "2105-12-31T00:00:00.123457"]


BACKEND_READ = ("SELECT pg_backend_pid(), %s", ["r"], ["pid", "tag"], {"pid": "int64"})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as every transactional test: the data migrations stay
def test_fetch_frames_copy_reads_at_once_on_connections_of_their_own():
    frames = fetch_frames_copy(*[(BACKEND_READ[0], [f"r{i}"], *BACKEND_READ[2:]) for i in range(3)])
    assert [f["tag"].tolist() for f in frames] == [["r0"], ["r1"], ["r2"]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    pids = [int(f["pid"].iloc[0]) for f in frames]
    # The first read on this connection, the others each on one of its own (closed afterwards).
    assert pids[0] == own and len(set(pids)) == 3


@pytest.mark.postgres
def test_fetch_frames_copy_stays_on_this_connection_inside_a_transaction():
    # A test runs inside a transaction: only this connection sees its uncommitted rows.
    frames = fetch_frames_copy(BACKEND_READ, BACKEND_READ)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    assert [int(f["pid"].iloc[0]) for f in frames] == [own, own]


@pytest.mark.postgres
def test_a_runs_discrepancies_skip_the_assignee_dispute_and_source_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'recon_discrepancy'")
        defs = dict(cursor.fetchall())
    assert defs["disc_assignee"].endswith("(assignee_id) WHERE (assignee_id IS NOT NULL)")
    assert defs["disc_dispute"].endswith("(dispute_id) WHERE (dispute_id IS NOT NULL)")
    assert defs["disc_source_type"].endswith("(source_id, type) WHERE (source_id IS NOT NULL)")
    # No other index on either column alone: each new row would be written into it.
    assert not [name for name, d in defs.items() if d.endswith("(assignee_id)") or d.endswith("(dispute_id)")]
