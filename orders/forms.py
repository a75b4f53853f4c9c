"""The shipment and orders import forms; the import services decide what a valid row is."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Platform
from .specs import ORDER_SPEC

ORDER_MAPPED_FIELDS = tuple(f.name for f in ORDER_SPEC.fields)


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


class OrderUploadForm(forms.Form):
    platform = forms.ModelChoiceField(
        label=_("Platform"), queryset=Platform.objects.filter(active=True).order_by("code"), required=False,
        to_field_name="code", empty_label=_("From the file's 平台 column"),
        help_text=_("Required when the file has no 平台 column (a platform's own export); a row's own 平台 cell wins."),
        # The preview says what the platform does for this file, and shows its remembered columns.
        widget=forms.Select(attrs={"data-inspect-on-change": "1"}),
    )
    # Empty files pass here so that the import service gives its own message.
    file = forms.FileField(
        label=_("Orders file"), allow_empty_file=True, widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xls"}),
        help_text=_("One row per order line with the order's fields repeated, or one row per order: 订单号, 订单状态, 实付金额, "
                    "and optionally 平台, 店铺, 付款时间, 发货时间, 退款金额, 商品编码, 数量, 商品金额. "
                    "A known order is updated; a file with items replaces its lines."),
    )
    # Set by the page once the clerk has seen the preview of the columns guessed; without it a guess is refused.
    confirm_columns = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The header of the column the preview's chooser picked for a field, sent as map_<field>.
        for name in ORDER_MAPPED_FIELDS:
            self.fields[f"map_{name}"] = forms.CharField(required=False, max_length=64,
                                                         widget=forms.HiddenInput(attrs={"data-from-preview": "1"}))

    def mapping_fields(self):
        return [self[f"map_{name}"] for name in ORDER_MAPPED_FIELDS]

    def mapping(self) -> dict[str, str]:
        """The headers chosen in the preview, by field name; the others are left to automatic detection."""
        return {name: self.cleaned_data[f"map_{name}"].strip() for name in ORDER_MAPPED_FIELDS
                if (self.cleaned_data.get(f"map_{name}") or "").strip()}
