"""Orders against platform settlements (回款对账 · 平台结算), declared once for the core: types, run services, columns,
detail block, carry-over key.

The type codes are the engine's (recon.engine.settlement.TYPES), in its order.
"""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from recon.kinds import ColumnSpec, KindSpec, TypeSpec

INFORMATION = _("information: nothing to claim")

TYPES = (
    TypeSpec("order_unpaid", _("Order not settled"), claim=True, at_stake=_("the money due less the expected fee")),
    # A claim when the platform paid less than the buyer did; money paid in excess is information, and ours to return.
    TypeSpec("settlement_amount_mismatch", _("Settled amount differs from the order"), claim=True,
             at_stake=_("the order amount less the payments settled (negative: paid in excess)")),
    TypeSpec("refund_mismatch", _("Refund differs from the agreed refund"), claim=True,
             at_stake=_("the refunds settled less the agreed refund (negative: refunded less)")),
    TypeSpec("fee_overcharge", _("Platform fee overcharge"), claim=True, at_stake=_("the fees charged above the contracted rate")),
    TypeSpec("settlement_unknown_order", _("Settlement for an unknown order"), claim=False, at_stake=INFORMATION),
)

# The CSV/XLSX export; the core adds kind, ref (the order number, or the line's settlement ID), ref2, sku and
# counterparty (the platform) after these.
EXPORT_COLUMNS = (
    ColumnSpec("type", _("type"), "type"),
    ColumnSpec("type_label", _("discrepancy type"), "type_label"),
    ColumnSpec("status", _("status"), "status"),
    ColumnSpec("amount_at_stake", _("amount at stake"), "amount_at_stake", money=True),
    ColumnSpec("settled", _("settled by the platform"), "theirs_amount", money=True),
    ColumnSpec("expected", _("expected"), "ours_amount", money=True),
    ColumnSpec("occurred_on", _("date"), "occurred_on"),
    ColumnSpec("shop", _("shop"), "details.shop"),
    ColumnSpec("run_id", _("run"), "run_id"),
    ColumnSpec("reason", _("reason"), "reason"),
)

# The dispute sheet goes to the platform: its headers are in the platform's language, not translated.
DISPUTE_COLUMNS = (
    ColumnSpec("ref", "订单号", "ref"),
    ColumnSpec("ref2", "关联订单号", "ref2"),
    ColumnSpec("occurred_on", "日期", "occurred_on"),
    ColumnSpec("settled", "平台结算金额", "theirs_amount", money=True),
    ColumnSpec("expected", "应结算金额", "ours_amount", money=True),
)

SPEC = KindSpec(
    code="settlement",
    label=_("Settlements against orders"),
    counterparty_label=_("platform"),
    types=TYPES,
    execute="payments.runs_settlement.settlement_run_execute",
    rerun="payments.runs_settlement.settlement_run_rerun",
    reconcile="payments.runs_settlement.settlement_reconcile",
    # No queue column: the queue shows every kind's columns on every row, and an order's story is its reference, the
    # money and the reason; the shop is in the export and on the discrepancy's page.
    export_columns=EXPORT_COLUMNS,
    dispute_columns=DISPUTE_COLUMNS,
    detail_template="payments/_settlement_discrepancy_detail.html",
    detail_context="payments.detail_settlement.discrepancy_detail_context",
    demo="payments.demo.settlement_demo",
    source_file_kinds=(("settlement", _("platform settlement file")),),
    receivables_by_age="payments.receivables.receivables_by_age",
    receivable_ages="payments.report_sources.receivable_ages",
    run_parameter_labels=(("platform", pgettext_lazy("run parameter", "platform")),),
    reply_key="ref",
    reply_noun="reference",
    # An order's discrepancy is the same one on a rerun when its type and order number agree; an unknown-order line's
    # when its settlement ID and order number do.
    carry_key=("type", "ref", "ref2"),
    report_sources="payments.report_sources.report_sources",
    collection_analysis="payments.report_sources.collection_analysis",
)
