"""The periods list's FilterSet."""
import django_filters
from django.utils.translation import gettext_lazy as _

from recon.core.models import ReconPeriod

class ReconPeriodFilter(django_filters.FilterSet):
    """Periods by courier and status, shared by the list page and the API."""

    courier = django_filters.CharFilter(field_name="counterparty__code", lookup_expr="iexact", label=_("courier"))
    status = django_filters.ChoiceFilter(choices=ReconPeriod.Status.choices, label=_("status"))

    class Meta:
        model = ReconPeriod
        fields = ["courier", "status"]
