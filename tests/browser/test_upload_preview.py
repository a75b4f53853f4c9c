"""The upload page looks at the file before it is uploaded: courier and period suggested from it, a warning when the
period typed disagrees with the pickup dates, and a preview where the clerk checks (and changes) the columns read."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import openpyxl
import pytest

from .conftest import screenshot
from .test_clerk import FINISHED, RUN_PAGE, log_in, stats, table_rows

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# A layout the product has never seen: English names, a declared weight next to the billed one.
ENGLISH = ["Waybill No.", "Pickup Time", "Consignee Province", "Weight (kg)", "Billed Weight (kg)", "Freight (CNY)"]
CHINESE = ["运单号", "揽收时间", "目的省份", "计费重量(kg)", "运费(元)"]


def waybill(n: int) -> str:
    return f"77000000{n:05d}"


def write_xlsx(path, title: str | None, header: list[str], rows: list[list]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


@pytest.fixture
def november():
    """The demo card and eight ZTO parcels of 0.8 kg to 广东 picked up in November."""
    import io

    from couriers.demo_data import rate_card_frame
    from couriers.models import Courier
    from couriers.services import rate_card_import
    from orders.services import shipments_bulk_create

    card = io.BytesIO()
    rate_card_frame().to_excel(card, index=False)
    card.seek(0)
    rate_card_import(file=card, filename="报价单.xlsx", courier=Courier.objects.get(code="ZTO"), effective_from=date(2026, 1, 1))
    shipments_bulk_create(records=[
        {"waybill_no": waybill(n), "order_no": f"SO{n:04d}", "courier": "ZTO", "status": "shipped",
         "shipped_at": f"2026-11-{n:02d} 10:00:00", "weight_kg": 0.8, "province": "广东"}
        for n in range(1, 9)
    ])


def choose_file(page, path) -> None:
    page.set_input_files("[data-dropzone] input[type=file]", path)
    page.wait_for_selector("[data-preview]:not([hidden])")


def chooser(page, field: str):
    return page.locator(f"#preview-{field}")


def test_a_new_layout_is_previewed_its_columns_chosen_and_remembered(page, live_worker, finance_user, november, tmp_path):
    # Eight lines at ¥3.50 (0.8 kg to 广东), except line 3: billed as 1.5 kg, ¥5.00.
    rows = [[waybill(n), f"2026-11-{n:02d} 15:00:00", "广东省", 0.8, 1.5 if n == 3 else 0.8, 5.0 if n == 3 else 3.5]
            for n in range(1, 9)]
    path = tmp_path / "statement.xlsx"
    write_xlsx(path, "中通快递2026年11月对账单", ENGLISH, rows)

    log_in(page, "alice", "alice-pass-123")
    page.goto("/bills/upload/")
    choose_file(page, path)

    # The courier and the month come from the title, and the page says so.
    assert page.locator("#id_courier").input_value() == "ZTO"
    assert page.locator("#id_period").input_value() == "2026-11"
    assert page.locator("[data-suggested-for=courier]").inner_text() == "根据文件标题推荐"
    assert page.locator("[data-suggested-for=period]").inner_text() == "根据文件标题推荐"
    assert page.locator("[data-period-check]").is_hidden()

    # The preview: the title, the header with its letters and every data row, one drop-down per field.
    preview = page.locator("[data-preview]")
    assert preview.get_attribute("open") is not None  # a column to check: open from the start
    assert page.locator("[data-preview-summary]").inner_text() == "上传前请核对标有“请核对”的列"
    assert page.locator("[data-preview-title]").inner_text() == "中通快递2026年11月对账单"
    heads = page.locator("[data-preview-rows] thead tr")
    assert heads.nth(0).locator("th").all_inner_texts() == ["A", "B", "C", "D", "E", "F"]
    assert heads.nth(1).locator("th").all_inner_texts() == ENGLISH
    body = page.locator("[data-preview-rows] tbody tr")
    assert body.count() == 8
    assert body.nth(2).locator("td").all_inner_texts()[0] == waybill(3)
    chosen = {f: chooser(page, f).input_value() for f in ("waybill_no", "billed_fee", "billed_weight", "province", "billed_at")}
    assert chosen == {"waybill_no": "0", "billed_fee": "5", "billed_weight": "3", "province": "2", "billed_at": "1"}
    assert chooser(page, "billed_weight").locator("option:checked").inner_text() == "D · Weight (kg)"
    # Read by its words only, the province is the column to check.
    uncertain = page.locator("[data-preview-fields] .field.uncertain")
    assert uncertain.count() == 1
    assert uncertain.locator("label").inner_text() == "目的省份请核对"
    assert chooser(page, "billed_at").locator("option").first.inner_text() == "— 此文件中没有 —"  # optional fields may be absent
    assert page.locator("[name=confirm_columns]").input_value() == "1"
    screenshot(page, "upload-preview-new-layout")

    # The clerk bills by the billed weight, not the declared one: the drop-down names the column for the upload.
    chooser(page, "billed_weight").select_option("4")
    assert page.locator("[name=map_billed_weight]").input_value() == "Billed Weight (kg)"
    page.get_by_role("button", name="上传并对账").click()
    page.wait_for_url(RUN_PAGE)
    page.wait_for_selector(FINISHED, timeout=60_000)
    assert page.locator(".error-card").count() == 0
    figures = stats(page)
    assert figures["明细"] == "8"
    assert figures["账单总额"] == "¥29.50"  # 3.50 × 7 + 5.00
    # Line 3 weighed 1.5 kg by the courier, 0.8 kg by us: ¥5.00 − ¥3.50 for the weight (read from column E, as chosen).
    by_type = {r["_type"]: (r["数量"], r["涉及金额"]) for r in table_rows(page, "section.card table.data")}
    assert by_type == {"weight_overcharge": ("1", "1.50")}

    # The next file of this layout from ZTO: its columns are the ones remembered, nothing to check.
    page.goto("/bills/upload/")
    page.select_option("#id_courier", "ZTO")
    write_xlsx(tmp_path / "statement-2.xlsx", "中通快递2026年11月对账单", ENGLISH, rows[:4])
    choose_file(page, tmp_path / "statement-2.xlsx")
    assert page.locator("[data-preview-summary]").inner_text() == "已找到所有列"
    assert preview.get_attribute("open") is None
    assert page.locator("[data-preview-fields] .field.uncertain").count() == 0
    assert chooser(page, "billed_weight").input_value() == "4"
    assert chooser(page, "province").input_value() == "2"
    # (The preview is folded into its summary line: its labels are read as text, not as shown.)
    labels = page.locator("[data-preview-fields] .field:has(.tag.remembered) label").all_text_contents()
    assert sorted(labels) == ["目的省份已按该快递公司记住", "账单重量已按该快递公司记住"]
    assert page.js_errors == []


def test_a_period_the_dates_contradict_is_refused_until_the_clerk_corrects_it(page, live_worker, finance_user, tmp_path):
    from recon.core.models import ReconRun

    # 3 pickups in the last days of October, 17 in November: November's bill.
    days = [datetime(2026, 10, 29, 9) + timedelta(days=i) for i in range(3)] + [datetime(2026, 11, 1, 9) + timedelta(days=i) for i in range(17)]
    rows = [[waybill(n + 1), day, "广东省", 0.8, 3.5] for n, day in enumerate(days)]
    path = tmp_path / "zto-bill.xlsx"
    write_xlsx(path, None, CHINESE, rows)

    log_in(page, "alice", "alice-pass-123")
    page.goto("/bills/upload/")
    page.select_option("#id_courier", "ZTO")
    page.fill("#id_period", "2026-10")
    choose_file(page, path)
    assert page.locator("#id_period").input_value() == "2026-10"  # what the clerk typed stays
    assert page.locator("[data-suggested-for=period]").is_hidden()
    warning = page.locator("[data-period-check]")
    assert warning.is_visible()
    assert page.locator("[data-period-message]").inner_text() == (
        "此文件中大部分揽收日期（已读取 20 个中的 17 个）不在 2026-10 内：它们在 2026-11。请更正账期，或勾选“账期无误”后仍然上传。")
    assert not page.locator("[name=confirm_period]").is_checked()
    assert page.locator("[data-preview-summary]").inner_text() == "已找到所有列"
    screenshot(page, "upload-period-warning")

    # Uploaded as it stands, the bill is refused, nothing is queued, and the page says why next to the period.
    page.get_by_role("button", name="上传并对账").click()
    page.wait_for_selector("[data-errors-for=period] p")
    assert page.locator("[data-errors-for=period]").inner_text() == page.locator("[data-period-message]").inner_text()
    assert "/bills/upload/" in page.url
    assert ReconRun.objects.count() == 0

    # The clerk corrects the period: the file is looked at again and the warning goes.
    page.fill("#id_period", "2026-11")
    warning.wait_for(state="hidden")
    assert page.locator("[data-errors-for=period]").inner_text() == ""
    page.get_by_role("button", name="上传并对账").click()
    page.wait_for_url(RUN_PAGE)
    page.wait_for_selector(FINISHED, timeout=60_000)
    assert page.locator(".error-card").count() == 0
    assert stats(page)["明细"] == "20"
    run = ReconRun.objects.get()
    assert (run.period_start, run.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert page.js_errors == []


def test_ticking_the_box_uploads_with_the_period_typed(page, live_worker, finance_user, tmp_path):
    from recon.core.models import ReconRun

    days = [datetime(2026, 11, 1, 9) + timedelta(days=i) for i in range(6)]
    write_xlsx(tmp_path / "zto.xlsx", None, CHINESE, [[waybill(n + 1), day, "广东省", 0.8, 3.5] for n, day in enumerate(days)])

    log_in(page, "alice", "alice-pass-123")
    page.goto("/bills/upload/")
    page.fill("#id_period", "2026-10")
    choose_file(page, tmp_path / "zto.xlsx")
    # No title: the courier comes from the file's name.
    page.wait_for_function("document.getElementById('id_courier').value === 'ZTO'")
    assert page.locator("[data-suggested-for=courier]").inner_text() == "根据文件名推荐"
    page.locator("[data-period-check]").wait_for(state="visible")
    assert page.locator("[data-period-message]").inner_text() == (
        "此文件中大部分揽收日期（已读取 6 个中的 6 个）不在 2026-10 内：它们在 2026-11。请更正账期，或勾选“账期无误”后仍然上传。")
    page.check("[name=confirm_period]")
    page.get_by_role("button", name="上传并对账").click()
    page.wait_for_url(RUN_PAGE)
    page.wait_for_selector(FINISHED, timeout=60_000)
    run = ReconRun.objects.get()
    assert (run.period_start, run.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert page.js_errors == []
