"""FilterSets for returns: one per listable model, shared by the API and the pages."""
import django_filters
from django.utils.translation import gettext_lazy as _

from .models import ReturnFreightLine, ReturnReceipt, ReturnRequest


class ReturnRequestFilter(django_filters.FilterSet):
    return_no = django_filters.CharFilter(field_name="return_no", lookup_expr="startswith", label=_("return number"))
    order_no = django_filters.CharFilter(field_name="order_no", lookup_expr="startswith", label=_("order number"))
    waybill = django_filters.CharFilter(field_name="return_waybill_no", lookup_expr="startswith", label=_("return waybill number"))
    status = django_filters.ChoiceFilter(field_name="refund_status", choices=ReturnRequest.RefundStatus.choices, label=_("refund status"))
    requested_from = django_filters.DateFilter(field_name="requested_at", lookup_expr="date__gte", label=_("requested from"))
    requested_to = django_filters.DateFilter(field_name="requested_at", lookup_expr="date__lte", label=_("requested to"))

    class Meta:
        model = ReturnRequest
        fields = ["return_no", "order_no", "waybill", "status", "requested_from", "requested_to"]


class ReturnReceiptFilter(django_filters.FilterSet):
    order_no = django_filters.CharFilter(field_name="order_no", lookup_expr="startswith", label=_("order number"))
    waybill = django_filters.CharFilter(field_name="return_waybill_no", lookup_expr="startswith", label=_("return waybill number"))
    # A receipt's status is the inspector's verdict on what arrived.
    status = django_filters.ChoiceFilter(field_name="condition", choices=ReturnReceipt.Condition.choices, label=_("condition"))

    class Meta:
        model = ReturnReceipt
        fields = ["order_no", "waybill", "status"]


class ReturnFreightLineFilter(django_filters.FilterSet):
    waybill = django_filters.CharFilter(field_name="waybill_no", lookup_expr="startswith", label=_("waybill number"))
    courier = django_filters.CharFilter(field_name="courier__code", lookup_expr="iexact", label=_("courier"))

    class Meta:
        model = ReturnFreightLine
        fields = ["waybill", "courier"]
