"""A run's results saved the same way for every kind that reads many files: its discrepancies in their periods (COPY),
the earlier runs' rows it replaces carried over, the run marked succeeded with its summary and timings, all in one
transaction; a period closed meanwhile fails the run, a run failed meanwhile saves nothing."""
from __future__ import annotations

import json
import re
import time
from typing import Callable

import pandas as pd
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recon.core.db import bulk_load, fetch_frame, money, now_db
from recon.core.models import Counterparty, Discrepancy, ReconRun
from recon.engine.text import yuan
from recon.periods.services import period_get_or_create, periods_lock
from recon.review.services import discrepancies_carry_over_ids, discrepancies_carry_over_runs
from recon.runs import services as run_services
from recon.runs.links import discrepancy_links_refresh

# The widths of the Discrepancy columns a kind's texts are cut to.
REF_LENGTH = 64
CARRY_KEY_LENGTH = 200
ROW_COLUMNS = ("run_id", "kind", "type", "status", "counterparty_id", "period_id", "ref", "ref2", "sku", "theirs_amount",
               "ours_amount", "amount_at_stake", "is_claim", "direction", "carry_key", "occurred_on", "reason", "details",
               "created_at")


def run_summary(*, spec, engine_summary: dict) -> dict:
    """The engine's summary, with the per-type counts and money every run shows (run_result, the run page)."""
    counts, fen = engine_summary["count_by_type"], engine_summary["fen_by_type"]
    # Every amount formatted in one call: the fixed cost is per call, and a small run pays it for each type otherwise.
    text = yuan(pd.Series([int(fen.get(t.code, 0)) for t in spec.types] + [int(engine_summary["claim_fen"])])).tolist()
    by_type = {t.code: {"count": int(counts.get(t.code, 0)), "amount_at_stake": text[i]} for i, t in enumerate(spec.types)}
    return {**engine_summary, "by_type": by_type, "discrepancies": int(sum(counts.values())), "amount_at_stake": text[-1]}


def discrepancy_rows(*, run: ReconRun, disc: pd.DataFrame, counterparty_id: Callable[[pd.DataFrame], pd.Series],
                     carry_key: Callable[[pd.DataFrame], pd.Series], details: Callable[[pd.DataFrame], pd.Series],
                     direction: str | Callable[[pd.DataFrame], pd.Series] = "to_us") -> pd.DataFrame:
    """A kind's discrepancies as Discrepancy columns, ready for COPY (the period is filled in when they are saved).

    `disc` has type, ref, ref2, sku (optional), theirs_fen, ours_fen, amount_fen, is_claim, occurred_on and reason;
    the kind's mapping gives, from those rows (indexed 0..n-1), each one's counterparty id (nullable), carry key and
    details (JSON text), and the direction of the money, one value for every row or one per row.
    """
    if disc.empty:
        return pd.DataFrame(columns=list(ROW_COLUMNS))
    disc = disc.reset_index(drop=True)
    counterparty = pd.Series(counterparty_id(disc)).reset_index(drop=True).astype("Int64")
    occurred = pd.Series(disc["occurred_on"].to_numpy(dtype=object))
    return pd.DataFrame({
        "run_id": run.id, "kind": run.kind, "type": disc["type"].to_numpy(), "status": "open",
        "counterparty_id": counterparty.astype(object).where(counterparty.notna(), None).to_numpy(),
        "period_id": None,
        "ref": _cut(disc["ref"], REF_LENGTH), "ref2": _cut(disc["ref2"], REF_LENGTH),
        "sku": _cut(disc["sku"], REF_LENGTH) if "sku" in disc else "",
        "theirs_amount": money(disc["theirs_fen"]).to_numpy(), "ours_amount": money(disc["ours_fen"]).to_numpy(),
        "amount_at_stake": money(disc["amount_fen"]).to_numpy(), "is_claim": disc["is_claim"].to_numpy(dtype=bool),
        "direction": direction if isinstance(direction, str) else pd.Series(direction(disc)).to_numpy(),
        "carry_key": pd.Series(carry_key(disc)).str.slice(0, CARRY_KEY_LENGTH).to_numpy(),
        "occurred_on": occurred.where(occurred.notna(), None).to_numpy(), "reason": disc["reason"].astype(str).to_numpy(),
        "details": pd.Series(details(disc)).to_numpy(), "created_at": now_db(),
    })


def json_numbers(values) -> pd.Series:
    """Whole numbers as JSON text (null for missing), column-wise, for a kind's details."""
    numbers = pd.Series(pd.array(values, dtype="Int64"))
    return numbers.astype(str).where(numbers.notna(), "null")


def json_texts(values: pd.Series) -> pd.Series:
    """Strings as JSON string literals (null for missing), column-wise: each distinct text is encoded once."""
    text = values.astype(object).where(values.notna(), None).reset_index(drop=True)
    encoded = {v: json.dumps(str(v), ensure_ascii=False) for v in pd.unique(text.dropna())}
    return text.map(encoded).fillna("null")


def _cut(values: pd.Series, length: int):
    return values.astype(str).str.slice(0, length).to_numpy()


class _PeriodClosed(Exception):
    def __init__(self, period):
        super().__init__(period.label)
        self.period = period


class _RunEnded(Exception):
    """The stale sweep failed the run while it worked: its results are rolled back."""


def run_results_save(*, run: ReconRun, rows: pd.DataFrame, summary: dict, timings: dict[str, float], started: float,
                     matched: float, carry_runs: list[int] = (), carry_ids: list[int] = (),
                     carry_counterparty_id: int | None = None, extra: Callable[[], None] | None = None,
                     timed_steps: bool = False) -> bool:
    """Save a run's discrepancies and mark it succeeded in one transaction; False if a period or the run ended first.

    `rows` come from discrepancy_rows. The run replaces the current rows of the earlier runs `carry_runs` (only
    `carry_counterparty_id`'s if given) and the rows `carry_ids`, keeping the work done on them. `extra` runs in the
    same transaction, under the periods' locks, before the discrepancies are inserted. `started` and `matched` are the
    run's perf_counter at its start and once matched: "persist" and "total" are timed from them (and, with
    `timed_steps`, "save" and "carry_over" apart).
    """
    counterparty_ids = sorted({int(i) for i in rows["counterparty_id"].dropna()}) if len(rows) else []
    try:
        with transaction.atomic():
            periods = {cp.id: period_get_or_create(counterparty=cp, start=run.period_start, end=run.period_end)
                       for cp in Counterparty.objects.filter(id__in=counterparty_ids).order_by("id")}
            # Under the periods' locks, which closing takes too: nothing lands in a period closed meanwhile.
            closed = periods_lock([p.id for p in periods.values()])
            if closed:
                raise _PeriodClosed(next(p for p in periods.values() if p.id in closed))
            if extra is not None:
                extra()
            _insert(rows, {cp: p.id for cp, p in periods.items()})
            saved = time.perf_counter()
            if timed_steps:
                timings["save"] = saved - matched
            discrepancies_carry_over_runs(run_ids=list(carry_runs), run_id=run.id, user=run.created_by,
                                          counterparty_id=carry_counterparty_id)
            discrepancies_carry_over_ids(ids=list(carry_ids), run_id=run.id, user=run.created_by)
            # After the carry-over: only the rows current now are linked, and links to the rows it replaced go.
            discrepancy_links_refresh(run_id=run.id, kind=run.kind)
            carried = time.perf_counter()
            if timed_steps:
                timings["carry_over"] = carried - saved
            timings["persist"] = carried - matched
            timings["total"] = time.perf_counter() - started
            # Conditional: a run the stale sweep failed meanwhile must not save.
            if not ReconRun.objects.filter(id=run.id, status=ReconRun.Status.RUNNING).update(
                status=ReconRun.Status.SUCCEEDED, phase=ReconRun.Phase.DONE, progress_current=len(run_services.PHASE_ORDER) - 1,
                summary=summary, finished_at=timezone.now(), timings={k: round(v, 4) for k, v in timings.items()},
            ):
                raise _RunEnded
    except _PeriodClosed as closed_period:
        run_services.run_fail(run_id=run.id, code="period_closed", message=_(
            "Period %(period)s was closed before this run finished; a manager can reopen it.") % {"period": closed_period.period.label})
        return False
    except _RunEnded:
        return False
    return True


def _insert(rows: pd.DataFrame, periods: dict[int, int]) -> None:
    if rows.empty:
        return
    counterparty = pd.Series(pd.array(rows["counterparty_id"], dtype="Int64"))
    period = counterparty.map(periods).astype("Int64")
    bulk_load(Discrepancy._meta.db_table, rows.assign(period_id=period.astype(object).where(period.notna(), None).to_numpy()))


JUDGED_ON = re.compile(r'"judged_on": "(\d{4}-\d{2}-\d{2})"')


def runs_rejudged(*, run: ReconRun) -> tuple[list[int], list[int]]:
    """Earlier runs of the run's kind whose ranges overlap this one's, and their current rows this run judges again: every
    row of a run over the same range, and of another range the rows whose day (details.judged_on, which the kind writes,
    else the date) is in this one."""
    earlier = list(ReconRun.objects.filter(kind=run.kind, period_start__lte=run.period_end, period_end__gte=run.period_start,
                                           id__lt=run.id).values_list("id", "period_start", "period_end"))
    same = [i for i, start, end in earlier if (start, end) == (run.period_start, run.period_end)]
    other = [i for i, start, end in earlier if (start, end) != (run.period_start, run.period_end)]
    if not other:
        return same, []
    marks = ", ".join(["%s"] * len(other))
    rows = fetch_frame(f"SELECT id, details, occurred_on FROM {Discrepancy._meta.db_table} "
                       f"WHERE run_id IN ({marks}) AND is_current", other, ["id", "details", "occurred_on"])
    if rows.empty:
        return same, []
    details = rows["details"].map(lambda d: d if isinstance(d, str) else json.dumps(d))
    day = details.str.extract(JUDGED_ON, expand=False)
    day = day.where(day.notna(), pd.to_datetime(rows["occurred_on"]).dt.strftime("%Y-%m-%d"))
    inside = (day >= run.period_start.isoformat()) & (day <= run.period_end.isoformat())
    return same, rows.loc[inside.fillna(False).to_numpy(), "id"].astype("int64").tolist()
