"""An orders file looked at before it is imported (POST /orders/inspect/): its columns per field, what the platform
chosen on the page does for it, the columns chosen there used by the upload (and remembered for a chosen platform),
and guesses refused unconfirmed."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from orders.models import Order
from recon.sources.models import ColumnMapping, SourceFile

from .order_files import csv_bytes

pytestmark = pytest.mark.django_db

# An ERP's export: the platform on each row, 实付金额 what the buyer paid, 结算金额 what the shop was paid.
ERP = [
    ["订单号", "平台", "店铺", "订单状态", "付款时间", "实付金额", "结算金额"],
    ["E1001", "天猫", "旗舰店", "交易成功", "2026-10-01 10:00:00", "199.00", "189.05"],
    ["E1002", "京东", "京东店", "已发货", "2026-10-02 11:00:00", "59.90", "56.90"],
]
# A platform's own export: no 平台 column.
OWN_EXPORT = [
    ["订单编号", "订单状态", "买家实付金额", "订单付款时间", "店铺名称"],
    ["3012345678901234567", "交易成功", "1,299.90", "2026-10-01 10:00:05", "某某旗舰店"],
]
# Two columns both named 店铺: which one is the shop is a guess the clerk must confirm.
TWO_SHOPS = [
    ["订单号", "平台", "店铺", "店铺", "订单状态", "实付金额"],
    ["E2001", "拼多多", "拼多多一店", "备用店", "待发货", "30.00"],
]


@pytest.fixture
def clerk(finance_user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(finance_user)
    return client


def inspect(client, name: str, content: bytes, **data):
    return client.post(reverse("orders-inspect"), {"file": SimpleUploadedFile(name, content), **data},
                       HTTP_ACCEPT="application/json")


def upload(client, name: str, content: bytes, **data):
    return client.post(reverse("order-upload"), {"file": SimpleUploadedFile(name, content), **data})


def columns(body: dict) -> dict:
    return {f["name"]: (f["column"], f["header"], f["certain"]) for f in body["fields"]}


def orders() -> list[tuple]:
    return list(Order.objects.order_by("order_no").values_list("platform__code", "order_no", "shop", "order_amount"))


def test_inspect_an_erp_file_finds_every_column_and_says_the_platform_is_read_from_the_file(clerk):
    response = inspect(clerk, "erp.csv", csv_bytes(ERP), platform="")
    assert response.status_code == 200
    body = response.json()
    assert (body["filename"], body["format"], body["uncertain"], body["needs_confirmation"], body["platform"]) == (
        "erp.csv", "csv", [], False, None)
    assert body["header"] == {"sheet": "", "row": 1, "cells": ERP[0]}
    assert columns(body) == {
        "order_no": (0, "订单号", True), "platform": (1, "平台", True), "shop": (2, "店铺", True), "status": (3, "订单状态", True),
        "paid_at": (4, "付款时间", True), "shipped_at": (None, "", True), "order_amount": (5, "实付金额", True),
        "refund_amount": (None, "", True), "sku": (None, "", True), "quantity": (None, "", True), "line_amount": (None, "", True),
    }
    assert [f["label"] for f in body["fields"]][:2] == ["订单号", "平台"]
    assert body["rows"] == ERP[1:]
    assert body["notes"] == ["此文件有“平台”列（B 列“平台”）：每行的平台从该列读取；上面选择的平台只用于该列为空的行。"]
    assert "errors" not in body
    assert (SourceFile.objects.count(), Order.objects.count()) == (0, 0)


def test_a_file_without_a_platform_column_needs_the_platform_chosen_and_says_it_is_every_orders(clerk):
    body = inspect(clerk, "tmall.csv", csv_bytes(OWN_EXPORT), platform="").json()
    assert body["errors"] == {"platform": ["此文件没有“平台”列：请选择这些订单所属的平台。"]}
    assert (body["notes"], columns(body)["platform"]) == ([], (None, "", True))
    body = inspect(clerk, "tmall.csv", csv_bytes(OWN_EXPORT), platform="TMALL").json()
    assert "errors" not in body
    assert (body["platform"], body["notes"]) == ("TMALL", ["此文件没有“平台”列：其中所有订单都按 天猫 (TMALL) 导入。"])


def test_an_upload_with_a_chosen_column_reads_that_column(clerk):
    upload(clerk, "erp.csv", csv_bytes(ERP), map_order_amount="结算金额", confirm_columns="1")
    assert orders() == [("TMALL", "E1001", "旗舰店", Decimal("189.05")), ("JD", "E1002", "京东店", Decimal("56.90"))]
    # No platform chosen: a file of several platforms has none to remember its columns by.
    assert ColumnMapping.objects.count() == 0


def test_columns_chosen_for_a_platform_are_remembered_for_its_next_file(clerk):
    upload(clerk, "erp.csv", csv_bytes(ERP), platform="TMALL", map_order_amount="结算金额", confirm_columns="1")
    mapping = ColumnMapping.objects.get()
    assert (mapping.counterparty.code, mapping.file_kind, mapping.mapping) == ("TMALL", "orders", {"order_amount": "结算金额"})
    later = [ERP[0], ["E1003", "天猫", "旗舰店", "交易成功", "2026-10-03 10:00:00", "100.00", "95.00"]]
    body = inspect(clerk, "erp-2.csv", csv_bytes(later), platform="TMALL").json()
    amount = next(f for f in body["fields"] if f["name"] == "order_amount")
    assert (amount["column"], amount["certain"], amount["remembered"]) == (6, True, True)
    upload(clerk, "erp-2.csv", csv_bytes(later), platform="TMALL")
    assert Order.objects.get(order_no="E1003").order_amount == Decimal("95.00")


def test_guessed_columns_uploaded_without_confirmation_are_refused_with_the_guess_named(clerk):
    body = inspect(clerk, "two-shops.csv", csv_bytes(TWO_SHOPS)).json()
    assert (body["uncertain"], columns(body)["shop"]) == (["shop"], (2, "店铺", False))
    response = upload(clerk, "two-shops.csv", csv_bytes(TWO_SHOPS))
    assert response.context["form"].errors["file"] == [
        "请核对以下推测的列：店铺 → 列 C “店铺”。请重新选择文件，并在预览中确认。"]
    assert (SourceFile.objects.count(), Order.objects.count()) == (0, 0)
    upload(clerk, "two-shops.csv", csv_bytes(TWO_SHOPS), confirm_columns="1")
    assert orders() == [("PDD", "E2001", "拼多多一店", Decimal("30.00"))]


def test_the_refusal_in_english(finance_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(finance_user)
    response = upload(client, "two-shops.csv", csv_bytes(TWO_SHOPS))
    assert response.context["form"].errors["file"] == [
        "Please check the columns guessed for: shop → column C “店铺”. Choose the file again and confirm them in the preview."]


def test_inspect_needs_the_import_right(ops_user):
    client = Client()
    client.force_login(ops_user)
    assert inspect(client, "erp.csv", csv_bytes(ERP)).status_code == 403


def test_the_upload_page_has_the_preview(clerk):
    html = clerk.get(reverse("order-upload")).content.decode()
    assert 'data-inspect-url="/orders/inspect/"' in html
    assert 'name="map_order_amount"' in html and 'data-inspect-on-change="1"' in html
