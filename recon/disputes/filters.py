"""The disputes list's FilterSet."""
import django_filters
from django.utils.translation import gettext_lazy as _

from recon.core.models import Dispute

class DisputeFilter(django_filters.FilterSet):
    """Disputes by courier and status, shared by the list page and the API."""

    courier = django_filters.CharFilter(field_name="counterparty__code", lookup_expr="iexact", label=_("courier"))
    status = django_filters.ChoiceFilter(choices=Dispute.Status.choices, label=_("status"))
    number = django_filters.CharFilter(field_name="number", lookup_expr="istartswith", label=_("number"))

    class Meta:
        model = Dispute
        fields = ["courier", "status", "number"]
