"""Our own records: the shipments we sent out (outbound), the truth courier bills are checked against."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Shipment(models.Model):
    """One parcel we shipped, keyed by its waybill number."""

    class Status(models.TextChoices):
        SHIPPED = "shipped", _("Shipped")
        CANCELLED = "cancelled", _("Cancelled / voided")

    order_no = models.CharField(_("order number"), max_length=64, db_index=True)
    waybill_no = models.CharField(_("waybill number"), max_length=40, unique=True)
    courier = models.ForeignKey("couriers.Courier", on_delete=models.PROTECT, related_name="shipments", verbose_name=_("courier"))
    shipped_at = models.DateTimeField(_("shipped at"))
    weight_g = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    length_mm = models.PositiveIntegerField(_("length (mm)"), null=True, blank=True)
    width_mm = models.PositiveIntegerField(_("width (mm)"), null=True, blank=True)
    height_mm = models.PositiveIntegerField(_("height (mm)"), null=True, blank=True)
    province = models.CharField(_("destination province"), max_length=16, blank=True)
    city = models.CharField(_("destination city"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SHIPPED)
    declared_value = models.DecimalField(_("declared value"), max_digits=12, decimal_places=2, null=True, blank=True)
    # Personal data: masked for every user without orders.view_personal_data.
    recipient_name = models.CharField(_("recipient"), max_length=64, blank=True, default="", db_default="")
    recipient_phone = models.CharField(_("recipient phone"), max_length=32, blank=True, default="", db_default="")
    recipient_address = models.CharField(_("recipient address"), max_length=255, blank=True, default="", db_default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-shipped_at", "id"]
        indexes = [models.Index(fields=["courier", "shipped_at"], name="shipment_courier_shipped")]
        permissions = [("view_personal_data", _("Can see recipients' names, phones and addresses"))]

    def __str__(self) -> str:
        return self.waybill_no
