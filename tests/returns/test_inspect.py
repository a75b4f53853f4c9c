"""A returns file looked at before it is imported (POST /returns/inspect/), the columns chosen there used by the
upload, guessed columns refused unconfirmed, and the photos a receipt row carries."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recon.sources.models import ColumnMapping, SourceFile
from returns.models import ReturnFreightLine, ReturnReceipt, ReturnRequest

from .conftest import FREIGHT_HEADER, RECEIPT_HEADER, REQUEST_HEADER, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

REQUESTS = [
    REQUEST_HEADER,
    ["RT1001", "SO1001", "淘宝", "旗舰店", "75312345678901", "中通", "SKU-A", "2", "59.90", "退款成功", "2026-10-04 10:00",
     "2026-10-03 09:30", "尺码不合适", "张三", "13812341234", "杭州市"],
]
# Two columns both named 仓库: which one is the warehouse is a guess the clerk must confirm.
RECEIPTS_TWO_WAREHOUSES = [
    ["快递单号", "订单号", "入库时间", "SKU", "实收数量", "质检结果", "仓库", "仓库", "质检员"],
    ["75312345678901", "SO1001", "2026-10-08 15:00", "SKU-A", "2", "良品", "杭州仓", "上海仓", "王五"],
]
# 收件人省份 names the province in words, not by a synonym: a guess.
FREIGHT_WORDS = [
    ["运单号", "揽收时间", "计费重量", "运费", "收件人省份", "寄件省份"],
    ["75312345678901", "2026-10-07", "1", "3.00", "浙江省", "浙江省"],
]


@pytest.fixture
def clerk(client, finance_user):
    client.force_login(finance_user)
    return client


def inspect(client, name: str, content: bytes, **data):
    return client.post(reverse("returns-inspect"), {"file": SimpleUploadedFile(name, content), **data},
                       HTTP_ACCEPT="application/json")


def upload(client, name: str, content: bytes, **data):
    return client.post(reverse("returns-upload"), {"file": SimpleUploadedFile(name, content), **data})


def columns(body: dict) -> dict:
    return {f["name"]: (f["column"], f["header"], f["certain"]) for f in body["fields"]}


def test_inspect_requests_finds_every_column_for_sure_and_stores_nothing(clerk, media):
    response = inspect(clerk, "售后单.csv", csv_bytes(REQUESTS), kind="requests")
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["filename"], body["format"], body["uncertain"], body["needs_confirmation"]) == (
        "requests", "售后单.csv", "csv", [], False)
    assert body["header"] == {"sheet": "", "row": 1, "cells": REQUEST_HEADER}
    assert columns(body) == {name: (i, REQUEST_HEADER[i], True) for i, name in enumerate([
        "return_no", "order_no", "platform", "shop", "return_waybill_no", "return_courier", "sku", "quantity",
        "refund_amount", "refund_status", "refunded_at", "requested_at", "reason", "buyer_name", "buyer_phone",
        "buyer_address"])}
    assert [f["label"] for f in body["fields"]][:3] == ["退货单号", "订单号", "平台"]
    assert body["rows"] == REQUESTS[1:]
    assert body["suggested"] == {"courier": None, "courier_name": None}
    assert (SourceFile.objects.count(), ReturnRequest.objects.count()) == (0, 0)


def test_inspect_receipts_marks_the_warehouse_of_two_alike_columns_for_checking(clerk):
    body = inspect(clerk, "入库.csv", csv_bytes(RECEIPTS_TWO_WAREHOUSES), kind="receipts").json()
    assert (body["uncertain"], body["needs_confirmation"]) == (["warehouse"], True)
    assert columns(body) == {
        "return_waybill_no": (0, "快递单号", True), "order_no": (1, "订单号", True), "received_at": (2, "入库时间", True),
        "sku": (3, "SKU", True), "quantity": (4, "实收数量", True), "condition": (5, "质检结果", True),
        "warehouse": (6, "仓库", False), "inspector": (8, "质检员", True), "photos": (None, "", True),
    }


def test_inspect_freight_guesses_a_province_named_in_words_and_suggests_the_courier_the_file_names(clerk):
    body = inspect(clerk, "中通退件运费.csv", csv_bytes(FREIGHT_WORDS), kind="freight").json()
    assert (body["uncertain"], body["needs_confirmation"]) == (["province"], True)
    assert columns(body) == {
        "waybill_no": (0, "运单号", True), "billed_fee": (3, "运费", True), "billed_weight": (2, "计费重量", True),
        "province": (4, "收件人省份", False), "billed_at": (1, "揽收时间", True), "business_type": (None, "", True),
        "origin_province": (5, "寄件省份", True),
    }
    assert body["suggested"] == {"courier": "ZTO", "courier_name": "ZTO 中通"}


def test_inspect_names_the_missing_columns_by_their_labels(clerk):
    rows = [[c for c in REQUEST_HEADER if c != "退款金额"], ["RT1"] * (len(REQUEST_HEADER) - 1)]
    response = inspect(clerk, "售后单.csv", csv_bytes(rows), kind="requests")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["missing"]) == ("header_not_found", ["退款金额"])
    assert body["errors"]["file"][0].startswith("未找到表头：缺少 退款金额")


def test_inspect_refuses_an_unknown_kind(clerk):
    response = inspect(clerk, "a.csv", csv_bytes(REQUESTS), kind="orders")
    assert (response.status_code, response.json()) == (400, {"errors": {"kind": ["请选择文件类型。"]}, "code": "invalid_kind"})


# 仓库 is the warehouse by its name; the clerk knows the parcel went to the one in 实际仓库.
RECEIPTS_ACTUAL_WAREHOUSE = [
    ["快递单号", "订单号", "入库时间", "SKU", "实收数量", "质检结果", "仓库", "实际仓库", "质检员"],
    ["75312345678901", "SO1001", "2026-10-08 15:00", "SKU-A", "2", "良品", "杭州仓", "上海仓", "王五"],
    ["75312345678902", "SO1002", "2026-10-09 09:00", "SKU-B", "1", "破损", "杭州仓", "", "赵六"],
]


def test_an_upload_reads_the_column_chosen_in_the_preview_not_the_guess(clerk):
    guessed = columns(inspect(clerk, "入库.csv", csv_bytes(RECEIPTS_ACTUAL_WAREHOUSE), kind="receipts").json())
    assert guessed["warehouse"] == (6, "仓库", True)
    response = upload(clerk, "入库.csv", csv_bytes(RECEIPTS_ACTUAL_WAREHOUSE), kind="receipts", confirm_columns="1",
                      map_warehouse="实际仓库")
    assert response.context["result"]["rows"] == 2
    assert sorted(ReturnReceipt.objects.values_list("sku", "warehouse", "inspector")) == [
        ("SKU-A", "上海仓", "王五"), ("SKU-B", "", "赵六")]
    # Requests and receipts have no counterparty: nothing is remembered for them.
    assert ColumnMapping.objects.count() == 0


def test_guessed_columns_without_the_preview_are_refused_with_the_guess_named(clerk):
    response = upload(clerk, "入库.csv", csv_bytes(RECEIPTS_TWO_WAREHOUSES), kind="receipts")
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "请核对以下推测的列：仓库 → 列 G “仓库”。请重新选择文件，并在预览中确认。"]
    assert (SourceFile.objects.count(), ReturnReceipt.objects.count()) == (0, 0)


def test_guessed_columns_refused_in_english_for_an_english_reader(clerk, settings):
    response = clerk.post(reverse("returns-upload"), {"file": SimpleUploadedFile("in.csv", csv_bytes(RECEIPTS_TWO_WAREHOUSES)),
                                                      "kind": "receipts"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["form"].errors["file"] == [
        "Please check the columns guessed for: Warehouse → column G “仓库”. Choose the file again and confirm them in "
        "the preview."]


def test_freight_columns_chosen_and_confirmed_are_remembered_for_the_courier(clerk, zto):
    response = upload(clerk, "退件运费.csv", csv_bytes(FREIGHT_WORDS), kind="freight", courier="ZTO", confirm_columns="1",
                      map_billed_weight="计费重量")
    assert response.status_code == 200
    assert ReturnFreightLine.objects.get().origin_province == "浙江"
    mapping = ColumnMapping.objects.get(counterparty_id=zto.counterparty_id, file_kind="return_freight")
    assert mapping.mapping == {"billed_weight": "计费重量", "province": "收件人省份"}
    # The next file of this layout from ZTO is read without a guess, and the page says the column is remembered.
    body = inspect(clerk, "b.csv", csv_bytes(FREIGHT_WORDS[:1] + [["75312345678902", *FREIGHT_WORDS[1][1:]]]),
                   kind="freight", courier="ZTO").json()
    assert body["uncertain"] == []
    assert {f["name"]: f["remembered"] for f in body["fields"] if f["remembered"]} == {"billed_weight": True, "province": True}


PHOTOS = [
    [*RECEIPT_HEADER, "质检图片"],
    ["75312345678901", "", "2026-10-08 15:00", "SKU-A", "1", "破损", "杭州仓", "王五",
     "https://img.example.com/a1.jpg, https://img.example.com/a2.jpg"],
    ["75312345678901", "", "2026-10-08 15:00", "SKU-B", "1", "空包", "杭州仓", "王五", "见附件；ftp://x/y.jpg"],
]


def test_receipt_photos_are_read_from_a_cell_of_two_links_and_shown_on_the_return_page(clerk, media):
    clerk.post(reverse("returns-upload"), {"file": SimpleUploadedFile("a.csv", csv_bytes(REQUESTS)), "kind": "requests"})
    response = upload(clerk, "入库.xlsx", xlsx_bytes(PHOTOS), kind="receipts")
    assert response.status_code == 200
    photos = dict(ReturnReceipt.objects.values_list("sku", "photos"))
    assert photos == {"SKU-A": ["https://img.example.com/a1.jpg", "https://img.example.com/a2.jpg"],
                      "SKU-B": ["见附件", "ftp://x/y.jpg"]}
    html = clerk.get(reverse("return-detail", args=["RT1001"])).content.decode()
    assert ('<a href="https://img.example.com/a1.jpg" target="_blank" rel="noopener noreferrer" referrerpolicy="no-referrer" '
            'title="https://img.example.com/a1.jpg">图片 1</a> · <a href="https://img.example.com/a2.jpg"') in html
    # Text that is no web address is shown, never linked.
    assert '<span class="muted" title="不是链接">ftp://x/y.jpg</span>' in html
    assert 'href="ftp://' not in html


def test_receipts_api_lists_the_photos_and_takes_them_as_a_list(clerk, media):
    upload(clerk, "入库.xlsx", xlsx_bytes(PHOTOS[:2]), kind="receipts")
    rows = clerk.get(reverse("api-return-receipt-list")).json()["results"]
    assert [r["photos"] for r in rows] == [["https://img.example.com/a1.jpg", "https://img.example.com/a2.jpg"]]
    posted = clerk.post(reverse("api-return-receipt-list"), [
        {"return_waybill_no": "75312345678909", "received_at": "2026-10-09 10:00", "sku": "SKU-C", "condition": "破损",
         "photos": ["https://img.example.com/c1.jpg", "https://img.example.com/c2.jpg"]}], content_type="application/json")
    assert posted.json() == {"rows": 1, "rejected": 0, "duplicates": 0, "errors": []}
    assert ReturnReceipt.objects.get(sku="SKU-C").photos == ["https://img.example.com/c1.jpg", "https://img.example.com/c2.jpg"]


def test_a_changed_photo_cell_updates_the_receipt_and_the_same_one_is_a_duplicate(clerk, media):
    upload(clerk, "入库.xlsx", xlsx_bytes(PHOTOS[:2]), kind="receipts")
    same = upload(clerk, "入库2.csv", csv_bytes(PHOTOS[:2], encoding="utf-8"), kind="receipts").context["result"]
    assert (same["rows"], same["duplicates"]) == (0, 1)
    changed = [PHOTOS[0], [*PHOTOS[1][:-1], "https://img.example.com/a3.jpg"]]
    result = upload(clerk, "入库3.csv", csv_bytes(changed, encoding="utf-8"), kind="receipts").context["result"]
    assert (result["rows"], result["duplicates"]) == (1, 0)
    assert ReturnReceipt.objects.get().photos == ["https://img.example.com/a3.jpg"]
