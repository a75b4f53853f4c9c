"""The bank run through `manage.py reconcile bank`: what it loads, the matches it replaces and keeps, the
discrepancies it saves and whose they are."""
from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from payments.models import BankMatch, BankMatchCredit, BankMatchWithdrawal
from recon.core.models import Discrepancy, Setting
from tests.payments import factories_bank as f

pytestmark = pytest.mark.django_db

ALIPAY, JD_NAME = "支付宝（中国）网络技术有限公司", "北京京东世纪贸易有限公司"


def reconcile(*args):
    out = io.StringIO()
    call_command("reconcile", "bank", *args, "--sync", "--json", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def scene(db):
    tmall = f.platform("TMALL", [ALIPAY])
    jd = f.platform("JD", [JD_NAME])
    acc = f.account()
    st = f.statement(acc, opening="1000.00", closing="9999.00", ref="OCT", closed_on="2026-10-31")
    w = {
        "ref": f.withdrawal(tmall, "TX1001", "2026-10-03", "500.00"),
        "short": f.withdrawal(tmall, "TX1002", "2026-10-04", "300.00"),
        "one": f.withdrawal(jd, "JD2001", "2026-10-05", "1234.56"),
        "g1": f.withdrawal(jd, "JD2002", "2026-10-10", "100.00"),
        "g2": f.withdrawal(jd, "JD2003", "2026-10-11", "250.00"),
        "lost": f.withdrawal(tmall, "TX1003", "2026-10-20", "88.80"),
        "late": f.withdrawal(tmall, "TX1004", "2026-10-30", "66.60"),
        "a1": f.withdrawal(tmall, "TX1005", "2026-10-15", "40.00"),
        "a2": f.withdrawal(tmall, "TX1006", "2026-10-15", "60.00"),
        "a3": f.withdrawal(tmall, "TX1007", "2026-10-15", "30.00"),
        "a4": f.withdrawal(tmall, "TX1008", "2026-10-15", "70.00"),
    }
    c = {
        "ref": f.line(st, "B001", "2026-10-12", "500.00", "某公司", "提现TX1001"),
        "short": f.line(st, "B002", "2026-10-05", "290.00", ALIPAY, "支付宝提现 TX1002"),
        "one": f.line(st, "B003", "2026-10-06", "1234.56", JD_NAME),
        "group": f.line(st, "B004", "2026-10-12", "350.00", JD_NAME),
        "stray": f.line(st, "B005", "2026-10-21", "77.70", ALIPAY),
        "ambiguous": f.line(st, "B006", "2026-10-16", "100.00", ALIPAY),
        "debit": f.line(st, "B007", "2026-10-16", "-77.70", ALIPAY),
        "rent": f.line(st, "B008", "2026-10-17", "5000.00", "房东"),
    }
    return {"tmall": tmall, "jd": jd, "account": acc, "statement": st, "w": w, "c": c}


def found(run_id):
    return list(Discrepancy.objects.filter(run_id=run_id).order_by("type", "ref")
                .values_list("type", "ref", "ref2", "amount_at_stake", "is_claim"))


def test_reconcile_bank_finds_every_type_and_records_the_matches(scene):
    [out] = reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-02")
    assert out["status"] == "succeeded" and out["kind"] == "bank"
    assert {t: v for t, v in out["by_type"].items()} == {
        "withdrawal_not_received": {"count": 1, "amount_at_stake": "88.80"},
        "withdrawal_amount_mismatch": {"count": 1, "amount_at_stake": "10.00"},
        "ambiguous_match": {"count": 1, "amount_at_stake": "0.00"},
        "bank_credit_unmatched": {"count": 1, "amount_at_stake": "77.70"},
        "statement_balance_break": {"count": 1, "amount_at_stake": "1524.44"},
    }
    assert found(out["run_id"]) == [
        ("ambiguous_match", "B006", "", Decimal("0.00"), False),
        ("bank_credit_unmatched", "B005", "", Decimal("77.70"), False),
        # 1000.00 + the eight lines (7474.56) = 8474.56; the statement says 9999.00.
        ("statement_balance_break", "OCT", "", Decimal("1524.44"), False),
        ("withdrawal_amount_mismatch", "TX1002", "B002", Decimal("10.00"), True),
        ("withdrawal_not_received", "TX1003", "", Decimal("88.80"), True),
    ]
    w, c = scene["w"], scene["c"]
    got = sorted((m.rule, sorted(i.settlement_line_id for i in m.withdrawals.all()), sorted(i.bank_line_id for i in m.credits.all()),
                  m.date_diff_days, m.amount_diff) for m in BankMatch.objects.all())
    assert got == sorted([
        ("reference", [w["ref"].id], [c["ref"].id], 9, Decimal("0.00")),
        ("reference", [w["short"].id], [c["short"].id], 1, Decimal("10.00")),
        ("one_to_one", [w["one"].id], [c["one"].id], 1, Decimal("0.00")),
        ("group", [w["g1"].id, w["g2"].id], [c["group"].id], 1, Decimal("0.00")),
    ])
    assert BankMatch.objects.filter(rule="group").get().keys == {"settlement_ids": ["JD2002", "JD2003"], "bank_refs": ["B004"]}


def test_counterparty_is_the_platform_for_withdrawals_and_the_account_for_bank_lines(scene):
    [out] = reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-02")
    rows = dict(Discrepancy.objects.filter(run_id=out["run_id"]).values_list("ref", "counterparty__code"))
    assert rows == {"B006": "6222020200001234567", "B005": "6222020200001234567", "OCT": "6222020200001234567",
                    "TX1002": "TMALL", "TX1003": "TMALL"}


def test_the_window_setting_and_the_as_of_day(scene):
    Setting.objects.create(key="bank_match_window_days", value=1)
    [out] = reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-10-21")
    # TX1003 of 10-20: its one-day window ends 10-21, not before the as-of day: still waiting; JD2002 and JD2003
    # (10-10, 10-11) are past theirs.
    assert out["by_type"]["withdrawal_not_received"] == {"count": 2, "amount_at_stake": "350.00"}
    # B004 (10-12) is two days after JD2003 (10-11) and three after JD2002: with one day it matches neither.
    assert out["by_type"]["bank_credit_unmatched"] == {"count": 2, "amount_at_stake": "427.70"}


def test_a_rerun_keeps_a_manual_match_and_replaces_the_automatic_ones(scene, finance_user):
    from payments.services_bank_match import bank_match_create

    w, c = scene["w"], scene["c"]
    [first] = reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-02")
    auto_ids = set(BankMatch.objects.values_list("id", flat=True))
    # A clerk settles the ambiguous credit by hand: TX1006 + TX1005 → B006.
    manual = bank_match_create(withdrawal_ids=[w["a1"].id, w["a2"].id], bank_line_ids=[c["ambiguous"].id], user=finance_user)
    [second] = reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-02")
    assert BankMatch.objects.filter(id=manual.id, rule="manual").exists()
    assert sorted(BankMatchWithdrawal.objects.filter(match=manual).values_list("settlement_line_id", flat=True)) == sorted([w["a1"].id, w["a2"].id])
    assert not BankMatch.objects.filter(id__in=auto_ids).exists()
    assert BankMatch.objects.exclude(rule="manual").count() == 4
    # With TX1005 and TX1006 taken by hand, TX1007 and TX1008 fit nothing left: they wait (as-of 11-02 > 10-18).
    assert found(second["run_id"]) == [
        ("bank_credit_unmatched", "B005", "", Decimal("77.70"), False),
        ("statement_balance_break", "OCT", "", Decimal("1524.44"), False),
        ("withdrawal_amount_mismatch", "TX1002", "B002", Decimal("10.00"), True),
        ("withdrawal_not_received", "TX1003", "", Decimal("88.80"), True),
        ("withdrawal_not_received", "TX1007", "", Decimal("30.00"), True),
        ("withdrawal_not_received", "TX1008", "", Decimal("70.00"), True),
    ]
    assert not Discrepancy.objects.filter(run_id=first["run_id"], is_current=True).exists()


def test_a_match_made_by_another_periods_run_is_kept_and_its_credit_not_reported(scene):
    tmall, st = scene["tmall"], scene["statement"]
    w = f.withdrawal(tmall, "TX0930", "2026-09-30", "12.34")
    cr = f.line(st, "B0930", "2026-10-02", "12.34", ALIPAY)
    [sept] = reconcile("--from", "2026-09-01", "--to", "2026-09-30", "--as-of", "2026-11-02")
    assert sept["by_type"]["withdrawal_not_received"]["count"] == 0
    match = BankMatchCredit.objects.get(bank_line=cr).match
    assert [i.settlement_line_id for i in match.withdrawals.all()] == [w.id]
    [octo] = reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-02")
    assert BankMatch.objects.filter(id=match.id).exists()
    assert "B0930" not in [r[1] for r in found(octo["run_id"])]


def test_one_account_only(scene):
    other = f.account("6222999900000000001", "一般户")
    st = f.statement(other, ref="X")
    f.line(st, "Z001", "2026-10-07", "42.00", ALIPAY)
    [out] = reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-02", "--counterparty", "6222999900000000001")
    assert [(t, r) for t, r, *_ in found(out["run_id"]) if t in ("bank_credit_unmatched", "statement_balance_break")] == [
        ("bank_credit_unmatched", "Z001")]


def test_a_counterparty_that_is_not_a_bank_account(scene):
    with pytest.raises(CommandError) as err:
        reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--counterparty", "TMALL")
    assert str(err.value) == "not_a_bank_account: “TMALL”不是银行账户。"
    assert not BankMatch.objects.exists()


def test_running_balance_break_from_the_database(scene):
    acc = f.account("6222000000000000002", "三号户")
    st = f.statement(acc, ref="RUN")
    f.line(st, "R1", "2026-10-02", "100.00", balance="1100.00", position=1)
    f.line(st, "R2", "2026-10-03", "50.00", balance="1150.00", position=2)
    f.line(st, "R3", "2026-10-05", "-20.00", balance="1200.00", position=3)
    [out] = reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-02", "--counterparty", "6222000000000000002")
    assert found(out["run_id"]) == [("statement_balance_break", "R3", "RUN", Decimal("70.00"), False)]


# --------------------------------------------------------------------------- matching by hand (service and API)

def test_manual_match_over_the_api_is_audited_and_refuses_items_already_matched(scene, api_client, finance_user):
    from recon.core.models import AuditEvent

    w, c = scene["w"], scene["c"]
    resp = api_client.post("/api/v1/bank-matches/", {"withdrawal_ids": [w["a3"].id, w["a4"].id], "bank_line_ids": [c["ambiguous"].id]},
                           format="json")
    assert resp.status_code == 201
    body = resp.json()
    assert (body["rule"], body["amount_diff"], body["date_diff_days"], body["keys"]) == (
        "manual", "0.00", 1, {"settlement_ids": ["TX1007", "TX1008"], "bank_refs": ["B006"]})
    event = AuditEvent.objects.get(object_type="bankmatch", action="create")
    assert (event.object_id, event.actor_name, event.changes["withdrawal_ids"]) == (body["id"], "alice", [None, sorted([w["a3"].id, w["a4"].id])])

    again = api_client.post("/api/v1/bank-matches/", {"withdrawal_ids": [w["a1"].id], "bank_line_ids": [c["ambiguous"].id]}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_matched"
    assert BankMatch.objects.count() == 1

    gone = api_client.delete(f"/api/v1/bank-matches/{body['id']}/")
    assert gone.status_code == 204
    assert not BankMatch.objects.exists()
    assert AuditEvent.objects.get(object_type="bankmatch", action="delete").changes["bank_line_ids"] == [[c["ambiguous"].id], None]


def test_suggestions_rank_by_amount_then_date(scene, api_client):
    c = scene["c"]
    resp = api_client.get(f"/api/v1/bank-lines/{c['stray'].id}/suggestions/")
    assert resp.status_code == 200
    top = [(r["settlement_id"], r["amount_diff"], r["days_apart"]) for r in resp.json()["results"][:4]]
    # B005: ¥77.70 on 10-21. Closest amount first (TX1008 ¥70); TX1003 (¥88.80) and TX1004 (¥66.60) are both ¥11.10
    # away: the closer date (1 day against 9) goes first.
    assert top == [("TX1008", "-7.70", 6), ("TX1003", "11.10", 1), ("TX1004", "-11.10", -9), ("TX1006", "-17.70", 6)]


def test_only_who_may_match_bank_lines(scene, ops_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(ops_user)
    w, c = scene["w"], scene["c"]
    assert client.post("/api/v1/bank-matches/", {"withdrawal_ids": [w["a1"].id], "bank_line_ids": [c["stray"].id]},
                       format="json").status_code == 403
    assert client.get(f"/api/v1/bank-lines/{c['stray'].id}/suggestions/").status_code == 403


def test_a_bank_discrepancys_page_shows_the_withdrawal_the_line_and_the_match(scene, client, finance_user):
    [out] = reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-02")
    d = Discrepancy.objects.get(run_id=out["run_id"], type="withdrawal_amount_mismatch")
    client.force_login(finance_user)
    resp = client.get(f"/discrepancies/{d.id}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "TMALL TX1002" in html and "6222020200001234567 B002" in html
    assert "支付宝提现 TX1002" in html
    assert "按参考号" in html


def test_a_rerun_of_a_bank_run_keeps_its_dates_window_and_account(scene):
    from payments.runs_bank import bank_run_rerun
    from recon.core.models import ReconRun
    from recon.runs import services as run_services

    [out] = reconcile("--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-02 08:30", "--counterparty", "6222020200001234567")
    first = ReconRun.objects.get(id=out["run_id"])
    again = bank_run_rerun(run=first, enqueue=False)
    assert (again.period_start.isoformat(), again.period_end.isoformat(), again.params, again.counterparty_id) == (
        "2026-10-01", "2026-10-31", first.params, first.counterparty_id)
    assert again.params["as_of"] == "2026-11-02T08:30:00+08:00"
    run_services.run_execute(run_id=again.id)
    again.refresh_from_db()
    assert again.summary["by_type"] == first.summary["by_type"]
    # The account's run reports no withdrawal by itself: TX1003 may have reached another account.
    assert again.summary["by_type"]["withdrawal_not_received"]["count"] == 0
