"""The shipment import form; the import service decides what a valid row is."""
from django import forms
from django.utils.translation import gettext_lazy as _


class ShipmentImportForm(forms.Form):
    # Empty files pass here so that the import service gives its own message.
    file = forms.FileField(
        label=_("Shipments file"), allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xls"}),
        help_text=_(
            "Columns: 订单号, 运单号, 快递公司, 发货时间, and optionally 重量, 长, 宽, 高, 省份, 城市, 状态, 收件人, 收件人电话, 收件地址. "
            "A known waybill is updated; an empty recipient cell keeps the recipient already stored."
        ),
    )
