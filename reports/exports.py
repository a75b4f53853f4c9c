"""Discrepancy exports (CSV and Excel), column-wise from one query, never row by row."""
from __future__ import annotations

import io

import pandas as pd
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from recon.models import Discrepancy, DiscrepancyType

EXPORT_COLUMNS = [
    "waybill_no", "order_no", "type", "type_label", "status", "amount_at_stake", "billed_fee", "expected_fee",
    "billed_weight_g", "expected_weight_g", "billed_province", "expected_province", "line_no", "courier", "run_id", "reason",
]
MONEY = ["amount_at_stake", "billed_fee", "expected_fee"]


def discrepancies_frame(queryset: QuerySet[Discrepancy]) -> pd.DataFrame:
    fields = [c for c in EXPORT_COLUMNS if c not in {"type_label", "courier"}] + ["courier__code"]
    rows = list(queryset.order_by("-amount_at_stake", "id").values_list(*fields))
    frame = pd.DataFrame.from_records(rows, columns=fields).rename(columns={"courier__code": "courier"})
    labels = {value: str(label) for value, label in DiscrepancyType.choices}
    frame["type_label"] = frame["type"].map(labels)
    return frame[EXPORT_COLUMNS]


def discrepancies_csv(queryset: QuerySet[Discrepancy]) -> bytes:
    frame = discrepancies_frame(queryset)
    for col in MONEY:
        # Decimals from a 2-place column print as '12.34'; missing values stay empty.
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "").astype(str)
    # UTF-8 with BOM so that Excel on Windows opens the Chinese text correctly.
    return frame.to_csv(index=False).encode("utf-8-sig")


def discrepancies_xlsx(queryset: QuerySet[Discrepancy], title: str = "") -> bytes:
    frame = discrepancies_frame(queryset)
    for col in MONEY:
        frame[col] = pd.to_numeric(frame[col].astype(object).where(frame[col].notna(), None).astype(str), errors="coerce")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": {"constant_memory": False}}) as writer:
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
