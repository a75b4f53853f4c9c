"""What custom reports (自定义报表) can be built on: the sources, each a model with the dimensions it groups by and the
measures it adds up.

The core declares one source, `discrepancies`; every kind declares its own data (bills, orders, settlements …) through
the `report_sources` hook of its KindSpec, so a kind that lands appears here without this module importing its app.
A dimension or measure is an ORM expression, so a report is one values(...).annotate(...) query in the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db.models import Count, DateField, DecimalField, ExpressionWrapper, F, Func, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils.translation import gettext_lazy as _

from recon.kinds import kind_label, kind_specs, type_label

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONEY = DecimalField(max_digits=16, decimal_places=2)


def month_text(value) -> str:
    """A truncated month (a date or a datetime, as the database gives it) as YYYY-MM."""
    if value is None:
        return ""
    return f"{value.year:04d}-{value.month:02d}"


class MonthStart(Func):
    """The first day of a date's month, as a date.

    On PostgreSQL through `timestamp` (without a time zone): TruncMonth would cast the date to timestamptz, which
    depends on the session's time zone, so the expression could carry no statistics (see the reports migrations).
    """

    output_field = DateField()
    template = "date_trunc('month', (%(expressions)s)::timestamp)::date"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, 'start of month')", **extra)


def month_of(field_name: str, *, tz: bool = False):
    """The month of a date field, or of a timestamp in Shanghai time (where the business day is)."""
    return TruncMonth(field_name, tzinfo=SHANGHAI) if tz else MonthStart(field_name)


@dataclass(frozen=True)
class Dimension:
    """What a report can group by: `expr` (an ORM path or an expression), shown through `display` when given.

    `filter_path` is the lookup a filter on this dimension uses (a code the user types: "ZTO", "weight_overcharge");
    empty when the dimension cannot be filtered on.
    """

    label: Any
    expr: Any
    display: Callable[[Any], Any] | None = None
    filter_path: str = ""

    def show(self, value):
        if value is None:
            return ""
        return self.display(value) if self.display else value


@dataclass(frozen=True)
class Measure:
    """What a report adds up: an aggregate; `money` says whether it is shown as ¥#,##0.00 (else a count)."""

    label: Any
    aggregate: Any
    money: bool = True


@dataclass(frozen=True)
class Summary:
    """A PostgreSQL table of a source's totals kept up to date (by triggers), which answers a definition without the
    source's rows when every dimension, filter and measure it names is here and its dates fall on month boundaries.

    `table` is read as `s`, with `joins` for what its ids name; `dimensions`, `filters` and `measures` are SQL over them
    (an aggregate for a measure, giving the live query's value: NULL where the live sum has no row), `month` the column
    holding the first day of the month the source's date filter compares with.
    """

    table: str
    joins: str
    dimensions: dict[str, str]
    filters: dict[str, str]
    measures: dict[str, str]
    month: str


@dataclass(frozen=True)
class SourceSpec:
    """A report source: a model (app_label.Model), its dimensions and measures, and the date its date filter compares
    (a field's path, or an expression).

    `permission` is what a user needs to read the source's data; `base_filter` keeps rows that are not part of it
    (replaced discrepancies, deleted bills); `summary`, when given, may answer a definition instead of the rows.
    """

    code: str
    label: Any
    model: str
    dimensions: dict[str, Dimension]
    measures: dict[str, Measure]
    date_field: Any
    permission: str
    base_filter: Q = field(default_factory=Q)
    summary: Summary | None = None

    def queryset(self):
        return apps.get_model(self.model).objects.filter(self.base_filter)


# --------------------------------------------------------------------------- the core's source: discrepancies

def _choice_display(model_label: str, field_name: str):
    def display(value):
        model = apps.get_model(model_label)
        return dict(model._meta.get_field(field_name).flatchoices).get(value, value)
    return display


def period_text(start) -> str:
    """A period by its start: "2026-10" for a period starting on the 1st (a month), the start date otherwise."""
    return month_text(start) if start.day == 1 else start.isoformat()


def _claims() -> Q:
    return Q(is_claim=True)


def _rest():
    # A claim's money is what was credited plus a rest that sits in one part (recon.review.selectors.queue_totals).
    return ExpressionWrapper(F("amount_at_stake") - Coalesce("recovered_amount", Value(Decimal("0.00"))), output_field=MONEY)


def _settled(outcome: str) -> Q:
    return _claims() & (Q(outcome=outcome) | Q(outcome="recovered") & Q(shortfall_outcome=outcome))


def discrepancy_day():
    """The day of a discrepancy: the date it happened (its bill line's date, its order's …), else the day it was found
    (its creation, in Shanghai). Its month groups reports and its range is what the date filter keeps, so a report
    filtered on a month holds exactly the rows an unfiltered one shows under that month, undated rows included."""
    return Coalesce("occurred_on", TruncDate("created_at", tzinfo=SHANGHAI), output_field=DateField())


def discrepancy_month():
    """The month of a discrepancy's day ("month of occurrence"): a custom report's month, which the summary table keeps.
    The dashboard, the period report and the analyses file a row under its period's month instead (reports.months);
    a report grouped by "period" gives those."""
    # reports/migrations/0004_discrepancy_month_statistics.py keeps PostgreSQL statistics on exactly this expression,
    # and 0007_discrepancy_month_totals groups by it: change them together.
    return MonthStart(discrepancy_day())


def _rest_sql(condition: str) -> str:
    return f"sum(s.amount_sum - s.recovered_sum) FILTER (WHERE s.is_claim AND {condition})"


def _settled_sql(outcome: str) -> str:
    return _rest_sql(f"(s.outcome = '{outcome}' OR s.outcome = 'recovered' AND s.shortfall_outcome = '{outcome}')")


def discrepancies_summary() -> Summary:
    """reports_discrepancy_month_totals (reports/migrations/0007): the current rows' totals by every dimension of the
    source, with the measures' conditions applied to its groups as the live aggregates apply them to rows."""
    return Summary(
        table="reports_discrepancy_month_totals",
        # Rows with no counterparty or period are kept under id 0, which joins nothing: NULL, as the live outer join.
        joins=("LEFT JOIN recon_counterparty cp ON cp.id = s.counterparty_id "
               "LEFT JOIN recon_reconperiod pe ON pe.id = s.period_id"),
        dimensions={"counterparty": "cp.code", "period": "pe.start", "kind": "s.kind", "type": "s.type",
                    "status": "s.status", "month": "s.month", "outcome": "s.outcome"},
        filters={"counterparty": "cp.code", "kind": "s.kind", "type": "s.type", "status": "s.status",
                 "outcome": "s.outcome"},
        measures={
            "count": "coalesce(sum(s.row_count), 0)::bigint",
            "at_stake": "sum(s.amount_sum) FILTER (WHERE s.is_claim)",
            "recovered": "sum(s.recovered_sum) FILTER (WHERE s.is_claim)",
            "open": _rest_sql("s.status IN ('open', 'investigating')"),
            "disputed": _rest_sql("s.status = 'disputed'"),
            "accepted": _settled_sql("accepted"),
            "written_off": _settled_sql("written_off"),
            "billed": "sum(s.theirs_sum)",
        },
        month="s.month",
    )


def discrepancies_source() -> SourceSpec:
    """The core's source: every kind's discrepancies that are current (a rerun's replaced rows are not counted)."""
    claims = _claims()
    return SourceSpec(
        code="discrepancies",
        label=_("Discrepancies"),
        model="recon.Discrepancy",
        date_field=discrepancy_day(),
        permission="recon.view_discrepancy",
        base_filter=Q(is_current=True),
        summary=discrepancies_summary(),
        dimensions={
            "counterparty": Dimension(_("counterparty"), "counterparty__code", filter_path="counterparty__code"),
            "period": Dimension(_("period"), "period__start", display=period_text),
            "kind": Dimension(_("kind"), "kind", display=kind_label, filter_path="kind"),
            "type": Dimension(_("type"), "type", display=type_label, filter_path="type"),
            "status": Dimension(_("status"), "status", display=_choice_display("recon.Discrepancy", "status"),
                                filter_path="status"),
            # Not the dashboard's month (reports.months, by period): named for what it is on screen and in downloads.
            "month": Dimension(_("month of occurrence"), discrepancy_month(), display=month_text),
            "outcome": Dimension(_("outcome"), "outcome", display=_choice_display("recon.Discrepancy", "outcome"),
                                 filter_path="outcome"),
        },
        measures={
            "count": Measure(_("count"), Count("id"), money=False),
            "at_stake": Measure(_("money at stake"), Sum("amount_at_stake", filter=claims)),
            "recovered": Measure(_("recovered"), Sum("recovered_amount", filter=claims & Q(recovered_amount__isnull=False))),
            "open": Measure(_("open"), Sum(_rest(), filter=claims & Q(status__in=["open", "investigating"]))),
            "disputed": Measure(_("disputed"), Sum(_rest(), filter=claims & Q(status="disputed"))),
            "accepted": Measure(_("accepted"), Sum(_rest(), filter=_settled("accepted"))),
            "written_off": Measure(_("written off"), Sum(_rest(), filter=_settled("written_off"))),
            "billed": Measure(_("their amount"), Sum("theirs_amount")),
        },
    )


# --------------------------------------------------------------------------- the registry


class UnknownSource(LookupError):
    """A source code nobody declared."""


def report_sources() -> dict[str, SourceSpec]:
    """Every source: the core's first, then each kind's in the kinds' order (the first declaration of a code wins)."""
    sources = {"discrepancies": discrepancies_source()}
    for spec in kind_specs().values():
        hook = spec.hook("report_sources")
        if hook is None:
            continue
        for source in (hook() if callable(hook) else hook):
            sources.setdefault(source.code, source)
    return sources


def report_source(code: str) -> SourceSpec:
    try:
        return report_sources()[code]
    except KeyError:
        raise UnknownSource(code) from None
