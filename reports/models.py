from django.conf import settings
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
