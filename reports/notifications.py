"""Reads and writes of a user's notifications (the bell), and the context processor that puts the count in the top bar."""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from .alerts_models import Notification


def notification_list(*, user) -> QuerySet[Notification]:
    """The user's notifications, newest first, with their alert and rule."""
    return Notification.objects.filter(user=user).select_related("alert", "alert__rule").order_by("-created_at", "-id")


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_mark_read(*, user, ids) -> int:
    """Mark some of the user's own notifications read; someone else's ids change nothing. The number marked."""
    return Notification.objects.filter(user=user, id__in=list(ids), read_at__isnull=True).update(read_at=timezone.now())


def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; the number marked."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def notifications_context(request) -> dict:
    """The bell's count, counted only when a page shows the bell (a callable: the template calls it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": lambda: notification_unread_count(user=user)}
