"""The returns upload form; the import service decides what a valid row is."""
from django import forms
from django.utils.translation import gettext_lazy as _

from couriers.models import Courier


class ReturnsUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("File"),
        choices=[("requests", _("Return requests (退货申请/售后单)")), ("receipts", _("Warehouse receipts (退货入库)")),
                 ("freight", _("Return freight (退件运费)"))],
    )
    courier = forms.ModelChoiceField(
        label=_("Courier"), queryset=Courier.objects.filter(active=True).order_by("code"), required=False,
        to_field_name="code", help_text=_("Only for return freight: the courier that billed it."),
    )
    # Empty files pass here so that the import service gives its own message.
    file = forms.FileField(label=_("File"), allow_empty_file=True, widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xls"}))

    def clean(self):
        data = super().clean()
        if data.get("kind") == "freight" and not data.get("courier"):
            self.add_error("courier", _("Choose the courier that billed this return freight."))
        return data


# A date input shows only ISO dates: the locale's format (2026/10/01) would leave it blank.
DATE_INPUT = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ReturnsOverviewForm(forms.Form):
    """The overview's range (requests by their date), the day it is judged on, and the grace period to judge by."""

    start = forms.DateField(label=_("Requested from"), **DATE_INPUT)
    end = forms.DateField(label=_("Requested to"), **DATE_INPUT)
    as_of = forms.DateField(label=_("As of"), **DATE_INPUT)
    grace_days = forms.IntegerField(label=_("Grace days"), min_value=0, max_value=365, required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end of the range is before its start."))
        return data


class ReturnsReconcileForm(ReturnsOverviewForm):
    """Starting a run from the overview: the same range, as-of day and grace period (blank: the managers' setting)."""

    prefix = "run"
