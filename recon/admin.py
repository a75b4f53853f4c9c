from django.contrib import admin

from .models import Discrepancy, ReconRun


@admin.register(ReconRun)
class ReconRunAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "phase", "courier", "period_start", "input_filename", "created_at", "finished_at"]
    list_filter = ["status", "kind", "courier"]
    readonly_fields = [f.name for f in ReconRun._meta.fields]


@admin.register(Discrepancy)
class DiscrepancyAdmin(admin.ModelAdmin):
    list_display = ["waybill_no", "type", "amount_at_stake", "status", "run"]
    list_filter = ["type", "status"]
    search_fields = ["waybill_no", "order_no"]
    list_select_related = ["run"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Discrepancy._meta.fields if f.name != "status"]
