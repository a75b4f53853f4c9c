"""The reports app's pages, included at reports/ by recon/urls.py."""
from django.urls import path

from . import views_alerts, views_custom, views_dashboard, views_exports, views_period, views_review

urlpatterns = [
    path("summary.pdf", views_dashboard.summary_pdf, name="reports-summary-pdf"),
    path("period/", views_period.period_report, name="period-report"),
    path("exports/", views_exports.export_list, name="export-list"),
    path("exports/<int:pk>/status/", views_exports.export_status, name="export-status"),
    path("exports/<int:pk>/download/", views_exports.export_download, name="export-download"),
    path("custom/", views_custom.custom_report_builder, name="custom-report-builder"),
    path("custom/export/", views_custom.custom_report_export, name="custom-report-export"),
    path("custom/save/", views_custom.custom_report_save, name="custom-report-save"),
    path("custom/saved/", views_custom.custom_report_list, name="custom-report-list"),
    path("custom/<int:pk>/", views_custom.custom_report_detail, name="custom-report-detail"),
    path("custom/<int:pk>/export/", views_custom.custom_report_saved_export, name="custom-report-saved-export"),
    path("custom/<int:pk>/delete/", views_custom.custom_report_delete, name="custom-report-delete"),
    path("analysis/<str:code>/", views_custom.analysis, name="report-analysis"),
    path("alerts/", views_alerts.alert_rule_list, name="alert-rule-list"),
    path("alerts/new/", views_alerts.alert_rule_new, name="alert-rule-new"),
    path("alerts/<int:pk>/", views_alerts.alert_rule_edit, name="alert-rule-edit"),
    path("alerts/<int:pk>/deactivate/", views_alerts.alert_rule_deactivate_view, name="alert-rule-deactivate"),
    path("notifications/", views_alerts.notification_list_view, name="notification-list"),
    path("notifications/read/", views_alerts.notification_read_view, name="notification-read"),
    path("notifications/read-all/", views_alerts.notification_read_all_view, name="notification-read-all"),
    path("review/", views_review.review_page, name="review"),
    path("review/sign-off/", views_review.review_sign_off_view, name="review-sign-off"),
]
