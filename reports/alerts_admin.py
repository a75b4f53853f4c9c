"""Admin pages of alert rules, their alerts and notifications, the review sign-offs and the report subscriptions."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recon.audit.services import AuditedAdminMixin

from .alerts_models import Alert, AlertRule, Notification
from .alerts_rules import alert_rule_parameters, role_label
from .review_models import ReportSubscription, ReviewSignOff


@admin.register(AlertRule)
class AlertRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_object_type = "alert_rule"
    list_display = ["name", "rule_type", "parameters", "role_name", "active"]
    list_filter = ["rule_type", "active"]
    list_select_related = ["counterparty", "role"]
    filter_horizontal = ["subscribers"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    @admin.display(description=_("Parameters"))
    def parameters(self, obj):
        return " · ".join(alert_rule_parameters(rule=obj))

    @admin.display(description=_("role"), ordering="role__name")
    def role_name(self, obj):
        return role_label(obj.role.name) if obj.role_id else ""

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "rule", "rule_type", "key", "amount", "text"]
    list_filter = ["rule_type"]
    readonly_fields = [f.name for f in Alert._meta.fields] + ["text"]

    @admin.display(description=_("message"))
    def text(self, obj):
        return obj.text

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
