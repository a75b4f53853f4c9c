"""The queue's FilterSet, shared by the API, the HTML list, the exports and the tests; other lists' live with them."""
import re
from datetime import date

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from recon.kinds import kind_choices, type_choices
from recon.core.models import Discrepancy, ReconPeriod
from recon.core.filters import MAX_ID, IdFilter

# Sort keys of the queue: never null, so that keyset pagination (recon.review.selectors.keyset_page) can use them.
# `waybill_no` sorts by the primary reference (the API name it has always had).
QUEUE_SORTS = ["amount_at_stake", "waybill_no", "type", "status", "created_at", "id"]
SORT_FIELDS = {"waybill_no": "ref"}


class MonthField(forms.CharField):
    """A calendar month as YYYY-MM (the dashboard's and the period report's periods), cleaned to its first day."""

    widget = forms.TextInput(attrs={"placeholder": "YYYY-MM", "size": 8})

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{2})", value)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."), code="invalid_month")
        return date(int(match.group(1)), int(match.group(2)), 1)


@extend_schema_field(OpenApiTypes.STR)
class MonthFilter(django_filters.Filter):
    """A calendar month written YYYY-MM (a string in the API's schema: it filters through periods, not a column)."""

    field_class = MonthField


def month_period_ids(first: date):
    """The ids of the periods that start in the month beginning on `first` (a subquery, not a list)."""
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return ReconPeriod.objects.filter(start__gte=first, start__lt=following).values("id")


class CounterpartyFilter(django_filters.CharFilter):
    """One counterparty by id, or "none" for the rows no counterparty is known for. The dashboard's links use it: two
    counterparties may share a code (the courier JD and the shop JD), which `courier` cannot tell apart."""

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        if value == "none":
            return qs.filter(counterparty__isnull=True)
        if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
            return qs.filter(counterparty_id=int(value))
        return qs.none()


class DiscrepancyFilter(django_filters.FilterSet):
    """The review queue's filter. Without `run` it shows current rows only (the newest run of each live bill)."""

    q = django_filters.CharFilter(method="filter_q", label=_("waybill or order number"))
    # distinct=False: these are columns of the row itself, so no join can repeat a row, and django-filter's default
    # SELECT DISTINCT over every column makes PostgreSQL sort the whole filtered set instead of walking an index.
    kind = django_filters.MultipleChoiceFilter(choices=kind_choices, distinct=False, label=_("kind"))
    type = django_filters.MultipleChoiceFilter(choices=type_choices, distinct=False, label=_("type"))
    status = django_filters.MultipleChoiceFilter(choices=Discrepancy.Status.choices, distinct=False, label=_("status"))
    outcome = django_filters.MultipleChoiceFilter(choices=Discrepancy.Outcome.choices, distinct=False, label=_("outcome"))
    courier = django_filters.CharFilter(field_name="counterparty__code", lookup_expr="iexact", label=_("courier"))
    counterparty = CounterpartyFilter(label=_("counterparty"), widget=forms.HiddenInput)
    assignee = django_filters.CharFilter(method="filter_assignee", label=_("assignee"))
    period = IdFilter(field_name="period_id", label=_("period"))
    # Every counterparty's periods that start in a calendar month: what the dashboard's figures of a month add up.
    month = MonthFilter(method="filter_month", label=_("month"))
    run = IdFilter(field_name="run_id", label=_("run"))
    # The queue keeps its parameter name: a courier bill is the source file of its discrepancies.
    bill = IdFilter(field_name="source_id", label=_("bill"))
    dispute = IdFilter(field_name="dispute_id", label=_("dispute"))
    amount_min = django_filters.NumberFilter(field_name="amount_at_stake", lookup_expr="gte", label=_("at stake from"))
    amount_max = django_filters.NumberFilter(field_name="amount_at_stake", lookup_expr="lte", label=_("at stake up to"))
    waybill_no = django_filters.CharFilter(field_name="ref", lookup_expr="startswith", label=_("waybill number"))
    ordering = django_filters.OrderingFilter(fields=[(SORT_FIELDS.get(f, f), f) for f in QUEUE_SORTS], label=_("sort"))

    class Meta:
        model = Discrepancy
        fields = ["q", "kind", "type", "status", "outcome", "courier", "counterparty", "assignee", "period", "month", "run", "bill", "dispute",
                  "amount_min", "amount_max", "waybill_no"]

    @property
    def narrows_by_waybill_prefix(self) -> bool:
        """Whether a waybill prefix selects the rows: no index walks them in the queue's order, so a page of them is
        best picked by id first (recon.review.selectors.keyset_page)."""
        # Not for `q`: it also searches ref2, whose rows the ids would be picked from the table anyway, and the few
        # rows an order number or a long prefix finds cost more to pick twice (~1 ms) than to sort whole.
        data = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        return bool(data.get("waybill_no"))

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("run"):
            queryset = queryset.filter(is_current=True)
        return super().filter_queryset(queryset)

    def filter_month(self, queryset, name, value):
        # The reports' rule of a month (rows without a period included), so that a dashboard figure and its list agree.
        from reports.months import discrepancy_month_q

        return queryset.filter(discrepancy_month_q(value)) if value else queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Prefix matches use the varchar_pattern_ops indexes on both columns.
        return queryset.filter(Q(ref__startswith=value) | Q(ref2__startswith=value))

    def filter_assignee(self, queryset, name, value):
        value = value.strip()
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            user = getattr(self.request, "user", None)
            return queryset.filter(assignee_id=getattr(user, "pk", None) or -1)
        if value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset.filter(assignee__username=value)


