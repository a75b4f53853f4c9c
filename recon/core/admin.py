from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin

from recon.audit.services import AuditedAdminMixin, audit_record
from recon.core.models import AuditEvent, BulkAction, Discrepancy, Dispute, ReconPeriod, ReconRun, Setting
from recon.sources.models import ColumnMapping, RejectedRow, SourceFile


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through the application's services (which keep the rules and the trail)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReconRun)
class ReconRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "status", "phase", "counterparty", "period_start", "input_filename", "created_at", "finished_at"]
    list_filter = ["status", "kind", "counterparty"]


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyAdmin):
    list_display = ["ref", "type", "amount_at_stake", "status", "outcome", "assignee", "run", "is_current"]
    list_filter = ["type", "status", "outcome", "is_current"]
    search_fields = ["ref", "ref2"]
    list_select_related = ["run", "assignee"]
    show_full_result_count = False


@admin.register(ReconPeriod)
class ReconPeriodAdmin(ReadOnlyAdmin):
    list_display = ["counterparty", "start", "end", "cycle", "status", "closed_by", "closed_at"]
    list_filter = ["counterparty", "status", "cycle"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["number", "counterparty", "status", "item_count", "amount_claimed", "amount_credited", "created_at"]
    list_filter = ["counterparty", "status"]


@admin.register(BulkAction)
class BulkActionAdmin(ReadOnlyAdmin):
    list_display = ["id", "action", "status", "progress_current", "progress_total", "created_by", "created_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "ip", "object_type", "object_id", "action", "note"]
    list_filter = ["object_type", "action"]
    search_fields = ["actor_name", "=object_id"]
    show_full_result_count = False


@admin.register(Setting)
class SettingAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["key", "value", "updated_by", "updated_at"]
    audit_object_type = "setting"


# Lifting a login lockout: a manager deletes the attempts of the username or address (the lock goes with them).
# Managers hold the product's permissions, not axes' own, so the manager's right to change settings opens this page.
LIFT_LOCKOUT_PERMISSION = "recon.change_setting"

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    actions = ["delete_selected"]

    def _may_lift(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.has_perm(LIFT_LOCKOUT_PERMISSION)

    def has_module_permission(self, request):
        return self._may_lift(request)

    def has_view_permission(self, request, obj=None):
        return self._may_lift(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_lift(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _record_lift(request.user, [obj])

    def delete_queryset(self, request, queryset):
        attempts = list(queryset)
        super().delete_queryset(request, queryset)
        _record_lift(request.user, attempts)


def _record_lift(user, attempts) -> None:
    for attempt in attempts:
        audit_record(user=user, object_type="login_lockout", object_id=attempt.pk, action="lift",
                     changes={"username": [attempt.username, None], "ip_address": [attempt.ip_address, None],
                              "failures": [attempt.failures_since_start, 0]}, note="admin")


@admin.register(SourceFile)
class SourceFileAdmin(ReadOnlyAdmin):
    # Files change only through their kind's upload and the soft delete, which keep the rules and the trail.
    list_display = ["id", "file_kind", "counterparty", "original_filename", "line_count", "rejected_count", "uploaded_at", "deleted_at"]
    list_filter = ["file_kind"]


@admin.register(RejectedRow)
class RejectedRowAdmin(ReadOnlyAdmin):
    # A file's rejected rows are its import's evidence (downloadable with the file): they go only with the file.
    list_display = ["source", "sheet", "row_no", "reason_code", "reason"]
    list_filter = ["reason_code"]


@admin.register(ColumnMapping)
class ColumnMappingAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["counterparty", "file_kind", "mapping", "updated_at"]
