"""The settlement upload form; the import service decides what a valid row is."""
from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from orders.models import Platform

from .settlement_specs import FORMATS

# Every field of every layout: the page sends the columns chosen for the layout its file is in.
SETTLEMENT_MAPPED_FIELDS = tuple(dict.fromkeys(f.name for fmt in FORMATS for f in fmt.spec.fields))


class SettlementUploadForm(forms.Form):
    platform = forms.ModelChoiceField(label=capfirst(_("platform")), queryset=Platform.objects.filter(active=True).order_by("code"),
                                      to_field_name="code", empty_label=None,
                                      # The preview reads the file with the columns remembered for the platform.
                                      widget=forms.Select(attrs={"data-inspect-on-change": "1"}))
    shop = forms.CharField(label=capfirst(_("shop")), max_length=64, required=False,
                           help_text=_("Optional: the shop this platform account belongs to."))
    # Empty files pass here so that the import service gives its own message.
    file = forms.FileField(label=_("File"), allow_empty_file=True, widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xls"}),
                           help_text=_("Alipay account detail, WeChat Pay merchant bill, Alipay or WeChat personal export, "
                                       "or a platform's ledger (JD, Pinduoduo, Douyin, Kuaishou): the layout is recognised "
                                       "from the file's columns."))
    # Set by the page once the clerk has seen the preview of the columns guessed; without it a guess is refused.
    confirm_columns = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The header of the column the preview's chooser picked for a field, sent as map_<field>.
        for name in SETTLEMENT_MAPPED_FIELDS:
            self.fields[f"map_{name}"] = forms.CharField(required=False, max_length=64,
                                                         widget=forms.HiddenInput(attrs={"data-from-preview": "1"}))

    def mapping_fields(self):
        return [self[f"map_{name}"] for name in SETTLEMENT_MAPPED_FIELDS]

    def mapping(self) -> dict[str, str]:
        """The headers chosen in the preview, by field name; the import keeps those of the layout the file is in."""
        return {name: self.cleaned_data[f"map_{name}"].strip() for name in SETTLEMENT_MAPPED_FIELDS
                if (self.cleaned_data.get(f"map_{name}") or "").strip()}
