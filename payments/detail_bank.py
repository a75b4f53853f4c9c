"""What a bank discrepancy's page shows beside the core's: the withdrawal, the bank line and its statement, and the
matches either is in."""
from __future__ import annotations

from .models import BankLine, BankMatch, BankStatement, SettlementLine


def discrepancy_detail_context(d, request) -> dict:
    """The context of templates/payments/_bank_discrepancy_detail.html."""
    details = d.details or {}
    withdrawal = (SettlementLine.objects.filter(pk=details.get("withdrawal_id") or 0).select_related("platform").first())
    line = BankLine.objects.filter(pk=details.get("line_id") or 0).select_related("account").first()
    statement = BankStatement.objects.filter(pk=details.get("statement_id") or (line.statement_id if line else 0)).first()
    match_ids = set()
    if withdrawal is not None:
        match_ids |= set(BankMatch.objects.filter(withdrawals__settlement_line=withdrawal).values_list("id", flat=True))
    if line is not None:
        match_ids |= set(BankMatch.objects.filter(credits__bank_line=line).values_list("id", flat=True))
    matches = list(BankMatch.objects.filter(id__in=match_ids).prefetch_related("withdrawals__settlement_line", "credits__bank_line"))
    return {"withdrawal": withdrawal, "bank_line": line, "statement": statement, "bank_matches": matches}
