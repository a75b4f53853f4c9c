"""The period report's CSV written by PostgreSQL (COPY) is byte for byte the CSV of the Python path."""
from __future__ import annotations

import io
import threading
import time
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection

from recon.core.models import Discrepancy
from recon.core.writers import csv_text, runs_as_formula
from reports import period
from reports.period import _CRLF, FORMULA_REGEX, _guarded, period_report_csv, period_report_xlsx
from tests.factories import DiscrepancyFactory
from tests.reports.test_period_report import month  # noqa: F401  (the fixture)

TRICKY = [
    "=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "\tplain", "\rplain", " =1", "  -3", "\u3000=1", "\xa0+1",
    "\u2028@x", "\x1c=1", "\x0b-1", "\n=1", "\n plain", " \t\r\n=x", "a=1", "1-2", "plain", " plain", "'=1", "＝1",
    "\u200b=1", "=", "-", " ", "\t", "\r", "'", "中=1", "=HYPERLINK(\"http://x\",\"y\")", "a,b", 'say "hi"', "x\r\ny",
]


@pytest.mark.postgres
@pytest.mark.django_db
def test_sql_formula_rule_is_runs_as_formula():
    with connection.cursor() as cursor:
        for value in TRICKY:
            cursor.execute(f"SELECT v ~ %s, {_guarded('v')} FROM (SELECT %s::text AS v) x", [FORMULA_REGEX, value])
            matched, written = cursor.fetchone()
            assert (value, matched) == (value, runs_as_formula(value))
            assert (value, written) == (value, csv_text(value))


def test_crlf_ends_rows_and_keeps_line_breaks_inside_quotes():
    out = io.BytesIO()
    w = _CRLF(out)
    for chunk in [b'a,"x\n', b'y""\n",b\n', b"c,d\n", b'"\n"\n']:
        w.write(chunk)
        w.flush()  # a flush between every part: the quotes' count must carry across
    assert out.getvalue() == b'a,"x\ny""\n",b\r\nc,d\r\n"\n"\r\n'


def _awkward_rows(month) -> None:
    """Text from uploads of every awkward sort, the JSON details in each type json.loads can give, grams as text and
    empty, a date and a SKU on a returns row."""
    run = month["run"]
    october = run.courier_bill.period
    for i, text in enumerate(TRICKY):
        DiscrepancyFactory(run=run, period=october, type="rate_overcharge", waybill_no=text, line_no=i,
                           amount_at_stake=Decimal(f"{i}.5"), billed_fee=Decimal("-0.01"), reason=text,
                           billed_province=text, billed_weight_g=1234567 if i % 2 else None, expected_weight_g=-5)
    DiscrepancyFactory(run=run, period=october, type="weight_overcharge", waybill_no="ZJ1", amount_at_stake=Decimal("3.00"),
                       billed_weight_g="2500", expected_weight_g="", billed_province=7)
    d = DiscrepancyFactory(run=run, period=october, type="weight_overcharge", waybill_no="ZJ2", amount_at_stake=Decimal("2.00"))
    Discrepancy.objects.filter(id=d.id).update(details={"billed_province": 1.5, "expected_province": True,
                                                       "billed_weight_g": 1000, "expected_weight_g": None})
    returns_zto = month["returns"][0]
    DiscrepancyFactory(run=returns_zto, period=october, type="return_damaged", waybill_no="RZ9", sku="=SKU",
                       occurred_on=date(2026, 10, 9), amount_at_stake=Decimal("1.00"), status="disputed")


@pytest.mark.postgres
@pytest.mark.django_db
def test_copy_csv_is_the_python_csv_byte_for_byte(month, tmp_path, monkeypatch):  # noqa: F811
    _awkward_rows(month)
    real_copy = period._copy_rows
    python, server = tmp_path / "python.csv", tmp_path / "copy.csv"
    period_report_csv(period="2026-10", counterparty=None, target=python, use_copy=False)
    copied = []
    monkeypatch.setattr(period, "_copy_rows", lambda select, fh: (copied.append(select), real_copy(select, fh)))
    period_report_csv(period="2026-10", counterparty=None, target=server, use_copy=True)
    # Every block went through COPY: rate and weight overcharges, the undercharge, and the two returns' types.
    assert len(copied) == 5
    expected = python.read_bytes()
    assert expected.count(b"\r\n") > len(TRICKY) + 10
    assert b"'=1+1" in expected and "'\u3000=1".encode() in expected and b"1234.567" in expected
    assert server.read_bytes() == expected


def _cells(path) -> list[tuple]:
    book = openpyxl.load_workbook(path)
    return [(ws.title, c.coordinate, c.value, c.number_format, c.data_type) for ws in book.worksheets
            for row in ws.iter_rows() for c in row]


@pytest.mark.postgres
@pytest.mark.django_db
def test_xlsx_from_typed_rows_is_the_orm_path_cell_for_cell(month, tmp_path, monkeypatch):  # noqa: F811
    _awkward_rows(month)
    fast, slow = tmp_path / "fast.xlsx", tmp_path / "slow.xlsx"
    used = []
    real = period.typed_type_rows
    monkeypatch.setattr(period, "typed_type_rows", lambda *a: used.append(a[2]) or real(*a))
    period_report_xlsx(period="2026-10", counterparty=None, target=fast)
    assert len(used) == 5
    monkeypatch.setattr(period, "typed_type_rows", lambda *a: None)
    period_report_xlsx(period="2026-10", counterparty=None, target=slow)
    expected = _cells(slow)
    assert [c for c in expected if c[2] == "=1+1"][0][4] == "s"
    assert [c for c in expected if c[2] == 1234.567][0][3] == "0.000"
    assert _cells(fast) == expected


# These three commit their rows (other connections see only committed data); the flush after each empties the couriers
# the data migration made, and serialized_rollback puts them back.
def _backend_pids(expect: set[int] | None = None) -> set[int]:
    """The other client connections to the test database; with `expect`, waited for (up to 10 s) to become that set,
    since a server process leaves the list a moment after its client closed the connection."""
    deadline = time.monotonic() + 10
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                           "AND backend_type = 'client backend'")
            found = {pid for (pid,) in cursor.fetchall()}
        if expect is None or found == expect or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_blocks_are_the_python_csv_byte_for_byte(month, tmp_path, monkeypatch):  # noqa: F811
    """Outside a transaction the types' blocks are written by two other connections at once, joined in order."""
    _awkward_rows(month)
    python, server = tmp_path / "python.csv", tmp_path / "parallel.csv"
    period_report_csv(period="2026-10", counterparty=None, target=python, use_copy=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    before = _backend_pids()
    ran_on = []
    real_copy = period._ParallelCopies._copy
    # The first two blocks wait for each other: they can only both pass if two are being written at the same time.
    together = threading.Barrier(2, timeout=20)

    def copy(self, select):
        with self._connection().cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            ran_on.append(cursor.fetchone()[0])
        if len(ran_on) <= 2:
            together.wait()
        return real_copy(self, select)

    monkeypatch.setattr(period._ParallelCopies, "_copy", copy)
    monkeypatch.setattr(period, "_copy_rows", lambda *a: pytest.fail("a block went through the request's connection"))
    period_report_csv(period="2026-10", counterparty=None, target=server, use_copy=True, workers=2)
    # Five blocks (rate and weight overcharges, the undercharge, two returns' types) on two connections, not this one.
    assert len(ran_on) == 5
    assert len(set(ran_on)) == 2 and own not in ran_on
    assert server.read_bytes() == python.read_bytes()
    assert b"'=1+1" in python.read_bytes()
    # Their connections are closed once the file is written.
    assert _backend_pids(expect=before) == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_blocks_read_the_snapshot_the_cover_was_read_in(month, tmp_path, monkeypatch):  # noqa: F811
    """A discrepancy committed while the report is being written is in neither its cover nor its rows."""
    before_insert, parallel, after = tmp_path / "before.csv", tmp_path / "parallel.csv", tmp_path / "after.csv"
    period_report_csv(period="2026-10", counterparty=None, target=before_insert, use_copy=False)
    run, october = month["run"], month["run"].courier_bill.period
    real_cover = period.period_cover_rows

    def insert_elsewhere():
        from django.db import connection as own
        try:
            DiscrepancyFactory(run=run, period=october, type="rate_overcharge", waybill_no="LATE1",
                               amount_at_stake=Decimal("555.55"))
        finally:
            own.close()

    def cover_then_insert(**kw):
        found = real_cover(**kw)
        t = threading.Thread(target=insert_elsewhere)
        t.start()
        t.join()
        return found

    monkeypatch.setattr(period, "period_cover_rows", cover_then_insert)
    period_report_csv(period="2026-10", counterparty=None, target=parallel, use_copy=True, workers=2)
    assert Discrepancy.objects.filter(ref="LATE1").count() == 1
    assert parallel.read_bytes() == before_insert.read_bytes()
    monkeypatch.setattr(period, "period_cover_rows", real_cover)
    period_report_csv(period="2026-10", counterparty=None, target=after, use_copy=True, workers=2)
    assert b"LATE1" in after.read_bytes() and b"555.55" in after.read_bytes()
    assert b"LATE1" not in parallel.read_bytes()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_block_raises_and_closes_its_connections(month, tmp_path, monkeypatch):  # noqa: F811
    before = _backend_pids()
    real_select = period._copy_select

    def select(scope, kind, type_code, columns, labels):
        sql = real_select(scope, kind, type_code, columns, labels)
        return sql.replace("SELECT ", "SELECT 1/0, ", 1) if type_code == "rate_undercharge" else sql

    monkeypatch.setattr(period, "_copy_select", select)
    with pytest.raises(Exception, match="division by zero"):
        period_report_csv(period="2026-10", counterparty=None, target=tmp_path / "x.csv", use_copy=True, workers=2)
    assert _backend_pids(expect=before) == before
    # The request's own connection is usable again: its transaction ended with the failure.
    assert not connection.in_atomic_block
    assert Discrepancy.objects.filter(run=month["run"]).count() == 4
