"""FilterSets for our shipments and for platforms' orders."""
import django_filters
from django.utils.translation import gettext_lazy as _

from recon.review.ordering import StableOrderingFilter

from .models import Order, Shipment


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


class OrderFilter(django_filters.FilterSet):
    """Shared by the API's list and the orders page."""

    platform = django_filters.CharFilter(field_name="platform__code", lookup_expr="iexact", label=_("platform"))
    shop = django_filters.CharFilter(field_name="shop", label=_("shop"))
    status = django_filters.ChoiceFilter(choices=Order.Status.choices, label=_("status"))
    order_no = django_filters.CharFilter(field_name="order_no", lookup_expr="startswith", label=_("order number"))
    paid_from = django_filters.DateFilter(field_name="paid_at", lookup_expr="date__gte", label=_("paid from"))
    paid_to = django_filters.DateFilter(field_name="paid_at", lookup_expr="date__lte", label=_("paid to"))
    ordering = StableOrderingFilter(
        fields=(("paid_at", "paid_at"), ("order_no", "order_no"), ("order_amount", "order_amount"),
                ("refund_amount", "refund_amount")), label=_("sort"),
    )

    class Meta:
        model = Order
        fields = ["platform", "shop", "status", "order_no", "paid_from", "paid_to"]
