"""Returns' pages (included at the site's root by recon.web.urls)."""
from django.urls import path

from . import views

urlpatterns = [
    path("returns/", views.returns_overview_page, name="return-overview"),
    path("returns/upload/", views.returns_upload, name="returns-upload"),
    path("returns/inspect/", views.returns_inspect, name="returns-inspect"),
    path("returns/reconcile/", views.returns_reconcile_view, name="returns-reconcile"),
    path("returns/requests/", views.return_request_list, name="return-request-list"),
    path("returns/receipts/", views.return_receipt_list, name="return-receipt-list"),
    path("returns/files/<int:pk>/rejected/", views.returns_file_rejected, name="returns-file-rejected"),
    path("returns/files/<int:pk>/rejected/download/", views.returns_file_rejected_download, name="returns-file-rejected-download"),
    # Last: the pages above keep their names even if a return number were "upload".
    path("returns/<str:return_no>/", views.return_detail_page, name="return-detail"),
]
