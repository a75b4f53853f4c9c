"""The discrepancies' totals per group, kept exact by PostgreSQL itself (the dashboard reads them, not the big table).

Statement-level triggers with transition tables add what each INSERT (a run's COPY included) brings and subtract what
each DELETE takes away; an UPDATE moves its rows from their old group to their new one, and touches no group when
nothing grouped or summed changed (assigning a row, say). Whatever writes the rows — runs, bulk actions, status
changes, reruns, deleted bills, admin edits — the totals stay those of the table, for the cost of one aggregate over
the changed rows per statement. SQLite (the embedded demo, small) has no such table: the dashboard reads live there.
"""
from django.db import migrations

TABLE = "recon_discrepancy_totals"
# What the dashboard's panels filter and split on. NULL ids are kept as 0 so that ON CONFLICT finds their group.
KEY = ("run_id", "period_id", "counterparty_id", "kind", "type", "status", "outcome", "shortfall_outcome",
       "is_claim", "is_current")
KEY_SQL = ", ".join(KEY)
SELECT_KEY = KEY_SQL.replace("period_id", "coalesce(period_id, 0)").replace("counterparty_id", "coalesce(counterparty_id, 0)")


def _apply(source: str) -> str:
    """Add the signed rows of `source` (rows with a `sign` column) to their groups, in key order so that two
    statements lock the groups they share in the same order."""
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


# Only the grouped and summed columns of the changed rows (not their reasons and details).
COLUMNS = f"{SELECT_KEY.replace('coalesce(period_id, 0)', 'coalesce(period_id, 0) AS period_id').replace('coalesce(counterparty_id, 0)', 'coalesce(counterparty_id, 0) AS counterparty_id')}, amount_at_stake, recovered_amount"
SOURCES = {
    "insert": f"SELECT {COLUMNS}, 1 AS sign FROM new_rows",
    "delete": f"SELECT {COLUMNS}, -1 AS sign FROM old_rows",
    "update": f"SELECT {COLUMNS}, -1 AS sign FROM old_rows UNION ALL SELECT {COLUMNS}, 1 AS sign FROM new_rows",
}
REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}

CREATE = [f"""
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
    row_count bigint NOT NULL,
    amount_sum numeric(18, 2) NOT NULL,
    recovered_sum numeric(18, 2) NOT NULL,
    PRIMARY KEY ({KEY_SQL})
)""", f"CREATE INDEX {TABLE}_period ON {TABLE} (period_id) WHERE is_current"]
# A group whose rows all moved away or were deleted goes: the table keeps the groups that hold rows, not every group
# a run ever had (the primary key leads with run_id, so this is an index lookup per run touched).
EMPTIED = f"""
    DELETE FROM {TABLE} t USING (SELECT DISTINCT run_id FROM old_rows) touched
    WHERE t.run_id = touched.run_id AND t.row_count = 0;
"""
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
# A TRUNCATE (a test database's flush) empties the totals with the rows.
CREATE += [
    f"CREATE FUNCTION {TABLE}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN TRUNCATE {TABLE}; RETURN NULL; END $$",
    f"CREATE TRIGGER {TABLE}_truncate AFTER TRUNCATE ON recon_discrepancy FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_truncate()",
    f"""INSERT INTO {TABLE} ({KEY_SQL}, row_count, amount_sum, recovered_sum)
    SELECT {SELECT_KEY}, count(*), sum(amount_at_stake), sum(coalesce(recovered_amount, 0))
    FROM recon_discrepancy GROUP BY {SELECT_KEY}""",
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
    dependencies = [("recon", "0017_column_mapping_shared")]

    operations = [migrations.RunPython(create, drop)]
