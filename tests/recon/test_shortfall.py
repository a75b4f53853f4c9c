"""A partial credit keeps its shortfall, a clerk decides it, and the money panel adds up at every step."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from couriers.models import Courier
from recon.disputes.replies import dispute_answer_record
from recon.disputes.services import dispute_create
from recon.core.errors import UserFacingError
from recon.core.models import AuditEvent, Discrepancy, DisputeItem
from recon.periods.services import period_get_or_create
from recon.review.bulk import bulk_action_submit
from recon.review.services import (
    discrepancy_resolve,
    discrepancy_set_status,
    discrepancy_shortfall_accept,
    discrepancy_shortfall_reopen,
    discrepancy_shortfall_write_off,
)
from recon.review.selectors import queue_totals
from tests.web.conftest import make_bill, make_discrepancy, make_run

pytestmark = pytest.mark.django_db

PARTS = ("open", "disputed", "recovered", "accepted", "written_off", "shortfall")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def book(zto, finance_user):
    """ZTO October: six claims and an informational row; ZTO November: one open claim; YTO October: one open claim."""
    bill = make_bill(zto, finance_user)
    run = make_run(zto, finance_user, bill)
    rows = {
        w: make_discrepancy(run, w, t, stake, billed, expected, line_no=i + 1)
        for i, (w, t, stake, billed, expected) in enumerate([
            ("ZT10000001", "weight_overcharge", "3.49", "8.49", "5.00"),  # credited ¥2.00 of ¥3.49
            ("ZT10000002", "duplicate_charge", "5.20", "5.20", None),     # credited in full
            ("ZT10000003", "rate_overcharge", "1.10", "4.60", "3.50"),     # refused
            ("ZT10000004", "weight_overcharge", "4.00", "9.00", "5.00"),  # credited ¥3.00 of ¥4.00
            ("ZT10000005", "zone_mismatch", "2.50", "7.50", "5.00"),      # credited ¥1.00 of ¥2.50
            ("ZT10000006", "rate_overcharge", "2.75", "6.75", "4.00"),     # never disputed
            ("ZT10000007", "rate_undercharge", "0.50", "3.00", "3.50"),    # informational
        ])
    }
    nov = period_get_or_create(counterparty=zto.counterparty, start=date(2026, 11, 1), end=date(2026, 11, 30))
    nov_bill = make_bill(zto, finance_user, sha="b" * 64)
    nov_bill.period = nov
    nov_bill.save()
    nov_run = make_run(zto, finance_user, nov_bill, period_start=nov.start, period_end=nov.end)
    make_discrepancy(nov_run, "ZT20000001", "zone_mismatch", "7.25", "12.25", "5.00")
    yto = Courier.objects.get(code="YTO")
    yto_bill = make_bill(yto, finance_user, sha="c" * 64)
    make_discrepancy(make_run(yto, finance_user, yto_bill), "YT30000001", "duplicate_charge", "6.00", "6.00", None)
    return rows


def fresh(d: Discrepancy) -> Discrepancy:
    return Discrepancy.objects.get(pk=d.pk)


def panel() -> dict:
    """The money panel of the whole queue, as {(period start, courier): parts} plus "total", in yuan strings."""
    totals = queue_totals(Discrepancy.objects.filter(is_current=True))
    keys = ("at_stake", *PARTS)
    out = {(str(g["period__start"]), g["counterparty__code"]): {k: f"{g[k]:.2f}" for k in keys} for g in totals["groups"]}
    out["total"] = {k: f"{totals['total'][k]:.2f}" for k in keys}
    # The identity, on every row of the panel: the parts add up to the money at stake, to the fen.
    for row in (*totals["groups"], totals["total"]):
        assert sum((row[k] for k in PARTS), Decimal("0.00")) == row["at_stake"], row
    return out


def money(at_stake, open_="0.00", disputed="0.00", recovered="0.00", accepted="0.00", written_off="0.00", shortfall="0.00"):
    return {"at_stake": at_stake, "open": open_, "disputed": disputed, "recovered": recovered, "accepted": accepted,
            "written_off": written_off, "shortfall": shortfall}


NOV = money("7.25", open_="7.25")
YTO = money("6.00", open_="6.00")


def trail(d: Discrepancy) -> list[tuple]:
    return [(e.action, e.changes, e.note) for e in AuditEvent.objects.filter(object_type="discrepancy", object_id=d.pk).order_by("at", "id")]


def send(rows, user):
    return dispute_create(discrepancies=Discrepancy.objects.filter(pk__in=[d.pk for d in rows]), user=user)


def answer(dispute, credits: dict, user, refused_to="queue"):
    answers = [{"discrepancy_id": d.pk, "credited": Decimal(c), "note": note, "row": i + 1}
               for i, (d, (c, note)) in enumerate(credits.items())]
    return dispute_answer_record(dispute=dispute, answers=answers, refused_to=refused_to, user=user)


def test_a_partial_credit_keeps_its_shortfall_and_the_panel_adds_up(book, ops_user):
    a, b, c = book["ZT10000001"], book["ZT10000002"], book["ZT10000003"]
    dispute = send([a, b, c], ops_user)
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="9.25", disputed="9.79")

    result = answer(dispute, {a: ("2.00", "称重复核，部分认可"), b: ("5.20", ""), c: ("0", "价格无误")}, ops_user)

    assert (result["credited"], result["partial"], result["refused"], result["recovered"], result["shortfall"]) == (1, 1, 1, "7.20", "1.49")
    a = fresh(a)
    assert (a.status, a.outcome, a.recovered_amount, a.shortfall_amount, a.shortfall_outcome) == (
        "resolved", "recovered", Decimal("2.00"), Decimal("1.49"), "")
    assert (fresh(b).recovered_amount, fresh(b).shortfall_amount) == (Decimal("5.20"), None)
    assert (fresh(c).status, fresh(c).recovered_amount, fresh(c).shortfall_amount) == ("open", None, None)
    assert DisputeItem.objects.get(discrepancy=a).answer == "partial"
    assert panel() == {
        ("2026-11-01", "ZTO"): NOV,
        ("2026-10-01", "ZTO"): money("19.04", open_="10.35", recovered="7.20", shortfall="1.49"),
        ("2026-10-01", "YTO"): YTO,
        "total": money("32.29", open_="23.60", recovered="7.20", shortfall="1.49"),
    }


def test_each_decision_on_a_shortfall_moves_its_money_and_is_audited(book, ops_user):
    a, d, e = book["ZT10000001"], book["ZT10000004"], book["ZT10000005"]
    dispute = send([a, d, e], ops_user)
    answer(dispute, {a: ("2.00", ""), d: ("3.00", ""), e: ("1.00", "")}, ops_user)
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="9.05", recovered="6.00", shortfall="3.99")

    discrepancy_shortfall_accept(discrepancy=a, reason="复核重量：快递公司称重无误", user=ops_user)
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="9.05", recovered="6.00", accepted="1.49", shortfall="2.50")

    discrepancy_shortfall_write_off(discrepancy=d, reason="金额太小，不再追讨", user=ops_user)
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="9.05", recovered="6.00", accepted="1.49", written_off="1.00", shortfall="1.50")

    discrepancy_shortfall_reopen(discrepancy=e, reason="再次申诉", user=ops_user)
    e = fresh(e)
    # Back in the queue for the rest only: the ¥1.00 credited stays recovered.
    assert (e.status, e.outcome, e.recovered_amount, e.shortfall_amount, e.shortfall_outcome) == (
        "open", "", Decimal("1.00"), Decimal("1.50"), "reopened")
    assert panel() == {
        ("2026-11-01", "ZTO"): NOV,
        ("2026-10-01", "ZTO"): money("19.04", open_="10.55", recovered="6.00", accepted="1.49", written_off="1.00"),
        ("2026-10-01", "YTO"): YTO,
        "total": money("32.29", open_="23.80", recovered="6.00", accepted="1.49", written_off="1.00"),
    }

    assert trail(a) == [
        ("dispute", {"status": ["open", "disputed"], "dispute_id": [None, dispute.pk]}, dispute.number),
        ("resolve", {"status": ["disputed", "resolved"], "outcome": ["", "recovered"], "recovered_amount": [None, "2.00"],
                     "shortfall_amount": [None, "1.49"], "dispute_answer": [None, "partial"]}, dispute.number),
        ("shortfall", {"shortfall_outcome": ["", "accepted"], "shortfall_reason": ["", "复核重量：快递公司称重无误"]}, "复核重量：快递公司称重无误"),
    ]
    assert trail(d)[-1] == ("shortfall", {"shortfall_outcome": ["", "written_off"], "shortfall_reason": ["", "金额太小，不再追讨"]}, "金额太小，不再追讨")
    assert trail(e)[-1] == ("shortfall", {"status": ["resolved", "open"], "outcome": ["recovered", ""], "shortfall_outcome": ["", "reopened"],
                                          "shortfall_reason": ["", "再次申诉"]}, "再次申诉")


def test_a_reopened_shortfall_is_claimed_again_for_the_rest_only(book, ops_user):
    e = book["ZT10000005"]
    answer(send([e], ops_user), {e: ("1.00", "")}, ops_user)
    discrepancy_shortfall_reopen(discrepancy=e, user=ops_user)

    again = send([e], ops_user)
    assert (again.amount_claimed, DisputeItem.objects.get(dispute=again).amount_claimed) == (Decimal("1.50"), Decimal("1.50"))
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="16.54", disputed="1.50", recovered="1.00")

    answer(again, {e: ("1.20", "")}, ops_user)
    e = fresh(e)
    assert (e.status, e.recovered_amount, e.shortfall_amount, e.shortfall_outcome) == ("resolved", Decimal("2.20"), Decimal("0.30"), "")
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="16.54", recovered="2.20", shortfall="0.30")


def test_a_refusal_of_a_reopened_rest_keeps_the_earlier_credit(book, ops_user):
    e = book["ZT10000005"]
    answer(send([e], ops_user), {e: ("1.00", "")}, ops_user)
    discrepancy_shortfall_reopen(discrepancy=e, user=ops_user)
    answer(send([e], ops_user), {e: ("0", "不予退款")}, ops_user, refused_to="accepted")
    e = fresh(e)
    assert (e.status, e.outcome, e.recovered_amount, e.shortfall_outcome, e.shortfall_reason) == (
        "resolved", "accepted", Decimal("1.00"), "accepted", "快递公司拒绝：不予退款")
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="16.54", recovered="1.00", accepted="1.50")


def test_a_partial_recovery_entered_by_hand_has_a_shortfall_too(book, ops_user):
    a = book["ZT10000001"]
    discrepancy_resolve(discrepancy=a, outcome="recovered", amount="3.00", user=ops_user)
    assert (fresh(a).recovered_amount, fresh(a).shortfall_amount) == (Decimal("3.00"), Decimal("0.49"))
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="15.55", recovered="3.00", shortfall="0.49")
    # Leaving `resolved` is a reopen of the whole claim: the shortfall goes with the outcome.
    discrepancy_set_status(discrepancy=a, status="open", reason="录入错误", user=ops_user)
    a = fresh(a)
    assert (a.recovered_amount, a.shortfall_amount, a.shortfall_outcome) == (None, None, "")
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="19.04")


def test_a_recovery_is_at_most_what_is_still_claimed(book, ops_user):
    a = book["ZT10000001"]
    with pytest.raises(UserFacingError) as err, translation.override("en"):
        discrepancy_resolve(discrepancy=a, outcome="recovered", amount="3.50", user=ops_user)
    assert (err.value.code, err.value.message) == ("amount_too_large", "The credited amount ¥3.50 is more than the ¥3.49 in question.")
    e = book["ZT10000005"]
    answer(send([e], ops_user), {e: ("1.00", "")}, ops_user)
    discrepancy_shortfall_reopen(discrepancy=e, user=ops_user)
    with pytest.raises(UserFacingError) as err, translation.override("en"):
        discrepancy_resolve(discrepancy=e, outcome="recovered", amount="1.51", user=ops_user)
    assert err.value.message == "The credited amount ¥1.51 is more than the ¥1.50 in question."
    discrepancy_resolve(discrepancy=e, outcome="recovered", amount="1.50", user=ops_user)
    assert (fresh(e).recovered_amount, fresh(e).shortfall_amount) == (Decimal("2.50"), None)


def test_bulk_recovery_of_a_reopened_rest_recovers_it_in_full(book, ops_user):
    e = book["ZT10000005"]
    answer(send([e], ops_user), {e: ("1.00", "")}, ops_user)
    discrepancy_shortfall_reopen(discrepancy=e, user=ops_user)
    discrepancy_set_status(discrepancy=e, status="investigating", user=ops_user)
    assert fresh(e).recovered_amount == Decimal("1.00")
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="18.04", recovered="1.00")
    job = bulk_action_submit(action="status", params={"status": "resolved", "outcome": "recovered"}, ids=[e.pk], user=ops_user)
    assert job.result == {"changed": 1, "skipped": {}}
    e = fresh(e)
    assert (e.recovered_amount, e.shortfall_amount, e.shortfall_outcome) == (Decimal("2.50"), None, "")
    assert panel()[("2026-10-01", "ZTO")] == money("19.04", open_="16.54", recovered="2.50")
    assert trail(e)[-1][1] == {"status": ["investigating", "resolved"], "outcome": ["", "recovered"], "recovered_amount": ["1.00", "2.50"],
                               "shortfall_amount": ["1.50", None], "shortfall_outcome": ["reopened", ""]}


@pytest.mark.parametrize(("decide", "kwargs", "code"), [
    (discrepancy_shortfall_accept, {"reason": " "}, "reason_required"),
    (discrepancy_shortfall_write_off, {"reason": ""}, "reason_required"),
])
def test_accepting_or_writing_off_a_shortfall_needs_a_reason(book, ops_user, decide, kwargs, code):
    a = book["ZT10000001"]
    answer(send([a], ops_user), {a: ("2.00", "")}, ops_user)
    with pytest.raises(UserFacingError) as err, translation.override("en"):
        decide(discrepancy=a, user=ops_user, **kwargs)
    assert (err.value.code, err.value.message) == (code, "Say why: a reason is required to accept or write off a shortfall.")
    assert fresh(a).shortfall_outcome == ""


def test_only_an_undecided_shortfall_can_be_decided(book, ops_user):
    a, b = book["ZT10000001"], book["ZT10000002"]
    answer(send([a, b], ops_user), {a: ("2.00", ""), b: ("5.20", "")}, ops_user)
    with pytest.raises(UserFacingError) as err, translation.override("en"):
        discrepancy_shortfall_reopen(discrepancy=b, user=ops_user)
    assert (err.value.code, err.value.message, err.value.http_status) == ("no_shortfall", "Only a partial recovery leaves a shortfall to decide.", 409)
    discrepancy_shortfall_accept(discrepancy=a, reason="ok", user=ops_user)
    with pytest.raises(UserFacingError) as err, translation.override("en"):
        discrepancy_shortfall_write_off(discrepancy=a, reason="no", user=ops_user)
    assert (err.value.code, err.value.message) == (
        "shortfall_decided", "The shortfall is already decided (Accepted (charge was right)); reopen the discrepancy to change it.")


def test_someone_elses_shortfall_is_not_yours_to_decide(book, ops_user, ops_user_2):
    a = book["ZT10000001"]
    answer(send([a], ops_user), {a: ("2.00", "")}, ops_user)
    Discrepancy.objects.filter(pk=a.pk).update(assignee=ops_user_2)
    with pytest.raises(UserFacingError) as err:
        discrepancy_shortfall_accept(discrepancy=a, reason="ok", user=ops_user)
    assert (err.value.code, err.value.http_status) == ("forbidden", 403)
    assert fresh(a).shortfall_outcome == ""


def test_the_api_decides_a_shortfall_and_the_totals_show_it(book, ops_user):
    a, d = book["ZT10000001"], book["ZT10000004"]
    answer(send([a, d], ops_user), {a: ("2.00", ""), d: ("3.00", "")}, ops_user)
    api = APIClient()
    api.force_authenticate(ops_user)
    october = {"period": a.period_id, "courier": "ZTO"}
    totals = api.get("/api/v1/discrepancies/totals/", october).json()["total"]
    assert {k: totals[k] for k in ("at_stake", *PARTS, "investigating")} == {
        "at_stake": "19.04", "open": "11.55", "disputed": "0.00", "recovered": "5.00", "accepted": "0.00",
        "written_off": "0.00", "shortfall": "2.49", "investigating": "0.00"}

    r = api.post(f"/api/v1/discrepancies/{a.pk}/shortfall/", {"decision": "written_off", "reason": "不值得追讨"}, format="json")
    assert r.status_code == 200
    assert {k: r.json()[k] for k in ("status", "recovered_amount", "shortfall_amount", "shortfall_outcome", "shortfall_reason")} == {
        "status": "resolved", "recovered_amount": "2.00", "shortfall_amount": "1.49", "shortfall_outcome": "written_off",
        "shortfall_reason": "不值得追讨"}
    r = api.post(f"/api/v1/discrepancies/{d.pk}/shortfall/", {"decision": "accepted"}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (400, "reason_required")
    r = api.post(f"/api/v1/discrepancies/{d.pk}/shortfall/", {"decision": "lost"}, format="json")
    assert r.status_code == 400
    totals = api.get("/api/v1/discrepancies/totals/", october).json()["total"]
    assert (totals["written_off"], totals["shortfall"]) == ("1.49", "1.00")


def test_the_pages_show_the_shortfall_and_decide_it(book, ops_user, client):
    a = book["ZT10000001"]
    answer(send([a], ops_user), {a: ("2.00", "")}, ops_user)
    client.force_login(ops_user)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    totals = client.get(reverse("discrepancy-totals"), {"courier": "ZTO"}, **zh).content.decode()
    assert "差额未追回" in totals
    assert 'data-testid="total-shortfall">1.49<' in totals
    page = client.get(reverse("discrepancy-detail", args=[a.pk]), **zh).content.decode()
    assert 'data-testid="shortfall-form"' in page
    r = client.post(reverse("discrepancy-shortfall", args=[a.pk]), {"decision": "accepted", "reason": "认可"}, **zh)
    assert r.status_code == 302
    assert (fresh(a).shortfall_outcome, fresh(a).shortfall_reason) == ("accepted", "认可")
    page = client.get(reverse("discrepancy-detail", args=[a.pk]), **zh).content.decode()
    assert 'data-testid="shortfall-form"' not in page
    assert "1.49</span> · 已认可（收费无误） · 认可" in page
    r = client.post(reverse("discrepancy-shortfall", args=[a.pk]), {"decision": "written_off", "reason": "x"}, **zh)
    assert r.status_code == 409


def test_an_undecided_shortfall_keeps_its_period_open(book, ops_user, manager_user):
    from recon.periods.services import period_close

    october = book["ZT10000001"].period
    discrepancy_resolve(discrepancy=book["ZT10000001"], outcome="recovered", amount="3.00", user=ops_user)
    for waybill in ("ZT10000002", "ZT10000003", "ZT10000004", "ZT10000005", "ZT10000006"):
        discrepancy_resolve(discrepancy=book[waybill], outcome="accepted", reason="核对无误", user=ops_user)
    with translation.override("en"), pytest.raises(UserFacingError) as refused:
        period_close(period=october, user=manager_user)
    assert (refused.value.code, refused.value.http_status) == ("period_has_undecided_shortfalls", 409)
    assert refused.value.details == {"undecided": 1, "amount": "0.49"}
    assert refused.value.message == (
        "1 partial credits in this period leave ¥0.49 with no decision yet (accept, write off or reopen it) before closing."
    )
    discrepancy_shortfall_accept(discrepancy=fresh(book["ZT10000001"]), reason="快递公司只认 3 元", user=ops_user)
    assert period_close(period=october, user=manager_user).status == "closed"
