"""A bill's whole life in a real browser: upload, delete, upload the corrected bill, add a supplementary bill (补充账单),
then check the duplicates, the not-billed list and the money panel to the fen.

Every expected number is worked out here from the lines written into the files, with the demo card's prices
(广东 up to 1 kg: ¥3.50), never by asking the engine.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from .conftest import screenshot
from .test_clerk import FINISHED, RUN_PAGE, log_in, stats, table_rows

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PRICE = "3.50"  # the demo card: 广东 (mid), 501 g to 1 kg
HEADER = ["运单号", "揽收时间", "目的省份", "计费重量(kg)", "运费(元)"]


def waybill(n: int) -> str:
    return f"75000000{n:05d}"


UNKNOWN = "7599999999999"  # a waybill we never shipped


@pytest.fixture
def shipped(tmp_path):
    """The demo card and nine ZTO parcels of 0.8 kg to 广东 in October (plus one in November, outside the period)."""
    from couriers.demo_data import rate_card_frame
    from couriers.models import Courier
    from couriers.services import rate_card_import
    from orders.services import shipments_bulk_create

    card = tmp_path / "报价单.xlsx"
    rate_card_frame().to_excel(card, index=False)
    with open(card, "rb") as fh:
        rate_card_import(file=fh, filename=card.name, courier=Courier.objects.get(code="ZTO"), effective_from=date(2026, 1, 1))
    records = [
        {"waybill_no": waybill(n), "order_no": f"SO{n:04d}", "courier": "ZTO", "status": "shipped",
         "shipped_at": f"2026-{'11' if n == 10 else '10'}-{n:02d} 10:00:00", "weight_kg": 0.8, "province": "广东"}
        for n in range(1, 11)
    ]
    shipments_bulk_create(records=records)


def write_bill(path, lines: list[tuple[str, str]]) -> None:
    """A plain xlsx bill: one line per (waybill, fee), picked up in October, 0.8 kg to 广东省."""
    rows = [[w, "2026-10-15 09:00:00", "广东省", "0.8", fee] for w, fee in lines]
    pd.DataFrame(rows, columns=HEADER).to_excel(path, index=False)


def upload(page, path, *, mode: str | None = None) -> int:
    """Upload a bill for ZTO, 2026-10 from the upload page, wait for its run and return the run's id."""
    page.goto("/bills/upload/")
    page.select_option("#id_courier", "ZTO")
    page.fill("#id_period", "2026-10")
    page.set_input_files("[data-dropzone] input[type=file]", path)
    if mode:
        page.check(f"input[name=mode][value={mode}]")
    page.get_by_role("button", name="上传并对账").click()
    page.wait_for_url(RUN_PAGE)
    page.wait_for_selector(FINISHED, timeout=60_000)
    error = page.locator(".error-card")
    assert error.count() == 0, error.inner_text()
    return int(RUN_PAGE.search(page.url).group(1))


def queue(page, query: str) -> list[dict]:
    page.goto(f"/discrepancies/?{query}")
    page.wait_for_selector("#queue-totals [data-testid=totals]")
    return table_rows(page, "table.data.queue")


def manager_page(browser, live_server):
    """Carol the manager, signed in, in a browser of her own."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.js_errors = []
    tab.on("pageerror", lambda exc: tab.js_errors.append(str(exc)))
    tab.goto("/")
    tab.fill("#id_username", "carol")
    tab.fill("#id_password", "carol-pass-123")
    tab.locator("form.stack button[type=submit]").click()
    tab.wait_for_url(lambda url: "/accounts/login/" not in url)
    return tab


def test_upload_delete_correct_and_supplement_a_bill(page, browser, live_server, live_worker, finance_user, manager_user, shipped,
                                                     tmp_path):
    from couriers.models import CourierBill

    log_in(page, "alice", "alice-pass-123")

    # 1. The first bill: two exact lines, one overcharged (¥4.20 for a ¥3.50 parcel), a waybill twice in the file,
    #    one waybill we never shipped. Waybills 5-9 of October are not in it.
    first = tmp_path / "中通10月账单.xlsx"
    write_bill(first, [(waybill(1), PRICE), (waybill(2), PRICE), (waybill(3), "4.20"), (waybill(4), PRICE),
                       (waybill(4), PRICE), (UNKNOWN, "6.00")])
    upload(page, first)
    figures = stats(page)
    assert figures["明细"] == "6"
    assert figures["账单总额"] == "¥24.20"  # 3.50 × 4 + 4.20 + 6.00
    assert figures["涉及金额"] == "¥10.20"  # 0.70 over + 3.50 charged again + 6.00 not ours
    by_type = {r["_type"]: (r["数量"], r["涉及金额"]) for r in table_rows(page, "section.card table.data")}
    assert by_type == {"rate_overcharge": ("1", "0.70"), "duplicate_charge": ("1", "3.50"),
                       "unknown_waybill": ("1", "6.00"), "not_billed": ("5", "0.00")}
    first_bill = CourierBill.objects.get()
    screenshot(page, "life-first-bill")

    # 2. Deleting is a manager's act: Carol deletes it in her own browser (the page asks first); it then counts for nothing.
    carol = manager_page(browser, live_server)
    carol.goto(f"/bills/{first_bill.pk}/")
    asked = []
    carol.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    with carol.expect_navigation():
        carol.locator(f"form[action='/bills/{first_bill.pk}/delete/'] button[type=submit]").click()
    assert asked == ["确定删除该账单吗？其差异将移出差异列表；主管可恢复该账单。"]
    assert carol.locator(".msg-warning").first.inner_text().startswith("已由 carol 于 ")
    assert carol.js_errors == []
    page.goto("/bills/")
    assert [r["#"] for r in table_rows(page, "table.data")] == ["没有符合筛选条件的账单。"]
    page.goto("/")
    assert page.locator("section.card").nth(1).locator(".empty").inner_text() == "本期间没有涉及金额。"
    assert page.locator("section.card").first.locator("table.data tbody tr").count() == 0
    assert queue(page, "courier=ZTO") == [{"0": "没有符合筛选条件的差异。", "_type": None}]
    assert page.locator("[data-testid=total-at-stake]").inner_text() == "0.00"

    # 3. The corrected bill, same period: with the first one deleted there is no bill to replace or add to,
    #    and nothing in it is charged "again".
    corrected = tmp_path / "中通10月账单-更正.xlsx"
    write_bill(corrected, [(waybill(n), PRICE) for n in range(1, 6)])
    corrected_run = upload(page, corrected)
    figures = stats(page)
    assert figures["明细"] == "5"
    assert figures["账单总额"] == "¥17.50"
    assert figures["涉及金额"] == "¥0.00"
    assert {r["_type"]: r["数量"] for r in table_rows(page, "section.card table.data")} == {"not_billed": "4"}
    corrected_bill = CourierBill.objects.get(deleted_at__isnull=True)
    assert not corrected_bill.is_supplement and corrected_bill.replaces_id is None

    # 4. A supplementary bill: two parcels the corrected bill left out (one of them ¥0.50 over), and waybill 2 again.
    supplement = tmp_path / "中通10月补充账单.xlsx"
    write_bill(supplement, [(waybill(6), PRICE), (waybill(7), "4.00"), (waybill(2), PRICE)])
    supplement_run = upload(page, supplement, mode="supplement")
    figures = stats(page)
    assert figures["明细"] == "3"
    assert figures["账单总额"] == "¥11.00"
    assert figures["涉及金额"] == "¥4.00"  # 0.50 over + 3.50 charged again
    supplement_bill = CourierBill.objects.get(deleted_at__isnull=True, is_supplement=True)
    screenshot(page, "life-supplement")

    # 5. The queue, to the fen.
    duplicates = queue(page, "courier=ZTO&type=duplicate_charge")
    assert [(r["运单号"], r["涉及金额"], r["_type"]) for r in duplicates] == [(waybill(2), "3.50", "duplicate_charge")]
    assert duplicates[0]["原因"] == f"运单 {waybill(2)} 已在账单 #{corrected_bill.pk} 中计费，本行再次收取 ¥3.50。"
    assert duplicates[0]["发现时间"].startswith(f"#{supplement_run} ")

    not_billed = queue(page, "courier=ZTO&type=not_billed")
    # Billed by neither current bill: 8 and 9 (10 went out in November; 6 and 7 are in the supplementary bill).
    assert sorted(r["运单号"] for r in not_billed) == [waybill(8), waybill(9)]
    assert {r["涉及金额"] for r in not_billed} == {"0.00"}

    everything = queue(page, "courier=ZTO")
    assert sorted((r["_type"], r["运单号"], r["涉及金额"]) for r in everything) == [
        ("duplicate_charge", waybill(2), "3.50"),
        ("not_billed", waybill(8), "0.00"),
        ("not_billed", waybill(9), "0.00"),
        ("rate_overcharge", waybill(7), "0.50"),
    ]
    panel = {key: page.locator(f"[data-testid=total-{key}]").inner_text() for key in
             ("at-stake", "open", "disputed", "recovered", "accepted", "written-off", "shortfall")}
    assert panel == {"at-stake": "4.00", "open": "4.00", "disputed": "0.00", "recovered": "0.00", "accepted": "0.00",
                     "written-off": "0.00", "shortfall": "0.00"}
    parts = sum(int(v.replace(".", "").replace(",", "")) for k, v in panel.items() if k != "at-stake")
    assert parts == int(panel["at-stake"].replace(".", "")) == 400
    assert page.locator("[data-testid=total-count]").inner_text() == "4 条差异"
    screenshot(page, "life-queue")

    # The dashboard counts the two current bills, not the deleted one.
    page.goto("/")
    stakes = table_rows(page, "[data-testid=panel-stakes] table.data")
    # The month's current rows of ZTO, as the queue listed them above: both claims come from the supplementary bill.
    assert [(r["对账方"], r["差异"], r["涉及金额"]) for r in stakes] == [("中通", "4", "4.00")]
    latest = table_rows(page, "[data-testid=panel-runs] table.data")
    assert [(r["#"], r["明细"], r["涉及金额"]) for r in latest] == [(str(supplement_run), "3", "4.00"), (str(corrected_run), "5", "0.00")]
    assert supplement_bill.pk != corrected_bill.pk
    assert page.js_errors == []
