from django.urls import path

from . import views_period

urlpatterns = [
    path("period/", views_period.period_report, name="period-report"),
]
