"""Run errors and discrepancy reasons are stored in the product's language and read in the reader's."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from recon.core.stored_text import StoredTexts, stored_reason, stored_text
from tests.factories import DiscrepancyFactory, ReconRunFactory

# What the courier-fee engine stores for a rate overcharge, and the returns and outbound engines for two of theirs.
RATE_ZH = "账单收取 ¥12.50；按报价单，2.5 kg 发往 广东 应为 ¥8.00：多收 ¥4.50。"
RATE_EN = "Billed ¥12.50; the rate card gives ¥8.00 for 2.5 kg to 广东: ¥4.50 over."
DAMAGED_ZH = "退货单 R-77：SKU-1 有 2 件破损、空包或缺件；已为这些商品退款 ¥30.00。"
DAMAGED_EN = "Return R-77: 2 × SKU-1 arrived damaged, empty or incomplete; ¥30.00 was refunded for them."
# A template whose first placeholder opens the text.
PICKED_ZH = "中通 于 2026-10-03 09:00 揽收运单 ZT123，截至 2026-10-05 没有任何出库单使用该运单（允许 24 小时）。"
PICKED_EN = "中通 scanned waybill ZT123 at 2026-10-03 09:00, and no outbound had that waybill by 2026-10-05 (24 h allowed)."
WORKER_LOST_ZH = "处理该批次的后台进程在完成前中断了，请重新开始。"
WORKER_LOST_EN = "The worker stopped before finishing this run; start it again."
SETTING_ZH = "未知设置项“colour”。"
SETTING_EN = "Unknown setting “colour”."


def test_reasons_read_in_english():
    with translation.override("en"):
        assert stored_reason(RATE_ZH) == RATE_EN
        assert stored_reason(DAMAGED_ZH) == DAMAGED_EN
        assert stored_reason(PICKED_ZH) == PICKED_EN


def test_run_errors_read_in_english_with_their_values():
    with translation.override("en"):
        assert stored_text(WORKER_LOST_ZH) == WORKER_LOST_EN
        assert stored_text(SETTING_ZH) == SETTING_EN
        assert stored_text("运行期间无法连接数据库，本次运行的结果均未保存。请重新运行。（OperationalError）") == (
            "The database could not be reached while this run worked; nothing of it was saved. Run it again. "
            "(OperationalError)")


def test_product_language_and_unknown_text_are_shown_as_stored():
    assert stored_reason(RATE_ZH) == RATE_ZH  # zh-hans is active: no lookup at all
    assert stored_text(WORKER_LOST_ZH) == WORKER_LOST_ZH
    with translation.override("en"):
        assert stored_reason("快递员说包裹丢了") == "快递员说包裹丢了"
        assert stored_text("ValueError: bad row 7") == "ValueError: bad row 7"
        assert stored_reason("") == ""
        # A reason typed by hand that only looks like a template's start stays as it was.
        assert stored_reason("账单收取 ¥12.50；别的话") == "账单收取 ¥12.50；别的话"


def test_adjacent_and_leading_placeholders_and_the_most_literal_match():
    texts = StoredTexts([
        ("{a}{b} kg", "{a}{b} 公斤"),
        ("{who} owes {n}", "{who} 欠 {n}"),
        ("Total {x}", "合计 {x}"),
        ("Total of claims: {x}", "合计索赔：{x}"),
        ("%(count)s rows: %(name)s%(rest)s done", "%(count)s 行：%(name)s%(rest)s 完成"),
    ])
    with translation.override("en"):
        assert texts.render("12.5 公斤") == "12.5 kg"
        assert texts.render("张三 欠 ¥5") == "张三 owes ¥5"
        # Both templates match; the one with more literal text is the one the text was made from.
        assert texts.render("合计索赔：¥94.00") == "Total of claims: ¥94.00"
        assert texts.render("合计 ¥94.00") == "Total ¥94.00"
        assert texts.render("3 行：甲乙 完成") == "3 rows: 甲乙 done"
        assert texts.render("3 行 甲乙") == "3 行 甲乙"


def _failed_run():
    return ReconRunFactory(status="failed", phase="failed", error_code="worker_lost", error=WORKER_LOST_ZH)


@pytest.mark.django_db
def test_failed_run_page_in_each_language(finance_user):
    run = _failed_run()
    url = reverse("run-detail", args=[run.pk])
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh.force_login(finance_user)
    page = zh.get(url).content.decode()
    assert WORKER_LOST_ZH in page and WORKER_LOST_EN not in page
    en = Client(HTTP_ACCEPT_LANGUAGE="en")
    en.force_login(finance_user)
    page = en.get(url).content.decode()
    assert WORKER_LOST_EN in page and WORKER_LOST_ZH not in page
    dashboard = en.get("/").content.decode()
    assert WORKER_LOST_EN in dashboard


@pytest.mark.django_db
def test_run_api_error_follows_the_request_language(api_client):
    run = _failed_run()
    url = f"/api/v1/runs/{run.pk}/"
    body = api_client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert (body["error_code"], body["error"]) == ("worker_lost", WORKER_LOST_EN)
    body = api_client.get(url).json()
    assert (body["error_code"], body["error"]) == ("worker_lost", WORKER_LOST_ZH)


@pytest.mark.django_db
def test_queue_and_detail_pages_show_reasons_in_english(finance_user):
    rate = DiscrepancyFactory(reason=RATE_ZH, amount_at_stake=Decimal("4.50"))
    typed = DiscrepancyFactory(run=rate.run, reason="客户说包裹是空的", amount_at_stake=Decimal("1.00"))
    en = Client(HTTP_ACCEPT_LANGUAGE="en")
    en.force_login(finance_user)
    queue = en.get("/discrepancies/").content.decode()
    assert RATE_EN in queue and RATE_ZH not in queue
    assert "客户说包裹是空的" in queue
    detail = en.get(reverse("discrepancy-detail", args=[rate.pk])).content.decode()
    assert f'<p class="reason-box">{RATE_EN}</p>' in detail
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh.force_login(finance_user)
    assert f'<p class="reason-box">{RATE_ZH}</p>' in zh.get(reverse("discrepancy-detail", args=[rate.pk])).content.decode()
    assert typed.reason == "客户说包裹是空的"


@pytest.mark.django_db
def test_a_run_that_lost_the_database_reads_in_english(monkeypatch):
    from django.db import OperationalError

    from recon.runs import services as run_services

    class Lost:
        def hook(self, name):
            def execute(*, run):
                raise OperationalError("server closed the connection")
            return execute

    run = ReconRunFactory(status="pending", phase="queued")
    monkeypatch.setattr(run_services, "kind_spec", lambda kind: Lost())
    with pytest.raises(OperationalError):
        run_services.run_execute(run_id=run.id)
    run.refresh_from_db()
    assert (run.status, run.error_code) == ("failed", "database_unavailable")
    assert run.error == "运行期间无法连接数据库，本次运行的结果均未保存。请重新运行。（OperationalError）"
    with translation.override("en"):
        assert stored_text(run.error) == ("The database could not be reached while this run worked; nothing of it was "
                                          "saved. Run it again. (OperationalError)")
