"""FilterSets for bank lines and statements, shared by the API and the pages."""
import django_filters
from django.utils.translation import gettext_lazy as _

from recon.core.filters import IdFilter

from .models import BankLine, BankStatement


class BankLineFilter(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="account__account_no", lookup_expr="exact", label=_("account number"))
    booked_from = django_filters.DateFilter(field_name="booked_on", lookup_expr="gte", label=_("booked from"))
    booked_to = django_filters.DateFilter(field_name="booked_on", lookup_expr="lte", label=_("booked to"))
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label=_("amount from"))
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label=_("amount to"))
    direction = django_filters.ChoiceFilter(choices=[("credit", _("Credits")), ("debit", _("Debits"))],
                                            method="filter_direction", label=_("credit or debit"))
    statement = IdFilter(field_name="statement_id", label=_("statement"))

    class Meta:
        model = BankLine
        fields = ["account", "booked_from", "booked_to", "amount_min", "amount_max", "direction", "statement"]

    def filter_direction(self, queryset, name, value):
        return queryset.filter(amount__gt=0) if value == "credit" else queryset.filter(amount__lt=0)


class BankStatementFilter(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="account__account_no", lookup_expr="exact", label=_("account number"))
    balance_ok = django_filters.BooleanFilter(field_name="balance_ok", label=_("balances add up"))

    class Meta:
        model = BankStatement
        fields = ["account", "balance_ok"]
