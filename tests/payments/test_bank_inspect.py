"""A bank statement looked at before it is imported (POST /payments/bank/inspect/): the format, the statements with
their balances and the first lines as they will be imported for every format, a sheet's columns with the guesses
marked; the columns chosen there used by the upload and remembered for the account, unconfirmed guesses refused."""
from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from payments.models import BankAccount, BankLine
from recon.sources.models import ColumnMapping, SourceFile

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REAL, HAND = FIXTURES / "real", FIXTURES / "payments" / "bank"
ACCOUNT = "6222000011112222"

# A foreign-currency account's export: the amount traded (原币金额, in dollars) beside the amount booked in yuan
# (本币金额). Neither is a name we know for sure; which one is the line's amount is for the clerk to say.
TWO_AMOUNTS_HEADER = ["交易日期", "摘要", "原币金额", "币种", "本币金额", "余额", "对方户名", "对方账号", "交易流水号"]
TWO_AMOUNTS = (
    ",".join(TWO_AMOUNTS_HEADER) + "\n"
    "2026-10-03,提现,42.00,USD,300.00,1300.00,支付宝（中国）网络技术有限公司,215500690,HZ2610030001\n"
    "2026-10-05,手续费,-6.93,USD,-49.50,1250.50,,,HZ2610050002\n"
).encode("utf-8")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clerk(client, finance_user):
    client.force_login(finance_user)
    return client


def inspect(client, name: str, content: bytes, **data):
    return client.post(reverse("bank-inspect"), {"file": SimpleUploadedFile(name, content), **data},
                       HTTP_ACCEPT="application/json")


def upload(client, name: str, content: bytes, **data):
    return client.post(reverse("bank-upload"), {"file": SimpleUploadedFile(name, content), **data})


def columns(body: dict) -> dict:
    return {f["name"]: (f["column"], f["header"], f["certain"]) for f in body["fields"] if f["column"] is not None}


def test_inspect_camt053_answers_its_format_balances_and_lines_and_stores_nothing(clerk):
    response = inspect(clerk, "camt053-normal.xml", (HAND / "camt053-normal.xml").read_bytes())
    assert response.status_code == 200
    body = response.json()
    assert (body["format"], body["format_label"], body["sheet"], body["fields"], body["needs_confirmation"]) == (
        "camt053", "CAMT.053（ISO 20022 XML 对账单）", False, [], False)
    assert body["statements"] == [{
        "account": "31010000123456789", "statement_ref": "STMT-2026-10", "currency": "CNY", "opened_on": "2026-10-01",
        "closed_on": "2026-10-31", "opening_balance": "1000.00", "closing_balance": "1250.50", "lines": 2}]
    assert body["lines"] == [
        {"account": "31010000123456789", "booked_on": "2026-10-03", "amount": "300.00",
         "counterparty_name": "支付宝（中国）网络技术有限公司", "description": "提现 W20261002001", "ref": "B261003001",
         "balance": None, "currency": "CNY"},
        {"account": "31010000123456789", "booked_on": "2026-10-05", "amount": "-49.50",
         "counterparty_name": "杭州好店贸易有限公司", "description": "手续费", "ref": "B261005002", "balance": None,
         "currency": "CNY"},
    ]
    assert (body["line_count"], body["rejected"], body["needs_account"], body["already_imported"]) == (2, 0, False, None)
    assert (SourceFile.objects.count(), BankAccount.objects.count(), BankLine.objects.count()) == (0, 0, 0)


def test_inspect_mt940_answers_its_statement_and_the_lines_with_the_refs_the_import_makes(clerk):
    body = inspect(clerk, "jejik-ing.sta", (REAL / "mt940" / "jejik-ing.sta").read_bytes()).json()
    assert (body["format"], body["format_label"], body["sheet"]) == ("mt940", "MT940（SWIFT 对账单）", False)
    assert body["statements"] == [{
        "account": "0001234567", "statement_ref": "MPBZ/000", "currency": "EUR", "opened_on": "2010-07-22",
        "closed_on": "2010-07-23", "opening_balance": "0.00", "closing_balance": "3.47", "lines": 7}]
    assert [(line["booked_on"], line["amount"], line["ref"]) for line in body["lines"]] == [
        ("2010-07-22", "-25.03", "0001234567-20100722-1"), ("2010-07-22", "-3.03", "0001234567-20100722-2"),
        ("2010-07-22", "-1.11", "0001234567-20100722-3"), ("2010-07-22", "-20.00", "0001234567-20100722-4"),
        ("2010-07-22", "-1.10", "0001234567-20100722-5"), ("2010-07-22", "3.68", "0001234567-20100722-6"),
        ("2010-07-23", "1.00", "0001234567-20100723-1"),
    ]
    assert body["lines"][4] == {"account": "0001234567", "booked_on": "2010-07-22", "amount": "-1.10",
                                "counterparty_name": "", "description": "0111111111 GPPeking 170000001AC",
                                "ref": "0001234567-20100722-5", "balance": None, "currency": "EUR"}
    # The refs shown are the ones the import stores.
    call_command("import_bank_statement", str(REAL / "mt940" / "jejik-ing.sta"), "--json", stdout=io.StringIO())
    assert list(BankLine.objects.order_by("position").values_list("ref", flat=True)) == [
        line["ref"] for line in body["lines"]]


def test_inspect_shows_the_first_ten_lines_of_a_file_of_many_statements(clerk):
    body = inspect(clerk, "cmxl-mt940.sta", (REAL / "mt940" / "cmxl-mt940.sta").read_bytes()).json()
    assert [(s["account"], s["opened_on"], s["closed_on"], s["opening_balance"], s["closing_balance"], s["lines"])
            for s in body["statements"]] == [
        ("45050050/76198810", "2013-10-16", "2013-10-17", "84349.74", "84437.04", 11),
        ("10020030/1234567", "2002-11-01", "2002-11-30", "2187.95", "4387.95", 2),
        ("BPHKPLPK/320000546101", "2003-10-02", "2002-03-25", "40000.00", "50040.00", 3),
    ]
    assert body["line_count"] == 16
    assert [line["amount"] for line in body["lines"]] == [
        "-6800.00", "-620.30", "18500.00", "-14220.00", "-1507.00", "4200.00", "-19900.00", "-400.00", "3656.74", "23040.00"]
    assert body["lines"][3]["ref"] == "45050050/76198810-20131015-1"


def test_inspect_chinese_bank_csv_answers_its_columns_and_the_guessed_amount(clerk):
    response = inspect(clerk, "外币账户流水.csv", TWO_AMOUNTS)
    assert response.status_code == 200
    body = response.json()
    assert (body["format"], body["format_label"], body["sheet"]) == ("sheet", "国内银行流水导出（CSV）", True)
    assert body["header"] == {"sheet": "", "row": 1, "cells": TWO_AMOUNTS_HEADER}
    assert columns(body) == {
        "booked_on": (0, "交易日期", True), "description": (1, "摘要", True), "amount": (2, "原币金额", False),
        "currency": (3, "币种", True), "balance": (5, "余额", True), "counterparty_name": (6, "对方户名", True),
        "counterparty_account": (7, "对方账号", True), "ref": (8, "交易流水号", True),
    }
    assert [f["label"] for f in body["fields"]][:3] == ["记账日期", "起息日", "金额"]
    assert (body["uncertain"], body["needs_confirmation"]) == (["amount"], True)
    assert body["rows"][0] == ["2026-10-03", "提现", "42.00", "USD", "300.00", "1300.00", "支付宝（中国）网络技术有限公司",
                               "215500690", "HZ2610030001"]
    # The lines as the guess reads them; a sheet names no account, so the page asks for it.
    assert [(line["booked_on"], line["amount"], line["balance"], line["ref"]) for line in body["lines"]] == [
        ("2026-10-03", "42.00", "1300.00", "HZ2610030001"), ("2026-10-05", "-6.93", "1250.50", "HZ2610050002")]
    assert body["statements"] == [{"account": "", "statement_ref": "", "currency": "", "opened_on": "2026-10-03",
                                   "closed_on": "2026-10-05", "opening_balance": None, "closing_balance": None,
                                   "lines": 2}]
    assert body["needs_account"] is True


def test_inspect_reads_the_lines_with_the_column_chosen(clerk):
    body = inspect(clerk, "外币账户流水.csv", TWO_AMOUNTS, account=ACCOUNT, map_amount="本币金额").json()
    assert columns(body)["amount"] == (4, "本币金额", True)
    assert (body["uncertain"], body["needs_account"]) == ([], False)
    assert [(line["amount"], line["ref"]) for line in body["lines"]] == [("300.00", "HZ2610030001"), ("-49.50", "HZ2610050002")]


def test_inspect_of_a_real_cmb_export_finds_every_column_for_sure(clerk):
    body = inspect(clerk, "cmb-debit-records.csv", (REAL / "cn_bank" / "cmb-debit-records.csv").read_bytes(),
                   account=ACCOUNT).json()
    assert columns(body) == {
        "booked_on": (0, "记账日期", True), "currency": (1, "货币", True), "amount": (2, "交易金额", True),
        "balance": (3, "联机余额", True), "description": (4, "交易摘要", True), "counterparty_name": (5, "对手信息", True),
        "description2": (6, "客户摘要", True),
    }
    assert body["uncertain"] == []
    assert body["lines"][0] == {"account": ACCOUNT, "booked_on": "2024-01-01", "amount": "1234.00",
                                "counterparty_name": "北京住房公积金管理中心1111111111",
                                "description": "代发住房公积金 01月01日约定提取", "ref": f"{ACCOUNT}-20240101-1",
                                "balance": "1271.66", "currency": "CNY"}


def test_inspect_of_an_english_sheet_names_it_so(clerk):
    body = inspect(clerk, "english.csv", (HAND / "english.csv").read_bytes(), account=ACCOUNT).json()
    assert (body["format_label"], body["title"], body["uncertain"]) == ("英文列名的流水表格（CSV）", ["Account statement"], [])
    assert [(line["amount"], line["ref"]) for line in body["lines"]] == [
        ("1200.00", "EN-001"), ("-12.50", "EN-002"), ("-300.00", "EN-003")]


def test_inspect_of_an_unknown_format_lists_the_formats_read(clerk):
    response = inspect(clerk, "letter.txt", (HAND / "letter.txt").read_bytes())
    assert response.status_code == 400
    assert response.json() == {"code": "unknown_format", "errors": {"file": [
        "“letter.txt”不是可读取格式的银行流水。可读取的格式：MT940、CAMT.053（XML）、OFX（SGML v1 或 XML v2），以及带中文银行列"
        "（交易日期、借方发生额/贷方发生额或金额、余额……）或英文列（Date、Amount 或 Debit/Credit、Balance……）的 CSV/XLS/XLSX 表格。"]}}


def test_inspect_says_in_english_for_an_english_reader(clerk):
    response = clerk.post(reverse("bank-inspect"), {"file": SimpleUploadedFile("letter.txt", (HAND / "letter.txt").read_bytes())},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"]["file"][0].startswith(
        "“letter.txt” is not a bank statement in a format we read. Formats read: MT940, CAMT.053 (XML), ")
    body = clerk.post(reverse("bank-inspect"), {"file": SimpleUploadedFile("a.xml", (HAND / "camt053-normal.xml").read_bytes())},
                      HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["format_label"] == "CAMT.053 (ISO 20022 XML statement)"


def test_inspect_says_when_the_file_was_imported_before(clerk):
    first = upload(clerk, "camt053-normal.xml", (HAND / "camt053-normal.xml").read_bytes())
    assert first.context["result"]["rows"] == 2
    body = inspect(clerk, "again.xml", (HAND / "camt053-normal.xml").read_bytes()).json()
    assert body["already_imported"] == SourceFile.objects.get().pk


def test_inspect_needs_the_import_right_and_a_post(client, outsider_user, finance_user):
    client.force_login(outsider_user)
    assert inspect(client, "a.xml", b"<x/>").status_code == 403
    client.force_login(finance_user)
    assert client.get(reverse("bank-inspect")).status_code == 405
    assert client.post(reverse("bank-inspect"), {}).json() == {"code": "no_file", "errors": {"file": ["请选择文件。"]}}


def test_an_upload_reads_the_column_chosen_in_the_preview_and_remembers_it_for_the_account(clerk):
    response = upload(clerk, "外币账户流水.csv", TWO_AMOUNTS, account=ACCOUNT, confirm_columns="1", map_amount="本币金额")
    assert response.status_code == 200
    assert response.context["result"]["rows"] == 2
    assert list(BankLine.objects.order_by("booked_on").values_list("ref", "amount", "balance")) == [
        ("HZ2610030001", Decimal("300.00"), Decimal("1300.00")), ("HZ2610050002", Decimal("-49.50"), Decimal("1250.50"))]
    account = BankAccount.objects.get(account_no=ACCOUNT)
    mapping = ColumnMapping.objects.get(counterparty_id=account.counterparty_id, file_kind="bank_statement")
    assert mapping.mapping == {"amount": "本币金额"}
    # The account's next export of this layout is read without a guess, and the page says the column is remembered.
    nxt = TWO_AMOUNTS.replace(b"HZ2610050002", b"HZ2610050003")
    body = inspect(clerk, "next.csv", nxt, account=ACCOUNT).json()
    assert (body["uncertain"], columns(body)["amount"]) == ([], (4, "本币金额", True))
    assert {f["name"] for f in body["fields"] if f["remembered"]} == {"amount"}
    # Another account has nothing remembered: the guess again.
    assert inspect(clerk, "next.csv", nxt, account="6222999900001111").json()["uncertain"] == ["amount"]


def test_a_guess_confirmed_in_the_preview_is_remembered_as_guessed(clerk):
    upload(clerk, "外币账户流水.csv", TWO_AMOUNTS, account=ACCOUNT, confirm_columns="1")
    assert list(BankLine.objects.order_by("booked_on").values_list("amount", flat=True)) == [Decimal("42.00"), Decimal("-6.93")]
    account = BankAccount.objects.get(account_no=ACCOUNT)
    assert ColumnMapping.objects.get(counterparty_id=account.counterparty_id).mapping == {"amount": "原币金额"}


def test_guessed_columns_without_the_preview_are_refused_with_the_guess_named(clerk):
    response = upload(clerk, "外币账户流水.csv", TWO_AMOUNTS, account=ACCOUNT)
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "请核对以下推测的列：金额 → 列 C “原币金额”。请重新选择文件，并在预览中确认。"]
    assert (SourceFile.objects.count(), BankAccount.objects.count(), BankLine.objects.count()) == (0, 0, 0)


def test_guessed_columns_refused_in_english_for_an_english_reader(clerk):
    response = clerk.post(reverse("bank-upload"), {"file": SimpleUploadedFile("in.csv", TWO_AMOUNTS), "account": ACCOUNT},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["form"].errors["file"] == [
        "Please check the columns guessed for: Amount → column C “原币金额”. Choose the file again and confirm them in "
        "the preview."]


def test_the_command_reads_a_guessed_column_as_before(tmp_path, capsys):
    path = tmp_path / "外币账户流水.csv"
    path.write_bytes(TWO_AMOUNTS)
    call_command("import_bank_statement", str(path), "--account", ACCOUNT, "--json")
    assert json.loads(capsys.readouterr().out) == {"file_id": SourceFile.objects.get().pk, "rows": 2, "rejected": 0,
                                                   "duplicates": 0}
    assert list(BankLine.objects.order_by("booked_on").values_list("amount", flat=True)) == [Decimal("42.00"), Decimal("-6.93")]


def test_debit_and_credit_columns_win_over_an_amount_only_guessed(clerk):
    content = ("交易日期,借方发生额,贷方发生额,原币金额,余额\n"
               "2026-10-03,,300.00,42.00,1300.00\n"
               "2026-10-05,49.50,,6.93,1250.50\n").encode("utf-8")
    body = inspect(clerk, "借贷.csv", content, account=ACCOUNT).json()
    assert [line["amount"] for line in body["lines"]] == ["300.00", "-49.50"]
