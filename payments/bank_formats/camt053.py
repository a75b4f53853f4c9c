"""ISO 20022 CAMT.053 statements (BkToCstmrStmt), parsed with defusedxml: a DTD or an entity is refused, never expanded."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from recon.ingest.errors import _
from recon.ingest.table import empty_rejected

from .base import BankFile, StatementData, damaged, lines_frame

FORMAT = "camt053"


def looks_like(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    return start.startswith(b"<") and (b"camt.053" in head or b"BkToCstmrStmt" in head)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(el, path: str):
    """The first element down a path of local names ('Acct/Id/IBAN'), whatever the namespace version."""
    for name in path.split("/"):
        if el is None:
            return None
        el = next((c for c in el if _local(c.tag) == name), None)
    return el


def _all(el, name: str) -> list:
    return [c for c in el if _local(c.tag) == name]


def _text(el, path: str) -> str:
    found = _find(el, path)
    return (found.text or "").strip() if found is not None else ""


def _date(el, path: str) -> date | None:
    text = _text(el, path + "/Dt") or _text(el, path + "/DtTm")[:10]
    return date.fromisoformat(text) if text else None


def read(data: bytes, filename: str) -> BankFile:
    """One statement per Stmt, one line per Ntry, signed by its CdtDbtInd (a reversal too: the bank books it so)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring
    from xml.etree.ElementTree import ParseError

    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise damaged(filename, "CAMT.053", _("it declares a DTD or entities, which a bank statement never needs and "
                                              "which are refused for safety"))
    except ParseError as exc:
        raise damaged(filename, "CAMT.053", _("the XML is not well formed (%(problem)s)") % {"problem": str(exc)[:200]})
    report = _find(root, "BkToCstmrStmt")
    if report is None:
        raise damaged(filename, "CAMT.053", _("it has no BkToCstmrStmt element"))
    statements = []
    try:
        for position, stmt in enumerate(_all(report, "Stmt"), start=1):
            statements.append(_statement(stmt, position))
    except (InvalidOperation, ValueError) as exc:
        raise damaged(filename, "CAMT.053", _("a value is not what the standard allows (%(problem)s)")
                      % {"problem": str(exc)[:200]})
    if not statements:
        raise damaged(filename, "CAMT.053", _("it holds no statement (Stmt)"))
    return BankFile(format=FORMAT, statements=statements, rejected=empty_rejected(), info={"statements": len(statements)})


def _amount_fen(el, path: str = "Amt") -> int:
    value = Decimal(_text(el, path))
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"amount {value} has parts of a cent")
    sign = -1 if _text(el, "CdtDbtInd") == "DBIT" else 1
    return sign * abs(int(fen))


def _statement(stmt, position: int) -> StatementData:
    account = _text(stmt, "Acct/Id/IBAN") or _text(stmt, "Acct/Id/Othr/Id")
    opening = closing = None
    opened_on = closed_on = None
    for bal in _all(stmt, "Bal"):
        code = _text(bal, "Tp/CdOrPrtry/Cd")
        if code in ("OPBD", "PRCD") and opening is None:
            opening, opened_on = _amount_fen(bal), _date(bal, "Dt")
        elif code == "CLBD":
            closing, closed_on = _amount_fen(bal), _date(bal, "Dt")
    records = []
    for ntry in _all(stmt, "Ntry"):
        credit = _text(ntry, "CdtDbtInd") == "CRDT"
        reversal = _text(ntry, "RvslInd").lower() in ("true", "1")
        # The other party: who paid a credit, who was paid by a debit; a reversal undoes the original, so it names
        # the original's other party.
        party = "Dbtr" if credit != reversal else "Cdtr"
        tx = _find(ntry, "NtryDtls/TxDtls")
        name = account_of_party = ""
        refs = ""
        info = _text(ntry, "AddtlNtryInf")
        if tx is not None:
            name = _text(tx, f"RltdPties/{party}/Nm") or _text(tx, f"RltdPties/{party}/Pty/Nm")
            account_of_party = _text(tx, f"RltdPties/{party}Acct/Id/IBAN") or _text(tx, f"RltdPties/{party}Acct/Id/Othr/Id")
            refs = _text(tx, "Refs/AcctSvcrRef")
            info = " ".join(x for x in (_text(tx, "RmtInf/Ustrd"), info) if x)
        records.append({
            "ref": _text(ntry, "AcctSvcrRef") or _text(ntry, "NtryRef") or refs,
            "booked_on": _date(ntry, "BookgDt"), "value_on": _date(ntry, "ValDt"),
            "amount_fen": _amount_fen(ntry), "balance_fen": None, "currency": _find(ntry, "Amt").get("Ccy", ""),
            "counterparty_name": name, "counterparty_account": account_of_party, "description": info, "row_no": None,
        })
    if any(r["booked_on"] is None for r in records):
        raise ValueError("an entry has no booking date (BookgDt)")
    return StatementData(
        format=FORMAT, lines=lines_frame(records), account_no=account, statement_ref=_text(stmt, "Id")[:64],
        opened_on=opened_on, closed_on=closed_on, opening_fen=opening, closing_fen=closing,
        currency=_text(stmt, "Acct/Ccy"),
    )
