from django.urls import path

from . import views_custom

urlpatterns = [
    path("custom/", views_custom.custom_report_builder, name="custom-report-builder"),
    path("custom/export/", views_custom.custom_report_export, name="custom-report-export"),
    path("custom/save/", views_custom.custom_report_save, name="custom-report-save"),
    path("custom/saved/", views_custom.custom_report_list, name="custom-report-list"),
    path("custom/<int:pk>/", views_custom.custom_report_detail, name="custom-report-detail"),
    path("custom/<int:pk>/export/", views_custom.custom_report_saved_export, name="custom-report-saved-export"),
    path("custom/<int:pk>/delete/", views_custom.custom_report_delete, name="custom-report-delete"),
    path("analysis/<str:code>/", views_custom.analysis, name="report-analysis"),
]
