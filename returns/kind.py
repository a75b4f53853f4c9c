"""Returns (退货对账), declared once for the core: types, run services, columns, detail page, reply and carry-over keys.

The type codes are the engine's (recon.engine.returns.TYPES), in its order.
"""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from recon.kinds import ColumnSpec, KindSpec, OptionSpec, SettingSpec, TypeSpec

GRACE_DAYS_SETTING = "returns_grace_days"


def grace_days(text: str) -> int:
    """--grace-days N: a whole number of days, 0 or more."""
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


REFUND_PAID = _("the refund paid for a return that never came back")
BILLED_FOR_NOTHING = _("the whole billed fee")
OVERCHARGED = _("charged more than the rate card")
INFORMATION = _("information: nothing to claim")
PRO_RATA_MISSING = _("the refund paid for the missing items")
PRO_RATA_DAMAGED = _("the refund paid for the damaged items")

TYPES = (
    TypeSpec("refunded_not_received", _("Refunded, return not received"), claim=True, at_stake=REFUND_PAID),
    TypeSpec("return_not_received", _("Return not received"), claim=False, at_stake=INFORMATION),
    TypeSpec("return_quantity_short", _("Fewer items returned"), claim=True, at_stake=PRO_RATA_MISSING),
    TypeSpec("return_damaged", _("Returned damaged"), claim=True, at_stake=PRO_RATA_DAMAGED),
    TypeSpec("return_wrong_item", _("Wrong item returned"), claim=False, at_stake=INFORMATION),
    TypeSpec("return_unexpected", _("Unexpected return parcel"), claim=False, at_stake=INFORMATION),
    TypeSpec("return_freight_not_received", _("Return freight, return not received"), claim=True, at_stake=BILLED_FOR_NOTHING),
    TypeSpec("return_freight_unknown", _("Return freight for an unknown waybill"), claim=True, at_stake=BILLED_FOR_NOTHING),
    TypeSpec("return_freight_duplicate", _("Return freight billed twice"), claim=True, at_stake=BILLED_FOR_NOTHING),
    TypeSpec("return_freight_overcharge", _("Return freight overcharge"), claim=True, at_stake=OVERCHARGED),
)

# Only the SKU: the queue shows every kind's columns on every row, and the money is in the core's columns.
QUEUE_COLUMNS = (ColumnSpec("sku", _("SKU"), "sku", css="mono"),)

# The CSV/XLSX export; the core adds kind, ref, ref2, sku and counterparty after these.
EXPORT_COLUMNS = (
    ColumnSpec("type", _("type"), "type"),
    ColumnSpec("type_label", _("discrepancy type"), "type_label"),
    ColumnSpec("status", _("status"), "status"),
    ColumnSpec("amount_at_stake", _("amount at stake"), "amount_at_stake", money=True),
    ColumnSpec("refunded_or_billed", _("refunded or billed"), "theirs_amount", money=True),
    ColumnSpec("expected", _("expected"), "ours_amount", money=True),
    ColumnSpec("occurred_on", _("date"), "occurred_on"),
    ColumnSpec("run_id", _("run"), "run_id"),
    ColumnSpec("reason", _("reason"), "reason"),
)

# The dispute sheet goes to a courier (return freight): its headers are in the courier's language, not translated.
DISPUTE_COLUMNS = (
    ColumnSpec("ref", "单号", "ref"),
    ColumnSpec("ref2", "运单号", "ref2"),
    ColumnSpec("billed_on", "计费日期", "occurred_on"),
    ColumnSpec("billed_fee", "账单运费", "theirs_amount", money=True),
    ColumnSpec("expected_fee", "应收运费", "ours_amount", money=True),
)

SPEC = KindSpec(
    code="returns",
    label=_("Returns"),
    counterparty_label=_("Courier"),
    types=TYPES,
    execute="returns.runs.returns_run_execute",
    rerun="returns.runs.returns_run_rerun",
    reconcile="returns.runs.returns_reconcile",
    source_file_kinds=(
        ("return_requests", _("return requests")), ("return_receipts", _("return receipts")),
        ("return_freight", _("return freight")),
    ),
    queue_columns=QUEUE_COLUMNS,
    export_columns=EXPORT_COLUMNS,
    dispute_columns=DISPUTE_COLUMNS,
    detail_template="returns/_discrepancy_detail.html",
    detail_context="returns.detail.discrepancy_detail_context",
    run_parameter_labels=(("grace_days", pgettext_lazy("run parameter", "grace days")),),
    reconcile_options=(OptionSpec("--grace-days", "grace_days", _("days a return may take to arrive before it is overdue "
                                                                "(default: the returns_grace_days setting)"), type=grace_days,
                                  metavar="N"),),
    settings=(SettingSpec(GRACE_DAYS_SETTING, 7, _("Days a return may take to arrive before it is reported as not received")),),
    reply_key="ref",
    reply_noun="reference",
    # A return's discrepancy is the same one on a rerun when its type, return (or waybill), SKU and freight line agree.
    carry_key=("type", "ref", "ref2", "sku", "details.line_id"),
    demo="returns.demo.returns_demo",
)
