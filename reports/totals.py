"""Reads of the discrepancies' totals table (recon_discrepancy_totals, kept exact by PostgreSQL's triggers: see
recon/core/migrations/0018_discrepancy_totals.py and 0019) for the dashboard, and the same figures read live elsewhere.

On PostgreSQL the dashboard adds up a few thousand group rows instead of a million discrepancies; on SQLite (the
embedded demo, small) there is no such table and the same functions run the live aggregates. Both give the same
figures to the fen (tests/reports/test_dashboard_totals.py checks it after every kind of write).
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

TABLE = "recon_discrepancy_totals"
ZERO = Decimal("0.00")
OPEN_STATUSES = ("open", "investigating")


def enabled() -> bool:
    """Whether the totals table exists here (PostgreSQL): the one switch between the two ways of reading."""
    return connection.vendor == "postgresql"


def money_parts(groups) -> dict:
    """The count and the money identity's parts (recon.review.selectors.money_aggregates, same conditions) added up
    from groups of rows that share status, outcome, shortfall outcome and claim flag: each group's rest (at stake less
    what was credited) lies in exactly the parts its shared values pick."""
    out = {"count": 0, "at_stake": ZERO, "open": ZERO, "investigating": ZERO, "disputed": ZERO, "recovered": ZERO,
           "accepted": ZERO, "written_off": ZERO, "shortfall": ZERO, "informational": ZERO}
    for g in groups:
        count, amount, recovered = g["count"], g["amount"], g["recovered"]
        out["count"] += count
        if not g["is_claim"]:
            out["informational"] += amount
            continue
        rest = amount - recovered
        out["at_stake"] += amount
        out["recovered"] += recovered
        if g["status"] in OPEN_STATUSES:
            out["open"] += rest
        if g["status"] == "investigating":
            out["investigating"] += rest
        if g["status"] == "disputed":
            out["disputed"] += rest
        partial = g["outcome"] == "recovered"
        for part in ("accepted", "written_off"):
            if g["outcome"] == part or partial and g["shortfall_outcome"] == part:
                out[part] += rest
        if partial and g["shortfall_outcome"] not in ("accepted", "written_off"):
            out["shortfall"] += rest
    return out


def _rows(sql: str, params: list) -> list[dict]:
    with connection.cursor() as c:
        c.execute(sql, params)
        names = [col[0] for col in c.description]
        return [dict(zip(names, r)) for r in c.fetchall()]


def _where(period_ids: list[int], months: tuple[date, date], counterparty_id: int | None) -> tuple[str, list]:
    """The current rows of these periods, and those without a period whose month (reports.months' rule, kept in
    unperiodised_month by the triggers: see migration 0019) lies in [months[0], months[1])."""
    where = ["is_current", "(period_id = ANY(%s) OR period_id = 0 AND unperiodised_month >= %s AND unperiodised_month < %s)"]
    params: list = [list(period_ids), months[0], months[1]]
    if counterparty_id:
        where.append("counterparty_id = %s")
        params.append(counterparty_id)
    return " AND ".join(where), params


def money_groups(*, period_ids: list[int], months: tuple[date, date], counterparty_id: int | None = None) -> list[dict]:
    """The current rows' groups of these periods and of the rows without a period in these months, per (period or
    month, counterparty, kind) and what money_parts needs; `period_id` is None for the rows without a period."""
    where, params = _where(period_ids, months, counterparty_id)
    rows = _rows(f"""
        SELECT nullif(period_id, 0) AS period_id, unperiodised_month, nullif(counterparty_id, 0) AS counterparty_id, kind,
               status, outcome, shortfall_outcome, is_claim,
               sum(row_count) AS count, sum(amount_sum) AS amount, sum(recovered_sum) AS recovered
        FROM {TABLE} WHERE {where}
        GROUP BY period_id, unperiodised_month, counterparty_id, kind, status, outcome, shortfall_outcome, is_claim
        HAVING sum(row_count) <> 0""", params)
    for r in rows:
        r["count"] = int(r["count"])
    return rows


def type_counts(*, period_ids: list[int], months: tuple[date, date], counterparty_id: int | None = None) -> list[dict]:
    """The current rows of these periods, and those without a period in these months, counted per kind, type and status."""
    where, params = _where(period_ids, months, counterparty_id)
    rows = _rows(f"""
        SELECT kind, type, status, sum(row_count) AS count FROM {TABLE} WHERE {where}
        GROUP BY kind, type, status HAVING sum(row_count) <> 0""", params)
    for r in rows:
        r["count"] = int(r["count"])
    return rows


def stakes_by_courier(*, days: int = 90) -> list[dict]:
    """Claimable money per courier in the queue, as recon.web.views.stakes_by_courier gives it; from the totals, the
    rows of the runs started in the last `days` days (a run writes its rows when it runs)."""
    from recon.web.views import stakes_by_courier as live

    if not enabled():
        return live(days=days)
    since = timezone.now() - timedelta(days=days)
    rows = _rows(f"""
        SELECT c.code AS counterparty__code, c.name AS counterparty__name, sum(t.row_count) AS count,
               sum(t.amount_sum) AS amount, count(DISTINCT t.run_id) AS runs,
               sum(t.amount_sum) FILTER (WHERE t.status IN ('open', 'investigating')) AS open,
               sum(t.recovered_sum) AS recovered
        FROM {TABLE} t JOIN recon_reconrun r ON r.id = t.run_id
        LEFT JOIN recon_counterparty c ON c.id = t.counterparty_id
        WHERE t.is_current AND t.is_claim AND t.row_count <> 0 AND r.created_at >= %s
        GROUP BY c.code, c.name ORDER BY amount DESC""", [since])
    for r in rows:
        r["count"] = int(r["count"])
    return rows


def period_report_groups(*, period_ids: list[int], month: date, counterparty_ids: list[int] | None = None) -> list[dict]:
    """The current rows of these periods and those without a period of the month starting on `month` (of these
    counterparties only, when given: the period report's scope), per counterparty, kind, type and what money_parts
    needs; `counterparty_id` is None for rows with no counterparty."""
    loose = "period_id = 0 AND unperiodised_month = %s"
    params: list = [list(period_ids), month]
    if counterparty_ids is not None:
        loose += " AND counterparty_id = ANY(%s)"
        params.append(list(counterparty_ids))
    rows = _rows(f"""
        SELECT nullif(counterparty_id, 0) AS counterparty_id, kind, type, status, outcome, shortfall_outcome, is_claim,
               sum(row_count) AS count, sum(amount_sum) AS amount, sum(recovered_sum) AS recovered
        FROM {TABLE} WHERE is_current AND (period_id = ANY(%s) OR {loose})
        GROUP BY counterparty_id, kind, type, status, outcome, shortfall_outcome, is_claim
        HAVING sum(row_count) <> 0""", params)
    for r in rows:
        r["count"] = int(r["count"])
    return rows


MONTH_GROUP_SQL = {
    "counterparty": "c.code",
    "month": "CASE WHEN t.period_id = 0 THEN t.unperiodised_month ELSE date_trunc('month', p.start)::date END",
    "type": "t.type",
}


def month_groups(*, kind: str, dimensions: list[str], months: tuple[date | None, date | None]) -> list[dict]:
    """A kind's current rows per counterparty code, month (reports.months' rule: the period's, else the row's own) and/or
    type, with the count, the money at stake and what was recovered (claims only, as the discrepancies source's
    measures): reports.analysis.discrepancy_groups from the totals, the month in [months[0], months[1]) when given."""
    select = [f"{MONTH_GROUP_SQL[d]} AS d_{d}" for d in dimensions]
    where, params = ["t.is_current", "t.kind = %s"], [kind]
    for bound, op in zip(months, (">=", "<")):
        if bound is not None:
            where.append(f"{MONTH_GROUP_SQL['month']} {op} %s")
            params.append(bound)
    sql = f"""
        SELECT {', '.join(select)}, sum(t.row_count) AS m_count,
               sum(t.amount_sum) FILTER (WHERE t.is_claim) AS m_at_stake,
               sum(t.recovered_sum) FILTER (WHERE t.is_claim) AS m_recovered
        FROM {TABLE} t
        LEFT JOIN recon_reconperiod p ON p.id = t.period_id
        LEFT JOIN recon_counterparty c ON c.id = t.counterparty_id
        WHERE {' AND '.join(where)}"""
    positions = ", ".join(str(i) for i in range(1, len(dimensions) + 1))
    sql += f" GROUP BY {positions} HAVING sum(t.row_count) <> 0 ORDER BY {positions}" if dimensions else \
        " HAVING sum(t.row_count) <> 0"
    rows = _rows(sql, params)
    for r in rows:
        r["m_count"] = int(r["m_count"])
    return rows
