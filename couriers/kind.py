"""Courier fees (快递费对账), declared once for the core: types, run services, columns, detail page, reply and rerun keys.

Every reference to a courier-shaped Discrepancy column that the core needs sits here, so renaming a column touches
this file and not the core.
"""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from recon.ingest.specs import WAYBILL_SYNONYMS
from recon.kinds import ColumnSpec, KindSpec, TypeSpec

OVERCHARGED = _("charged more than the rate card")
BILLED_FOR_NOTHING = _("the whole billed fee")
INFORMATION = _("information: nothing to claim")

TYPES = (
    TypeSpec("unknown_waybill", _("Unknown waybill"), claim=True, at_stake=BILLED_FOR_NOTHING),
    TypeSpec("duplicate_charge", _("Duplicate charge"), claim=True, at_stake=BILLED_FOR_NOTHING),
    TypeSpec("cancelled_shipment_charged", _("Cancelled shipment charged"), claim=True, at_stake=BILLED_FOR_NOTHING),
    TypeSpec("courier_mismatch", _("Shipped with another courier"), claim=True, at_stake=BILLED_FOR_NOTHING),
    TypeSpec("rate_overcharge", _("Rate overcharge"), claim=True, at_stake=OVERCHARGED),
    TypeSpec("rate_undercharge", _("Rate undercharge"), claim=False, at_stake=INFORMATION, direction="by_us"),
    TypeSpec("zone_mismatch", _("Zone mismatch"), claim=True, at_stake=OVERCHARGED),
    TypeSpec("weight_overcharge", _("Weight overcharge"), claim=True, at_stake=OVERCHARGED),
    TypeSpec("no_rate", _("No rate card"), claim=False, at_stake=INFORMATION),
    TypeSpec("not_billed", _("Shipped, not billed"), claim=False, at_stake=INFORMATION, direction="by_us"),
)

# The queue's columns between the money at stake and the reason, as the list has always shown them.
QUEUE_COLUMNS = (
    ColumnSpec("billed_fee", _("Billed fee"), "theirs_amount", money=True),
    ColumnSpec("expected_fee", _("Expected fee"), "ours_amount", money=True),
    ColumnSpec("weight", _("Weight billed / ours (kg)"), "details.billed_weight_g", kg=True, attr2="details.expected_weight_g", css="num nowrap"),
    ColumnSpec("province", _("Province billed / ours"), "details.billed_province", attr2="details.expected_province", css="nowrap"),
)

# The CSV/XLSX export, column for column (the files' headers are the keys; integrations read them).
EXPORT_COLUMNS = (
    ColumnSpec("waybill_no", _("waybill number"), "ref"),
    ColumnSpec("order_no", _("order number"), "ref2"),
    ColumnSpec("type", _("type"), "type"),
    ColumnSpec("type_label", _("discrepancy type"), "type_label"),
    ColumnSpec("status", _("status"), "status"),
    ColumnSpec("amount_at_stake", _("amount at stake"), "amount_at_stake", money=True),
    ColumnSpec("billed_fee", _("billed fee"), "theirs_amount", money=True),
    ColumnSpec("expected_fee", _("expected fee"), "ours_amount", money=True),
    ColumnSpec("billed_weight_g", _("billed weight (g)"), "details.billed_weight_g"),
    ColumnSpec("expected_weight_g", _("our weight (g)"), "details.expected_weight_g"),
    ColumnSpec("billed_province", _("billed province"), "details.billed_province"),
    ColumnSpec("expected_province", _("our province"), "details.expected_province"),
    ColumnSpec("line_no", _("line"), "source_line"),
    ColumnSpec("courier", _("courier"), "counterparty.code"),
    ColumnSpec("run_id", _("run"), "run_id"),
    ColumnSpec("reason", _("reason"), "reason"),
)

# The period report's sheets: the export's columns with weights in kilograms (0.000), as a reader compares them.
REPORT_COLUMNS = tuple(
    ColumnSpec(c.key.replace("_g", "_kg"), label, c.attr, kg=True) if label else c
    for c, label in ((c, {"billed_weight_g": _("billed weight (kg)"), "expected_weight_g": _("our weight (kg)")}.get(c.key))
                     for c in EXPORT_COLUMNS)
)

# The dispute sheet's own columns before the core's (差额, 差异类型, 说明, then the courier's two answer columns).
# The sheet speaks the courier's language whatever the sender's, so its headers are not translated.
DISPUTE_COLUMNS = (
    ColumnSpec("waybill_no", "运单号", "ref"),
    # The courier finds a charge by the line of its own bill and the day it picked the parcel up (occurred_on).
    ColumnSpec("line_no", "账单行号", "source_line"),
    ColumnSpec("pickup_date", "揽收日期", "occurred_on"),
    ColumnSpec("billed_weight_g", "账单重量(kg)", "details.billed_weight_g", kg=True),
    ColumnSpec("expected_weight_g", "我方重量(kg)", "details.expected_weight_g", kg=True),
    ColumnSpec("billed_fee", "账单运费", "theirs_amount", money=True),
    ColumnSpec("expected_fee", "应收运费", "ours_amount", money=True),
)

SPEC = KindSpec(
    code="courier_fee",
    label=_("Courier fees"),
    counterparty_label=_("Courier"),
    types=TYPES,
    execute="couriers.services.courier_fee_run_execute",
    rerun="couriers.services.courier_fee_run_rerun",
    reconcile="couriers.services.courier_fee_reconcile",
    source_file_kinds=(("courier_bill", _("courier bill")), ("rate_card", _("rate card")), ("shipments", _("shipments"))),
    queue_columns=QUEUE_COLUMNS,
    export_columns=EXPORT_COLUMNS,
    summary_billed_key="billed_total",
    dispute_columns=DISPUTE_COLUMNS,
    detail_template="couriers/_discrepancy_detail.html",
    detail_context="couriers.views.discrepancy_detail_context",
    source_field_labels="couriers.forms.BILL_FIELD_LABELS",
    reply_key="ref",
    # A courier answers on our sheet or on its own table: any name a waybill column goes by, read as a waybill number.
    reply_headers=WAYBILL_SYNONYMS,
    reply_normalize="recon.ingest.clean.normalize_waybill",
    reply_noun="waybill",
    carry_key=("type", "ref", "source_line"),
    demo="couriers.demo.courier_fee_demo",
    period_amounts="couriers.report_hooks.courier_period_amounts",
    report_columns=REPORT_COLUMNS,
    run_parameter_labels=(("mode", pgettext_lazy("run parameter", "mode")),
                          ("replaces", pgettext_lazy("run parameter", "replaces"))),
    run_parameters="couriers.report_hooks.courier_run_parameters",
    report_sources="couriers.report_sources.report_sources",
)
