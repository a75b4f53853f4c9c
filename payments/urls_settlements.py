"""Settlement pages (included at the site's root by recon.web.urls)."""
from django.urls import path

from . import settlement_views as views

urlpatterns = [
    path("payments/settlements/", views.settlement_list, name="settlement-list"),
    path("payments/settlements/upload/", views.settlement_upload, name="settlement-upload"),
    path("payments/settlements/inspect/", views.settlements_inspect, name="settlements-inspect"),
    path("payments/settlements/files/<int:pk>/rejected/", views.settlement_file_rejected, name="settlement-file-rejected"),
    path("payments/settlements/files/<int:pk>/rejected/download/", views.settlement_file_rejected_download,
         name="settlement-file-rejected-download"),
]
