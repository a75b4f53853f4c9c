from django.urls import path

from . import views_dashboard, views_exports, views_period

urlpatterns = [
    path("summary.pdf", views_dashboard.summary_pdf, name="reports-summary-pdf"),
    path("period/", views_period.period_report, name="period-report"),
    path("exports/", views_exports.export_list, name="export-list"),
    path("exports/<int:pk>/status/", views_exports.export_status, name="export-status"),
    path("exports/<int:pk>/download/", views_exports.export_download, name="export-download"),
]
