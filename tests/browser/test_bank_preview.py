"""The bank statement upload page looks at the file before it is imported: its format, statements and balances, the
first lines as they will be imported, and for a sheet the column chooser with the guesses marked; the column the clerk
chose is the one imported."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.payments.test_bank_inspect import ACCOUNT, TWO_AMOUNTS, TWO_AMOUNTS_HEADER

from .conftest import screenshot
from .test_ops_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CAMT = Path(__file__).resolve().parent.parent / "fixtures" / "payments" / "bank" / "camt053-normal.xml"


def cells(page, selector: str) -> list[list[str]]:
    rows = page.locator(f"{selector} tbody tr")
    return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]


def test_a_chinese_bank_csv_is_previewed_its_amount_column_changed_and_imported(page, finance_user, tmp_path, settings):
    from payments.models import BankLine

    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "外币账户流水.csv"
    path.write_bytes(TWO_AMOUNTS)
    log_in(page, finance_user)
    page.goto("/payments/bank/upload/")
    page.fill("#id_account", ACCOUNT)
    page.press("#id_account", "Tab")
    page.set_input_files("[data-dropzone] input[type=file]", path)
    page.wait_for_selector("[data-preview]:not([hidden])")

    assert page.locator("[data-bank-format]").inner_text() == "国内银行流水导出（CSV）"
    assert page.locator("[data-preview]").get_attribute("open") is not None
    assert page.locator("[data-preview-summary]").inner_text() == "上传前请核对标有“请核对”的列"
    assert page.locator("[data-preview-rows] thead tr").nth(1).locator("th").all_inner_texts() == TWO_AMOUNTS_HEADER
    assert page.locator("#preview-amount").input_value() == "2"
    uncertain = page.locator("[data-preview-fields] .field.uncertain")
    assert uncertain.count() == 1
    assert uncertain.locator("label").inner_text() == "金额请核对"
    assert page.locator("[data-bank-lines] thead th").all_inner_texts() == ["记账日期", "金额", "对方户名", "摘要", "流水号", "余额"]
    # Names as the import stores them: full-width brackets read as ASCII ones (NFKC).
    assert cells(page, "[data-bank-lines]") == [
        ["2026-10-03", "42.00", "支付宝(中国)网络技术有限公司", "提现", "HZ2610030001", "1300.00"],
        ["2026-10-05", "-6.93", "", "手续费", "HZ2610050002", "1250.50"],
    ]
    assert cells(page, "[data-bank-statements]") == [[ACCOUNT, "2026-10-03 – 2026-10-05", "", "", "2"]]
    assert page.locator("[data-bank-lines-caption]").inner_text() == "将要导入的前几行（共 2 行，显示 2 行）："
    assert page.locator("[data-bank-needs-account]").is_hidden()
    screenshot(page, "bank-upload-preview-sheet")

    # The clerk knows the line's amount is the one booked in yuan, column E; the lines shown follow the choice.
    page.select_option("#preview-amount", "4")
    assert page.locator("[name=map_amount]").input_value() == "本币金额"
    page.wait_for_function("document.querySelector('[data-bank-lines] tbody td:nth-child(2)').textContent === '300.00'")
    assert [row[1] for row in cells(page, "[data-bank-lines]")] == ["300.00", "-49.50"]
    with page.expect_navigation():
        page.get_by_role("button", name="导入").click()
    result = page.locator("[data-testid=import-result]")
    assert result.locator("[data-testid=rows]").inner_text() == "2"
    assert list(BankLine.objects.order_by("booked_on").values_list("amount", flat=True)) == [
        Decimal("300.00"), Decimal("-49.50")]

    # A CAMT.053 file has no columns to choose: its statement and lines only.
    page.set_input_files("[data-dropzone] input[type=file]", CAMT)
    page.wait_for_function("document.querySelector('[data-preview-summary]').textContent.startsWith('CAMT.053')")
    assert page.locator("[data-preview-summary]").inner_text() == "CAMT.053（ISO 20022 XML 对账单）"
    assert page.locator("[data-sheet-only]").is_hidden()
    assert page.locator("[data-bank-format]").is_hidden()
    assert cells(page, "[data-bank-statements]") == [["31010000123456789", "2026-10-01 – 2026-10-31", "1000.00", "1250.50", "2"]]
    assert cells(page, "[data-bank-lines]") == [
        ["2026-10-03", "300.00", "支付宝（中国）网络技术有限公司", "提现 W20261002001", "B261003001", ""],
        ["2026-10-05", "-49.50", "杭州好店贸易有限公司", "手续费", "B261005002", ""],
    ]
    screenshot(page, "bank-upload-preview-camt")
    assert page.js_errors == []
