"""The current discrepancies' totals per counterparty, period, kind, type, status, month, outcome and claim flag, kept
exact by PostgreSQL's statement-level triggers (as recon's 0018_discrepancy_totals keeps its own), PostgreSQL only.

Custom reports on the `discrepancies` source read this table instead of the million-row one whenever a definition's
dimensions and filters can be answered from it (reports.custom, reports.sources.discrepancies_summary): a few thousand
rows to add up instead of a parallel scan of the wide discrepancy table. recon_discrepancy_totals has no month, so it
cannot serve a report grouped by month. The key holds every dimension and filter the source offers, and the columns
every measure needs (the money identity's parts are sums of at stake less recovered over rows sharing status, outcome,
shortfall outcome and claim flag). Rows with no counterparty or period are kept under 0. Only current rows count: an
UPDATE that replaces a run's rows (is_current goes false) takes them out, like any other change of a key column.
The month expression is reports/migrations/0004's (and reports.sources.discrepancy_month's): change them together.
"""
from django.db import migrations

TABLE = "reports_discrepancy_month_totals"
MONTH = ("date_trunc('month', (COALESCE(occurred_on, (created_at AT TIME ZONE 'Asia/Shanghai')::date))::timestamp)::date")
KEY = ("counterparty_id", "period_id", "kind", "type", "status", "month", "outcome", "shortfall_outcome", "is_claim")
KEY_SQL = ", ".join(KEY)
# The key of a discrepancy row, as the table spells it (ROW_KEY names its columns).
ROW_KEY_VALUES = ("coalesce(counterparty_id, 0)", "coalesce(period_id, 0)", "kind", "type", "status", MONTH, "outcome",
                  "shortfall_outcome", "is_claim")
ROW_KEY = ", ".join(f"{value} AS {name}" for value, name in zip(ROW_KEY_VALUES, KEY))
ROW_VALUES = "amount_at_stake, coalesce(recovered_amount, 0) AS recovered, coalesce(theirs_amount, 0) AS theirs"


def _signed(table: str, sign: int) -> str:
    return f"SELECT {ROW_KEY}, {ROW_VALUES}, {sign} AS sign FROM {table} WHERE is_current"


SOURCES = {
    "insert": _signed("new_rows", 1),
    "delete": _signed("old_rows", -1),
    "update": f"{_signed('old_rows', -1)} UNION ALL {_signed('new_rows', 1)}",
}
REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def _apply(source: str) -> str:
    """Add the signed rows of `source` to their groups, in key order so that two statements lock shared groups in the
    same order; a statement that moves nothing grouped or summed (assigning a row) touches no group."""
    return f"""
    INSERT INTO {TABLE} AS t ({KEY_SQL}, row_count, amount_sum, recovered_sum, theirs_sum)
    SELECT {KEY_SQL}, sum(sign), sum(sign * amount_at_stake), sum(sign * recovered), sum(sign * theirs)
    FROM ({source}) changed
    GROUP BY {KEY_SQL}
    HAVING sum(sign) <> 0 OR sum(sign * amount_at_stake) <> 0 OR sum(sign * recovered) <> 0 OR sum(sign * theirs) <> 0
    ORDER BY {KEY_SQL}
    ON CONFLICT ({KEY_SQL}) DO UPDATE SET
        row_count = t.row_count + excluded.row_count,
        amount_sum = t.amount_sum + excluded.amount_sum,
        recovered_sum = t.recovered_sum + excluded.recovered_sum,
        theirs_sum = t.theirs_sum + excluded.theirs_sum;
    """


# A group whose rows all went is removed, found through the primary key from the rows that left it.
EMPTIED = f"""
    DELETE FROM {TABLE} t
    WHERE t.row_count = 0 AND ({", ".join(f"t.{name}" for name in KEY)})
        IN (SELECT {", ".join(ROW_KEY_VALUES)} FROM old_rows WHERE is_current);
"""

CREATE = [f"""
CREATE TABLE {TABLE} (
    counterparty_id bigint NOT NULL,
    period_id bigint NOT NULL,
    kind varchar(32) NOT NULL,
    type varchar(32) NOT NULL,
    status varchar(16) NOT NULL,
    month date NOT NULL,
    outcome varchar(16) NOT NULL,
    shortfall_outcome varchar(16) NOT NULL,
    is_claim boolean NOT NULL,
    row_count bigint NOT NULL,
    amount_sum numeric(18, 2) NOT NULL,
    recovered_sum numeric(18, 2) NOT NULL,
    theirs_sum numeric(18, 2) NOT NULL,
    PRIMARY KEY ({KEY_SQL})
)"""]
for event in ("insert", "update", "delete"):
    CREATE.append(f"""
CREATE FUNCTION {TABLE}_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_apply(SOURCES[event])}
{EMPTIED if event != "insert" else ""}
    RETURN NULL;
END $$""")
    CREATE.append(f"""
CREATE TRIGGER {TABLE}_{event} AFTER {event.upper()} ON recon_discrepancy
{REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_{event}()""")
CREATE += [
    f"CREATE FUNCTION {TABLE}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN TRUNCATE {TABLE}; RETURN NULL; END $$",
    f"CREATE TRIGGER {TABLE}_truncate AFTER TRUNCATE ON recon_discrepancy FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_truncate()",
    f"""INSERT INTO {TABLE} ({KEY_SQL}, row_count, amount_sum, recovered_sum, theirs_sum)
    SELECT {KEY_SQL}, count(*), sum(amount_at_stake), sum(recovered), sum(theirs)
    FROM (SELECT {ROW_KEY}, {ROW_VALUES} FROM recon_discrepancy WHERE is_current) d GROUP BY {KEY_SQL}""",
]
DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_{e} ON recon_discrepancy" for e in ("insert", "update", "delete", "truncate")]
DROP += [f"DROP FUNCTION IF EXISTS {TABLE}_{e}()" for e in ("insert", "update", "delete", "truncate")]
DROP += [f"DROP TABLE IF EXISTS {TABLE}"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_alert_schedules_permissions"),
        ("recon", "0018_discrepancy_totals"),
    ]

    operations = [migrations.RunPython(create, drop)]
