"""Writes for our shipments: one upsert used by the file import, the REST API and the demo seeder."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from couriers.selectors import courier_lookup_table
from recon.core.db import bulk_load, fetch_by_keys, int_or_null, is_postgres, local_naive_to_db, money, now_db
from recon.core.errors import UserFacingError
from recon.ingest import IngestError, read_shipments
from recon.sources.models import RejectedRow, SourceFile
from recon.sources.services import rejected_rows_save
from recon.sources.uploads import StagedUpload, ingest_error, keep_staged, stage_upload

from .masking import RECIPIENT_FIELDS, looks_masked
from .models import Shipment

SHIPMENTS_FILE_KIND = "shipments"
REJECTED_COLUMNS = ["sheet", "row_no", "reason_code", "reason", "raw"]
UPSERT_COLUMNS = [
    "order_no", "waybill_no", "courier_id", "shipped_at", "weight_g", "length_mm", "width_mm", "height_mm",
    "province", "city", "status", "declared_value", *RECIPIENT_FIELDS, "created_at", "updated_at",
]


@dataclass
class ShipmentImportResult:
    created: int = 0
    updated: int = 0
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECTED_COLUMNS))
    # The uploaded file's SourceFile; a JSON post has none.
    source_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "rejected": int(len(self.rejected)),
            "rejected_rows": self.rejected.head(1000).to_dict("records") if len(self.rejected) else [],
        }


def shipments_upsert(*, frame: pd.DataFrame) -> ShipmentImportResult:
    """Insert new waybills and update known ones, set-based; rows naming an unknown courier are rejected."""
    result = ShipmentImportResult()
    if frame.empty:
        return result
    lookup = courier_lookup_table()
    courier_id = frame["courier"].astype(str).str.strip().str.upper().map(lookup)
    unknown = courier_id.isna()
    if unknown.any():
        bad = frame[unknown]
        result.rejected = pd.DataFrame(
            {
                "sheet": bad["sheet"].astype(str) if "sheet" in bad else "",
                "row_no": bad["row_no"].astype("int64") if "row_no" in bad else range(1, len(bad) + 1),
                "reason_code": "courier_unknown",
                "reason": _("Unknown courier") + " “" + bad["courier"].astype(str) + "”",
                "raw": bad["waybill_no"].astype(str) + " | " + bad["courier"].astype(str),
            }
        )
    good = frame[~unknown].drop_duplicates("waybill_no", keep="last")
    if good.empty:
        return result
    stamp = now_db()
    rows = pd.DataFrame(
        {
            "order_no": good["order_no"].astype(str).to_numpy(),
            "waybill_no": good["waybill_no"].astype(str).to_numpy(),
            "courier_id": courier_id[~unknown].loc[good.index].astype("int64").to_numpy(),
            "shipped_at": local_naive_to_db(good["shipped_at"]).to_numpy(),
            "weight_g": int_or_null(good["weight_g"]).to_numpy(),
            "length_mm": int_or_null(good["length_mm"]).to_numpy(),
            "width_mm": int_or_null(good["width_mm"]).to_numpy(),
            "height_mm": int_or_null(good["height_mm"]).to_numpy(),
            "province": good["province"].fillna("").astype(str).to_numpy(),
            "city": good["city"].fillna("").astype(str).str.slice(0, 64).to_numpy(),
            "status": good["status"].astype(str).to_numpy(),
            "declared_value": money(good["declared_value_fen"]).to_numpy(),
            **{f: _recipient_values(good, f) for f in RECIPIENT_FIELDS},
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    waybills = rows["waybill_no"].tolist()
    table = Shipment._meta.db_table
    with transaction.atomic():
        known = fetch_by_keys(f"SELECT waybill_no FROM {table} WHERE waybill_no {{keys}}", waybills, ["waybill_no"])
        result.updated = int(len(known))
        result.created = int(len(rows) - len(known))
        cols = ", ".join(UPSERT_COLUMNS)
        updates = ", ".join(
            # An empty recipient cell (column absent, or masked in the file) keeps what we know rather than erase it.
            f"{c} = COALESCE(NULLIF(excluded.{c}, ''), {table}.{c})" if c in RECIPIENT_FIELDS else f"{c} = excluded.{c}"
            for c in UPSERT_COLUMNS
            if c not in {"waybill_no", "created_at"}
        )
        with connection.cursor() as cursor:
            if is_postgres():
                # Dropped explicitly too: inside an outer transaction ON COMMIT comes too late for a second call.
                cursor.execute("DROP TABLE IF EXISTS shipment_in")
                cursor.execute(f"CREATE TEMP TABLE shipment_in (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
                cursor.execute("ALTER TABLE shipment_in ALTER COLUMN id DROP NOT NULL")
                bulk_load("shipment_in", rows)
                cursor.execute(
                    f"INSERT INTO {table} ({cols}) SELECT {cols} FROM shipment_in "
                    f"ON CONFLICT (waybill_no) DO UPDATE SET {updates}"
                )
                cursor.execute("DROP TABLE shipment_in")
            else:
                marks = ", ".join(["%s"] * len(UPSERT_COLUMNS))
                values = rows[UPSERT_COLUMNS].astype(object).where(rows[UPSERT_COLUMNS].notna(), None)
                cursor.executemany(
                    f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT (waybill_no) DO UPDATE SET {updates}",
                    values.itertuples(index=False, name=None),
                )
    return result


def _recipient_values(frame: pd.DataFrame, column: str):
    """Recipient text cut to the column's length; masked values (138****1234 from an export) count as empty."""
    if column not in frame:
        return ""
    text = frame[column].astype(object).where(frame[column].notna(), "").astype(str)
    text = text.where(~looks_masked(text), "")
    return text.str.slice(0, Shipment._meta.get_field(column).max_length).to_numpy()


def shipment_import(*, file, filename: str | None = None, user=None) -> ShipmentImportResult:
    """Import a CSV/XLSX of shipments and record the file as a "shipments" SourceFile; the same waybill again updates it."""
    staged = stage_upload(file=file, filename=filename)
    try:
        parsed = read_shipments(staged.path, staged.filename)
    except IngestError as exc:
        staged.discard()
        raise ingest_error(exc) from exc
    except BaseException:
        staged.discard()
        raise
    kept = _keep_shipments_file(staged)
    try:
        with transaction.atomic():
            result = shipments_upsert(frame=parsed.frame)
            line_count = len(parsed.frame) - len(result.rejected)
            result.rejected = pd.concat([parsed.rejected[REJECTED_COLUMNS], result.rejected], ignore_index=True)
            source = _shipments_source_record(staged=staged, stored=kept.name, info=parsed.info, line_count=line_count,
                                              rejected=result.rejected, user=user)
    except BaseException:
        kept.forget()
        raise
    result.source_id = source.pk
    return result


@dataclass
class _KeptFile:
    """Where an import's file is stored, and whether this import put it there (so a failed import takes it away again)."""

    name: str
    path: Path | None = None

    def forget(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def _keep_shipments_file(staged: StagedUpload) -> _KeptFile:
    """Keep the staged upload, unless the same bytes are already stored for an earlier import of this file."""
    earlier = SourceFile.objects.filter(file_kind=SHIPMENTS_FILE_KIND, sha256=staged.sha256).values_list("file", flat=True).first()
    if earlier and (Path(settings.MEDIA_ROOT) / earlier).is_file():
        staged.discard()
        return _KeptFile(name=earlier)
    # Apart from the bills' folder: a failed import removes what it stored, never a bill of the same bytes.
    name = keep_staged(staged, f"uploads/shipments/{timezone.now():%Y/%m}")
    return _KeptFile(name=name, path=staged.path)


def _shipments_source_record(*, staged: StagedUpload, stored: str, info: dict, line_count: int, rejected: pd.DataFrame,
                             user) -> SourceFile:
    """Create the file's SourceFile, or refresh the one an earlier import of the same bytes made; its rejected rows are this import's."""
    values = {
        "file": stored, "original_filename": staged.filename[:255], "size_bytes": staged.size, "line_count": line_count,
        "rejected_count": len(rejected), "read_info": info, "uploaded_by": user, "uploaded_at": timezone.now(),
    }
    # update_or_create locks an existing row, and a concurrent first import of the same bytes ends in its get, not an error.
    source, created = SourceFile.objects.update_or_create(file_kind=SHIPMENTS_FILE_KIND, sha256=staged.sha256, defaults=values)
    if not created:
        RejectedRow.objects.filter(source_id=source.pk).delete()
    rejected_rows_save(source=source, rejected=rejected)
    return source


def shipments_bulk_create(*, records: list[dict]) -> ShipmentImportResult:
    """The API's bulk post: the same field names as the file import, the same cleaning and the same upsert."""
    if not isinstance(records, list) or not records:
        raise UserFacingError("no_data", _("Send a non-empty JSON list of shipments."))
    if len(records) > 100_000:
        raise UserFacingError("too_many", _("At most 100,000 shipments per request."))
    raw = pd.DataFrame.from_records([r if isinstance(r, dict) else {} for r in records])
    # The records go through the file reader itself, so the API accepts exactly what an upload accepts.
    staging = Path(settings.MEDIA_ROOT) / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", dir=staging, encoding="utf-8", newline="", delete=False) as fh:
        raw.to_csv(fh, index=False)
        path = fh.name
    try:
        parsed = read_shipments(path, "shipments.json")
    except IngestError as exc:
        raise ingest_error(exc) from exc
    finally:
        os.unlink(path)
    result = shipments_upsert(frame=parsed.frame)
    rejected = pd.concat([parsed.rejected[REJECTED_COLUMNS], result.rejected], ignore_index=True)
    # Row 1 of the intermediate file is its header: report the position in the posted list instead.
    rejected["row_no"] = rejected["row_no"].astype("int64") - 2
    rejected["sheet"] = ""
    result.rejected = rejected.rename(columns={"row_no": "index"})
    return result
