"""The one FilterSet of settlement lines, shared by the API and the page."""
import django_filters
from django.utils.translation import gettext_lazy as _

from .models import SettlementLine


BUSINESS_TYPE_LABELS = dict(SettlementLine.BusinessType.choices)


class SettlementLineFilter(django_filters.FilterSet):
    platform = django_filters.CharFilter(field_name="platform__code", lookup_expr="iexact", label=_("platform"))
    business_type = django_filters.ChoiceFilter(field_name="business_type", choices=list(BUSINESS_TYPE_LABELS.items()),
                                                label=_("business type"))
    order_no = django_filters.CharFilter(field_name="order_no", lookup_expr="startswith", label=_("order number"))
    occurred_from = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte", label=_("occurred from"))
    occurred_to = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte", label=_("occurred to"))

    class Meta:
        model = SettlementLine
        fields = ["platform", "business_type", "order_no", "occurred_from", "occurred_to"]
