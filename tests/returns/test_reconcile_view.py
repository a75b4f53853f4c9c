"""Starting a returns run from the overview: who may, what run it makes, and the errors the clerk reads on the page."""
import html
import re
from datetime import date

import pytest
from django.urls import reverse

from recon.core.models import ReconPeriod, ReconRun

pytestmark = pytest.mark.django_db

URL = "/returns/reconcile/"
OCTOBER = {"run-start": "2026-10-01", "run-end": "2026-10-31", "run-as_of": "2026-11-05", "run-grace_days": "3"}


def runs():
    return list(ReconRun.objects.values_list("kind", "period_start", "period_end", "params", "created_by__username", "status"))


def errors(response) -> list[str]:
    """The messages of the page's reconcile form, as the clerk reads them."""
    text = response.content.decode()
    form = text[text.index('data-testid="reconcile"'):]
    form = form[:form.index("</form>")]

    return [html.unescape(m) for m in re.findall(r'<(?:p|small class="error")>([^<]*)</(?:p|small)>', form)]


def test_the_url_is_named():
    assert reverse("returns-reconcile") == URL


def test_an_auditor_may_not_start_a_run(client, auditor_user, no_enqueue):
    client.force_login(auditor_user)
    assert client.post(URL, OCTOBER).status_code == 403
    assert runs() == [] and no_enqueue == []
    # Nor is the form offered to them.
    page = client.get("/returns/")
    assert page.status_code == 200 and b'data-testid="reconcile"' not in page.content


def test_a_get_is_refused(client, finance_user, no_enqueue):
    client.force_login(finance_user)
    assert client.get(URL).status_code == 405
    assert runs() == []


def test_finance_starts_the_run_and_lands_on_its_page(client, finance_user, no_enqueue):
    client.force_login(finance_user)
    response = client.post(URL, OCTOBER)
    [run] = ReconRun.objects.all()
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    assert runs() == [("returns", date(2026, 10, 1), date(2026, 10, 31), {"as_of": "2026-11-05", "grace_days": 3}, "alice", "pending")]
    assert no_enqueue == [run.pk]  # handed to a worker
    page = client.get(response["Location"])
    assert f"退货对账已开始，运行 #{run.pk}。" in page.content.decode()


def test_blank_grace_days_take_the_managers_setting(client, finance_user, no_enqueue):
    from recon.runs.services import setting_change

    setting_change(key="returns_grace_days", value=10, user=None)
    client.force_login(finance_user)
    response = client.post(URL, {**OCTOBER, "run-grace_days": ""})
    assert response.status_code == 302
    assert [r[3] for r in runs()] == [{"as_of": "2026-11-05", "grace_days": 10}]


def test_the_overview_offers_the_range_on_screen(client, finance_user):
    client.force_login(finance_user)
    text = client.get("/returns/", {"start": "2026-09-01", "end": "2026-09-30", "as_of": "2026-10-10", "grace_days": "5"}).content.decode()
    form = text[text.index('data-testid="reconcile"'):]
    form = form[:form.index("</form>")]
    for name, value in (("run-start", "2026-09-01"), ("run-end", "2026-09-30"), ("run-as_of", "2026-10-10"), ("run-grace_days", "5")):
        assert f'name="{name}" value="{value}"' in form
    assert ">对账</button>" in form
    # The filter bar above it too shows its dates in the ISO form a date input needs.
    assert 'name="start" value="2026-09-01"' in text


def test_bad_dates_are_refused_on_the_page_in_chinese(client, finance_user, no_enqueue):
    client.force_login(finance_user)
    response = client.post(URL, {**OCTOBER, "run-start": "2026-11-01"})
    assert response.status_code == 400
    assert errors(response) == ["日期范围的结束早于开始。"]
    response = client.post(URL, {**OCTOBER, "run-as_of": "2026-13-01", "run-grace_days": "-1"})
    assert response.status_code == 400
    assert errors(response) == ["输入一个有效的日期。", "确保该值大于或等于0。"]
    assert runs() == [] and no_enqueue == []


def test_bad_dates_in_english(client, finance_user, no_enqueue):
    client.force_login(finance_user)
    response = client.post(URL, {**OCTOBER, "run-start": "2026-11-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert errors(response) == ["The end of the range is before its start."]


def test_a_closed_period_is_refused_before_any_run(client, finance_user, zto, no_enqueue):
    ReconPeriod.objects.create(counterparty=zto.counterparty, start=date(2026, 10, 1), end=date(2026, 10, 31), status="closed")
    client.force_login(finance_user)
    response = client.post(URL, OCTOBER)
    assert response.status_code == 400
    assert errors(response) == ["中通 的账期 2026-10 已关闭：其中的账单和差异不能修改。主管可重新打开该账期。"]
    assert runs() == [] and no_enqueue == []
    # Another range is not held by that period.
    assert client.post(URL, {**OCTOBER, "run-start": "2026-10-02"}).status_code == 302
