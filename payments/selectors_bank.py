"""Reads for bank statement files: what the upload page shows of a file before anything is stored, and the columns
remembered for an account's sheet exports."""
from __future__ import annotations

import re

import pandas as pd
from django.utils.translation import gettext as _

from recon.core.db import yuan_of

from .bank_formats import BankFile, detect_format
from .bank_formats.checks import assign_refs
from .bank_formats.sheet import BANK_SHEET_SPEC
from .models import BankAccount

FILE_KIND = "bank_statement"
PREVIEW_LINES = 10
_CJK = re.compile(r"[\u4e00-\u9fff]")


def bank_field_labels() -> dict:
    """The translated label of each field of a bank sheet, by field name."""
    return {name: _(label) for name, label in BANK_SHEET_SPEC.labels().items()}


def bank_columns_remembered(*, account_no: str) -> dict:
    """The headers last chosen for this account's sheet exports ({} for an account we do not know yet)."""
    from recon.sources.selectors import column_mapping_remembered

    number = (account_no or "").strip()
    counterparty_id = BankAccount.objects.filter(account_no=number).values_list("counterparty_id", flat=True).first() \
        if number else None
    names = {f.name for f in BANK_SHEET_SPEC.fields}
    found = column_mapping_remembered(counterparty_id=counterparty_id, file_kind=FILE_KIND)
    return {k: v for k, v in found.items() if k in names}


def bank_format_label(fmt: str, *, file_type: str = "", header: list[str] | None = None) -> str:
    """The name of a statement format as the clerk knows it; a sheet is named by the language of its columns."""
    if fmt == "mt940":
        return _("MT940 (SWIFT statement)")
    if fmt == "camt053":
        return _("CAMT.053 (ISO 20022 XML statement)")
    if fmt == "ofx":
        return _("OFX (Open Financial Exchange)")
    kind = (file_type or "").upper()
    if any(_CJK.search(cell or "") for cell in header or ()):
        return _("Chinese bank export (%(type)s)") % {"type": kind}
    return _("Sheet with English columns (%(type)s)") % {"type": kind}


def _money(fen) -> str | None:
    return None if fen is None or pd.isna(fen) else str(yuan_of(int(fen)))


def _day(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def bank_file_preview_lines(parsed: BankFile, *, account_no: str) -> tuple[list[dict], list[dict]]:
    """The statements (account, period, stated balances) and the first lines as the import will store them.

    A line without the bank's reference gets the one the import makes from the account, which needs the account:
    without one the reference stays empty here.
    """
    given = (account_no or "").strip()
    statements, lines = [], []
    for statement in parsed.statements:
        number = statement.account_no or given
        own = statement.lines
        days = own["booked_on"]
        statements.append({
            "account": number, "statement_ref": statement.statement_ref, "currency": statement.currency,
            "opened_on": _day(statement.opened_on or (days.min() if len(own) else None)),
            "closed_on": _day(statement.closed_on or (days.max() if len(own) else None)),
            "opening_balance": _money(statement.opening_fen), "closing_balance": _money(statement.closing_fen),
            "lines": len(own),
        })
        if len(lines) >= PREVIEW_LINES or own.empty:
            continue
        refs = own["ref"]
        if number:
            refs = assign_refs(refs=refs, booked_on=days, account_no=pd.Series(number, index=own.index))
        for line, ref in zip(own.head(PREVIEW_LINES - len(lines)).itertuples(index=False), refs):
            lines.append({
                "account": number, "booked_on": _day(line.booked_on), "amount": _money(line.amount_fen),
                # Cut as the import stores them.
                "counterparty_name": line.counterparty_name[:128], "description": line.description[:512], "ref": ref,
                "balance": _money(line.balance_fen), "currency": line.currency or statement.currency,
            })
    return statements, lines


def bank_file_inspect(*, staged, account_no: str = "", typed: dict | None = None) -> dict:
    """What the upload page shows of a bank statement before anything is stored (the JSON of POST /payments/bank/inspect/).

    Every format: its name, statements and first lines. A sheet also: its title rows, header, sample rows and the
    column read for each field (guesses marked), read with the account's remembered columns and those chosen (`typed`).
    """
    from recon.ingest import sniff_format
    from recon.sources.preview import preview_body
    from recon.sources.selectors import preferred, source_file_duplicate
    from recon.sources.uploads import preview_head

    from .bank_formats import read_bank_file

    names = {f.name for f in BANK_SHEET_SPEC.fields}
    typed = {k: v for k, v in (typed or {}).items() if k in names}
    remembered = bank_columns_remembered(account_no=account_no)
    overrides = {**preferred(remembered), **typed}
    fmt = detect_format(staged.path, staged.filename)
    parsed = read_bank_file(staged.path, staged.filename, overrides=overrides if fmt == "sheet" else None)
    if fmt == "sheet":
        staged.format = sniff_format(staged.path, staged.filename)
        preview = preview_head(staged, BANK_SHEET_SPEC, overrides)
        body = preview_body(preview=preview, filename=staged.filename, fmt=staged.format, spec=BANK_SHEET_SPEC,
                            labels=bank_field_labels(), typed=typed, remembered=remembered,
                            date_fields=("booked_on", "value_on"))
        label = bank_format_label(fmt, file_type=staged.format, header=(body["header"] or {}).get("cells"))
    else:
        # The format names every field itself: nothing to choose.
        body = {"filename": staged.filename, "title": [], "header": None, "fields": [], "uncertain": [], "rows": [],
                "needs_confirmation": False}
        label = bank_format_label(fmt)
    statements, lines = bank_file_preview_lines(parsed, account_no=account_no)
    earlier = source_file_duplicate(file_kind=FILE_KIND, sha256=staged.sha256)
    body.update({
        "format": fmt, "format_label": label, "sheet": fmt == "sheet", "statements": statements, "lines": lines,
        "line_count": sum(s["lines"] for s in statements), "rejected": len(parsed.rejected),
        "needs_account": any(not s["account"] for s in statements),
        "already_imported": earlier.pk if earlier is not None else None,
    })
    return body
