"""Money goes into the database and comes back to the fen, on every database, however often a bill is reconciled."""
import io
import sqlite3
from decimal import Decimal

import pandas as pd
import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from couriers.models import CourierBillLine
from couriers.selectors import rate_card_specs
from couriers.services import courier_bill_rerun, courier_bill_submit
from orders.services import shipments_bulk_create
from recon.runs import services as run_services
from recon.core.db import fen_from_db, fen_of, yuan_of
from recon.core.models import Discrepancy, ReconRun

# Each of these, read back as the nearest float and truncated after * 100, loses a fen (12.87 -> 1286).
FEW_FEN_SHORT = [1287, 29, 115, 230, 435]


def test_floats_as_sqlite_returns_them_convert_to_the_exact_fen():
    stored = pd.Series([12.87, 0.29, 1.15, 2.3, 4.35, 24244.92, -0.07, 12, 99999999999.99])
    assert fen_from_db(stored).tolist() == [1287, 29, 115, 230, 435, 2424492, -7, 1200, 9999999999999]
    assert fen_from_db(stored).dtype == "int64"


def test_decimals_text_and_nulls_convert_to_the_exact_fen():
    stored = pd.Series([Decimal("12.87"), "0.29", None, Decimal("-1.15")], dtype=object)
    assert fen_from_db(stored).tolist() == [1287, 29, pd.NA, -115]
    assert str(fen_from_db(stored).dtype) == "Int64"


def test_a_value_beyond_the_money_columns_is_refused():
    with pytest.raises(ValueError):
        fen_from_db(pd.Series([1e12]))


@pytest.mark.parametrize(("value", "fen"), [
    (12.87, 1287), (Decimal("0.29"), 29), ("4.35", 435), (2.3, 230), (-0.07, -7), (Decimal("24244.92"), 2424492), (None, None),
])
def test_one_value_converts_to_the_exact_fen(value, fen):
    assert fen_of(value) == fen


@pytest.mark.parametrize(("fen", "text"), [(1287, "12.87"), (100, "1.00"), (-5, "-0.05"), (0, "0.00"), (2424492, "24244.92")])
def test_fen_convert_back_to_two_place_decimals(fen, text):
    assert str(yuan_of(fen)) == text


def test_yuan_of_nothing_is_nothing():
    assert yuan_of(None) is None


@given(st.lists(st.integers(min_value=-10**13 + 1, max_value=10**13 - 1), min_size=1, max_size=50))
@settings(max_examples=200)
def test_every_value_a_sqlite_decimal_column_returns_converts_back_to_its_fen(fen):
    """Through the stdlib's SQLite with the column type Django gives a DecimalField, whatever database the suite runs on."""
    db = sqlite3.connect(":memory:")
    db.execute('CREATE TABLE line ("billed_fee" decimal NOT NULL)')
    db.executemany("INSERT INTO line VALUES (?)", [(str(yuan_of(f)),) for f in fen])
    stored = pd.Series([row[0] for row in db.execute("SELECT billed_fee FROM line ORDER BY rowid")], dtype=object)
    assert fen_from_db(stored).tolist() == fen
    assert [fen_of(v) for v in stored] == fen


@pytest.mark.django_db
def test_rate_card_prices_are_read_back_to_the_fen(demo_rate_card, zto):
    spec = next(s for s in rate_card_specs(courier=zto) if s.id == demo_rate_card.id)
    guangdong = spec.bands[spec.bands["province"] == "广东"].sort_values("upper_g")
    assert guangdong["price_fen"].tolist() == [300, 350, 500, 650]


# --------------------------------------------------------------------------- import, rerun, rerun again


def _bill_csv(fees_fen: list[int]) -> bytes:
    rows = ["运单号,揽收时间,目的省份,计费重量(kg),运费(元)"]
    for i, fen in enumerate(fees_fen):
        rows.append(f"75319{i:07d},2026-10-03 12:00:00,广东省,1.000,{yuan_of(fen)}")
    rows.append(f"合计,,,,{yuan_of(sum(fees_fen))}")
    return ("\n".join(rows) + "\n").encode("utf-8")


def _shipments(count: int) -> None:
    """Our shipments for every line but the last, which stays an unknown waybill (its whole fee at stake)."""
    records = [
        {"order_no": f"SO9{i:07d}", "waybill_no": f"75319{i:07d}", "courier": "ZTO", "shipped_at": "2026-10-03 09:00:00",
         "province": "广东", "status": "shipped", "weight_kg": 1.0}
        for i in range(count - 1)
    ]
    result = shipments_bulk_create(records=records)
    assert result.created == count - 1 and len(result.rejected) == 0


def _snapshot(run: ReconRun) -> dict:
    """What a clerk reads of a run: the bill's lines and total, every discrepancy's money, the run's summary."""
    bill = run.courier_bill
    bill.refresh_from_db()
    return {
        "billed_total": str(bill.billed_total),
        "lines": [(n, w, str(fee)) for n, w, fee in
                  CourierBillLine.objects.filter(bill=bill).order_by("line_no").values_list("line_no", "waybill_no", "billed_fee")],
        "discrepancies": sorted(
            (t, w, n, str(stake), str(billed), str(expected)) for t, w, n, stake, billed, expected in
            Discrepancy.objects.filter(run=run).values_list(
                "type", "ref", "source_line", "amount_at_stake", "theirs_amount", "ours_amount")
        ),
        "summary": run.summary,
    }


fees = st.lists(st.one_of(st.sampled_from(FEW_FEN_SHORT), st.integers(min_value=1, max_value=99_999_99)), min_size=0, max_size=8)


@pytest.mark.django_db
@given(extra=fees)
@example(extra=[])
# Each example imports and reconciles a bill three times: no shrinking, the failing fees are printed as they are.
@settings(max_examples=10, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_import_rerun_rerun_again_keeps_every_fen(extra, demo_rate_card, zto, no_enqueue):
    fees_fen = [*FEW_FEN_SHORT, *extra]
    with transaction.atomic():
        _shipments(len(fees_fen))
        sub = courier_bill_submit(file=io.BytesIO(_bill_csv(fees_fen)), filename="zto-money.csv", courier=zto, period="2026-10")
        run_services.run_execute(run_id=sub.run.id)
        runs = [ReconRun.objects.get(id=sub.run.id)]
        for _ in range(2):
            again = courier_bill_rerun(bill=runs[0].courier_bill, enqueue=False)
            run_services.run_execute(run_id=again.id)
            runs.append(ReconRun.objects.get(id=again.id))
        snapshots = [_snapshot(r) for r in runs]
        transaction.set_rollback(True)

    assert [r.status for r in runs] == ["succeeded"] * 3
    first = snapshots[0]
    total = yuan_of(sum(fees_fen))
    assert first["billed_total"] == str(total)
    assert first["lines"] == [(i + 1, f"75319{i:07d}", str(yuan_of(f))) for i, f in enumerate(fees_fen)]
    # 1 kg to 广东 costs ¥3.50 on the demo card: every matched line is over or under by fee - 350 fen.
    expected = sorted(
        [("rate_overcharge" if f > 350 else "rate_undercharge", f"75319{i:07d}", i + 1, str(yuan_of(f - 350)), str(yuan_of(f)), "3.50")
         for i, f in enumerate(fees_fen[:-1]) if f != 350]
        + [("unknown_waybill", f"75319{len(fees_fen) - 1:07d}", len(fees_fen), str(yuan_of(fees_fen[-1])), str(yuan_of(fees_fen[-1])), "0.00")]
    )
    assert first["discrepancies"] == expected
    assert first["summary"]["billed_total"] == str(total)
    assert first["summary"]["file_totals_row"] == str(total)
    for later in snapshots[1:]:
        assert later == first
        assert later["summary"]["file_totals_match"] is True


@pytest.mark.django_db
def test_a_rerun_reading_fees_as_sqlite_floats_keeps_every_fen(demo_rate_card, zto, no_enqueue, monkeypatch):
    """SQLite's driver hands back the float nearest to each stored fee: the same check wherever the suite runs."""
    import couriers.services

    fees_fen = FEW_FEN_SHORT
    _shipments(len(fees_fen))
    sub = courier_bill_submit(file=io.BytesIO(_bill_csv(fees_fen)), filename="zto-money.csv", courier=zto, period="2026-10")
    run_services.run_execute(run_id=sub.run.id)
    imported = ReconRun.objects.get(id=sub.run.id)
    first = _snapshot(imported)
    real_fetch = couriers.services.fetch_frame

    def fetch_as_sqlite(sql, params, columns):
        frame = real_fetch(sql, params, columns)
        return frame.apply(lambda col: col.map(lambda v: float(v) if isinstance(v, Decimal) else v))

    monkeypatch.setattr(couriers.services, "fetch_frame", fetch_as_sqlite)
    again = courier_bill_rerun(bill=imported.courier_bill, enqueue=False)
    run_services.run_execute(run_id=again.id)
    later = _snapshot(ReconRun.objects.get(id=again.id))
    assert later == first
    assert later["summary"]["billed_total"] == "20.96"
    assert later["summary"]["file_totals_match"] is True
