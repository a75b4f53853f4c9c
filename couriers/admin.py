from django.contrib import admin

from recon.audit.services import AuditedAdminMixin

from .models import Courier, CourierBill, RateCard, RateCardBand, RateCardZone


@admin.register(Courier)
class CourierAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "billing_cycle", "active"]
    search_fields = ["code", "name", "name_en"]


class RateCardZoneInline(admin.TabularInline):
    model = RateCardZone
    extra = 0


class RateCardBandInline(admin.TabularInline):
    model = RateCardBand
    extra = 0


@admin.register(RateCard)
class RateCardAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "rate_card"
    list_display = ["__str__", "courier", "name", "effective_from", "effective_to", "volumetric_divisor", "weight_tolerance_g", "fee_tolerance_fen"]
    list_filter = ["courier"]
    inlines = [RateCardZoneInline, RateCardBandInline]
    readonly_fields = ["created_by", "created_at", "source_filename"]


@admin.register(CourierBill)
class CourierBillAdmin(admin.ModelAdmin):
    list_display = ["id", "courier", "period_start", "period_end", "original_filename", "line_count", "rejected_count", "billed_total", "uploaded_at"]
    list_filter = ["courier"]
    # Bills change only through imports: their lines and results must stay as the run saved them.
    readonly_fields = [f.name for f in CourierBill._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting a bill is a soft delete in the application, recorded and reversible; never a hard delete here.
        return False
