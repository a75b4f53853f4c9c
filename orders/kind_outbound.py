"""Outbound and shipping (出库/发货对账), declared once for the core: types, run services, columns, settings, carry-over.

Orders ↔ the warehouse's outbound records ↔ the couriers' pickup scans. The type codes are the engine's
(recon.engine.outbound.TYPES), in its order.
"""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from recon.kinds import ColumnSpec, KindSpec, LinkSpec, OptionSpec, SettingSpec, TypeSpec

GRACE_HOURS_SETTING = "pickup_grace_hours"
DEFAULT_GRACE_HOURS = 24


def grace_hours(text: str) -> int:
    """--grace-hours N: a whole number of hours, 0 or more."""
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


INFORMATION = _("information: nothing to claim")

TYPES = (
    TypeSpec("order_not_shipped", _("Order not shipped in time"), claim=False, at_stake=INFORMATION),
    TypeSpec("shipped_not_outbound", _("Shipped on the platform, no outbound"), claim=False, at_stake=INFORMATION),
    # More goods left than were sold: the warehouse owes them (a claim); fewer is information.
    TypeSpec("outbound_quantity_mismatch", _("Outbound quantity differs from the order"), claim=True,
             at_stake=_("the goods sent beyond the order, at the ordered unit price (negative: fewer sent)")),
    TypeSpec("outbound_unknown_order", _("Outbound for an unknown order"), claim=False, at_stake=INFORMATION),
    TypeSpec("waybill_reused", _("Waybill on several outbounds"), claim=False, at_stake=INFORMATION),
    TypeSpec("outbound_not_picked_up", _("Outbound not picked up"), claim=False, at_stake=INFORMATION),
    TypeSpec("picked_up_not_outbound", _("Picked up, never sent by us"), claim=False, at_stake=INFORMATION),
    # Information until the bill comes: the amount is the overcharge to expect on it.
    TypeSpec("pickup_weight_mismatch", _("Pickup weight above our packed weight"), claim=False,
             at_stake=_("the weight overcharge to expect on the courier's bill")),
)

# The waybill: parcel types name it in ref2, and order types have none.
QUEUE_COLUMNS = (ColumnSpec("sku", _("SKU"), "sku", css="mono"),)

# The CSV/XLSX export; the core adds kind, ref, ref2, sku and counterparty after these.
EXPORT_COLUMNS = (
    ColumnSpec("type", _("type"), "type"),
    ColumnSpec("type_label", _("discrepancy type"), "type_label"),
    ColumnSpec("status", _("status"), "status"),
    ColumnSpec("amount_at_stake", _("amount at stake"), "amount_at_stake", money=True),
    ColumnSpec("occurred_on", _("date"), "occurred_on"),
    ColumnSpec("outbound_no", _("outbound number"), "details.outbound_no"),
    ColumnSpec("waybill_no", _("waybill number"), "details.waybill_no"),
    ColumnSpec("warehouse", _("warehouse"), "details.warehouse"),
    ColumnSpec("run_id", _("run"), "run_id"),
    ColumnSpec("reason", _("reason"), "reason"),
)

# The dispute sheet goes to a courier (a pickup it scanned, a weight it measured) or to the warehouse: Chinese headers.
DISPUTE_COLUMNS = (
    ColumnSpec("ref", "单号", "ref"),
    ColumnSpec("ref2", "运单号", "ref2"),
    ColumnSpec("sku", "商品编码", "sku"),
    ColumnSpec("occurred_on", "日期", "occurred_on"),
)

# The weight overcharge a pickup weighed heavy announces: when the courier's bill charges it for the same waybill, the
# two rows link, and each shows the other's weights (the scan's, collected on the day, and the bill's).
LINKS = (
    LinkSpec("pickup_weight_mismatch", "ref2", "courier_fee", "weight_overcharge", "ref",
             evidence=(ColumnSpec("pickup_weight_g", _("Pickup weight"), "details.pickup_weight_g", kg=True),
                       ColumnSpec("picked_up_at", _("Picked up at"), "details.picked_up_at"),
                       ColumnSpec("packed_weight_g", _("Packed weight"), "details.packed_weight_g", kg=True)),
             other_evidence=(ColumnSpec("billed_weight_g", _("Billed weight"), "details.billed_weight_g", kg=True),
                             ColumnSpec("expected_weight_g", _("Our billable weight"), "details.expected_weight_g", kg=True))),
)

SPEC = KindSpec(
    code="outbound",
    label=_("Outbound and shipping"),
    counterparty_label=_("platform or courier"),
    types=TYPES,
    execute="orders.runs_outbound.outbound_run_execute",
    rerun="orders.runs_outbound.outbound_run_rerun",
    reconcile="orders.runs_outbound.outbound_reconcile",
    demo="orders.demo_outbound.outbound_demo",
    source_file_kinds=(("outbound", _("outbound records")), ("pickups", _("pickup scans"))),
    queue_columns=QUEUE_COLUMNS,
    export_columns=EXPORT_COLUMNS,
    dispute_columns=DISPUTE_COLUMNS,
    run_parameter_labels=(("grace_hours", pgettext_lazy("run parameter", "grace hours")),
                          ("ship_within_hours", pgettext_lazy("run parameter", "hours to ship")),
                          ("trigger", pgettext_lazy("run parameter", "started by")),
                          ("waybills", pgettext_lazy("run parameter", "waybills checked"))),
    reconcile_options=(OptionSpec("--grace-hours", "grace_hours", _("hours a courier has to scan a parcel after it leaves "
                                                                  "the warehouse (default: the pickup_grace_hours setting)"),
                                  type=grace_hours, metavar="N"),),
    settings=(SettingSpec(GRACE_HOURS_SETTING, DEFAULT_GRACE_HOURS,
                          _("Hours a courier has to scan a parcel after it leaves the warehouse")),),
    reply_key="ref",
    reply_noun="reference",
    # The same finding on a rerun: its type, order (or outbound, or waybill), second key and SKU agree.
    carry_key=("type", "ref", "ref2", "sku"),
    links=LINKS,
    report_sources="orders.report_sources.report_sources",
)
