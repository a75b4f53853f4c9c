"""Links shown only to who may follow them, the product's own 403 page, the API docs behind the login page,
confirmation on every destructive form, and money grouped by thousands in Chinese as in English."""
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

UPLOAD, SHIPMENT_IMPORT, RATECARD_IMPORT = "/bills/upload/", "/shipments/import/", "/rate-cards/import/"
# Every page that offered one of the three links before (the nav is on all of them).
LINK_PAGES = ["/", "/runs/", "/bills/", "/shipments/", "/rate-cards/"]
CONFIRM_JS = '<script src="/static/js/confirm.js" defer></script>'


def page(client, user, url, **headers):
    client.force_login(user)
    return client.get(url, **headers)


# --------------------------------------------------------------------------- links a role may not follow


@pytest.mark.parametrize("role", ["ops_user", "auditor_user"])
@pytest.mark.parametrize("url", LINK_PAGES)
def test_ops_and_auditors_see_no_upload_or_import_link(request, client, role, url):
    html = page(client, request.getfixturevalue(role), url).content.decode()

    for href in (UPLOAD, SHIPMENT_IMPORT, RATECARD_IMPORT):
        assert f'href="{href}' not in html
    for label in ("上传账单", "上传快递账单", "导入发货记录", "导入报价单"):
        assert label not in html


def test_finance_still_sees_each_upload_and_import_link(client, finance_user):
    pages = {url: page(client, finance_user, url).content.decode() for url in LINK_PAGES}

    assert pages["/"].count(f'href="{UPLOAD}"') == 2  # the nav and the dashboard's button
    assert "上传快递账单" in pages["/"]
    assert pages["/bills/"].count(f'href="{UPLOAD}"') == 2
    assert pages["/runs/"].count(f'href="{UPLOAD}"') == 2
    assert f'href="{SHIPMENT_IMPORT}"' in pages["/shipments/"] and "导入发货记录" in pages["/shipments/"]
    assert f'href="{RATECARD_IMPORT}"' in pages["/rate-cards/"] and "导入报价单" in pages["/rate-cards/"]


def test_auditors_bill_and_run_pages_offer_no_reconcile_again(client, auditor_user, reconciled):
    bill, run = reconciled["bill"], reconciled["run"]

    for url in (f"/bills/{bill.pk}/", f"/runs/{run.pk}/"):
        html = page(client, auditor_user, url).content.decode()
        assert html.count("重新对账") == 0, url
        assert f'action="/bills/{bill.pk}/rerun/"' not in html, url


def test_finance_bill_and_run_pages_offer_reconcile_again(client, finance_user, reconciled):
    bill, run = reconciled["bill"], reconciled["run"]

    for url in (f"/bills/{bill.pk}/", f"/runs/{run.pk}/"):
        html = page(client, finance_user, url).content.decode()
        assert html.count("重新对账") == 1, url
        assert html.count(f'action="/bills/{bill.pk}/rerun/"') == 1, url


def test_an_account_without_a_role_gets_no_navigation(client, outsider_user):
    html = page(client, outsider_user, "/runs/").content.decode()

    assert 'class="mainnav"' not in html
    assert 'href="/runs/"' not in html


# --------------------------------------------------------------------------- the refused page


def test_a_refused_page_is_the_products_page_in_chinese(client, outsider_user):
    r = page(client, outsider_user, "/runs/")

    assert r.status_code == 403
    assert r["Content-Type"] == "text/html; charset=utf-8"
    html = r.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "<title>无权访问 · 对账</title>" in html
    assert '<link rel="stylesheet" href="/static/css/app.css">' in html
    assert "<h1>无权访问</h1>" in html
    assert "您的角色无权打开此页面或执行此操作。如有需要，请联系主管调整您的角色。" in html
    assert "Forbidden" not in html


def test_a_refused_page_is_in_english_for_an_english_browser(client, outsider_user):
    r = page(client, outsider_user, "/runs/", HTTP_ACCEPT_LANGUAGE="en")

    assert r.status_code == 403
    html = r.content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Not allowed</h1>" in html
    assert "Your role does not allow you to open this page or do this. If you need it, ask a manager to change your role." in html


def test_a_role_refused_a_page_keeps_its_navigation_and_a_way_back(client, ops_user):
    r = page(client, ops_user, UPLOAD)

    assert r.status_code == 403
    html = r.content.decode()
    assert "<h1>无权访问</h1>" in html
    assert 'class="mainnav"' in html
    assert '<a class="btn primary" href="/">返回概览</a>' in html


# --------------------------------------------------------------------------- the API docs


def test_api_docs_without_a_login_go_to_the_login_page(client):
    r = client.get("/api/docs/")

    assert r.status_code == 302
    assert r["Location"] == f"{reverse('login')}?next=/api/docs/"


def test_api_docs_open_after_logging_in(client, finance_user):
    r = page(client, finance_user, "/api/docs/")

    assert r.status_code == 200
    assert r["Content-Type"] == "text/html; charset=utf-8"


def test_the_schema_and_the_api_still_answer_401_json_without_credentials(client):
    for url in ("/api/schema/", "/api/v1/runs/"):
        r = client.get(url)
        assert r.status_code == 401, url
        assert r.json()["error"]["code"] == "not_authenticated", url


def test_api_docs_with_a_bad_token_answer_401_not_the_login_page(client):
    r = client.get("/api/docs/", HTTP_AUTHORIZATION="Token not-a-real-token")

    assert r.status_code == 401
    assert r.json()["error"]["code"] == "authentication_failed"


# --------------------------------------------------------------------------- confirmation before destroying


def test_bill_delete_asks_for_confirmation(client, manager_user, reconciled):
    bill = reconciled["bill"]
    html = page(client, manager_user, f"/bills/{bill.pk}/").content.decode()

    assert (f'<form method="post" action="/bills/{bill.pk}/delete/" class="inline" '
            'data-confirm="确定删除该账单吗？其差异将移出差异列表；主管可恢复该账单。">') in html
    assert CONFIRM_JS in html


def test_period_close_asks_for_confirmation(client, manager_user, reconciled):
    period = reconciled["bill"].period
    html = page(client, manager_user, f"/periods/{period.pk}/").content.decode()

    assert (f'<form method="post" action="/periods/{period.pk}/close/" class="inline" '
            'data-confirm="确定关闭该账期吗？其中的账单和差异将被锁定。">') in html
    assert CONFIRM_JS in html


def test_bulk_write_off_asks_for_confirmation(client, ops_user, reconciled):
    html = page(client, ops_user, "/discrepancies/").content.decode()

    assert '<option value="written_off" data-confirm="确定核销所选差异吗？这些金额将不再向快递公司追讨。">' in html
    assert '<input type="radio" name="scope" value="filter" data-confirm="确定应用到所有符合筛选条件的行吗？">' in html
    assert CONFIRM_JS in html


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_money_has_thousands_separators_in_both_languages(language):
    with translation.override(language):
        text = Template('¥{{ amount|floatformat:"2g" }}').render(Context({"amount": Decimal("24244.92")}))

    assert text == "¥24,244.92"


def test_a_bills_total_shows_thousands_separators_in_chinese(client, finance_user, reconciled):
    bill = reconciled["bill"]
    bill.billed_total = Decimal("1224244.92")
    bill.save(update_fields=["billed_total"])

    html = page(client, finance_user, f"/bills/{bill.pk}/").content.decode()

    assert "<dd>¥1,224,244.92</dd>" in html
