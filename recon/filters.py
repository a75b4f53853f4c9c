"""FilterSets shared by the API, the HTML lists, the exports and the tests."""
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .kinds import kind_choices, type_choices
from .models import AuditEvent, Discrepancy, Dispute, ReconPeriod, ReconRun

# Sort keys of the queue: never null, so that keyset pagination (recon.selectors.keyset_page) can use them.
# `waybill_no` sorts by the primary reference (the API name it has always had).
QUEUE_SORTS = ["amount_at_stake", "waybill_no", "type", "status", "created_at", "id"]
SORT_FIELDS = {"waybill_no": "ref"}


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
    assignee = django_filters.CharFilter(method="filter_assignee", label=_("assignee"))
    period = django_filters.NumberFilter(field_name="period_id", label=_("period"))
    run = django_filters.NumberFilter(field_name="run_id", label=_("run"))
    bill = django_filters.NumberFilter(field_name="bill_id", label=_("bill"))
    dispute = django_filters.NumberFilter(field_name="dispute_id", label=_("dispute"))
    amount_min = django_filters.NumberFilter(field_name="amount_at_stake", lookup_expr="gte", label=_("at stake from"))
    amount_max = django_filters.NumberFilter(field_name="amount_at_stake", lookup_expr="lte", label=_("at stake up to"))
    waybill_no = django_filters.CharFilter(field_name="ref", lookup_expr="startswith", label=_("waybill number"))
    ordering = django_filters.OrderingFilter(fields=[(SORT_FIELDS.get(f, f), f) for f in QUEUE_SORTS], label=_("sort"))

    class Meta:
        model = Discrepancy
        fields = ["q", "kind", "type", "status", "outcome", "courier", "assignee", "period", "run", "bill", "dispute",
                  "amount_min", "amount_max", "waybill_no"]

    @property
    def narrows_by_waybill_prefix(self) -> bool:
        """Whether a waybill prefix selects the rows: no index walks them in the queue's order, so a page of them is
        best picked by id first (recon.selectors.keyset_page)."""
        # Not for `q`: it also searches ref2, whose rows the ids would be picked from the table anyway, and the few
        # rows an order number or a long prefix finds cost more to pick twice (~1 ms) than to sort whole.
        data = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        return bool(data.get("waybill_no"))

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("run"):
            queryset = queryset.filter(is_current=True)
        return super().filter_queryset(queryset)

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


class ReconRunFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReconRun.Status.choices, label=_("status"))
    courier = django_filters.CharFilter(field_name="counterparty__code", lookup_expr="iexact", label=_("courier"))
    kind = django_filters.CharFilter(field_name="kind", label=_("kind"))

    class Meta:
        model = ReconRun
        fields = ["status", "courier", "kind"]


class DisputeFilter(django_filters.FilterSet):
    """Disputes by courier and status, shared by the list page and the API."""

    courier = django_filters.CharFilter(field_name="counterparty__code", lookup_expr="iexact", label=_("courier"))
    status = django_filters.ChoiceFilter(choices=Dispute.Status.choices, label=_("status"))
    number = django_filters.CharFilter(field_name="number", lookup_expr="istartswith", label=_("number"))

    class Meta:
        model = Dispute
        fields = ["courier", "status", "number"]


AUDIT_OBJECT_TYPES = [
    ("", _("All")), ("discrepancy", _("Discrepancy")), ("courier_bill", _("Bill")), ("rate_card", _("Rate card")),
    ("period", _("Period")), ("dispute", _("Dispute")), ("setting", _("Setting")),
]


class AuditEventFilter(django_filters.FilterSet):
    """The audit trail's filters, shared by the page, its export and the API."""

    # Free text for the API (any object type it records); the page offers the common ones in a list.
    object_type = django_filters.CharFilter(field_name="object_type", label=_("Object"), widget=forms.Select(choices=AUDIT_OBJECT_TYPES))
    object_id = django_filters.NumberFilter(field_name="object_id", label=_("Object id"))
    actor = django_filters.CharFilter(method="filter_stripped", field_name="actor_name", label=_("User"))
    action = django_filters.CharFilter(method="filter_stripped", field_name="action", label=_("Action"))
    since = django_filters.DateFilter(method="filter_since", label=pgettext_lazy("date", "From"),
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(method="filter_until", label=pgettext_lazy("date", "Up to"),
                                      widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEvent
        fields = ["object_type", "object_id", "actor", "action", "since", "until"]

    def filter_stripped(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(**{name: value}) if value else queryset

    def filter_since(self, queryset, name, value):
        return queryset.filter(at__gte=_local_midnight(value))

    def filter_until(self, queryset, name, value):
        # Up to and including that local day.
        return queryset.filter(at__lt=_local_midnight(value) + timedelta(days=1))


def _local_midnight(day):
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class ReconPeriodFilter(django_filters.FilterSet):
    """Periods by courier and status, shared by the list page and the API."""

    courier = django_filters.CharFilter(field_name="counterparty__code", lookup_expr="iexact", label=_("courier"))
    status = django_filters.ChoiceFilter(choices=ReconPeriod.Status.choices, label=_("status"))

    class Meta:
        model = ReconPeriod
        fields = ["courier", "status"]
