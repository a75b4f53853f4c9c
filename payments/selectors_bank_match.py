"""Reads for matching by hand: the withdrawals that could be a bank line's money, the credits in no match, the matches."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from .models import BankLine, BankMatch, BankMatchCredit, BankMatchWithdrawal, SettlementLine

SUGGESTION_DAYS = 31
SUGGESTION_LIMIT = 20


def bank_line_suggestions(*, line: BankLine, limit: int = SUGGESTION_LIMIT) -> list[dict]:
    """Unmatched withdrawals within a month before or after the line, closest amount first, then closest date."""
    day = line.booked_on
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(day - timedelta(days=SUGGESTION_DAYS), time.min), tz)
    hi = timezone.make_aware(datetime.combine(day + timedelta(days=SUGGESTION_DAYS + 1), time.min), tz)
    rows = (SettlementLine.objects.filter(business_type=SettlementLine.BusinessType.WITHDRAWAL, occurred_at__gte=lo, occurred_at__lt=hi)
            .exclude(Exists(BankMatchWithdrawal.objects.filter(settlement_line=OuterRef("pk"))))
            .select_related("platform"))
    out = []
    for w in rows:
        paid = -w.amount
        on = timezone.localtime(w.occurred_at).date()
        out.append({"withdrawal_id": w.id, "platform": w.platform.code, "settlement_id": w.settlement_id, "occurred_on": on,
                    "amount": paid, "amount_diff": paid - line.amount, "days_apart": (day - on).days})
    out.sort(key=lambda s: (abs(s["amount_diff"]), abs(s["days_apart"]), s["withdrawal_id"]))
    return out[:limit]


def bank_credits_unmatched(*, account) -> QuerySet[BankLine]:
    """The account's credits in no match, oldest first: what the page offers to match by hand."""
    return (BankLine.objects.filter(account=account, amount__gt=0)
            .exclude(Exists(BankMatchCredit.objects.filter(bank_line=OuterRef("pk")))).order_by("booked_on", "id"))


def bank_matches_of_account(*, account) -> QuerySet[BankMatch]:
    """The matches holding one of the account's lines, newest first, with their withdrawals and lines."""
    return (BankMatch.objects.filter(Exists(BankMatchCredit.objects.filter(match=OuterRef("pk"), bank_line__account=account)))
            .select_related("created_by")
            .prefetch_related(Prefetch("withdrawals", BankMatchWithdrawal.objects.select_related("settlement_line__platform")
                                       .order_by("settlement_line__settlement_id")),
                              Prefetch("credits", BankMatchCredit.objects.select_related("bank_line").order_by("bank_line__ref")))
            .order_by("-id"))
