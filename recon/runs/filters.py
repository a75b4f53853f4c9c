"""The runs list's FilterSet."""
import django_filters
from django.utils.translation import gettext_lazy as _

from recon.core.models import ReconRun

class ReconRunFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReconRun.Status.choices, label=_("status"))
    courier = django_filters.CharFilter(field_name="counterparty__code", lookup_expr="iexact", label=_("courier"))
    kind = django_filters.CharFilter(field_name="kind", label=_("kind"))

    class Meta:
        model = ReconRun
        fields = ["status", "courier", "kind"]
