"""Forms for uploading a courier bill and importing a rate card; the services do the checking that matters."""
from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Courier

ACCEPT_TABLES = ".csv,.xlsx,.xls"

# The bill columns a user may point at by their header text, with the header we expect as an example.
BILL_FIELD_LABELS = {
    "waybill_no": _("Waybill number"),
    "billed_fee": _("Billed fee"),
    "billed_weight": _("Billed weight"),
    "province": _("Destination province"),
    "billed_at": _("Pickup time"),
    "business_type": _("Business type"),
}
BILL_FIELD_EXAMPLES = {
    "waybill_no": "运单号",
    "billed_fee": "运费",
    "billed_weight": "计费重量",
    "province": "目的省份",
    "billed_at": "揽收时间",
    "business_type": "业务类型",
}


class CourierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Courier) -> str:
        return f"{obj.code} {obj.name}"


def last_month() -> str:
    first_of_this_month = timezone.localdate().replace(day=1)
    return (first_of_this_month - timedelta(days=1)).strftime("%Y-%m")


class BillUploadForm(forms.Form):
    courier = CourierChoiceField(
        queryset=Courier.objects.filter(active=True).order_by("code"), to_field_name="code", label=_("Courier"),
        empty_label=_("Choose a courier"),
    )
    # Couriers bill by month, week or day: the period is typed the way the bill names it.
    period = forms.RegexField(
        regex=r"^\s*(\d{4}-\d{2}|\d{4}-[Ww]\d{2}|\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?)\s*$",
        label=_("Billing period"), max_length=22,
        widget=forms.TextInput(attrs={"placeholder": "2026-10", "list": "period-hints", "autocomplete": "off"}),
        help_text=_("A month (2026-10), an ISO week (2026-W44), a day (2026-10-05) or a range (2026-10-01..2026-10-15)."),
        error_messages={"invalid": _("Use a month (2026-10), a week (2026-W44), a day (2026-10-05) or a range (2026-10-01..2026-10-15).")},
    )
    # Empty files pass here so that the upload service gives its own, more useful message.
    file = forms.FileField(
        label=_("Bill file"), allow_empty_file=True, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_TABLES}),
        help_text=_("CSV or Excel (.csv, .xlsx, .xls) exactly as the courier sent it."),
    )

    # Asked only when the period already has a bill: a second one is never silently stacked on the first.
    mode = forms.ChoiceField(
        label=_("If this period already has a bill"), required=False, widget=forms.RadioSelect,
        choices=[("", _("Stop and tell me")), ("replace", _("This file replaces it (the work done carries over)")),
                 ("supplement", _("This is a supplementary bill (补充账单) of the same period"))],
    )
    replaces = forms.IntegerField(
        label=_("Bill it replaces (#)"), required=False, min_value=1,
        help_text=_("Only when the period has several bills and this file replaces one of them."),
    )

    # The file's pickup dates may say another period: the clerk either corrects the period or ticks this.
    confirm_period = forms.BooleanField(label=_("The period is right: upload anyway"), required=False)
    # Set by the page once the clerk has seen the preview of the columns guessed; without it a guess is refused.
    confirm_columns = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].initial = last_month()
        for name, label in BILL_FIELD_LABELS.items():
            self.fields[f"map_{name}"] = forms.CharField(
                label=label, required=False, max_length=64,
                widget=forms.TextInput(attrs={"placeholder": BILL_FIELD_EXAMPLES[name]}),
            )

    @staticmethod
    def period_hints() -> list[str]:
        """Suggestions for the period box: recent months, last week, yesterday."""
        from datetime import timedelta

        from django.utils import timezone

        today = timezone.localdate()
        months, first = [], today.replace(day=1)
        for _i in range(3):
            first = (first - timedelta(days=1)).replace(day=1)
            months.append(first.strftime("%Y-%m"))
        year, week, _day = (today - timedelta(days=7)).isocalendar()
        return [today.strftime("%Y-%m"), *months, f"{year}-W{week:02d}", (today - timedelta(days=1)).isoformat()]

    def mapping_fields(self):
        return [self[f"map_{name}"] for name in BILL_FIELD_LABELS]

    def mapping(self) -> dict[str, str]:
        """The header texts the user typed, by field name; empty ones are left to automatic detection."""
        return {
            name: self.cleaned_data[f"map_{name}"].strip()
            for name in BILL_FIELD_LABELS
            if self.cleaned_data.get(f"map_{name}", "").strip()
        }

    def mapping_given(self) -> bool:
        return any(self[f"map_{name}"].value() or self.errors.get(f"map_{name}") for name in BILL_FIELD_LABELS)


class RateCardImportForm(forms.Form):
    courier = CourierChoiceField(
        queryset=Courier.objects.filter(active=True).order_by("code"), to_field_name="code", label=_("Courier"),
        empty_label=_("Choose a courier"),
    )
    file = forms.FileField(
        label=_("Rate card file"), allow_empty_file=True, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_TABLES}),
        help_text=_("One row per province; one column per weight band (e.g. 0.5kg, 1kg), then 续重单价 and 续重单位kg."),
    )
    effective_from = forms.DateField(label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    effective_to = forms.DateField(
        label=_("Effective to"), required=False, help_text=_("Inclusive; leave empty if open-ended."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    volumetric_divisor = forms.IntegerField(
        label=_("Volumetric divisor"), required=False, initial=8000, min_value=1,
        help_text=_("Billable weight = max(actual, L×W×H cm³ ÷ divisor). Leave empty to ignore volume."),
    )
    weight_tolerance_g = forms.IntegerField(label=_("Weight tolerance (g)"), initial=0, min_value=0)
    fee_tolerance_fen = forms.IntegerField(label=_("Fee tolerance (fen)"), initial=0, min_value=0, help_text=_("100 fen = ¥1.00"))
    name = forms.CharField(label=_("Name"), required=False, max_length=128)

    def clean(self):
        data = super().clean()
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", _("The card ends before it starts."))
        return data
