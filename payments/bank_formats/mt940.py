"""SWIFT MT940 statements, parsed with the mt-940 library one statement at a time."""
from __future__ import annotations

import re
from decimal import Decimal

from datetime import date

from recon.ingest.errors import _
from recon.ingest.table import empty_rejected

from .base import BankFile, StatementData, damaged, lines_frame

FORMAT = "mt940"
_STATEMENT_START = re.compile(r"(?m)^(?=:20:)")
_TAG = re.compile(r"(?m)^:(\d\d[A-Z]?):")
# German banks structure the :86: text in ?NN subfields: ?31 the other party's account, ?32/?33 its name.
_SUBFIELD = re.compile(r"\?(\d\d)([^?]*)")


def looks_like(text: str) -> bool:
    tags = set(_TAG.findall(text[:65536]))
    return "20" in tags and "25" in tags and bool(tags & {"60F", "60M"})


def _fen(amount) -> int:
    return int(Decimal(str(amount)) * 100)


def _day(value) -> date | None:
    return date(value.year, value.month, value.day) if value is not None else None


def _check_order(chunk: str, number: int, filename: str) -> None:
    """Refuse a statement whose tags are out of their fixed order: the file lost or mixed lines (the lines after
    such a tag would be read into the wrong account)."""
    tags = _TAG.findall(chunk)
    seen_balance = False
    for tag in tags:
        if tag in ("60F", "60M", "61", "86", "62F", "62M"):
            seen_balance = seen_balance or tag.startswith("6")
        elif tag in ("25", "28", "28C") and seen_balance:
            raise damaged(filename, "MT940", _("in statement %(n)d the tag :%(tag)s: comes after its balances and "
                                              "transactions, where it cannot be") % {"n": number, "tag": tag})


def read(text: str, filename: str) -> BankFile:
    """Every statement of an MT940 file (several statements in one file are usual), lines signed, credits positive."""
    import mt940

    chunks = _STATEMENT_START.split(text)[1:]
    statements = []
    for number, chunk in enumerate(chunks, start=1):
        _check_order(chunk, number, filename)
        parsed = mt940.models.Transactions()
        try:
            parsed.parse(chunk)
        except Exception as exc:  # the library raises plain exceptions for lines it cannot read
            raise damaged(filename, "MT940", _("statement %(n)d: %(problem)s") % {"n": number, "problem": str(exc)[:200]})
        data = parsed.data
        opening = data.get("final_opening_balance") or data.get("intermediate_opening_balance")
        closing = data.get("final_closing_balance") or data.get("intermediate_closing_balance")
        records = []
        for tr in parsed.transactions:
            t = tr.data
            # The library signs 'D' only; a reversal of a credit (RC) is money out, of a debit (RD) money in.
            sign = -1 if t["status"] in ("D", "RC") else 1
            details = (t.get("transaction_details") or "").replace("\n", "")
            sub = dict(_SUBFIELD.findall(details)) if "?" in details else {}
            name = (sub.get("32", "") + sub.get("33", "")).strip()
            records.append({
                "ref": (t.get("bank_reference") or "").strip(),
                "booked_on": _day(t.get("entry_date") or t["date"]), "value_on": _day(t["date"]),
                "amount_fen": sign * abs(_fen(t["amount"].amount)), "balance_fen": None,
                "currency": t.get("currency") or "", "counterparty_name": name,
                "counterparty_account": sub.get("31", "").strip(),
                "description": " ".join(x for x in (details, (t.get("extra_details") or "").strip()) if x),
                "row_no": None,
            })
        currency = (opening or closing).amount.currency if (opening or closing) else ""
        statements.append(StatementData(
            format=FORMAT, lines=lines_frame(records), account_no=(data.get("account_identification") or "").strip(),
            statement_ref="/".join(x for x in (data.get("transaction_reference"), data.get("statement_number"),
                                               data.get("sequence_number")) if x)[:64],
            opened_on=_day(opening.date) if opening else None, closed_on=_day(closing.date) if closing else None,
            opening_fen=_fen(opening.amount.amount) if opening else None,
            closing_fen=_fen(closing.amount.amount) if closing else None, currency=currency or "",
        ))
    if not statements:
        raise damaged(filename, "MT940", _("no statement starts with the tag :20:"))
    return BankFile(format=FORMAT, statements=statements, rejected=empty_rejected(), info={"statements": len(statements)})
