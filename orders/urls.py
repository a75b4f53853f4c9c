"""Our shipments' and orders' pages (included at the site's root by recon.web.urls)."""
from django.urls import path

from reports import views as reports

from . import views_today, outbound_views, views

urlpatterns = [
    path("shipments/", views.shipment_list, name="shipment-list"),
    path("shipments/import/", views.shipment_import_view, name="shipment-import"),
    path("shipments/export/", reports.shipment_export, name="shipment-export"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/upload/", views.order_upload, name="order-upload"),
    path("orders/inspect/", views.orders_inspect, name="orders-inspect"),
    path("orders/files/<int:pk>/rejected/", views.orders_file_rejected, name="orders-file-rejected"),
    path("orders/files/<int:pk>/rejected/download/", views.orders_file_rejected_download, name="orders-file-rejected-download"),
    path("orders/outbound/upload/", outbound_views.outbound_upload, name="outbound-upload"),
    path("orders/outbound/inspect/", outbound_views.outbound_inspect, name="outbound-inspect"),
    path("orders/outbound/files/<int:pk>/rejected/", outbound_views.outbound_file_rejected, name="outbound-file-rejected"),
    path("orders/outbound/files/<int:pk>/rejected/download/", outbound_views.outbound_file_rejected_download,
         name="outbound-file-rejected-download"),
    path("orders/outbound/today/", views_today.outbound_today_view, name="outbound-today"),
]
