"""Rows for the bank tests, made directly (the importers are tested on their own): platforms' withdrawals, bank
accounts, statements and lines."""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from itertools import count

from django.utils import timezone

from orders.models import Platform
from payments.models import BankAccount, BankLine, BankStatement, SettlementLine

_serial = count(1)


def platform(code: str, payer_names=()) -> Platform:
    """A seeded platform with its payer names set."""
    p = Platform.objects.get(code=code)
    p.payer_names = list(payer_names)
    p.save()
    return p


def withdrawal(p: Platform, settlement_id: str, day: str, yuan: str, at: time = time(10, 0)) -> SettlementLine:
    """A payout of the platform account: booked negative there."""
    moment = timezone.make_aware(datetime.combine(date.fromisoformat(day), at))
    return SettlementLine.objects.create(platform=p, settlement_id=settlement_id, occurred_at=moment,
                                         business_type=SettlementLine.BusinessType.WITHDRAWAL, business_type_raw="提现",
                                         amount=-Decimal(yuan))


def account(account_no: str = "6222020200001234567", name: str = "基本户") -> BankAccount:
    return BankAccount.objects.create(account_no=account_no, name=name, bank_name="工商银行")


def statement(acc: BankAccount, *, opening=None, closing=None, ref: str = "", closed_on=None) -> BankStatement:
    return BankStatement.objects.create(account=acc, format="csv", statement_ref=ref or f"ST{next(_serial)}",
                                        opening_balance=None if opening is None else Decimal(opening),
                                        closing_balance=None if closing is None else Decimal(closing),
                                        closed_on=date.fromisoformat(closed_on) if closed_on else None)


def line(st: BankStatement, ref: str, day: str, yuan: str, payer: str = "", remark: str = "", balance=None,
         position: int | None = None) -> BankLine:
    return BankLine.objects.create(account=st.account, statement=st, ref=ref, booked_on=date.fromisoformat(day),
                                   amount=Decimal(yuan), balance=None if balance is None else Decimal(balance),
                                   counterparty_name=payer, description=remark,
                                   position=position if position is not None else next(_serial))
