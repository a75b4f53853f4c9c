"""Matching a bank line and withdrawals by hand, and taking a match apart; both go to the audit trail."""
from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recon.audit.services import audit_record
from recon.core.errors import UserFacingError

from .models import BankLine, BankMatch, BankMatchCredit, BankMatchWithdrawal, SettlementLine


def _ids(values) -> list[int]:
    try:
        ids = sorted({int(v) for v in values or ()})
    except (TypeError, ValueError):
        raise UserFacingError("invalid_ids", _("Withdrawals and bank lines are given by their numeric IDs.")) from None
    return ids


def bank_match_create(*, withdrawal_ids, bank_line_ids, user) -> BankMatch:
    """Match withdrawals and bank credits by hand; refused when one of them is already in a match."""
    w_ids = _ids(withdrawal_ids)
    c_ids = _ids(bank_line_ids)
    if not w_ids or not c_ids:
        raise UserFacingError("empty_match", _("A match needs at least one withdrawal and one bank line."))
    with transaction.atomic():
        # Locked: two clerks matching the same line at once must not both succeed.
        withdrawals = list(SettlementLine.objects.select_for_update().filter(
            id__in=w_ids, business_type=SettlementLine.BusinessType.WITHDRAWAL).order_by("id"))
        lines = list(BankLine.objects.select_for_update().filter(id__in=c_ids).order_by("id"))
        if len(withdrawals) != len(w_ids) or len(lines) != len(c_ids):
            raise UserFacingError("unknown_items", _("Some of these withdrawals or bank lines do not exist."), http_status=400)
        taken = sorted([w.settlement_id for w in withdrawals if BankMatchWithdrawal.objects.filter(settlement_line=w).exists()]
                       + [line.ref for line in lines if BankMatchCredit.objects.filter(bank_line=line).exists()])
        if taken:
            raise UserFacingError("already_matched", _("Already matched: %(refs)s. Unmatch them first.") % {"refs": ", ".join(taken)},
                                  http_status=409)
        w_total = sum((-w.amount for w in withdrawals), Decimal("0"))
        c_total = sum((line.amount for line in lines), Decimal("0"))
        diff_days = (max(line.booked_on for line in lines) - timezone.localtime(max(w.occurred_at for w in withdrawals)).date()).days
        match = BankMatch.objects.create(
            rule=BankMatch.Rule.MANUAL, created_by=user, date_diff_days=diff_days, amount_diff=w_total - c_total,
            keys={"settlement_ids": [w.settlement_id for w in withdrawals], "bank_refs": [line.ref for line in lines]})
        try:
            BankMatchWithdrawal.objects.bulk_create([BankMatchWithdrawal(match=match, settlement_line=w) for w in withdrawals])
            BankMatchCredit.objects.bulk_create([BankMatchCredit(match=match, bank_line=line) for line in lines])
        except IntegrityError:
            raise UserFacingError("already_matched", _("One of these items was matched meanwhile. Reload and try again."),
                                  http_status=409) from None
        audit_record(user=user, object_type="bankmatch", object_id=match.id, action="create", changes={
            "rule": [None, match.rule], "withdrawal_ids": [None, w_ids], "bank_line_ids": [None, c_ids],
            "amount_diff": [None, str(match.amount_diff)]})
    return match


def bank_match_delete(*, match_id: int, user) -> None:
    """Take a match apart (manual or automatic): its withdrawals and bank lines are free again."""
    with transaction.atomic():
        match = BankMatch.objects.select_for_update().filter(id=match_id).first()
        if match is None:
            raise UserFacingError("not_found", _("No such bank match."), http_status=404)
        w_ids = sorted(match.withdrawals.values_list("settlement_line_id", flat=True))
        c_ids = sorted(match.credits.values_list("bank_line_id", flat=True))
        audit_record(user=user, object_type="bankmatch", object_id=match.id, action="delete", changes={
            "rule": [match.rule, None], "withdrawal_ids": [w_ids, None], "bank_line_ids": [c_ids, None]})
        match.delete()
