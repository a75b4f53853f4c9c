"""Discrepancy and shipment exports (CSV and Excel), column-wise from one query, never row by row."""
from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from xlsxwriter.utility import xl_col_to_name

from orders.masking import RECIPIENT_FIELDS, mask_recipients
from orders.models import Shipment
from recon.core.db import db_to_local_naive
from recon.core.stored_text import is_product_language, stored_reason
from recon.engine.text import kg
from recon.kinds import ColumnSpec, kind_choices, kind_specs, type_choices
from recon.core.models import Discrepancy
from recon.core.writers import frame_to_csv_bytes, xlsx_frame_writer

# A column whose attribute is this shows the label of the row's type in the reader's language.
TYPE_LABEL = "type_label"

# After each kind's own columns, the same five for every kind: what it is, its references and whom it is with.
GENERIC_COLUMNS = (
    ColumnSpec("kind", _lazy("kind"), "kind"),
    ColumnSpec("ref", _lazy("reference"), "ref"),
    ColumnSpec("ref2", _lazy("second reference"), "ref2"),
    ColumnSpec("sku", _lazy("SKU"), "sku"),
    ColumnSpec("counterparty", _lazy("counterparty"), "counterparty.code"),
)


def _present_columns(kinds: set[str]) -> list[ColumnSpec]:
    """The export columns of the kinds in the file (every kind's own, first seen first); an empty file has the first kind's."""
    specs = [s for s in kind_specs().values() if s.code in kinds] or list(kind_specs().values())[:1]
    # The generic columns come last for every kind, filled on every row, even where a kind names one of them too.
    seen, columns = {c.key for c in GENERIC_COLUMNS}, []
    for spec in specs:
        for col in spec.export_columns:
            if col.key not in seen:
                seen.add(col.key)
                columns.append(col)
    return columns + list(GENERIC_COLUMNS)


def discrepancies_frame(queryset: QuerySet[Discrepancy]) -> pd.DataFrame:
    """The export's rows, one query, with the columns each kind declares (KindSpec.export_columns) in their order."""
    specs = list(kind_specs().values())
    # One query for every kind's columns; the kinds actually present decide which of them the file shows.
    paths = list(dict.fromkeys([*(c.orm_path for s in specs for c in s.export_columns if c.attr != TYPE_LABEL),
                                *(c.orm_path for c in GENERIC_COLUMNS)]))
    fields = list(dict.fromkeys(["kind", "type", *paths]))
    rows = list(queryset.order_by("-amount_at_stake", "id").values_list(*fields))
    raw = pd.DataFrame.from_records(rows, columns=fields)
    present = set(raw["kind"])
    columns = _present_columns(present)
    labels = {value: str(label) for value, label in type_choices()}
    frame = pd.DataFrame(index=raw.index)
    for col in columns:
        if col.attr == TYPE_LABEL:
            frame[col.key] = raw["type"].map(labels)
            continue
        if col in GENERIC_COLUMNS:
            frame[col.key] = raw[col.orm_path]
            continue
        declaring = {s.code: c.orm_path for s in specs if s.code in present for c in s.export_columns if c.key == col.key}
        if not present:
            frame[col.key] = raw[col.orm_path]
        elif len(set(declaring.values())) == 1 and set(declaring) == present:
            frame[col.key] = raw[next(iter(declaring.values()))]
        else:
            # Kinds in one file: each row fills the columns its own kind declares, from its kind's attribute.
            values = np.full(len(raw), None, dtype=object)
            for code, path in declaring.items():
                mask = (raw["kind"] == code).to_numpy()
                values[mask] = raw[path].to_numpy(dtype=object)[mask]
            frame[col.key] = pd.Series(values, index=raw.index, dtype=object)
    if "reason" in frame and not is_product_language():
        # Stored in the product's language; one lookup per distinct text.
        shown = {t: stored_reason(t) for t in frame["reason"].dropna().unique()}
        frame["reason"] = frame["reason"].map(lambda t: shown.get(t, t))
    frame.attrs["money"] = [c.key for c in columns if c.money]
    return frame


def discrepancies_csv(queryset: QuerySet[Discrepancy]) -> bytes:
    frame = discrepancies_frame(queryset)
    money = frame.attrs["money"]
    for col in money:
        # Decimals from a 2-place column print as '12.34'; missing values stay empty.
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "").astype(str)
    # The money is ours (a negative amount at stake stays '-0.50'); every other text column may come from a file.
    return frame_to_csv_bytes(frame, numbers=money)


# Every money cell of the Excel files, on every sheet: yuan with thousands separators, as the pages show it.
MONEY_FORMAT = "¥#,##0.00"


def _money_sum(values: pd.Series) -> float:
    """The column's total summed exactly in Decimal, then as the number Excel shows before it recalculates."""
    return float(sum((Decimal(str(v)) for v in values if pd.notna(v)), Decimal("0")))


def _write_totals(book, sheet, frame: pd.DataFrame, money: list[str], label: str) -> None:
    """A bold totals row under the frame: the label in the first column, each money column as SUM() of its cells."""
    row, last = len(frame) + 1, len(frame)  # 0-based row of the totals; the data sit in Excel rows 2..last+1
    bold = book.add_format({"bold": True, "top": 1})
    bold_money = book.add_format({"bold": True, "top": 1, "num_format": MONEY_FORMAT})
    for i in range(len(frame.columns)):
        sheet.write_blank(row, i, None, bold)
    sheet.write_string(row, 0, label, bold)
    for col in money:
        i = frame.columns.get_loc(col)
        letter = xl_col_to_name(i)
        total = _money_sum(frame[col])
        if last:
            # A formula, so that a reader who corrects a cell sees the total follow; the cached value is ours, exact.
            sheet.write_formula(row, i, f"=SUM({letter}2:{letter}{last + 1})", bold_money, total)
        else:
            sheet.write_number(row, i, 0, bold_money)


def discrepancies_xlsx(queryset: QuerySet[Discrepancy], title: str = "") -> bytes:
    """The export for people: headers and values in the active language, money formatted, a totals row."""
    frame = discrepancies_frame(queryset)
    money = frame.attrs["money"]
    # Summed while the amounts are still Decimals: a float sum of many fen can show a stray 0.0000001 in the cell.
    summary = frame.groupby("type", sort=False).agg(count=("type", "size"), amount_at_stake=("amount_at_stake", _money_sum)).reset_index()
    for col in money:
        frame[col] = pd.to_numeric(frame[col].astype(object).where(frame[col].notna(), None).astype(str), errors="coerce")
    # The codes stay in the CSV for other tools; here each one reads as its label (the type's is already a column).
    types = {v: str(lbl) for v, lbl in type_choices()}
    statuses = {v: str(lbl) for v, lbl in Discrepancy.Status.choices}
    kinds = {v: str(lbl) for v, lbl in kind_choices()}
    summary["type"] = summary["type"].map(types)
    if "status" in frame:
        frame["status"] = frame["status"].map(statuses).fillna(frame["status"])
    labels = {c.key: str(c.label) for c in _present_columns(set(frame["kind"]))}
    frame["kind"] = frame["kind"].map(kinds).fillna(frame["kind"])
    # A kind without a label column shows its type column as the label; with one, the code column is the CSV's alone.
    if TYPE_LABEL in frame:
        frame = frame.drop(columns=["type"])
    elif "type" in frame:
        frame["type"] = frame["type"].map(types).fillna(frame["type"])
    keys = list(frame.columns)
    frame.columns = [labels.get(k, k) for k in keys]
    money_labels = [labels[k] for k in money]
    count = len(frame)
    sheet_name, summary_name = _("Discrepancies")[:31], _("Summary")[:31]
    buffer = io.BytesIO()
    with xlsx_frame_writer(buffer, {"constant_memory": False}) as writer:
        frame.to_excel(writer, sheet_name=sheet_name, index=False, freeze_panes=(1, 0))
        book, sheet = writer.book, writer.sheets[sheet_name]
        money_fmt = book.add_format({"num_format": MONEY_FORMAT})
        for i, key in enumerate(keys):
            width = 44 if key == "reason" else 16 if key in {"waybill_no", "order_no", TYPE_LABEL} else 12
            sheet.set_column(i, i, width, money_fmt if key in money else None)
        sheet.autofilter(0, 0, count, len(keys) - 1)
        _write_totals(book, sheet, frame, money_labels,
                      ngettext("Total: %(count)s discrepancy", "Total: %(count)s discrepancies", count) % {"count": count})
        summary.columns = [_("discrepancy type"), _("Count"), _("Amount at stake")]
        summary.to_excel(writer, sheet_name=summary_name, index=False, freeze_panes=(1, 0))
        summary_sheet = writer.sheets[summary_name]
        summary_sheet.set_column(0, 0, 22, None)
        summary_sheet.set_column(1, 1, 10, None)
        summary_sheet.set_column(2, 2, 16, money_fmt)
        _write_totals(book, summary_sheet, summary, [summary.columns[2]], _("Total"))
        if len(summary):
            summary_sheet.write_formula(len(summary) + 1, 1, f"=SUM(B2:B{len(summary) + 1})", book.add_format({"bold": True, "top": 1}), count)
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
        money_fmt = book.add_format({"num_format": MONEY_FORMAT})
        for i, col in enumerate(SHIPMENT_EXPORT_COLUMNS):
            width = 40 if col == "recipient_address" else 18 if col in {"waybill_no", "order_no", "shipped_at", "recipient_phone"} else 11
            sheet.set_column(i, i, width, money_fmt if col == "declared_value" else None)
        sheet.autofilter(0, 0, len(frame), len(SHIPMENT_EXPORT_COLUMNS) - 1)
    return buffer.getvalue()
