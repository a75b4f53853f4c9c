"""The upload form of outbound records and pickup scans; the import service decides what a valid row is."""
from django import forms
from django.utils.translation import gettext_lazy as _


class OutboundUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of file"), widget=forms.RadioSelect,
        choices=[("outbound", _("Outbound records (出库单)")), ("pickups", _("Pickup scans (揽收记录)"))], initial="outbound",
    )
    # Empty files pass here so that the import service gives its own message.
    file = forms.FileField(
        label=_("File"), allow_empty_file=True, widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xls"}),
        help_text=_("Outbound records: one row per outbound, order and SKU with the parcel's fields repeated: 出库单号, 订单号, "
                    "运单号, 快递公司, 出库数量, 出库时间, and optionally 商品编码, 包裹重量, 仓库, 收货省份. Pickup scans: one row "
                    "per parcel: 运单号, 快递公司, 揽收时间, and optionally 揽收重量, 揽收网点. Weights are in kg unless the header "
                    "says g. A known row is updated."),
    )
