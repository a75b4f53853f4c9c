"""The core's save of a run's results, fed by a tiny kind that states only its mapping (tests.recon.toy_kind's types)."""
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from recon.core.models import Counterparty, Discrepancy, ReconPeriod, ReconRun
from recon.runs.save import discrepancy_rows, json_numbers, json_texts, run_results_save, run_summary
from tests.recon import toy_kind

pytestmark = pytest.mark.django_db

OCT_1, OCT_31 = date(2026, 10, 1), date(2026, 10, 31)


@pytest.fixture
def shops():
    return {code: Counterparty.objects.create(kind="shop", code=code, name=name)
            for code, name in (("TMALL-A", "天猫A店"), ("JD-B", "京东B店"))}


def _run(user=None, status=ReconRun.Status.RUNNING) -> ReconRun:
    return ReconRun.objects.create(kind="toy", period_start=OCT_1, period_end=OCT_31, status=status, created_by=user)


def _toy_frame() -> pd.DataFrame:
    """What a toy engine returns: the core's money and text columns, plus the shop and a note only the kind has."""
    frame = pd.DataFrame({
        "shop": ["TMALL-A", "JD-B", "", "TMALL-A"],
        "type": ["toy_refund_missing", "toy_note", "toy_refund_missing", "dropped"],
        "ref": ["R" + "1" * 70, "R2", "R3", "R4"], "ref2": ["O1", "", "O3", "O4"], "sku": ["SKU-1", "", "", ""],
        "theirs_fen": pd.array([None, 1050, 0, 1], dtype="Int64"), "ours_fen": [1287, 1000, 500, 1],
        "amount_fen": [1287, -50, 500, 0], "is_claim": [True, False, True, False],
        "occurred_on": [date(2026, 10, 3), None, date(2026, 10, 30), None],
        "reason": ["退款未到账", "多收 ¥0.50", "无店铺", "—"], "note": ["甲 \"A\"", None, "丙", "丁"], "line": [12, None, 3, 4],
    })
    # A kind hands over what its engine kept, whatever index that left.
    return frame[frame["type"] != "dropped"].set_index(pd.Index([7, 3, 5]))


def _toy_rows(run: ReconRun, shops: dict) -> pd.DataFrame:
    ids = {code: cp.id for code, cp in shops.items()}
    return discrepancy_rows(
        run=run, disc=_toy_frame(), counterparty_id=lambda d: d["shop"].map(ids),
        carry_key=lambda d: d["type"] + "|" + d["ref"],
        details=lambda d: '{"note": ' + json_texts(d["note"]) + ', "line": ' + json_numbers(d["line"]) + "}",
        direction=lambda d: pd.Series(d["amount_fen"] < 0).map({True: "by_us", False: "to_us"}),
    )


def _summary() -> dict:
    return run_summary(spec=toy_kind.SPEC, engine_summary={
        "count_by_type": {"toy_refund_missing": 2, "toy_note": 1}, "fen_by_type": {"toy_refund_missing": 1787, "toy_note": -50},
        "claim_fen": 1787})


def test_a_kind_s_rows_are_saved_in_their_periods_and_the_run_succeeds(shops, finance_user):
    run = _run(finance_user)
    extra_calls = []

    saved = run_results_save(run=run, rows=_toy_rows(run, shops), summary=_summary(), timings={"load": 0.5, "match": 0.25},
                             started=0.0, matched=1.0, extra=lambda: extra_calls.append(ReconPeriod.objects.count()))

    assert saved is True
    periods = {p.counterparty.code: p for p in ReconPeriod.objects.select_related("counterparty")}
    assert sorted((code, p.start, p.end, p.cycle, p.status) for code, p in periods.items()) == [
        ("JD-B", OCT_1, OCT_31, "monthly", "open"), ("TMALL-A", OCT_1, OCT_31, "monthly", "open")]
    # Run inside the transaction, once the periods exist and are locked.
    assert extra_calls == [2]
    rows = list(Discrepancy.objects.order_by("ref").values_list(
        "run_id", "kind", "type", "status", "counterparty__code", "period_id", "ref", "ref2", "sku", "theirs_amount",
        "ours_amount", "amount_at_stake", "is_claim", "direction", "carry_key", "occurred_on", "reason", "details",
        "is_current"))
    assert rows == [
        (run.id, "toy", "toy_refund_missing", "open", "TMALL-A", periods["TMALL-A"].id, "R" + "1" * 63, "O1", "SKU-1", None,
         Decimal("12.87"), Decimal("12.87"), True, "to_us", "toy_refund_missing|R" + "1" * 70, date(2026, 10, 3),
         "退款未到账", {"note": '甲 "A"', "line": 12}, True),
        (run.id, "toy", "toy_note", "open", "JD-B", periods["JD-B"].id, "R2", "", "", Decimal("10.50"), Decimal("10.00"),
         Decimal("-0.50"), False, "by_us", "toy_note|R2", None, "多收 ¥0.50", {"note": None, "line": None}, True),
        (run.id, "toy", "toy_refund_missing", "open", None, None, "R3", "O3", "", Decimal("0.00"), Decimal("5.00"),
         Decimal("5.00"), True, "to_us", "toy_refund_missing|R3", date(2026, 10, 30), "无店铺", {"note": "丙", "line": 3}, True),
    ]
    run.refresh_from_db()
    assert (run.status, run.phase, run.progress_current, run.error_code) == ("succeeded", "done", 6, "")
    assert run.summary == {
        "count_by_type": {"toy_refund_missing": 2, "toy_note": 1}, "fen_by_type": {"toy_refund_missing": 1787, "toy_note": -50},
        "claim_fen": 1787, "discrepancies": 3, "amount_at_stake": "17.87",
        "by_type": {"toy_refund_missing": {"count": 2, "amount_at_stake": "17.87"}, "toy_note": {"count": 1, "amount_at_stake": "-0.50"}},
    }
    assert sorted(run.timings) == ["load", "match", "persist", "total"]
    assert (run.timings["load"], run.timings["match"]) == (0.5, 0.25)
    assert run.finished_at is not None


def test_the_save_and_the_carry_over_are_timed_apart_when_the_kind_asks(shops):
    run = _run()

    run_results_save(run=run, rows=_toy_rows(run, shops), summary=_summary(), timings={"load": 0.5, "match": 0.25},
                     started=0.0, matched=1.0, timed_steps=True)

    run.refresh_from_db()
    assert sorted(run.timings) == ["carry_over", "load", "match", "persist", "save", "total"]


def test_no_discrepancy_still_succeeds_and_opens_no_period():
    run = _run()
    empty = _toy_frame().iloc[0:0]

    rows = discrepancy_rows(run=run, disc=empty, counterparty_id=lambda d: d["shop"], carry_key=lambda d: d["ref"],
                            details=lambda d: d["note"])
    saved = run_results_save(run=run, rows=rows, summary=run_summary(spec=toy_kind.SPEC, engine_summary={
        "count_by_type": {}, "fen_by_type": {}, "claim_fen": 0}), timings={}, started=0.0, matched=0.0)

    assert saved is True
    assert (Discrepancy.objects.count(), ReconPeriod.objects.count()) == (0, 0)
    run.refresh_from_db()
    assert (run.status, run.summary["discrepancies"], run.summary["amount_at_stake"]) == ("succeeded", 0, "0.00")


def test_a_period_closed_meanwhile_fails_the_run_and_saves_nothing(shops):
    closed = ReconPeriod.objects.create(counterparty=shops["JD-B"], start=OCT_1, end=OCT_31, status=ReconPeriod.Status.CLOSED)
    run = _run()
    extra_calls = []

    saved = run_results_save(run=run, rows=_toy_rows(run, shops), summary=_summary(), timings={}, started=0.0, matched=0.0,
                             extra=lambda: extra_calls.append(1))

    assert saved is False
    assert extra_calls == []
    assert Discrepancy.objects.count() == 0
    # The other shop's period, made in the same transaction, went with it.
    assert list(ReconPeriod.objects.values_list("id", flat=True)) == [closed.id]
    run.refresh_from_db()
    assert (run.status, run.phase, run.error_code, run.error) == (
        "failed", "failed", "period_closed", "账期 2026-10 在本次对账完成前已关闭；主管可重新打开该账期。")
    assert run.summary == {}


def test_a_run_failed_meanwhile_saves_nothing_and_stays_failed(shops):
    run = _run()
    ReconRun.objects.filter(id=run.id).update(status=ReconRun.Status.FAILED, error_code="stale", error="心跳停止")
    earlier = _run(status=ReconRun.Status.SUCCEEDED)
    old = Discrepancy.objects.create(run=earlier, kind="toy", type="toy_note", ref="R2", carry_key="toy_note|R2",
                                     amount_at_stake=Decimal("1.00"), counterparty=shops["JD-B"])

    saved = run_results_save(run=run, rows=_toy_rows(run, shops), summary=_summary(), timings={}, started=0.0, matched=0.0,
                             carry_runs=[earlier.id],
                             extra=lambda: Counterparty.objects.create(kind="bank", code="ICBC-1", name="工行"))

    assert saved is False
    assert list(Discrepancy.objects.values_list("id", "is_current")) == [(old.id, True)]
    assert ReconPeriod.objects.count() == 0
    assert not Counterparty.objects.filter(code="ICBC-1").exists()
    run.refresh_from_db()
    assert (run.status, run.error_code, run.error, run.summary) == ("failed", "stale", "心跳停止", {})


def test_the_earlier_rows_replaced_are_the_runs_of_one_counterparty_and_the_ids_named(shops):
    earlier = _run(status=ReconRun.Status.SUCCEEDED)
    mine, theirs, named = (
        Discrepancy.objects.create(run=earlier, kind="toy", type=t, ref=ref, carry_key=f"{t}|{ref}", counterparty=shops[code],
                                   amount_at_stake=Decimal("1.00"))
        for t, ref, code in (("toy_note", "R2", "JD-B"), ("toy_note", "R9", "TMALL-A"), ("toy_refund_missing", "R3", "TMALL-A")))
    run = _run()

    run_results_save(run=run, rows=_toy_rows(run, shops), summary=_summary(), timings={}, started=0.0, matched=0.0,
                     carry_runs=[earlier.id], carry_counterparty_id=shops["JD-B"].id, carry_ids=[named.id])

    current = sorted(Discrepancy.objects.filter(is_current=True).values_list("run_id", "ref"))
    assert current == sorted([(earlier.id, "R9"), (run.id, "R" + "1" * 63), (run.id, "R2"), (run.id, "R3")])
    assert not Discrepancy.objects.filter(id__in=[mine.id, named.id], is_current=True).exists()
    assert Discrepancy.objects.get(id=theirs.id).is_current is True
