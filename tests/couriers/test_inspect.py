"""The upload's server side: a file's head previewed before anything is written, courier and period suggested from it,
and the period and guessed columns checked on submit."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from couriers.models import CourierBill
from recon.core.models import AuditEvent, ReconRun, SourceFile
from recon.ingest.header import HeaderMatch
from recon.sources.models import ColumnMapping

pytestmark = pytest.mark.django_db

HEADER = ["运单号", "揽收时间", "目的省份", "计费重量(kg)", "运费(元)"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def clerk(client, finance_user):
    client.force_login(finance_user)
    return client


def xlsx_bill(title: str | None, days: list[datetime]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(HEADER)
    for i, day in enumerate(days):
        sheet.append([7700000000001 + i, day, "广东省", 1.5, 12.87])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bill(days: list[datetime], header=HEADER) -> bytes:
    lines = [",".join(header)]
    for i, day in enumerate(days):
        lines.append(f"ZT{i + 1:010d},{day:%Y-%m-%d %H:%M},浙江省,0.5,3.{i % 10}0")
    return ("\n".join(lines) + "\n").encode()


def november(n: int) -> list[datetime]:
    return [datetime(2026, 11, 1, 9, 30) + timedelta(days=i % 30) for i in range(n)]


def inspect(client, name: str, content: bytes, **data):
    return client.post(reverse("bill-inspect"), {"file": SimpleUploadedFile(name, content), **data}, HTTP_ACCEPT="application/json")


def nothing_written(media: Path) -> tuple:
    uploads = media / "uploads"
    staged = media / "staging"
    return (SourceFile.objects.count(), ReconRun.objects.count(), AuditEvent.objects.count(), ColumnMapping.objects.count(),
            sorted(p.name for p in uploads.rglob("*")) if uploads.exists() else [],
            sorted(p.name for p in staged.iterdir()) if staged.exists() else [])


def test_inspect_xlsx_suggests_the_courier_and_the_month_from_its_title_and_writes_nothing(clerk, media):
    days = [datetime(2026, 10, 1 + i, 10, 0) for i in range(12)]
    before = nothing_written(media)
    response = inspect(clerk, "bill.xlsx", xlsx_bill("中通快递2026年10月对账单", days))
    assert response.status_code == 200
    body = response.json()
    assert body["filename"] == "bill.xlsx" and body["format"] == "xlsx"
    assert body["suggested"] == {"courier": "ZTO", "courier_name": "ZTO 中通", "period": "2026-10", "period_source": "title"}
    assert body["title"] == ["中通快递2026年10月对账单"]
    assert body["dates"] == {"first": "2026-10-01", "last": "2026-10-12", "sampled": 12, "by_month": {"2026-10": 12}}
    assert body["period_check"] is None
    assert body["header"] == {"sheet": "Sheet1", "row": 3, "cells": HEADER}
    assert body["fields"] == [
        {"name": "waybill_no", "label": "运单号", "required": True, "column": 0, "header": "运单号", "certain": True, "remembered": False},
        {"name": "billed_fee", "label": "账单运费", "required": True, "column": 4, "header": "运费(元)", "certain": True, "remembered": False},
        {"name": "billed_weight", "label": "账单重量", "required": False, "column": 3, "header": "计费重量(kg)", "certain": True,
         "remembered": False},
        {"name": "province", "label": "目的省份", "required": False, "column": 2, "header": "目的省份", "certain": True, "remembered": False},
        {"name": "billed_at", "label": "揽收时间", "required": False, "column": 1, "header": "揽收时间", "certain": True, "remembered": False},
    ]
    assert body["uncertain"] == [] and body["needs_confirmation"] is False
    assert len(body["rows"]) == 10
    assert body["rows"][0] == ["7700000000001", "2026-10-01 10:00:00", "广东省", "1.5", "12.87"]
    assert body["rows"][9] == ["7700000000010", "2026-10-10 10:00:00", "广东省", "1.5", "12.87"]
    assert nothing_written(media) == before == (0, 0, 0, 0, [], [])


def test_inspect_csv_without_title_suggests_the_month_of_its_dates(clerk, media):
    body = inspect(clerk, "export.csv", csv_bill(november(40))).json()
    assert body["suggested"] == {"courier": None, "courier_name": None, "period": "2026-11", "period_source": "dates"}
    assert body["title"] == []
    assert body["dates"] == {"first": "2026-11-01", "last": "2026-11-30", "sampled": 40, "by_month": {"2026-11": 40}}
    assert body["header"] == {"sheet": "", "row": 1, "cells": HEADER}
    assert body["rows"][:2] == [["ZT0000000001", "2026-11-01 09:30", "浙江省", "0.5", "3.00"],
                                ["ZT0000000002", "2026-11-02 09:30", "浙江省", "0.5", "3.10"]]
    assert nothing_written(media) == (0, 0, 0, 0, [], [])


def test_inspect_suggests_a_range_when_the_dates_spread_over_months(clerk, media):
    days = [datetime(2026, 10, 20) + timedelta(days=i) for i in range(20)]  # 12 in October, 8 in November
    body = inspect(clerk, "zto-export.csv", csv_bill(days)).json()
    assert body["suggested"] == {"courier": "ZTO", "courier_name": "ZTO 中通", "period": "2026-10-20..2026-11-08",
                                 "period_source": "dates"}
    assert body["dates"]["by_month"] == {"2026-10": 12, "2026-11": 8}


def test_inspect_checks_the_period_typed_against_the_dates(clerk, media):
    days = november(806)[:803] + [datetime(2026, 10, 31, 8, 0)] * 3
    body = inspect(clerk, "zto.csv", csv_bill(days), courier="ZTO", period="2026-10").json()
    assert body["period_check"] == {
        "chosen": "2026-10", "suggested": "2026-11", "inside": 3, "outside": 803, "sampled": 806,
        "message": "此文件中大部分揽收日期（已读取 806 个中的 803 个）不在 2026-10 内：它们在 2026-11。请更正账期，"
                   "或勾选“账期无误”后仍然上传。",
    }
    assert inspect(clerk, "zto.csv", csv_bill(days), courier="ZTO", period="2026-11").json()["period_check"] is None


def test_inspect_refuses_an_unreadable_file_in_the_users_language(clerk, media):
    response = clerk.post(reverse("bill-inspect"), {"file": SimpleUploadedFile("empty.csv", b"")}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"errors": {"file": ["“empty.csv” is empty."]}, "code": "empty_file"}
    response = inspect(clerk, "notes.csv", "日期,备注\n2026-10-01,无\n".encode())
    assert response.status_code == 400 and response.json()["code"] == "header_not_found"
    assert nothing_written(media) == (0, 0, 0, 0, [], [])


@pytest.mark.parametrize("role", ["ops", "auditor"])
def test_inspect_is_for_those_who_upload(client, media, role, request):
    client.force_login(request.getfixturevalue(f"{role}_user"))
    assert inspect(client, "zto.csv", csv_bill(november(3))).status_code == 403


def test_inspect_sends_anonymous_users_to_the_login_page(client, media):
    response = inspect(client, "zto.csv", csv_bill(november(3)))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
