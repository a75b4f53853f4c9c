"""Bank accounts are kept in the admin; settlement lines are only read there (they come from imports)."""
from django.contrib import admin

from .models import BankAccount, SettlementLine


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    list_display = ("account_no", "name", "bank_name", "currency", "active")
    search_fields = ("account_no", "name", "bank_name")
    list_filter = ("active", "currency")


@admin.register(SettlementLine)
class SettlementLineAdmin(admin.ModelAdmin):
    list_display = ("platform", "settlement_id", "order_no", "occurred_at", "business_type", "amount")
    list_filter = ("platform", "business_type")
    search_fields = ("settlement_id", "order_no", "trade_no")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
