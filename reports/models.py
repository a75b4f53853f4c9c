"""What the reports app stores: big exports written by a worker, and saved custom reports."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _

from recon.core.models import JobProgress


class ExportJob(JobProgress, models.Model):
    """A big export written by a worker: what was asked, how far it is, the file, and when the file goes away."""

    class Kind(models.TextChoices):
        DISCREPANCIES = "discrepancies", _("Discrepancies")
        PERIOD_REPORT = "period_report", _("Period report")

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs", verbose_name=_("user"))
    kind = models.CharField(_("export"), max_length=32, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=8)
    # For discrepancies, the queue's filter as a query string; for a period report, the period and counterparty.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    progress_current = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="export_job_user")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.format}"


class SavedReport(models.Model):
    """A custom report a user named (自定义报表): its definition (reports/custom.py), shared with roles if its owner says so."""

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_reports",
                              verbose_name=_("owner"))
    definition = models.JSONField(_("definition"), default=dict)
    shared_with_groups = models.ManyToManyField(Group, blank=True, related_name="shared_reports",
                                                verbose_name=_("shared with roles"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_report_unique_name")]

    def __str__(self) -> str:
        return self.name


# The alerts' and the monthly review's models live in their own modules; registered with the app here.
from reports.alerts_models import Alert, AlertRule, Notification  # noqa: E402,F401
from reports.review_models import ReportSubscription, ReviewSignOff  # noqa: E402,F401
