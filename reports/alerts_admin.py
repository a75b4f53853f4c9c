"""Admin pages of alert rules, their alerts and notifications, the review sign-offs and the report subscriptions."""
from django.contrib import admin

from recon.audit.services import AuditedAdminMixin

from .alerts_models import Alert, AlertRule, Notification
from .review_models import ReportSubscription, ReviewSignOff


@admin.register(AlertRule)
class AlertRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "alert_rule"
    list_display = ["name", "rule_type", "threshold_percent", "threshold_amount", "days", "type_code", "file_kind",
                    "time_of_day", "active"]
    list_filter = ["rule_type", "active"]
    filter_horizontal = ["subscribers"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "rule", "rule_type", "key", "amount", "message"]
    list_filter = ["rule_type"]
    readonly_fields = [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request):
        return False  # alerts are fired by the checks, never written by hand


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "alert", "read_at"]
    list_filter = ["read_at"]
    raw_id_fields = ["user", "alert"]

    def has_add_permission(self, request):
        return False


@admin.register(ReviewSignOff)
class ReviewSignOffAdmin(admin.ModelAdmin):
    list_display = ["period", "signed_by", "signed_at"]
    readonly_fields = ["period", "signed_by", "signed_at", "note"]

    def has_add_permission(self, request):
        return False  # signed on the review page, where it is audited


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "cadence"]
    list_filter = ["cadence"]
