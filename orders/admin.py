from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recon.audit.services import AuditedAdminMixin, model_values

from .masking import RECIPIENT_FIELDS, can_see_personal_data, mask_address, mask_name, mask_phone
from .models import Shipment


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
