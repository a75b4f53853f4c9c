"""Courier-fee pages: bills and rate cards (included at the site's root by recon.web.urls)."""
from django.urls import path

from . import views

urlpatterns = [
    path("bills/", views.bill_list, name="bill-list"),
    path("bills/upload/", views.bill_upload, name="bill-upload"),
    path("bills/inspect/", views.bill_inspect, name="bill-inspect"),
    path("bills/<int:pk>/", views.bill_detail, name="bill-detail"),
    path("bills/<int:pk>/lines/", views.bill_lines, name="bill-lines"),
    path("bills/<int:pk>/rejected/", views.bill_rejected, name="bill-rejected"),
    path("bills/<int:pk>/rejected.csv", views.bill_rejected_download, name="bill-rejected-download"),
    path("bills/<int:pk>/rerun/", views.bill_rerun, name="bill-rerun"),
    path("bills/<int:pk>/delete/", views.bill_delete, name="bill-delete"),
    path("bills/<int:pk>/restore/", views.bill_restore, name="bill-restore"),
    path("bills/<int:pk>/rerun-affected/", views.bill_rerun_affected, name="bill-rerun-affected"),
    path("rate-cards/", views.ratecard_list, name="ratecard-list"),
    path("rate-cards/import/", views.ratecard_import, name="ratecard-import"),
    path("rate-cards/<int:pk>/", views.ratecard_detail, name="ratecard-detail"),
]
