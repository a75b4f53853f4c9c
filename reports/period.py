"""The period report (期间报表): a month's cover per counterparty and overall, a sheet per discrepancy type, the
rejected rows of the month's files and the parameters of its runs, as Excel or CSV.

Rows are read with a server-side cursor and written as they come (xlsxwriter's constant-memory mode, CSV in chunks),
so a month of a million discrepancies is written in bounded memory. The money on the cover is queue_totals' identity
(at_stake = open + disputed + recovered + accepted + written_off + shortfall), never derived again here.
"""
from __future__ import annotations

import calendar
import csv
import functools
import io
import json
import re
import shutil
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (AutoField, BooleanField, CharField, Count, DateField, DateTimeField, DecimalField, F,
                              Func, IntegerField, JSONField, Q, QuerySet, Sum, TextField)
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from xlsxwriter.utility import xl_col_to_name

from recon.core.errors import UserFacingError
from recon.core.models import Counterparty, Discrepancy, ReconPeriod, ReconRun
from recon.core.stored_text import is_product_language, reason_sql, stored_reason
from recon.core.writers import csv_text, xlsx_workbook
from recon.kinds import ColumnSpec, kind_label, kind_specs, type_label, type_specs
from recon.review.selectors import queue_totals
from recon.sources.models import RejectedRow

from . import totals as totals_table
from .exports import GENERIC_COLUMNS
from .months import discrepancy_month_q, unperiodised_month_q
from .totals import money_parts

# The cover's figures, in the order of the JSON object and of the cover's columns after the counterparty.
COVER_KEYS = ("billed", "expected", "at_stake", "open", "investigating", "disputed", "recovered", "accepted", "written_off",
              "shortfall")
MONEY_FORMAT = "¥#,##0.00"
WEIGHT_FORMAT = "0.000"
# Rows fetched per round trip of the server-side cursor: bounded memory, few round trips.
CHUNK = 5000
ZERO = Decimal("0.00")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _cover_labels() -> dict[str, str]:
    return {
        "billed": pgettext("period report", "billed"),
        "expected": pgettext("period report", "expected"),
        "at_stake": pgettext("period report", "money at stake"),
        "open": pgettext("period report", "open"),
        "investigating": pgettext("period report", "of which investigating"),
        "disputed": pgettext("period report", "disputed"),
        "recovered": pgettext("period report", "recovered"),
        "accepted": pgettext("period report", "accepted"),
        "written_off": pgettext("period report", "written off"),
        "shortfall": pgettext("period report", "shortfall to decide"),
    }


@dataclass
class PeriodScope:
    """A month and its discrepancies (reports.months' rule: by their period's start, else by their own dates)."""

    label: str
    start: date
    end: date
    counterparties: list[Counterparty]
    period_ids: list[int] = field(default_factory=list)
    # One counterparty's report: its periods' rows and its rows without a period; None: every row of the month.
    counterparty_ids: list[int] | None = None
    # The scope's rows in the totals table (PostgreSQL), read once when first needed.
    table_groups: list[dict] | None = None

    def discrepancies(self) -> QuerySet[Discrepancy]:
        if self.counterparty_ids is None:
            return Discrepancy.objects.filter(discrepancy_month_q(self.start))
        return Discrepancy.objects.filter(
            Q(is_current=True) & (Q(period_id__in=self.period_ids)
                                  | unperiodised_month_q(self.start) & Q(counterparty_id__in=self.counterparty_ids)))


def period_scope(*, period: str, counterparty: str | None = None) -> PeriodScope:
    """The month "YYYY-MM" (and one counterparty by code); a clear UserFacingError for a bad or unknown one."""
    text = (period or "").strip()
    match = _MONTH.match(text)
    if not match:
        raise UserFacingError("invalid_period", _("Period “%(period)s” is not valid: use YYYY-MM, e.g. 2026-10.") % {"period": period})
    year, month = int(match.group(1)), int(match.group(2))
    start = date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    periods = ReconPeriod.objects.filter(start__gte=start, start__lte=end)
    party_ids = None
    if counterparty:
        code = counterparty.strip()
        party_ids = list(Counterparty.objects.filter(code=code).values_list("id", flat=True))
        if not party_ids:
            raise UserFacingError("unknown_counterparty", _("Unknown counterparty “%(code)s”.") % {"code": code})
        periods = periods.filter(counterparty__code=code)
    rows = list(periods.values_list("id", "counterparty_id"))
    scope = PeriodScope(label=text, start=start, end=end, counterparties=[], period_ids=[p for p, _c in rows],
                        counterparty_ids=party_ids)
    # The counterparties of rows without a period count too; such rows alone make a month worth reporting.
    loose = scope.discrepancies().filter(period_id__isnull=True).order_by().values_list("counterparty_id", flat=True).distinct()
    loose = list(loose)
    if not rows and not loose:
        if counterparty:
            message = _("No reconciliation period of %(counterparty)s starts in %(period)s.") % {
                "counterparty": counterparty.strip(), "period": text}
        else:
            message = _("No reconciliation period starts in %(period)s.") % {"period": text}
        raise UserFacingError("unknown_period", message)
    ids = {c for _p, c in rows} | (set(loose) - {None})
    scope.counterparties = list(Counterparty.objects.filter(id__in=ids).order_by("code", "kind"))
    return scope


def _table_groups(scope: PeriodScope) -> list[dict]:
    """The scope's groups in the totals table, read once per scope (the cover and the types' list share them)."""
    if scope.table_groups is None:
        scope.table_groups = totals_table.period_report_groups(period_ids=scope.period_ids, month=scope.start,
                                                       counterparty_ids=scope.counterparty_ids)
    return scope.table_groups


def _totals_from_table(scope: PeriodScope) -> dict:
    """queue_totals(scope.discrepancies(), by=("courier",))'s groups and total, added up from the totals table."""
    per_party: dict[int | None, list[dict]] = {}
    for g in _table_groups(scope):
        per_party.setdefault(g["counterparty_id"], []).append(g)
    groups = [{"counterparty_id": party, **money_parts(rows)} for party, rows in per_party.items()]
    return {"groups": groups, "total": money_parts(_table_groups(scope))}


def _period_amounts(*, scope: PeriodScope, counterparty_ids: list[int]) -> dict[str, Decimal]:
    """Billed and expected summed over every kind that declares them (KindSpec.period_amounts)."""
    out = {"billed": ZERO, "expected": ZERO}
    for spec in kind_specs().values():
        hook = spec.hook("period_amounts")
        if hook is None:
            continue
        amounts = hook(start=scope.start, end=scope.end, counterparty_ids=counterparty_ids)
        out["billed"] += amounts.get("billed") or ZERO
        out["expected"] += amounts.get("expected") or ZERO
    return out


def period_cover_rows(*, scope: PeriodScope, live: bool = False) -> tuple[list[dict], dict]:
    """The cover per counterparty (code, name, the figures, count), a row for the money with no counterparty if there
    is some, and overall. On PostgreSQL the figures come from the totals table the triggers keep (a few rows instead
    of the month's discrepancies; `live=True` adds up the rows themselves, as SQLite always does)."""
    if totals_table.enabled() and not live:
        totals = _totals_from_table(scope)
    else:
        totals = queue_totals(scope.discrepancies(), by=("courier",))
    groups = {g["counterparty_id"]: g for g in totals["groups"]}
    rows = []
    for party in scope.counterparties:
        g = groups.get(party.id, {})
        row = {"counterparty_id": party.id, "code": party.code, "name": party.name, "count": g.get("count", 0)}
        row.update(_period_amounts(scope=scope, counterparty_ids=[party.id]))
        row.update({k: g.get(k, ZERO) for k in COVER_KEYS[2:]})
        rows.append(row)
    if None in groups:
        # A return with no courier or shop known: nobody billed it, but its money is the month's.
        g = groups[None]
        row = {"counterparty_id": None, "code": "", "name": pgettext("period report", "no counterparty"),
               "count": g["count"], "billed": ZERO, "expected": ZERO}
        row.update({k: g[k] for k in COVER_KEYS[2:]})
        rows.append(row)
    overall = {"period": scope.label, "count": totals["total"]["count"]}
    overall.update({k: sum((r[k] for r in rows), ZERO) for k in COVER_KEYS[:2]})
    overall.update({k: totals["total"][k] for k in COVER_KEYS[2:]})
    return rows, overall


def period_cover(*, period: str, counterparty: str | None = None) -> dict:
    """The cover's figures of a month (and a counterparty): period, billed, expected and the money identity."""
    scope = period_scope(period=period, counterparty=counterparty)
    _rows, overall = period_cover_rows(scope=scope)
    return {"period": overall["period"], **{k: overall[k] for k in COVER_KEYS}}


def period_cover_json(cover: dict) -> str:
    """The cover as one JSON object, amounts as strings with two decimals."""
    return json.dumps({"period": cover["period"], **{k: f"{cover[k]:.2f}" for k in COVER_KEYS}}, ensure_ascii=False)


# --------------------------------------------------------------------------- the rows of the sheets


def _type_order() -> dict[str, int]:
    return {t.code: i for i, t in enumerate(type_specs())}


def _types_present(scope: PeriodScope, live: bool = False) -> list[tuple[str, str, int]]:
    """(kind, type, count) of the month's discrepancies, in the kinds' declared order of types."""
    if totals_table.enabled() and not live:
        counts: Counter[tuple[str, str]] = Counter()
        for g in _table_groups(scope):
            counts[g["kind"], g["type"]] += g["count"]
        found = [(kind, type_code, n) for (kind, type_code), n in counts.items()]
    else:
        found = scope.discrepancies().order_by().values_list("kind", "type").annotate(n=Count("id"))
    order = _type_order()
    return sorted(found, key=lambda r: (order.get(r[1], len(order)), r[0], r[1]))


def _report_columns(kind: str) -> list[ColumnSpec]:
    spec = kind_specs().get(kind)
    columns = list((spec.report_columns or spec.export_columns) if spec else ())
    # The references and whom it is with, as the exports add them, where the kind's own columns do not hold them;
    # the SKU only for a kind whose discrepancies are per item (its queue shows one).
    present = {c.attr for c in columns}
    per_item = spec is not None and any(c.attr == "sku" for c in spec.queue_columns)
    for col in GENERIC_COLUMNS:
        if col.key != "kind" and col.attr not in present and (col.key != "sku" or per_item):
            columns.append(col)
    return columns


def _is_text_detail(col: ColumnSpec) -> bool:
    """A column of the row's details that is neither money nor grams: a reference, a name, a province — text."""
    return not (col.kg or col.money) and _in_json(col.orm_path)


@functools.lru_cache(maxsize=256)
def _in_json(path: str) -> bool:
    return "__" in path and _field_at(path)[1]


class _DetailText(Func):
    """A detail as text: a JSON string as stored (leading zeros and all), a whole JSON number by its digits (a waybill
    a file gave as 7312345678901.0 shows 7312345678901). Reading the JSON value instead would make a number-like
    string a number (SQLite's JSON_EXTRACT does even for a JSON string) and an Excel number cell."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        template = ("(CASE jsonb_typeof(@) WHEN 'number' THEN (CASE WHEN (@)::numeric = trunc((@)::numeric) "
                    "THEN trunc((@)::numeric)::text ELSE (@) #>> '{}' END) ELSE (@) #>> '{}' END)")
        return template.replace("@", sql), [*params] * template.count("@")

    def as_sql(self, compiler, connection, **extra):
        # Elsewhere ->>: text for a string, the number for a number (_as_text writes a whole one by its digits).
        found = self.source_expressions[0]
        return compiler.compile(KeyTextTransform(found.key_name, found.lhs))


def _value_paths(columns: list[ColumnSpec]) -> list:
    return [_DetailText(c.orm_path) if _is_text_detail(c) else "type" if c.attr == "type_label" else c.orm_path
            for c in columns]


def _as_text(value) -> str:
    """A detail's value as text: a number written by a file as a number shows its digits, never 1.2e+13 or 42.0."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def _cell_value(col: ColumnSpec, raw, labels: dict):
    """What a column's cell shows: labels for codes, kilograms for grams, numbers as numbers."""
    if col.attr == "type_label":
        return labels["type"].get(raw, raw)
    if col.attr == "status":
        return labels["status"].get(raw, raw)
    if col.attr == "reason" and labels.get("reason") and raw:
        return labels["reason"](raw)
    if col.kg:
        return None if raw in (None, "") else int(raw) / 1000
    if raw is not None and _is_text_detail(col):
        return _as_text(raw)
    return raw


def _labels() -> dict:
    return {"type": {t.code: str(t.label) for t in type_specs()},
            "status": {v: str(lbl) for v, lbl in Discrepancy.Status.choices},
            "claim": {True: pgettext("period report", "yes"), False: pgettext("period report", "no")},
            # Reasons are stored in the product's language: rendered again only for a reader of another one.
            "reason": None if is_product_language() else stored_reason}


def _claim_column() -> ColumnSpec:
    """The type sheets' last column: whether a row is a claim, the only rows the totals (and the cover) count."""
    return ColumnSpec("is_claim", pgettext("period report", "counted in money at stake"), "is_claim")


def _type_rows(scope: PeriodScope, kind: str, type_code: str, columns: list[ColumnSpec]):
    """The type's discrepancies, money first, streamed from a server-side cursor."""
    qs = scope.discrepancies().filter(kind=kind, type=type_code).order_by("-amount_at_stake", "id")
    return qs.values_list(*_value_paths(columns)).iterator(chunk_size=CHUNK)


def _rejected_rows(scope: PeriodScope):
    qs = RejectedRow.objects.filter(source__period_id__in=scope.period_ids, source__deleted_at__isnull=True)
    return qs.order_by("source_id", "sheet", "row_no", "id").values_list(
        "source__original_filename", "sheet", "row_no", "reason_code", "reason", "raw").iterator(chunk_size=CHUNK)


def _rejected_header() -> list[str]:
    return [_("file name"), _("sheet"), _("row"), _("reason code"), _("reason"), _("row as uploaded")]


def _runs(scope: PeriodScope) -> list[ReconRun]:
    run_ids = scope.discrepancies().order_by().values_list("run_id", flat=True).distinct()
    return list(ReconRun.objects.filter(id__in=run_ids).select_related("counterparty").order_by("id"))


# What a run keeps in its params for the machine, not for a reader of the report.
_PLUMBING = {"ip", "mapping", "size_bytes", "format", "bench", "trigger", "waybills"}


def _parameter_labels(spec) -> dict[str, str]:
    """Stored parameter keys → what a reader calls them: the kind's declared labels over the few every run has."""
    labels = {"as_of": pgettext("run parameter", "as of")}
    labels.update({key: str(label) for key, label in (spec.run_parameter_labels if spec else ())})
    return labels


_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")


def _parameter_value(value) -> str:
    """A stored parameter as the report writes it: dates YYYY-MM-DD, moments YYYY-MM-DD HH:MM in local time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value.isoformat()
    elif isinstance(value, str) and _ISO_MOMENT.match(value.strip()):
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    elif isinstance(value, str):
        return value
    else:
        return json.dumps(value, ensure_ascii=False)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _parameter_name(name, labels: dict[str, str]) -> str:
    """A declared label, else the key made readable (underscores as spaces)."""
    text = str(name)
    return labels.get(text) or text.replace("_", " ")


def _run_parameter_rows(scope: PeriodScope) -> list[list]:
    """One row per parameter of each run behind the month's discrepancies (KindSpec.run_parameters)."""
    out = []
    for run in _runs(scope):
        spec = kind_specs().get(run.kind)
        hook = spec.hook("run_parameters") if spec else None
        labels = _parameter_labels(spec)
        if hook is not None:
            params = hook(run=run)
        else:
            params = [(k, v) for k, v in sorted(run.params.items()) if k not in _PLUMBING]
        party = run.counterparty.code if run.counterparty else ""
        span = f"{run.period_start.isoformat() if run.period_start else ''}–{run.period_end.isoformat() if run.period_end else ''}"
        for name, value in params or [("", "")]:
            out.append([run.id, str(kind_label(run.kind)), party, span, _parameter_name(name, labels) if name else "",
                        _parameter_value(value)])
    return out


def _parameter_header() -> list[str]:
    return [_("run"), _("kind"), pgettext("period report", "counterparty"), _("period"),
            pgettext("period report", "parameter"), _("value")]


# --------------------------------------------------------------------------- Excel rows read fast (PostgreSQL)

# Rows a round trip of the named cursor brings: psycopg2 builds plain tuples of str, float and int from the typed SQL.
XLSX_ITERSIZE = 20_000


def _xlsx_expression(col: ColumnSpec, c: str, labels: dict) -> tuple[str, str] | None:
    """(SQL, how the cell is written) for one column, the value already what _cell_value makes of it; None: unknown."""
    if col.attr == "type_label":
        return f"(CASE {c} {_whens(labels['type'])} ELSE NULLIF({c}, '') END)", "string"
    if col.attr == "status":
        return f"(CASE {c} {_whens(labels['status'])} ELSE NULLIF({c}, '') END)", "string"
    if col.attr == "is_claim":
        return f"(CASE WHEN {c} THEN {_quote(labels['claim'][True])} ELSE {_quote(labels['claim'][False])} END)", "string"
    if col.attr == "reason" and labels.get("reason"):
        translated = reason_sql(c)
        return (f"NULLIF({translated}, '')", "string") if translated is not None else None
    f, in_json = _field_at(col.orm_path)
    if col.kg:
        raw = f"NULLIF({c} #>> '{{}}', '')" if in_json else c
        # numeric to float8 rounds once, as int(raw) / 1000 does in Python.
        return f"(round(trunc(({raw})::numeric) / 1000, 3))::float8", "number"
    if in_json:
        # A text detail, read as text (_value_paths): always a string cell.
        return f"NULLIF({c}, '')", "string"
    if isinstance(f, DecimalField):
        return f"({c})::float8", "number"
    if isinstance(f, BooleanField):
        return f"({c})::int", "number"
    if isinstance(f, (IntegerField, AutoField)):
        return c, "number"
    if isinstance(f, DateField) and not isinstance(f, DateTimeField):
        return f"to_char({c}, 'YYYY-MM-DD')", "string"
    if isinstance(f, (CharField, TextField)):
        return f"NULLIF({c}, '')", "string"
    return None


def _whens(mapping: dict[str, str]) -> str:
    return " ".join(f"WHEN {_quote(code)} THEN {_quote(label)}" for code, label in mapping.items()) or "WHEN NULL THEN NULL"


def typed_type_rows(scope: PeriodScope, kind: str, type_code: str, columns: list[ColumnSpec], labels: dict):
    """(how each column is written, the rows as tuples) of one type, from a named cursor; None where a column's type
    needs the ORM's path (and on SQLite)."""
    if connection.vendor != "postgresql":
        return None
    exprs, how = [], []
    for i, col in enumerate(columns):
        found = _xlsx_expression(col, f's."c{i}"', labels)
        if found is None:
            return None
        exprs.append(found[0])
        how.append(found[1])
    select = _select_over(scope, kind, type_code, columns, exprs)

    def rows():
        # Inside a transaction the named cursor streams; outside one Django declares it WITH HOLD, and PostgreSQL
        # would write the whole result out at the commit before the first row came back.
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            raw = cursor.cursor  # psycopg2's named cursor: no Django wrapper per row
            raw.itersize = XLSX_ITERSIZE
            raw.execute(select)
            yield from raw

    return how, rows()


def _write_type_sheet_fast(ws, how: list[str], rows, formats: list) -> int:
    """The rows of a type sheet with one bound write method per column: no type test per cell."""
    write_string, write_number = ws.write_string, ws.write_number

    methods = {"string": write_string, "number": write_number}
    writes = [methods[h] for h in how]
    columns = range(len(how))
    r = 0
    for r, values in enumerate(rows, start=1):
        for i, v, write, fmt in zip(columns, values, writes, formats):
            if v is not None:
                write(r, i, v, fmt)
    return r


# --------------------------------------------------------------------------- Excel


def _sheet_name(text: str, used: set[str]) -> str:
    """A name Excel accepts (31 characters, none of []:*?/\\), unique in the book."""
    base = re.sub(r"[\[\]:*?/\\]", " ", str(text)).strip()[:31] or "-"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


class _Book:
    """The workbook and its formats; every sheet gets the same frozen header, filter and print setup."""

    def __init__(self, target):
        # constant_memory: each row goes to a temporary file once the next one starts, whatever the row count.
        self.book = xlsx_workbook(target, {"constant_memory": True})
        self.used: set[str] = set()
        b = self.book
        self.header = b.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1, "text_wrap": True, "valign": "top"})
        self.money = b.add_format({"num_format": MONEY_FORMAT})
        self.weight = b.add_format({"num_format": WEIGHT_FORMAT})
        self.total = b.add_format({"bold": True, "top": 1})
        self.total_money = b.add_format({"bold": True, "top": 1, "num_format": MONEY_FORMAT})

    def sheet(self, title: str, header: list[str], widths: list[int], formats: list | None = None):
        ws = self.book.add_worksheet(_sheet_name(title, self.used))
        for i, width in enumerate(widths):
            ws.set_column(i, i, width, (formats or [None] * len(widths))[i])
        ws.write_row(0, 0, header, self.header)
        ws.freeze_panes(1, 0)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
        ws.repeat_rows(0)
        return ws

    def totals(self, ws, *, row: int, width: int, label: str, sums: dict[int, Decimal], count_col: int | None = None,
               count: int = 0, only: tuple[int, str] | None = None) -> None:
        """A bold totals row: each money column as =SUM() of the cells above it (=SUMIF() of the rows whose column
        only[0] says only[1]), its cached value ours."""
        for i in range(width):
            ws.write_blank(row, i, None, self.total)
        ws.write_string(row, 0, label, self.total)
        for i, value in sums.items():
            letter = xl_col_to_name(i)
            if row > 1 and only is not None:
                key = xl_col_to_name(only[0])
                criterion = only[1].replace('"', '""')
                ws.write_formula(row, i, f'=SUMIF(${key}$2:${key}${row},"{criterion}",{letter}2:{letter}{row})',
                                 self.total_money, float(value))
            elif row > 1:
                ws.write_formula(row, i, f"=SUM({letter}2:{letter}{row})", self.total_money, float(value))
            else:
                ws.write_number(row, i, 0, self.total_money)
        if count_col is not None:
            letter = xl_col_to_name(count_col)
            ws.write_formula(row, count_col, f"=SUM({letter}2:{letter}{row})" if row > 1 else "=0", self.total, count)

    def close(self) -> None:
        self.book.close()


def _write_cover(b: _Book, scope: PeriodScope) -> None:
    rows, overall = period_cover_rows(scope=scope)
    labels = _cover_labels()
    header = [_("period"), pgettext("period report", "counterparty"), _("name"), *[labels[k] for k in COVER_KEYS],
              pgettext("period report", "discrepancies")]
    widths = [10, 12, 16, *[14] * len(COVER_KEYS), 10]
    formats = [None, None, None, *[b.money] * len(COVER_KEYS), None]
    ws = b.sheet(pgettext("period report", "Cover"), header, widths, formats)
    for r, row in enumerate(rows, start=1):
        ws.write_string(r, 0, scope.label)
        if row["code"]:
            ws.write_string(r, 1, row["code"])
        ws.write_string(r, 2, row["name"])
        for i, key in enumerate(COVER_KEYS, start=3):
            ws.write_number(r, i, float(row[key]), b.money)
        ws.write_number(r, 3 + len(COVER_KEYS), row["count"])
    last = len(rows) + 1
    b.totals(ws, row=last, width=len(header), label=_("Total"),
             sums={3 + i: overall[k] for i, k in enumerate(COVER_KEYS)}, count_col=3 + len(COVER_KEYS), count=overall["count"])
    ws.autofilter(0, 0, len(rows), len(header) - 1)


def _column_width(col: ColumnSpec) -> int:
    if col.key == "reason":
        return 44
    if col.money or col.kg:
        return 13
    return 16 if col.key in {"waybill_no", "order_no", "type_label", "outbound_no", "ref", "ref2"} else 12


def _cell_writers(ws, b: _Book, columns: list[ColumnSpec], labels: dict, sums: dict) -> list:
    """One writer per column, chosen once per sheet rather than per cell: a million rows make the choice count."""
    write_number, write_string = ws.write_number, ws.write_string

    def money(r, i, v):
        sums[i] += v
        write_number(r, i, float(v), b.money)

    def weight(r, i, v):
        write_number(r, i, int(v) / 1000, b.weight)

    def label_of(mapping):
        return lambda r, i, v: write_string(r, i, mapping.get(v, v))

    def text(r, i, v):
        write_string(r, i, _as_text(v))

    def plain(r, i, v):
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            write_number(r, i, float(v))
        else:
            # Text from a file (references, reasons, names) stays a string cell, never a formula.
            write_string(r, i, str(v))

    out = []
    for col in columns:
        if col.attr == "type_label":
            out.append(label_of(labels["type"]))
        elif col.attr == "status":
            out.append(label_of(labels["status"]))
        elif col.attr == "is_claim":
            out.append(label_of(labels["claim"]))
        elif col.attr == "reason" and labels.get("reason"):
            out.append(lambda r, i, v, render=labels["reason"]: write_string(r, i, render(str(v))))
        else:
            out.append(money if col.money else weight if col.kg else text if _is_text_detail(col) else plain)
    return out


def _write_type_sheet(b: _Book, scope: PeriodScope, kind: str, type_code: str, labels: dict) -> None:
    columns = [*_report_columns(kind), _claim_column()]
    formats = [b.money if c.money else b.weight if c.kg else None for c in columns]
    ws = b.sheet(str(type_label(type_code)), [str(c.label) for c in columns], [_column_width(c) for c in columns], formats)
    typed = typed_type_rows(scope, kind, type_code, columns, labels)
    if typed is not None:
        r = _write_type_sheet_fast(ws, typed[0], typed[1], formats)
    else:
        writers = _cell_writers(ws, b, columns, labels, {i: ZERO for i, c in enumerate(columns) if c.money})
        r = 0
        for r, values in enumerate(_type_rows(scope, kind, type_code, columns), start=1):
            for i, raw in enumerate(values):
                if raw is not None and raw != "":
                    writers[i](r, i, raw)
    # The totals count claims only, as the cover does: information (an undercharge, a claim type with nothing at
    # stake) is on the sheet, marked in the last column, and out of the sums. Cached values summed by the database.
    money = {i: c.orm_path for i, c in enumerate(columns) if c.money}
    found = scope.discrepancies().filter(kind=kind, type=type_code, is_claim=True).aggregate(
        **{f"s{i}": Sum(path) for i, path in money.items()})
    sums = {i: found[f"s{i}"] or ZERO for i in money}
    b.totals(ws, row=r + 1, width=len(columns), label=pgettext("period report", "Total of claims"), sums=sums,
             only=(len(columns) - 1, labels["claim"][True]))
    ws.autofilter(0, 0, r, len(columns) - 1)


def _write_table(b: _Book, title: str, header: list[str], widths: list[int], rows) -> None:
    ws = b.sheet(title, header, widths)
    r = 0
    for r, row in enumerate(rows, start=1):
        for i, value in enumerate(row):
            if isinstance(value, int) and not isinstance(value, bool):
                ws.write_number(r, i, value)
            elif value not in (None, ""):
                ws.write_string(r, i, str(value))
    ws.autofilter(0, 0, r, len(header) - 1)


def period_report_xlsx(*, period: str, counterparty: str | None, target) -> None:
    """The period report as a workbook: cover, a sheet per discrepancy type, rejected rows, run parameters."""
    scope = period_scope(period=period, counterparty=counterparty)
    b = _Book(target)
    try:
        _write_cover(b, scope)
        labels = _labels()
        for kind, type_code, _n in _types_present(scope):
            _write_type_sheet(b, scope, kind, type_code, labels)
        _write_table(b, _("Rejected rows"), _rejected_header(), [24, 10, 6, 16, 36, 60], _rejected_rows(scope))
        _write_table(b, pgettext("period report", "Run parameters"), _parameter_header(), [8, 12, 12, 24, 22, 50],
                     _run_parameter_rows(scope))
    finally:
        b.close()


# --------------------------------------------------------------------------- CSV


class _Sink:
    """Where CSV text goes: a path or a binary file object, UTF-8 with a BOM, written in chunks."""

    def __init__(self, target):
        self.own = isinstance(target, (str, bytes)) or hasattr(target, "__fspath__")
        self.fh = open(target, "wb") if self.own else target
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")
        self.fh.write("\ufeff".encode())

    def row(self, values) -> None:
        self.writer.writerow(values)
        if self.buffer.tell() > 1 << 20:
            self.flush()

    def flush(self) -> None:
        self.fh.write(self.buffer.getvalue().encode("utf-8"))
        self.buffer.seek(0)
        self.buffer.truncate()

    def close(self) -> None:
        self.flush()
        if self.own:
            self.fh.close()


def _csv_cell(value, col: ColumnSpec | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.3f}" if col is not None and col.kg else repr(value)
    if isinstance(value, (int, date)):
        return str(value)
    return csv_text(str(value))


def period_report_csv(*, period: str, counterparty: str | None, target, use_copy: bool | None = None,
                      workers: int | None = None) -> None:
    """The period report as one CSV: the cover (per counterparty and total), then every discrepancy of the month.

    On PostgreSQL the discrepancies' rows are written by the server (COPY … TO STDOUT), the same bytes as the Python
    path that SQLite uses; `use_copy=False` forces the Python path (the tests compare the two). Outside a transaction,
    the types' blocks are written by `workers` connections at once (settings.REPORTS_CSV_COPY_WORKERS), each into a
    temporary file joined in the report's order, all of them reading the snapshot the cover was read in.
    """
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    if workers is None:
        workers = settings.REPORTS_CSV_COPY_WORKERS
    # Inside a caller's transaction other connections cannot see what it wrote (a snapshot shares committed data
    # only): the blocks are then written on this connection, one after another.
    parallel = use_copy and workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block
    if not parallel:
        _write_period_csv(period=period, counterparty=counterparty, target=target, use_copy=use_copy)
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        _write_period_csv(period=period, counterparty=counterparty, target=target, use_copy=True, snapshot=snapshot,
                          workers=workers)


def _write_period_csv(*, period: str, counterparty: str | None, target, use_copy: bool, snapshot: str | None = None,
                      workers: int = 1) -> None:
    scope = period_scope(period=period, counterparty=counterparty)
    rows, overall = period_cover_rows(scope=scope)
    labels = _cover_labels()
    sink = _Sink(target)
    try:
        sink.row([_("period"), pgettext("period report", "counterparty"), _("name"), *[labels[k] for k in COVER_KEYS],
                  pgettext("period report", "discrepancies")])
        for row in rows:
            sink.row([scope.label, csv_text(row["code"]), csv_text(row["name"]), *[f"{row[k]:.2f}" for k in COVER_KEYS], row["count"]])
        sink.row([scope.label, _("Total"), "", *[f"{overall[k]:.2f}" for k in COVER_KEYS], overall["count"]])
        sink.row([])
        names = _labels()
        blocks = []
        for kind, type_code, n in _types_present(scope):
            columns = _report_columns(kind)
            select = _copy_select(scope, kind, type_code, columns, names) if use_copy else None
            blocks.append((kind, type_code, n, columns, select))
        copied = (_ParallelCopies(snapshot, workers, [(b[4], b[2]) for b in blocks if b[4] is not None])
                  if snapshot is not None else None)
        try:
            for kind, type_code, _n, columns, select in blocks:
                sink.row([csv_text(str(c.label)) for c in columns])
                if select is not None:
                    sink.flush()
                    if copied is not None:
                        copied.write_to(select, sink.fh)
                    else:
                        _copy_rows(select, sink.fh)
                else:
                    for values in _type_rows(scope, kind, type_code, columns):
                        sink.row([_csv_cell(_cell_value(c, v, names), c) for c, v in zip(columns, values)])
                sink.row([])
        finally:
            if copied is not None:
                copied.close()
    finally:
        sink.close()


# --------------------------------------------------------------------------- CSV written by PostgreSQL

# runs_as_formula's rule as a PostgreSQL regular expression: one of = + - @ TAB CR first, or whitespace (Python's
# str.isspace set, spelled out: PostgreSQL's \s follows the server's locale) followed by one of = + - @.
_PY_SPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
FORMULA_REGEX = f"^([=+@\t\r-]|[{_PY_SPACE}]+[=+@-])"


def _quote(value: str) -> str:
    """A SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1: only quotes are doubled)."""
    return "'" + value.replace("'", "''") + "'"


_FIRST_CODES = ", ".join(str(ord(c)) for c in "=+-@\t\r")
_SPACE_CODES = ", ".join(str(ord(c)) for c in _PY_SPACE)


def _guarded(text_sql: str) -> str:
    """csv_text in SQL: text that a spreadsheet would run gets a leading apostrophe; empty text is NULL (no "")."""
    # The first character's code decides almost always; the regular expression (dear over a million rows) only runs
    # on text that starts with whitespace.
    return (f"(CASE WHEN ascii({text_sql}) IN ({_FIRST_CODES}) THEN '''' || {text_sql} "
            f"WHEN ascii({text_sql}) IN ({_SPACE_CODES}) AND {text_sql} ~ {_quote(FORMULA_REGEX)} THEN '''' || {text_sql} "
            f"ELSE NULLIF({text_sql}, '') END)")


def _labelled(text_sql: str, mapping: dict[str, str]) -> str:
    """A code shown as its label in the active language; an unknown code as itself (as _cell_value does)."""
    whens = " ".join(f"WHEN {_quote(code)} THEN {_quote(csv_text(label))}" for code, label in mapping.items())
    return f"(CASE {text_sql} {whens} ELSE {_guarded(text_sql)} END)" if whens else _guarded(text_sql)


def _field_at(path: str):
    """The model field a values() path ends on, and whether the path goes into a JSON column."""
    model = Discrepancy
    for part in path.split("__"):
        f = model._meta.get_field(part)
        if isinstance(f, JSONField):
            return f, True
        if f.is_relation:
            if part == f.attname:  # "run_id": the key's own column, the target's type
                return f.target_field, False
            model = f.related_model
    return f, False


def _copy_expression(col: ColumnSpec, c: str, labels: dict) -> str | None:
    """The SQL writing one cell as _csv_cell(_cell_value(…)) does; None for a column of a type it does not know."""
    if col.attr == "type_label":
        return _labelled(c, labels["type"])
    if col.attr == "status":
        return _labelled(c, labels["status"])
    if col.attr == "reason" and labels.get("reason"):
        translated = reason_sql(c)
        if translated is None:
            return None
        # Guarded once over the rendered text: _guarded names its argument three times, the CASE is dear.
        return f"(SELECT {_guarded('t.r')} FROM (SELECT {translated} AS r) t)"
    f, in_json = _field_at(col.orm_path)
    if col.kg:
        # int(raw) / 1000 with three decimals; "" is an empty cell.
        raw = f"NULLIF({c} #>> '{{}}', '')" if in_json else c
        return f"(round(trunc(({raw})::numeric) / 1000, 3))::text"
    if in_json:
        return _guarded(c)
    if isinstance(f, DecimalField):
        return f"(round({c}, 2))::text"
    if isinstance(f, BooleanField):
        return f"(CASE WHEN {c} THEN 'True' WHEN NOT {c} THEN 'False' END)"
    if isinstance(f, (IntegerField, AutoField)):
        return f"({c})::text"
    if isinstance(f, DateField) and not isinstance(f, DateTimeField):
        return f"to_char({c}, 'YYYY-MM-DD')"
    if isinstance(f, (CharField, TextField)):
        return _guarded(c)
    return None


def _copy_select(scope: PeriodScope, kind: str, type_code: str, columns: list[ColumnSpec], labels: dict) -> str | None:
    """The type's rows as one SELECT of text columns in _type_rows' order, or None if a column needs the Python path."""
    exprs = []
    for i, col in enumerate(columns):
        # A block holds one type: its code and its label are the same on every row, written as constants.
        expr = (_constant_text(type_code if col.attr != "type_label" else labels["type"].get(type_code, type_code))
                if col.orm_path == "type" or col.attr == "type_label" else _copy_expression(col, f's."c{i}"', labels))
        if expr is None:
            return None
        exprs.append(expr)
    return _select_over(scope, kind, type_code, columns, exprs)


def _constant_text(value: str) -> str:
    """A text cell the same on every row, made safe in Python as csv_text does (an empty text is an empty cell)."""
    return _quote(csv_text(value)) if value else "NULL"


def _select_over(scope: PeriodScope, kind: str, type_code: str, columns: list[ColumnSpec], exprs: list[str]) -> str:
    """SELECT exprs over the type's rows (the columns' values as s."c0", s."c1", …), money first as _type_rows."""
    aliases = {f"c{i}": F(path) if isinstance(path, str) else path for i, path in enumerate(_value_paths(columns))}
    qs = (scope.discrepancies().filter(kind=kind, type=type_code)
          .values(**aliases, o_amount=F("amount_at_stake"), o_id=F("id")).order_by("-amount_at_stake", "id"))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        inner = cursor.mogrify(sql, params).decode()
    # The ORDER BY again, outside: PostgreSQL keeps the subquery's order without sorting twice.
    return f"SELECT {', '.join(exprs)} FROM ({inner}) s ORDER BY s.o_amount DESC, s.o_id"


class _CRLF:
    """COPY's CSV rows end in LF, the Python path's in CRLF. LFs inside quoted fields stay as they are, so the quotes
    are counted across chunks (a doubled quote toggles twice and leaves the parity alone)."""

    def __init__(self, fh):
        self.fh, self.parts, self.size, self.quoted = fh, [], 0, False

    def write(self, data) -> None:
        self.parts.append(data)
        self.size += len(data)
        if self.size > 1 << 20:
            self.flush()

    def flush(self) -> None:
        blob = b"".join(self.parts)
        self.parts, self.size = [], 0
        if not blob:
            return
        if not self.quoted and b'"' not in blob:
            self.fh.write(blob.replace(b"\n", b"\r\n"))
            return
        pieces = blob.split(b'"')
        for i in range(len(pieces)):
            if (i % 2 == 1) == self.quoted:  # outside the quotes
                pieces[i] = pieces[i].replace(b"\n", b"\r\n")
        if len(pieces) % 2 == 0:
            self.quoted = not self.quoted
        self.fh.write(b'"'.join(pieces))


def _copy_rows(select: str, fh) -> None:
    """The SELECT's rows as CSV straight from the server into fh, CRLF line ends."""
    out = _CRLF(fh)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", out)
    out.flush()


class _ParallelCopies:
    """The types' COPYs run on their own connections, all reading the exported snapshot, each into a temporary file
    (bounded memory: the rows go to disk as they come), largest first; write_to() waits for a block and joins it."""

    def __init__(self, snapshot: str, workers: int, jobs: list[tuple[str, int]]):
        self.snapshot = snapshot
        self.params = connection.get_connection_params()
        self.local = threading.local()
        self.connections: list = []
        self.lock = threading.Lock()
        self.files: list = []
        self.pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs))), thread_name_prefix="period-csv")
        # Largest block first, so that the connections finish together.
        order = sorted(range(len(jobs)), key=lambda i: -jobs[i][1])
        self.futures = {jobs[i][0]: self.pool.submit(self._copy, jobs[i][0]) for i in order}

    def _connection(self):
        raw = getattr(self.local, "raw", None)
        if raw is None:
            raw = connection.Database.connect(**self.params)
            with self.lock:
                self.connections.append(raw)
            raw.set_session(isolation_level="REPEATABLE READ", readonly=True, autocommit=False)
            with raw.cursor() as cursor:
                cursor.execute("SET TRANSACTION SNAPSHOT %s", [self.snapshot])
            self.local.raw = raw
        return raw

    def _copy(self, select: str):
        fh = tempfile.TemporaryFile(prefix="period-csv-")
        with self.lock:
            self.files.append(fh)
        out = _CRLF(fh)
        with self._connection().cursor() as cursor:
            cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", out)
        out.flush()
        return fh

    def write_to(self, select: str, fh) -> None:
        block = self.futures[select].result()
        block.seek(0)
        shutil.copyfileobj(block, fh, 1 << 20)
        block.close()

    def close(self) -> None:
        for future in self.futures.values():
            future.cancel()
        self.pool.shutdown(wait=True)
        for block in self.files:
            block.close()
        for raw in self.connections:
            raw.close()
