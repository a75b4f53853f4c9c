"""What the reports app stores."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _


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
