"""Discrepancy and shipment exports (CSV and Excel), column-wise from one query, never row by row."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
from django.db.models import F, IntegerField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from orders.masking import RECIPIENT_FIELDS, mask_recipients
from orders.models import Shipment
from recon.db import db_to_local_naive
from recon.engine.text import kg
from recon.models import Discrepancy, DiscrepancyType
from recon.writers import frame_to_csv_bytes, xlsx_frame_writer

EXPORT_COLUMNS = [
    "waybill_no", "order_no", "type", "type_label", "status", "amount_at_stake", "billed_fee", "expected_fee",
    "billed_weight_g", "expected_weight_g", "billed_province", "expected_province", "line_no", "courier", "run_id", "reason",
    # The same for every kind: the generic names of the reference columns and the counterparty.
    "kind", "ref", "ref2", "sku", "counterparty",
]
MONEY = ["amount_at_stake", "billed_fee", "expected_fee"]


def _detail(key: str, *, number: bool = False):
    text = KT(f"details__{key}")
    return Cast(text, IntegerField()) if number else text


# The columns the courier-fee export has always had, read from the generic columns and the row's details.
SOURCES = {
    "waybill_no": F("ref"), "order_no": F("ref2"), "billed_fee": F("theirs_amount"), "expected_fee": F("ours_amount"),
    "billed_weight_g": _detail("billed_weight_g", number=True), "expected_weight_g": _detail("expected_weight_g", number=True),
    "billed_province": _detail("billed_province"), "expected_province": _detail("expected_province"),
    "line_no": F("source_line"), "courier": F("counterparty__code"), "counterparty_code": F("counterparty__code"),
}


def discrepancies_frame(queryset: QuerySet[Discrepancy]) -> pd.DataFrame:
    plain = [c for c in EXPORT_COLUMNS if c not in SOURCES and c not in {"type_label", "counterparty"}]
    rows = list(queryset.order_by("-amount_at_stake", "id").values(*plain, **SOURCES))
    frame = pd.DataFrame.from_records(rows, columns=[*plain, *SOURCES]).rename(columns={"counterparty_code": "counterparty"})
    for col in ("billed_province", "expected_province"):
        frame[col] = frame[col].fillna("")
    labels = {value: str(label) for value, label in DiscrepancyType.choices}
    frame["type_label"] = frame["type"].map(labels)
    return frame[EXPORT_COLUMNS]


def discrepancies_csv(queryset: QuerySet[Discrepancy]) -> bytes:
    frame = discrepancies_frame(queryset)
    for col in MONEY:
        # Decimals from a 2-place column print as '12.34'; missing values stay empty.
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "").astype(str)
    # The money is ours (a negative amount at stake stays '-0.50'); every other text column may come from a file.
    return frame_to_csv_bytes(frame, numbers=MONEY)


def discrepancies_xlsx(queryset: QuerySet[Discrepancy], title: str = "") -> bytes:
    frame = discrepancies_frame(queryset)
    for col in MONEY:
        frame[col] = pd.to_numeric(frame[col].astype(object).where(frame[col].notna(), None).astype(str), errors="coerce")
    buffer = io.BytesIO()
    with xlsx_frame_writer(buffer, {"constant_memory": False}) as writer:
        frame.to_excel(writer, sheet_name=_("Discrepancies")[:31], index=False, freeze_panes=(1, 0))
        book, sheet = writer.book, writer.sheets[_("Discrepancies")[:31]]
        money_fmt = book.add_format({"num_format": "#,##0.00"})
        for i, col in enumerate(EXPORT_COLUMNS):
            width = 44 if col == "reason" else 16 if col in {"waybill_no", "order_no", "type", "type_label"} else 12
            sheet.set_column(i, i, width, money_fmt if col in MONEY else None)
        sheet.autofilter(0, 0, len(frame), len(EXPORT_COLUMNS) - 1)
        summary = frame.groupby("type", sort=False).agg(count=("type", "size"), amount_at_stake=("amount_at_stake", "sum")).reset_index()
        summary.insert(1, "type_label", summary["type"].map({v: str(lbl) for v, lbl in DiscrepancyType.choices}))
        summary.to_excel(writer, sheet_name=_("Summary")[:31], index=False)
        writer.sheets[_("Summary")[:31]].set_column(0, 3, 22, None)
    return buffer.getvalue()


# Named as the shipment import reads them, so that an export can be corrected and imported again
# (masked recipients in it are ignored by the import and keep the stored values).
SHIPMENT_EXPORT_COLUMNS = [
    "order_no", "waybill_no", "courier", "shipped_at", "weight_kg", "length_cm", "width_cm", "height_cm",
    "province", "city", "status", "declared_value", *RECIPIENT_FIELDS,
]
_SHIPMENT_FIELDS = [
    "order_no", "waybill_no", "courier__code", "shipped_at", "weight_g", "length_mm", "width_mm", "height_mm",
    "province", "city", "status", "declared_value", *RECIPIENT_FIELDS,
]

# Numbers the product formats from stored integers and decimals, never text from a file.
SHIPMENT_NUMBER_COLUMNS = ("declared_value", "weight_kg", "length_cm", "width_cm", "height_cm")


def _cm(mm: pd.Series) -> np.ndarray:
    values = pd.array(mm, dtype="Int64")
    whole = pd.Series(np.asarray(values.fillna(0), dtype=np.int64))
    text = (whole // 10).astype(str) + np.where(whole % 10 == 0, "", "." + (whole % 10).astype(str))
    return np.where(np.asarray(pd.isna(values)), "", text)


def shipments_frame(queryset: QuerySet[Shipment], *, reveal: bool) -> pd.DataFrame:
    """Shipments as text columns; recipients masked unless `reveal` (the user's orders.view_personal_data)."""
    rows = list(queryset.order_by("-shipped_at", "id").values_list(*_SHIPMENT_FIELDS))
    raw = pd.DataFrame.from_records(rows, columns=_SHIPMENT_FIELDS)
    shipped = db_to_local_naive(raw["shipped_at"])
    declared = raw["declared_value"].astype(object)
    frame = pd.DataFrame(
        {
            "order_no": raw["order_no"].astype(object),
            "waybill_no": raw["waybill_no"].astype(object),
            "courier": raw["courier__code"].astype(object),
            "shipped_at": shipped.dt.strftime("%Y-%m-%d %H:%M:%S").astype(object),
            "weight_kg": kg(raw["weight_g"]).to_numpy(dtype=object),
            **{f"{d}_cm": _cm(raw[f"{d}_mm"]) for d in ("length", "width", "height")},
            "province": raw["province"].astype(object),
            "city": raw["city"].astype(object),
            "status": raw["status"].astype(object),
            "declared_value": declared.where(declared.notna(), "").astype(str),
            **{f: raw[f].astype(object) for f in RECIPIENT_FIELDS},
        },
        columns=SHIPMENT_EXPORT_COLUMNS,
    )
    return frame if reveal else mask_recipients(frame)


def shipments_csv(queryset: QuerySet[Shipment], *, reveal: bool) -> bytes:
    return frame_to_csv_bytes(shipments_frame(queryset, reveal=reveal), numbers=SHIPMENT_NUMBER_COLUMNS)


def shipments_xlsx(queryset: QuerySet[Shipment], *, reveal: bool) -> bytes:
    frame = shipments_frame(queryset, reveal=reveal)
    for col in SHIPMENT_NUMBER_COLUMNS:
        frame[col] = pd.to_numeric(frame[col].where(frame[col] != ""), errors="coerce")
    buffer = io.BytesIO()
    sheet_name = _("Shipments")[:31]
    with xlsx_frame_writer(buffer) as writer:
        # Waybills, order numbers and phones stay text: as numbers Excel would show 7.53E+13 and drop leading zeros.
        frame.to_excel(writer, sheet_name=sheet_name, index=False, freeze_panes=(1, 0))
        book, sheet = writer.book, writer.sheets[sheet_name]
        money_fmt = book.add_format({"num_format": "#,##0.00"})
        for i, col in enumerate(SHIPMENT_EXPORT_COLUMNS):
            width = 40 if col == "recipient_address" else 18 if col in {"waybill_no", "order_no", "shipped_at", "recipient_phone"} else 11
            sheet.set_column(i, i, width, money_fmt if col == "declared_value" else None)
        sheet.autofilter(0, 0, len(frame), len(SHIPMENT_EXPORT_COLUMNS) - 1)
    return buffer.getvalue()
