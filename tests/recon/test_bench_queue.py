"""bench_queue: its generator makes the rows it claims in a realistic mix, every scenario is measured, nothing is left
behind; and on those rows, keyset pages and the money totals give exactly what the plain queries give."""
import io
import json
import statistics
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from couriers.models import CourierBill
from recon.review.filters import QUEUE_SORTS, SORT_FIELDS
from couriers.management.commands.bench_queue import MARK, Command
from recon.kinds import information_types
from couriers.kind import TYPES as COURIER_TYPES
from recon.core.models import Discrepancy, ReconPeriod, ReconRun
from recon.review.selectors import keyset_page, queue_totals

pytestmark = pytest.mark.django_db

ROWS = 2000


def bench_args(*extra):
    args = ["bench_queue", *extra]
    return args + ["--allow-sqlite"] if connection.vendor == "sqlite" else args


@pytest.fixture
def bench_rows():
    """The benchmark's rows without the measuring."""
    command = Command()
    fixtures = command.create_fixtures()
    command.generate(ROWS, fixtures)
    return Discrepancy.objects.filter(run__input_filename=MARK)


def test_the_benchmark_measures_every_scenario_on_the_rows_it_claims(tmp_path):
    out = tmp_path / "queue.json"
    text = io.StringIO()
    call_command(*bench_args("--rows", str(ROWS), "--repeat", "1", "--totals-repeat", "1", "--explain", "--keep",
                             "--output", str(out)), stdout=text)
    report = json.loads(out.read_text())
    mine = Discrepancy.objects.filter(run__input_filename=MARK)
    assert report["rows"] == ROWS == mine.count()
    assert report["current"] == mine.filter(is_current=True).count()
    assert 0.85 * ROWS < report["current"] < ROWS  # a few bills were reconciled twice
    names = [s["name"] for s in report["scenarios"]]
    for expected in ["default (money first)", "status=open", "courier=ZTO", "assignee=me", "assignee=none",
                     "type=weight_overcharge", "period=", "(waybill prefix)", "q=<exact order no>", "amount_min=50",
                     "status=open&courier=YTO&type=rate_overcharge", "sort by waybill_no", "deep page (21st, money first)"]:
        assert any(n.startswith(expected) or n.endswith(expected) for n in names), expected
    by_name = {s["name"]: s for s in report["scenarios"]}
    for s in report["scenarios"]:
        assert len(s["page"]["samples_ms"]) == 1 and len(s["api"]["samples_ms"]) == 1
        assert s["main_sql"] and s["plan"]["first_line"]
        assert s["totals"] or s["totals_same_as"] in by_name
    assert by_name["default (money first)"]["rows_on_page"] == 50
    assert by_name["q=<exact order no>"]["rows_on_page"] == 1
    assert by_name["deep page (21st, money first)"]["page_url"].count("cursor=") == 1
    assert f"{ROWS:,} discrepancies" in text.getvalue()

    Command().cleanup(quiet=True)
    assert not Discrepancy.objects.filter(run__input_filename=MARK).exists()
    assert not ReconRun.objects.filter(input_filename=MARK).exists()
    assert not CourierBill.objects.filter(sha256__startswith=MARK).exists()
    assert not get_user_model().objects.filter(username__startswith=MARK).exists()
    assert not ReconPeriod.objects.filter(start__year=2040).exists()


def test_the_generated_rows_look_like_a_queue(bench_rows):
    current = bench_rows.filter(is_current=True)
    types = dict(current.values_list("type").annotate(n=Count("id")))
    assert set(types) == {t.code for t in COURIER_TYPES}
    assert max(types, key=types.get) == "weight_overcharge"
    statuses = dict(current.values_list("status").annotate(n=Count("id")))
    assert set(statuses) == {"open", "investigating", "disputed", "resolved"} and statuses["open"] > 0.7 * len(current)
    assert set(current.exclude(status="resolved").values_list("outcome", flat=True)) == {""}
    assert set(current.filter(status="resolved").values_list("outcome", flat=True)) == {"recovered", "accepted", "written_off"}
    assert current.filter(assignee=None).count() > 0.6 * len(current)
    assert current.exclude(assignee=None).values("assignee").distinct().count() == 6
    amounts = sorted(current.values_list("amount_at_stake", flat=True))
    assert all(a == a.quantize(Decimal("0.01")) and a > 0 for a in amounts)
    assert statistics.median(amounts) < 5 and amounts[-1] > 200  # most are small, a long tail is not
    zto = list(current.filter(counterparty__code="ZTO").values_list("ref", flat=True))
    assert zto and all(w.startswith("7531") and len(w) == 14 and w.isdigit() for w in zto)
    assert bench_rows.values("ref").distinct().count() == ROWS
    assert current.filter(type="unknown_waybill").exclude(ref2="").count() == 0


def test_it_refuses_sqlite_without_the_flag(monkeypatch):
    # Runs on either database: the command only asks the connection which vendor it is.
    from django.db import connection

    monkeypatch.setattr(type(connection), "vendor", "sqlite", raising=False)
    with pytest.raises(CommandError, match="bench_queue measures PostgreSQL \\(this database is sqlite\\)"):
        call_command("bench_queue", "--rows", "10")


@pytest.mark.parametrize("ordering", [*QUEUE_SORTS, *(f"-{k}" for k in QUEUE_SORTS)])
def test_keyset_pages_walk_every_row_once_forwards_and_back(bench_rows, ordering):
    rows = bench_rows.filter(is_current=True)
    key = ordering.lstrip("-")
    column = ordering.replace(key, SORT_FIELDS.get(key, key))  # the public sort name `waybill_no` sorts by `ref`
    expected = list(rows.order_by(column, *([] if key == "id" else ["id"])).values_list("id", flat=True))
    pages, cursor = [], None
    while True:
        page = keyset_page(rows, ordering=ordering, cursor=cursor, size=97)
        pages.append([d.id for d in page.rows])
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert [i for p in pages for i in p] == expected
    back, cursor = [], page.prev_cursor
    while cursor:
        page = keyset_page(rows, ordering=ordering, cursor=cursor, size=97)
        back.append([d.id for d in page.rows])
        cursor = page.prev_cursor
    assert back[::-1] == pages[:-1]


@pytest.mark.parametrize("by", [("period", "courier"), ("period",), ("courier",)])
def test_totals_are_the_grouped_sums_in_the_databases_order(bench_rows, by):
    # Rows without a period or a courier form groups of their own, placed where the database sorts empty values.
    some = list(bench_rows.filter(is_current=True).values_list("id", flat=True)[:40])
    Discrepancy.objects.filter(id__in=some[:20]).update(period=None)
    Discrepancy.objects.filter(id__in=some[10:30]).update(counterparty=None)
    rows = bench_rows.filter(is_current=True)
    claims = ~Q(type__in=information_types())
    # A claim's money not credited: where a partial recovery's rest goes depends on its shortfall's outcome.
    rest = F("amount_at_stake") - Coalesce("recovered_amount", Value(Decimal(0)), output_field=DecimalField())
    aggregates = {
        "count": Count("id"),
        "at_stake": Sum("amount_at_stake", filter=claims),
        "open": Sum(rest, filter=claims & Q(status__in=["open", "investigating"])),
        "disputed": Sum(rest, filter=claims & Q(status="disputed")),
        "recovered": Sum("recovered_amount", filter=claims),
        "accepted": Sum(rest, filter=claims & (Q(outcome="accepted") | Q(outcome="recovered", shortfall_outcome="accepted"))),
        "written_off": Sum(rest, filter=claims & (Q(outcome="written_off") | Q(outcome="recovered", shortfall_outcome="written_off"))),
        "shortfall": Sum(rest, filter=claims & Q(outcome="recovered", shortfall_outcome="")),
        "investigating": Sum(rest, filter=claims & Q(status="investigating")),
        "informational": Sum("amount_at_stake", filter=~claims),
    }
    labels = {"period": ["period_id", "period__start", "period__end", "period__cycle", "period__status"],
              "courier": ["counterparty_id", "counterparty__code", "counterparty__name"]}
    order = (["-period__start", "-period_id"] if "period" in by else []) + (["counterparty__code"] if "courier" in by else [])
    plain = list(rows.values(*[f for b in by for f in labels[b]]).annotate(**aggregates).order_by(*order))
    zero = Decimal("0.00")
    for row in plain:
        row.update({k: v or zero for k, v in row.items() if k in aggregates and k != "count"})
    total = {k: v or (0 if k == "count" else zero) for k, v in rows.aggregate(**aggregates).items()}

    result = queue_totals(rows, by=by)

    # To the fen: SQLite adds decimals up as floats, so the last of its 15 digits depends on the order of the rows.
    def to_fen(row):
        return {k: v.quantize(Decimal("0.01")) if isinstance(v, Decimal) else v for k, v in row.items()}

    assert [to_fen(g) for g in result["groups"]] == [to_fen(g) for g in plain]
    assert to_fen(result["total"]) == to_fen(total)
    assert total["count"] == len(rows) and total["at_stake"] > 0
    parts = ("open", "disputed", "recovered", "accepted", "written_off", "shortfall")
    assert total["shortfall"] > 0 and all(sum(g[k] for k in parts).quantize(Decimal("0.01")) == g["at_stake"].quantize(Decimal("0.01"))
                                          for g in [*result["groups"], result["total"]])
