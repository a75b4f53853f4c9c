"""POST /api/v1/runs/: any kind with a reconcile hook starts for a range of days, read as `manage.py reconcile` reads it."""
from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from recon.core.models import ReconRun

pytestmark = pytest.mark.django_db

URL = "/api/v1/runs/"


@pytest.fixture
def finance_api(finance_user):
    client = APIClient()
    client.force_login(finance_user)
    return client


def error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def test_a_returns_run_is_created_with_its_as_of_and_grace_days_and_queued(finance_api, finance_user, no_enqueue):
    response = finance_api.post(URL, {"kind": "returns", "from": "2026-10-01", "to": "2026-10-31", "as_of": "2026-11-05 09:30",
                                      "grace_days": 3}, format="json")
    assert response.status_code == 202
    run = ReconRun.objects.get()
    assert (run.kind, run.period_start.isoformat(), run.period_end.isoformat(), run.counterparty, run.created_by) == (
        "returns", "2026-10-01", "2026-10-31", None, finance_user)
    # Returns judge a day: the as-of moment's local day.
    assert run.params == {"as_of": "2026-11-05", "grace_days": 3}
    assert no_enqueue == [run.id]
    [body] = response.json()
    assert (body["id"], body["kind"], body["status"], body["period_start"], body["period_end"], body["courier"]) == (
        run.id, "returns", "pending", "2026-10-01", "2026-10-31", None)
    assert body["url"] == f"http://testserver/api/v1/runs/{run.id}/"


def test_a_grace_period_given_as_text_is_read_by_the_kinds_type(finance_api, no_enqueue):
    response = finance_api.post(URL, {"kind": "returns", "from": "2026-10-01", "to": "2026-10-31", "as_of": "2026-10-31",
                                      "grace_days": "0"}, format="json")
    assert response.status_code == 202
    assert ReconRun.objects.get().params == {"as_of": "2026-10-31", "grace_days": 0}


def test_a_settlement_run_for_one_platform_keeps_the_minute_of_its_as_of(finance_api, no_enqueue):
    response = finance_api.post(URL, {"kind": "settlement", "from": "2026-10-01", "to": "2026-10-31", "counterparty": "TMALL",
                                      "as_of": "2026-11-05 09:30"}, format="json")
    assert response.status_code == 202
    run = ReconRun.objects.get()
    assert (run.kind, run.counterparty.code, run.params) == ("settlement", "TMALL", {"as_of": "2026-11-05 09:30", "platform": "TMALL"})
    assert [(r["id"], r["kind"], r["courier"]) for r in response.json()] == [(run.id, "settlement", "TMALL")]
    assert no_enqueue == [run.id]


def test_a_bare_as_of_day_means_the_end_of_that_day(finance_api, no_enqueue):
    finance_api.post(URL, {"kind": "settlement", "from": "2026-10-01", "to": "2026-10-31", "as_of": "2026-10-31"}, format="json")
    assert ReconRun.objects.get().params == {"as_of": "2026-10-31", "platform": ""}


@pytest.mark.parametrize(("body", "expected"), [
    ({"kind": "parcels", "from": "2026-10-01", "to": "2026-10-31"},
     ("unknown_kind", "未知的对账类型“parcels”；已知类型：courier_fee, returns, settlement, bank, outbound, toy。")),
    ({"kind": "toy", "from": "2026-10-01", "to": "2026-10-31"},
     ("kind_not_startable", "对账类型“toy”不能按日期范围对账。")),
    ({"kind": "returns", "from": "2026-10-32", "to": "2026-10-31"},
     ("invalid_date", "from “2026-10-32” 不是日期：请用 YYYY-MM-DD。")),
    ({"kind": "returns", "from": "2026-10-01"}, ("date_missing", "缺少 to：请用 YYYY-MM-DD。")),
    ({"kind": "returns", "from": "2026-10-31", "to": "2026-10-01"}, ("range_reversed", "to 早于 from。")),
    ({"kind": "returns", "from": "2026-10-01", "to": "2026-10-31", "as_of": "31/10/2026"},
     ("invalid_as_of", "as_of “31/10/2026” 无效：请用“YYYY-MM-DD”或“YYYY-MM-DD HH:MM”。")),
    ({"kind": "returns", "from": "2026-10-01", "to": "2026-10-31", "grace_days": -1},
     ("invalid_option", "grace_days “-1” 无效。")),
    ({"kind": "settlement", "from": "2026-10-01", "to": "2026-10-31", "grace_days": 3},
     ("option_not_taken", "对账类型“settlement”不接受 grace_days 选项。")),
    ({"kind": "settlement", "from": "2026-10-01", "to": "2026-10-31", "counterparty": "NOPE"},
     ("unknown_counterparty", "未知的对方“NOPE”。")),
    # The kind's own refusal, in the same shape.
    ({"kind": "returns", "from": "2026-10-01", "to": "2026-10-31", "counterparty": "ZTO"},
     ("no_counterparty", "退货对账一次核对所有快递公司，请去掉 --counterparty。")),
])
def test_mistakes_answer_400_with_the_exact_message_and_start_nothing(finance_api, zto, no_enqueue, body, expected):
    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.SPEC"}):
        response = finance_api.post(URL, body, format="json")
    assert error(response) == (400, *expected)
    assert response.json()["error"]["details"] == {}
    assert ReconRun.objects.count() == 0
    assert no_enqueue == []


def test_messages_follow_the_callers_language(finance_api, no_enqueue):
    response = finance_api.post(URL, {"kind": "returns", "from": "2026-10-31", "to": "2026-10-01"}, format="json",
                                HTTP_ACCEPT_LANGUAGE="en")
    assert error(response) == (400, "range_reversed", "to is before from.")


def test_a_body_that_is_not_an_object_is_refused(finance_api):
    response = finance_api.post(URL, ["returns"], format="json")
    assert error(response) == (400, "invalid_body", "请求体须为 JSON 对象：kind、from、to，可选 as_of、counterparty 及该对账类型的选项。")


@pytest.mark.parametrize("role", ["ops", "auditor", "integration"])
def test_roles_without_start_run_are_refused(role, no_enqueue):
    from tests.factories import UserFactory

    client = APIClient()
    client.force_login(UserFactory(username=f"start-{role}", role=role))
    response = client.post(URL, {"kind": "returns", "from": "2026-10-01", "to": "2026-10-31"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert ReconRun.objects.count() == 0


def test_a_manager_may_start_runs(manager_user, no_enqueue):
    client = APIClient()
    client.force_login(manager_user)
    response = client.post(URL, {"kind": "returns", "from": "2026-10-01", "to": "2026-10-31"}, format="json")
    assert response.status_code == 202
    assert ReconRun.objects.get().created_by == manager_user


def test_a_nul_byte_in_the_counterparty_is_an_unknown_counterparty(finance_api, no_enqueue):
    response = finance_api.post(URL, {"kind": "settlement", "from": "2026-10-01", "to": "2026-10-31", "counterparty": "T\x00"},
                                format="json")
    assert error(response) == (400, "unknown_counterparty", "未知的对方“T\x00”。")
