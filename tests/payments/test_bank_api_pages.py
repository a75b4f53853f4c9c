"""The bank lines and statements API (filters, bulk post by account + ref, rights) and the /payments/bank/ pages."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from payments.bank_services import bank_statement_import
from payments.models import BankLine

pytestmark = pytest.mark.django_db
HAND = Path(__file__).resolve().parent.parent / "fixtures" / "payments" / "bank"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def imported(db):
    return bank_statement_import(file=str(HAND / "break-oldest-first.csv"), filename="break-oldest-first.csv",
                                 account_no="31050161373600001234")


def test_bank_lines_filters(api_client, imported):
    def refs(**params):
        return [r["ref"] for r in api_client.get("/api/v1/bank-lines/", params).json()["results"]]

    assert refs() == ["C0004", "C0003", "C0002", "C0001"]
    assert refs(direction="credit") == ["C0003", "C0001"]
    assert refs(direction="debit") == ["C0004", "C0002"]
    assert refs(booked_from="2026-10-02", booked_to="2026-10-04") == ["C0003", "C0002"]
    assert refs(amount_min="-10", amount_max="600") == ["C0003", "C0002"]
    assert refs(account="31050161373600001234") == ["C0004", "C0003", "C0002", "C0001"]
    assert refs(account="999") == []


def test_bank_statements_list_shows_the_balance_flag(api_client, imported):
    [row] = api_client.get("/api/v1/bank-statements/").json()["results"]
    assert (row["account"], row["balance_source"], row["balance_ok"], row["balance_difference"], row["balance_break_ref"]) == (
        "31050161373600001234", "running", False, "100.00", "C0003")


def test_bulk_post_creates_by_account_and_ref_and_counts_duplicates(token_client):
    body = {"account": "6222000011112222", "records": [
        {"ref": "B1", "booked_on": "2026-10-03", "amount": "1280.50", "counterparty_name": "支付宝（中国）网络技术有限公司"},
        {"ref": "B2", "booked_on": "2026-10-03", "amount": "-30.00"},
        {"ref": "B3", "booked_on": "2026-13-01", "amount": "1"},
        {"ref": "", "booked_on": "2026-10-03", "amount": "1"},
    ]}
    response = token_client.post("/api/v1/bank-lines/", body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["rows"], data["rejected"], data["duplicates"]) == (2, 2, 0)
    assert [(e["index"], e["field"], e["code"]) for e in data["errors"]] == [(2, "booked_on", "booked_on_invalid"), (3, "ref", "ref_missing")]
    again = token_client.post("/api/v1/bank-lines/", {"account": "6222000011112222", "records": body["records"][:2]}, format="json").json()
    assert (again["rows"], again["duplicates"]) == (0, 2)
    assert sorted((l.ref, str(l.amount)) for l in BankLine.objects.all()) == [("B1", "1280.50"), ("B2", "-30.00")]


def test_bulk_post_needs_the_import_right(ops_user):
    client = APIClient()
    client.force_authenticate(ops_user)
    response = client.post("/api/v1/bank-lines/", {"account": "1", "records": [{"ref": "X"}]}, format="json")
    assert response.status_code == 403
    assert client.get("/api/v1/bank-lines/").status_code == 200


def test_overview_page_shows_statements_flag_and_signed_lines(client, finance_user, imported):
    client.force_login(finance_user)
    page = client.get("/payments/bank/").content.decode()
    assert "银行流水" in page
    assert "余额不符（100.00）" in page and "断点在 C0003 之前" in page
    assert "+1000.00" in page and "-95.00" in page
    filtered = client.get("/payments/bank/", {"direction": "debit"}).content.decode()
    assert "-95.00" in filtered and "+1000.00" not in filtered


def test_upload_page_imports_and_links_the_rejected_rows(client, finance_user):
    client.force_login(finance_user)
    upload = SimpleUploadedFile("english.csv", (HAND / "english.csv").read_bytes())
    page = client.post("/payments/bank/upload/", {"file": upload, "account": "6222000011112222"}).content.decode()
    assert 'data-testid="rows">3<' in page and 'data-testid="rejected">1<' in page and 'data-testid="duplicates">0<' in page
    file_id = BankLine.objects.first().statement.source_id
    rejected = client.get(f"/payments/bank/files/{file_id}/rejected/").content.decode()
    assert "金额“abc”不是有效金额" in rejected


def test_upload_page_names_the_formats_for_an_unknown_file(client, finance_user):
    client.force_login(finance_user)
    upload = SimpleUploadedFile("letter.txt", (HAND / "letter.txt").read_bytes())
    page = client.post("/payments/bank/upload/", {"file": upload}).content.decode()
    assert "不是可读取格式的银行流水" in page and "CAMT.053" in page


def test_pages_need_their_rights(client, outsider_user):
    client.force_login(outsider_user)
    assert client.get("/payments/bank/").status_code == 403
    assert client.get("/payments/bank/upload/").status_code == 403
