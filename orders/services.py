"""Writes for our shipments (one upsert used by the file import, the REST API and the demo seeder), and for platforms' orders
and the platforms themselves."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from couriers.selectors import courier_lookup_table
from recon.core.db import (
    bulk_load, db_to_local_naive, fen_from_db, fetch_by_keys, int_or_null, is_postgres, local_naive_to_db, money, now_db,
)
from recon.audit.services import audit_record, changes_of, model_values
from recon.core.errors import UserFacingError
from recon.ingest import IngestError, read_shipments
from recon.sources.imports import (
    BulkResult, FileImportResult, Written, columns_confirmed, local_text, mapping_chosen, records_read, source_file_import,
    upsert_rows,
)
from recon.sources.models import RejectedRow, SourceFile
from recon.sources.selectors import preferred
from recon.sources.services import column_mapping_remember, rejected_rows_save
from recon.sources.uploads import StagedUpload, ingest_error, keep_staged, preview_head, stage_upload

from .masking import RECIPIENT_FIELDS, looks_masked
from .models import Order, OrderLine, Platform, Shipment
from .readers import read_orders
from .selectors import ORDERS_FILE_KIND, orders_columns_remembered, orders_field_labels, platform_by_name, platform_lookup_table
from .specs import ORDER_SPEC

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
    parsed = records_read(raw, lambda path: read_shipments(path, "shipments.json"))
    result = shipments_upsert(frame=parsed.frame)
    rejected = pd.concat([parsed.rejected[REJECTED_COLUMNS], result.rejected], ignore_index=True)
    # Row 1 of the intermediate file is its header: report the position in the posted list instead.
    rejected["row_no"] = rejected["row_no"].astype("int64") - 2
    rejected["sheet"] = ""
    result.rejected = rejected.rename(columns={"row_no": "index"})
    return result


# =========================================================================== orders and platforms

ORDER_COMPARED = ["shop", "status", "paid_at", "shipped_at", "order_amount_fen", "refund_amount_fen"]


def orders_file_import(*, file, filename: str | None = None, platform: Platform | None = None, user=None,
                       mapping: dict | None = None, confirm_columns: bool = True) -> FileImportResult:
    """Import an orders file; the same bytes twice is one import, and a bad file writes nothing.

    `mapping` names the header of a field's column (the upload page's column chooser); columns only guessed are refused
    unless confirm_columns. With a platform chosen, the chosen and confirmed columns are remembered for it.
    """
    mapping = mapping_chosen(mapping, ORDER_SPEC)
    overrides = {**preferred(orders_columns_remembered(platform=platform)), **mapping}
    confirmed: dict = {}

    def read(staged: StagedUpload):
        # The header is found now, so that a file nobody can read is refused with the reader's own error.
        preview = preview_head(staged, ORDER_SPEC, overrides, sample_rows=0)
        confirmed.update(columns_confirmed(preview, ORDER_SPEC, overrides, confirm=confirm_columns, labels=orders_field_labels))
        return read_orders(staged.path, staged.filename, platforms=platform_lookup_table(),
                           default_platform_id=platform.pk if platform else None, overrides=overrides)

    def remember(source: SourceFile, parsed) -> None:
        column_mapping_remember(counterparty_id=platform.counterparty_id, file_kind=ORDERS_FILE_KIND,
                                mapping={**mapping, **confirmed}, user=user)

    return source_file_import(
        file=file, filename=filename, file_kind=ORDERS_FILE_KIND, folder="uploads/orders", read=read,
        write=lambda frame, source_id: Written(unchanged=orders_upsert(frame=frame, source_id=source_id)),
        counterparty_id=platform.counterparty_id if platform else None, user=user,
        after_write=remember if platform is not None else None,
    )


def _lines_equal(mine: pd.DataFrame, theirs: pd.DataFrame, orders: pd.Index) -> np.ndarray:
    """Per order of `orders`, True when the file's lines are the stored ones (same count, and line by line the same SKU,
    quantity and amount), compared by joins and grouped reductions rather than per order in Python."""
    def canon(lines: pd.DataFrame) -> pd.DataFrame:
        amount = lines["line_amount_fen"].astype(object).where(lines["line_amount_fen"].notna(), "").astype(str)
        return pd.DataFrame({"_order": lines["_order"].astype("int64").to_numpy(), "line_no": lines["line_no"].astype("int64").to_numpy(),
                             "sku": lines["sku"].astype(str).to_numpy(), "quantity": lines["quantity"].astype("int64").to_numpy(),
                             "amount": amount.to_numpy()})

    a, b = canon(mine), canon(theirs)
    same_count = (a.groupby("_order").size().reindex(orders, fill_value=0).to_numpy()
                  == b.groupby("_order").size().reindex(orders, fill_value=0).to_numpy())
    joined = a.merge(b, on=["_order", "line_no"], how="left", suffixes=("", "_stored"))
    row_same = ((joined["sku"] == joined["sku_stored"]) & (joined["quantity"] == joined["quantity_stored"])
                & (joined["amount"] == joined["amount_stored"]))
    all_same = row_same.groupby(joined["_order"]).all().reindex(orders, fill_value=True).to_numpy(dtype=bool)
    return same_count & all_same


def _delete_where_in(table: str, column: str, ids: list[int]) -> None:
    if not ids:
        return
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [ids])
        else:
            for start in range(0, len(ids), 30000):
                batch = ids[start:start + 30000]
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(batch))})", batch)


def _stored_orders(keys: pd.DataFrame) -> pd.DataFrame:
    """The stored orders of these (platform_id, order_no) keys, with their compared fields as the file's are."""
    columns = ["id", "platform_id", "order_no", *ORDER_COMPARED]
    stored = fetch_by_keys(
        f"SELECT id, platform_id, order_no, shop, status, paid_at, shipped_at, order_amount, refund_amount "
        f"FROM {Order._meta.db_table} WHERE order_no {{keys}}", keys["order_no"].unique().tolist(), columns)
    if stored.empty:
        return stored
    stored["platform_id"] = stored["platform_id"].astype("int64")
    stored = keys.merge(stored, on=["platform_id", "order_no"], how="inner")
    for c in ("paid_at", "shipped_at"):
        stored[c] = local_text(db_to_local_naive(stored[c])) if stored[c].notna().any() else ""
    stored["order_amount_fen"] = fen_from_db(stored["order_amount_fen"])
    stored["refund_amount_fen"] = fen_from_db(stored["refund_amount_fen"])
    return stored


def orders_upsert(*, frame: pd.DataFrame, source_id: int | None) -> np.ndarray:
    """Write the orders of `frame` (rows of whole orders, as read_orders gives them) set-based; per row, True when its
    order was stored already with the same fields and lines (a duplicate) and so was not written."""
    if frame.empty:
        return np.zeros(0, dtype=bool)
    key = ["platform_id", "order_no"]
    frame = frame.reset_index(drop=True)
    frame["_order"] = frame.groupby(key, sort=False).ngroup()
    orders = frame.drop_duplicates("_order", keep="first").set_index("_order").sort_index()
    orders["has_items"] = frame.groupby("_order")["has_items"].any()
    incoming = pd.DataFrame({
        "platform_id": orders["platform_id"].astype("int64"), "order_no": orders["order_no"].astype(str),
        "shop": orders["shop"].astype(str), "status": orders["status"].astype(str),
        "paid_at": local_text(orders["paid_at"]), "shipped_at": local_text(orders["shipped_at"]),
        "order_amount_fen": orders["order_amount_fen"].astype("int64"),
        "refund_amount_fen": orders["refund_amount_fen"].astype("int64"),
    }, index=orders.index)
    items = frame[frame["has_items"]].copy()
    items["line_no"] = items.groupby("_order").cumcount() + 1
    stored = _stored_orders(incoming[key].reset_index())
    stored = stored.set_index("_order") if len(stored) else stored
    same = pd.Series(False, index=incoming.index)
    if len(stored):
        mine = incoming.loc[stored.index]
        equal = np.ones(len(stored), dtype=bool)
        for c in ORDER_COMPARED:
            equal &= (mine[c].astype(str).to_numpy() == stored[c].astype(str).to_numpy())
        same.loc[stored.index] = equal
        with_items = stored.index[orders.loc[stored.index, "has_items"].to_numpy()]
        if len(with_items):
            theirs = fetch_by_keys(
                f"SELECT order_id, line_no, sku, quantity, line_amount FROM {OrderLine._meta.db_table} WHERE order_id {{keys}}",
                [int(i) for i in stored.loc[with_items, "id"]], ["order_id", "line_no", "sku", "quantity", "line_amount_fen"])
            if len(theirs):
                theirs["line_amount_fen"] = fen_from_db(theirs["line_amount_fen"])
                theirs["quantity"] = theirs["quantity"].astype("int64")
            order_of = pd.Series(stored.index, index=stored["id"].astype("int64").to_numpy())
            theirs = theirs.assign(_order=order_of.reindex(theirs["order_id"].astype("int64")).to_numpy() if len(theirs) else [])
            mine = items[items["_order"].isin(with_items)]
            same.loc[with_items] &= _lines_equal(mine, theirs, with_items)
    changed = incoming.index[~same.to_numpy()]
    if len(changed):
        _orders_and_lines_write(orders.loc[changed], items[items["_order"].isin(changed)], source_id=source_id)
    return same.reindex(frame["_order"]).to_numpy(dtype=bool)


def _orders_and_lines_write(orders: pd.DataFrame, items: pd.DataFrame, *, source_id: int | None) -> None:
    """Upsert the orders, then replace the lines of those that came with items (deleted and inserted again)."""
    stamp = now_db()
    upsert_rows(Order._meta.db_table, pd.DataFrame({
        "platform_id": orders["platform_id"].astype("int64").to_numpy(), "order_no": orders["order_no"].astype(str).to_numpy(),
        "shop": orders["shop"].astype(str).to_numpy(), "status": orders["status"].astype(str).to_numpy(),
        "paid_at": local_naive_to_db(orders["paid_at"]).to_numpy(), "shipped_at": local_naive_to_db(orders["shipped_at"]).to_numpy(),
        "order_amount": money(orders["order_amount_fen"]).to_numpy(), "refund_amount": money(orders["refund_amount_fen"]).to_numpy(),
        "source_id": source_id, "row_no": int_or_null(orders["row_no"]).to_numpy(),
        "created_at": stamp, "updated_at": stamp,
    }), ["platform_id", "order_no"])
    with_items = orders[orders["has_items"]]
    if with_items.empty:
        return
    ids = fetch_by_keys(f"SELECT id, platform_id, order_no FROM {Order._meta.db_table} WHERE order_no {{keys}}",
                        with_items["order_no"].astype(str).unique().tolist(), ["id", "platform_id", "order_no"])
    ids["platform_id"] = ids["platform_id"].astype("int64")
    keyed = with_items[["platform_id", "order_no"]].reset_index().merge(ids, on=["platform_id", "order_no"], how="inner")
    order_id = pd.Series(keyed["id"].astype("int64").to_numpy(), index=keyed["_order"].to_numpy())
    _delete_where_in(OrderLine._meta.db_table, "order_id", order_id.tolist())
    bulk_load(OrderLine._meta.db_table, pd.DataFrame({
        "order_id": order_id.reindex(items["_order"]).to_numpy(dtype="int64"),
        "line_no": items["line_no"].astype("int64").to_numpy(),
        "sku": items["sku"].astype(str).to_numpy(),
        "quantity": items["quantity"].astype("int64").to_numpy(),
        "line_amount": money(items["line_amount_fen"].astype("Int64")).to_numpy(),
    }))


PLATFORM_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")
FEE_RATE_PLACES = Platform._meta.get_field("fee_rate").decimal_places


def fee_rate_parse(text: str) -> Decimal:
    """A fee rate as typed ('0.05', '5%', '０.０５') -> the exact fraction; UserFacingError unless 0 ≤ rate < 1 to 6 places."""
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    percent = raw.endswith("%")
    try:
        rate = Decimal(raw[:-1].strip() if percent else raw)
    except InvalidOperation:
        rate = None
    if rate is not None and not rate.is_finite():
        rate = None
    if rate is not None and percent:
        rate = rate.scaleb(-2)
    if rate is None or not (0 <= rate < 1) or rate != rate.quantize(Decimal(1).scaleb(-FEE_RATE_PLACES), rounding=ROUND_DOWN):
        raise UserFacingError("fee_rate_invalid", _(
            "Fee rate “%(value)s” is not a fraction from 0 up to (not including) 1 with at most 6 decimals, "
            "such as 0.05 or 5%%.") % {"value": text})
    return rate.normalize() if rate else Decimal(0)


def _names(text: str) -> list[str]:
    """Payer names as given on the command line: separated by ';' (or '；'), blanks dropped, each once."""
    parts = (p.strip() for p in re.split(r"[;；\n]", str(text)))
    return list(dict.fromkeys(p for p in parts if p))


def platform_audit_values(platform: Platform) -> dict:
    """A platform's values as the trail records them; the fee rate to all its places (the trail's money format has 2)."""
    values = model_values(platform)
    values["fee_rate"] = format(Decimal(platform.fee_rate).normalize(), "f") if platform.fee_rate is not None else None
    return values


def platform_configure(*, code: str, name: str | None = None, fee_rate: str | None = None, settle_within_days: int | None = None,
                       ship_within_hours: int | None = None, payer_names: str | None = None, user=None) -> tuple[Platform, bool]:
    """Create a platform (a new code needs a name) or update only the options given; (platform, created)."""
    code = unicodedata.normalize("NFKC", str(code)).strip().upper()
    if not PLATFORM_CODE.match(code):
        raise UserFacingError("platform_code_invalid", _(
            "Platform code “%(code)s” must be 1 to 16 letters, digits or underscores, starting with a letter.") % {"code": code})
    for label, value in (("--settle-within-days", settle_within_days), ("--ship-within-hours", ship_within_hours)):
        if value is not None and not 0 <= value <= 3650:
            raise UserFacingError("platform_option_invalid", _("%(option)s must be a whole number from 0 to 3650, not %(value)s.")
                                  % {"option": label, "value": value})
    name = unicodedata.normalize("NFKC", name).strip() if name is not None else None
    if name is not None and not name:
        raise UserFacingError("platform_name_invalid", _("A platform's name cannot be empty."))
    if name is not None and len(name) > Platform._meta.get_field("name").max_length:
        raise UserFacingError("platform_name_invalid", _("A platform's name has at most 32 characters."))
    rate = fee_rate_parse(fee_rate) if fee_rate is not None else None
    with transaction.atomic():
        platform = Platform.objects.select_for_update().filter(code=code).first()
        created = platform is None
        if created:
            if name is None:
                raise UserFacingError("platform_name_required", _(
                    "Platform %(code)s is new: give its Chinese name with --name.") % {"code": code})
            platform = Platform(code=code, name=name)
        before = platform_audit_values(platform) if not created else {}
        if name is not None and not created and name != platform.name and name not in platform.aliases:
            # A second name of a known platform (抖店 for 抖音) is recognised in files; its own name stays.
            platform.aliases = [*platform.aliases, name]
        if rate is not None:
            platform.fee_rate = rate
        if settle_within_days is not None:
            platform.settle_within_days = settle_within_days
        if ship_within_hours is not None:
            platform.ship_within_hours = ship_within_hours
        if payer_names is not None:
            platform.payer_names = _names(payer_names)
        taken = platform_by_name(text=name) if name is not None else None
        if taken is not None and taken.code != code:
            raise UserFacingError("platform_name_taken", _("“%(name)s” already names platform %(code)s.")
                                  % {"name": name, "code": taken.code})
        platform.save()
        platform.refresh_from_db()
        diff = changes_of(before, platform_audit_values(platform))
        if diff or created:
            audit_record(user=user, object_type="platform", object_id=platform.pk, action="create" if created else "change",
                         changes=diff, note="configure_platform")
    return platform, created


# --------------------------------------------------------------------------- the API's bulk post of orders

ORDER_RECORD_FIELDS = ["order_no", "platform", "shop", "status", "paid_at", "shipped_at", "order_amount", "refund_amount"]
LINE_RECORD_FIELDS = ["sku", "quantity", "line_amount"]
MAX_ORDER_RECORDS = 100_000
# The field of each reason code, as named in the posted records (line fields under lines[k]).
ORDER_ERROR_FIELDS = {
    "order_no_missing": "order_no", "order_no_scientific": "order_no", "platform_missing": "platform",
    "platform_unknown": "platform", "status_missing": "status", "order_status_invalid": "status", "paid_at_invalid": "paid_at",
    "shipped_at_invalid": "shipped_at", "order_amount_missing": "order_amount", "order_amount_invalid": "order_amount",
    "refund_amount_invalid": "refund_amount", "refund_exceeds_amount": "refund_amount", "control_character": "",
    "order_rows_disagree": "", "order_row_rejected": "",
}
LINE_ERROR_FIELDS = {"sku_missing": "sku", "sku_scientific": "sku", "quantity_missing": "quantity", "quantity_invalid": "quantity",
                     "line_amount_invalid": "line_amount"}


# Counted by record (an order with its lines).
OrderBulkResult = BulkResult


def _read_records(rows: list[dict], columns: list[str], lookup: dict[str, int]):
    """Records through the file reader itself, so that the API accepts exactly what an upload accepts."""
    table = pd.DataFrame.from_records(rows, columns=columns)
    table = table.astype(object).where(table.notna(), "")
    return records_read(table, lambda path: read_orders(path, "orders.json", platforms=lookup, default_platform_id=None))


def orders_bulk_upsert(*, records, user=None) -> OrderBulkResult:
    """The API's bulk post: orders created or updated by (platform, order_no); a record with `lines` replaces the order's
    lines, one without keeps them."""
    if not isinstance(records, list) or not records:
        raise UserFacingError("no_data", _("Send a non-empty JSON list of records."))
    if len(records) > MAX_ORDER_RECORDS:
        raise UserFacingError("too_many", _("At most 100,000 records per request."))
    errors: list[dict] = []
    groups: dict[bool, tuple[list[dict], list[tuple[int, int | None]]]] = {False: ([], []), True: ([], [])}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            errors.append({"index": index, "field": "", "code": "record_invalid", "message": _("A record must be a JSON object.")})
            continue
        order = {f: record.get(f) for f in ORDER_RECORD_FIELDS}
        lines = record.get("lines")
        if lines in (None, []):
            groups[False][0].append(order)
            groups[False][1].append((index, None))
        elif not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            errors.append({"index": index, "field": "lines", "code": "lines_invalid",
                           "message": _("“lines” must be a list of objects with sku, quantity and line_amount.")})
        else:
            for k, line in enumerate(lines):
                groups[True][0].append({**order, **{f: line.get(f) for f in LINE_RECORD_FIELDS}})
                groups[True][1].append((index, k))
    lookup = platform_lookup_table()
    frames, kept_records = [], []
    for items, (rows, origin) in groups.items():
        if not rows:
            continue
        parsed = _read_records(rows, ORDER_RECORD_FIELDS + (LINE_RECORD_FIELDS if items else []), lookup)
        # CSV row 1 is the header: row r is the record of origin[r - 2].
        for r in parsed.rejected.itertuples():
            index, k = origin[int(r.row_no) - 2]
            name = LINE_ERROR_FIELDS.get(r.reason_code)
            where = f"lines[{k}].{name}" if name else ORDER_ERROR_FIELDS.get(r.reason_code, "")
            errors.append({"index": index, "field": where, "code": r.reason_code, "message": r.reason})
        frame = parsed.frame
        frames.append(frame)
        kept_records.append(np.array([origin[int(r) - 2][0] for r in frame["row_no"]], dtype=np.int64))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    record_of = np.concatenate(kept_records) if kept_records else np.zeros(0, dtype=np.int64)
    with transaction.atomic():
        same = orders_upsert(frame=frame, source_id=None) if len(frame) else np.zeros(0, dtype=bool)
    refused = {e["index"] for e in errors}
    seen = set(record_of.tolist())
    for index in range(len(records)):
        if index not in refused and index not in seen:
            # A record of nothing but blanks (or a totals-like row) is no order.
            errors.append({"index": index, "field": "order_no", "code": "order_no_missing", "message": _("Order number is empty")})
            refused.add(index)
    # One error per record and code: an order's fault repeats on each of its lines; a line's fault is told once,
    # not again as "another row was rejected".
    unique: dict[tuple, dict] = {}
    faulty = {e["index"] for e in errors if e["code"] != "order_row_rejected"}
    for e in errors:
        if e["code"] == "order_row_rejected" and e["index"] in faulty:
            continue
        unique.setdefault((e["index"], e["field"], e["code"]), e)
    result = OrderBulkResult(errors=sorted(unique.values(), key=lambda e: (e["index"], e["field"])))
    per_record = pd.Series(same, index=record_of).groupby(level=0).all() if len(record_of) else pd.Series(dtype=bool)
    per_record = per_record[~per_record.index.isin(list(refused))]
    result.rows, result.duplicates = int((~per_record).sum()), int(per_record.sum())
    result.rejected = len(refused)
    return result
