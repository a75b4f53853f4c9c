"""A small data set with exact amounts, shared by the dashboard's and the period summary's tests."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from recon.core.models import Discrepancy, ReconPeriod, ReconRun


def _period(cp, start, end):
    return ReconPeriod.objects.create(counterparty=cp, start=start, end=end, cycle=ReconPeriod.Cycle.MONTHLY)


def _run(cp, start, end, billed, **fields):
    return ReconRun.objects.create(kind="courier_fee", status=ReconRun.Status.SUCCEEDED, counterparty=cp, period_start=start,
                                   period_end=end, summary={"billed_total": billed, "lines": 10}, **fields)


def _d(run, period, ref, type_, amount, status="open", claim=True, **fields):
    return Discrepancy.objects.create(run=run, kind="courier_fee", type=type_, status=status, counterparty=run.counterparty,
                                      ref=ref, amount_at_stake=Decimal(amount), is_claim=claim, period=period, reason="…", **fields)


def build():
    """October 2026: ZTO billed ¥1,000.00 with ¥60.00 at stake, YTO billed ¥500.00 with ¥12.50; September: ZTO ¥7.25."""
    from couriers.models import Courier

    zto, yto = (Courier.objects.get(code=c).counterparty for c in ("ZTO", "YTO"))
    oct_s, oct_e, sep_s, sep_e = date(2026, 10, 1), date(2026, 10, 31), date(2026, 9, 1), date(2026, 9, 30)
    zto_oct, yto_oct, zto_sep = _period(zto, oct_s, oct_e), _period(yto, oct_s, oct_e), _period(zto, sep_s, sep_e)
    r_sep = _run(zto, sep_s, sep_e, "800.00")
    r_zto = _run(zto, oct_s, oct_e, "1000.00")
    r_yto = _run(yto, oct_s, oct_e, "500.00")
    ReconRun.objects.create(kind="courier_fee", status=ReconRun.Status.FAILED, counterparty=yto, error="账单读不出来")
    rows = {
        "S1": _d(r_sep, zto_sep, "S1", "rate_overcharge", "7.25"),
        "Z1": _d(r_zto, zto_oct, "Z1", "weight_overcharge", "30.00"),
        "Y1": _d(r_yto, yto_oct, "Y1", "weight_overcharge", "12.50", status="investigating"),
        "Z2": _d(r_zto, zto_oct, "Z2", "weight_overcharge", "20.00", status="disputed"),
        "Z3": _d(r_zto, zto_oct, "Z3", "rate_overcharge", "10.00", status="resolved", outcome="recovered",
                 recovered_amount=Decimal("10.00")),
        "Z4": _d(r_zto, zto_oct, "Z4", "not_billed", "5.00", claim=False),
        # Replaced by a later run of its bill: counts nowhere.
        "N1": _d(r_zto, zto_oct, "N1", "weight_overcharge", "99.00", is_current=False),
    }
    return {"zto": zto, "yto": yto, "rows": rows}


def add_without_counterparty():
    """A returns run whose findings know no courier or shop, so they have no period either: ¥199.00 claimed about a
    return of 2026-10-03 (October), and ¥1.00 with no date from a run over September (September, by its run)."""
    run = ReconRun.objects.create(kind="returns", status=ReconRun.Status.SUCCEEDED, period_start=date(2026, 10, 1),
                                  period_end=date(2026, 10, 31), summary={"discrepancies": 2, "amount_at_stake": "199.00"})
    september = ReconRun.objects.create(kind="returns", status=ReconRun.Status.SUCCEEDED, period_start=date(2026, 9, 1),
                                        period_end=date(2026, 9, 30), summary={"discrepancies": 1, "amount_at_stake": "1.00"})

    def row(run, ref, type_, amount, claim, occurred_on):
        return Discrepancy.objects.create(run=run, kind="returns", type=type_, status="open", counterparty=None, period=None,
                                          ref=ref, amount_at_stake=Decimal(amount), is_claim=claim, occurred_on=occurred_on,
                                          reason="…")

    return {
        "run": run,
        "R1": row(run, "R1", "refunded_not_received", "199.00", True, date(2026, 10, 3)),
        "R2": row(run, "R2", "return_not_received", "0.00", False, date(2026, 10, 14)),
        "R3": row(september, "R3", "refunded_not_received", "1.00", True, None),
    }


def work_the_rows(rows: dict, *, manager, ops, check) -> None:
    """The review's writes over build()'s rows, with `check()` before, between and after them: a status change, two
    partial credits (one's rest back in the queue, the other's accepted), a bulk status change and a bulk assignment."""
    from recon.review.bulk import bulk_action_execute, bulk_action_submit
    from recon.review.services import (
        discrepancy_resolve, discrepancy_set_status, discrepancy_shortfall_accept, discrepancy_shortfall_reopen,
    )

    check()
    discrepancy_set_status(discrepancy=rows["Z1"], status="investigating", user=manager)
    # A partial credit: ¥12.00 of the ¥20.00 recovered, its ¥8.00 rest back in the queue.
    discrepancy_resolve(discrepancy=rows["Z2"], outcome="recovered", amount="12.00", user=manager)
    discrepancy_shortfall_reopen(discrepancy=Discrepancy.objects.get(pk=rows["Z2"].pk), user=manager)
    # A partial credit whose uncredited rest is accepted: ¥5.00 of ¥12.50 credited, ¥7.50 accepted.
    discrepancy_resolve(discrepancy=Discrepancy.objects.get(pk=rows["Y1"].pk), outcome="recovered", amount="5.00", user=manager)
    discrepancy_shortfall_accept(discrepancy=Discrepancy.objects.get(pk=rows["Y1"].pk), reason="称重无误", user=manager)
    check()
    job = bulk_action_submit(action="status", params={"status": "disputed"}, ids=[rows["Z1"].pk, rows["S1"].pk], user=manager)
    bulk_action_execute(bulk_action_id=job.pk)
    job = bulk_action_submit(action="assign", params={"assignee": ops.username}, ids=[rows["Z1"].pk], user=manager)
    bulk_action_execute(bulk_action_id=job.pk)
    check()
