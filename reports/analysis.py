"""The analyses managers read: collection (回款分析), courier and returns — tables built from custom-report definitions
and groups of discrepancies (one aggregate query each) and the kinds' hooks, plus the rates a definition cannot express,
and their downloads.

A month here is the dashboard's (reports.months): a discrepancy counts in the month of its period, as the bill it was
found in does, so an overcharge rate divides money at stake and money billed of the same month.

Rates are percentages with one decimal, rounded half up; a rate whose denominator is zero is None (shown as "—").
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recon.core.writers import rows_to_csv_bytes, xlsx_workbook
from recon.kinds import kind_specs

from .charts import Series, bar_chart, format_value, line_chart
from . import totals
from .custom import _column_letter, _month_bounds, report_run
from .months import month_day
from .sources import MonthStart, month_text, report_source, report_sources

# The kinds whose analyses these are (their fixed codes, recon/kinds.py).
COURIER_KIND, RETURNS_KIND = "courier_fee", "returns"
ZERO = Decimal("0.00")


def rate(part, whole) -> Decimal | None:
    """part / whole as a percentage with one decimal, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Table:
    """One table of an analysis: columns as (header, format) with format text, money, count or percent."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[list]
    # Column formats that add up into a totals row (money and counts); a table without one has no totals row.
    totals: bool = True
    chart: str = ""
    key: str = field(default="")

    def total_values(self) -> list:
        out = []
        for i, (_header, fmt) in enumerate(self.columns):
            if fmt in ("money", "count"):
                out.append(sum((r[i] or 0 for r in self.rows), ZERO if fmt == "money" else 0))
            else:
                out.append(None)
        return out


def show(value, fmt: str) -> str:
    """A cell as the page and the PDF show it."""
    if value is None:
        return "—" if fmt == "percent" else ""
    if fmt == "money":
        return format_value(value, "money")  # the product's money: -¥10.00, not ¥-10.00
    if fmt == "count":
        return f"{value:,}"
    if fmt == "percent":
        return f"{value}%"
    return str(value)


def _filters(date_from: date | None, date_to: date | None) -> dict:
    return {k: v.isoformat() for k, v in (("date_from", date_from), ("date_to", date_to)) if v}


def discrepancy_groups(*, kind: str, dimensions: list[str], measures: list[str], date_from: date | None = None,
                       date_to: date | None = None, live: bool = False) -> list[list]:
    """A kind's current discrepancies grouped by counterparty, month and/or type, with the discrepancies source's
    measures (count, at_stake, recovered), by the month the dashboard gives each row (reports.months: its period's
    month, else the month of the day it happened …); the date range keeps the rows whose day of that rule lies in it,
    as a bill's period start does for the bills. Rows of display values (the codes, YYYY-MM, translated types),
    dimensions then measures. On PostgreSQL from the dashboard's totals table (which keeps that month) when the range
    is whole months or absent, unless `live`; else one aggregate query over the rows."""
    source = report_source("discrepancies")
    bounds = _month_bounds(_filters(date_from, date_to))
    if totals.enabled() and bounds is not None and not live and set(measures) <= {"count", "at_stake", "recovered"}:
        rows = totals.month_groups(kind=kind, dimensions=dimensions, months=bounds)
    else:
        groups = {"counterparty": F("counterparty__code"), "month": MonthStart("day"), "type": F("type")}
        qs = source.queryset().filter(kind=kind).annotate(day=month_day())
        if date_from:
            qs = qs.filter(day__gte=date_from)
        if date_to:
            qs = qs.filter(day__lte=date_to)
        chosen = {f"d_{d}": groups[d] for d in dimensions}
        rows = (qs.order_by().annotate(**chosen).values(*chosen)
                .annotate(**{f"m_{m}": source.measures[m].aggregate for m in measures}).order_by(*chosen))
    out = []
    for r in rows:
        row = [month_text(r[f"d_{d}"]) if d == "month" else source.dimensions[d].show(r[f"d_{d}"]) for d in dimensions]
        for m in measures:
            value = r[f"m_{m}"]
            row.append((ZERO if source.measures[m].money else 0) if value is None else value)
        out.append(row)
    return out


# --------------------------------------------------------------------------- the analyses


def collection_analysis(*, today: date | None = None, platform: str = "", shop: str = "") -> list[Table]:
    """Due, settled, outstanding and the collection rate by platform, shop and month; sales against collections per
    month; receivables by age. From the kinds that declare a collection_analysis hook (payments' settlements)."""
    tables: list[Table] = []
    for spec in kind_specs().values():
        hook = spec.hook("collection_analysis")
        if hook is None:
            continue
        data = hook(today=today, platform=platform, shop=shop)
        groups = Table(
            title=_("Collection rate by platform, shop and month"), key="groups",
            columns=[(_("platform"), "text"), (_("shop"), "text"), (_("month"), "text"), (_("money due"), "money"),
                     (_("settled"), "money"), (_("outstanding"), "money"), (_("collection rate"), "percent")],
            rows=[[g["platform"], g["shop"], g["month"], g["due"], g["settled"], g["outstanding"],
                   rate(g["settled"], g["due"])] for g in data["groups"]])
        months = Table(
            title=_("Sales against collections"), key="months",
            columns=[(_("month"), "text"), (_("sales"), "money"), (_("collections"), "money")],
            rows=[[m["month"], m["sales"], m["collections"]] for m in data["months"]])
        months.chart = bar_chart(labels=[m["month"] for m in data["months"]], series=[
            Series(_("sales"), [m["sales"] for m in data["months"]]),
            Series(_("collections"), [m["collections"] for m in data["months"]])], title=months.title)
        ages = Table(
            title=_("Receivables by age"), key="ages",
            columns=[(_("days since payment"), "text"), (_("orders"), "count"), (_("outstanding"), "money")],
            rows=[[a["bucket"], a["count"], a["amount"]] for a in data["ages"]])
        ages.chart = bar_chart(labels=[a["bucket"] for a in data["ages"]],
                               series=[Series(_("outstanding"), [a["amount"] for a in data["ages"]])], title=ages.title)
        tables += [groups, months, ages]
    return tables


def courier_analysis(*, date_from: date | None = None, date_to: date | None = None) -> list[Table]:
    """Overcharge rate (money at stake / billed) and recovery rate (recovered / at stake) per courier and month: the
    month of the bill's period for both, the dashboard's (a row found in an October bill counts in October whatever
    day its shipment was); the top reasons (discrepancy types by money at stake)."""
    filters = _filters(date_from, date_to)
    found = discrepancy_groups(kind=COURIER_KIND, dimensions=["counterparty", "month"],
                               measures=["count", "at_stake", "recovered"], date_from=date_from, date_to=date_to)
    billed: dict[tuple, Decimal] = {}
    if "courier_bills" in report_sources():
        bills = report_run({"source": "courier_bills", "dimensions": ["counterparty", "month"], "measures": ["billed"],
                            "filters": filters})
        billed = {(r[0], r[1]): r[2] for r in bills.rows}
    keys = sorted(set(billed) | {(r[0], r[1]) for r in found})
    by_key = {(r[0], r[1]): r for r in found}
    rows = []
    for key in keys:
        _c, _m, count, at_stake, recovered = by_key.get(key, (None, None, 0, ZERO, ZERO))
        bill = billed.get(key, ZERO)
        rows.append([key[0], key[1], bill, count, at_stake, rate(at_stake, bill), recovered, rate(recovered, at_stake)])
    rates = Table(
        title=_("Overcharge and recovery by courier and month"), key="rates",
        columns=[(_("courier"), "text"), (_("month"), "text"), (_("billed"), "money"), (_("discrepancies"), "count"),
                 (_("money at stake"), "money"), (_("overcharge rate"), "percent"), (_("recovered"), "money"),
                 (_("recovery rate"), "percent")],
        rows=rows)
    months = sorted({r[1] for r in rows})
    couriers = sorted({r[0] for r in rows})
    per = {(r[0], r[1]): r[5] for r in rows}
    rates.chart = line_chart(labels=months, series=[Series(c, [per.get((c, m)) for m in months]) for c in couriers],
                             value_format="percent", title=_("overcharge rate"))
    reasons = discrepancy_groups(kind=COURIER_KIND, dimensions=["type"], measures=["at_stake", "count"],
                                 date_from=date_from, date_to=date_to)
    top = sorted(reasons, key=lambda r: (-r[1], str(r[0])))[:10]
    top_table = Table(title=_("Top reasons"), key="reasons",
                      columns=[(_("type"), "text"), (_("money at stake"), "money"), (_("discrepancies"), "count")],
                      rows=[[str(r[0]), r[1], r[2]] for r in top])
    top_table.chart = bar_chart(labels=[str(r[0]) for r in top], series=[Series(_("money at stake"), [r[1] for r in top])],
                                title=top_table.title)
    return [rates, top_table]


def returns_analysis(*, date_from: date | None = None, date_to: date | None = None) -> list[Table]:
    """Returns discrepancies per counterparty, month and type (count, money at stake, recovered), and the recovery
    rate per counterparty and month; the month the dashboard gives each row (reports.months)."""
    measures = ["count", "at_stake", "recovered"]
    detail = discrepancy_groups(kind=RETURNS_KIND, dimensions=["counterparty", "month", "type"], measures=measures,
                                date_from=date_from, date_to=date_to)
    by_type = Table(title=_("Returns discrepancies by counterparty, month and type"), key="types",
                    columns=[(_("counterparty"), "text"), (_("month"), "text"), (_("type"), "text"),
                             (_("discrepancies"), "count"), (_("money at stake"), "money"), (_("recovered"), "money")],
                    rows=[[r[0], r[1], str(r[2]), r[3], r[4], r[5]] for r in detail])
    summary = discrepancy_groups(kind=RETURNS_KIND, dimensions=["counterparty", "month"], measures=measures,
                                 date_from=date_from, date_to=date_to)
    recovery = Table(title=_("Recovery by counterparty and month"), key="recovery",
                     columns=[(_("counterparty"), "text"), (_("month"), "text"), (_("discrepancies"), "count"),
                              (_("money at stake"), "money"), (_("recovered"), "money"), (_("recovery rate"), "percent")],
                     rows=[[r[0], r[1], r[2], r[3], r[4], rate(r[4], r[3])] for r in summary])
    labels = [f"{r[0]} {r[1]}" for r in summary]
    recovery.chart = bar_chart(labels=labels, series=[Series(_("money at stake"), [r[3] for r in summary]),
                                                      Series(_("recovered"), [r[4] for r in summary])],
                               title=recovery.title)
    return [by_type, recovery]


ANALYSES = {
    "collection": (gettext_lazy("Collection analysis"), collection_analysis, "payments.view_settlementline"),
    "couriers": (gettext_lazy("Courier analysis"), courier_analysis, "recon.view_discrepancy"),
    "returns": (gettext_lazy("Returns analysis"), returns_analysis, "recon.view_discrepancy"),
}


# --------------------------------------------------------------------------- downloads


def tables_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table: header, ¥#,##0.00 money, 0.0% rates, frozen header, autofilter, a totals row of SUMs."""
    buffer = io.BytesIO()
    workbook = xlsx_workbook(buffer, {"in_memory": True})
    header = workbook.add_format({"bold": True, "bg_color": "#F0F3F7", "border": 1})
    formats = {"money": workbook.add_format({"num_format": "¥#,##0.00"}),
               "count": workbook.add_format({"num_format": "#,##0"}),
               "percent": workbook.add_format({"num_format": '0.0"%"'})}
    bold = {k: workbook.add_format({"bold": True, "top": 1, "num_format": f.num_format}) for k, f in
            (("money", formats["money"]), ("count", formats["count"]))}
    bold_text = workbook.add_format({"bold": True, "top": 1})
    used: set[str] = set()
    for index, table in enumerate(tables, start=1):
        name = table.title[:28]
        if name in used:
            name = f"{name[:25]} {index}"
        used.add(name)
        sheet = workbook.add_worksheet(name)
        for col, (text, _fmt) in enumerate(table.columns):
            sheet.write_string(0, col, text, header)
            sheet.set_column(col, col, max(12, 2 * len(text) + 2))
        for r, row in enumerate(table.rows, start=1):
            for col, value in enumerate(row):
                fmt = table.columns[col][1]
                if value is None:
                    sheet.write_blank(r, col, None)
                elif fmt == "text":
                    sheet.write_string(r, col, str(value))
                else:
                    sheet.write_number(r, col, float(value), formats[fmt])
        last = len(table.rows)
        if table.totals and last:
            sheet.write_string(last + 1, 0, _("Total"), bold_text)
            for col, value in enumerate(table.total_values()):
                fmt = table.columns[col][1]
                if col and fmt in bold:
                    letter = _column_letter(col)
                    sheet.write_formula(last + 1, col, f"=SUM({letter}2:{letter}{last + 1})", bold[fmt], float(value))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(last, 1), len(table.columns) - 1)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)
    workbook.close()
    return buffer.getvalue()


def _csv_cell(value, fmt: str) -> str:
    if value is None:
        return ""
    if fmt == "money":
        return f"{value:.2f}"
    return str(value)


def tables_csv(tables: list[Table]) -> bytes:
    """The tables one after the other in one CSV (UTF-8 with a BOM), each under its title, text made safe."""
    rows: list[list] = []
    for table in tables:
        if rows:
            rows.append([])
        rows.append([table.title])
        rows.append([h for h, _f in table.columns])
        rows += [[_csv_cell(v, table.columns[i][1]) for i, v in enumerate(row)] for row in table.rows]
    return rows_to_csv_bytes(rows[0] if rows else [], rows[1:])


def tables_display(tables: list[Table]) -> list[dict]:
    """The tables as the page and the PDF show them."""
    out = []
    for table in tables:
        totals = table.total_values() if table.totals and table.rows else None
        out.append({
            "title": table.title, "key": table.key, "chart": table.chart,
            "headers": [(h, f != "text") for h, f in table.columns],
            "rows": [[(show(v, table.columns[i][1]), table.columns[i][1] != "text") for i, v in enumerate(row)]
                     for row in table.rows],
            "totals": None if totals is None else [
                (_("Total") if i == 0 else show(v, table.columns[i][1]) if v is not None else "", table.columns[i][1] != "text")
                for i, v in enumerate(totals)],
        })
    return out


def tables_pdf(tables: list[Table], *, title: str) -> bytes:
    """The tables and their charts as a PDF."""
    from .pdf import render_pdf

    return render_pdf(template="reports/analysis_pdf.html", context={"title": title, "tables": tables_display(tables)})
