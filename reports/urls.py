"""The reports app's pages, included at reports/ by recon/urls.py."""
from django.urls import path

from . import views_alerts, views_review

urlpatterns = [
    path("alerts/", views_alerts.alert_rule_list, name="alert-rule-list"),
    path("alerts/new/", views_alerts.alert_rule_new, name="alert-rule-new"),
    path("alerts/<int:pk>/", views_alerts.alert_rule_edit, name="alert-rule-edit"),
    path("alerts/<int:pk>/deactivate/", views_alerts.alert_rule_deactivate_view, name="alert-rule-deactivate"),
    path("notifications/", views_alerts.notification_list_view, name="notification-list"),
    path("notifications/read/", views_alerts.notification_read_view, name="notification-read"),
    path("notifications/read-all/", views_alerts.notification_read_all_view, name="notification-read-all"),
    path("review/", views_review.review_page, name="review"),
    path("review/sign-off/", views_review.review_sign_off_view, name="review-sign-off"),
]
