"""The returns upload page looks at the file before it is imported, as the bill page does: a preview of its rows, a
column chooser per field with the guesses marked, and the column the clerk chose is the one imported."""
from __future__ import annotations

import pytest

from tests.returns.conftest import csv_bytes

from .conftest import screenshot
from .test_ops_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Two columns named 质检员 (a guess to check), the warehouse the parcel really went to next to the one it was sent to,
# and the photos of the damaged item.
RECEIPTS = [
    ["快递单号", "订单号", "入库时间", "SKU", "实收数量", "质检结果", "仓库", "实际仓库", "质检员", "质检员", "质检图片"],
    ["75312345678901", "SO1001", "2026-10-08 15:00", "SKU-A", "2", "良品", "杭州仓", "上海仓", "王五", "钱八", ""],
    ["75312345678902", "SO1002", "2026-10-09 09:30", "SKU-B", "1", "破损", "杭州仓", "上海仓", "赵六", "钱八",
     "https://img.example.com/b1.jpg https://img.example.com/b2.jpg"],
]


def chooser(page, field: str):
    return page.locator(f"#preview-{field}")


def test_a_receipts_file_is_previewed_its_column_changed_and_imported(page, finance_user, tmp_path, settings):
    from returns.models import ReturnReceipt

    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "退货入库.csv"
    path.write_bytes(csv_bytes(RECEIPTS))
    log_in(page, finance_user)
    page.goto("/returns/upload/")
    page.select_option("#id_kind", "receipts")
    page.set_input_files("[data-dropzone] input[type=file]", path)
    page.wait_for_selector("[data-preview]:not([hidden])")

    preview = page.locator("[data-preview]")
    assert preview.get_attribute("open") is not None  # a column to check: open from the start
    assert page.locator("[data-preview-summary]").inner_text() == "上传前请核对标有“请核对”的列"
    heads = page.locator("[data-preview-rows] thead tr")
    assert heads.nth(0).locator("th").all_inner_texts() == ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"]
    assert heads.nth(1).locator("th").all_inner_texts() == RECEIPTS[0]
    body = page.locator("[data-preview-rows] tbody tr")
    assert [body.nth(i).locator("td").all_inner_texts()[3] for i in range(body.count())] == ["SKU-A", "SKU-B"]
    assert chooser(page, "warehouse").input_value() == "6"
    assert chooser(page, "inspector").input_value() == "8"
    assert chooser(page, "photos").input_value() == "10"
    uncertain = page.locator("[data-preview-fields] .field.uncertain")
    assert uncertain.count() == 1
    assert uncertain.locator("label").inner_text() == "质检员请核对"
    assert page.locator("[name=confirm_columns]").input_value() == "1"
    screenshot(page, "returns-upload-preview")

    # The clerk knows the parcels went to the warehouse in column H.
    chooser(page, "warehouse").select_option("7")
    assert page.locator("[name=map_warehouse]").input_value() == "实际仓库"
    with page.expect_navigation():
        page.get_by_role("button", name="导入").click()
    result = page.locator("[data-testid=import-result]")
    assert result.locator("[data-testid=rows]").inner_text() == "2"
    assert sorted(ReturnReceipt.objects.values_list("sku", "warehouse", "inspector", "photos")) == [
        ("SKU-A", "上海仓", "王五", []),
        ("SKU-B", "上海仓", "赵六", ["https://img.example.com/b1.jpg", "https://img.example.com/b2.jpg"]),
    ]

    # Another kind of file is looked at again with that kind's columns, the chosen ones forgotten.
    page.select_option("#id_kind", "requests")
    page.set_input_files("[data-dropzone] input[type=file]", path)
    page.wait_for_selector("[data-errors-for=file] p")
    assert page.locator("[data-errors-for=file] p").inner_text().startswith("未找到表头：缺少 退货单号")
    assert page.locator("[data-preview]").is_hidden()
    assert page.locator("[name=map_warehouse]").input_value() == ""
    assert page.js_errors == []
