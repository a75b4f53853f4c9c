"""FilterSets shared by the API, the HTML lists, the exports and the tests."""
import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Discrepancy, DiscrepancyType, ReconRun


class DiscrepancyFilter(django_filters.FilterSet):
    type = django_filters.MultipleChoiceFilter(choices=DiscrepancyType.choices, label=_("type"))
    status = django_filters.MultipleChoiceFilter(choices=Discrepancy.Status.choices, label=_("status"))
    courier = django_filters.CharFilter(field_name="courier__code", lookup_expr="iexact", label=_("courier"))
    run = django_filters.NumberFilter(field_name="run_id", label=_("run"))
    bill = django_filters.NumberFilter(field_name="run__courier_bill_id", label=_("bill"))
    amount_min = django_filters.NumberFilter(field_name="amount_at_stake", lookup_expr="gte", label=_("at stake from"))
    amount_max = django_filters.NumberFilter(field_name="amount_at_stake", lookup_expr="lte", label=_("at stake up to"))
    waybill_no = django_filters.CharFilter(field_name="waybill_no", lookup_expr="startswith", label=_("waybill number"))
    ordering = django_filters.OrderingFilter(
        fields=(("amount_at_stake", "amount_at_stake"), ("waybill_no", "waybill_no"), ("type", "type"),
                ("billed_fee", "billed_fee"), ("line_no", "line_no"), ("id", "id")),
        label=_("sort"),
    )

    class Meta:
        model = Discrepancy
        fields = ["type", "status", "courier", "run", "bill", "amount_min", "amount_max", "waybill_no"]


class ReconRunFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReconRun.Status.choices, label=_("status"))
    courier = django_filters.CharFilter(field_name="courier__code", lookup_expr="iexact", label=_("courier"))
    kind = django_filters.CharFilter(field_name="kind", label=_("kind"))

    class Meta:
        model = ReconRun
        fields = ["status", "courier", "kind"]
