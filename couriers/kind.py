"""Courier fees (快递费对账), declared once for the core: types, run services, columns, detail page, reply and rerun keys.

Every reference to a courier-shaped Discrepancy column that the core needs sits here, so renaming a column touches
this file and not the core.
"""
from django.utils.translation import gettext_lazy as _

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
    ColumnSpec("billed_fee", _("Billed fee"), "billed_fee", money=True),
    ColumnSpec("expected_fee", _("Expected fee"), "expected_fee", money=True),
    ColumnSpec("weight", _("Weight billed / ours (kg)"), "billed_weight_g", kg=True, attr2="expected_weight_g", css="num nowrap"),
    ColumnSpec("province", _("Province billed / ours"), "billed_province", attr2="expected_province", css="nowrap"),
)

# The CSV/XLSX export, column for column (the files' headers are the keys; integrations read them).
EXPORT_COLUMNS = (
    ColumnSpec("waybill_no", _("waybill number"), "waybill_no"),
    ColumnSpec("order_no", _("order number"), "order_no"),
    ColumnSpec("type", _("type"), "type"),
    ColumnSpec("type_label", _("type"), "type_label"),
    ColumnSpec("status", _("status"), "status"),
    ColumnSpec("amount_at_stake", _("amount at stake"), "amount_at_stake", money=True),
    ColumnSpec("billed_fee", _("billed fee"), "billed_fee", money=True),
    ColumnSpec("expected_fee", _("expected fee"), "expected_fee", money=True),
    ColumnSpec("billed_weight_g", _("billed weight (g)"), "billed_weight_g"),
    ColumnSpec("expected_weight_g", _("our weight (g)"), "expected_weight_g"),
    ColumnSpec("billed_province", _("billed province"), "billed_province"),
    ColumnSpec("expected_province", _("our province"), "expected_province"),
    ColumnSpec("line_no", _("line"), "line_no"),
    ColumnSpec("courier", _("courier"), "courier.code"),
    ColumnSpec("run_id", _("run"), "run_id"),
    ColumnSpec("reason", _("reason"), "reason"),
)

# The dispute sheet's own columns before the core's (差额, 差异类型, 说明, then the courier's two answer columns).
# The sheet speaks the courier's language whatever the sender's, so its headers are not translated.
DISPUTE_COLUMNS = (
    ColumnSpec("waybill_no", "运单号", "waybill_no"),
    ColumnSpec("billed_weight_g", "账单重量(kg)", "billed_weight_g", kg=True),
    ColumnSpec("expected_weight_g", "我方重量(kg)", "expected_weight_g", kg=True),
    ColumnSpec("billed_fee", "账单运费", "billed_fee", money=True),
    ColumnSpec("expected_fee", "应收运费", "expected_fee", money=True),
)

SPEC = KindSpec(
    code="courier_fee",
    label=_("Courier fees"),
    counterparty_label=_("Courier"),
    types=TYPES,
    execute="couriers.services.courier_fee_run_execute",
    rerun="couriers.services.courier_fee_run_rerun",
    source_file_kinds=(("courier_bill", _("courier bill")), ("rate_card", _("rate card")), ("shipments", _("shipments"))),
    queue_columns=QUEUE_COLUMNS,
    export_columns=EXPORT_COLUMNS,
    dispute_columns=DISPUTE_COLUMNS,
    detail_template="couriers/_discrepancy_detail.html",
    detail_context="couriers.views.discrepancy_detail_context",
    source_field_labels="couriers.forms.BILL_FIELD_LABELS",
    reply_key="waybill_no",
    carry_key=("type", "waybill_no", "line_no"),
)
