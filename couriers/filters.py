"""FilterSets for bills, their lines and rejected rows, and rate cards."""
import django_filters
from django.utils.translation import gettext_lazy as _

from recon.review.ordering import StableOrderingFilter

from .models import CourierBill, CourierBillLine, RateCard


class CourierBillFilter(django_filters.FilterSet):
    courier = django_filters.CharFilter(field_name="courier__code", lookup_expr="iexact", label=_("courier"))
    period_from = django_filters.DateFilter(field_name="period_start", lookup_expr="gte", label=_("period from"))
    period_to = django_filters.DateFilter(field_name="period_end", lookup_expr="lte", label=_("period to"))
    ordering = StableOrderingFilter(
        fields=(("uploaded_at", "uploaded_at"), ("period_start", "period_start"), ("line_count", "line_count"),
                ("billed_total", "billed_total")),
        label=_("sort"),
    )

    class Meta:
        model = CourierBill
        fields = ["courier", "period_from", "period_to"]


class CourierBillLineFilter(django_filters.FilterSet):
    result = django_filters.MultipleChoiceFilter(choices=CourierBillLine.Result.choices, label=_("result"))
    waybill_no = django_filters.CharFilter(field_name="waybill_no", lookup_expr="startswith", label=_("waybill number"))
    fee_min = django_filters.NumberFilter(field_name="billed_fee", lookup_expr="gte", label=_("fee from"))
    fee_max = django_filters.NumberFilter(field_name="billed_fee", lookup_expr="lte", label=_("fee up to"))
    ordering = django_filters.OrderingFilter(
        fields=(("line_no", "line_no"), ("billed_fee", "billed_fee"), ("billed_weight_g", "billed_weight_g"), ("waybill_no", "waybill_no")),
        label=_("sort"),
    )

    class Meta:
        model = CourierBillLine
        fields = ["result", "waybill_no", "fee_min", "fee_max"]


class RateCardFilter(django_filters.FilterSet):
    courier = django_filters.CharFilter(field_name="courier__code", lookup_expr="iexact", label=_("courier"))
    ordering = StableOrderingFilter(fields=(("effective_from", "effective_from"),), label=_("sort"))

    class Meta:
        model = RateCard
        fields = ["courier"]
