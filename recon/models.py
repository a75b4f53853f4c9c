"""The reconciliation core: a run (one execution over some input) and the discrepancies it found."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RunKind(models.TextChoices):
    COURIER_FEE = "courier_fee", _("Courier fees")


class DiscrepancyType(models.TextChoices):
    """The product's vocabulary: these codes appear in the API and in exports, unchanged."""

    UNKNOWN_WAYBILL = "unknown_waybill", _("Unknown waybill")
    DUPLICATE_CHARGE = "duplicate_charge", _("Duplicate charge")
    CANCELLED_SHIPMENT_CHARGED = "cancelled_shipment_charged", _("Cancelled shipment charged")
    COURIER_MISMATCH = "courier_mismatch", _("Shipped with another courier")
    RATE_OVERCHARGE = "rate_overcharge", _("Rate overcharge")
    RATE_UNDERCHARGE = "rate_undercharge", _("Rate undercharge")
    ZONE_MISMATCH = "zone_mismatch", _("Zone mismatch")
    WEIGHT_OVERCHARGE = "weight_overcharge", _("Weight overcharge")
    NO_RATE = "no_rate", _("No rate card")
    NOT_BILLED = "not_billed", _("Shipped, not billed")


# Types whose money is information, not a claim against the courier.
INFORMATIONAL_TYPES = frozenset({"rate_undercharge", "no_rate", "not_billed"})


class ReconRun(models.Model):
    """One reconciliation: its input, its progress while a worker runs it, and its summary."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        READING = "reading", _("Reading the file")
        VALIDATING = "validating", _("Checking rows")
        LOADING = "loading", _("Loading our shipments and rate cards")
        MATCHING = "matching", _("Matching")
        SAVING = "saving", _("Saving results")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=32, choices=RunKind.choices, default=RunKind.COURIER_FEE)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default=Phase.QUEUED)
    progress_current = models.PositiveIntegerField(_("progress"), default=0)
    progress_total = models.PositiveIntegerField(_("progress total"), default=0)
    courier = models.ForeignKey("couriers.Courier", null=True, blank=True, on_delete=models.PROTECT, related_name="runs", verbose_name=_("courier"))
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    courier_bill = models.ForeignKey("couriers.CourierBill", null=True, blank=True, on_delete=models.CASCADE, related_name="runs", verbose_name=_("bill"))
    # The upload waits here until a worker has read it; the bill exists only after a complete read.
    input_file = models.FileField(_("uploaded file"), upload_to="uploads/%Y/%m/", blank=True)
    input_filename = models.CharField(_("file name"), max_length=255, blank=True)
    input_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    error = models.TextField(_("error"), blank=True)
    error_details = models.JSONField(_("error details"), default=dict, blank=True)
    timings = models.JSONField(_("timings"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("started by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.get_status_display()}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(self.progress_current * 100 / self.progress_total))


class Discrepancy(models.Model):
    """A mismatch found by a run, with the money at stake and a reason a clerk can read."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        INVESTIGATING = "investigating", _("Investigating")
        DISPUTED = "disputed", _("Disputed")
        RESOLVED = "resolved", _("Resolved")

    run = models.ForeignKey(ReconRun, on_delete=models.CASCADE, related_name="discrepancies", verbose_name=_("run"))
    kind = models.CharField(_("kind"), max_length=32, choices=RunKind.choices, default=RunKind.COURIER_FEE)
    type = models.CharField(_("type"), max_length=32, choices=DiscrepancyType.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    courier = models.ForeignKey("couriers.Courier", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("courier"), db_constraint=False)
    bill_line = models.ForeignKey("couriers.CourierBillLine", null=True, blank=True, on_delete=models.CASCADE, related_name="discrepancies", verbose_name=_("bill line"), db_constraint=False)
    shipment = models.ForeignKey("orders.Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("shipment"), db_constraint=False)
    waybill_no = models.CharField(_("waybill number"), max_length=40)
    order_no = models.CharField(_("order number"), max_length=64, blank=True)
    line_no = models.PositiveIntegerField(_("line"), null=True, blank=True)
    billed_fee = models.DecimalField(_("billed fee"), max_digits=12, decimal_places=2, null=True, blank=True)
    expected_fee = models.DecimalField(_("expected fee"), max_digits=12, decimal_places=2, null=True, blank=True)
    billed_weight_g = models.PositiveIntegerField(_("billed weight (g)"), null=True, blank=True)
    expected_weight_g = models.PositiveIntegerField(_("our weight (g)"), null=True, blank=True)
    billed_province = models.CharField(_("billed province"), max_length=16, blank=True)
    expected_province = models.CharField(_("our province"), max_length=16, blank=True)
    amount_at_stake = models.DecimalField(_("amount at stake"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("reason"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        ordering = ["-amount_at_stake", "id"]
        indexes = [
            models.Index(fields=["run", "type"], name="disc_run_type"),
            models.Index(fields=["run", "-amount_at_stake"], name="disc_run_amount"),
            models.Index(fields=["type", "status"], name="disc_type_status"),
            models.Index(fields=["waybill_no"], name="disc_waybill"),
            models.Index(fields=["-amount_at_stake", "id"], name="disc_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.waybill_no} {self.type} ¥{self.amount_at_stake}"
