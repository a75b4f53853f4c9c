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
        # Absent from this file, and nothing guessed: nothing for the clerk to check.
        {"name": "business_type", "label": "业务类型", "required": False, "column": None, "header": "", "certain": True,
         "remembered": False},
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


# --------------------------------------------------------------------------- on submit

PERIOD_MESSAGE_EN = ("Most pickup dates in this file (803 of 806 read) fall outside 2026-10: they are in 2026-11. Correct the "
                     "period, or tick “The period is right” to upload anyway.")


def november_as_october() -> bytes:
    return csv_bill(november(806)[:803] + [datetime(2026, 10, 31, 8, 0)] * 3)


def submit(client, content: bytes, name="zto.csv", period="2026-10", **extra):
    data = {"courier": "ZTO", "period": period, "file": SimpleUploadedFile(name, content), **extra}
    return client.post(reverse("bill-upload"), data, HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en")


def test_a_period_the_dates_contradict_is_refused_until_confirmed(clerk, media, no_enqueue):
    refused = submit(clerk, november_as_october())
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"period": [PERIOD_MESSAGE_EN]}}
    assert nothing_written(media) == (0, 0, 0, 0, [], [])
    accepted = submit(clerk, november_as_october(), confirm_period="on")
    run = ReconRun.objects.get()
    assert accepted.status_code == 200 and accepted.json() == {"redirect": reverse("run-detail", args=[run.pk])}
    assert (run.period_start.isoformat(), run.period_end.isoformat()) == ("2026-10-01", "2026-10-31")


def test_the_right_period_needs_no_confirmation(clerk, media, no_enqueue):
    response = submit(clerk, november_as_october(), period="2026-11")
    assert response.status_code == 200 and ReconRun.objects.count() == 1


def test_the_api_uploads_anyway_and_answers_the_warning(api_client, media, no_enqueue):
    response = api_client.post("/api/v1/courier-bills/", {"courier": "ZTO", "period": "2026-10",
                                                          "file": SimpleUploadedFile("zto.csv", november_as_october())},
                               format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 202
    assert response.json()["warnings"] == [{"code": "period_mismatch", "message": PERIOD_MESSAGE_EN, "chosen": "2026-10",
                                            "suggested": "2026-11", "inside": 3, "outside": 803, "sampled": 806}]
    refused = api_client.post("/api/v1/courier-bills/", {"courier": "ZTO", "period": "2026-10", "confirm_period": "false",
                                                         "file": SimpleUploadedFile("zto2.csv", november_as_october() + b"\n")},
                              format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "period_mismatch"
    assert ReconRun.objects.count() == 1


def test_the_command_prints_the_warning(media, tmp_path, no_enqueue, zto):
    path = tmp_path / "zto.csv"
    path.write_bytes(november_as_october())
    out, err = io.StringIO(), io.StringIO()
    from django.utils import translation

    with translation.override("en"):
        call_command("import_courier_bill", str(path), "--courier", "ZTO", "--period", "2026-10", stdout=out, stderr=err)
    assert f"warning: period_mismatch: {PERIOD_MESSAGE_EN}" in err.getvalue()
    path.write_bytes(november_as_october() + b"\n")
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_courier_bill", str(path), "--courier", "ZTO", "--period", "2026-10", "--json", stdout=out)
    assert json.loads(out.getvalue())["warnings"] == [{"code": "period_mismatch", "message": PERIOD_MESSAGE_EN, "chosen": "2026-10",
                                                      "suggested": "2026-11", "inside": 3, "outside": 803, "sampled": 806}]


@pytest.fixture
def province_guessed(monkeypatch):
    """The header matcher's looser rules mark a column a person should confirm: here the province, always."""
    from recon.ingest import header

    real = header.find_header

    def find_header(rows, spec, overrides=None):
        match: HeaderMatch = real(rows, spec, overrides)
        if "province" in match.columns and "province" not in (overrides or {}):
            match.uncertain = ["province"]
        return match

    monkeypatch.setattr("recon.sources.uploads.find_header", find_header)


GUESSED = csv_bill(november(5), header=["运单号", "揽收时间", "目的省份", "计费重量(kg)", "运费(元)"])


def test_guessed_columns_are_shown_and_refused_until_confirmed_then_remembered(clerk, media, no_enqueue, province_guessed):
    body = inspect(clerk, "zto.csv", GUESSED, courier="ZTO").json()
    assert body["uncertain"] == ["province"] and body["needs_confirmation"] is True
    assert body["fields"][3] == {"name": "province", "label": "目的省份", "required": False, "column": 2, "header": "目的省份",
                                 "certain": False, "remembered": False}
    refused = submit(clerk, GUESSED, period="2026-11")
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"file": [
        "Please check the columns guessed for: Destination province → column C “目的省份”. Confirm them in the preview, or name "
        "the right ones under “Advanced: column mapping”."]}}
    assert nothing_written(media) == (0, 0, 0, 0, [], [])

    accepted = submit(clerk, GUESSED, period="2026-11", confirm_columns="1")
    assert accepted.status_code == 200
    run = ReconRun.objects.get()
    assert run.params["mapping"] == {"province": "目的省份"}

    # The worker remembers the confirmed column with the bill; the courier's next file of this layout is certain.
    from recon.runs.services import run_execute

    run_execute(run_id=run.id)
    assert ReconRun.objects.get().status == "succeeded"
    assert ColumnMapping.objects.get().mapping == {"province": "目的省份"}
    again = inspect(clerk, "zto-12.csv", GUESSED + "ZT0000000099,2026-11-09 10:00,浙江省,0.5,3.00\n".encode(), courier="ZTO").json()
    assert again["uncertain"] == [] and again["needs_confirmation"] is False
    assert again["fields"][3] == {"name": "province", "label": "目的省份", "required": False, "column": 2, "header": "目的省份",
                                  "certain": True, "remembered": True}


def test_a_typed_mapping_fixes_a_guess(clerk, media, no_enqueue, province_guessed):
    response = submit(clerk, GUESSED, period="2026-11", map_province="目的省份")
    assert response.status_code == 200 and ReconRun.objects.get().params["mapping"] == {"province": "目的省份"}


# --------------------------------------------------------------------------- the head and the suggestions, directly


def staged_file(content: bytes, name: str):
    from recon.sources.uploads import stage_upload

    return stage_upload(file=io.BytesIO(content), filename=name)


def test_an_xlsx_sample_goes_past_the_rows_of_the_header_search(media):
    from recon.ingest.specs import BILL_SPEC
    from recon.sources.uploads import preview_head

    days = november(120)
    staged = staged_file(xlsx_bill("中通快递2026年11月对账单", days), "long.xlsx")
    try:
        whole = preview_head(staged, BILL_SPEC)
        cut = preview_head(staged, BILL_SPEC, sample_rows=100)
    finally:
        staged.discard()
    assert (whole.header_row, len(whole.rows), whole.whole) == (3, 120, True)
    assert whole.rows[119] == ["7700000000120", "46356.39583333334", "广东省", "1.5", "12.87"]
    assert (len(cut.rows), cut.whole) == (100, False)


@pytest.mark.parametrize("title, filename, expected", [
    ("中通快递2026年10月对账单", "bill.xlsx", "ZTO"),
    ("", "zto-2026-10.csv", "ZTO"),
    ("对账单", "顺丰速运-10月.xlsx", "SF"),
    ("中通快递 圆通快递 合并账单", "bill.xlsx", None),   # two couriers named as long: none
    ("中国邮政快递账单", "bill.xlsx", "EMS"),
    ("对账单", "tsfx.csv", None),                        # SF inside a word is not SF
])
def test_the_courier_named_in_the_title_or_the_file_name(title, filename, expected):
    from couriers.suggest import suggest_courier
    from recon.sources.uploads import HeadPreview

    preview = HeadPreview(filename=filename, format="csv", sheet="", header_row=2, cells=[], match=None,
                          title=[title] if title else [], rows=[], whole=True)
    found = suggest_courier(preview, filename)
    assert (found.code if found else None) == expected


@pytest.mark.parametrize("title, expected", [
    ("中通快递2026年10月对账单", "2026-10"),
    ("账期：2026-10", "2026-10"),
    ("账期 2026.10", "2026-10"),
    ("2026年10月1日-2026年10月31日", "2026-10"),
    ("2026/10/01至2026/10/15", "2026-10-01..2026-10-15"),
    ("打印日期 2026年11月5日", None),
    ("2026-11-05", None),
])
def test_the_period_named_in_a_title(title, expected):
    from couriers.suggest import period_from_text

    assert period_from_text([title]) == expected


def test_remembered_columns_are_tried_first_and_a_file_of_another_layout_still_reads(clerk, media, no_enqueue, zto):
    """A courier's remembered headers are a preference: its next file in the usual layout is read, not refused."""
    from recon.runs.services import run_execute
    from recon.sources.services import column_mapping_remember

    column_mapping_remember(counterparty_id=zto.counterparty_id, file_kind="courier_bill",
                            mapping={"waybill_no": "Tracking Number", "province": "到件省份"})
    body = inspect(clerk, "zto.csv", GUESSED, courier="ZTO").json()
    assert body["uncertain"] == [] and body["needs_confirmation"] is False
    assert [(f["name"], f["column"], f["certain"], f["remembered"]) for f in body["fields"]] == [
        ("waybill_no", 0, True, False), ("billed_fee", 4, True, False), ("billed_weight", 3, True, False),
        ("province", 2, True, False), ("billed_at", 1, True, False), ("business_type", None, True, False)]
    response = submit(clerk, GUESSED, period="2026-11")
    assert response.status_code == 200
    run = ReconRun.objects.get()
    run_execute(run_id=run.id)
    run.refresh_from_db()
    assert (run.status, run.summary["lines"]) == ("succeeded", 5)

    # The remembered layout itself is read with its headers first, and the courier's choices are merged, never lost.
    layout = "Tracking Number,揽收时间,到件省份,计费重量(kg),运费(元)\nZT0000000777,2026-11-03 10:00,浙江省,0.5,3.00\n".encode()
    body = inspect(clerk, "zto-remembered.csv", layout, courier="ZTO").json()
    assert [(f["name"], f["column"], f["certain"], f["remembered"]) for f in body["fields"]][0::3] == [
        ("waybill_no", 0, True, True), ("province", 2, True, True)]
    column_mapping_remember(counterparty_id=zto.counterparty_id, file_kind="courier_bill", mapping={"billed_fee": "应付"})
    assert ColumnMapping.objects.get().mapping == {"waybill_no": "Tracking Number", "province": "到件省份", "billed_fee": "应付"}
