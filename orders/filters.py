"""FilterSet for our shipments."""
import django_filters
from django.utils.translation import gettext_lazy as _

from recon.review.ordering import StableOrderingFilter

from .models import Shipment


class ShipmentFilter(django_filters.FilterSet):
    courier = django_filters.CharFilter(field_name="courier__code", lookup_expr="iexact", label=_("courier"))
    status = django_filters.ChoiceFilter(choices=Shipment.Status.choices, label=_("status"))
    waybill_no = django_filters.CharFilter(field_name="waybill_no", lookup_expr="startswith", label=_("waybill number"))
    order_no = django_filters.CharFilter(field_name="order_no", lookup_expr="startswith", label=_("order number"))
    shipped_from = django_filters.DateFilter(field_name="shipped_at", lookup_expr="date__gte", label=_("shipped from"))
    shipped_to = django_filters.DateFilter(field_name="shipped_at", lookup_expr="date__lte", label=_("shipped to"))
    province = django_filters.CharFilter(field_name="province", label=_("province"))
    ordering = StableOrderingFilter(
        fields=(("shipped_at", "shipped_at"), ("waybill_no", "waybill_no"), ("weight_g", "weight_g")), label=_("sort"),
    )

    class Meta:
        model = Shipment
        fields = ["courier", "status", "waybill_no", "order_no", "shipped_from", "shipped_to", "province"]
