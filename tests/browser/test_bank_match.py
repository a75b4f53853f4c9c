"""Matching a bank credit by hand in a real browser: the clerk picks the credit, ticks the suggested withdrawal and
sees the match listed, the credit gone from the unmatched ones."""
from __future__ import annotations

import pytest

from tests.payments import factories_bank as f

from .conftest import screenshot
from .test_ops_flow import log_in

# The flush after each test empties the platforms the data migration made; serialized_rollback puts them back.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ALIPAY = "支付宝（中国）网络技术有限公司"


def rows(page, testid: str) -> list[list[str]]:
    return [[" ".join(c.split()) for c in r.locator("td").all_inner_texts()]
            for r in page.locator(f"[data-testid={testid}] tbody tr").all()]


def test_clerk_matches_a_credit_by_hand_and_sees_it_in_the_matches(page, live_server, finance_user):
    tmall = f.platform("TMALL", [ALIPAY])
    st = f.statement(f.account())
    f.line(st, "B200", "2026-10-10", "1490.00", payer=ALIPAY, remark="转账收入")
    f.withdrawal(tmall, "TW1500", "2026-10-09", "1500.00")
    f.withdrawal(tmall, "TW0300", "2026-10-08", "300.00")
    log_in(page, finance_user)

    page.goto("/payments/bank/")
    with page.expect_navigation():
        page.locator("[data-testid=match-link]").click()
    assert rows(page, "credits") == [["2026-10-10", "B200", "1490.00", ALIPAY, "转账收入", "查找提现"]]
    with page.expect_navigation():
        page.locator("[data-testid=choose-B200]").click()
    assert rows(page, "suggestions") == [["", "TMALL", "TW1500", "2026-10-09", "1500.00", "10.00", "1"],
                                         ["", "TMALL", "TW0300", "2026-10-08", "300.00", "-1190.00", "2"]]
    page.locator("[data-testid=tick-TW1500]").check()
    with page.expect_navigation():
        page.locator("[data-testid=match]").click()
    assert rows(page, "credits") == [["该账户的入账均已匹配。"]]
    assert rows(page, "matches") == [["手工匹配", "TMALL TW1500", "B200", "10.00", "1", finance_user.username, "取消匹配"]]
    screenshot(page, "bank-matched-by-hand")
