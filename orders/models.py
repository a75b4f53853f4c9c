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


class Platform(models.Model):
    """A sales platform (天猫, 京东 …): its contract (fee rate, how soon it settles, how soon we must ship) and the names
    its payouts carry on a bank statement."""

    code = models.CharField(_("code"), max_length=16, unique=True, help_text=_("Upper-case code such as TMALL or JD"))
    name = models.CharField(_("Chinese name"), max_length=32)
    aliases = models.JSONField(_("other names"), default=list, blank=True, help_text=_("Other names found in files, e.g. 抖店"))
    # A fraction of the order's net amount (order amount − refund amount), e.g. 0.05 for 5 %.
    fee_rate = models.DecimalField(_("fee rate"), max_digits=7, decimal_places=6, default=0)
    settle_within_days = models.PositiveIntegerField(_("settled within (days)"), default=15)
    ship_within_hours = models.PositiveIntegerField(_("shipped within (hours)"), default=48)
    payer_names = models.JSONField(_("payer names"), default=list, blank=True,
                                   help_text=_("The names its payouts arrive under at the bank"))
    active = models.BooleanField(_("active"), default=True)
    # The platform as the core knows it: runs, periods, disputes and discrepancies of settlements point at this row.
    counterparty = models.OneToOneField("recon.Counterparty", on_delete=models.PROTECT, related_name="platform",
                                        verbose_name=_("counterparty"), editable=False)

    class Meta:
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        from recon.core.models import Counterparty

        fields = {"kind": Counterparty.Kind.SHOP, "code": self.code, "name": self.name, "active": self.active}
        if self.counterparty_id is None:
            self.counterparty = Counterparty.objects.create(**fields)
        else:
            Counterparty.objects.filter(pk=self.counterparty_id).update(**fields)
        super().save(*args, **kwargs)


class Order(models.Model):
    """A sale on a platform as the platform or the ERP exports it; (platform, order_no) is its key."""

    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        CLOSED = "closed", _("Closed")

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="orders", verbose_name=_("platform"))
    order_no = models.CharField(_("order number"), max_length=64)
    shop = models.CharField(_("shop"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    # What the buyer paid for the whole order, and what was refunded of it (0 when none).
    order_amount = models.DecimalField(_("order amount"), max_digits=14, decimal_places=2)
    refund_amount = models.DecimalField(_("refund amount"), max_digits=14, decimal_places=2, default=0)
    # The file that last wrote this order (none when posted to the API) and its first row there.
    source = models.ForeignKey("recon.SourceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("source file"))
    row_no = models.PositiveIntegerField(_("row"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-paid_at", "id"]
        constraints = [models.UniqueConstraint(fields=["platform", "order_no"], name="order_unique_platform_no")]
        indexes = [
            models.Index(fields=["paid_at"], name="order_paid"),
            models.Index(fields=["order_no"], name="order_no"),
            models.Index(fields=["platform", "shop", "paid_at"], name="order_platform_shop_paid"),
        ]
        permissions = [("import_orders", _("Can import orders"))]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.order_no}"


class OrderLine(models.Model):
    """One item of an order. An order imported again with item columns has its lines replaced."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    line_no = models.PositiveIntegerField(_("line"))
    sku = models.CharField(_("SKU"), max_length=64)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_amount = models.DecimalField(_("item amount"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "line_no"]
        constraints = [models.UniqueConstraint(fields=["order", "line_no"], name="order_line_unique_no")]
        indexes = [models.Index(fields=["sku"], name="order_line_sku")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.sku} ×{self.quantity}"


class OutboundRecord(models.Model):
    """One item (order + SKU) of one outbound (出库单) as the warehouse system writes it; an outbound is one parcel, so
    its waybill, courier, weight, time, warehouse and province repeat on each of its items."""

    outbound_no = models.CharField(_("outbound number"), max_length=64)
    # Text, not a key to Order: an outbound of an order we do not know is a finding of the reconciliation, not an error.
    order_no = models.CharField(_("order number"), max_length=64)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    waybill_no = models.CharField(_("waybill number"), max_length=40)
    courier = models.ForeignKey("couriers.Courier", on_delete=models.PROTECT, related_name="outbound_records",
                                verbose_name=_("courier"))
    packed_weight_g = models.PositiveIntegerField(_("packed weight (g)"), null=True, blank=True)
    outbound_at = models.DateTimeField(_("outbound at"))
    warehouse = models.CharField(_("warehouse"), max_length=64, blank=True)
    province = models.CharField(_("destination province"), max_length=16, blank=True)
    # The file that last wrote this row (none when posted to the API) and its row there.
    source = models.ForeignKey("recon.SourceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("source file"))
    row_no = models.PositiveIntegerField(_("row"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("outbound record")
        verbose_name_plural = _("outbound records")
        ordering = ["-outbound_at", "outbound_no", "id"]
        constraints = [models.UniqueConstraint(fields=["outbound_no", "order_no", "sku"], name="outbound_unique_item")]
        indexes = [
            models.Index(fields=["outbound_at"], name="outbound_at"),
            models.Index(fields=["courier", "waybill_no"], name="outbound_courier_waybill"),
            models.Index(fields=["order_no"], name="outbound_order_no"),
        ]
        permissions = [("import_outbound", _("Can import outbound records and pickup scans"))]

    def __str__(self) -> str:
        return f"{self.outbound_no} {self.order_no} {self.sku}"


class PickupScan(models.Model):
    """A courier's pickup (揽收) of one parcel: when, where and at what weight; (courier, waybill) is its key."""

    courier = models.ForeignKey("couriers.Courier", on_delete=models.PROTECT, related_name="pickup_scans",
                                verbose_name=_("courier"))
    waybill_no = models.CharField(_("waybill number"), max_length=40)
    picked_up_at = models.DateTimeField(_("picked up at"))
    pickup_weight_g = models.PositiveIntegerField(_("pickup weight (g)"), null=True, blank=True)
    site = models.CharField(_("pickup site"), max_length=64, blank=True)
    source = models.ForeignKey("recon.SourceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("source file"))
    row_no = models.PositiveIntegerField(_("row"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pickup scan")
        verbose_name_plural = _("pickup scans")
        ordering = ["-picked_up_at", "id"]
        constraints = [models.UniqueConstraint(fields=["courier", "waybill_no"], name="pickup_unique_waybill")]
        indexes = [models.Index(fields=["picked_up_at"], name="pickup_at")]

    def __str__(self) -> str:
        return f"{self.courier_id} {self.waybill_no}"
