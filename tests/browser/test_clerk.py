"""What a finance clerk does in a real browser: log in, upload a messy bill, watch it run, work the discrepancies.

The bill comes from couriers.demo_data with known injected errors, and a real Celery worker reconciles it, so the
numbers on the pages are checked against what was injected, to the fen.
"""
from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from couriers.demo_data import generate, price_fen, rate_card_frame, write_messy_csv, write_messy_xlsx

from .conftest import screenshot

# The flush after each test empties the couriers the data migration made; serialized_rollback puts them back.
pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RUN_PAGE = re.compile(r"/runs/(\d+)/$")
FINISHED = ".cards, .error-card"  # the run page shows one of these once the worker is done


# --------------------------------------------------------------------------- data


@pytest.fixture
def october(tmp_path):
    """The demo card, a month of our shipments, and the matching bill with errors of every type injected."""
    from couriers.models import Courier
    from couriers.services import rate_card_import
    from orders.services import shipments_bulk_create

    zto = Courier.objects.get(code="ZTO")
    card = tmp_path / "报价单.xlsx"
    rate_card_frame().to_excel(card, index=False)
    with open(card, "rb") as fh:
        rate_card_import(file=fh, filename=card.name, courier=zto, effective_from=date(2026, 1, 1))
    data = generate(600, seed=41)
    records = data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    shipments_bulk_create(records=records.astype(object).where(records.notna(), None).to_dict("records"))
    return data


def fen(yuan_text: str) -> int:
    return int(Decimal(yuan_text.replace(",", "").lstrip("¥￥")) * 100)


def money(amount_fen: int) -> str:
    """How the pages print money: two decimals, grouped by thousands with commas, in Chinese as in English."""
    whole, cents = divmod(amount_fen, 100)
    return f"{whole:,}.{cents:02d}"


def weight_overcharges(data) -> dict[str, int]:
    """Lines billed heavier than our scale said (bulky parcels aside), with the card's price difference, in fen."""
    bill = data.bill.rename(columns={"运单号": "waybill_no", "计费重量(kg)": "billed_kg"})
    ours = data.shipments[(data.shipments["status"] == "shipped") & (data.shipments["courier"] == "ZTO") & data.shipments["length_cm"].isna()]
    both = bill.merge(ours, on="waybill_no")
    billed_g = both["billed_kg"].map(lambda s: int(Decimal(s) * 1000))
    our_g = (both["weight_kg"] * 1000).round().astype(int)
    heavier = both[billed_g > our_g]
    return {
        w: price_fen(int(b), p) - price_fen(int(o), p)
        for w, b, o, p in zip(heavier["waybill_no"], billed_g[heavier.index], our_g[heavier.index], heavier["province"])
    }


# --------------------------------------------------------------------------- reading the pages


def table_rows(page, selector: str) -> list[dict]:
    """A table's body rows keyed by header text (each cell's first line); `_type` is the row's discrepancy type code."""
    return page.eval_on_selector(selector, """(table) => {
        const heads = [...table.querySelectorAll('thead th')].map((th) => th.innerText.trim());
        return [...table.querySelectorAll('tbody tr')].map((tr) => {
            const row = {};
            [...tr.children].forEach((td, i) => { row[heads[i] || String(i)] = td.innerText.trim().split('\\n')[0]; });
            const tag = tr.querySelector('.tag');
            row._type = tag ? ([...tag.classList].find((c) => c.startsWith('t-')) || '').slice(2) : null;
            return row;
        });
    }""")


def stats(page) -> dict[str, str]:
    """The run summary's figures, label → value."""
    return {
        card.locator(".label").inner_text().strip(): card.locator(".value").inner_text().strip()
        for card in page.locator(".cards .stat").all()
    }


def log_in(page, username: str, password: str) -> None:
    page.goto("/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "登录"
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.locator(".username").inner_text() == "Alice"


def fill_upload_form(page) -> None:
    page.locator("nav.mainnav").get_by_role("link", name="上传账单").click()
    page.wait_for_url("**/bills/upload/")
    page.select_option("#id_courier", "ZTO")
    page.fill("#id_period", "2026-10")


def wait_for_summary(page) -> int:
    page.wait_for_selector(FINISHED, timeout=120_000)
    error = page.locator(".error-card")
    assert error.count() == 0, error.inner_text()
    return int(RUN_PAGE.search(page.url).group(1))


# --------------------------------------------------------------------------- the clerk's day


def test_clerk_uploads_a_messy_xlsx_and_works_the_discrepancies(page, queued_worker, finance_user, october, tmp_path):
    data = october
    path = tmp_path / "中通2026年10月对账单.xlsx"
    write_messy_xlsx(data.bill, path)  # cover sheet, title rows, numeric waybills, two weeks, totals rows

    log_in(page, "alice", "alice-pass-123")
    fill_upload_form(page)
    page.set_input_files("[data-dropzone] input[type=file]", path)
    assert page.locator("[data-file-name]").inner_text().startswith("中通2026年10月对账单.xlsx · ")
    screenshot(page, "upload-filled")
    page.get_by_role("button", name="上传并对账").click()

    # No worker yet: the run waits, and its page says so.
    page.wait_for_url(RUN_PAGE)
    progress = page.locator("[data-run-status]")
    assert progress.is_visible()
    assert page.locator("[data-phase]").inner_text() == "等待处理"
    assert page.locator(".pagehead .tag").inner_text() == "排队中"
    screenshot(page, "run-queued")

    # The worker starts; the page follows it to the summary by itself, with no reload from here.
    queued_worker.start()
    run_id = wait_for_summary(page)
    assert progress.count() == 0
    assert page.locator(".pagehead .tag").inner_text() == "已完成"
    screenshot(page, "run-summary")

    figures = stats(page)
    billed_fen = sum(fen(v) for v in data.bill["运费(元)"])
    claim_fen = sum(e["amount_fen"] for t, e in data.expected.items() if t not in {"no_rate", "not_billed"})
    assert figures["明细"] == str(len(data.bill))
    assert figures["账单总额"] == "¥" + money(billed_fen)
    assert figures["涉及金额"] == "¥" + money(claim_fen)
    assert page.locator(".msg-warning").count() == 0  # both sheets' totals rows agree with their lines

    by_type = {r["_type"]: (int(r["数量"]), r["涉及金额"]) for r in table_rows(page, "section.card table.data")}
    assert by_type == {t: (e["count"], money(e["amount_fen"])) for t, e in data.expected.items()}
    assert len(by_type) == 9  # every type the demo injects, so none can hide behind another

    # From the summary to the weight overcharges: exactly the lines billed heavier than we weighed them.
    page.locator("section.card table.data a", has=page.locator(".t-weight_overcharge")).click()
    page.wait_for_url(f"**/discrepancies/?run={run_id}&type=weight_overcharge")
    assert page.locator("input[name=type][value=weight_overcharge]").is_checked()
    expected = weight_overcharges(data)
    assert len(expected) == data.expected["weight_overcharge"]["count"]
    rows = table_rows(page, "table.data")
    assert {r["运单号"]: fen(r["涉及金额"]) for r in rows} == expected
    assert {r["_type"] for r in rows} == {"weight_overcharge"}
    assert {r["类型"] for r in rows} == {"重量超收"}
    # Biggest first, as a clerk works the list.
    assert [fen(r["涉及金额"]) for r in rows] == sorted(expected.values(), reverse=True)
    total = data.expected["weight_overcharge"]["amount_fen"]
    assert page.locator("#queue-totals [data-testid=totals] strong.money").inner_text() == money(total)
    screenshot(page, "discrepancies-weight-zh")

    # The filter bar: switch to the unknown waybills of the same run.
    page.locator("input[name=type][value=weight_overcharge]").uncheck()
    page.locator("input[name=type][value=unknown_waybill]").check()
    page.locator("form.filterbar button[type=submit]").click()
    page.wait_for_url(re.compile(r"type=unknown_waybill"))
    unknown = data.bill[~data.bill["运单号"].isin(data.shipments["waybill_no"])]
    rows = table_rows(page, "table.data")
    assert sorted(r["运单号"] for r in rows) == sorted(unknown["运单号"])
    assert [r["涉及金额"] for r in rows] == [money(fen(v)) for v in unknown["运费(元)"]]
    assert {r["_type"] for r in rows} == {"unknown_waybill"}

    # English, on the same list, then back to Chinese. (The buttons name each language in the current one.)
    page.locator(".langswitch button[value=en]").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    english = table_rows(page, "table.data")
    assert {r["Type"] for r in english} == {"Unknown waybill"}
    assert sorted(r["Waybill"] for r in english) == sorted(unknown["运单号"])
    assert page.locator("nav.mainnav").get_by_role("link", name="Upload bill").is_visible()
    query = parse_qs(urlsplit(page.url).query)
    assert (query["run"], query["type"]) == ([str(run_id)], ["unknown_waybill"])  # the filter survives the switch
    screenshot(page, "discrepancies-unknown-en")

    page.locator(".langswitch button[value=zh-hans]").click()
    page.wait_for_function("document.documentElement.lang === 'zh-hans'")
    assert page.locator("nav.mainnav").get_by_role("link", name="上传账单").is_visible()
    assert {r["类型"] for r in table_rows(page, "table.data")} == {"非我方运单"}
    assert page.js_errors == []


def test_clerk_drops_a_gbk_csv_with_a_broken_row(page, live_worker, finance_user, october, tmp_path):
    data = october
    # Excel turned one waybill into 7.5E+13: the row must be rejected with its row number, never guessed.
    broken = pd.DataFrame([{"运单号": "7.53E+13", "揽收时间": "2026-10-09 09:00:00", "目的省份": "广东省", "计费重量(kg)": "1", "运费(元)": "3.50"}])
    bill = pd.concat([broken, data.bill], ignore_index=True)
    path = tmp_path / "zto-oct.csv"
    write_messy_csv(bill, path)  # GBK, title rows above the header, ￥ amounts, a 合计 row that includes the broken row

    log_in(page, "alice", "alice-pass-123")
    fill_upload_form(page)
    payload = base64.b64encode(path.read_bytes()).decode()
    dropped = page.evaluate_handle("""([b64, name]) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, { type: 'text/csv' }));
        return transfer;
    }""", [payload, "中通10月账单.csv"])
    page.dispatch_event("[data-dropzone]", "dragenter", {"dataTransfer": dropped})
    assert "over" in page.locator("[data-dropzone]").get_attribute("class")
    page.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": dropped})
    assert "over" not in page.locator("[data-dropzone]").get_attribute("class")
    assert page.locator("[data-file-name]").inner_text().startswith("中通10月账单.csv · ")
    assert page.eval_on_selector("[data-dropzone] input[type=file]", "(el) => el.files[0].size") == path.stat().st_size
    page.get_by_role("button", name="上传并对账").click()

    page.wait_for_url(RUN_PAGE)
    wait_for_summary(page)
    figures = stats(page)
    assert figures["明细"] == str(len(data.bill))
    assert page.locator(".stat .sub.warn").inner_text() == "1 行未导入"
    assert page.locator(".msg-warning").count() == 0  # the 合计 row matches lines plus the rejected row
    by_type = {r["_type"]: int(r["数量"]) for r in table_rows(page, "section.card table.data")}
    assert by_type == {t: e["count"] for t, e in data.expected.items()}

    page.locator(".toolbar a[href*='/rejected/']").click()
    rows = table_rows(page, "table.data")
    assert len(rows) == 1
    # Title, customer line, a blank line, the header: the broken row is the file's fifth line.
    assert rows[0]["行"] == "5"
    assert "waybill_scientific" in rows[0]["原因"] and "7.53E+13" in rows[0]["原始行内容"]
    screenshot(page, "rejected-rows")
    assert page.js_errors == []

