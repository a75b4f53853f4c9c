"""Custom reports (自定义报表): a definition — a source, filters, dimensions in order, measures — run as one aggregate
query, and what it is shown and downloaded as (table, chart, Excel, CSV, PDF).

A definition is plain JSON, stored on a SavedReport and sent to the API:
    {"source": "discrepancies", "dimensions": ["counterparty", "month"], "measures": ["count", "at_stake"],
     "filters": {"date_from": "2026-10-01", "date_to": "2026-10-31", "counterparty": "ZTO", "type": ["a", "b"]}}
The grouping is done by PostgreSQL (values(...).annotate(...)); only the groups come back to Python.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import DateField, F, IntegerField, Q, QuerySet, Value
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext as _

from recon.core.errors import UserFacingError
from recon.core.writers import rows_to_csv_bytes, xlsx_workbook

from .charts import Series, bar_chart, format_value
from .sources import SourceSpec, UnknownSource, report_source, report_sources

MAX_DIMENSIONS = 3
DATE_FILTERS = ("date_from", "date_to")


class ReportDefinitionError(UserFacingError):
    """A definition that names what its source does not have, or a filter that cannot be read."""

    def __init__(self, message: str):
        super().__init__("invalid_report", message)


@dataclass
class ReportResult:
    """A run's output: column headers (dimensions then measures), rows of display values, the totals of the measures."""

    source: SourceSpec
    dimensions: list[str]
    measures: list[str]
    rows: list[list]
    totals: list

    @property
    def headers(self) -> list[str]:
        return ([str(self.source.dimensions[d].label) for d in self.dimensions]
                + [str(self.source.measures[m].label) for m in self.measures])

    @property
    def money_columns(self) -> list[bool]:
        return [False] * len(self.dimensions) + [self.source.measures[m].money for m in self.measures]

    def as_dicts(self) -> list[dict]:
        keys = self.dimensions + self.measures
        return [dict(zip(keys, row)) for row in self.rows]


def _names(value, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ReportDefinitionError(_("The %(what)s must be a list of codes.") % {"what": what})
    return value


def definition_clean(definition) -> dict:
    """The definition checked against its source: known source, dimensions, measures and filters, readable dates."""
    if not isinstance(definition, dict):
        raise ReportDefinitionError(_("A report definition is an object with a source, dimensions and measures."))
    try:
        source = report_source(str(definition.get("source") or ""))
    except UnknownSource:
        raise ReportDefinitionError(_("Unknown report source “%(source)s”; known sources: %(known)s.") % {
            "source": definition.get("source") or "", "known": ", ".join(report_sources())}) from None
    dimensions = _names(definition.get("dimensions"), _("dimensions"))
    measures = _names(definition.get("measures"), _("measures"))
    for d in dimensions:
        if d not in source.dimensions:
            raise ReportDefinitionError(_("The source “%(source)s” has no dimension “%(name)s”; it has: %(known)s.") % {
                "source": source.label, "name": d, "known": ", ".join(source.dimensions)})
    if len(set(dimensions)) != len(dimensions) or len(dimensions) > MAX_DIMENSIONS:
        raise ReportDefinitionError(_("Choose at most %(n)d different dimensions.") % {"n": MAX_DIMENSIONS})
    if not measures:
        raise ReportDefinitionError(_("Choose at least one measure."))
    for m in measures:
        if m not in source.measures:
            raise ReportDefinitionError(_("The source “%(source)s” has no measure “%(name)s”; it has: %(known)s.") % {
                "source": source.label, "name": m, "known": ", ".join(source.measures)})
    filters = definition.get("filters") or {}
    if not isinstance(filters, dict):
        raise ReportDefinitionError(_("The filters must be an object."))
    clean_filters: dict = {}
    for key, value in filters.items():
        if value in (None, "", []):
            continue
        if key in DATE_FILTERS:
            try:
                clean_filters[key] = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ReportDefinitionError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}) from None
            continue
        dim = source.dimensions.get(key)
        if dim is None or not dim.filter_path:
            raise ReportDefinitionError(_("The source “%(source)s” cannot be filtered by “%(name)s”.") % {
                "source": source.label, "name": key})
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise ReportDefinitionError(_("The filter “%(name)s” takes codes as text.") % {"name": key})
        clean_filters[key] = [v.strip() for v in values if v.strip()]
    return {"source": source.code, "dimensions": dimensions, "measures": measures, "filters": clean_filters}


def report_queryset(definition: dict) -> QuerySet:
    """The one aggregate query of a clean definition: grouped by its dimensions (in order), its measures annotated."""
    source = report_source(definition["source"])
    qs = source.queryset()
    condition = Q()
    filters = definition["filters"]
    for key, lookup in (("date_from", GreaterThanOrEqual), ("date_to", LessThanOrEqual)):
        if key in filters:
            day = date.fromisoformat(filters[key])
            if isinstance(source.date_field, str):
                condition &= Q(**{f"{source.date_field}__{lookup.lookup_name}": day})
            else:
                condition &= lookup(source.date_field, Value(day, output_field=DateField()))
    for key, values in filters.items():
        if key not in DATE_FILTERS and values:
            condition &= Q(**{f"{source.dimensions[key].filter_path}__in": values})
    qs = qs.filter(condition).order_by()
    group = {f"d_{d}": _expression(source.dimensions[d].expr) for d in definition["dimensions"]}
    aggregates = {f"m_{m}": source.measures[m].aggregate for m in definition["measures"]}
    if group:
        qs = qs.annotate(**group).values(*group).annotate(**aggregates).order_by(*group)
    else:
        # No dimension: one row of totals, still one query (an aggregate over a single constant group).
        qs = qs.annotate(_all=Value(1, output_field=IntegerField())).values("_all").annotate(**aggregates)
    return qs


def _expression(expr):
    return F(expr) if isinstance(expr, str) else expr


def _month_bounds(filters: dict) -> tuple[date | None, date | None] | None:
    """The first months in and out of a date range that starts on a 1st and ends on a month's last day, else None."""
    start = date.fromisoformat(filters["date_from"]) if "date_from" in filters else None
    end = date.fromisoformat(filters["date_to"]) if "date_to" in filters else None
    if start is not None and start.day != 1:
        return None
    after = None
    if end is not None:
        after = date(end.year + end.month // 12, end.month % 12 + 1, 1)
        if (after - end).days != 1:
            return None
    return start, after


def summary_query(definition: dict) -> tuple[str, list] | None:
    """The SQL (and its parameters) answering a clean definition from its source's summary table, or None when the
    table cannot answer it (no summary, not PostgreSQL, a dimension, filter or measure it lacks, a date range that does
    not fall on month boundaries). Same groups, order and values as report_queryset's."""
    summary = report_source(definition["source"]).summary
    if summary is None or connection.vendor != "postgresql":
        return None
    filters = definition["filters"]
    bounds = _month_bounds(filters)
    if (bounds is None or not set(definition["dimensions"]) <= set(summary.dimensions)
            or not set(definition["measures"]) <= set(summary.measures)
            or not {k for k in filters if k not in DATE_FILTERS} <= set(summary.filters)):
        return None
    # A group whose rows all went may linger between the statements of a transaction: it adds nothing, and no group is
    # shown for it.
    where, params = ["s.row_count <> 0"], []
    if bounds[0] is not None:
        where.append(f"{summary.month} >= %s")
        params.append(bounds[0])
    if bounds[1] is not None:
        where.append(f"{summary.month} < %s")
        params.append(bounds[1])
    for key, values in filters.items():
        if key not in DATE_FILTERS and values:
            where.append(f"{summary.filters[key]} = ANY(%s)")
            params.append(list(values))
    dims = [summary.dimensions[d] for d in definition["dimensions"]]
    select = [f"{sql} AS d_{d}" for d, sql in zip(definition["dimensions"], dims)]
    select += [f"{summary.measures[m]} AS m_{m}" for m in definition["measures"]]
    sql = f"SELECT {', '.join(select)} FROM {summary.table} s {summary.joins} WHERE {' AND '.join(where)}"
    if dims:
        positions = ", ".join(str(i) for i in range(1, len(dims) + 1))
        sql += f" GROUP BY {positions} ORDER BY {positions}"
    return sql, params


def report_groups(definition: dict, *, live: bool = False) -> list[dict]:
    """The groups of a clean definition as dicts (d_<dimension>, m_<measure>): from the source's summary table when it
    can answer (unless `live`), else from the one aggregate query over the rows."""
    query = None if live else summary_query(definition)
    if query is None:
        return list(report_queryset(definition))
    with connection.cursor() as cursor:
        cursor.execute(*query)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def report_run(definition, *, live: bool = False) -> ReportResult:
    """Run a definition (checked first) and return its table: display values per group, zero for an empty sum.
    `live` reads the rows even where a summary table could answer (tests compare the two)."""
    clean = definition_clean(definition)
    source = report_source(clean["source"])
    zero = Decimal("0.00")
    rows = []
    for group in report_groups(clean, live=live):
        row = [source.dimensions[d].show(group[f"d_{d}"]) for d in clean["dimensions"]]
        for m in clean["measures"]:
            value = group[f"m_{m}"]
            row.append((zero if source.measures[m].money else 0) if value is None else value)
        rows.append(row)
    totals = [sum((r[len(clean["dimensions"]) + i] for r in rows),
                  zero if source.measures[m].money else 0) for i, m in enumerate(clean["measures"])]
    return ReportResult(source=source, dimensions=clean["dimensions"], measures=clean["measures"], rows=rows,
                        totals=totals)


# --------------------------------------------------------------------------- what a result is shown as


def report_chart(result: ReportResult, *, links: bool = False) -> str:
    """A bar chart of the first measure by the first dimension, stacked by the second dimension when there is one."""
    first_measure = result.measures[0]
    money = result.source.measures[first_measure].money
    value_format = "money" if money else "count"
    n_dims = len(result.dimensions)
    m_index = n_dims
    title = str(result.source.measures[first_measure].label)
    if n_dims == 0:
        return bar_chart(labels=[_("Total")], series=[Series(title, [result.rows[0][m_index] if result.rows else 0])],
                         value_format=value_format, title=title)
    labels: list[str] = []
    for row in result.rows:
        if str(row[0]) not in labels:
            labels.append(str(row[0]))
    if n_dims == 1:
        values = {str(row[0]): row[m_index] for row in result.rows}
        return bar_chart(labels=labels, series=[Series(title, [values[label] for label in labels])],
                         value_format=value_format, title=title)
    stacks: dict[str, dict[str, Decimal]] = {}
    for row in result.rows:  # a third dimension, if any, is added up within its bar
        cell = stacks.setdefault(str(row[1]), {})
        cell[str(row[0])] = cell.get(str(row[0]), 0) + row[m_index]
    series = [Series(name, [cells.get(label) for label in labels]) for name, cells in stacks.items()]
    return bar_chart(labels=labels, series=series, stacked=True, value_format=value_format, title=title)


def report_xlsx(result: ReportResult, *, title: str = "") -> bytes:
    """The table as a workbook: header, ¥#,##0.00 money, frozen header, autofilter, a totals row of SUM formulas."""
    buffer = io.BytesIO()
    workbook = xlsx_workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(_("Report")[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#F0F3F7", "border": 1})
    money = workbook.add_format({"num_format": "¥#,##0.00"})
    count = workbook.add_format({"num_format": "#,##0"})
    total_label = workbook.add_format({"bold": True, "top": 1})
    total_money = workbook.add_format({"bold": True, "top": 1, "num_format": "¥#,##0.00"})
    total_count = workbook.add_format({"bold": True, "top": 1, "num_format": "#,##0"})
    headers = result.headers
    for col, text in enumerate(headers):
        sheet.write_string(0, col, text, header)
        sheet.set_column(col, col, max(12, 2 * len(text) + 2))
    dims = len(result.dimensions)
    for r, row in enumerate(result.rows, start=1):
        for col, value in enumerate(row):
            if col < dims:
                # Dimension values are text from files (a shop's name, a courier's code): always a string cell.
                sheet.write_string(r, col, "" if value is None else str(value))
            else:
                fmt = money if result.money_columns[col] else count
                sheet.write_number(r, col, float(value), fmt)
    last = len(result.rows)
    total_row = last + 1
    sheet.write_string(total_row, 0, _("Total"), total_label)
    for col in range(1, dims):
        sheet.write_blank(total_row, col, None, total_label)
    for i, value in enumerate(result.totals):
        col = dims + i
        fmt = total_money if result.money_columns[col] else total_count
        if last:
            letter = _column_letter(col)
            sheet.write_formula(total_row, col, f"=SUM({letter}2:{letter}{last + 1})", fmt, float(value))
        else:
            sheet.write_number(total_row, col, 0, fmt)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(last, 1), len(headers) - 1)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    workbook.close()
    return buffer.getvalue()


def _column_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def report_csv(result: ReportResult) -> bytes:
    """The table as CSV in UTF-8 with a BOM, text made safe, money with two decimals, and a totals row."""
    dims = len(result.dimensions)

    def cell(col, value):
        if col < dims:
            return "" if value is None else str(value)
        return f"{value:.2f}" if result.money_columns[col] else str(value)

    rows = [[cell(c, v) for c, v in enumerate(row)] for row in result.rows]
    total = [_("Total")] + [""] * (dims - 1) if dims else []
    total += [cell(dims + i, v) for i, v in enumerate(result.totals)]
    return rows_to_csv_bytes(result.headers, rows + [total] if dims else rows)


def report_pdf(result: ReportResult, *, title: str) -> bytes:
    """The table and its chart as a PDF (A4 landscape, Chinese in the system's CJK font)."""
    from .pdf import render_pdf

    return render_pdf(template="reports/custom_pdf.html", context={
        "title": title, "result": result, "table": report_table(result), "chart": report_chart(result)})


def report_table(result: ReportResult) -> dict:
    """Headers and rows as the page and the PDF show them: money ¥1,234.50 (-¥10.00), counts 1,234."""
    def fmt(col, value):
        if col < len(result.dimensions):
            return value
        return format_value(value, "money") if result.money_columns[col] else f"{value:,}"

    return {
        "headers": list(zip(result.headers, result.money_columns)),
        "rows": [[(fmt(c, v), result.money_columns[c] or c >= len(result.dimensions)) for c, v in enumerate(row)]
                 for row in result.rows],
        "totals": [fmt(len(result.dimensions) + i, v) for i, v in enumerate(result.totals)],
        "dims": len(result.dimensions),
    }
