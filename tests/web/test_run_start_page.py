"""The runs page's "start a run" form: any kind with a reconcile hook, a range, an as-of, the kind's options."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from recon.core.models import ReconRun

pytestmark = pytest.mark.django_db


def options_of(html: str) -> list[tuple[str, str]]:
    select = re.search(r'<select id="start-kind" name="kind" required>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select)


def test_the_form_offers_the_kinds_that_can_start_by_their_labels_and_their_options(clerk_client):
    html = clerk_client.get(reverse("run-list")).content.decode()
    assert "<h2 class=\"flabel\">开始对账</h2>" in html
    assert options_of(html) == [("courier_fee", "快递运费"), ("returns", "退货"), ("settlement", "平台结算对账"), ("bank", "银行流水匹配"),
                                ("outbound", "出库/发货对账")]
    assert '<input id="start-returns__grace_days" type="text" name="returns__grace_days" value="" placeholder="N"' in html
    assert '<label for="start-as-of-time">截至时间</label>' in html


def test_the_form_is_for_those_who_may_start_runs(client, ops_user):
    client.force_login(ops_user)
    html = client.get(reverse("run-list")).content.decode()
    assert 'data-testid="run-start"' not in html
    assert client.post(reverse("run-start"), {"kind": "returns", "from": "2026-10-01", "to": "2026-10-31"}).status_code == 403
    assert ReconRun.objects.count() == 0


def test_starting_a_returns_run_goes_to_its_page(clerk_client, finance_user, no_enqueue):
    response = clerk_client.post(reverse("run-start"), {
        "kind": "returns", "from": "2026-10-01", "to": "2026-10-31", "as_of": "2026-11-05", "as_of_time": "09:30",
        "counterparty": "", "returns__grace_days": "3",
    })
    run = ReconRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("run-detail", args=[run.pk])
    assert (run.kind, run.period_start.isoformat(), run.period_end.isoformat(), run.created_by) == (
        "returns", "2026-10-01", "2026-10-31", finance_user)
    assert run.params == {"as_of": "2026-11-05", "grace_days": 3}
    assert no_enqueue == [run.id]
    page = clerk_client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == [f"对账已开始，运行 #{run.pk}。"]


def test_a_settlement_run_for_one_platform_at_a_minute(clerk_client, no_enqueue):
    clerk_client.post(reverse("run-start"), {"kind": "settlement", "from": "2026-10-01", "to": "2026-10-31",
                                             "as_of": "2026-10-31", "as_of_time": "15:00", "counterparty": "TMALL",
                                             # Another kind's option left filled in is not this kind's business.
                                             "returns__grace_days": "3"})
    run = ReconRun.objects.get()
    assert (run.counterparty.code, run.params) == ("TMALL", {"as_of": "2026-10-31 15:00", "platform": "TMALL"})


def test_several_runs_go_to_the_list_of_the_kind(clerk_client, monkeypatch, no_enqueue):
    from recon.kinds import kind_spec

    spec = kind_spec("returns")
    one = spec.hook("reconcile")

    def twice(**kwargs):
        return one(**kwargs) + one(**kwargs)

    monkeypatch.setattr("recon.kinds.KindSpec.hook", lambda self, name: twice if name == "reconcile" else None)
    response = clerk_client.post(reverse("run-start"), {"kind": "returns", "from": "2026-10-01", "to": "2026-10-31"})
    first, second = ReconRun.objects.order_by("id")
    assert response.status_code == 302 and response["Location"] == reverse("run-list") + "?kind=returns"
    page = clerk_client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == [f"已开始 2 个对账运行：#{first.pk}, #{second.pk}。"]


@pytest.mark.parametrize(("form", "message"), [
    ({"kind": "returns", "from": "2026-10-31", "to": "2026-10-01"}, "截止日期 早于 起始日期。"),
    ({"kind": "returns", "from": "2026-10-01", "to": ""}, "缺少 截止日期：请用 YYYY-MM-DD。"),
    ({"kind": "returns", "from": "2026-10-01", "to": "2026-10-31", "as_of_time": "09:30"},
     "截至日期 “09:30” 无效：请用“YYYY-MM-DD”或“YYYY-MM-DD HH:MM”。"),
    ({"kind": "returns", "from": "2026-10-01", "to": "2026-10-31", "returns__grace_days": "abc"}, "grace_days “abc” 无效。"),
    ({"kind": "parcels", "from": "2026-10-01", "to": "2026-10-31"},
     "未知的对账类型“parcels”；已知类型：courier_fee, returns, settlement, bank, outbound。"),
    ({"kind": "courier_fee", "from": "2026-10-01", "to": "2026-10-31", "counterparty": "ZTO"},
     "“courier_fee”在 2026-10-01 至 2026-10-31 之间没有可对账的内容。"),
])
def test_a_mistake_is_shown_on_the_form_with_what_was_typed(clerk_client, zto, no_enqueue, form, message):
    response = clerk_client.post(reverse("run-start"), form)
    html = response.content.decode()
    assert response.status_code == 400
    errors = re.search(r'data-testid="run-start-errors"><p>(.*?)</p>', html).group(1)
    assert errors.replace("&ldquo;", "“").replace("&rdquo;", "”") == message
    assert f'name="from" value="{form["from"]}"' in html
    assert ReconRun.objects.count() == 0


def test_the_form_speaks_english_too(clerk_client, no_enqueue):
    clerk_client.post(reverse("set_language"), {"language": "en", "next": reverse("run-list")})
    html = clerk_client.get(reverse("run-list")).content.decode()
    assert '<h2 class="flabel">Start a run</h2>' in html
    response = clerk_client.post(reverse("run-start"), {"kind": "returns", "from": "2026-10-31", "to": "2026-10-01"})
    assert re.search(r'data-testid="run-start-errors"><p>(.*?)</p>', response.content.decode()).group(1) == "Up to is before From."


def test_an_option_named_like_a_field_does_not_replace_it(clerk_client, no_enqueue):
    response = clerk_client.post(reverse("run-start"), {"kind": "returns", "from": "2026-10-01", "to": "2026-10-31",
                                                        "returns__kind": "settlement", "returns__from": "2026-01-01"})
    run = ReconRun.objects.get()
    assert response.status_code == 302
    assert (run.kind, run.period_start.isoformat()) == ("returns", "2026-10-01")
