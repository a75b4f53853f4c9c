"""What the bulk posts of settlement and bank lines share to update stored lines: one UPDATE … FROM a temporary table,
and the changes in the audit trail."""
from __future__ import annotations

import pandas as pd
from django.db import connection

from recon.audit.services import audit_record_many
from recon.core.db import bulk_load, is_postgres

UPDATES_IN = "line_updates_in"


def lines_update(*, table: str, rows: pd.DataFrame) -> int:
    """Set the columns of `rows` on the stored rows of their `id`: loaded into a temporary table, then one UPDATE … FROM."""
    if rows.empty:
        return 0
    columns = [c for c in rows.columns if c != "id"]
    cols = ", ".join(["id", *columns])
    sets = ", ".join(f"{c} = {UPDATES_IN}.{c}" for c in columns)
    with connection.cursor() as cursor:
        # Dropped explicitly too: inside an outer transaction ON COMMIT comes too late for a second call.
        cursor.execute(f"DROP TABLE IF EXISTS {UPDATES_IN}")
        if is_postgres():
            cursor.execute(f"CREATE TEMP TABLE {UPDATES_IN} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA")
        else:
            cursor.execute(f"CREATE TEMP TABLE {UPDATES_IN} AS SELECT {cols} FROM {table} WHERE 0")
        bulk_load(UPDATES_IN, rows[["id", *columns]])
        cursor.execute(f"UPDATE {table} SET {sets} FROM {UPDATES_IN} WHERE {table}.id = {UPDATES_IN}.id")
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {UPDATES_IN}")
    return updated


def line_changes_audit(*, user, object_type: str, ids, before: pd.DataFrame, after: pd.DataFrame) -> int:
    """One audit event per updated line with {field: [old, new]} of the fields that changed; values as the trail stores
    them (money "12.50", moments in UTC ISO text, None for none), given as such in `before` and `after`."""
    rows = []
    old_rows = before.to_dict("records")
    new_rows = after.to_dict("records")
    for line_id, old, new in zip(ids, old_rows, new_rows):
        changes = {f: [old[f], new[f]] for f in after.columns if old[f] != new[f]}
        rows.append((int(line_id), changes))
    return audit_record_many(user=user, object_type=object_type, action="change", rows=rows, note="api")
