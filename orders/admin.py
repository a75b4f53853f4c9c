from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recon.audit.services import AuditedAdminMixin, model_values
from recon.core.errors import UserFacingError

from .masking import RECIPIENT_FIELDS, can_see_personal_data, mask_address, mask_name, mask_phone
from .models import Platform, Shipment
from .services import fee_rate_parse, platform_audit_values


MASKS = {"recipient_name": mask_name, "recipient_phone": mask_phone, "recipient_address": mask_address}


@admin.register(Shipment)
class ShipmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Shipments come from imports; here a manager corrects one (recorded in the trail), and nobody adds or deletes one."""

    audit_object_type = "shipment"
    list_display = ["waybill_no", "order_no", "courier", "shipped_at", "weight_g", "province", "status"]
    list_filter = ["courier", "status"]
    search_fields = ["waybill_no", "order_no"]
    list_select_related = ["courier"]
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f not in RECIPIENT_FIELDS and f != "recipient_masked"]
        return fields + (list(RECIPIENT_FIELDS) if can_see_personal_data(request.user) else ["recipient_masked"])

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if can_see_personal_data(request.user) else [*readonly, "recipient_masked"]

    @admin.display(description=_("recipient"))
    def recipient_masked(self, obj):
        # Without the permission the admin shows what the pages show, and the form cannot overwrite it.
        return " ".join(p for p in (mask_name(obj.recipient_name), mask_phone(obj.recipient_phone), mask_address(obj.recipient_address)) if p)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A deleted shipment would turn its billed lines into unknown waybills at the next run, with no trace.
        return False

    def audit_values(self, obj) -> dict:
        # The trail is read by auditors, who may not see recipients: it records that they changed, masked.
        values = model_values(obj)
        values.pop("updated_at", None)  # changes with every save: not a change anyone made
        for field, mask in MASKS.items():
            values[field] = mask(values[field])
        return values


class PlatformForm(forms.ModelForm):
    """The fee rate read as the command reads it (exact, 0 ≤ rate < 1); names and payer names one per line."""

    fee_rate = forms.CharField(label=_("fee rate"), help_text=_("A fraction of the order's net amount, e.g. 0.05 or 5%"))
    aliases = forms.CharField(label=_("other names"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("One per line: other names found in files, e.g. 抖店"))
    payer_names = forms.CharField(label=_("payer names"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("One per line: the names its payouts arrive under at the bank"))

    class Meta:
        model = Platform
        fields = ["code", "name", "aliases", "fee_rate", "settle_within_days", "ship_within_hours", "payer_names", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["fee_rate"] = format(self.instance.fee_rate.normalize(), "f")
            self.initial["aliases"] = "\n".join(self.instance.aliases or [])
            self.initial["payer_names"] = "\n".join(self.instance.payer_names or [])

    def clean_fee_rate(self):
        try:
            return fee_rate_parse(self.cleaned_data["fee_rate"])
        except UserFacingError as exc:
            raise forms.ValidationError(exc.message) from exc

    @staticmethod
    def _lines(text: str) -> list[str]:
        return list(dict.fromkeys(line.strip() for line in str(text or "").splitlines() if line.strip()))

    def clean_aliases(self):
        return self._lines(self.cleaned_data["aliases"])

    def clean_payer_names(self):
        return self._lines(self.cleaned_data["payer_names"])


@admin.register(Platform)
class PlatformAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A platform's contract, edited by a manager and recorded in the trail; a platform with orders is never deleted."""

    form = PlatformForm
    audit_object_type = "platform"
    list_display = ["code", "name", "fee_rate", "settle_within_days", "ship_within_hours", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # The code is the key files and commands name the platform by.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def audit_values(self, obj) -> dict:
        return platform_audit_values(obj)
