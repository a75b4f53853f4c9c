"""The upload form of outbound records and pickup scans; the import service decides what a valid row is."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .outbound_specs import OUTBOUND_SPEC, PICKUP_SPEC

SPEC_OF_KIND = {"outbound": OUTBOUND_SPEC, "pickups": PICKUP_SPEC}
# Every field of both kinds: the page sends the columns chosen for the kind of file chosen.
OUTBOUND_MAPPED_FIELDS = tuple(dict.fromkeys(f.name for spec in SPEC_OF_KIND.values() for f in spec.fields))


class OutboundUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of file"),
        # Another kind of file has other columns: the page looks at the file again.
        widget=forms.RadioSelect(attrs={"data-reinspect": "kind"}),
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
    # Set by the page once the clerk has seen the preview of the columns guessed; without it a guess is refused.
    confirm_columns = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The header of the column the preview's chooser picked for a field, sent as map_<field>.
        for name in OUTBOUND_MAPPED_FIELDS:
            self.fields[f"map_{name}"] = forms.CharField(required=False, max_length=64,
                                                         widget=forms.HiddenInput(attrs={"data-from-preview": "1"}))

    def mapping_fields(self):
        return [self[f"map_{name}"] for name in OUTBOUND_MAPPED_FIELDS]

    def mapping(self) -> dict[str, str]:
        """The headers chosen for the kind's fields, by field name; the others are left to automatic detection."""
        names = {f.name for f in SPEC_OF_KIND[self.cleaned_data["kind"]].fields}
        return {name: self.cleaned_data[f"map_{name}"].strip() for name in OUTBOUND_MAPPED_FIELDS
                if name in names and (self.cleaned_data.get(f"map_{name}") or "").strip()}
