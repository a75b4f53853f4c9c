"""The browser pages; the API lives under /api/v1/ (recon.api.urls)."""
from django.urls import include, path

from reports import views as reports
from reports import views_dashboard as dashboard_views

from recon.web import disputes as dispute_views
from recon.web import manage as manage_views
from recon.web import queue as queue_views
from recon.web import views

urlpatterns = [
    path("", dashboard_views.dashboard, name="home"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/start/", views.run_start_view, name="run-start"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/status/", views.run_status, name="run-status"),
    path("runs/<int:pk>/rerun/", views.run_rerun_view, name="run-rerun"),
    path("discrepancies/", queue_views.discrepancy_list, name="discrepancy-list"),
    path("discrepancies/totals/", queue_views.discrepancy_totals, name="discrepancy-totals"),
    path("discrepancies/export/", reports.discrepancy_export, name="discrepancy-export"),
    path("discrepancies/bulk/", queue_views.bulk_submit, name="discrepancy-bulk"),
    path("discrepancies/saved-filters/", queue_views.saved_filter_create, name="saved-filter-create"),
    path("discrepancies/saved-filters/<int:pk>/delete/", queue_views.saved_filter_delete, name="saved-filter-delete"),
    path("discrepancies/<int:pk>/", queue_views.discrepancy_detail, name="discrepancy-detail"),
    path("discrepancies/<int:pk>/status/", queue_views.discrepancy_status, name="discrepancy-status"),
    path("discrepancies/<int:pk>/shortfall/", queue_views.discrepancy_shortfall, name="discrepancy-shortfall"),
    path("discrepancies/<int:pk>/assign/", queue_views.discrepancy_assign_view, name="discrepancy-assign"),
    path("discrepancies/<int:pk>/comments/", queue_views.discrepancy_comment, name="discrepancy-comment"),
    path("discrepancies/<int:pk>/attachments/", queue_views.discrepancy_attach, name="discrepancy-attach"),
    path("discrepancies/<int:pk>/attachments/<int:attachment_id>/", queue_views.attachment_download, name="discrepancy-attachment"),
    path("bulk-actions/<int:pk>/", queue_views.bulk_action_detail, name="bulk-action-detail"),
    path("periods/", manage_views.period_list, name="period-list"),
    path("periods/<int:pk>/", manage_views.period_detail, name="period-detail"),
    path("periods/<int:pk>/close/", manage_views.period_close_view, name="period-close"),
    path("periods/<int:pk>/reopen/", manage_views.period_reopen_view, name="period-reopen"),
    path("audit/", manage_views.audit_list, name="audit-list"),
    path("audit/export/", manage_views.audit_export, name="audit-export"),
    path("settings/", manage_views.settings_page, name="settings"),
    path("disputes/", dispute_views.dispute_list, name="dispute-list"),
    path("disputes/new/", dispute_views.dispute_new, name="dispute-new"),
    path("disputes/<int:pk>/", dispute_views.dispute_detail, name="dispute-detail"),
    path("disputes/<int:pk>/file/", dispute_views.dispute_file, name="dispute-file"),
    path("disputes/<int:pk>/answers/", dispute_views.dispute_answers, name="dispute-answers"),
    path("disputes/<int:pk>/reply/", dispute_views.dispute_reply, name="dispute-reply"),
    # Each app's own pages, by module path (the core imports no app's code), at the same paths and names as ever.
    path("", include("couriers.urls")),
    path("", include("orders.urls")),
    path("", include("returns.urls")),
    path("", include("payments.urls_bank")),
    path("", include("payments.urls_settlements")),
    path("", include("payments.urls_receivables")),
]
