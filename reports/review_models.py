"""The monthly review (定期复核): a manager's sign-off of a period, and who receives the scheduled report emails."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewSignOff(models.Model):
    """A manager's sign-off of one month's review."""

    period = models.CharField(_("period"), max_length=7, unique=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("signed off by"))
    signed_at = models.DateTimeField(_("signed off at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        app_label = "reports"
        verbose_name = _("review sign-off")
        verbose_name_plural = _("review sign-offs")
        ordering = ["-period"]
        permissions = [("sign_off_review", _("Can sign off the monthly review"))]

    def __str__(self) -> str:
        return self.period


class ReportSubscription(models.Model):
    """A manager who receives the period report by email, weekly or monthly."""

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions",
                             verbose_name=_("user"))
    cadence = models.CharField(_("cadence"), max_length=8, choices=Cadence.choices)

    class Meta:
        app_label = "reports"
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [models.UniqueConstraint(fields=["user", "cadence"], name="report_subscription_once")]
