"""The settlement upload page looks at the file before it is imported, as the bill and returns pages do: the layout it
recognised, a preview of its rows, a column chooser per field, and the column the clerk chose is the one imported."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.payments.test_settlement_inspect import LEDGER, csv_bytes

from .conftest import screenshot
from .test_ops_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_settlement_file_is_previewed_its_column_changed_and_imported(page, finance_user, tmp_path, settings):
    from payments.models import SettlementLine
    from recon.sources.models import ColumnMapping

    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "抖店资金流水.csv"
    path.write_bytes(csv_bytes(LEDGER))
    log_in(page, finance_user)
    page.goto("/payments/settlements/upload/")
    page.select_option("#id_platform", "DOUYIN")
    page.set_input_files("[data-dropzone] input[type=file]", path)
    page.wait_for_selector("[data-preview]:not([hidden])")

    assert page.locator("[data-preview-notes]").inner_text() == (
        "识别为：含流水号（账务流水号/流水号）、时间（入账时间/发生时间）和金额（收入金额与支出金额、金额，或金额加收支类型）的结算流水")
    assert page.locator("[data-preview-summary]").inner_text() == "已找到所有列"
    assert page.locator("[data-preview]").get_attribute("open") is None  # nothing to check: folded until the clerk opens it
    page.locator("[data-preview-summary]").click()
    heads = page.locator("[data-preview-rows] thead tr")
    assert heads.nth(0).locator("th").all_inner_texts() == ["A", "B", "C", "D", "E", "F", "G"]
    assert heads.nth(1).locator("th").all_inner_texts() == LEDGER[0]
    body = page.locator("[data-preview-rows] tbody tr")
    assert [body.nth(i).locator("td").all_inner_texts()[:6] for i in range(body.count())] == [row[:6] for row in LEDGER[1:]]
    chooser = page.locator("#preview-amount")
    assert chooser.input_value() == "4"
    assert page.locator("label[for=preview-amount]").inner_text() == "金额"
    assert page.locator("[name=confirm_columns]").input_value() == "1"
    screenshot(page, "settlement-upload-preview")

    # The clerk knows the money the platform paid is in column F.
    chooser.select_option("5")
    assert page.locator("[name=map_amount]").input_value() == "结算金额"
    with page.expect_navigation():
        page.get_by_role("button", name="导入").click()
    result = page.locator("[data-testid=import-result]")
    assert result.locator("[data-testid=rows]").inner_text() == "2"
    assert result.locator("[data-testid=format]").inner_text() == (
        "识别为：含流水号（账务流水号/流水号）、时间（入账时间/发生时间）和金额（收入金额与支出金额、金额，或金额加收支类型）的结算流水")
    assert list(SettlementLine.objects.order_by("settlement_id").values_list("platform__code", "settlement_id", "amount")) == [
        ("DOUYIN", "LS001", Decimal("95.50")), ("DOUYIN", "LS002", Decimal("19.10"))]
    assert ColumnMapping.objects.get().mapping == {"amount": "结算金额"}
    assert page.js_errors == []


def test_an_orders_file_without_a_platform_column_asks_for_the_platform_before_the_upload(page, finance_user, tmp_path, settings):
    from orders.models import Order
    from tests.orders.order_files import csv_bytes as order_csv
    from tests.orders.test_order_inspect import OWN_EXPORT

    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "天猫订单.csv"
    path.write_bytes(order_csv(OWN_EXPORT))
    log_in(page, finance_user)
    page.goto("/orders/upload/")
    page.set_input_files("[data-dropzone] input[type=file]", path)
    page.wait_for_selector("[data-errors-for=platform] p")
    assert page.locator("[data-errors-for=platform] p").inner_text() == "此文件没有“平台”列：请选择这些订单所属的平台。"
    assert page.locator("[data-preview]").is_visible()

    # The platform chosen: the file is looked at again, the error gone, and the preview says what the platform does.
    page.select_option("#id_platform", "TMALL")
    page.wait_for_selector("[data-errors-for=platform] p", state="detached")
    assert page.locator("[data-preview-notes]").inner_text() == "此文件没有“平台”列：其中所有订单都按 天猫 (TMALL) 导入。"
    with page.expect_navigation():
        page.get_by_role("button", name="导入").click()
    assert page.locator("[data-testid=import-result] [data-testid=rows]").inner_text() == "1"
    assert list(Order.objects.values_list("platform__code", "order_no")) == [("TMALL", "3012345678901234567")]
    assert page.js_errors == []
