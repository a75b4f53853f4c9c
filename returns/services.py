"""Writes for returns: the file import (requests, receipts, freight) and the API's bulk post, one set-based upsert each."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils.translation import gettext as _

from couriers.models import Courier
from couriers.selectors import courier_lookup_table
from orders.masking import looks_masked
from recon.core.db import (
    bulk_load, db_to_local_naive, fen_from_db, fetch_by_keys, int_or_null, local_naive_to_db, money, now_db,
)
from recon.core.errors import UserFacingError
from recon.ingest.clean import normalize_waybill
from recon.sources.imports import (
    BulkResult, FileImportResult, Written, columns_confirmed, local_text, mapping_chosen, records_read, rows_to_write,
    rows_unchanged, source_file_import, upsert_rows,
)
from recon.sources.models import SourceFile
from recon.sources.selectors import preferred
from recon.sources.services import column_mapping_remember
from recon.sources.uploads import StagedUpload, preview_head

from . import readers
from .models import ReturnFreightLine, ReturnReceipt, ReturnRequest
from .normalize import normalize_return_waybill
from .selectors import returns_columns_remembered, returns_field_labels
from .specs import FREIGHT_SPEC, RECEIPT_SPEC, REQUEST_SPEC

@dataclass(frozen=True)
class _Kind:
    file_kind: str
    spec: object
    read: object


KINDS = {
    "requests": _Kind("return_requests", REQUEST_SPEC, readers.read_return_requests),
    "receipts": _Kind("return_receipts", RECEIPT_SPEC, readers.read_return_receipts),
    "freight": _Kind(ReturnFreightLine.FILE_KIND, FREIGHT_SPEC, readers.read_return_freight),
}
FILE_KINDS = tuple(k.file_kind for k in KINDS.values())


def _normalize_waybills(values: pd.Series, courier_names: tuple[str, ...] = ()) -> tuple[pd.Series, np.ndarray]:
    """Return waybill numbers as matched, and which cells lost their digits to scientific notation.

    The one place a return waybill is normalised: case, spaces, hyphens, full-width characters and a courier's name
    or code typed in front of the number do not matter (returns.normalize).
    """
    _number, reason = normalize_waybill(values)
    number = normalize_return_waybill(values, list(courier_names))
    number = number.where(reason != "waybill_missing", "")
    return number.astype(object), (reason == "waybill_scientific").to_numpy()


def _waybill_normalizer():
    """_normalize_waybills bound to the active couriers' codes, names and aliases, read here: the readers run in a child
    process that must not touch the database."""
    names: list[str] = []
    for code, name, name_en, aliases in Courier.objects.filter(active=True).values_list("code", "name", "name_en", "aliases"):
        names += [n for n in (code, name, name_en, *(aliases or [])) if n]
    return partial(_normalize_waybills, courier_names=tuple(sorted(set(map(str, names)))))


def _kind(kind: str) -> _Kind:
    if kind not in KINDS:
        raise UserFacingError("invalid_kind", _("Unknown kind of returns file “%(kind)s”: use requests, receipts or freight.")
                              % {"kind": kind})
    return KINDS[kind]


def _freight_courier(kind: str, courier: Courier | None) -> Courier | None:
    if kind == "freight" and courier is None:
        raise UserFacingError("courier_required", _("Say which courier billed this return freight (--courier CODE)."))
    return courier if kind == "freight" else None


def returns_file_import(*, file, filename: str | None = None, kind: str, courier: Courier | None = None, user=None,
                        mapping: dict | None = None, confirm_columns: bool = True) -> FileImportResult:
    """Import a returns file of one kind; the same file twice is one import, and a bad file writes nothing.

    `mapping` names the header of a field's column (the upload page's column chooser); columns only guessed are refused
    unless confirm_columns. A freight file's chosen and confirmed columns are remembered for its courier.
    """
    spec = _kind(kind)
    courier = _freight_courier(kind, courier)
    mapping = mapping_chosen(mapping, spec.spec)
    overrides = {**preferred(returns_columns_remembered(kind=kind, courier=courier)), **mapping}
    confirmed: dict = {}

    def read(staged: StagedUpload):
        # The header is found now, so that a file nobody can read is refused with the reader's own error.
        preview = preview_head(staged, spec.spec, overrides)
        confirmed.update(columns_confirmed(preview, spec.spec, overrides, confirm=confirm_columns,
                                           labels=lambda: returns_field_labels(kind)))
        return spec.read(staged.path, staged.filename, normalize_waybills=_waybill_normalizer(), overrides=overrides)

    def write(frame: pd.DataFrame, source_id: int) -> Written:
        if kind == "freight":
            # Every freight line is written, repeats included: none is a duplicate.
            return_freight_insert(frame=frame, source_id=source_id, courier=courier)
            return Written(unchanged=np.zeros(len(frame), dtype=bool))
        return Written(unchanged=_WRITES[kind](frame, source_id))

    def remember(source: SourceFile, parsed) -> None:
        column_mapping_remember(counterparty_id=courier.counterparty_id, file_kind=spec.file_kind,
                                mapping={**mapping, **confirmed}, user=user)

    # A folder per file kind: a failed import removes what it stored, never a file of the same bytes of another kind.
    return source_file_import(
        file=file, filename=filename, file_kind=spec.file_kind, folder=f"uploads/returns/{spec.file_kind}", read=read,
        write=write, counterparty_id=courier.counterparty_id if courier else None, user=user,
        after_write=remember if courier is not None else None,
    )


# --------------------------------------------------------------------------- the set-based writes

def _personal(values: pd.Series) -> pd.Series:
    text = values.fillna("").astype(str)
    return text.where(~looks_masked(text), "")


REQUEST_COMPARED = [
    "order_no", "platform", "shop", "return_waybill_no", "return_waybill_raw", "return_courier_id", "return_courier_raw",
    "quantity", "refund_fen", "refund_status", "refunded_at", "requested_at", "reason", "buyer_name", "buyer_phone",
    "buyer_address",
]
BUYER = ("buyer_name", "buyer_phone", "buyer_address")


def return_requests_upsert(*, frame: pd.DataFrame, source_id: int | None) -> np.ndarray:
    """Insert new (return_no, sku) items and update changed ones; per row of `frame`, True when it changed nothing (a
    duplicate)."""
    if frame.empty:
        return np.zeros(0, dtype=bool)
    lookup = courier_lookup_table()
    incoming = pd.DataFrame({
        "return_no": frame["return_no"].astype(str), "sku": frame["sku"].astype(str),
        "order_no": frame["order_no"].astype(str), "platform": frame["platform"].astype(str), "shop": frame["shop"].astype(str),
        "return_waybill_no": frame["return_waybill_no"].astype(str), "return_waybill_raw": frame["return_waybill_raw"].astype(str),
        "return_courier_id": frame["return_courier"].astype(str).str.strip().str.upper().map(lookup).astype("Int64"),
        "return_courier_raw": frame["return_courier"].astype(str),
        "quantity": frame["quantity"].astype("int64"), "refund_fen": frame["refund_amount_fen"].astype("int64"),
        "refund_status": frame["refund_status"].astype(str),
        "refunded_at": local_text(frame["refunded_at"]), "requested_at": local_text(frame["requested_at"]),
        "reason": frame["reason"].astype(str),
        **{f: _personal(frame[f]) for f in BUYER},
    })
    table = ReturnRequest._meta.db_table
    columns = ["return_no", "sku", *REQUEST_COMPARED]
    stored = fetch_by_keys(
        f"SELECT return_no, sku, order_no, platform, shop, return_waybill_no, return_waybill_raw, return_courier_id, "
        f"return_courier_raw, quantity, refund_amount, refund_status, refunded_at, requested_at, reason, buyer_name, "
        f"buyer_phone, buyer_address FROM {table} WHERE return_no {{keys}}",
        incoming["return_no"].unique().tolist(), columns,
    )
    if len(stored):
        stored["return_courier_id"] = pd.array(stored["return_courier_id"].astype(object).where(stored["return_courier_id"].notna(), None), dtype="Int64")
        stored["refund_fen"] = fen_from_db(stored["refund_fen"])
        stored["quantity"] = stored["quantity"].astype("int64")
        for c in ("refunded_at", "requested_at"):
            stored[c] = local_text(db_to_local_naive(stored[c]))
    same = rows_unchanged(incoming, stored, ["return_no", "sku"], REQUEST_COMPARED, blank_keeps=BUYER)
    write = frame[rows_to_write(incoming, same, ["return_no", "sku"])]
    if write.empty:
        return same
    src = incoming.loc[write.index]
    stamp = now_db()
    rows = pd.DataFrame({
        "return_no": src["return_no"].to_numpy(), "sku": src["sku"].to_numpy(), "order_no": src["order_no"].to_numpy(),
        "platform": src["platform"].to_numpy(), "shop": src["shop"].to_numpy(),
        "return_waybill_no": src["return_waybill_no"].to_numpy(), "return_waybill_raw": src["return_waybill_raw"].to_numpy(),
        "return_courier_id": int_or_null(src["return_courier_id"]).to_numpy(),
        "return_courier_raw": src["return_courier_raw"].to_numpy(),
        "quantity": src["quantity"].to_numpy(), "refund_amount": money(src["refund_fen"]).to_numpy(),
        "refund_status": src["refund_status"].to_numpy(),
        "refunded_at": local_naive_to_db(write["refunded_at"]).to_numpy(),
        "requested_at": local_naive_to_db(write["requested_at"]).to_numpy(),
        "reason": src["reason"].to_numpy(),
        **{f: src[f].to_numpy() for f in BUYER},
        "source_id": source_id, "row_no": int_or_null(write["row_no"]).to_numpy(),
        "created_at": stamp, "updated_at": stamp,
    })
    # An empty (or masked) personal field keeps what we know rather than erase it, as shipments do.
    upsert_rows(table, rows, ["return_no", "sku"], keep_if_blank=BUYER)
    return same


RECEIPT_COMPARED = ["return_waybill_raw", "order_no", "received_at", "quantity", "warehouse", "inspector", "photos"]


def receipt_keys(waybill: pd.Series, order_no: pd.Series, sku: pd.Series, condition: pd.Series) -> pd.Series:
    """The natural key as the database computes it (ReturnReceipt.receipt_key)."""
    head = ("w:" + waybill).where(waybill != "", "o:" + order_no)
    return head + "|" + sku + "|" + condition


def return_receipts_upsert(*, frame: pd.DataFrame, source_id: int | None) -> np.ndarray:
    """Insert new receipt rows and update changed ones by waybill (or order) + SKU + condition; per row of `frame`, True
    when it changed nothing (a duplicate)."""
    if frame.empty:
        return np.zeros(0, dtype=bool)
    incoming = pd.DataFrame({
        "receipt_key": receipt_keys(frame["return_waybill_no"].astype(str), frame["order_no"].astype(str),
                                    frame["sku"].astype(str), frame["condition"].astype(str)),
        "return_waybill_raw": frame["return_waybill_raw"].astype(str), "order_no": frame["order_no"].astype(str),
        "received_at": local_text(frame["received_at"]), "quantity": frame["quantity"].astype("Int64"),
        "warehouse": frame["warehouse"].astype(str), "inspector": frame["inspector"].astype(str),
        "photos": _photos(frame),
    })
    table = ReturnReceipt._meta.db_table
    stored = fetch_by_keys(
        f"SELECT receipt_key, return_waybill_raw, order_no, received_at, quantity, warehouse, inspector, photos FROM {table} "
        f"WHERE receipt_key {{keys}}",
        incoming["receipt_key"].unique().tolist(), ["receipt_key", *RECEIPT_COMPARED],
    )
    if len(stored):
        stored["received_at"] = local_text(db_to_local_naive(stored["received_at"]))
        stored["quantity"] = pd.array(stored["quantity"].astype(object).where(stored["quantity"].notna(), None), dtype="Int64")
        stored["photos"] = stored["photos"].map(_json_text)
    same = rows_unchanged(incoming, stored, ["receipt_key"], RECEIPT_COMPARED)
    write = frame[rows_to_write(incoming, same, ["receipt_key"])]
    if write.empty:
        return same
    stamp = now_db()
    rows = pd.DataFrame({
        "return_waybill_no": write["return_waybill_no"].astype(str).to_numpy(),
        "return_waybill_raw": write["return_waybill_raw"].astype(str).to_numpy(),
        "order_no": write["order_no"].astype(str).to_numpy(),
        "received_at": local_naive_to_db(write["received_at"]).to_numpy(),
        "sku": write["sku"].astype(str).to_numpy(),
        "quantity": int_or_null(write["quantity"]).to_numpy(),
        "condition": write["condition"].astype(str).to_numpy(),
        "warehouse": write["warehouse"].astype(str).to_numpy(),
        "inspector": write["inspector"].astype(str).to_numpy(),
        "photos": incoming.loc[write.index, "photos"].to_numpy(),
        "source_id": source_id, "row_no": int_or_null(write["row_no"]).to_numpy(),
        "created_at": stamp, "updated_at": stamp,
    })
    upsert_rows(table, rows, ["receipt_key"])
    return same


def _photos(frame: pd.DataFrame) -> pd.Series:
    """The photo lists as JSON text; a frame read before receipts had photos has none."""
    if "photos" not in frame:
        return pd.Series("[]", index=frame.index, dtype=object)
    return frame["photos"].fillna("[]").astype(str)


def _json_text(value) -> str:
    """A stored JSON value as the reader writes it (the driver may hand back text or the parsed list)."""
    parsed = json.loads(value) if isinstance(value, str) else (value or [])
    return json.dumps(parsed, ensure_ascii=False)


# The upserts of the kinds written by key, each giving per row whether it changed nothing.
_WRITES = {
    "requests": lambda frame, source_id: return_requests_upsert(frame=frame, source_id=source_id),
    "receipts": lambda frame, source_id: return_receipts_upsert(frame=frame, source_id=source_id),
}


def return_freight_insert(*, frame: pd.DataFrame, source_id: int | None, courier: Courier) -> FileImportResult:
    """Insert every freight line, repeats included: a waybill billed twice is what the reconciliation reports."""
    if frame.empty:
        return FileImportResult()
    rows = pd.DataFrame({
        "source_id": source_id, "courier_id": courier.pk,
        "waybill_no": frame["waybill_no"].astype(str).to_numpy(), "waybill_raw": frame["waybill_raw"].astype(str).to_numpy(),
        "billed_at": local_naive_to_db(frame["billed_at"]).to_numpy(),
        "billed_weight_g": int_or_null(frame["billed_weight_g"]).to_numpy(),
        "fee": money(frame["fee_fen"]).to_numpy(),
        "origin_province": frame["origin_province"].astype(str).to_numpy(),
        "origin_province_raw": frame["origin_province_raw"].astype(str).str.slice(0, 64).to_numpy(),
        "line_no": frame["line_no"].astype("int64").to_numpy(), "sheet": frame["sheet"].astype(str).str.slice(0, 64).to_numpy(),
        "row_no": int_or_null(frame["row_no"]).to_numpy(), "created_at": now_db(),
    })
    bulk_load(ReturnFreightLine._meta.db_table, rows)
    return FileImportResult(rows=len(rows))


# --------------------------------------------------------------------------- the API's bulk post

# The field of each reason code, for the API's errors (the fields named as in the posted records).
ERROR_FIELDS = {
    "return_no_missing": "return_no", "return_no_scientific": "return_no", "order_no_scientific": "order_no",
    "sku_missing": "sku", "sku_scientific": "sku", "quantity_missing": "quantity", "quantity_invalid": "quantity",
    "refund_amount_invalid": "refund_amount", "refund_status_invalid": "refund_status", "refunded_at_invalid": "refunded_at",
    "requested_at_missing": "requested_at", "requested_at_invalid": "requested_at", "received_at_missing": "received_at",
    "received_at_invalid": "received_at", "condition_invalid": "condition", "receipt_key_missing": "return_waybill_no",
    "fee_missing": "fee", "fee_invalid": "fee", "weight_invalid": "billed_weight", "waybill_missing": "waybill_no",
    "courier_missing": "courier", "courier_unknown": "courier",
}
MAX_RECORDS = 100_000


def _bulk_waybill_field(kind: str) -> str:
    return "waybill_no" if kind == "freight" else "return_waybill_no"


def returns_bulk_upsert(*, kind: str, records, user=None) -> BulkResult:
    """The API's bulk post: the file import's field names, cleaning and upsert, without a file; freight names its courier."""
    spec = _kind(kind)
    if not isinstance(records, list) or not records:
        raise UserFacingError("no_data", _("Send a non-empty JSON list of records."))
    if len(records) > MAX_RECORDS:
        raise UserFacingError("too_many", _("At most 100,000 records per request."))
    raw = pd.DataFrame.from_records([r if isinstance(r, dict) else {} for r in records], index=range(len(records)))
    refused: list[dict] = []
    couriers = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    if kind == "freight":
        lookup = courier_lookup_table()
        named = raw["courier"].fillna("").astype(str).str.strip() if "courier" in raw else pd.Series("", index=raw.index)
        couriers = named.str.upper().map(lookup).astype("Int64")
        for index in raw.index[couriers.isna().to_numpy()]:
            code = "courier_missing" if named[index] == "" else "courier_unknown"
            message = _("Courier is empty") if code == "courier_missing" else _("Unknown courier") + f" “{named[index]}”"
            refused.append({"index": int(index), "field": "courier", "code": code, "message": message})
        raw = raw.drop(columns=["courier"], errors="ignore")[couriers.notna().to_numpy()]
    result = BulkResult()
    if raw.empty:
        result.rejected, result.errors = len(refused), refused
        return result
    # The reader's row number maps back to the position in the list.
    raw = raw.astype(object).where(raw.notna(), "")
    if "photos" in raw:
        # A JSON list of links is one cell of the file, its links on lines of their own.
        raw["photos"] = raw["photos"].map(lambda v: "\n".join(map(str, v)) if isinstance(v, list) else v)
    parsed = records_read(raw, lambda path: spec.read(path, f"{kind}.json", normalize_waybills=_waybill_normalizer()))
    position = pd.Series(raw.index.to_numpy(), index=np.arange(2, len(raw) + 2))  # CSV row 1 is the header
    frame = parsed.frame
    frame["row_no"] = position.loc[frame["row_no"].astype("int64")].to_numpy() + 1
    with transaction.atomic():
        if kind == "freight":
            frame["line_no"] = frame["row_no"]
            ids = couriers.loc[frame["row_no"] - 1].to_numpy()
            for courier in Courier.objects.filter(pk__in=set(int(i) for i in ids)):
                written = return_freight_insert(frame=frame[ids == courier.pk], source_id=None, courier=courier)
                result.rows += written.rows
        else:
            unchanged = _WRITES[kind](frame, None)
            result.duplicates = int(np.count_nonzero(unchanged))
            result.rows = int(len(unchanged) - result.duplicates)
    for r in parsed.rejected.itertuples():
        where = _bulk_waybill_field(kind) if r.reason_code == "waybill_scientific" else ERROR_FIELDS.get(r.reason_code, "")
        refused.append({"index": int(position.loc[int(r.row_no)]), "field": where,
                        "code": r.reason_code, "message": r.reason})
    result.errors = sorted(refused, key=lambda e: e["index"])
    result.rejected = len(result.errors)
    return result
