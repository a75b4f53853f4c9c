"""Saved custom reports: saving, sharing with a role and who sees what, in the pages and the API."""
from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reports.custom_services import saved_report_save, saved_reports_visible
from reports.models import SavedReport
from recon.core.errors import UserFacingError

from .custom_data import known  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

DEFINITION = {"source": "discrepancies", "dimensions": ["counterparty"], "measures": ["count", "at_stake"],
              "filters": {"kind": ["courier_fee"]}}


def table_rows(page: str) -> list[list[str]]:
    """The report table's rows and its totals row, cell texts as shown."""
    rows = re.findall(r'<tr data-testid="report-(?:row|totals)">(.*?)</tr>', page, re.S)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in rows]


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_owner_and_shared_role_see_it_others_do_not(finance_user, manager_user, ops_user, auditor_user):
    report = saved_report_save(user=finance_user, name="各快递差异", definition=DEFINITION, share_with=["manager"])
    assert list(saved_reports_visible(user=finance_user)) == [report]
    assert list(saved_reports_visible(user=manager_user)) == [report]
    assert list(saved_reports_visible(user=ops_user)) == []
    assert list(saved_reports_visible(user=auditor_user)) == []


def test_saving_checks_the_definition_and_the_name(finance_user):
    with pytest.raises(UserFacingError) as exc:
        saved_report_save(user=finance_user, name="坏的", definition={**DEFINITION, "measures": ["nope"]})
    assert "没有指标“nope”" in exc.value.message
    saved_report_save(user=finance_user, name="同名", definition=DEFINITION)
    with pytest.raises(UserFacingError) as exc:
        saved_report_save(user=finance_user, name="同名", definition=DEFINITION)
    assert exc.value.message == "您已有同名的报表。"


def test_only_the_owner_changes_a_shared_report(finance_user, manager_user):
    report = saved_report_save(user=finance_user, name="共享", definition=DEFINITION, share_with=["manager"])
    with pytest.raises(UserFacingError) as exc:
        saved_report_save(user=manager_user, report=report, name="改名", definition=DEFINITION)
    assert exc.value.message == "只有报表的创建者可以修改。"


def test_save_from_the_builder_then_list_and_open(client, finance_user, manager_user, ops_user, known):
    client.force_login(finance_user)
    response = client.post(reverse("custom-report-save"), {
        "name": "十月快递", "definition": json.dumps(DEFINITION), "share": ["manager"]})
    report = SavedReport.objects.get(name="十月快递")
    assert response.status_code == 302 and response["Location"] == reverse("custom-report-detail", args=[report.pk])
    assert report.owner == finance_user and [g.name for g in report.shared_with_groups.all()] == ["manager"]
    client.force_login(manager_user)
    assert "十月快递" in client.get(reverse("custom-report-list")).content.decode()
    page = client.get(reverse("custom-report-detail", args=[report.pk])).content.decode()
    assert table_rows(page) == [["YTO", "2", "¥10.00"], ["ZTO", "4", "¥17.75"], ["合计", "6", "¥27.75"]]
    client.force_login(ops_user)
    assert "十月快递" not in client.get(reverse("custom-report-list")).content.decode()
    assert client.get(reverse("custom-report-detail", args=[report.pk])).status_code == 404


def test_builder_runs_a_report_from_its_form(client, finance_user, known):
    client.force_login(finance_user)
    page = client.get(reverse("custom-report-builder"), {
        "source": "discrepancies", "dim1": "counterparty", "dim2": "month", "measure": ["at_stake"],
        "f_kind": "courier_fee", "run": "1"}).content.decode()
    assert 'data-testid="report-chart"' in page and "<svg" in page
    assert table_rows(page) == [["YTO", "2026-10", "¥10.00"], ["ZTO", "2026-10", "¥15.50"], ["ZTO", "2026-11", "¥2.25"],
                                ["合计", "¥27.75"]]


def test_api_crud_and_run(finance_user, manager_user, ops_user, known):
    client = api(finance_user)
    created = client.post("/api/v1/reports/custom/", {"name": "API 报表", "definition": DEFINITION,
                                                      "shared_with": ["manager"]}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["shared_with"] == ["manager"] and created.json()["owner"] == "alice"
    rows = api(manager_user).get(f"/api/v1/reports/custom/{pk}/run/").json()
    assert rows["rows"] == [{"counterparty": "YTO", "count": 2, "at_stake": "10.00"},
                            {"counterparty": "ZTO", "count": 4, "at_stake": "17.75"}]
    assert rows["totals"] == {"count": 6, "at_stake": "27.75"}
    assert api(ops_user).get(f"/api/v1/reports/custom/{pk}/run/").status_code == 404
    bad = client.post("/api/v1/reports/custom/run/", {**DEFINITION, "dimensions": ["shop"]}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_report"
    assert api(manager_user).delete(f"/api/v1/reports/custom/{pk}/").status_code == 403
    assert client.patch(f"/api/v1/reports/custom/{pk}/", {"name": "改过"}, format="json").json()["name"] == "改过"
    assert client.delete(f"/api/v1/reports/custom/{pk}/").status_code == 204
