"""Couriers, their contract rate cards (报价单), and the bills they send us with their lines."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from recon.core.models import SourceFile


class Courier(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True, help_text=_("Upper-case code such as ZTO or SF"))
    name = models.CharField(_("Chinese name"), max_length=32)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    aliases = models.JSONField(_("other names"), default=list, blank=True, help_text=_("Other spellings found in files, e.g. 中通快递"))
    active = models.BooleanField(_("active"), default=True)
    billing_cycle = models.CharField(
        _("billing cycle"), max_length=8, default="monthly",
        choices=[("daily", _("Daily")), ("weekly", _("Weekly")), ("monthly", _("Monthly"))],
        help_text=_("How often this courier bills us: the reconciliation periods follow it"),
    )
    # The courier as the core knows it: periods, disputes, runs and discrepancies point at this row. Kept in step
    # with the courier by save().
    counterparty = models.OneToOneField("recon.Counterparty", on_delete=models.PROTECT, related_name="courier",
                                        verbose_name=_("counterparty"), editable=False)

    class Meta:
        verbose_name = _("courier")
        verbose_name_plural = _("couriers")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        from recon.core.models import Counterparty

        fields = {"kind": Counterparty.Kind.COURIER, "code": self.code, "name": self.name, "name_en": self.name_en,
                  "billing_cycle": self.billing_cycle, "active": self.active}
        if self.counterparty_id is None:
            self.counterparty = Counterparty.objects.create(**fields)
        else:
            Counterparty.objects.filter(pk=self.counterparty_id).update(**fields)
        super().save(*args, **kwargs)


class RateCard(models.Model):
    """A courier's price list for a date range: fixed-price weight bands per province, then a per-step price."""

    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="rate_cards", verbose_name=_("courier"))
    name = models.CharField(_("name"), max_length=128, blank=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True, help_text=_("Inclusive; empty means open-ended"))
    volumetric_divisor = models.PositiveIntegerField(
        _("volumetric divisor"), null=True, blank=True, default=8000,
        help_text=_("Billable weight = max(actual, L×W×H cm³ / divisor kg); empty disables volumetric weight"),
    )
    weight_tolerance_g = models.PositiveIntegerField(_("weight tolerance (g)"), default=0)
    fee_tolerance_fen = models.PositiveIntegerField(_("fee tolerance (fen)"), default=0)
    source_filename = models.CharField(_("source file"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rate card")
        verbose_name_plural = _("rate cards")
        ordering = ["courier__code", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=models.F("effective_from")),
                name="rate_card_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        end = self.effective_to.isoformat() if self.effective_to else "…"
        return f"{self.courier.code} {self.effective_from.isoformat()}–{end}"


class RateCardZone(models.Model):
    """A destination province on a card: what each started step above the last band costs."""

    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="zones", verbose_name=_("rate card"))
    province = models.CharField(_("province"), max_length=16)
    step_g = models.PositiveIntegerField(_("additional step (g)"), default=1000)
    step_price = models.DecimalField(_("price per additional step"), max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("rate card zone")
        verbose_name_plural = _("rate card zones")
        ordering = ["rate_card", "province"]
        constraints = [models.UniqueConstraint(fields=["rate_card", "province"], name="zone_unique_province")]

    def __str__(self) -> str:
        return self.province


class RateCardBand(models.Model):
    """Up to `upper_g` grams (inclusive) a parcel to `province` costs `price`."""

    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="bands", verbose_name=_("rate card"))
    province = models.CharField(_("province"), max_length=16)
    upper_g = models.PositiveIntegerField(_("up to (g)"))
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("weight band")
        verbose_name_plural = _("weight bands")
        ordering = ["rate_card", "province", "upper_g"]
        constraints = [models.UniqueConstraint(fields=["rate_card", "province", "upper_g"], name="band_unique_bound")]

    def __str__(self) -> str:
        return f"{self.province} ≤{self.upper_g}g ¥{self.price}"


class CourierBill(SourceFile):
    """A courier's bill for a period, as uploaded; created only once its file has been read in full.

    A source file (file kind "courier_bill") by multi-table inheritance: the stored file, its SHA-256, the uploader,
    the period, the rejected rows and the soft delete are the core's; the bill's id is its source file's id.
    """

    FILE_KIND = "courier_bill"

    # The parent link keeps the column the bill's id always had, so lines, runs and discrepancies keep pointing at it.
    sourcefile_ptr = models.OneToOneField(SourceFile, on_delete=models.CASCADE, parent_link=True, primary_key=True,
                                          db_column="id", related_name="courier_bill", verbose_name=_("source file"))
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="bills", verbose_name=_("courier"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    billed_total = models.DecimalField(_("billed total"), max_digits=14, decimal_places=2, default=0)
    # What the bill charges, independent of its file's format: the SHA-256 of its sorted distinct (waybill, fee in
    # fen) pairs. The same bill sent again as xlsx after CSV has another file hash but this same content hash.
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64, blank=True, db_index=True)
    # A second bill of the same courier and period is either a supplementary bill (补充账单) or replaces an earlier one.
    is_supplement = models.BooleanField(_("supplementary bill"), default=False)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by",
                                 verbose_name=_("replaces bill"))

    class Meta:
        verbose_name = _("courier bill")
        verbose_name_plural = _("courier bills")
        ordering = ["-uploaded_at", "-id"]
        permissions = [
            ("upload_bill", _("Can upload bills and run reconciliations")),
            ("restore_bill", _("Can restore a deleted bill")),
        ]
        indexes = [models.Index(fields=["courier", "period_start"], name="bill_courier_period")]

    def __str__(self) -> str:
        return f"{self.courier.code} {self.period_label} #{self.pk}"

    def save(self, *args, **kwargs):
        # Whatever creates a bill (an import, the demo, a test), its source file says what it is and whose.
        self.file_kind = self.FILE_KIND
        if self.counterparty_id is None:
            self.counterparty_id = Courier.objects.values_list("counterparty_id", flat=True).get(pk=self.courier_id)
        super().save(*args, **kwargs)

    @property
    def period_label(self) -> str:
        if self.period_start.day == 1 and (self.period_end.month != self.period_start.month or self.period_end.day >= 28):
            return self.period_start.strftime("%Y-%m")
        return f"{self.period_start.isoformat()}–{self.period_end.isoformat()}"


class CourierBillLine(models.Model):
    """One charge line of a bill, with what the latest reconciliation found for it."""

    class Result(models.TextChoices):
        OK = "ok", _("OK")
        DISCREPANCY = "discrepancy", _("Discrepancy")
        UNCHECKED = "unchecked", _("Not checked (no rate)")

    # No index of its own: the unique (bill, line_no) index serves every lookup by bill, and one index fewer
    # speeds up the COPY of a million-line bill.
    bill = models.ForeignKey(CourierBill, on_delete=models.CASCADE, related_name="lines", verbose_name=_("bill"), db_index=False)
    line_no = models.PositiveIntegerField(_("line"))
    sheet = models.CharField(_("sheet"), max_length=64, blank=True)
    row_no = models.PositiveIntegerField(_("row"))
    waybill_no = models.CharField(_("waybill number"), max_length=40)
    billed_weight_g = models.PositiveIntegerField(_("billed weight (g)"), null=True, blank=True)
    billed_fee = models.DecimalField(_("billed fee"), max_digits=12, decimal_places=2)
    billed_province = models.CharField(_("billed province"), max_length=16, blank=True)
    billed_province_raw = models.CharField(_("billed destination as written"), max_length=64, blank=True)
    billed_at = models.DateTimeField(_("billed date"), null=True, blank=True)
    # Filled by the reconciliation run; replaced whenever the bill is reconciled again.
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, blank=True)
    expected_fee = models.DecimalField(_("expected fee"), max_digits=12, decimal_places=2, null=True, blank=True)
    our_weight_g = models.PositiveIntegerField(_("our billable weight (g)"), null=True, blank=True)
    our_province = models.CharField(_("our province"), max_length=16, blank=True)
    shipment = models.ForeignKey("orders.Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False)

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill", "line_no"]
        constraints = [models.UniqueConstraint(fields=["bill", "line_no"], name="bill_line_unique_no")]
        indexes = [
            models.Index(fields=["waybill_no"], name="bill_line_waybill"),
            models.Index(fields=["bill", "result"], name="bill_line_result"),
        ]

    def __str__(self) -> str:
        return f"{self.waybill_no} ¥{self.billed_fee}"
