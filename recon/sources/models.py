"""One model for every uploaded file of every kind; a kind's own file (a courier bill) extends it by inheritance."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceFile(models.Model):
    """An uploaded file as it was read: where it is stored, its SHA-256, whose it is, and what could not be read.

    `file_kind` is a code a kind declares (KindSpec.source_file_kinds): "courier_bill", "shipments", "returns" …
    The same bytes may be uploaded once per file kind; a kind whose file needs more columns (a courier bill's
    courier and billed total) extends this model with multi-table inheritance, so its rows keep these ids.
    """

    file = models.FileField(_("file"), upload_to="sources/%Y/%m/")
    original_filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size_bytes = models.BigIntegerField(_("size (bytes)"))
    file_kind = models.CharField(_("file kind"), max_length=32)
    counterparty = models.ForeignKey("recon.Counterparty", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="source_files", verbose_name=_("counterparty"))
    period = models.ForeignKey("recon.ReconPeriod", null=True, blank=True, on_delete=models.PROTECT, related_name="source_files",
                               verbose_name=_("reconciliation period"))
    # The header names the file was read with (field → header), remembered or chosen at upload.
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected rows"), default=0)
    read_info = models.JSONField(_("read details"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # Deleting a file hides it (and its discrepancies) and can be undone.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("deleted by"))

    class Meta:
        app_label = "recon"  # the core app (recon.core) holds these tables
        verbose_name = _("source file")
        verbose_name_plural = _("source files")
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["file_kind", "sha256"], name="source_file_unique_hash")]

    def __str__(self) -> str:
        return f"{self.file_kind} #{self.pk} {self.original_filename}"


class RejectedRow(models.Model):
    """A row of an uploaded file that could not be read, kept with its reason so nothing is lost."""

    source = models.ForeignKey(SourceFile, on_delete=models.CASCADE, related_name="rejected_rows", verbose_name=_("source file"))
    sheet = models.CharField(_("sheet"), max_length=64, blank=True)
    row_no = models.PositiveIntegerField(_("row"))
    reason_code = models.CharField(_("reason code"), max_length=32)
    reason = models.TextField(_("reason"))
    raw = models.TextField(_("row as uploaded"), blank=True)

    class Meta:
        app_label = "recon"  # the core app (recon.core) holds these tables
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        ordering = ["source", "sheet", "row_no"]


class ColumnMapping(models.Model):
    """Header names a user chose for a counterparty's files of one kind, tried first on its next upload of that kind.

    Without a counterparty: the choice for a file kind that is nobody's in particular (a warehouse's outbound file, pickup
    scans of several couriers), shared by every upload of that kind.
    """

    counterparty = models.ForeignKey("recon.Counterparty", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="column_mappings", verbose_name=_("counterparty"))
    file_kind = models.CharField(_("file kind"), max_length=32)
    mapping = models.JSONField(_("mapping"), default=dict)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        app_label = "recon"  # the core app (recon.core) holds these tables
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        ordering = ["counterparty", "file_kind"]
        constraints = [
            models.UniqueConstraint(fields=["counterparty", "file_kind"], name="column_mapping_unique_kind"),
            # NULLs are distinct in a unique constraint: the shared row of a kind is kept single by its own.
            models.UniqueConstraint(fields=["file_kind"], condition=models.Q(counterparty__isnull=True),
                                    name="column_mapping_unique_shared_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.counterparty_id} {self.file_kind}"
