"""A file looked at under the wrong kind of file (a pickups file with "outbound records" chosen): the answer names the
missing fields and the kind of file that reads it, in the clerk's language."""
from __future__ import annotations

import pytest
from django.test import Client

from .order_files import csv_bytes
from .test_outbound_inspect import OUTBOUND, inspect

pytestmark = pytest.mark.django_db

PICKUPS = [["运单号", "快递公司", "揽收时间", "揽收重量", "揽收网点"], ["75312345678901", "中通", "2026-10-02 18:00", "1.3", "杭州西湖"]]


def clerk(user, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_a_pickups_file_looked_at_as_outbound_records_says_what_is_missing_and_what_it_looks_like(finance_user, zto):
    response = inspect(clerk(finance_user, "zh-hans"), "揽收.csv", csv_bytes(PICKUPS, "utf-8"), kind="outbound")
    assert (response.status_code, response.json()) == (400, {
        "errors": {"file": [
            "未找到表头：缺少 出库单号、订单号、数量、出库时间（在“揽收.csv”中看到的表头：运单号、快递公司、揽收时间、揽收重量、揽收网点）。",
            "此文件看起来是揽收记录：请在上方选择该文件类型。",
        ]},
        "code": "header_not_found", "missing": ["出库单号", "订单号", "数量", "出库时间"], "looks_like": "pickups",
    })


def test_the_answer_is_in_the_clerks_language(finance_user, zto):
    body = inspect(clerk(finance_user, "en"), "揽收.csv", csv_bytes(PICKUPS, "utf-8"), kind="outbound").json()
    assert body["errors"]["file"][1] == "This file looks like Pickup scans (揽收记录): choose that kind of file above."
    assert body["missing"] == ["Outbound number", "Order number", "Quantity", "Outbound at"]


def test_an_outbound_file_looked_at_as_pickups_says_it_looks_like_outbound_records(finance_user, zto):
    body = inspect(clerk(finance_user, "zh-hans"), "出库单.csv", csv_bytes(OUTBOUND, "utf-8"), kind="pickups").json()
    assert (body["looks_like"], body["errors"]["file"][-1]) == ("outbound", "此文件看起来是出库记录（出库单）：请在上方选择该文件类型。")


def test_a_file_of_neither_kind_names_no_kind(finance_user, zto):
    rows = [["商品", "价格"], ["外套", "199"]]
    body = inspect(clerk(finance_user, "zh-hans"), "价格.csv", csv_bytes(rows, "utf-8"), kind="outbound").json()
    assert "looks_like" not in body and len(body["errors"]["file"]) == 1
