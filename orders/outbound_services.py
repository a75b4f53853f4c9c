"""Writes for outbound records and pickup scans: the file import and the API's bulk post, one set-based upsert each; an
outbound record is also our shipment, so its parcel creates or updates the Shipment of its waybill."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils.translation import gettext as _

from recon.core.db import db_to_local_naive, fetch_by_keys, int_or_null, is_postgres, local_naive_to_db, now_db
from recon.core.errors import UserFacingError
from recon.ingest import IngestError
from recon.sources.imports import (
    FileImportResult, Written, local_text, rows_to_write, rows_unchanged, source_file_import, upsert_rows,
)
from recon.sources.uploads import ingest_error

from .models import OutboundRecord, PickupScan, Shipment
from .outbound_readers import read_outbound, read_pickups, read_posted_records
from .outbound_selectors import courier_keys
from .outbound_specs import OUTBOUND_SPEC, PICKUP_SPEC

OUTBOUND_FILE_KIND = "outbound"
PICKUPS_FILE_KIND = "pickups"
KINDS = (OUTBOUND_FILE_KIND, PICKUPS_FILE_KIND)
OUTBOUND_KEY = ["outbound_no", "order_no", "sku"]
OUTBOUND_COMPARED = ["quantity", "waybill_no", "courier_id", "packed_weight_g", "outbound_at", "warehouse", "province"]
PICKUP_KEY = ["courier_id", "waybill_no"]
PICKUP_COMPARED = ["picked_up_at", "pickup_weight_g", "site"]


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise UserFacingError("invalid_kind", _("Unknown kind of file “%(kind)s”: use outbound or pickups.") % {"kind": kind})
    return kind


def outbound_file_import(*, file, kind: str, filename: str | None = None, user=None, mapping: dict | None = None,
                         confirm_columns: bool = True) -> FileImportResult:
    """Import an outbound file or a pickup scans file; the same bytes twice is one import, and a bad file writes nothing.

    `mapping` names the header of a field's column (the upload page's column chooser); columns only guessed are refused
    unless confirm_columns. The chosen and confirmed columns are remembered for every later file of the kind.
    """
    from recon.sources.preview import columns_uncertain, columns_uncertain_error
    from recon.sources.selectors import preferred
    from recon.sources.services import column_mapping_remember
    from recon.sources.uploads import preview_head

    from .outbound_selectors import outbound_columns_remembered, outbound_field_labels, outbound_mapping_kind

    kind = _kind(kind)
    couriers = courier_keys()
    if kind == OUTBOUND_FILE_KIND:
        spec, reader, writer = OUTBOUND_SPEC, read_outbound, outbound_records_upsert
    else:
        spec, reader, writer = PICKUP_SPEC, read_pickups, pickup_scans_upsert
    names = {f.name for f in spec.fields}
    mapping = {k: str(v).strip() for k, v in (mapping or {}).items() if k in names and str(v or "").strip()}
    overrides = {**preferred(outbound_columns_remembered(kind=kind)), **mapping}
    confirmed: dict[str, str] = {}

    def read(staged):
        # The header is found from the head first, so that a file nobody can read is refused at once, and a column
        # only guessed is refused before the file is read in full.
        preview = preview_head(staged, spec, overrides, sample_rows=0)
        uncertain = columns_uncertain(preview, spec, overrides)
        if uncertain and not confirm_columns:
            raise columns_uncertain_error(preview, uncertain, outbound_field_labels(kind=kind), advanced=False)
        if preview is not None:
            confirmed.update({name: preview.cells[preview.match.columns[name]] for name in uncertain})
        return reader(staged.path, staged.filename, couriers=couriers, overrides=overrides)

    def write(frame, source_id):
        unchanged = writer(frame=frame, source_id=source_id)
        # In the import's transaction: a choice is remembered only with the file it was made for.
        column_mapping_remember(counterparty_id=None, file_kind=outbound_mapping_kind(kind), mapping={**mapping, **confirmed},
                                user=user)
        return Written(unchanged=unchanged)

    return source_file_import(file=file, filename=filename, file_kind=kind, folder=f"uploads/{kind}", user=user,
                              read=read, write=write)


# --------------------------------------------------------------------------- outbound records


def outbound_records_upsert(*, frame: pd.DataFrame, source_id: int | None) -> np.ndarray:
    """Insert new outbound items and update changed ones by outbound + order + SKU, then the shipments of their parcels;
    per row of `frame`, True when it changed nothing (a duplicate)."""
    if frame.empty:
        return np.zeros(0, dtype=bool)
    frame = frame.reset_index(drop=True)
    incoming = pd.DataFrame({
        "outbound_no": frame["outbound_no"].astype(str), "order_no": frame["order_no"].astype(str),
        "sku": frame["sku"].astype(str), "quantity": frame["quantity"].astype("int64"),
        "waybill_no": frame["waybill_no"].astype(str), "courier_id": frame["courier_id"].astype("int64"),
        "packed_weight_g": frame["packed_weight_g"].astype("Int64"), "outbound_at": local_text(frame["outbound_at"]),
        "warehouse": frame["warehouse"].astype(str), "province": frame["province"].astype(str),
    })
    table = OutboundRecord._meta.db_table
    stored = fetch_by_keys(
        f"SELECT outbound_no, order_no, sku, quantity, waybill_no, courier_id, packed_weight_g, outbound_at, warehouse, "
        f"province FROM {table} WHERE outbound_no {{keys}}",
        incoming["outbound_no"].unique().tolist(), OUTBOUND_KEY + OUTBOUND_COMPARED,
    )
    if len(stored):
        for c in ("quantity", "courier_id"):
            stored[c] = stored[c].astype("int64")
        stored["packed_weight_g"] = pd.array(stored["packed_weight_g"].astype(object).where(stored["packed_weight_g"].notna(), None),
                                             dtype="Int64")
        stored["outbound_at"] = local_text(db_to_local_naive(stored["outbound_at"]))
    unchanged = rows_unchanged(incoming, stored, OUTBOUND_KEY, OUTBOUND_COMPARED)
    write = rows_to_write(incoming, unchanged, OUTBOUND_KEY)
    if not write.any():
        return unchanged
    src, rows_of = incoming[write], frame[write]
    stamp = now_db()
    upsert_rows(table, pd.DataFrame({
        **{c: src[c].to_numpy() for c in ("outbound_no", "order_no", "sku", "quantity", "waybill_no", "courier_id")},
        "packed_weight_g": int_or_null(src["packed_weight_g"]).to_numpy(),
        "outbound_at": local_naive_to_db(rows_of["outbound_at"]).to_numpy(),
        "warehouse": src["warehouse"].to_numpy(), "province": src["province"].to_numpy(),
        "source_id": source_id, "row_no": int_or_null(rows_of["row_no"]).to_numpy(),
        "created_at": stamp, "updated_at": stamp,
    }), OUTBOUND_KEY)
    _shipments_of(src["outbound_no"].unique().tolist())
    return unchanged


def _shipments_of(outbound_nos: list[str]) -> None:
    """Create or update the Shipment of each of these outbounds' waybills, from what is stored now: the order is the
    outbound's first order number (compared as text); a waybill on several outbounds (reused) takes the earliest."""
    table = OutboundRecord._meta.db_table
    parcels = fetch_by_keys(
        f"SELECT outbound_no, MIN(order_no), MIN(waybill_no), MIN(courier_id), MIN(outbound_at), MAX(packed_weight_g), "
        f"MAX(province) FROM {table} WHERE outbound_no {{keys}} GROUP BY outbound_no",
        outbound_nos, ["outbound_no", "order_no", "waybill_no", "courier_id", "outbound_at", "weight_g", "province"],
    )
    if parcels.empty:
        return
    parcels["outbound_at"] = db_to_local_naive(parcels["outbound_at"])
    parcels = parcels.sort_values(["waybill_no", "outbound_at", "outbound_no"]).drop_duplicates("waybill_no", keep="first")
    # An outbound of this import whose waybill an earlier outbound already carries leaves that one's shipment alone.
    earlier = fetch_by_keys(
        f"SELECT waybill_no, MIN(outbound_at) FROM {table} WHERE waybill_no {{keys}} GROUP BY waybill_no",
        parcels["waybill_no"].tolist(), ["waybill_no", "first_at"],
    )
    if len(earlier):
        first_at = pd.Series(db_to_local_naive(earlier["first_at"]).to_numpy(), index=earlier["waybill_no"].to_numpy())
        parcels = parcels[~(first_at.reindex(parcels["waybill_no"]).to_numpy() < parcels["outbound_at"].to_numpy())]
    if parcels.empty:
        return  # every waybill of this import is a reuse: the earlier outbounds' shipments stand
    stamp = now_db()
    rows = pd.DataFrame({
        "order_no": parcels["order_no"].astype(str).to_numpy(),
        "waybill_no": parcels["waybill_no"].astype(str).to_numpy(),
        "courier_id": parcels["courier_id"].astype("int64").to_numpy(),
        "shipped_at": local_naive_to_db(parcels["outbound_at"]).to_numpy(),
        "weight_g": int_or_null(parcels["weight_g"]).to_numpy(),
        "province": parcels["province"].fillna("").astype(str).to_numpy(),
        "city": "", "status": Shipment.Status.SHIPPED,
        "created_at": stamp, "updated_at": stamp,
    })
    upsert_rows(Shipment._meta.db_table, rows, ["waybill_no"], keep_if_blank=("province", "city"), keep_if_null=("weight_g",))


# --------------------------------------------------------------------------- pickup scans


def pickup_scans_upsert(*, frame: pd.DataFrame, source_id: int | None) -> np.ndarray:
    """Insert new pickups and update changed ones by courier + waybill; per row of `frame`, True when it changed nothing."""
    if frame.empty:
        return np.zeros(0, dtype=bool)
    frame = frame.reset_index(drop=True)
    incoming = pd.DataFrame({
        "courier_id": frame["courier_id"].astype("int64"), "waybill_no": frame["waybill_no"].astype(str),
        "picked_up_at": local_text(frame["picked_up_at"]), "pickup_weight_g": frame["pickup_weight_g"].astype("Int64"),
        "site": frame["site"].astype(str),
    })
    table = PickupScan._meta.db_table
    if is_postgres() and len(incoming) <= RETURNING_UPSERT_ROWS and not incoming.duplicated(PICKUP_KEY).any():
        return _pickups_upsert_returning(frame, incoming, source_id)
    # The courier too, so that the lookup probes the (courier, waybill) key's index instead of reading every scan.
    couriers = ", ".join(str(int(c)) for c in sorted(set(incoming["courier_id"].tolist())))
    stored = fetch_by_keys(
        f"SELECT courier_id, waybill_no, picked_up_at, pickup_weight_g, site FROM {table} "
        f"WHERE courier_id IN ({couriers}) AND waybill_no {{keys}}",
        incoming["waybill_no"].unique().tolist(), PICKUP_KEY + PICKUP_COMPARED,
    )
    if len(stored):
        stored["courier_id"] = stored["courier_id"].astype("int64")
        stored["pickup_weight_g"] = pd.array(stored["pickup_weight_g"].astype(object).where(stored["pickup_weight_g"].notna(), None),
                                             dtype="Int64")
        stored["picked_up_at"] = local_text(db_to_local_naive(stored["picked_up_at"]))
    unchanged = rows_unchanged(incoming, stored, PICKUP_KEY, PICKUP_COMPARED)
    write = rows_to_write(incoming, unchanged, PICKUP_KEY)
    if not write.any():
        return unchanged
    src, rows_of = incoming[write], frame[write]
    stamp = now_db()
    upsert_rows(table, pd.DataFrame({
        "courier_id": src["courier_id"].to_numpy(), "waybill_no": src["waybill_no"].to_numpy(),
        "picked_up_at": local_naive_to_db(rows_of["picked_up_at"]).to_numpy(),
        "pickup_weight_g": int_or_null(src["pickup_weight_g"]).to_numpy(), "site": src["site"].to_numpy(),
        "source_id": source_id, "row_no": int_or_null(rows_of["row_no"]).to_numpy(),
        "created_at": stamp, "updated_at": stamp,
    }), PICKUP_KEY)
    return unchanged


# Up to this many scans, one statement beats the lookup, the comparison and the upsert through a temporary table; for
# bigger posts the COPY of the latter wins (measured with bench_outbound).
RETURNING_UPSERT_ROWS = 2_000


def _pickups_upsert_returning(frame: pd.DataFrame, incoming: pd.DataFrame, source_id: int | None) -> np.ndarray:
    """pickup_scans_upsert in one statement, for scans of distinct waybills on PostgreSQL: the rows it inserts or
    changes come back, every other row changed nothing. A stored time is compared to the second, as the reader's are."""
    table = PickupScan._meta.db_table
    compared = "picked_up_at, pickup_weight_g, site"
    sql = (
        f"INSERT INTO {table} AS t (courier_id, waybill_no, picked_up_at, pickup_weight_g, site, row_no, source_id, "
        f"created_at, updated_at) SELECT c, w, a, g, s, r, %s, %s, %s "
        # The rows as one JSON text: as arrays, psycopg2 writes ARRAY[…] with one expression per value, which
        # PostgreSQL takes longer to parse than to run the statement.
        f"FROM json_to_recordset(%s::json) AS u(c bigint, w text, a timestamptz, g integer, s text, r integer) "
        f"ON CONFLICT (courier_id, waybill_no) DO UPDATE SET "
        f"{', '.join(f'{c} = excluded.{c}' for c in (*compared.split(', '), 'row_no', 'source_id', 'updated_at'))} "
        f"WHERE (date_trunc('second', t.picked_up_at), t.pickup_weight_g, t.site) IS DISTINCT FROM "
        f"(date_trunc('second', excluded.picked_up_at), excluded.pickup_weight_g, excluded.site) "
        f"RETURNING t.courier_id, t.waybill_no"
    )
    stamp = now_db()
    with connection.cursor() as cursor:
        columns = zip(incoming["courier_id"].tolist(), incoming["waybill_no"].tolist(),
                      local_naive_to_db(frame["picked_up_at"]).tolist(), int_or_null(incoming["pickup_weight_g"]).tolist(),
                      incoming["site"].tolist(), int_or_null(frame["row_no"]).tolist())
        rows = [{"c": c, "w": w, "a": a, "g": g, "s": s, "r": r} for c, w, a, g, s, r in columns]
        cursor.execute(sql, [source_id, stamp, stamp, json.dumps(rows, ensure_ascii=False)])
        written = set(cursor.fetchall())
    keys = zip(incoming["courier_id"].tolist(), incoming["waybill_no"].tolist())
    return np.fromiter((key not in written for key in keys), dtype=bool, count=len(incoming))


# --------------------------------------------------------------------------- the API's bulk post

OUTBOUND_RECORD_FIELDS = ["outbound_no", "order_no", "waybill_no", "courier", "sku", "quantity", "packed_weight", "outbound_at",
                          "warehouse", "province"]
PICKUP_RECORD_FIELDS = ["waybill_no", "courier", "picked_up_at", "pickup_weight", "site"]
MAX_RECORDS = 100_000
# The field of each reason code, as named in the posted records.
ERROR_FIELDS = {
    "outbound_no_missing": "outbound_no", "outbound_no_scientific": "outbound_no", "order_no_missing": "order_no",
    "order_no_scientific": "order_no", "waybill_missing": "waybill_no", "waybill_scientific": "waybill_no",
    "waybill_invalid": "waybill_no", "courier_missing": "courier", "courier_unknown": "courier", "sku_scientific": "sku",
    "quantity_missing": "quantity", "quantity_negative": "quantity", "quantity_invalid": "quantity",
    "outbound_at_missing": "outbound_at", "outbound_at_invalid": "outbound_at", "province_unknown": "province",
    "picked_up_at_missing": "picked_up_at", "picked_up_at_invalid": "picked_up_at",
}
WEIGHT_FIELD = {OUTBOUND_FILE_KIND: "packed_weight", PICKUPS_FILE_KIND: "pickup_weight"}


@dataclass
class BulkResult:
    """Counted by record: written (new or changed), refused, already stored as sent."""

    rows: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)
    # The (courier id, waybill) of every record written: what the check on arrival looks at.
    waybills: set = field(default_factory=set)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "rejected": self.rejected, "duplicates": self.duplicates, "errors": self.errors}


def outbound_bulk_upsert(*, kind: str, records, user=None) -> BulkResult:
    """The API's bulk post of outbound records or pickup scans: created or updated by their natural key, through the
    file reader itself, so that the API accepts exactly what an upload accepts."""
    kind = _kind(kind)
    if not isinstance(records, list) or not records:
        raise UserFacingError("no_data", _("Send a non-empty JSON list of records."))
    if len(records) > MAX_RECORDS:
        raise UserFacingError("too_many", _("At most 100,000 records per request."))
    columns = OUTBOUND_RECORD_FIELDS if kind == OUTBOUND_FILE_KIND else PICKUP_RECORD_FIELDS
    errors: list[dict] = []
    rows, origin = [], []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            errors.append({"index": index, "field": "", "code": "record_invalid", "message": _("A record must be a JSON object.")})
            continue
        rows.append({f: record.get(f) for f in columns})
        origin.append(index)
    result = BulkResult()
    if rows:
        parsed = _read_records(kind, rows, columns)
        # CSV row 1 is the header: row r is the record origin[r - 2].
        for r in parsed.rejected.itertuples():
            code = r.reason_code
            where = WEIGHT_FIELD[kind] if code in ("weight_negative", "weight_invalid") else ERROR_FIELDS.get(code, "")
            errors.append({"index": origin[int(r.row_no) - 2], "field": where, "code": code, "message": r.reason})
        frame = parsed.frame
        upsert = outbound_records_upsert if kind == OUTBOUND_FILE_KIND else pickup_scans_upsert
        with transaction.atomic():
            unchanged = upsert(frame=frame, source_id=None)
        result.duplicates = int(np.count_nonzero(unchanged))
        result.rows = int(len(unchanged) - result.duplicates)
        written = frame.loc[~np.asarray(unchanged, dtype=bool), ["courier_id", "waybill_no"]]
        result.waybills = set(zip(written["courier_id"].astype("int64").tolist(), written["waybill_no"].astype(str).tolist()))
        seen = {origin[int(r) - 2] for r in frame["row_no"]}
        refused = {e["index"] for e in errors}
        for index in range(len(records)):
            if index not in seen and index not in refused:
                # A record of nothing but blanks (or one that reads as a totals row) is no record.
                key = "outbound_no" if kind == OUTBOUND_FILE_KIND else "waybill_no"
                errors.append({"index": index, "field": key, "code": "record_empty", "message": _("The record holds no data.")})
    result.errors = sorted(errors, key=lambda e: (e["index"], e["field"]))
    result.rejected = len({e["index"] for e in errors})
    return result


def _read_records(kind: str, rows: list[dict], columns: list[str]):
    table = pd.DataFrame.from_records(rows, columns=columns)
    table = table.astype(object).where(table.notna(), "")
    try:
        return read_posted_records(table.to_csv(index=False, lineterminator="\n"), f"{kind}.json", kind=kind,
                                   couriers=courier_keys())
    except IngestError as exc:
        raise ingest_error(exc) from exc
