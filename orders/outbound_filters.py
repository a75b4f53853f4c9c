"""FilterSets for outbound records and pickup scans, shared by the API's lists and their tests."""
import django_filters
from django.utils.translation import gettext_lazy as _

from recon.review.ordering import StableOrderingFilter

from .models import OutboundRecord, PickupScan


class OutboundRecordFilter(django_filters.FilterSet):
    courier = django_filters.CharFilter(field_name="courier__code", lookup_expr="iexact", label=_("courier"))
    waybill_no = django_filters.CharFilter(field_name="waybill_no", lookup_expr="startswith", label=_("waybill number"))
    order_no = django_filters.CharFilter(field_name="order_no", lookup_expr="startswith", label=_("order number"))
    outbound_no = django_filters.CharFilter(field_name="outbound_no", lookup_expr="startswith", label=_("outbound number"))
    outbound_from = django_filters.DateFilter(field_name="outbound_at", lookup_expr="date__gte", label=_("outbound from"))
    outbound_to = django_filters.DateFilter(field_name="outbound_at", lookup_expr="date__lte", label=_("outbound to"))
    ordering = StableOrderingFilter(
        fields=(("outbound_at", "outbound_at"), ("outbound_no", "outbound_no"), ("waybill_no", "waybill_no")), label=_("sort"),
    )

    class Meta:
        model = OutboundRecord
        fields = ["courier", "waybill_no", "order_no", "outbound_no", "outbound_from", "outbound_to"]


class PickupScanFilter(django_filters.FilterSet):
    courier = django_filters.CharFilter(field_name="courier__code", lookup_expr="iexact", label=_("courier"))
    waybill_no = django_filters.CharFilter(field_name="waybill_no", lookup_expr="startswith", label=_("waybill number"))
    picked_up_from = django_filters.DateFilter(field_name="picked_up_at", lookup_expr="date__gte", label=_("picked up from"))
    picked_up_to = django_filters.DateFilter(field_name="picked_up_at", lookup_expr="date__lte", label=_("picked up to"))
    ordering = StableOrderingFilter(
        fields=(("picked_up_at", "picked_up_at"), ("waybill_no", "waybill_no"), ("pickup_weight_g", "pickup_weight_g")),
        label=_("sort"),
    )

    class Meta:
        model = PickupScan
        fields = ["courier", "waybill_no", "picked_up_from", "picked_up_to"]
