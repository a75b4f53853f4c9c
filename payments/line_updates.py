"""What the bulk posts of settlement and bank lines share to update stored lines: one UPDATE … FROM a temporary table,
and the changes in the audit trail."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import connection

from recon.audit.services import audit_record_many
from recon.core.db import bulk_load, is_postgres
from recon.sources.imports import BulkResult

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


# --------------------------------------------------------------------------- what both bulk posts count and report


@dataclass
class LinesBulkResult(BulkResult):
    """Counted by record as every bulk post is; `updated` of `rows` were changes."""

    updated: int = 0

    def as_dict(self) -> dict:
        return {"rows": self.rows, "rejected": self.rejected, "duplicates": self.duplicates, "updated": self.updated,
                "errors": self.errors}


@dataclass
class LinesUpsert:
    """What an upsert of posted lines did: new lines, lines stored as sent, changed lines (counted in rows too), refusals."""

    rows: int = 0
    duplicates: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)


def record_error(index: int, field_name: str, code: str, message: str) -> dict:
    """One refusal of a posted record, as the API reports it."""
    return {"index": index, "field": field_name, "code": code, "message": message}


def fields_carry(mine: pd.DataFrame, theirs: pd.DataFrame, carried: dict[str, tuple[str, ...]]) -> None:
    """For each optional record field a record leaves out (`has_<field>` False), set its columns in `mine` to the
    stored line's (`theirs`, same labels); the balance is compared in fen."""
    for name, columns in carried.items():
        kept = ~mine[f"has_{name}"].to_numpy(dtype=bool)
        for c in columns:
            column = "balance_fen" if c == "balance" else c
            mine[column] = mine[column].astype(object)
            mine.loc[kept, column] = theirs.loc[kept, column].to_numpy()


def stored_lines_update(*, done: LinesUpsert, table: str, object_type: str, ids: np.ndarray, old: pd.DataFrame,
                        new: pd.DataFrame, found: LineChanges, user, stored: Callable[[pd.DataFrame], pd.DataFrame] | None = None
                        ) -> LinesUpsert:
    """Update the lines `found` changed to their `new` values (`stored` turns the text into what the table keeps), audit
    each change, and add the updated and unchanged lines to `done`'s counts."""
    changed = found.changed
    if changed.any():
        changed_ids = ids[changed]
        rows = pd.DataFrame({"id": changed_ids, **{c: new[c].to_numpy()[changed] for c in new.columns}})
        lines_update(table=table, rows=stored(rows) if stored is not None else rows)
        line_changes_audit(user=user, object_type=object_type, ids=changed_ids, before=old[changed], after=new[changed])
    updated, duplicates = found.counts()
    done.updated = updated
    done.rows += updated
    done.duplicates += duplicates
    return done
