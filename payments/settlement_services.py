"""Writes for platform settlements: the file import and the API's bulk post, set-based.

A file never changes a line: the same `settlement_id` of the same platform again is a duplicate. The API's bulk post
creates or updates by that key, except the amount, time and type of a withdrawal held by a bank match.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from orders.models import Platform
from recon.core.db import (
    db_to_local_naive, fen_from_db, fetch_by_keys, int_or_null, local_naive_to_db, money, now_db,
)
from recon.core.errors import UserFacingError
from recon.sources.imports import (
    FileImportResult, Written, columns_confirmed, insert_new_rows, mapping_chosen, records_read, source_file_import,
)
from recon.sources.models import SourceFile
from recon.sources.services import rejected_rows_save

from .line_updates import LinesBulkResult, LinesUpsert, fields_carry, line_changes, record_error, stored_lines_update
from .models import BankMatchWithdrawal, SettlementLine
from .settlement_readers import read_settlements

FILE_KIND = "settlement"


@dataclass
class SettlementImportResult(FileImportResult):
    """What an import did, counted in data rows of the file: imported, refused, and already there before."""

    lines: int = 0
    format: str = ""


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


def settlement_file_import(*, file, platform: Platform, shop: str = "", filename: str | None = None,
                           user=None, mapping: dict | None = None, confirm_columns: bool = True) -> SettlementImportResult:
    """Import a platform's settlement file of any layout we read; the same file twice is one import, a bad file writes nothing.

    `mapping` names the header of a field's column of the layout the file is in (the upload page's column chooser);
    columns only guessed are refused unless confirm_columns. Chosen and confirmed columns are remembered for the
    platform and the layout.
    """
    from recon.sources.services import column_mapping_remember
    from recon.sources.uploads import preview_head

    from .settlement_selectors import settlement_field_labels, settlement_head, settlement_mapping_kind, settlement_preferences

    overrides = settlement_preferences(platform=platform)
    head: dict = {"format": None, "chosen": {}, "confirmed": {}}

    def read(staged):
        # The layout is recognised on the file's head first: the columns chosen name fields of that layout only.
        fmt, preview = settlement_head(staged, overrides, refuse=False)
        head["format"] = fmt
        if fmt is not None:
            chosen = head["chosen"] = mapping_chosen(mapping, fmt.spec)
            if chosen:
                overrides[fmt.code] = {**overrides[fmt.code], **chosen}
                preview = preview_head(staged, fmt.spec, overrides[fmt.code], sample_rows=0)
            head["confirmed"] = columns_confirmed(preview, fmt.spec, overrides[fmt.code], confirm=confirm_columns,
                                                  labels=lambda: settlement_field_labels(fmt))
        return read_settlements(staged.path, staged.filename, overrides=overrides)

    def write(frame: pd.DataFrame, source_id: int) -> Written:
        done = settlement_lines_insert(frame=frame, platform=platform, shop=shop, source_id=source_id)
        return Written.counted(rows=done.rows, duplicates=done.duplicates,
                               info={"lines_written": done.lines, "platform": platform.code, "shop": shop})

    def remember(source: SourceFile, parsed) -> None:
        fmt = head["format"]
        if fmt is not None and fmt.code == parsed.info["settlement_format"]:
            column_mapping_remember(counterparty_id=platform.counterparty_id, file_kind=settlement_mapping_kind(fmt.code),
                                    mapping={**head["chosen"], **head["confirmed"]}, user=user)

    done = source_file_import(
        file=file, filename=filename, file_kind=FILE_KIND, folder="uploads/settlements", read=read, write=write,
        counterparty_id=platform.counterparty_id, user=user, after_write=remember,
        # Looked up in this module at each import, where the tests put a failing one.
        save_rejected=lambda **kwargs: rejected_rows_save(**kwargs),
    )
    info = done.info
    if done.repeated:
        # Every line the file gives is already there: its imported rows count as duplicates now.
        return SettlementImportResult(file_id=done.file_id, rows=0, rejected=done.rejected,
                                      duplicates=done.rows + done.duplicates, repeated=True, info=info,
                                      format=str(info.get("settlement_format", "")))
    return SettlementImportResult(file_id=done.file_id, rows=done.rows, rejected=done.rejected, duplicates=done.duplicates,
                                  rejected_rows=done.rejected_rows, info=info, lines=info["lines_written"],
                                  format=info["settlement_format"])


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
    insert_new_rows(table, rows, ["platform_id", "settlement_id"])
    return result


# --------------------------------------------------------------------------- the API's bulk post

MAX_RECORDS = 100_000


SettlementBulkResult = LinesBulkResult


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


def settlement_lines_bulk_create(*, records, user=None) -> SettlementBulkResult:
    """The API's bulk post: records read as the file import reads a ledger, created or updated by platform + settlement_id."""
    if not isinstance(records, list) or not records:
        raise UserFacingError("no_data", _("Send a non-empty JSON list of records."))
    if len(records) > MAX_RECORDS:
        raise UserFacingError("too_many", _("At most 100,000 records per request."))
    errors = [record_error(i, "", "not_an_object", _("A record must be a JSON object."))
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
        errors.append(record_error(int(index), "platform", "platform_unknown",
                             _("Unknown platform “%(code)s”.") % {"code": raw.at[index, "platform"]}))
    readable = raw[objects & platform_ids.notna()]
    result = SettlementBulkResult()
    if not readable.empty:
        frame, rejected = _read_records(readable[posted])
        for r in rejected.itertuples():
            errors.append(record_error(int(r.row_no), ERROR_FIELDS.get(r.reason_code, ""), r.reason_code, r.reason))
        seen = set(frame["row_no"]) | set(rejected["row_no"].astype(int))
        for index in readable.index.difference(pd.Index(sorted(seen), dtype=readable.index.dtype)):
            errors.append(record_error(int(index), "", "not_read", _("This record was read as a blank or totals row.")))
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


def settlement_lines_upsert(*, frame: pd.DataFrame, user=None) -> LinesUpsert:
    """Write read records (one line each, `row_no` its index in the request) set-based: a new key is inserted, a
    stored line whose values differ is updated and audited, one stored as sent is a duplicate; a withdrawal held by a
    bank match keeps its amount, time and type (the record is refused with line_matched) while its other fields update."""
    done = LinesUpsert()
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
    fields_carry(mine, theirs, CARRIED)
    old, new = _settlement_text(theirs), _settlement_text(mine)
    found = line_changes(old=old, new=new, matched=theirs["matched"], guarded=MATCH_GUARDED)
    for index, column in found.errors:
        done.errors.append(record_error(int(mine.at[index, "row_no"]), column, "line_matched", _(
            "This withdrawal is matched to a bank credit: its amount, time and type cannot change. Unmatch it "
            "first on the bank match page.")))
    return stored_lines_update(
        done=done, table=SettlementLine._meta.db_table, object_type="settlement_line",
        ids=theirs["id"].astype("int64").to_numpy(), old=old, new=new, found=found, user=user,
        stored=lambda rows: rows.assign(occurred_at=local_naive_to_db(db_to_local_naive(rows["occurred_at"])).to_numpy()),
    )


def _settlement_lines_write_new(frame: pd.DataFrame) -> None:
    """INSERT the records' lines whose key is new, each with its record's place in the list (from 1) as its row."""
    insert_new_rows(SettlementLine._meta.db_table, pd.DataFrame({
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
    }), ["platform_id", "settlement_id"])


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
    parsed = records_read(records, lambda path: read_settlements(path, "settlements.json"))
    position = pd.Series(records.index.to_numpy(), index=np.arange(2, len(records) + 2))  # CSV row 1 is the header
    frame = parsed.frame.copy()
    frame["row_no"] = position.loc[frame["row_no"].astype("int64")].to_numpy()
    rejected = parsed.rejected.copy()
    rejected["row_no"] = position.loc[rejected["row_no"].astype("int64")].to_numpy()
    return frame, rejected
