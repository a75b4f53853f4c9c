"""Bank matching (kind `bank`), declared once for the core: the platforms' payouts against the bank's credits.

The type codes are the engine's (recon.engine.bank.TYPES), in its order. A discrepancy about a withdrawal
(withdrawal_not_received, withdrawal_amount_mismatch, an ambiguous withdrawal) belongs to the platform's counterparty;
one about a bank line or a statement (an ambiguous credit, bank_credit_unmatched, statement_balance_break) to the bank
account's.
"""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from recon.kinds import ColumnSpec, KindSpec, SettingSpec, TypeSpec

WINDOW_SETTING = "bank_match_window_days"

INFORMATION = _("information: nothing to claim")

TYPES = (
    TypeSpec("withdrawal_not_received", _("Withdrawal not received"), claim=True,
             at_stake=_("the withdrawal no bank credit received")),
    TypeSpec("withdrawal_amount_mismatch", _("Withdrawal amount differs from the credit"), claim=True,
             at_stake=_("the withdrawal minus the credit that names it")),
    TypeSpec("ambiguous_match", _("Ambiguous bank match"), claim=False, at_stake=INFORMATION),
    TypeSpec("bank_credit_unmatched", _("Bank credit matches no withdrawal"), claim=False, at_stake=INFORMATION),
    TypeSpec("statement_balance_break", _("Statement balances do not add up"), claim=False, at_stake=INFORMATION),
)

QUEUE_COLUMNS = ()

EXPORT_COLUMNS = (
    ColumnSpec("type", _("type"), "type"),
    ColumnSpec("type_label", _("discrepancy type"), "type_label"),
    ColumnSpec("status", _("status"), "status"),
    ColumnSpec("amount_at_stake", _("amount at stake"), "amount_at_stake", money=True),
    ColumnSpec("bank_amount", _("bank amount"), "theirs_amount", money=True),
    ColumnSpec("platform_amount", _("platform amount"), "ours_amount", money=True),
    ColumnSpec("occurred_on", _("date"), "occurred_on"),
    ColumnSpec("run_id", _("run"), "run_id"),
    ColumnSpec("reason", _("reason"), "reason"),
)

SPEC = KindSpec(
    code="bank",
    label=_("Bank matching"),
    counterparty_label=_("Bank account or platform"),
    types=TYPES,
    execute="payments.runs_bank.bank_run_execute",
    rerun="payments.runs_bank.bank_run_rerun",
    reconcile="payments.runs_bank.bank_reconcile",
    queue_columns=QUEUE_COLUMNS,
    export_columns=EXPORT_COLUMNS,
    detail_template="payments/_bank_discrepancy_detail.html",
    detail_context="payments.detail_bank.discrepancy_detail_context",
    settings=(SettingSpec(WINDOW_SETTING, 3, _("Days after a withdrawal in which its bank credit may arrive")),),
    demo="payments.demo.bank_demo",
    source_file_kinds=(("bank_statement", _("bank statement")),),
    run_parameter_labels=(("window_days", pgettext_lazy("run parameter", "matching window (days)")),
                          ("account_id", pgettext_lazy("run parameter", "bank account"))),
    reply_key="ref",
    reply_noun="reference",
    # The same withdrawal, bank line or statement with the same type is the same discrepancy on a rerun.
    carry_key=("type", "ref", "ref2"),
)
