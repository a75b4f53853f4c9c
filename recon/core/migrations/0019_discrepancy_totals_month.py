"""The totals table learns the month of the rows that have no period (a return's finding with no courier or shop known):
they belong to no period, so period_id alone (kept as 0 for them) cannot say which month's dashboard counts them.

The key gains `unperiodised_month`: for a row without a period, the first day of its month by reports.months' rule
(the day it happened, else the start of its run's range, else the day it was created in settings.TIME_ZONE); for a row
with a period, 0001-01-01 (it belongs to its period's month, read through period_id). The triggers stay those of 0018
— statement-level, exact for every insert, update and delete — with the month computed from each changed row; the
table is rebuilt from the discrepancies.
"""
from importlib import import_module

from django.conf import settings
from django.db import migrations

previous = import_module("recon.core.migrations.0018_discrepancy_totals")

TABLE = previous.TABLE
NO_MONTH = "DATE '0001-01-01'"
KEY = ("run_id", "period_id", "counterparty_id", "kind", "type", "status", "outcome", "shortfall_outcome",
       "is_claim", "is_current", "unperiodised_month")
KEY_SQL = ", ".join(KEY)


def _month(alias: str) -> str:
    """The month of a row `alias` of recon_discrepancy (or of a transition table) without a period; NO_MONTH with one."""
    zone = settings.TIME_ZONE.replace("'", "''")
    return f"""CASE WHEN {alias}.period_id IS NULL THEN date_trunc('month', coalesce(
        {alias}.occurred_on,
        (SELECT r.period_start FROM recon_reconrun r WHERE r.id = {alias}.run_id),
        ({alias}.created_at AT TIME ZONE '{zone}')::date))::date ELSE {NO_MONTH} END"""


def _columns(alias: str) -> str:
    return (f"{alias}.run_id, coalesce({alias}.period_id, 0) AS period_id, coalesce({alias}.counterparty_id, 0) AS counterparty_id, "
            f"{alias}.kind, {alias}.type, {alias}.status, {alias}.outcome, {alias}.shortfall_outcome, {alias}.is_claim, "
            f"{alias}.is_current, {_month(alias)} AS unperiodised_month, {alias}.amount_at_stake, {alias}.recovered_amount")


def _apply(source: str) -> str:
    """Add the signed rows of `source` to their groups, in key order (two statements lock shared groups alike)."""
    return f"""
    INSERT INTO {TABLE} AS t ({KEY_SQL}, row_count, amount_sum, recovered_sum)
    SELECT {KEY_SQL}, sum(sign), sum(sign * amount_at_stake), sum(sign * coalesce(recovered_amount, 0))
    FROM ({source}) changed
    GROUP BY {KEY_SQL}
    HAVING sum(sign) <> 0 OR sum(sign * amount_at_stake) <> 0 OR sum(sign * coalesce(recovered_amount, 0)) <> 0
    ORDER BY {KEY_SQL}
    ON CONFLICT ({KEY_SQL}) DO UPDATE SET
        row_count = t.row_count + excluded.row_count,
        amount_sum = t.amount_sum + excluded.amount_sum,
        recovered_sum = t.recovered_sum + excluded.recovered_sum;
    """


SOURCES = {
    "insert": f"SELECT {_columns('n')}, 1 AS sign FROM new_rows n",
    "delete": f"SELECT {_columns('o')}, -1 AS sign FROM old_rows o",
    "update": f"SELECT {_columns('o')}, -1 AS sign FROM old_rows o UNION ALL SELECT {_columns('n')}, 1 AS sign FROM new_rows n",
}


def create_sql() -> list[str]:
    sql = [f"""
CREATE TABLE {TABLE} (
    run_id bigint NOT NULL,
    period_id bigint NOT NULL,
    counterparty_id bigint NOT NULL,
    kind varchar(32) NOT NULL,
    type varchar(32) NOT NULL,
    status varchar(16) NOT NULL,
    outcome varchar(16) NOT NULL,
    shortfall_outcome varchar(16) NOT NULL,
    is_claim boolean NOT NULL,
    is_current boolean NOT NULL,
    unperiodised_month date NOT NULL,
    row_count bigint NOT NULL,
    amount_sum numeric(18, 2) NOT NULL,
    recovered_sum numeric(18, 2) NOT NULL,
    PRIMARY KEY ({KEY_SQL})
)""", f"CREATE INDEX {TABLE}_period ON {TABLE} (period_id) WHERE is_current"]
    for event in ("insert", "update", "delete"):
        sql.append(f"""
CREATE FUNCTION {TABLE}_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_apply(SOURCES[event])}
{previous.EMPTIED if event != "insert" else ""}
    RETURN NULL;
END $$""")
        sql.append(f"""
CREATE TRIGGER {TABLE}_{event} AFTER {event.upper()} ON recon_discrepancy
{previous.REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_{event}()""")
    sql += [
        f"CREATE FUNCTION {TABLE}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN TRUNCATE {TABLE}; RETURN NULL; END $$",
        f"CREATE TRIGGER {TABLE}_truncate AFTER TRUNCATE ON recon_discrepancy FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_truncate()",
        f"""INSERT INTO {TABLE} ({KEY_SQL}, row_count, amount_sum, recovered_sum)
        SELECT {KEY_SQL}, count(*), sum(amount_at_stake), sum(coalesce(recovered_amount, 0))
        FROM (SELECT {_columns('d')} FROM recon_discrepancy d) rows GROUP BY {KEY_SQL}""",
    ]
    return sql


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in previous.DROP + create_sql():
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in previous.DROP + previous.CREATE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("recon", "0018_discrepancy_totals")]

    operations = [migrations.RunPython(forwards, backwards)]
