"""Money coming in (回款): the platforms' account ledgers (settlements), the company's bank statements, and the
matches between a platform's payouts (提现) and the bank's credits."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SettlementLine(models.Model):
    """One money movement of a platform account (账务明细), signed: money in is positive, money out negative."""

    # With a context of their own: the catalogue's plain "Fee" is a courier's fee (运费).
    class BusinessType(models.TextChoices):
        PAYMENT = "payment", pgettext_lazy("settlement business type", "Payment")
        REFUND = "refund", pgettext_lazy("settlement business type", "Refund")
        FEE = "fee", pgettext_lazy("settlement business type", "Fee")
        WITHDRAWAL = "withdrawal", pgettext_lazy("settlement business type", "Withdrawal")
        OTHER = "other", pgettext_lazy("settlement business type", "Other")

    platform = models.ForeignKey("orders.Platform", on_delete=models.PROTECT, related_name="settlement_lines",
                                 verbose_name=_("platform"))
    shop = models.CharField(_("shop"), max_length=64, blank=True)
    # The ledger line's own serial; never the trade number a payment shares with its fee and refund lines.
    settlement_id = models.CharField(_("settlement line ID"), max_length=64)
    order_no = models.CharField(_("order number"), max_length=64, blank=True)
    trade_no = models.CharField(_("trade number"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    business_type = models.CharField(_("business type"), max_length=16, choices=BusinessType.choices)
    business_type_raw = models.CharField(_("business type as written"), max_length=64, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    balance = models.DecimalField(_("balance"), max_digits=16, decimal_places=2, null=True, blank=True)
    counterparty_name = models.CharField(_("counterparty name"), max_length=128, blank=True)
    remark = models.CharField(_("remark"), max_length=255, blank=True)
    source = models.ForeignKey("recon.SourceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("source file"))
    row_no = models.PositiveIntegerField(_("row"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        ordering = ["-occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["platform", "settlement_id"], name="settlement_unique_id")]
        indexes = [
            models.Index(fields=["platform", "order_no"], name="settlement_order"),
            models.Index(fields=["business_type", "occurred_at"], name="settlement_type_date"),
        ]
        permissions = [
            ("import_payments", _("Can import settlements and bank statements")),
            ("match_bank", _("Can match bank lines by hand")),
        ]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.settlement_id} {self.amount}"


class BankAccount(models.Model):
    """One of the company's bank accounts; statements are imported into it."""

    account_no = models.CharField(_("account number"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=64, blank=True)
    bank_name = models.CharField(_("bank"), max_length=64, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    active = models.BooleanField(_("active"), default=True)
    # The account as the core knows it: bank runs and their discrepancies point at this row.
    counterparty = models.OneToOneField("recon.Counterparty", on_delete=models.PROTECT, related_name="bank_account",
                                        verbose_name=_("counterparty"), editable=False)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["account_no"]

    def __str__(self) -> str:
        return f"{self.account_no} {self.name}".strip()

    def save(self, *args, **kwargs):
        from recon.core.models import Counterparty

        # A counterparty code holds 32 characters; an IBAN or a long account number keeps its last 32.
        fields = {"kind": Counterparty.Kind.BANK, "code": self.account_no[-32:], "name": (self.name or self.account_no)[:64],
                  "active": self.active}
        if self.counterparty_id is None:
            self.counterparty = Counterparty.objects.create(**fields)
        else:
            Counterparty.objects.filter(pk=self.counterparty_id).update(**fields)
        super().save(*args, **kwargs)


class BankStatement(models.Model):
    """One statement of one account as a file gives it (an MT940 or OFX file may hold several), with the balances it
    states; whether its lines add up is checked by the bank run."""

    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="statements", verbose_name=_("account"))
    source = models.ForeignKey("recon.SourceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("source file"))
    format = models.CharField(_("format"), max_length=16)
    statement_ref = models.CharField(_("statement reference"), max_length=64, blank=True)
    position = models.PositiveIntegerField(_("position in the file"), default=0)
    opened_on = models.DateField(_("opening date"), null=True, blank=True)
    closed_on = models.DateField(_("closing date"), null=True, blank=True)
    opening_balance = models.DecimalField(_("opening balance"), max_digits=16, decimal_places=2, null=True, blank=True)
    closing_balance = models.DecimalField(_("closing balance"), max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    # What the import found when it added up the statement: against its stated opening and closing balances, or
    # else between the running balances (余额) of neighbouring lines. The bank run reports a break from these.
    balance_source = models.CharField(_("balances checked"), max_length=8, blank=True,
                                      choices=[("stated", _("Stated opening and closing")), ("running", _("Running balance"))])
    balance_ok = models.BooleanField(_("balances add up"), null=True, blank=True)
    balance_difference = models.DecimalField(_("balance difference"), max_digits=16, decimal_places=2, null=True, blank=True)
    balance_break_ref = models.CharField(_("line after the break"), max_length=128, blank=True)
    balance_breaks = models.PositiveIntegerField(_("balance breaks"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-closed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.statement_ref or self.pk}"


class BankLine(models.Model):
    """One line of a bank statement, signed: a credit is positive. `ref` is the bank's own reference, or one made
    from the account, the date and the line's position where the format has none."""

    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="lines", verbose_name=_("account"))
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines", verbose_name=_("statement"))
    ref = models.CharField(_("reference"), max_length=128)
    booked_on = models.DateField(_("booking date"))
    value_on = models.DateField(_("value date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    balance = models.DecimalField(_("balance"), max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    counterparty_name = models.CharField(_("counterparty name"), max_length=128, blank=True)
    counterparty_account = models.CharField(_("counterparty account"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=512, blank=True)
    position = models.PositiveIntegerField(_("position in the statement"))
    row_no = models.PositiveIntegerField(_("row"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank line")
        verbose_name_plural = _("bank lines")
        ordering = ["-booked_on", "id"]
        constraints = [models.UniqueConstraint(fields=["account", "ref"], name="bank_line_unique_ref")]
        indexes = [models.Index(fields=["booked_on"], name="bank_line_booked")]

    def __str__(self) -> str:
        return f"{self.ref} {self.amount}"


class BankMatch(models.Model):
    """Withdrawals and bank credits found to be the same money, with the rule and what it compared. A withdrawal or
    a bank line is in one match at most (the one-to-one items below make it so)."""

    class Rule(models.TextChoices):
        REFERENCE = "reference", _("By reference")
        ONE_TO_ONE = "one_to_one", _("Same amount, one candidate")
        GROUP = "group", _("Several to one")
        MANUAL = "manual", _("By hand")

    rule = models.CharField(_("rule"), max_length=16, choices=Rule.choices)
    keys = models.JSONField(_("keys"), default=dict, blank=True)
    # Bank date minus withdrawal date (the latest of a group's), and withdrawals minus credits.
    date_diff_days = models.IntegerField(_("date difference (days)"), default=0)
    amount_diff = models.DecimalField(_("amount difference"), max_digits=16, decimal_places=2, default=0)
    run = models.ForeignKey("recon.ReconRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                            verbose_name=_("run"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("matched by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank match")
        verbose_name_plural = _("bank matches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} #{self.pk}"


class BankMatchWithdrawal(models.Model):
    match = models.ForeignKey(BankMatch, on_delete=models.CASCADE, related_name="withdrawals", verbose_name=_("match"))
    settlement_line = models.OneToOneField(SettlementLine, on_delete=models.PROTECT, related_name="bank_match_item",
                                           verbose_name=_("withdrawal"))

    class Meta:
        verbose_name = _("matched withdrawal")
        verbose_name_plural = _("matched withdrawals")


class BankMatchCredit(models.Model):
    match = models.ForeignKey(BankMatch, on_delete=models.CASCADE, related_name="credits", verbose_name=_("match"))
    bank_line = models.OneToOneField(BankLine, on_delete=models.PROTECT, related_name="match_item",
                                     verbose_name=_("bank line"))

    class Meta:
        verbose_name = _("matched bank credit")
        verbose_name_plural = _("matched bank credits")


class ReceivableFollowUp(models.Model):
    """Where finance stands with an order whose money has not come in: a status and a note, one per order."""

    # A context of their own: the queue's "Disputed" reads 争议中, a receivable's 有争议.
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("receivable follow-up", "To follow up")
        CONTACTED = "contacted", pgettext_lazy("receivable follow-up", "Contacted")
        PROMISED = "promised", pgettext_lazy("receivable follow-up", "Promised")
        DISPUTED = "disputed", pgettext_lazy("receivable follow-up", "Disputed")
        WRITTEN_OFF = "written_off", pgettext_lazy("receivable follow-up", "Written off")

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="follow_up",
                                 verbose_name=_("order"))
    status = models.CharField(_("follow-up status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("updated by"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("receivable follow-up")
        verbose_name_plural = _("receivable follow-ups")
        permissions = [("follow_up_receivable", _("Can follow up receivables"))]

    def __str__(self) -> str:
        return f"{self.order_id} {self.status}"
