"""Writes for bank statements: the file import (a line already imported is a duplicate) and the API's bulk post
(created or updated by account + ref), set-based."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils.translation import gettext as _

from recon.core.db import fen_from_db, fetch_by_keys, int_or_null, money, now_db, yuan_of
from recon.core.errors import UserFacingError
from recon.ingest.clean import money_fen_many
from recon.ingest.table import ParsedTable
from recon.sources.imports import (
    FileImportResult, Written, columns_confirmed, insert_new_rows, mapping_chosen, source_file_import,
)
from recon.sources.models import SourceFile
from recon.sources.selectors import preferred
from recon.sources.services import column_mapping_remember
from recon.sources.uploads import preview_head

from .bank_formats import BankFile, detect_format, read_bank_file
from .bank_formats.checks import assign_refs, balance_check
from .bank_formats.sheet import BANK_SHEET_SPEC
from .line_updates import LinesBulkResult, LinesUpsert, fields_carry, line_changes, record_error, stored_lines_update
from .models import BankAccount, BankLine, BankMatchCredit, BankStatement
from .selectors_bank import FILE_KIND, bank_columns_remembered, bank_field_labels
REJECTED_COLUMNS = ["sheet", "row_no", "reason_code", "reason", "raw"]
LINE_FIELDS = ["ref", "booked_on", "value_on", "amount", "balance", "currency", "counterparty_name",
               "counterparty_account", "description", "position", "row_no"]


@dataclass
class BankImportResult(FileImportResult):
    """What an import did: lines written, rows refused, lines already imported before (skipped)."""

    statements: list[dict] = field(default_factory=list)

    @property
    def balance_flags(self) -> int:
        return sum(1 for s in self.statements if s["balance_ok"] is False)


def bank_account_get_or_create(*, account_no: str) -> BankAccount:
    """The account of that number; a number we have not seen becomes a new account (and its counterparty)."""
    account = BankAccount.objects.filter(account_no=account_no).first()
    if account is None:
        account = BankAccount(account_no=account_no)
        account.save()
    return account


def _accounts_of(parsed: BankFile, account_no: str, filename: str) -> list[str]:
    given = (account_no or "").strip()
    numbers = []
    for statement in parsed.statements:
        number = (statement.account_no or given)[:64]
        if not number:
            raise UserFacingError("account_required", _(
                "“%(filename)s” does not say which account it is a statement of: give the account number "
                "(--account, or the account field of the upload).") % {"filename": filename})
        numbers.append(number)
    return numbers


def bank_statement_import(*, file, filename: str | None = None, account_no: str = "", user=None,
                          mapping: dict | None = None, confirm_columns: bool = True) -> BankImportResult:
    """Import a bank statement file of any format we read; the same file twice is one import, a bad file writes nothing,
    and a statement whose balances do not add up is imported and flagged.

    For a sheet, `mapping` names the header of a field's column (the upload page's column chooser); columns only
    guessed are refused unless confirm_columns. A sheet's chosen and confirmed columns are remembered for its account.
    """
    mapping = mapping_chosen(mapping, BANK_SHEET_SPEC)
    head: dict = {}

    def read(staged) -> ParsedTable:
        overrides = {**preferred(bank_columns_remembered(account_no=account_no)), **mapping}
        sheet = detect_format(staged.path, staged.filename) == "sheet"
        parsed = read_bank_file(staged.path, staged.filename, overrides=overrides if sheet else None)
        confirmed = _columns_confirmed(staged, overrides, confirm_columns) if sheet else {}
        numbers = _accounts_of(parsed, account_no, staged.filename)
        head.update(parsed=parsed, sheet=sheet, confirmed=confirmed, numbers=numbers)
        return ParsedTable(frame=_all_lines(parsed, numbers), rejected=parsed.rejected[REJECTED_COLUMNS],
                           info={**parsed.info, "format": parsed.format})

    def counterparty() -> int | None:
        # The accounts are made in the import's transaction: a file refused while writing leaves no new account.
        accounts = head["accounts"] = {n: bank_account_get_or_create(account_no=n) for n in dict.fromkeys(head["numbers"])}
        return accounts[head["numbers"][0]].counterparty_id if len(accounts) == 1 else None

    def write(lines: pd.DataFrame, source_id: int) -> Written:
        statements, summaries = _statements_create(head["parsed"], head["numbers"], head["accounts"], lines, source_id)
        inserted = _insert_lines(lines, head["accounts"], statements, source_id)
        return Written.counted(rows=inserted, duplicates=len(lines) - inserted, info={
            "statements": summaries, "balance_flags": sum(1 for s in summaries if s["balance_ok"] is False)})

    def remember(source: SourceFile, parsed: ParsedTable) -> None:
        numbers = head["numbers"]
        if head["sheet"] and len(set(numbers)) == 1:
            account = BankAccount.objects.get(account_no=numbers[0])
            column_mapping_remember(counterparty_id=account.counterparty_id, file_kind=FILE_KIND,
                                    mapping={**mapping, **head["confirmed"]}, user=user)

    done = source_file_import(
        file=file, filename=filename, file_kind=FILE_KIND, folder=f"uploads/payments/{FILE_KIND}", read=read, write=write,
        counterparty_id=counterparty, user=user, sniff=False, after_write=remember,
    )
    return BankImportResult(file_id=done.file_id, rows=done.rows, rejected=done.rejected, duplicates=done.duplicates,
                            rejected_rows=done.rejected_rows, repeated=done.repeated, info=done.info,
                            statements=done.info.get("statements", []))


def _columns_confirmed(staged, overrides: dict, confirm_columns: bool) -> dict:
    """The headers of the sheet's guessed columns, which the clerk confirmed; a refusal naming them when not confirmed."""
    from recon.ingest import sniff_format

    staged.format = sniff_format(staged.path, staged.filename)
    return columns_confirmed(preview_head(staged, BANK_SHEET_SPEC, overrides), BANK_SHEET_SPEC, overrides,
                             confirm=confirm_columns, labels=bank_field_labels)


def _all_lines(parsed: BankFile, numbers: list[str]) -> pd.DataFrame:
    parts = []
    for index, (statement, number) in enumerate(zip(parsed.statements, numbers)):
        part = statement.lines.copy()
        part["statement_index"] = index
        part["account_no"] = number
        part["position"] = np.arange(1, len(part) + 1)
        parts.append(part)
    lines = pd.concat(parts, ignore_index=True)
    if len(lines):
        lines["ref"] = assign_refs(refs=lines["ref"], booked_on=lines["booked_on"], account_no=lines["account_no"])
    return lines


def _statements_create(parsed: BankFile, numbers: list[str], accounts: dict[str, BankAccount], lines: pd.DataFrame,
                       source_id: int) -> tuple[list[BankStatement], list[dict]]:
    """One BankStatement per statement of the file, its balances checked against its lines; (statements, their summaries)."""
    statements, summaries = [], []
    for index, (data, number) in enumerate(zip(parsed.statements, numbers)):
        own = lines[lines["statement_index"] == index]
        check = balance_check(lines=own, opening_fen=data.opening_fen, closing_fen=data.closing_fen)
        break_ref = own["ref"].iat[check.break_at] if check.break_at is not None else ""
        days = own["booked_on"]
        statement = BankStatement.objects.create(
            account=accounts[number], source_id=source_id, format=data.format, statement_ref=data.statement_ref[:64],
            position=index + 1, opened_on=data.opened_on or (days.min() if len(days) else None),
            closed_on=data.closed_on or (days.max() if len(days) else None),
            opening_balance=yuan_of(data.opening_fen), closing_balance=yuan_of(data.closing_fen),
            currency=(data.currency or (own["currency"].iat[0] if len(own) else ""))[:3], line_count=len(own),
            balance_source=check.source, balance_ok=check.ok,
            balance_difference=yuan_of(check.difference_fen) if check.source else None,
            balance_break_ref=break_ref, balance_breaks=check.breaks,
        )
        statements.append(statement)
        summaries.append({
            "id": statement.pk, "account": number, "statement_ref": statement.statement_ref, "lines": len(own),
            "balance_source": check.source, "balance_ok": check.ok, "balance_order": check.order,
            "balance_difference": str(statement.balance_difference) if check.source else None,
            "balance_break_ref": break_ref, "balance_breaks": check.breaks,
        })
    return statements, summaries


def _insert_lines(lines: pd.DataFrame, accounts: dict[str, BankAccount], statements: list[BankStatement],
                  source_id: int | None) -> int:
    """INSERT … ON CONFLICT (account, ref) DO NOTHING of every line; how many were new."""
    if lines.empty:
        return 0
    account_ids = {n: a.pk for n, a in accounts.items()}
    rows = pd.DataFrame({
        "account_id": lines["account_no"].map(account_ids).astype("int64").to_numpy(),
        "statement_id": lines["statement_index"].map(lambda i: statements[i].pk).astype("int64").to_numpy(),
        "ref": lines["ref"].astype(str).to_numpy(),
        "booked_on": pd.to_datetime(lines["booked_on"]).dt.strftime("%Y-%m-%d").to_numpy(),
        "value_on": pd.to_datetime(lines["value_on"]).dt.strftime("%Y-%m-%d").astype(object).where(
            lines["value_on"].notna(), None).to_numpy(),
        "amount": money(lines["amount_fen"].astype("int64")).to_numpy(),
        "balance": money(lines["balance_fen"].astype("Int64")).to_numpy(),
        "currency": lines["currency"].astype(str).str.slice(0, 3).to_numpy(),
        "counterparty_name": lines["counterparty_name"].astype(str).str.slice(0, 128).to_numpy(),
        "counterparty_account": lines["counterparty_account"].astype(str).str.slice(0, 64).to_numpy(),
        "description": lines["description"].astype(str).str.slice(0, 512).to_numpy(),
        "position": lines["position"].astype("int64").to_numpy(),
        "row_no": int_or_null(lines["row_no"]).to_numpy(),
        "created_at": now_db(),
    })
    return insert_new_rows(BankLine._meta.db_table, rows, ["account_id", "ref"], counted=True)


# --------------------------------------------------------------------------- the API's bulk post

MAX_RECORDS = 100_000


BankBulkResult = LinesBulkResult


# The optional fields of a record; one it leaves out keeps the stored value (the ref, booking date and amount are required).
CARRIED = ("value_on", "balance", "currency", "counterparty_name", "counterparty_account", "description")
UPDATED_COLUMNS = ["booked_on", "value_on", "amount", "balance", "currency", "counterparty_name", "counterparty_account",
                   "description"]
# What a bank match rests on: a line in a match keeps these until the match is taken apart.
MATCH_GUARDED = ["amount", "booked_on", "value_on"]


def _clean_record(index: int, record, fen: dict[str, tuple]) -> tuple[dict | None, dict | None]:
    """One record checked in the order a person reads it; `fen` holds its amount and balance as read for all records
    at once, (fen or None, refused)."""
    from datetime import date

    if not isinstance(record, dict):
        return None, record_error(index, "", "invalid", _("A record is a JSON object."))
    ref = str(record.get("ref") or "").strip()
    if not ref:
        return None, record_error(index, "ref", "ref_missing", _("Reference is empty"))
    days = {}
    for name in ("booked_on", "value_on"):
        text = str(record.get(name) or "").strip()
        try:
            days[name] = date.fromisoformat(text) if text else None
        except ValueError:
            return None, record_error(index, name, f"{name}_invalid", _("“%(value)s” is not a date (YYYY-MM-DD)")
                                       % {"value": text[:40]})
    if days["booked_on"] is None:
        return None, record_error(index, "booked_on", "booked_on_missing", _("Booking date is empty"))
    for name in ("amount", "balance"):
        if fen[name][1]:
            return None, record_error(index, name, f"{name}_invalid", _("Amount “%(value)s” is not an amount")
                                       % {"value": str(record.get(name))[:40]})
    fen = {name: fen[name][0] for name in ("amount", "balance")}
    if fen["amount"] is None:
        return None, record_error(index, "amount", "amount_missing", _("The row has no amount"))
    return {
        "ref": ref[:128], "booked_on": days["booked_on"], "value_on": days["value_on"], "amount_fen": fen["amount"],
        "balance_fen": fen["balance"], "currency": str(record.get("currency") or "")[:3],
        "counterparty_name": str(record.get("counterparty_name") or "")[:128],
        "counterparty_account": str(record.get("counterparty_account") or "")[:64],
        "description": str(record.get("description") or "")[:512], "row_no": None,
        **{f"has_{name}": name in record for name in CARRIED}, "index": index,
    }, None


def bank_lines_bulk_create(*, account_no: str, records, user=None) -> BankBulkResult:
    """The API's bulk post of one account's lines, created or updated by account + ref.

    A line held by a bank match keeps its amount and dates (the record is refused with line_matched); its other
    fields still update.
    """
    from .bank_formats.base import lines_frame

    account_no = str(account_no or "").strip()[:64]
    if not account_no:
        raise UserFacingError("account_required", _("Say which account these lines are of (account)."))
    if not isinstance(records, list) or not records:
        raise UserFacingError("no_data", _("Send a non-empty JSON list of records."))
    if len(records) > MAX_RECORDS:
        raise UserFacingError("too_many", _("At most 100,000 records per request."))
    good, errors = [], []
    # Amounts read for all records in one pass: read one by one, a large post would take minutes.
    objects = [r if isinstance(r, dict) else {} for r in records]
    money_read = {name: money_fen_many([r.get(name) for r in objects]) for name in ("amount", "balance")}
    for index, record in enumerate(records):
        fen = {}
        for name, (values, refused) in money_read.items():
            value = values.iat[index]
            fen[name] = (None if pd.isna(value) else int(value), bool(refused[index]))
        clean, error = _clean_record(index, record, fen)
        if error:
            errors.append(error)
        else:
            good.append(clean)
    result = BankBulkResult(rejected=len(errors), errors=errors)
    if not good:
        return result
    lines = lines_frame(good)
    for name in CARRIED:
        lines[f"has_{name}"] = [r[f"has_{name}"] for r in good]
    lines["index"] = [r["index"] for r in good]
    with transaction.atomic():
        account = bank_account_get_or_create(account_no=account_no)
        done = bank_lines_upsert(lines=lines, account=account, user=user)
    result.rows, result.duplicates, result.updated = done.rows, done.duplicates, done.updated
    result.errors = sorted(errors + done.errors, key=lambda e: e["index"])
    result.rejected = len({e["index"] for e in result.errors})
    return result


def _bank_text(lines: pd.DataFrame) -> pd.DataFrame:
    """The updated columns as compared and as the audit trail stores them: money as "12.50", dates as ISO text."""
    def days(values: pd.Series) -> np.ndarray:
        text = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
        return text.astype(object).where(text.notna(), None).to_numpy()

    def yuan(values: pd.Series) -> np.ndarray:
        text = money(pd.Series(pd.array(values, dtype="Int64")))
        return text.astype(object).where(text.notna(), None).to_numpy()

    return pd.DataFrame({
        "booked_on": days(lines["booked_on"]), "value_on": days(lines["value_on"]), "amount": yuan(lines["amount_fen"]),
        "balance": yuan(lines["balance_fen"]),
        **{c: lines[c].astype(str).to_numpy() for c in ("currency", "counterparty_name", "counterparty_account", "description")},
    }, index=lines.index)[UPDATED_COLUMNS]


def _stored_bank_lines(account: BankAccount, refs: list[str]) -> pd.DataFrame:
    """The account's stored lines of these refs, with whether a bank match holds each."""
    table, held = BankLine._meta.db_table, BankMatchCredit._meta.db_table
    stored = fetch_by_keys(
        f"SELECT l.id, l.ref, l.booked_on, l.value_on, l.amount, l.balance, l.currency, l.counterparty_name, "
        f"l.counterparty_account, l.description, h.id IS NOT NULL "
        f"FROM {table} l LEFT JOIN {held} h ON h.bank_line_id = l.id WHERE l.account_id = %s AND l.ref {{keys}}",
        refs, ["id", "ref", "booked_on", "value_on", "amount", "balance", "currency", "counterparty_name",
               "counterparty_account", "description", "matched"], [account.pk])
    if len(stored):
        stored["amount_fen"] = fen_from_db(stored["amount"])
        stored["balance_fen"] = fen_from_db(stored["balance"])
        stored["matched"] = stored["matched"].astype(bool)
    return stored


def bank_lines_upsert(*, lines: pd.DataFrame, account: BankAccount, user=None) -> LinesUpsert:
    """Write one account's cleaned records set-based: a new ref is inserted (in a statement of format "api"), a stored
    line whose values differ is updated and audited, one stored as sent is a duplicate."""
    done = LinesUpsert()
    lines = lines.reset_index(drop=True)
    # A ref sent twice in one request is one line: the first is kept, the repeat counts as a duplicate.
    repeated = lines.duplicated("ref", keep="first").to_numpy()
    stored = _stored_bank_lines(account, lines.loc[~repeated, "ref"].tolist())
    position = pd.Series(np.arange(len(lines)), index=lines["ref"].to_numpy())
    position = position[~position.index.duplicated(keep="first")]
    known = lines["ref"].isin(set(stored["ref"])).to_numpy() & ~repeated
    fresh = ~known & ~repeated
    if fresh.any():
        new_lines = lines[fresh].copy()
        statement = BankStatement.objects.create(
            account=account, format="api", opened_on=new_lines["booked_on"].min(), closed_on=new_lines["booked_on"].max(),
            line_count=len(new_lines), currency=account.currency,
        )
        new_lines["statement_index"] = 0
        new_lines["account_no"] = account.account_no
        new_lines["position"] = np.arange(1, len(new_lines) + 1)
        _insert_lines(new_lines, {account.account_no: account}, [statement], None)
    done.rows = int(fresh.sum())
    done.duplicates = int(repeated.sum())
    if not known.any():
        return done
    mine = lines[known].copy()
    theirs = stored.set_index(position.loc[stored["ref"]].to_numpy()).loc[mine.index]
    fields_carry(mine, theirs, {name: (name,) for name in CARRIED})
    old, new = _bank_text(theirs), _bank_text(mine)
    found = line_changes(old=old, new=new, matched=theirs["matched"], guarded=MATCH_GUARDED)
    for index, column in found.errors:
        done.errors.append(record_error(int(mine.at[index, "index"]), column, "line_matched", _(
            "This bank line is matched to withdrawals: its amount and dates cannot change. Unmatch it first on "
            "the bank match page.")))
    return stored_lines_update(done=done, table=BankLine._meta.db_table, object_type="bank_line",
                               ids=theirs["id"].astype("int64").to_numpy(), old=old, new=new, found=found, user=user)
