"""Importing bank statements of every format: the real samples (tests/fixtures/real, PROVENANCE.md) with exact counts,
amounts and refs, hand-written CAMT.053 and sheets, balance flags, duplicates and refusals."""
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payments.bank_services import bank_statement_import
from payments.models import BankAccount, BankLine, BankStatement
from recon.core.errors import UserFacingError
from recon.sources.models import RejectedRow, SourceFile

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REAL, HAND = FIXTURES / "real", FIXTURES / "payments" / "bank"
ACCOUNT = "6222000011112222"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run_import(path: Path, account: str = ACCOUNT):
    return bank_statement_import(file=str(path), filename=path.name, account_no=account)


def ordered_lines(file_id: int):
    return list(BankLine.objects.filter(statement__source_id=file_id).order_by("statement__position", "position"))


# file, rows, statements, first ref, first amount, last ref, last amount, (source, ok, difference) of the first
# statements, statements flagged. Refs made by us read <account>-<YYYYMMDD>-<n of that day in the file>.
REAL_FILES = [
    ("cn_bank/abc-debit-records.csv", 5, 1, "369396693", "10000.00", "0000000000/2", "0.00", [("running", False, "10.00")], 1),
    ("cn_bank/boc-debit-records.csv", 17, 1, "6222000011112222-20250822-1", "-71.89", "6222000011112222-20250801-2", "1000.00",
     [("running", True, "0.00")], 0),
    ("cn_bank/ccb-交易明细.xls", 6, 1, "6222000011112222-20250101-1", "-67.00", "6222000011112222-20250106-2", "-66.40",
     [("running", False, "-46.00")], 1),
    ("cn_bank/cmb-debit-records.csv", 5, 1, "6222000011112222-20240101-1", "1234.00", "6222000011112222-20240123-1", "-10.14",
     [("running", False, "-187.44")], 1),
    # ICBC masks every balance ('xx,yyyy.zz'): the lines import, the balance is not checked.
    ("cn_bank/icbc-debit-v2-records.csv", 11, 1, "6222000011112222-20230502-1", "-13.40", "6222000011112222-20230208-1", "1.04",
     [("", None, None)], 0),
    ("cn_bank/spdb-debit-records.xls", 4, 1, "6222000011112222-20251203-1", "-3.88", "6222000011112222-20251205-3", "-3.88",
     [("running", True, "0.00")], 0),
    ("mt940/betterplace-sepa_mt9401.sta", 97, 26, "0724710345313905", "300.00", "0724710290648274", "50.05",
     [("stated", True, "0.00"), ("stated", True, "0.00"), ("stated", True, "0.00")], 0),
    ("mt940/cmxl-mt940.sta", 16, 3, "45050050/76198810-20131017-1", "-6800.00", "8327000090031791", "40.00",
     [("stated", True, "0.00"), ("stated", True, "0.00"), ("stated", True, "0.00")], 0),
    ("mt940/jejik-abnamro.sta", 10, 2, "517852257-20110524-1", "-9.00", "517852257-20110524-3", "-15.00",
     [("stated", False, "-2038.00"), ("stated", False, "-1002.60")], 2),
    ("mt940/jejik-ing.sta", 7, 1, "0001234567-20100722-1", "-25.03", "0001234567-20100723-1", "1.00", [("stated", False, "49.06")], 1),
    ("mt940/jejik-rabobank.sta", 5, 4, "1291.99.348EUR-20110527-1", "-1213.28", "1526.89.184EUR-20120829-2", "-6.20",
     [("stated", False, "1135.93"), ("stated", True, "0.00"), ("stated", False, "236.56")], 2),
    # OFX states a closing balance only: nothing to add up against.
    ("ofx/bank_medium.ofx", 3, 1, "0000123456782009040100001", "-6.60", "0000123456782009040300005", "-22.00", [("", None, None)], 0),
    ("ofx/multiple_accounts.ofx", 0, 2, None, None, None, None, [("", None, None), ("", None, None)], 0),
]


@pytest.mark.parametrize("name, rows, n_statements, first_ref, first_amount, last_ref, last_amount, checks, flagged",
                         REAL_FILES, ids=[r[0] for r in REAL_FILES])
def test_every_real_sample_imports_with_exact_lines_and_balance_checks(name, rows, n_statements, first_ref, first_amount,
                                                                       last_ref, last_amount, checks, flagged):
    result = run_import(REAL / name)
    assert result.as_dict() == {"file_id": result.file_id, "rows": rows, "rejected": 0, "duplicates": 0}
    statements = list(BankStatement.objects.filter(source_id=result.file_id).order_by("position"))
    assert len(statements) == n_statements
    lines = ordered_lines(result.file_id)
    assert len(lines) == rows
    if rows:
        assert (lines[0].ref, str(lines[0].amount), lines[-1].ref, str(lines[-1].amount)) == (
            first_ref, first_amount, last_ref, last_amount)
    got = [(s.balance_source, s.balance_ok, None if s.balance_difference is None else str(s.balance_difference))
           for s in statements[:3]]
    assert got == checks
    source = SourceFile.objects.get(pk=result.file_id)
    assert source.file_kind == "bank_statement"
    assert source.read_info["balance_flags"] == flagged == sum(1 for s in statements if s.balance_ok is False)


def test_mt940_statement_balances_and_accounts_come_from_the_file():
    result = run_import(REAL / "mt940/jejik-rabobank.sta", account="")
    statements = list(BankStatement.objects.filter(source_id=result.file_id).order_by("position"))
    assert [s.account.account_no for s in statements] == ["1291.99.348EUR"] * 3 + ["1526.89.184EUR"]
    first = statements[0]
    assert (first.opening_balance, first.closing_balance, first.currency, first.line_count) == (
        Decimal("473.17"), Decimal("395.82"), "EUR", 1)
    # Opening 473.17 − 1213.28 gives −740.11, the file says 395.82.
    assert first.balance_difference == Decimal("1135.93")
    assert statements[1].line_count == 0 and statements[1].balance_ok is True


def test_mt940_reversal_of_a_credit_is_money_out():
    result = run_import(REAL / "mt940/betterplace-sepa_mt9401.sta")
    first = BankStatement.objects.get(source_id=result.file_id, position=1)
    # :61:0709040904RCR204,88 — without it signed negative the first statement would not add up.
    assert BankLine.objects.get(statement=first, position=6).amount == Decimal("-204.88")
    assert first.balance_ok is True


def test_broken_mt940_sample_is_refused_and_writes_nothing():
    with pytest.raises(UserFacingError) as err:
        run_import(REAL / "mt940/betterplace-sepa_snippet_broken.sta")
    assert err.value.code == "corrupt_file"
    assert "无法读取“betterplace-sepa_snippet_broken.sta”（MT940）" in err.value.message
    assert ":25:" in err.value.message
    assert (SourceFile.objects.count(), BankLine.objects.count(), BankAccount.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize("name, problem", [
    ("ofx/fail_nice-decimal_error.ofx", "“$120”"),
    ("ofx/bank_small.ofx", "STMTRS"),
])
def test_broken_ofx_samples_are_refused_with_the_reason(name, problem):
    with pytest.raises(UserFacingError) as err:
        run_import(REAL / name)
    assert err.value.code == "corrupt_file"
    assert problem in err.value.message
    assert SourceFile.objects.count() == 0


def test_ofx_statements_of_several_accounts_each_with_its_closing_balance():
    result = run_import(REAL / "ofx/multiple_accounts.ofx", account="")
    got = [(s.account.account_no, s.closing_balance, s.line_count, s.currency)
           for s in BankStatement.objects.filter(source_id=result.file_id).order_by("position")]
    assert got == [("9100", Decimal("111.00"), 0, "USD"), ("9200", Decimal("222.00"), 0, "USD")]


def test_camt053_lines_signed_by_their_indicator_with_parties_and_refs():
    result = run_import(HAND / "camt053-normal.xml", account="")
    assert result.as_dict()["rows"] == 2
    lines = ordered_lines(result.file_id)
    assert [(l.ref, str(l.booked_on), l.amount, l.counterparty_name, l.counterparty_account, l.description) for l in lines] == [
        ("B261003001", "2026-10-03", Decimal("300.00"), "支付宝（中国）网络技术有限公司", "2088000000000001", "提现 W20261002001"),
        ("B261005002", "2026-10-05", Decimal("-49.50"), "杭州好店贸易有限公司", "", "手续费"),
    ]
    statement = BankStatement.objects.get(source_id=result.file_id)
    assert (statement.account.account_no, statement.opening_balance, statement.closing_balance, statement.balance_ok) == (
        "31010000123456789", Decimal("1000.00"), Decimal("1250.50"), True)


def test_camt053_reversal_takes_its_direction_from_the_indicator():
    result = run_import(HAND / "camt053-reversal.xml", account="")
    assert [(l.ref, l.amount) for l in ordered_lines(result.file_id)] == [
        ("R261010001", Decimal("200.00")), ("R261011001", Decimal("-200.00"))]
    assert BankStatement.objects.get(source_id=result.file_id).balance_ok is True


def test_camt053_statement_without_entries_imports_with_rows_0_and_its_balances():
    result = run_import(HAND / "camt053-empty.xml", account="")
    assert result.as_dict() == {"file_id": result.file_id, "rows": 0, "rejected": 0, "duplicates": 0}
    statement = BankStatement.objects.get(source_id=result.file_id)
    assert (statement.opening_balance, statement.closing_balance, statement.balance_source, statement.balance_ok) == (
        Decimal("80.00"), Decimal("80.00"), "stated", True)


def test_stated_balance_mismatch_is_imported_and_flagged():
    result = run_import(HAND / "camt053-mismatch.xml", account="")
    statement = BankStatement.objects.get(source_id=result.file_id)
    assert result.rows == 1
    # 100.00 + 10.00 = 110.00, the statement closes at 120.00.
    assert (statement.balance_source, statement.balance_ok, statement.balance_difference, statement.balance_break_ref) == (
        "stated", False, Decimal("10.00"), "")
    assert SourceFile.objects.get(pk=result.file_id).read_info["balance_flags"] == 1


def test_entity_expansion_attack_is_refused():
    with pytest.raises(UserFacingError) as err:
        run_import(HAND / "camt053-billion-laughs.xml", account="")
    assert err.value.code == "corrupt_file"
    assert "DTD" in err.value.message
    assert SourceFile.objects.count() == 0


@pytest.mark.parametrize("name, break_ref, order", [
    ("break-oldest-first.csv", "C0003", "oldest_first"),
    ("break-newest-first.csv", "D0003", "newest_first"),
])
def test_running_balance_break_flagged_in_either_date_order(name, break_ref, order):
    result = run_import(HAND / name)
    statement = BankStatement.objects.get(source_id=result.file_id)
    # 2995.00 + 500.00 = 3495.00 on 10-04; the file says 3595.00: a line of 100.00 is missing before it.
    assert (statement.balance_source, statement.balance_ok, statement.balance_difference, statement.balance_break_ref,
            statement.balance_breaks) == ("running", False, Decimal("100.00"), break_ref, 1)
    [summary] = SourceFile.objects.get(pk=result.file_id).read_info["statements"]
    assert (summary["balance_order"], summary["balance_break_ref"], summary["balance_difference"]) == (order, break_ref, "100.00")


def test_english_sheet_with_debit_and_credit_columns_and_a_rejected_row():
    result = run_import(HAND / "english.csv")
    assert result.as_dict() == {"file_id": result.file_id, "rows": 3, "rejected": 1, "duplicates": 0}
    assert [(l.ref, str(l.booked_on), str(l.value_on), l.amount, l.balance, l.counterparty_name, l.description)
            for l in ordered_lines(result.file_id)] == [
        ("EN-001", "2026-10-01", "2026-10-01", Decimal("1200.00"), Decimal("5200.00"), "Alipay", "Payout"),
        ("EN-002", "2026-10-02", "2026-10-03", Decimal("-12.50"), Decimal("5187.50"), "Bank", "Bank fee"),
        ("EN-003", "2026-10-03", "None", Decimal("-300.00"), Decimal("4887.50"), "Customer A", "Refund"),
    ]
    [row] = RejectedRow.objects.filter(source_id=result.file_id)
    assert (row.row_no, row.reason_code, row.reason) == (6, "amount_invalid", "金额“abc”不是有效金额")
    assert BankStatement.objects.get(source_id=result.file_id).balance_ok is True


def test_reimport_of_the_same_lines_counts_them_all_as_duplicates(tmp_path):
    first = run_import(REAL / "cn_bank/boc-debit-records.csv")
    copy = tmp_path / "boc-again.csv"
    copy.write_bytes((REAL / "cn_bank/boc-debit-records.csv").read_bytes() + b"\r\n")
    again = run_import(copy)
    assert again.as_dict() == {"file_id": again.file_id, "rows": 0, "rejected": 0, "duplicates": 17}
    assert again.file_id != first.file_id
    assert BankLine.objects.count() == 17
    # The very same bytes are the same file: nothing is read or written again.
    same = run_import(REAL / "cn_bank/boc-debit-records.csv")
    assert (same.file_id, same.repeated, same.rows) == (first.file_id, True, 17)


def test_rows_rejected_and_duplicates_add_up_to_the_data_rows(tmp_path):
    run_import(HAND / "english.csv")
    grown = tmp_path / "english-grown.csv"
    grown.write_bytes((HAND / "english.csv").read_bytes() + b"2026-10-05,,New,EN-005,Alipay,,10.00,\"4,897.50\"\r\n")
    result = run_import(grown)
    assert (result.rows, result.rejected, result.duplicates) == (1, 1, 3)
    assert result.rows + result.rejected + result.duplicates == 5


def test_generated_refs_are_stable_when_the_same_file_comes_again(tmp_path):
    run_import(REAL / "cn_bank/cmb-debit-records.csv")
    refs = sorted(BankLine.objects.values_list("ref", flat=True))
    copy = tmp_path / "cmb.csv"
    copy.write_bytes((REAL / "cn_bank/cmb-debit-records.csv").read_bytes() + b"\n")
    assert run_import(copy).duplicates == 5
    assert sorted(BankLine.objects.values_list("ref", flat=True)) == refs
    assert refs[:2] == ["6222000011112222-20240101-1", "6222000011112222-20240101-2"]


def test_unknown_format_is_refused_listing_the_formats_read():
    with pytest.raises(UserFacingError) as err:
        run_import(HAND / "letter.txt")
    assert err.value.code == "unknown_format"
    for name in ("MT940", "CAMT.053", "OFX", "CSV/XLS/XLSX"):
        assert name in err.value.message


def test_a_sheet_without_account_needs_one():
    with pytest.raises(UserFacingError) as err:
        run_import(HAND / "english.csv", account="")
    assert err.value.code == "account_required"
    assert (SourceFile.objects.count(), BankAccount.objects.count()) == (0, 0)


def test_command_json_keeps_the_four_keys_and_creates_the_account(capsys):
    call_command("import_bank_statement", str(HAND / "break-oldest-first.csv"), "--account", "31050161373600001234", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out == {"file_id": out["file_id"], "rows": 4, "rejected": 0, "duplicates": 0}
    assert BankAccount.objects.get(account_no="31050161373600001234").counterparty.code == "31050161373600001234"


def test_command_without_account_for_a_sheet_exits_with_the_message():
    with pytest.raises(CommandError) as err:
        call_command("import_bank_statement", str(HAND / "english.csv"), "--json")
    assert str(err.value).startswith("account_required: ")
    assert SourceFile.objects.count() == 0
