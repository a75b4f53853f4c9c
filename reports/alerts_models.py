"""Alert rules (预警规则), their firings and the in-app notifications of the people they concern."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertRule(models.Model):
    """A condition someone wants to hear about, checked when its data changes, firing once per period or object."""

    class Type(models.TextChoices):
        OVERCHARGE_RATE = "overcharge_rate", _("Overcharge rate of a counterparty in a run above X%")
        RUN_AT_STAKE = "run_at_stake", _("Money at stake above ¥Y in a run")
        DISCREPANCY_AMOUNT = "discrepancy_amount", _("A discrepancy of a chosen type above ¥Z")
        RECEIVABLES_AGE = "receivables_age", _("Receivables older than N days above ¥W")
        RUN_FAILED = "run_failed", _("A run that failed")
        FILE_MISSING = "file_missing", _("An expected file that did not arrive by a time of day")

    name = models.CharField(_("name"), max_length=100)
    rule_type = models.CharField(_("rule type"), max_length=32, choices=Type.choices)
    threshold_percent = models.DecimalField(_("threshold (%)"), max_digits=7, decimal_places=2, null=True, blank=True)
    threshold_amount = models.DecimalField(_("threshold (¥)"), max_digits=14, decimal_places=2, null=True, blank=True)
    days = models.PositiveIntegerField(_("days"), null=True, blank=True)
    type_code = models.CharField(_("discrepancy type"), max_length=32, blank=True)
    kind = models.CharField(_("kind"), max_length=32, blank=True)
    counterparty = models.ForeignKey("recon.Counterparty", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("counterparty"))
    time_of_day = models.TimeField(_("time of day"), null=True, blank=True)
    file_kind = models.CharField(_("expected file"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)
    subscribers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="alert_rules",
                                         verbose_name=_("subscribers"))
    role = models.ForeignKey("auth.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("role"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        app_label = "reports"
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One firing of a rule for one period or object (its key); the unique key is what keeps it from firing twice."""

    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts",
                             verbose_name=_("rule"))
    # The rule's type, or the system reminder's ("dispute_unanswered") when no rule stands behind it.
    rule_type = models.CharField(_("rule type"), max_length=32)
    key = models.CharField(_("key"), max_length=200)
    # The message as first written, in the product's language: what rows from before message codes show, and the
    # audit trail's and the admin search's text. Readers see `text`, rendered from the code in their own language.
    message = models.TextField(_("message"))
    message_code = models.CharField(_("message code"), max_length=32, blank=True)
    # Money as strings ("8.00"), types, kinds and file kinds as codes: labels are looked up when the message is read.
    message_params = models.JSONField(_("message parameters"), default=dict, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    run = models.ForeignKey("recon.ReconRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                            verbose_name=_("run"), db_constraint=False)
    # Which check inserted the row: the check reads back by it exactly the alerts it fired (a conflict inserts nothing).
    check_token = models.UUIDField(_("check"), db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        app_label = "reports"
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "key"], name="alert_once_per_rule_key",
                                    condition=models.Q(rule__isnull=False)),
            models.UniqueConstraint(fields=["rule_type", "key"], name="alert_once_per_system_key",
                                    condition=models.Q(rule__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def text(self) -> str:
        """The message in the active language."""
        from .alerts import alert_message_text

        return alert_message_text(code=self.message_code, params=self.message_params, stored=self.message)


class Notification(models.Model):
    """An alert as one person sees it in the app: unread until they mark it read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                             verbose_name=_("user"))
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("alert"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        app_label = "reports"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "alert"], name="notification_once_per_user")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]
