"""An outbound or pickups file looked at before it is imported (POST /orders/outbound/inspect/): its columns per field,
the weights' unit, the first rows as the import will store them and the reasons of those it would refuse; the columns
chosen there used by the upload and remembered for the kind of file; guesses refused unconfirmed; nothing written."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from orders.models import OutboundRecord, PickupScan, Shipment
from recon.core.models import AuditEvent
from recon.sources.models import ColumnMapping, SourceFile

from .order_files import csv_bytes

pytestmark = pytest.mark.django_db

OUTBOUND = [
    ["出库单号", "平台单号", "运单号", "快递公司", "商品编码", "出库数量", "包裹重量(g)", "出库时间", "仓库", "收货省份"],
    ["CK001", "A1", "75312345678901", "中通快递", "S1", "1", "1250", "2026-10-02 15:30", "杭州仓", "浙江"],
    ["CK001", "A2", "75312345678901", "中通快递", "S2", "2", "1250", "2026-10-02 15:30", "杭州仓", "浙江"],
    ["CK002", "A3", "7.53123E+13", "中通快递", "S3", "1", "800", "2026-10-02 16:00", "杭州仓", "浙江"],
    ["CK003", "A4", "75312345678903", "ZTO", "S4", "-1", "0.8", "2026-10-02 17:00", "杭州仓", "广东省"],
]


@pytest.fixture
def clerk(finance_user, zto) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(finance_user)
    return client


def inspect(client, name: str, content: bytes, **data):
    return client.post(reverse("outbound-inspect"), {"file": SimpleUploadedFile(name, content), **data},
                       HTTP_ACCEPT="application/json")


def columns(body: dict) -> dict:
    return {f["name"]: (f["column"], f["header"], f["certain"]) for f in body["fields"]}


def upload(client, name: str, content: bytes, **data):
    return client.post(reverse("outbound-upload"), {"file": SimpleUploadedFile(name, content), **data})


def written() -> tuple:
    return (SourceFile.objects.count(), OutboundRecord.objects.count(), PickupScan.objects.count(), Shipment.objects.count(),
            ColumnMapping.objects.count(), AuditEvent.objects.count())


def test_an_outbound_file_is_shown_as_it_will_be_stored_with_the_rows_it_would_refuse(clerk):
    response = inspect(clerk, "出库单.csv", csv_bytes(OUTBOUND, "utf-8"), kind="outbound")
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["filename"], body["format"], body["uncertain"], body["needs_confirmation"]) == (
        "outbound", "出库单.csv", "csv", [], False)
    assert body["header"] == {"sheet": "", "row": 1, "cells": OUTBOUND[0]}
    assert columns(body) == {
        "outbound_no": (0, "出库单号", True), "order_no": (1, "平台单号", True), "waybill_no": (2, "运单号", True),
        "courier": (3, "快递公司", True), "sku": (4, "商品编码", True), "quantity": (5, "出库数量", True),
        "packed_weight": (6, "包裹重量(g)", True), "outbound_at": (7, "出库时间", True), "warehouse": (8, "仓库", True),
        "province": (9, "收货省份", True),
    }
    assert [f["label"] for f in body["fields"]][:3] == ["出库单号", "订单号", "运单号"]
    # The headers the reader takes for a field, for the clerk who renames a column in the warehouse system's export.
    assert body["fields"][0]["accepts"] == ["出库单号", "出库单编号", "出库单", "出库编号", "outbound no", "outbound number"]
    assert body["rows"] == OUTBOUND[1:]
    assert body["weight_unit"] == "g"
    assert body["notes"] == ["重量按克读取（列“包裹重量(g)”）。"]
    assert body["stored"] == {
        "columns": ["出库单号", "订单号", "SKU", "数量", "运单号", "快递公司", "包裹重量（克）", "出库时间", "仓库", "目的省份"],
        "rows": [
            ["CK001", "A1", "S1", "1", "75312345678901", "ZTO", "1250", "2026-10-02 15:30:00", "杭州仓", "浙江"],
            ["CK001", "A2", "S2", "2", "75312345678901", "ZTO", "1250", "2026-10-02 15:30:00", "杭州仓", "浙江"],
        ],
    }
    assert body["sample_rejected"] == [
        {"line": 3, "reason": "运单号“7.53123E+13”为科学计数法，数字已丢失。请在 Excel 中将该列设置为文本格式后重新导出文件"},
        {"line": 4, "reason": "数量“-1”为负数"},
    ]
    assert body["already_imported"] is None
    assert written() == (0, 0, 0, 0, 0, 0)


def test_a_pickups_file_in_kilograms_is_stored_in_grams_and_a_file_imported_before_is_said_so(clerk):
    rows = [["运单号", "快递公司", "揽收时间", "揽收重量", "揽收网点"], ["75312345678901", "中通", "2026-10-02 18:00", "1.3", "杭州西湖"]]
    body = inspect(clerk, "揽收.csv", csv_bytes(rows, "utf-8"), kind="pickups").json()
    assert (body["weight_unit"], body["notes"]) == ("kg", ["重量按千克读取（列“揽收重量”；表头注明 g 的按克读取）。"])
    assert body["stored"] == {"columns": ["运单号", "快递公司", "揽收时间", "揽收重量（克）", "揽收网点"],
                              "rows": [["75312345678901", "ZTO", "2026-10-02 18:00:00", "1300", "杭州西湖"]]}
    assert (body["sample_rejected"], body["already_imported"]) == ([], None)
    assert written() == (0, 0, 0, 0, 0, 0)
    upload(clerk, "揽收.csv", csv_bytes(rows, "utf-8"), kind="pickups")
    source = SourceFile.objects.get()
    body = inspect(clerk, "again.csv", csv_bytes(rows, "utf-8"), kind="pickups").json()
    assert (body["already_imported"], body["notes"][0]) == (source.pk, "此文件已导入过：再次导入不会写入任何内容。")


def test_a_column_chosen_in_the_preview_is_read_by_the_upload_and_remembered_for_the_next_file(clerk):
    # The warehouse's estimate and the scale's weight: the clerk wants the weighed one.
    header = ["出库单号", "订单号", "运单号", "快递公司", "出库数量", "包裹重量", "称重重量", "出库时间"]
    first = [header, ["CK101", "B1", "75312345678911", "ZTO", "1", "1.0", "1.2", "2026-10-03 09:00"]]
    body = inspect(clerk, "a.csv", csv_bytes(first, "utf-8"), kind="outbound").json()
    assert columns(body)["packed_weight"] == (5, "包裹重量", True)
    body = inspect(clerk, "a.csv", csv_bytes(first, "utf-8"), kind="outbound", map_packed_weight="称重重量").json()
    assert columns(body)["packed_weight"] == (6, "称重重量", True)
    assert body["stored"]["rows"][0][6] == "1200"
    assert written() == (0, 0, 0, 0, 0, 0)
    upload(clerk, "a.csv", csv_bytes(first, "utf-8"), kind="outbound", map_packed_weight="称重重量", confirm_columns="1")
    assert OutboundRecord.objects.get().packed_weight_g == 1200
    mapping = ColumnMapping.objects.get()
    assert (mapping.counterparty_id, mapping.file_kind, mapping.mapping) == (None, "outbound:outbound", {"packed_weight": "称重重量"})
    later = [header, ["CK102", "B2", "75312345678912", "ZTO", "1", "2.0", "2.5", "2026-10-04 09:00"]]
    body = inspect(clerk, "b.csv", csv_bytes(later, "utf-8"), kind="outbound").json()
    weight = next(f for f in body["fields"] if f["name"] == "packed_weight")
    assert (weight["column"], weight["certain"], weight["remembered"]) == (6, True, True)
    # Pickups are another kind of file: the outbound choice is not theirs.
    pickups = [["运单号", "快递公司", "揽收时间", "称重重量"], ["75312345678911", "ZTO", "2026-10-03 18:00", "1.3"]]
    weight = next(f for f in inspect(clerk, "p.csv", csv_bytes(pickups, "utf-8"), kind="pickups").json()["fields"]
                  if f["name"] == "pickup_weight")
    assert weight["remembered"] is False
    upload(clerk, "b.csv", csv_bytes(later, "utf-8"), kind="outbound")
    assert OutboundRecord.objects.get(outbound_no="CK102").packed_weight_g == 2500


# Two columns named 重量: which one is the pickup weight is a guess the clerk must confirm.
TWO_WEIGHTS = [["运单号", "快递公司", "揽收时间", "重量", "重量"], ["75312345678901", "ZTO", "2026-10-02 18:00", "1.3", "1.5"]]


def test_guessed_columns_uploaded_without_confirmation_are_refused_and_once_confirmed_remembered(clerk):
    body = inspect(clerk, "two.csv", csv_bytes(TWO_WEIGHTS, "utf-8"), kind="pickups").json()
    assert (body["uncertain"], body["needs_confirmation"], columns(body)["pickup_weight"]) == (
        ["pickup_weight"], True, (3, "重量", False))
    response = upload(clerk, "two.csv", csv_bytes(TWO_WEIGHTS, "utf-8"), kind="pickups")
    assert response.context["form"].errors["file"] == [
        "请核对以下推测的列：揽收重量 → 列 D “重量”。请重新选择文件，并在预览中确认。"]
    assert written() == (0, 0, 0, 0, 0, 0)
    upload(clerk, "two.csv", csv_bytes(TWO_WEIGHTS, "utf-8"), kind="pickups", confirm_columns="1")
    assert PickupScan.objects.get().pickup_weight_g == 1300
    mapping = ColumnMapping.objects.get()
    assert (mapping.counterparty_id, mapping.file_kind, mapping.mapping) == (None, "outbound:pickups", {"pickup_weight": "重量"})


def test_the_refusal_in_english(finance_user, zto):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(finance_user)
    response = upload(client, "two.csv", csv_bytes(TWO_WEIGHTS, "utf-8"), kind="pickups")
    assert response.context["form"].errors["file"] == [
        "Please check the columns guessed for: Pickup weight → column D “重量”. Choose the file again and confirm them in the preview."]


def test_inspect_needs_a_kind_a_file_and_the_import_right(clerk, ops_user):
    response = inspect(clerk, "出库单.csv", csv_bytes(OUTBOUND, "utf-8"), kind="returns")
    assert (response.status_code, response.json()) == (400, {"errors": {"kind": ["请选择文件类型。"]}, "code": "invalid_kind"})
    response = clerk.post(reverse("outbound-inspect"), {"kind": "outbound"}, HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()["errors"]) == (400, {"file": ["请选择文件。"]})
    client = Client()
    client.force_login(ops_user)
    assert inspect(client, "出库单.csv", csv_bytes(OUTBOUND, "utf-8"), kind="outbound").status_code == 403


def test_the_upload_page_has_the_preview(clerk):
    html = clerk.get(reverse("outbound-upload")).content.decode()
    assert 'data-inspect-url="/orders/outbound/inspect/"' in html
    assert 'name="map_packed_weight"' in html and 'name="map_picked_up_at"' in html and 'data-reinspect="kind"' in html
    assert "js/outbound_preview.js" in html
