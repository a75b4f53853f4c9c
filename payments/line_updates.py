"""What the bulk posts of settlement and bank lines share to update stored lines: one UPDATE … FROM a temporary table,
and the changes in the audit trail."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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


def cells_differ(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Cell by cell, whether the values differ; None (no balance, no value date) equals None."""
    return pd.DataFrame(old.fillna("\x00").to_numpy() != new.fillna("\x00").to_numpy(), index=old.index, columns=old.columns)


@dataclass
class LineChanges:
    """Of the stored lines a post names again: which it changes, and which a match held back."""

    changed: np.ndarray
    held: np.ndarray
    errors: list[tuple[object, str]]  # (the row's label in `new`, the first held field) per line held

    def counts(self) -> tuple[int, int]:
        """(updated, duplicates) among the lines the post names again; a line held back counts as neither."""
        counted = ~self.held
        return int((self.changed & counted).sum()), int((~self.changed & counted).sum())


def line_changes(*, old: pd.DataFrame, new: pd.DataFrame, matched, guarded: list[str]) -> LineChanges:
    """Compare stored lines (`old`) with what a post sends (`new`, same labels and columns, as text): a matched line
    keeps its `guarded` fields (set back in `new`), its other fields may still change."""
    differs = cells_differ(old[guarded], new[guarded])
    held = differs.any(axis=1).to_numpy() & np.asarray(matched, dtype=bool)
    errors = []
    if held.any():
        # The match rests on the stored values of these fields: they stay, the record's other fields still apply.
        errors = list(differs[held].idxmax(axis=1).items())
        new.loc[held, guarded] = old.loc[held, guarded].to_numpy()
    return LineChanges(changed=cells_differ(old, new).any(axis=1).to_numpy(), held=held, errors=errors)
