"""A settlement file looked at before it is imported (POST /payments/settlements/inspect/): the layout recognised and its
columns per field; the columns chosen there used by the upload and remembered for the platform; guesses refused
unconfirmed."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from payments.models import SettlementLine
from recon.sources.models import ColumnMapping, SourceFile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).resolve().parent.parent / "fixtures" / "payments" / "settlements"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# A platform ledger whose amount is in 结算金额, a name no layout knows; 金额 is the amount before the platform's cut.
LEDGER = [
    ["流水号", "入账时间", "订单号", "业务类型", "金额", "结算金额", "备注"],
    ["LS001", "2026-10-01 10:00:00", "DY1001", "货款", "100.00", "95.50", ""],
    ["LS002", "2026-10-02 11:30:00", "DY1002", "货款", "20.00", "19.10", "满减"],
]
# Two columns both named 金额: which one is the amount is a guess the clerk must confirm.
LEDGER_TWO_AMOUNTS = [
    ["流水号", "入账时间", "订单号", "业务类型", "金额", "金额", "备注"],
    ["LS101", "2026-10-03 09:00:00", "DY1101", "货款", "88.00", "abc", ""],
]


def csv_bytes(rows: list[list[str]]) -> bytes:
    return ("\r\n".join(",".join(row) for row in rows) + "\r\n").encode("utf-8")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def clerk(finance_user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(finance_user)
    return client


def inspect(client, name: str, content: bytes, **data):
    return client.post(reverse("settlements-inspect"), {"file": SimpleUploadedFile(name, content), **data},
                       HTTP_ACCEPT="application/json")


def upload(client, name: str, content: bytes, **data):
    return client.post(reverse("settlement-upload"), {"file": SimpleUploadedFile(name, content), **data})


def columns(body: dict) -> dict:
    return {f["name"]: (f["column"], f["header"], f["certain"]) for f in body["fields"]}


def amounts(platform: str) -> list[tuple]:
    rows = SettlementLine.objects.filter(platform__code=platform).order_by("settlement_id")
    return list(rows.values_list("settlement_id", "order_no", "amount"))


def test_inspect_an_alipay_account_detail_names_its_layout_and_every_column_and_stores_nothing(clerk):
    content = (FILES / "alipay-account-detail-2026-10.csv").read_bytes()
    response = inspect(clerk, "alipay.csv", content, platform="TMALL")
    assert response.status_code == 200
    body = response.json()
    assert body["settlement_format"] == {"code": "alipay_merchant", "label": "支付宝账务明细"}
    assert body["notes"] == ["识别为：支付宝账务明细"]
    assert (body["format"], body["uncertain"], body["needs_confirmation"]) == ("csv", [], False)
    assert body["header"]["row"] == 5
    assert body["title"] == ["#支付宝账务明细查询", "#账号：[20881234567890120156]",
                             "#起始日期：[2026年10月01日 00:00:00]    终止日期：[2026年10月31日 23:59:59]",
                             "#-----------------------------------------账务明细列表----------------------------------------"]
    assert columns(body) == {
        "settlement_id": (0, "账务流水号", True), "trade_no": (1, "业务流水号", True), "occurred_at": (4, "发生时间", True),
        "amount_in": (6, "收入金额（+元）", True), "amount_out": (7, "支出金额（-元）", True), "business_type": (10, "业务类型", True),
        "order_no": (2, "商户订单号", True), "balance": (8, "账户余额（元）", True), "counterparty_name": (5, "对方账号", True),
        "remark": (11, "备注", True),
    }
    assert [f["label"] for f in body["fields"]][:4] == ["账务流水号", "交易号", "发生时间", "收入金额"]
    assert body["rows"][0][:5] == ["20261001110070001506", "2026100122001412345678901234", "T202610010001", "连衣裙",
                                   "2026-10-01 10:12:30"]
    assert (SourceFile.objects.count(), SettlementLine.objects.count()) == (0, 0)


def test_inspect_a_generic_ledger_reads_its_columns_under_the_usual_names(clerk):
    body = inspect(clerk, "jd.csv", (FILES / "jd-ledger-income-expense.csv").read_bytes(), platform="JD").json()
    assert body["settlement_format"]["code"] == "ledger"
    assert body["notes"] == ["识别为：含流水号（账务流水号/流水号）、时间（入账时间/发生时间）和金额（收入金额与支出金额、金额，"
                             "或金额加收支类型）的结算流水"]
    assert (body["header"]["row"], body["title"], body["uncertain"]) == (3, ["京东商家资金流水", "店铺：某某旗舰店"], [])
    assert columns(body) == {
        "settlement_id": (0, "财务流水号", True), "occurred_at": (3, "记账时间", True), "order_no": (1, "订单号", True),
        "trade_no": (2, "交易号", True), "business_type": (4, "账务类型", True), "amount_in": (5, "收入金额", True),
        "amount_out": (6, "支出金额", True), "amount": (None, "", True), "direction": (None, "", True),
        "balance": (7, "账户余额", True), "counterparty_name": (None, "", True), "remark": (8, "备注", True),
    }


def test_inspect_marks_the_amount_of_two_alike_columns_for_checking(clerk):
    body = inspect(clerk, "ledger.csv", csv_bytes(LEDGER_TWO_AMOUNTS), platform="DOUYIN").json()
    assert (body["settlement_format"]["code"], body["uncertain"], body["needs_confirmation"]) == ("ledger", ["amount"], True)
    assert columns(body)["amount"] == (4, "金额", False)


def test_inspect_a_file_of_no_layout_says_which_layouts_are_read(clerk):
    response = inspect(clerk, "notes.csv", csv_bytes([["日期", "说明"], ["2026-10-01", "无"]]), platform="TMALL")
    assert response.status_code == 400
    message = response.json()["errors"]["file"][0]
    assert message.startswith("“notes.csv”不是可读取的结算文件")
    assert "支付宝账务明细" in message


def test_an_upload_with_a_chosen_column_reads_that_column_and_remembers_it_for_the_platform(clerk):
    response = upload(clerk, "抖店资金流水.csv", csv_bytes(LEDGER), platform="DOUYIN", map_amount="结算金额", confirm_columns="1")
    assert response.status_code == 200
    assert amounts("DOUYIN") == [("LS001", "DY1001", Decimal("95.50")), ("LS002", "DY1002", Decimal("19.10"))]
    line = SettlementLine.objects.get(settlement_id="LS002")
    assert (line.occurred_at, line.business_type, line.remark) == (datetime(2026, 10, 2, 11, 30, tzinfo=SHANGHAI), "payment", "满减")
    mapping = ColumnMapping.objects.get()
    assert (mapping.counterparty.code, mapping.file_kind, mapping.mapping) == ("DOUYIN", "settlement:ledger", {"amount": "结算金额"})

    # The next file of that platform: the remembered column, shown as such, and read without being chosen again.
    later = [LEDGER[0], ["LS003", "2026-10-05 08:00:00", "DY1003", "货款", "50.00", "47.75", ""]]
    body = inspect(clerk, "抖店资金流水-2.csv", csv_bytes(later), platform="DOUYIN").json()
    amount = next(f for f in body["fields"] if f["name"] == "amount")
    assert (amount["column"], amount["header"], amount["certain"], amount["remembered"]) == (5, "结算金额", True, True)
    upload(clerk, "抖店资金流水-2.csv", csv_bytes(later), platform="DOUYIN")
    assert amounts("DOUYIN")[-1] == ("LS003", "DY1003", Decimal("47.75"))
    # Another platform has nothing remembered: its 金额 is the amount.
    other = [LEDGER[0], ["PD001", "2026-10-05 08:00:00", "PDD1001", "货款", "50.00", "47.75", ""]]
    body = inspect(clerk, "拼多多.csv", csv_bytes(other), platform="PDD").json()
    assert next((f["column"], f["remembered"]) for f in body["fields"] if f["name"] == "amount") == (4, False)
    upload(clerk, "拼多多.csv", csv_bytes(other), platform="PDD")
    assert amounts("PDD") == [("PD001", "PDD1001", Decimal("50.00"))]


def test_guessed_columns_uploaded_without_confirmation_are_refused_with_the_guess_named(clerk):
    response = upload(clerk, "ledger.csv", csv_bytes(LEDGER_TWO_AMOUNTS), platform="DOUYIN")
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "请核对以下推测的列：金额 → 列 E “金额”。请重新选择文件，并在预览中确认。"]
    assert (SourceFile.objects.count(), SettlementLine.objects.count(), ColumnMapping.objects.count()) == (0, 0, 0)

    # Confirmed in the preview: imported, and the confirmed column remembered.
    upload(clerk, "ledger.csv", csv_bytes(LEDGER_TWO_AMOUNTS), platform="DOUYIN", confirm_columns="1")
    assert amounts("DOUYIN") == [("LS101", "DY1101", Decimal("88.00"))]
    assert ColumnMapping.objects.get().mapping == {"amount": "金额"}


def test_the_refusal_in_english(finance_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(finance_user)
    response = upload(client, "ledger.csv", csv_bytes(LEDGER_TWO_AMOUNTS), platform="DOUYIN")
    assert response.context["form"].errors["file"] == [
        "Please check the columns guessed for: amount → column E “金额”. Choose the file again and confirm them in the preview."]


def test_the_command_reads_as_before(tmp_path):
    from django.core.management import call_command
    import io
    import json

    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes(LEDGER_TWO_AMOUNTS))
    out = io.StringIO()
    call_command("import_settlements", str(path), "--platform", "DOUYIN", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"file_id": SourceFile.objects.get().pk, "rows": 1, "rejected": 0, "duplicates": 0}


def test_inspect_needs_the_import_right(ops_user):
    client = Client()
    client.force_login(ops_user)
    response = inspect(client, "jd.csv", (FILES / "jd-ledger-income-expense.csv").read_bytes(), platform="JD")
    assert response.status_code == 403
    assert client.get(reverse("settlements-inspect")).status_code in (403, 405)


def test_the_upload_page_has_the_preview(clerk):
    html = clerk.get(reverse("settlement-upload")).content.decode()
    assert 'data-inspect-url="/payments/settlements/inspect/"' in html
    assert 'name="map_settlement_id"' in html and 'name="map_settled"' in html
    assert "js/upload.js" in html
