"""The returns upload form; the import service decides what a valid row is."""
from django import forms
from django.utils.translation import gettext_lazy as _

from couriers.models import Courier

from .specs import FREIGHT_SPEC, RECEIPT_SPEC, REQUEST_SPEC

SPEC_OF_KIND = {"requests": REQUEST_SPEC, "receipts": RECEIPT_SPEC, "freight": FREIGHT_SPEC}
MAPPED_FIELDS = tuple(dict.fromkeys(f.name for spec in SPEC_OF_KIND.values() for f in spec.fields))


class ReturnsUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("File"),
        choices=[("requests", _("Return requests (退货申请/售后单)")), ("receipts", _("Warehouse receipts (退货入库)")),
                 ("freight", _("Return freight (退件运费)"))],
        # Another kind of file has other columns: the page looks at the file again.
        widget=forms.Select(attrs={"data-reinspect": "kind"}),
    )
    courier = forms.ModelChoiceField(
        label=_("Courier"), queryset=Courier.objects.filter(active=True).order_by("code"), required=False,
        to_field_name="code", help_text=_("Only for return freight: the courier that billed it."),
    )
    # Empty files pass here so that the import service gives its own message.
    file = forms.FileField(label=_("File"), allow_empty_file=True, widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xls"}))
    # Set by the page once the clerk has seen the preview of the columns guessed; without it a guess is refused.
    confirm_columns = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The header of the column the preview's chooser picked for a field, sent as map_<field>.
        for name in MAPPED_FIELDS:
            # Always the preview's choice: another file or kind forgets it (upload.js).
            self.fields[f"map_{name}"] = forms.CharField(required=False, max_length=64,
                                                         widget=forms.HiddenInput(attrs={"data-from-preview": "1"}))

    def mapping_fields(self):
        return [self[f"map_{name}"] for name in MAPPED_FIELDS]

    def mapping(self) -> dict[str, str]:
        """The headers chosen for the kind's fields, by field name; the others are left to automatic detection."""
        names = {f.name for f in SPEC_OF_KIND[self.cleaned_data["kind"]].fields}
        return {name: self.cleaned_data[f"map_{name}"].strip() for name in names
                if (self.cleaned_data.get(f"map_{name}") or "").strip()}

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
