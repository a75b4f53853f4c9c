"""Returns (退货): what the customer asked to send back, what the warehouse received, and what the courier charged for it."""
from __future__ import annotations

import re

from django.db import models
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _

WAYBILL_LENGTH = 64
RAW_LENGTH = 128


class ReturnRequest(models.Model):
    """One item of a return request (退货申请/售后单) as the platform exports it; (return_no, sku) is its key."""

    class RefundStatus(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        REFUNDED = "refunded", _("Refunded")
        REFUSED = "refused", _("Refused")

    return_no = models.CharField(_("return number"), max_length=64)
    sku = models.CharField(_("SKU"), max_length=64)
    order_no = models.CharField(_("order number"), max_length=64, blank=True)
    platform = models.CharField(_("platform"), max_length=32, blank=True)
    shop = models.CharField(_("shop"), max_length=64, blank=True)
    # Customers type these numbers by hand: the normalised form is matched, the raw one is shown.
    return_waybill_no = models.CharField(_("return waybill number"), max_length=WAYBILL_LENGTH, blank=True)
    return_waybill_raw = models.CharField(_("return waybill as typed"), max_length=RAW_LENGTH, blank=True)
    return_courier = models.ForeignKey("couriers.Courier", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("return courier"))
    return_courier_raw = models.CharField(_("return courier as written"), max_length=64, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    refund_amount = models.DecimalField(_("refund amount"), max_digits=12, decimal_places=2)
    refund_status = models.CharField(_("refund status"), max_length=16, choices=RefundStatus.choices)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    reason = models.CharField(_("return reason"), max_length=255, blank=True)
    # Personal data: masked for every user without orders.view_personal_data, as shipments' recipients are.
    buyer_name = models.CharField(_("buyer"), max_length=64, blank=True)
    buyer_phone = models.CharField(_("buyer phone"), max_length=32, blank=True)
    buyer_address = models.CharField(_("buyer address"), max_length=255, blank=True)
    # The file that last wrote this row (none for rows posted to the API) and the row in it.
    source = models.ForeignKey("recon.SourceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("source file"))
    row_no = models.PositiveIntegerField(_("row"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        ordering = ["-requested_at", "return_no", "sku"]
        constraints = [models.UniqueConstraint(fields=["return_no", "sku"], name="return_request_unique_item")]
        indexes = [
            models.Index(fields=["return_waybill_no"], name="return_request_waybill"),
            models.Index(fields=["order_no"], name="return_request_order"),
            models.Index(fields=["requested_at"], name="return_request_requested"),
        ]

    def __str__(self) -> str:
        return f"{self.return_no} {self.sku}"


class ReturnReceipt(models.Model):
    """One item the warehouse received back (退货入库/签收), with the inspector's verdict on its condition."""

    class Condition(models.TextChoices):
        GOOD = "good", _("Good")
        DAMAGED = "damaged", _("Damaged")
        WRONG_ITEM = "wrong_item", _("Wrong item")
        EMPTY = "empty", _("Empty parcel")
        MISSING_PARTS = "missing_parts", _("Missing parts")

    return_waybill_no = models.CharField(_("return waybill number"), max_length=WAYBILL_LENGTH, blank=True)
    return_waybill_raw = models.CharField(_("return waybill as written"), max_length=RAW_LENGTH, blank=True)
    order_no = models.CharField(_("order number"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received at"))
    sku = models.CharField(_("SKU"), max_length=64)
    # Blank in the file: an empty parcel's count is the requested quantity, decided when matching.
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    condition = models.CharField(_("condition"), max_length=16, choices=Condition.choices)
    warehouse = models.CharField(_("warehouse"), max_length=64, blank=True)
    inspector = models.CharField(_("inspector"), max_length=64, blank=True)
    # What the photo column held, one entry per link; text that is no link is kept too, shown but never linked. A
    # default in the database too: set-based writers that know nothing of photos insert receipts without them.
    photos = models.JSONField(_("photos"), default=list, db_default=models.Value([], output_field=models.JSONField()),
                              blank=True)
    # The natural key, computed by the database so that no writer can get it wrong: waybill + SKU + condition, or the
    # order number in place of a waybill the warehouse did not record.
    receipt_key = models.GeneratedField(
        expression=Concat(
            models.Case(
                models.When(return_waybill_no="", then=Concat(models.Value("o:"), "order_no")),
                default=Concat(models.Value("w:"), "return_waybill_no"),
            ),
            models.Value("|"), "sku", models.Value("|"), "condition",
        ),
        output_field=models.CharField(max_length=200),
        db_persist=True,
    )
    source = models.ForeignKey("recon.SourceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("source file"))
    row_no = models.PositiveIntegerField(_("row"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    def photo_entries(self) -> list[dict]:
        """Each entry of the photo cell with its link: only http(s) addresses are links, the rest is shown as text."""
        return [{"text": str(p), "url": str(p) if re.match(r"https?://\S+$", str(p), re.I) else None} for p in self.photos or []]

    class Meta:
        verbose_name = _("return receipt")
        verbose_name_plural = _("return receipts")
        ordering = ["-received_at", "id"]
        constraints = [models.UniqueConstraint(fields=["receipt_key"], name="return_receipt_unique_key")]
        indexes = [
            models.Index(fields=["return_waybill_no"], name="return_receipt_waybill"),
            models.Index(fields=["order_no"], name="return_receipt_order"),
            models.Index(fields=["received_at"], name="return_receipt_received"),
        ]

    def __str__(self) -> str:
        return f"{self.return_waybill_no or self.order_no} {self.sku} {self.condition}"


class ReturnFreightLine(models.Model):
    """A charge of the courier for carrying a return back (退件运费). Never unique: a repeated charge is evidence."""

    FILE_KIND = "return_freight"

    source = models.ForeignKey("recon.SourceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("source file"))
    courier = models.ForeignKey("couriers.Courier", on_delete=models.PROTECT, related_name="+", verbose_name=_("courier"))
    waybill_no = models.CharField(_("waybill number"), max_length=WAYBILL_LENGTH)
    waybill_raw = models.CharField(_("waybill as written"), max_length=RAW_LENGTH, blank=True)
    billed_at = models.DateTimeField(_("billed date"), null=True, blank=True)
    billed_weight_g = models.PositiveIntegerField(_("billed weight (g)"), null=True, blank=True)
    fee = models.DecimalField(_("fee"), max_digits=12, decimal_places=2)
    # A return is priced by the province it comes from: the origin column wins over a destination one.
    origin_province = models.CharField(_("origin province"), max_length=16, blank=True)
    origin_province_raw = models.CharField(_("origin province as written"), max_length=64, blank=True)
    line_no = models.PositiveIntegerField(_("line"))
    sheet = models.CharField(_("sheet"), max_length=64, blank=True)
    row_no = models.PositiveIntegerField(_("row"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("return freight line")
        verbose_name_plural = _("return freight lines")
        ordering = ["source", "line_no", "id"]
        indexes = [
            models.Index(fields=["waybill_no"], name="return_freight_waybill"),
            models.Index(fields=["courier", "billed_at"], name="return_freight_courier_date"),
        ]

    def __str__(self) -> str:
        return f"{self.waybill_no} ¥{self.fee}"
