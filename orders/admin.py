from django.contrib import admin

from .models import Shipment


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["waybill_no", "order_no", "courier", "shipped_at", "weight_g", "province", "status"]
    list_filter = ["courier", "status"]
    search_fields = ["waybill_no", "order_no"]
    list_select_related = ["courier"]
    show_full_result_count = False
