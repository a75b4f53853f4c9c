"""Receivables pages (included at the site's root by recon.web.urls)."""
from django.urls import path

from . import views_receivables as views

urlpatterns = [
    path("payments/receivables/", views.receivable_list, name="receivable-list"),
    path("payments/receivables/follow-up/", views.receivable_follow_up, name="receivable-follow-up"),
    path("payments/receivables/export.csv", views.receivable_export, {"fmt": "csv"}, name="receivable-export-csv"),
    path("payments/receivables/export.xlsx", views.receivable_export, {"fmt": "xlsx"}, name="receivable-export-xlsx"),
    path("payments/collections/", views.collection_overview, name="collection-overview"),
]
