"""Bank statement pages (included at the site's root by recon.web.urls)."""
from django.urls import path

from . import bank_match_views, bank_views

urlpatterns = [
    path("payments/bank/", bank_views.bank_overview, name="bank-overview"),
    path("payments/bank/upload/", bank_views.bank_upload, name="bank-upload"),
    path("payments/bank/inspect/", bank_views.bank_inspect, name="bank-inspect"),
    path("payments/bank/files/<int:pk>/rejected/", bank_views.bank_file_rejected, name="bank-file-rejected"),
    path("payments/bank/files/<int:pk>/rejected/download/", bank_views.bank_file_rejected_download,
         name="bank-file-rejected-download"),
    path("payments/bank/match/", bank_match_views.bank_match, name="bank-match"),
]
