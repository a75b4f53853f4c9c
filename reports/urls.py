from django.urls import path

from . import views_dashboard

urlpatterns = [
    path("summary.pdf", views_dashboard.summary_pdf, name="reports-summary-pdf"),
]
