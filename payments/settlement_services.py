"""Writes for platform settlements: the file import and the API's bulk post, one set-based insert each.

A settlement line is never changed once imported: the same `settlement_id` of the same platform again is a duplicate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Platform
from recon.core.db import bulk_load, fetch_by_keys, int_or_null, is_postgres, local_naive_to_db, money, now_db
from recon.core.errors import UserFacingError
from recon.ingest import IngestError
from recon.ingest.clean import MoneyError, money_fen, parse_datetime
from recon.sources.models import SourceFile
from recon.sources.selectors import source_file_duplicate
from recon.sources.services import rejected_rows_save
from recon.sources.uploads import ingest_error, keep_staged, stage_upload

from .models import SettlementLine
from .settlement_readers import LINE_COLUMNS, SETTLEMENT_ID_CHARS, business_types, read_settlements

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
                           user=None) -> SettlementImportResult:
    """Import a platform's settlement file of any layout we read; the same file twice is one import, a bad file writes nothing."""
    staged = stage_upload(file=file, filename=filename)
    earlier = source_file_duplicate(file_kind=FILE_KIND, sha256=staged.sha256)
    if earlier is not None:
        staged.discard()
        return _repeat_result(earlier)
    try:
        parsed = read_settlements(staged.path, staged.filename)
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
    rows: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "rejected": self.rejected, "duplicates": self.duplicates, "errors": self.errors}


def _error(index: int, field_name: str, code: str, message: str) -> dict:
    return {"index": index, "field": field_name, "code": code, "message": message}


def _record_text(record: dict, name: str, limit: int) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()[:limit]


def settlement_lines_bulk_create(*, records, user=None) -> SettlementBulkResult:
    """The API's bulk post: each record one ledger line with a signed amount; an existing settlement_id is a duplicate."""
    if not isinstance(records, list) or not records:
        raise UserFacingError("no_data", _("Send a non-empty JSON list of records."))
    if len(records) > MAX_RECORDS:
        raise UserFacingError("too_many", _("At most 100,000 records per request."))
    platforms = {}
    for p in Platform.objects.all():
        for name in (p.code, p.code.lower(), p.name, *(p.aliases or [])):
            platforms.setdefault(str(name), p)
    errors: list[dict] = []
    good: list[dict] = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            errors.append(_error(index, "", "not_an_object", _("A record must be a JSON object.")))
            continue
        line = _bulk_line(index, record, platforms, errors)
        if line is not None:
            good.append(line)
    result = SettlementBulkResult()
    if good:
        frame = pd.DataFrame(good)
        with transaction.atomic():
            for (platform_id, shop), part in frame.groupby(["platform_id", "shop"], sort=False):
                written = settlement_lines_insert(frame=part[LINE_COLUMNS], platform=platforms_by_id(platforms)[platform_id],
                                                  shop=shop)
                result.rows += written.rows
                result.duplicates += written.duplicates
    result.errors = sorted(errors, key=lambda e: e["index"])
    result.rejected = len({e["index"] for e in errors})
    return result


def platforms_by_id(platforms: dict) -> dict:
    return {p.pk: p for p in platforms.values()}


def _record_time(text: str):
    """A posted time as the file import reads one (local time), or an ISO time with its offset; None when unreadable."""
    if not text:
        return None
    values, _bad = parse_datetime(pd.Series([text], dtype=object))
    if not pd.isna(values.iat[0]):
        return values.iat[0]
    stamp = pd.to_datetime(text, errors="coerce")
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone.get_current_timezone_name()).tz_localize(None)
    return stamp


def _bulk_line(index: int, record: dict, platforms: dict, errors: list[dict]) -> dict | None:
    """One posted record as a clean line, or None with its errors added."""
    before = len(errors)
    platform = platforms.get(_record_text(record, "platform", 64)) or platforms.get(_record_text(record, "platform", 64).upper())
    if platform is None:
        errors.append(_error(index, "platform", "platform_unknown", _("Unknown platform “%(code)s”.")
                             % {"code": _record_text(record, "platform", 64)}))
    settlement_id = _record_text(record, "settlement_id", 200)
    if not settlement_id:
        errors.append(_error(index, "settlement_id", "settlement_id_missing", _("Settlement line ID is empty")))
    elif len(settlement_id) > SETTLEMENT_ID_CHARS:
        errors.append(_error(index, "settlement_id", "settlement_id_too_long",
                             _("Settlement line ID “%(value)s” is longer than 64 characters") % {"value": settlement_id}))
    occurred_at = _record_time(_record_text(record, "occurred_at", 40))
    if occurred_at is None:
        code = "occurred_at_invalid" if _record_text(record, "occurred_at", 40) else "occurred_at_missing"
        message = (_("Time “%(value)s” is not a date") % {"value": _record_text(record, "occurred_at", 40)}
                   if code == "occurred_at_invalid" else _("Time is empty"))
        errors.append(_error(index, "occurred_at", code, message))
    amounts = {}
    for name in ("amount", "balance"):
        try:
            amounts[name] = money_fen(record.get(name))
        except MoneyError:
            message = (_("Amount “%(value)s” is not an amount") if name == "amount"
                       else _("Balance “%(value)s” is not an amount"))
            errors.append(_error(index, name, f"{name}_invalid", message % {"value": record.get(name)}))
    if "amount" in amounts and amounts["amount"] is None:
        errors.append(_error(index, "amount", "amount_missing", _("Amount is empty")))
    if len(errors) > before:
        return None
    raw_type = _record_text(record, "business_type", 64)
    return {
        "platform_id": platform.pk, "shop": _record_text(record, "shop", 64), "settlement_id": settlement_id,
        "order_no": _record_text(record, "order_no", 64), "trade_no": _record_text(record, "trade_no", 64),
        "occurred_at": occurred_at, "business_type": business_types(pd.Series([raw_type], dtype=object)).iat[0],
        "business_type_raw": raw_type, "amount_fen": amounts["amount"],
        "balance_fen": pd.NA if amounts.get("balance") is None else amounts["balance"],
        "counterparty_name": _record_text(record, "counterparty_name", 128), "remark": _record_text(record, "remark", 255),
        "sheet": "", "row_no": index + 1,
    }
