"""Writes for platform settlements: the file import and the API's bulk post, set-based.

A file never changes a line: the same `settlement_id` of the same platform again is a duplicate. The API's bulk post
creates or updates by that key, except the amount, time and type of a withdrawal held by a bank match.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Platform
from recon.core.db import (
    bulk_load, db_to_local_naive, fen_from_db, fetch_by_keys, int_or_null, is_postgres, local_naive_to_db, money, now_db,
)
from recon.core.errors import UserFacingError
from recon.ingest import IngestError
from recon.sources.models import SourceFile
from recon.sources.selectors import source_file_duplicate
from recon.sources.services import rejected_rows_save
from recon.sources.uploads import ingest_error, keep_staged, stage_upload

from .line_updates import line_changes, line_changes_audit, lines_update
from .models import BankMatchWithdrawal, SettlementLine
from .settlement_readers import read_settlements

FILE_KIND = "settlement"
REJECTED_COLUMNS = ["sheet", "row_no", "reason_code", "reason", "raw"]


@dataclass
class SettlementImportResult:
    """What an import did, counted in data rows of the file: imported, refused, and already there before."""

    file_id: int | None = None
    rows: int = 0
    rejected: int = 0
    duplicates: int = 0
    lines: int = 0
    rejected_rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECTED_COLUMNS))
    # The same bytes were imported before as this file: nothing was read or written this time.
    repeated: bool = False
    format: str = ""

    def as_dict(self) -> dict:
        return {"file_id": self.file_id, "rows": self.rows, "rejected": self.rejected, "duplicates": self.duplicates}


def platform_for(code: str) -> Platform:
    """The platform a user names by its code, its name or one of its other names."""
    text = (code or "").strip()
    found = Platform.objects.filter(Q(code__iexact=text) | Q(name=text)).first() if text else None
    if found is None and text:
        found = next((p for p in Platform.objects.all() if text in (p.aliases or [])), None)
    if found is None:
        codes = ", ".join(Platform.objects.order_by("code").values_list("code", flat=True))
        raise UserFacingError("platform_unknown", _("Unknown platform “%(code)s”: use one of %(codes)s.")
                              % {"code": text, "codes": codes})
    return found


def _repeat_result(earlier: SourceFile) -> SettlementImportResult:
    # Every line the file gives is already there: its imported rows count as duplicates now.
    info = earlier.read_info or {}
    return SettlementImportResult(
        file_id=earlier.pk, rows=0, rejected=earlier.rejected_count,
        duplicates=earlier.line_count + int(info.get("duplicates", 0)), repeated=True,
        format=str(info.get("settlement_format", "")),
    )


def settlement_file_import(*, file, platform: Platform, shop: str = "", filename: str | None = None,
                           user=None, mapping: dict | None = None, confirm_columns: bool = True) -> SettlementImportResult:
    """Import a platform's settlement file of any layout we read; the same file twice is one import, a bad file writes nothing.

    `mapping` names the header of a field's column of the layout the file is in (the upload page's column chooser);
    columns only guessed are refused unless confirm_columns. Chosen and confirmed columns are remembered for the
    platform and the layout.
    """
    from recon.sources.preview import columns_uncertain, columns_uncertain_error
    from recon.sources.services import column_mapping_remember
    from recon.sources.uploads import preview_head

    from .settlement_selectors import settlement_field_labels, settlement_head, settlement_mapping_kind, settlement_preferences

    overrides = settlement_preferences(platform=platform)
    staged = stage_upload(file=file, filename=filename)
    earlier = source_file_duplicate(file_kind=FILE_KIND, sha256=staged.sha256)
    if earlier is not None:
        staged.discard()
        return _repeat_result(earlier)
    chosen, confirmed = {}, {}
    try:
        # The layout is recognised on the file's head first: the columns chosen name fields of that layout only.
        fmt, preview = settlement_head(staged, overrides, refuse=False)
        if fmt is not None:
            names = {f.name for f in fmt.spec.fields}
            chosen = {k: str(v).strip() for k, v in (mapping or {}).items() if k in names and str(v or "").strip()}
            if chosen:
                overrides[fmt.code] = {**overrides[fmt.code], **chosen}
                preview = preview_head(staged, fmt.spec, overrides[fmt.code], sample_rows=0)
            uncertain = columns_uncertain(preview, fmt.spec, overrides[fmt.code])
            if uncertain and not confirm_columns:
                raise columns_uncertain_error(preview, uncertain, settlement_field_labels(fmt), advanced=False)
            confirmed = {name: preview.cells[preview.match.columns[name]] for name in uncertain}
        parsed = read_settlements(staged.path, staged.filename, overrides=overrides)
    except IngestError as exc:
        staged.discard()
        raise ingest_error(exc) from exc
    except BaseException:
        staged.discard()
        raise
    stored = keep_staged(staged, f"uploads/settlements/{timezone.now():%Y/%m}")
    try:
        with transaction.atomic():
            source = SourceFile.objects.create(
                file=stored, original_filename=staged.filename[:255], sha256=staged.sha256, size_bytes=staged.size,
                file_kind=FILE_KIND, counterparty_id=platform.counterparty_id, read_info=parsed.info, uploaded_by=user,
            )
            result = settlement_lines_insert(frame=parsed.frame, platform=platform, shop=shop, source_id=source.pk)
            rejected = parsed.rejected[REJECTED_COLUMNS]
            rejected_rows_save(source=source, rejected=rejected)
            source.line_count, source.rejected_count = result.rows, len(rejected)
            source.read_info = {**parsed.info, "duplicates": result.duplicates, "lines_written": result.lines,
                                "platform": platform.code, "shop": shop}
            source.save(update_fields=["line_count", "rejected_count", "read_info"])
            if fmt is not None and fmt.code == parsed.info["settlement_format"]:
                column_mapping_remember(counterparty_id=platform.counterparty_id, file_kind=settlement_mapping_kind(fmt.code),
                                        mapping={**chosen, **confirmed}, user=user)
    except IntegrityError:
        # The same bytes imported at the same moment by someone else: theirs is the import.
        earlier = source_file_duplicate(file_kind=FILE_KIND, sha256=staged.sha256)
        if earlier is None:
            raise
        return _repeat_result(earlier)
    except BaseException:
        Path(staged.path).unlink(missing_ok=True)
        raise
    result.file_id, result.rejected, result.rejected_rows = source.pk, len(rejected), rejected
    result.format = parsed.info["settlement_format"]
    return result


def settlement_lines_insert(*, frame: pd.DataFrame, platform: Platform, shop: str = "",
                            source_id: int | None = None) -> SettlementImportResult:
    """Insert the lines whose settlement_id the platform does not have yet; count rows by what they gave.

    A row is a duplicate when every line it gives was there before (or earlier in the same file); otherwise it is
    imported, and only its new lines are written.
    """
    result = SettlementImportResult()
    if frame.empty:
        return result
    table = SettlementLine._meta.db_table
    ids = frame["settlement_id"].astype(str)
    stored = fetch_by_keys(f"SELECT settlement_id FROM {table} WHERE platform_id = %s AND settlement_id {{keys}}",
                           ids.unique().tolist(), ["settlement_id"], [platform.pk])
    known = ids.isin(set(stored["settlement_id"].astype(str))).to_numpy() | ids.duplicated(keep="first").to_numpy()
    row_key = frame["sheet"].astype(str) + "\x1f" + frame["row_no"].astype(str)
    row_new = pd.Series(~known, index=frame.index).groupby(row_key, sort=False).any()
    result.rows, result.duplicates = int(row_new.sum()), int((~row_new).sum())
    write = frame[~known]
    result.lines = len(write)
    if write.empty:
        return result
    rows = pd.DataFrame({
        "platform_id": platform.pk, "shop": shop[:64],
        "settlement_id": write["settlement_id"].astype(str).to_numpy(),
        "order_no": write["order_no"].astype(str).to_numpy(), "trade_no": write["trade_no"].astype(str).to_numpy(),
        "occurred_at": local_naive_to_db(write["occurred_at"]).to_numpy(),
        "business_type": write["business_type"].astype(str).to_numpy(),
        "business_type_raw": write["business_type_raw"].astype(str).str.slice(0, 64).to_numpy(),
        "amount": money(write["amount_fen"].astype("int64")).to_numpy(),
        "balance": money(pd.Series(pd.array(write["balance_fen"], dtype="Int64"), index=write.index)).to_numpy(),
        "counterparty_name": write["counterparty_name"].astype(str).to_numpy(),
        "remark": write["remark"].astype(str).to_numpy(),
        "source_id": source_id, "row_no": int_or_null(write["row_no"]).to_numpy(), "created_at": now_db(),
    })
    _insert_new(table, rows)
    return result


def _insert_new(table: str, rows: pd.DataFrame) -> None:
    """INSERT … ON CONFLICT (platform, settlement_id) DO NOTHING: COPY into a temporary table on PostgreSQL."""
    columns = list(rows.columns)
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if is_postgres():
            # Dropped explicitly too: inside an outer transaction ON COMMIT comes too late for a second call.
            cursor.execute("DROP TABLE IF EXISTS settlement_in")
            cursor.execute(f"CREATE TEMP TABLE settlement_in ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA")
            bulk_load("settlement_in", rows)
            cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM settlement_in "
                           f"ON CONFLICT (platform_id, settlement_id) DO NOTHING")
            cursor.execute("DROP TABLE settlement_in")
        else:
            marks = ", ".join(["%s"] * len(columns))
            values = rows.astype(object).where(rows.notna(), None)
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT (platform_id, settlement_id) DO NOTHING",
                               values.itertuples(index=False, name=None))


# --------------------------------------------------------------------------- the API's bulk post

MAX_RECORDS = 100_000


@dataclass
class SettlementBulkResult:
    """Counted by record: written (new or changed), refused, already stored as sent; `updated` of `rows` were changes."""

    rows: int = 0
    rejected: int = 0
    duplicates: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "rejected": self.rejected, "duplicates": self.duplicates, "updated": self.updated,
                "errors": self.errors}


# The field of each reason code, for the API's errors (named as in the posted records).
ERROR_FIELDS = {
    "settlement_id_missing": "settlement_id", "settlement_id_scientific": "settlement_id",
    "settlement_id_too_long": "settlement_id", "order_no_scientific": "order_no", "occurred_at_missing": "occurred_at",
    "occurred_at_invalid": "occurred_at", "amount_missing": "amount", "amount_invalid": "amount",
    "amount_in_invalid": "amount_in", "amount_out_invalid": "amount_out", "balance_invalid": "balance",
    "direction_invalid": "direction",
}
# What a posted record may hold besides its platform and shop: the file import's columns, under their own names.
RECORD_FIELDS = ("settlement_id", "order_no", "trade_no", "occurred_at", "business_type", "amount", "amount_in",
                 "amount_out", "direction", "balance", "counterparty_name", "remark")
# The stored columns a record changes, by the record field that carries them; a field the record leaves out keeps the
# stored value. The amount and the time are required, so every record carries them.
CARRIED = {"shop": ("shop",), "order_no": ("order_no",), "trade_no": ("trade_no",),
           "business_type": ("business_type", "business_type_raw"), "balance": ("balance",),
           "counterparty_name": ("counterparty_name",), "remark": ("remark",)}
UPDATED_COLUMNS = ["shop", "order_no", "trade_no", "occurred_at", "business_type", "business_type_raw", "amount", "balance",
                   "counterparty_name", "remark"]
# What a bank match rests on: a withdrawal in a match keeps these until the match is taken apart.
MATCH_GUARDED = ["occurred_at", "business_type", "amount"]


def _error(index: int, field_name: str, code: str, message: str) -> dict:
    return {"index": index, "field": field_name, "code": code, "message": message}


def settlement_lines_bulk_create(*, records, user=None) -> SettlementBulkResult:
    """The API's bulk post: records read as the file import reads a ledger, created or updated by platform + settlement_id."""
    if not isinstance(records, list) or not records:
        raise UserFacingError("no_data", _("Send a non-empty JSON list of records."))
    if len(records) > MAX_RECORDS:
        raise UserFacingError("too_many", _("At most 100,000 records per request."))
    errors = [_error(i, "", "not_an_object", _("A record must be a JSON object."))
              for i, r in enumerate(records) if not isinstance(r, dict)]
    raw = pd.DataFrame.from_records([r if isinstance(r, dict) else {} for r in records], index=range(len(records)))
    # Only the columns some record names: blank income and expense columns would make every record lack an amount.
    posted = [f for f in RECORD_FIELDS if f in raw.columns]
    raw = raw.reindex(columns=["platform", "shop", *posted])
    raw = raw.astype(object).where(raw.notna(), "").astype(str).apply(lambda c: c.str.strip())
    platforms = _platform_names()
    platform_ids = raw["platform"].map(lambda name: platforms.get(name) or platforms.get(name.upper()))
    objects = pd.Series([isinstance(r, dict) for r in records], index=raw.index)
    for index in raw.index[objects & platform_ids.isna()]:
        errors.append(_error(int(index), "platform", "platform_unknown",
                             _("Unknown platform “%(code)s”.") % {"code": raw.at[index, "platform"]}))
    readable = raw[objects & platform_ids.notna()]
    result = SettlementBulkResult()
    if not readable.empty:
        frame, rejected = _read_records(readable[posted])
        for r in rejected.itertuples():
            errors.append(_error(int(r.row_no), ERROR_FIELDS.get(r.reason_code, ""), r.reason_code, r.reason))
        seen = set(frame["row_no"]) | set(rejected["row_no"].astype(int))
        for index in readable.index.difference(pd.Index(sorted(seen), dtype=readable.index.dtype)):
            errors.append(_error(int(index), "", "not_read", _("This record was read as a blank or totals row.")))
        frame["platform_id"] = platform_ids.loc[frame["row_no"]].astype("int64").to_numpy()
        frame["shop"] = raw["shop"].loc[frame["row_no"]].str.slice(0, 64).to_numpy()
        for name in CARRIED:
            frame[f"has_{name}"] = [name in records[i] for i in frame["row_no"]]
        with transaction.atomic():
            written = settlement_lines_upsert(frame=frame, user=user)
        result.rows, result.duplicates, result.updated = written.rows, written.duplicates, written.updated
        errors.extend(written.errors)
    result.errors = sorted(errors, key=lambda e: e["index"])
    result.rejected = len({e["index"] for e in errors})
    return result


def _settlement_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The updated columns as compared and as the audit trail stores them: money as "12.50", moments as UTC ISO text."""
    moments = pd.to_datetime(frame["occurred_at"]).dt.tz_localize(settings.TIME_ZONE, ambiguous="NaT",
                                                                     nonexistent="shift_forward").dt.tz_convert("UTC")
    balance = money(pd.Series(pd.array(frame["balance_fen"], dtype="Int64")))
    text = {c: frame[c].astype(str).to_numpy() for c in UPDATED_COLUMNS if c not in ("occurred_at", "amount", "balance")}
    text["occurred_at"] = moments.map(lambda m: m.isoformat()).to_numpy()
    text["amount"] = money(frame["amount_fen"].astype("int64")).to_numpy()
    text["balance"] = balance.astype(object).where(balance.notna(), None).to_numpy()
    return pd.DataFrame(text, index=frame.index)[UPDATED_COLUMNS]


def _stored_settlement_lines(keys: pd.DataFrame) -> pd.DataFrame:
    """The stored lines of these (platform_id, settlement_id) keys, with whether a bank match holds each."""
    table, held = SettlementLine._meta.db_table, BankMatchWithdrawal._meta.db_table
    columns = ["id", "platform_id", "settlement_id", "shop", "order_no", "trade_no", "occurred_at", "business_type",
               "business_type_raw", "amount", "balance", "counterparty_name", "remark", "matched"]
    stored = fetch_by_keys(
        f"SELECT s.id, s.platform_id, s.settlement_id, s.shop, s.order_no, s.trade_no, s.occurred_at, s.business_type, "
        f"s.business_type_raw, s.amount, s.balance, s.counterparty_name, s.remark, h.id IS NOT NULL "
        f"FROM {table} s LEFT JOIN {held} h ON h.settlement_line_id = s.id WHERE s.settlement_id {{keys}}",
        keys["settlement_id"].unique().tolist(), columns)
    stored["platform_id"] = stored["platform_id"].astype("int64")
    stored = keys.merge(stored, on=["platform_id", "settlement_id"], how="inner")
    if stored.empty:
        return stored
    stored["occurred_at"] = db_to_local_naive(stored["occurred_at"])
    stored["amount_fen"] = fen_from_db(stored["amount"])
    stored["balance_fen"] = fen_from_db(stored["balance"])
    stored["matched"] = stored["matched"].astype(bool)
    return stored


@dataclass
class SettlementUpsert:
    rows: int = 0
    duplicates: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)


def settlement_lines_upsert(*, frame: pd.DataFrame, user=None) -> SettlementUpsert:
    """Write read records (one line each, `row_no` its index in the request) set-based: a new key is inserted, a
    stored line whose values differ is updated and audited, one stored as sent is a duplicate; a withdrawal held by a
    bank match keeps its amount, time and type (the record is refused with line_matched) while its other fields update."""
    done = SettlementUpsert()
    frame = frame.reset_index(drop=True)
    frame["settlement_id"] = frame["settlement_id"].astype(str)
    frame["business_type_raw"] = frame["business_type_raw"].astype(str).str.slice(0, 64)
    repeated = frame.duplicated(["platform_id", "settlement_id"], keep="first").to_numpy()
    stored = _stored_settlement_lines(frame.loc[~repeated, ["platform_id", "settlement_id"]].reset_index())
    stored = stored.set_index("index") if len(stored) else stored
    known = frame.index.isin(stored.index) if len(stored) else np.zeros(len(frame), dtype=bool)
    fresh = ~known & ~repeated
    if fresh.any():
        _settlement_lines_write_new(frame[fresh])
    done.rows = int(fresh.sum())
    done.duplicates = int(repeated.sum())
    if not known.any():
        return done
    mine = frame[known].copy()
    theirs = stored.loc[mine.index]
    for name, columns in CARRIED.items():
        kept = ~mine[f"has_{name}"].to_numpy(dtype=bool)
        for c in columns:
            source = "balance_fen" if c == "balance" else c
            mine[source] = mine[source].astype(object)
            mine.loc[kept, source] = theirs.loc[kept, source].to_numpy()
    old, new = _settlement_text(theirs), _settlement_text(mine)
    found = line_changes(old=old, new=new, matched=theirs["matched"], guarded=MATCH_GUARDED)
    for index, column in found.errors:
        done.errors.append(_error(int(mine.at[index, "row_no"]), column, "line_matched", _(
            "This withdrawal is matched to a bank credit: its amount, time and type cannot change. Unmatch it "
            "first on the bank match page.")))
    changed = found.changed
    if changed.any():
        ids = theirs["id"].astype("int64").to_numpy()[changed]
        rows = pd.DataFrame({"id": ids})
        for c in UPDATED_COLUMNS:
            rows[c] = new[c].to_numpy()[changed]
        rows["occurred_at"] = local_naive_to_db(db_to_local_naive(rows["occurred_at"])).to_numpy()
        lines_update(table=SettlementLine._meta.db_table, rows=rows)
        line_changes_audit(user=user, object_type="settlement_line", ids=ids, before=old[changed], after=new[changed])
    updated, duplicates = found.counts()
    done.updated = updated
    done.rows += updated
    done.duplicates += duplicates
    return done


def _settlement_lines_write_new(frame: pd.DataFrame) -> None:
    """INSERT the records' lines whose key is new, each with its record's place in the list (from 1) as its row."""
    _insert_new(SettlementLine._meta.db_table, pd.DataFrame({
        "platform_id": frame["platform_id"].astype("int64").to_numpy(), "shop": frame["shop"].astype(str).to_numpy(),
        "settlement_id": frame["settlement_id"].astype(str).to_numpy(),
        "order_no": frame["order_no"].astype(str).to_numpy(), "trade_no": frame["trade_no"].astype(str).to_numpy(),
        "occurred_at": local_naive_to_db(frame["occurred_at"]).to_numpy(),
        "business_type": frame["business_type"].astype(str).to_numpy(),
        "business_type_raw": frame["business_type_raw"].astype(str).str.slice(0, 64).to_numpy(),
        "amount": money(frame["amount_fen"].astype("int64")).to_numpy(),
        "balance": money(pd.Series(pd.array(frame["balance_fen"], dtype="Int64"))).to_numpy(),
        "counterparty_name": frame["counterparty_name"].astype(str).to_numpy(),
        "remark": frame["remark"].astype(str).to_numpy(),
        "source_id": None, "row_no": (frame["row_no"].astype("int64") + 1).to_numpy(), "created_at": now_db(),
    }))


def _platform_names() -> dict:
    """Platform id by code, name and other names."""
    names = {}
    for p in Platform.objects.all():
        for name in (p.code, p.name, *(p.aliases or [])):
            names.setdefault(str(name), p.pk)
    return names


def _read_records(records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posted records through the ledger reader itself, so the API accepts exactly what an upload accepts; the
    reader's row numbers are mapped back to the records' positions in the list."""
    staging = Path(settings.MEDIA_ROOT) / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", dir=staging, encoding="utf-8", newline="", delete=False) as fh:
        records.to_csv(fh, index=False)
        path = fh.name
    try:
        parsed = read_settlements(path, "settlements.json")
    except IngestError as exc:
        raise ingest_error(exc) from exc
    finally:
        os.unlink(path)
    position = pd.Series(records.index.to_numpy(), index=np.arange(2, len(records) + 2))  # CSV row 1 is the header
    frame = parsed.frame.copy()
    frame["row_no"] = position.loc[frame["row_no"].astype("int64")].to_numpy()
    rejected = parsed.rejected.copy()
    rejected["row_no"] = position.loc[rejected["row_no"].astype("int64")].to_numpy()
    return frame, rejected
