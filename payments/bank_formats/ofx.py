"""OFX statements (SGML v1 and XML v2), parsed with ofxtools: one statement per account in the file."""
from __future__ import annotations

import io
import logging
import re
import warnings
from datetime import date

from recon.ingest.errors import _
from recon.ingest.table import empty_rejected

from .base import BankFile, StatementData, damaged, lines_frame

FORMAT = "ofx"
# Banks' OFX v1 exports often drop the header ofxtools needs; this is the one the standard gives for v1.02.
_V1_HEADER = (b"OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\n"
              b"COMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n")
# ofxtools logs every element it converts at INFO.
logging.getLogger("ofxtools").setLevel(logging.WARNING)
_AMOUNT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def looks_like(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1024].upper()
    return start.startswith(b"OFXHEADER") or start.startswith(b"<OFX>") or (
        start.startswith(b"<?XML") and b"<?OFX" in head[:4096].upper())


def _posted_day(text: str) -> date:
    """The day as the file writes it (YYYYMMDD…, in the bank's own time zone): converting to UTC could move it."""
    return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))


def read(data: bytes, filename: str) -> BankFile:
    """Every STMTRS of the file, its transactions by FITID, its ledger balance as the closing balance."""
    from ofxtools.Parser import OFXTree

    if b"<STMTRS>" not in data.upper():
        raise damaged(filename, "OFX", _("it holds no bank statement (STMTRS), so there is nothing to import"))
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:5].upper() == b"<OFX>":
        data = _V1_HEADER + data.lstrip(b"\xef\xbb\xbf \t\r\n")
    tree = OFXTree()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # banks' private tags (<INTU.BID>) are skipped, as they should be
            tree.parse(io.BytesIO(data))
    except Exception as exc:  # ofxtools raises its own error types for every kind of damage
        raise damaged(filename, "OFX", str(exc).splitlines()[0][:200])
    days = []
    for s_no, stmtrs in enumerate(tree.getroot().iter("STMTRS"), start=1):
        posted = []
        for t_no, trn in enumerate(stmtrs.iter("STMTTRN"), start=1):
            amount, when = (trn.findtext("TRNAMT") or "").strip(), (trn.findtext("DTPOSTED") or "").strip()
            if not _AMOUNT.fullmatch(amount):
                raise damaged(filename, "OFX", _("statement %(s)d, transaction %(t)d: the amount “%(value)s” is not a "
                                                 "number") % {"s": s_no, "t": t_no, "value": amount[:40]})
            try:
                posted.append(_posted_day(when))
            except ValueError:
                raise damaged(filename, "OFX", _("statement %(s)d, transaction %(t)d: the date “%(value)s” is not a "
                                                 "date") % {"s": s_no, "t": t_no, "value": when[:40]})
        days.append(posted)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ofx = tree.convert()
    except Exception as exc:
        raise damaged(filename, "OFX", str(exc).splitlines()[0][:200])
    statements = []
    for stmt, posted in zip(ofx.statements, days):
        records = []
        for trn, day in zip(stmt.banktranlist or [], posted):
            payee = getattr(trn, "payee", None)
            records.append({
                "ref": (trn.fitid or "").strip(), "booked_on": day, "value_on": None,
                "amount_fen": _fen(trn.trnamt), "balance_fen": None, "currency": stmt.curdef or "",
                "counterparty_name": (trn.name or (payee.name if payee is not None else "") or "").strip(),
                "counterparty_account": "", "description": (trn.memo or "").strip(), "row_no": None,
            })
        ledger = getattr(stmt, "ledgerbal", None)
        tranlist = stmt.banktranlist
        statements.append(StatementData(
            format=FORMAT, lines=lines_frame(records), account_no=stmt.account.acctid.strip(),
            opened_on=tranlist.dtstart.date() if tranlist is not None and tranlist.dtstart else None,
            closed_on=ledger.dtasof.date() if ledger is not None else None,
            # OFX states the balance at the end only: without an opening balance the lines cannot be checked.
            opening_fen=None, closing_fen=_fen(ledger.balamt) if ledger is not None else None,
            currency=stmt.curdef or "",
        ))
    return BankFile(format=FORMAT, statements=statements, rejected=empty_rejected(), info={"statements": len(statements)})


def _fen(value) -> int:
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"amount {value} has parts of a cent")
    return int(fen)
