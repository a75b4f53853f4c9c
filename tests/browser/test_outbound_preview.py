"""The outbound upload page looks at the file before it is imported, as the bill, returns, orders and settlement pages
do: a preview of its rows, a column chooser per field, the weights' unit, the first rows as they will be stored and why
some would be refused; the column the clerk chose is the one imported, and another kind of file is looked at again."""
from __future__ import annotations

import pytest

from tests.orders.order_files import csv_bytes
from tests.orders.test_outbound_inspect import TWO_WEIGHTS

from .conftest import screenshot
from .test_ops_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The warehouse's estimate (包裹重量) and the scale's weight (称重重量); the third row's waybill lost its digits in Excel.
OUTBOUND = [
    ["出库单号", "订单号", "运单号", "快递公司", "出库数量", "包裹重量", "称重重量", "出库时间"],
    ["CK101", "B1", "75312345678911", "中通快递", "1", "1.0", "1.2", "2026-10-03 09:00"],
    ["CK102", "B2", "75312345678912", "ZTO", "2", "0.5", "0.6", "2026-10-03 10:00"],
    ["CK103", "B3", "7.53123E+13", "ZTO", "1", "0.5", "0.6", "2026-10-03 11:00"],
]


def stored_rows(page) -> list[list[str]]:
    body = page.locator("[data-stored-rows] tbody tr")
    return [body.nth(i).locator("td").all_inner_texts() for i in range(body.count())]


def test_an_outbound_file_is_previewed_as_stored_its_weight_column_changed_and_imported(page, finance_user, zto, tmp_path,
                                                                                          settings):
    from orders.models import OutboundRecord
    from recon.sources.models import ColumnMapping

    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "出库单.csv"
    path.write_bytes(csv_bytes(OUTBOUND, "utf-8"))
    log_in(page, finance_user)
    page.goto("/orders/outbound/upload/")
    page.set_input_files("[data-dropzone] input[type=file]", path)
    page.wait_for_selector("[data-preview]:not([hidden])")

    assert page.locator("[data-preview-notes]").inner_text() == "重量按千克读取（列“包裹重量”；表头注明 g 的按克读取）。"
    assert page.locator("[data-preview-summary]").inner_text() == "已找到所有列"
    page.locator("[data-preview-summary]").click()
    assert page.locator("[data-stored-caption]").inner_text() == "前几行将按如下内容保存（2 行）："
    assert page.locator("[data-stored-rows] thead th").all_inner_texts() == [
        "出库单号", "订单号", "SKU", "数量", "运单号", "快递公司", "包裹重量（克）", "出库时间", "仓库", "目的省份"]
    assert stored_rows(page) == [
        ["CK101", "B1", "", "1", "75312345678911", "ZTO", "1000", "2026-10-03 09:00:00", "", ""],
        ["CK102", "B2", "", "2", "75312345678912", "ZTO", "500", "2026-10-03 10:00:00", "", ""],
    ]
    assert page.locator("[data-sample-rejected]").inner_text() == (
        "上表第 3 行将被拒绝：运单号“7.53123E+13”为科学计数法，数字已丢失。请在 Excel 中将该列设置为文本格式后重新导出文件")
    assert page.locator("#preview-packed_weight").input_value() == "5"
    assert page.locator("[data-accepts=outbound_no]").inner_text() == (
        "可识别的表头：出库单号、出库单编号、出库单、出库编号、outbound no、outbound number")
    screenshot(page, "outbound-upload-preview")

    # The clerk wants the weighed column: the rows as stored are read again with it.
    page.locator("#preview-packed_weight").select_option("6")
    assert page.locator("[name=map_packed_weight]").input_value() == "称重重量"
    page.wait_for_function("document.querySelector('[data-stored-rows] tbody td:nth-child(7)').textContent === '1200'")
    assert [row[6] for row in stored_rows(page)] == ["1200", "600"]
    with page.expect_navigation():
        page.get_by_role("button", name="导入").click()
    result = page.locator("[data-testid=import-result]")
    assert (result.locator("[data-testid=rows]").inner_text(), result.locator("[data-testid=rejected]").inner_text()) == ("2", "1")
    assert list(OutboundRecord.objects.order_by("outbound_no").values_list("outbound_no", "packed_weight_g")) == [
        ("CK101", 1200), ("CK102", 600)]
    assert ColumnMapping.objects.get().mapping == {"packed_weight": "称重重量"}

    # Pickup scans with two 重量 columns: the kind chosen, the file is read as scans and the guess is to be checked.
    path = tmp_path / "揽收.csv"
    path.write_bytes(csv_bytes(TWO_WEIGHTS, "utf-8"))
    page.check("input[name=kind][value=pickups]")
    page.set_input_files("[data-dropzone] input[type=file]", path)
    page.wait_for_selector("[data-preview].needs-confirmation")
    assert page.locator("[data-preview-summary]").inner_text() == "上传前请核对标有“请核对”的列"
    assert page.locator("label[for=preview-pickup_weight]").inner_text() == "揽收重量请核对"
    assert stored_rows(page) == [["75312345678901", "ZTO", "2026-10-02 18:00:00", "1300", ""]]
    assert page.js_errors == []


def test_a_pickups_file_under_outbound_records_shows_what_is_missing_and_the_kind_it_looks_like(page, finance_user, zto,
                                                                                                  tmp_path):
    from tests.orders.test_outbound_inspect_kind import PICKUPS

    path = tmp_path / "揽收.csv"
    path.write_bytes(csv_bytes(PICKUPS, "utf-8"))
    log_in(page, finance_user)
    page.goto("/orders/outbound/upload/")
    page.set_input_files("[data-dropzone] input[type=file]", path)
    page.wait_for_selector("[data-errors-for=file] p")
    assert page.locator("[data-errors-for=file] p").all_inner_texts() == [
        "未找到表头：缺少 出库单号、订单号、数量、出库时间（在“揽收.csv”中看到的表头：运单号、快递公司、揽收时间、揽收重量、揽收网点）。",
        "此文件看起来是揽收记录：请在上方选择该文件类型。",
    ]
    screenshot(page, "outbound-upload-wrong-kind")
    # The kind chosen as told: the file is looked at again and the messages go.
    page.check("input[name=kind][value=pickups]")
    page.wait_for_selector("[data-preview]:not([hidden])")
    assert page.locator("[data-errors-for=file] p").count() == 0
    assert page.js_errors == []
