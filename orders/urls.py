"""Our shipments' pages (included at the site's root by recon.web.urls)."""
from django.urls import path

from reports import views as reports

from . import views

urlpatterns = [
    path("shipments/", views.shipment_list, name="shipment-list"),
    path("shipments/import/", views.shipment_import_view, name="shipment-import"),
    path("shipments/export/", reports.shipment_export, name="shipment-export"),
]
