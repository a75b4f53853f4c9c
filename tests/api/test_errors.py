"""API errors are JSON of one shape whoever answers (DRF, Django's 404 and 500, a refused request), and malformed pages are a 400."""
from __future__ import annotations

import logging

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError

from recon.api.errors import exception_handler
from recon.core.models import AuditEvent, ReconRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INVALID = {"code": "invalid", "message": "无效的输入。"}
WHOLE_NUMBER = ["请输入不小于 1 的整数。"]


@pytest.fixture
def manager(django_user_model):
    return UserFactory(username="api-mona", role="manager")


@pytest.fixture
def http(manager):
    """A plain Django client with a token: the whole middleware stack, and no exception re-raised into the test."""
    token = Token.objects.create(user=manager)
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token.key}")


def test_a_crash_under_api_answers_json_500_and_is_logged(http, monkeypatch, caplog):
    def boom(self, request, *args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("recon.api.views.ReconRunViewSet.list", boom)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        r = http.get("/api/v1/runs/")
    assert r.status_code == 500
    assert r["Content-Type"] == "application/json"
    assert r.json() == {"error": {"code": "internal_error", "message": "服务器内部出错，错误已记录，请稍后重试。", "details": {}}}
    assert "database on fire" not in r.content.decode()
    crash = [rec for rec in caplog.records if rec.getMessage() == "Internal Server Error: /api/v1/runs/"]
    assert len(crash) == 1 and crash[0].exc_info[1].args == ("database on fire",)


def test_a_crash_answers_in_english_when_asked(http, monkeypatch):
    monkeypatch.setattr("recon.api.views.ReconRunViewSet.retrieve", lambda *a, **k: 1 / 0)
    r = http.get("/api/v1/runs/1/", HTTP_ACCEPT_LANGUAGE="en")
    assert (r.status_code, r["Content-Type"]) == (500, "application/json")
    assert r.json()["error"]["message"] == "Something went wrong on our side. The error has been logged; please try again later."


def test_an_unknown_api_address_answers_json_404():
    r = Client().get("/api/v1/no-such-thing/")
    assert (r.status_code, r["Content-Type"]) == (404, "application/json")
    assert r.json() == {"error": {"code": "not_found", "message": "此地址下没有内容。", "details": {}}}
    assert Client().get("/api/nothing-here").json()["error"]["code"] == "not_found"


def test_pages_outside_the_api_keep_their_html_404(manager):
    client = Client()
    client.force_login(manager)
    r = client.get("/no-such-page/")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")


def test_a_request_django_refuses_before_the_view_answers_json_400(http, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100  # Django's multipart parser refuses the form before DRF sees it
    r = http.post("/api/v1/courier-bills/", {"courier": "ZTO", "period": "2026-10" * 50})
    assert (r.status_code, r["Content-Type"]) == (400, "application/json")
    assert r.json() == {"error": {"code": "bad_request", "message": "无法读取该请求。", "details": {}}}


def test_a_missing_row_is_not_found_with_a_code_even_for_a_browser(http):
    r = http.get("/api/v1/runs/987654/", HTTP_ACCEPT="text/html")  # DRF would render its browsable HTML page
    assert (r.status_code, r["Content-Type"]) == (404, "application/json")
    assert r.json() == {"error": {"code": "not_found", "message": "未找到。", "details": {}}}


def test_a_bare_validation_error_still_has_object_details():
    response = exception_handler(ValidationError("Give either `filter` or `ids`."), {})
    assert response.data == {"error": {
        "code": "invalid", "message": "无效的输入。", "details": {"non_field_errors": ["Give either `filter` or `ids`."]},
    }}


def test_a_duplicate_saved_filter_name_is_a_translated_409(http):
    body = {"name": "超重", "query": "type=weight_overcharge"}
    assert http.post("/api/v1/saved-filters/", body, content_type="application/json").status_code == 201
    r = http.post("/api/v1/saved-filters/", body, content_type="application/json")
    assert r.status_code == 409
    assert r.json() == {"error": {"code": "duplicate_name", "message": "您已有同名的筛选条件。", "details": {}}}


# --------------------------------------------------------------------------- pages


@pytest.fixture
def three_runs(zto):
    return [ReconRun.objects.create(kind="courier_fee", counterparty=zto.counterparty, status="succeeded") for _ in range(3)]


@pytest.mark.parametrize("query, field", [
    ("page=abc", "page"), ("page=0", "page"), ("page=-1", "page"), ("page=1.5", "page"), ("page=%2B1", "page"),
    ("page_size=abc", "page_size"), ("page_size=0", "page_size"), ("page_size=-5", "page_size"),
])
def test_a_malformed_page_number_is_refused(http, three_runs, query, field):
    r = http.get(f"/api/v1/runs/?{query}")
    assert r.status_code == 400
    assert r.json() == {"error": {**INVALID, "details": {field: WHOLE_NUMBER}}}


def test_page_numbers_that_are_whole_numbers_still_work(http, three_runs):
    newest_first = [run.id for run in reversed(three_runs)]
    assert [r["id"] for r in http.get("/api/v1/runs/?page=2&page_size=2").json()["results"]] == newest_first[2:]
    assert [r["id"] for r in http.get("/api/v1/runs/?page=&page_size=").json()["results"]] == newest_first
    assert len(http.get("/api/v1/runs/?page_size=5000").json()["results"]) == 3  # capped at 1000, not refused
    past = http.get("/api/v1/runs/?page=9")
    assert past.status_code == 404 and past.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/discrepancies/", "/api/v1/audit-events/"])
def test_cursor_pages_refuse_a_malformed_size(http, path):
    r = http.get(f"{path}?page_size=ten")
    assert r.status_code == 400
    assert r.json() == {"error": {**INVALID, "details": {"page_size": WHOLE_NUMBER}}}


def test_audit_trail_filters_are_validated_not_sent_raw_to_the_database(http, manager):
    AuditEvent.objects.create(actor_id=manager.id, actor_name="api-mona", object_type="discrepancy", object_id=7, action="status")
    r = http.get("/api/v1/audit-events/?actor=a%00b")
    assert r.status_code == 400 and r.json()["error"]["details"] == {"actor": ["不允许是用空字符串。"]}
    assert http.get("/api/v1/audit-events/?object_id=seven").json()["error"]["details"] == {"object_id": ["请填写合法的整数值。"]}
    assert [e["object_id"] for e in http.get("/api/v1/audit-events/?object_id=7&actor=api-mona").json()["results"]] == [7]


def test_period_filters_are_validated(http, zto):
    r = http.get("/api/v1/periods/?courier=%00")
    assert r.status_code == 400 and list(r.json()["error"]["details"]) == ["courier"]
    assert http.get("/api/v1/periods/?status=half-open").json()["error"]["details"] == {"status": ["“half-open” 不是合法选项。"]}
    assert http.get("/api/v1/periods/?status=&courier=").status_code == 200


@pytest.mark.parametrize("path, name", [
    ("/api/v1/discrepancies/totals/", "bill"), ("/api/v1/discrepancies/", "period"), ("/api/v1/discrepancies/", "run"),
    ("/api/v1/discrepancies/", "dispute"),
])
@pytest.mark.parametrize("value, message", [
    ("-2.9e269", "输入整数。"), ("1.5", "输入整数。"),
    ("0", "确保该值大于或等于1。"), ("9223372036854775808", "确保该值小于或等于9223372036854775807。"),
])
def test_id_filters_answer_400_for_what_no_row_can_have(http, path, name, value, message):
    r = http.get(f"{path}?{name}={value}")
    assert r.status_code == 400
    assert r.json() == {"error": {**INVALID, "details": {name: [message]}}}


@pytest.mark.parametrize("value, message", [
    ("-2.9e269", "请填写合法的整数值。"), ("9223372036854775808", "请确保该值小于或者等于 9223372036854775807。"),
])
def test_the_audit_trail_refuses_an_object_id_no_row_can_have(http, value, message):
    r = http.get(f"/api/v1/audit-events/?object_id={value}")
    assert r.status_code == 400
    assert r.json() == {"error": {**INVALID, "details": {"object_id": [message]}}}


def test_an_id_filter_still_finds_its_row(http, manager):
    AuditEvent.objects.create(actor_id=manager.id, actor_name="api-mona", object_type="discrepancy", object_id=9223372036854775807,
                              action="status")
    assert [e["object_id"] for e in http.get("/api/v1/audit-events/?object_id=9223372036854775807").json()["results"]] == [9223372036854775807]
    assert http.get("/api/v1/discrepancies/totals/?bill=9223372036854775807").status_code == 200
