"""The manual bank-match page: an account's unmatched credits, a credit's suggested withdrawals ranked by amount then
date, matching one or several by hand, the matches with their unmatch button, the audit trail, the right to do it."""
import re

import pytest
from django.urls import reverse

from payments.models import BankMatch
from recon.core.models import AuditEvent
from tests.payments import factories_bank as f

pytestmark = pytest.mark.django_db

ALIPAY = "支付宝（中国）网络技术有限公司"


def table(html: str, testid: str) -> list[list[str]]:
    """The rows of a table as the clerk reads them: each cell's text, spaces collapsed."""
    body = re.search(rf'data-testid="{testid}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]


@pytest.fixture
def scene(db):
    tmall = f.platform("TMALL", [ALIPAY])
    jd = f.platform("JD", [])
    acc = f.account()
    st = f.statement(acc)
    credit = f.line(st, "B100", "2026-10-10", "1500.00", payer=ALIPAY, remark="转账收入")
    f.line(st, "B101", "2026-10-12", "88.00", payer="某某贸易", remark="货款")
    f.line(st, "B102", "2026-10-13", "-20.00", remark="手续费")
    w = {
        "w1": f.withdrawal(tmall, "TW1000", "2026-10-09", "1000.00"),
        "w2": f.withdrawal(jd, "JW0500", "2026-10-08", "500.00"),
        "w3": f.withdrawal(tmall, "TW1500", "2026-10-01", "1500.00"),
        "w4": f.withdrawal(tmall, "TW1490", "2026-10-09", "1490.00"),
    }
    return acc, credit, w


def test_a_credit_is_matched_by_hand_with_two_withdrawals_and_unmatched_again(client, finance_user, scene):
    acc, credit, w = scene
    client.force_login(finance_user)
    url = reverse("bank-match")
    html = client.get(url).content.decode()
    # Credits only, in no match; the debit is not offered.
    assert table(html, "credits") == [["2026-10-10", "B100", "1500.00", ALIPAY, "转账收入", "查找提现"],
                                      ["2026-10-12", "B101", "88.00", "某某贸易", "货款", "查找提现"]]
    assert table(html, "matches") == [["该账户还没有匹配记录。"]]
    assert 'data-testid="suggestions"' not in html

    html = client.get(f"{url}?account={acc.pk}&line={credit.pk}").content.decode()
    # Ranked by the size of the amount difference (0, 10, 500, 1000), the date only after it: the exact amount nine days
    # before comes first.
    assert table(html, "suggestions") == [
        ["", "TMALL", "TW1500", "2026-10-01", "1500.00", "0.00", "9"],
        ["", "TMALL", "TW1490", "2026-10-09", "1490.00", "-10.00", "1"],
        ["", "TMALL", "TW1000", "2026-10-09", "1000.00", "-500.00", "1"],
        ["", "JD", "JW0500", "2026-10-08", "500.00", "-1000.00", "2"],
    ]

    resp = client.post(url, {"action": "match", "account": acc.pk, "line": credit.pk, "withdrawal": [w["w1"].pk, w["w2"].pk]})
    assert resp.status_code == 302 and resp["Location"] == f"{url}?account={acc.pk}"
    html = client.get(resp["Location"]).content.decode()
    assert table(html, "credits") == [["2026-10-12", "B101", "88.00", "某某贸易", "货款", "查找提现"]]
    match = BankMatch.objects.get()
    assert table(html, "matches") == [["手工匹配", "JD JW0500 TMALL TW1000", "B100", "0.00", "1", "alice", "取消匹配"]]
    assert (match.rule, match.keys) == ("manual", {"settlement_ids": ["TW1000", "JW0500"], "bank_refs": ["B100"]})
    created = AuditEvent.objects.get(object_type="bankmatch", action="create")
    assert (created.actor_name, created.object_id, created.changes["withdrawal_ids"], created.changes["bank_line_ids"]) == (
        "alice", match.pk, [None, sorted([w["w1"].pk, w["w2"].pk])], [None, [credit.pk]])

    resp = client.post(url, {"action": "unmatch", "account": acc.pk, "match": match.pk})
    assert resp.status_code == 302
    html = client.get(resp["Location"]).content.decode()
    assert [r[1] for r in table(html, "credits")] == ["B100", "B101"]
    assert table(html, "matches") == [["该账户还没有匹配记录。"]]
    assert not BankMatch.objects.exists()
    assert list(AuditEvent.objects.filter(object_type="bankmatch", action="delete").values_list("actor_name", "object_id")) == [
        ("alice", match.pk)]


def test_matching_without_a_tick_says_so_and_writes_nothing(client, finance_user, scene):
    acc, credit, _w = scene
    client.force_login(finance_user)
    resp = client.post(reverse("bank-match"), {"action": "match", "account": acc.pk, "line": credit.pk})
    assert resp.status_code == 400
    assert re.findall(r'data-testid="error">([^<]*)<', resp.content.decode()) == ["请至少勾选一笔提现与这笔入账匹配。"]
    assert not BankMatch.objects.exists() and not AuditEvent.objects.filter(object_type="bankmatch").exists()


def test_a_withdrawal_matched_meanwhile_is_refused_with_its_reference(client, finance_user, manager_user, scene):
    from payments.services_bank_match import bank_match_create

    acc, credit, w = scene
    other = f.line(credit.statement, "B103", "2026-10-11", "1000.00", payer=ALIPAY)
    bank_match_create(withdrawal_ids=[w["w1"].pk], bank_line_ids=[other.pk], user=manager_user)
    client.force_login(finance_user)
    resp = client.post(reverse("bank-match"), {"action": "match", "account": acc.pk, "line": credit.pk, "withdrawal": [w["w1"].pk]})
    assert resp.status_code == 400
    assert re.findall(r'data-testid="error">([^<]*)<', resp.content.decode()) == ["已匹配：TW1000。请先取消匹配。"]
    assert BankMatch.objects.count() == 1


def test_only_those_who_may_match_bank_lines_see_the_page_and_its_link(client, finance_user, ops_user, auditor_user, scene):
    for user, status in ((finance_user, 200), (ops_user, 403), (auditor_user, 403)):
        client.force_login(user)
        assert client.get(reverse("bank-match")).status_code == status, user.username
        assert ('data-testid="match-link"' in client.get(reverse("bank-overview")).content.decode()) is (status == 200)
