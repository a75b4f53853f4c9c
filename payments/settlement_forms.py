"""The settlement upload form; the import service decides what a valid row is."""
from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from orders.models import Platform


class SettlementUploadForm(forms.Form):
    platform = forms.ModelChoiceField(label=capfirst(_("platform")), queryset=Platform.objects.filter(active=True).order_by("code"),
                                      to_field_name="code", empty_label=None)
    shop = forms.CharField(label=capfirst(_("shop")), max_length=64, required=False,
                           help_text=_("Optional: the shop this platform account belongs to."))
    # Empty files pass here so that the import service gives its own message.
    file = forms.FileField(label=_("File"), allow_empty_file=True, widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xls"}),
                           help_text=_("Alipay account detail, WeChat Pay merchant bill, Alipay or WeChat personal export, "
                                       "or a platform's ledger (JD, Pinduoduo, Douyin, Kuaishou): the layout is recognised "
                                       "from the file's columns."))
