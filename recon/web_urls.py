"""The browser pages; the API lives under /api/v1/ (recon.api_urls)."""
from django.urls import path

from couriers import views as couriers
from orders import views as orders
from reports import views as reports

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/status/", views.run_status, name="run-status"),
    path("discrepancies/", views.discrepancy_list, name="discrepancy-list"),
    path("discrepancies/export/", reports.discrepancy_export, name="discrepancy-export"),
    path("discrepancies/<int:pk>/", views.discrepancy_detail, name="discrepancy-detail"),
    path("bills/", couriers.bill_list, name="bill-list"),
    path("bills/upload/", couriers.bill_upload, name="bill-upload"),
    path("bills/<int:pk>/", couriers.bill_detail, name="bill-detail"),
    path("bills/<int:pk>/lines/", couriers.bill_lines, name="bill-lines"),
    path("bills/<int:pk>/rejected/", couriers.bill_rejected, name="bill-rejected"),
    path("bills/<int:pk>/rejected.csv", couriers.bill_rejected_download, name="bill-rejected-download"),
    path("bills/<int:pk>/rerun/", couriers.bill_rerun, name="bill-rerun"),
    path("shipments/", orders.shipment_list, name="shipment-list"),
    path("shipments/import/", orders.shipment_import_view, name="shipment-import"),
    path("rate-cards/", couriers.ratecard_list, name="ratecard-list"),
    path("rate-cards/import/", couriers.ratecard_import, name="ratecard-import"),
    path("rate-cards/<int:pk>/", couriers.ratecard_detail, name="ratecard-detail"),
]
