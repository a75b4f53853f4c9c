"""The dispute file we send a counterparty: a cover of totals by type and one sheet of items with the columns to answer."""
from __future__ import annotations

import datetime
import io
import numbers
from decimal import Decimal

import pandas as pd
from django.db.models import F
from django.utils import timezone, translation
from xlsxwriter.utility import xl_col_to_name

from recon.core.models import Dispute, DisputeItem
from recon.core.writers import xlsx_workbook
from recon.kinds import ColumnSpec, KindSpec, kind_spec, kind_specs, type_choices


# The dispute file speaks the counterparty's language; the reply reader finds these same headers again. A kind's own
# columns (KindSpec.dispute_columns, led by its reply key) come first, then these.
CORE_SHEET_COLUMNS = ["差额", "差异类型", "说明"]


ANSWER_COLUMNS = ["确认退款金额", "回复说明"]


# The header of a reply key that no column of the kind names, by the generic attribute it reads.
REF_HEADERS = {"ref": "单号", "ref2": "关联单号", "sku": "SKU"}


def reply_column(spec: KindSpec) -> ColumnSpec:
    """The dispute sheet's column holding the reply key: the kind's own, or one the core makes from the key's label."""
    for column in spec.dispute_columns:
        if column.attr == spec.reply_key:
            return column
    named = next((c for c in (*spec.export_columns, *spec.queue_columns) if c.attr == spec.reply_key), None)
    with translation.override("zh-hans"):
        label = str(named.label) if named else REF_HEADERS.get(spec.reply_key, spec.reply_key)
    return ColumnSpec("reply_ref", label, spec.reply_key)


def dispute_sheet_columns(spec: KindSpec) -> tuple[ColumnSpec, ...]:
    """A kind's own dispute sheet columns; led by the reply key's, added when the kind has none, so every sheet can be answered."""
    column = reply_column(spec)
    return spec.dispute_columns if column in spec.dispute_columns else (column, *spec.dispute_columns)


def sheet_columns(spec: KindSpec) -> list[str]:
    """A kind's dispute sheet headers, left to right."""
    return [str(c.label) for c in dispute_sheet_columns(spec)] + CORE_SHEET_COLUMNS + ANSWER_COLUMNS


def dispute_kind_spec(dispute: Dispute) -> KindSpec:
    """The kind of a dispute's discrepancies (a dispute holds one kind: it goes to one counterparty)."""
    kind = DisputeItem.objects.filter(dispute=dispute).values_list("discrepancy__kind", flat=True).first()
    return kind_spec(kind or next(iter(kind_specs())))


COVER_COLUMNS = ["差异类型", "笔数", "差额合计"]


COVER_SHEET = "汇总"


TOTAL_LABEL = "合计"


def dispute_items_frame(*, dispute: Dispute, spec: KindSpec | None = None) -> pd.DataFrame:
    """A dispute's items with their discrepancies' facts (and the kind's sheet columns), one query, in the file's order."""
    own = {c.key: F(f"discrepancy__{c.orm_path}") for c in dispute_sheet_columns(spec)} if spec else {}
    order = ("-amount_claimed", f"discrepancy__{spec.reply_key}", "id") if spec else ("-amount_claimed", "id")
    rows = list(
        DisputeItem.objects.filter(dispute=dispute)
        .order_by(*order)
        .values(
            "id", "discrepancy_id", "amount_claimed", "amount_credited", "answer", "courier_note",
            type=F("discrepancy__type"), reason=F("discrepancy__reason"), **own,
        )
    )
    columns = ["id", "discrepancy_id", "amount_claimed", "amount_credited", "answer", "courier_note", "type", "reason", *own]
    return pd.DataFrame.from_records(rows, columns=columns).astype(object)


def dispute_totals_by_type(*, dispute: Dispute) -> list[dict]:
    """Items, claimed and credited money per discrepancy type of a dispute, in the product's type order."""
    frame = dispute_items_frame(dispute=dispute)
    out = []
    for value, label in type_choices():
        sub = frame[frame["type"] == value]
        if len(sub):
            credited = [v for v in sub["amount_credited"] if v is not None]
            out.append({
                "type": value, "label": str(label), "count": len(sub),
                "claimed": sum(sub["amount_claimed"], Decimal("0.00")), "credited": sum(credited, Decimal("0.00")),
            })
    return out


def _kg(grams) -> float | None:
    # Grams are integers; a kilogram value with three decimals is exact to the gram in the cell.
    return None if grams is None or pd.isna(grams) else float(Decimal(int(grams)) / 1000)


def _money(value) -> float | None:
    return None if value is None or pd.isna(value) else float(Decimal(value))


def _write_plain(sheet, row: int, col: int, cell, *, text, day) -> None:
    """A cell of a kind's own column: dates as dates and counts as numbers (so the courier can sort them), the rest as text."""
    if isinstance(cell, datetime.date):
        sheet.write_datetime(row, col, datetime.datetime.combine(cell, datetime.time()), day)
    elif isinstance(cell, numbers.Number) and not isinstance(cell, bool):
        if pd.isna(cell):
            sheet.write_blank(row, col, None)
        else:
            sheet.write_number(row, col, cell)
    else:
        sheet.write_string(row, col, "" if cell is None else str(cell), text)


def dispute_workbook(*, dispute: Dispute) -> bytes:
    """The dispute file in the courier's language: a cover of totals per type, then one sheet per type to answer on."""
    spec = dispute_kind_spec(dispute)
    frame = dispute_items_frame(dispute=dispute, spec=spec)
    with translation.override("zh-hans"):
        labels = {value: str(label) for value, label in type_choices()}
    buffer = io.BytesIO()
    book = xlsx_workbook(buffer, {"in_memory": True})
    title = book.add_format({"bold": True, "font_size": 16})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    answer_head = book.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1, "text_wrap": True, "valign": "vcenter"})
    money = book.add_format({"num_format": "0.00"})
    money_bold = book.add_format({"num_format": "0.00", "bold": True})
    weight = book.add_format({"num_format": "0.00#"})
    text = book.add_format({"num_format": "@"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    answer = book.add_format({"num_format": "0.00", "bg_color": "#FFF9E6", "border": 1})
    answer_text = book.add_format({"bg_color": "#FFF9E6", "border": 1, "num_format": "@"})

    types = [value for value, _label in type_choices() if (frame["type"] == value).any()]
    columns = dispute_sheet_columns(spec)
    headers = sheet_columns(spec)
    own = len(columns)  # the core's columns start after the kind's: the amount claimed first
    creator = dispute.created_by
    who = (creator.get_full_name() or creator.get_username()) if creator else ""

    cover = book.add_worksheet(COVER_SHEET)
    cover.set_column(0, 0, 18)
    cover.set_column(1, 1, 28)
    cover.set_column(2, 2, 16)
    cover.write(0, 0, "对账差异单", title)
    facts = [("快递公司", dispute.counterparty.name), ("差异单号", dispute.number)]
    if dispute.period is not None:
        facts.append(("对账期间", f"{dispute.period.start:%Y-%m-%d} 至 {dispute.period.end:%Y-%m-%d}"))
    facts += [("日期", timezone.localtime(dispute.created_at).strftime("%Y-%m-%d")), ("制单人", who)]
    if dispute.note:
        facts.append(("备注", dispute.note))
    for i, (key, value) in enumerate(facts, start=2):
        cover.write_string(i, 0, key, bold)
        cover.write_string(i, 1, value)
    top = len(facts) + 3
    cover.write_row(top, 0, COVER_COLUMNS, head)
    total = Decimal("0.00")
    for i, value in enumerate(types, start=top + 1):
        amount = sum(frame.loc[frame["type"] == value, "amount_claimed"], Decimal("0.00"))
        total += amount
        cover.write_string(i, 0, labels[value])
        cover.write_number(i, 1, int((frame["type"] == value).sum()))
        cover.write_number(i, 2, float(amount), money)
    end = top + 1 + len(types)
    cover.write_string(end, 0, TOTAL_LABEL, bold)
    cover.write_number(end, 1, len(frame), bold)
    cover.write_number(end, 2, float(total), money_bold)
    cover.write_string(end + 2, 0, "请在各明细表的“确认退款金额”列填写同意退还的金额（不同意请填 0），在“回复说明”列写明理由，并将本文件发回。")

    for value in types:
        sub = frame[frame["type"] == value]
        sheet = book.add_worksheet(labels[value][:31])
        n = len(sub)
        widths = [20 if i == 0 else 12 if c.kg else 10 if c.money else 16 for i, c in enumerate(columns)]
        for col, width in enumerate(widths + [10, 16, 60, 14, 30]):
            sheet.set_column(col, col, width)
        sheet.set_row(0, 30)
        sheet.write_row(0, 0, headers[:own + 3], head)
        sheet.write_row(0, own + 3, headers[own + 3:], answer_head)
        sheet.freeze_panes(1, 1)
        # Column by column: references as text (a waybill is longer than Excel's 15 exact digits), money as numbers.
        for col, c in enumerate(columns):
            if c.kg:
                sheet.write_column(1, col, [_kg(g) for g in sub[c.key]], weight)
            elif c.money:
                sheet.write_column(1, col, [_money(v) for v in sub[c.key]], money)
            else:
                for row, cell in enumerate(sub[c.key], start=1):
                    _write_plain(sheet, row, col, cell, text=text, day=day)
        sheet.write_column(1, own, [_money(v) for v in sub["amount_claimed"]], money)
        sheet.write_column(1, own + 1, [labels[value]] * n)
        sheet.write_column(1, own + 2, [str(r) for r in sub["reason"]])
        for row in range(1, n + 1):
            sheet.write_blank(row, own + 3, None, answer)
            sheet.write_blank(row, own + 4, None, answer_text)
        sheet.data_validation(1, own + 3, n, own + 3, {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": f"=${xl_col_to_name(own)}2",
            "error_title": "确认退款金额", "error_message": "请填写 0 到差额之间的金额。",
        })
        sheet.write_string(n + 1, 0, TOTAL_LABEL, bold)
        sheet.write_number(n + 1, own, float(sum(sub["amount_claimed"], Decimal("0.00"))), money_bold)
        sheet.autofilter(0, 0, n, len(headers) - 1)
    book.close()
    return buffer.getvalue()
