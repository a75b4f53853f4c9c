"""The audit trail's FilterSet: who did what, to which object, when (local days)."""
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from recon.core.models import AuditEvent
from recon.core.filters import IdFilter

AUDIT_OBJECT_TYPES = [
    ("", _("All")), ("discrepancy", _("Discrepancy")), ("courier_bill", _("Bill")), ("rate_card", _("Rate card")),
    ("period", _("Period")), ("dispute", _("Dispute")), ("setting", _("Setting")),
]


class AuditEventFilter(django_filters.FilterSet):
    """The audit trail's filters, shared by the page, its export and the API."""

    # Free text for the API (any object type it records); the page offers the common ones in a list.
    object_type = django_filters.CharFilter(field_name="object_type", label=_("Object"), widget=forms.Select(choices=AUDIT_OBJECT_TYPES))
    object_id = IdFilter(field_name="object_id", label=_("Object id"))
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
