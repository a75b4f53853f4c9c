from django.urls import path

from . import views_custom, views_dashboard, views_exports, views_period

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
]
