"""`assignee: "me"` in the API names the caller, as the queue page's "Me" does, with a token or a session."""
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from recon.core.models import AuditEvent, BulkAction, Discrepancy

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["token", "session"])
def ops_api(request, ops_user):
    client = APIClient()
    if request.param == "token":
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=ops_user).key}")
    else:
        client.login(username="olivia", password="olivia-pass-123")
    return client


def test_assign_me_assigns_the_caller(ops_api, ops_user, reconciled):
    d = reconciled["discrepancies"][0]

    r = ops_api.post(f"/api/v1/discrepancies/{d.pk}/assign/", {"assignee": "me"}, format="json")

    assert r.status_code == 200
    assert r.json()["assignee"] == "olivia"
    assert Discrepancy.objects.get(pk=d.pk).assignee_id == ops_user.pk
    event = AuditEvent.objects.get(object_type="discrepancy", object_id=d.pk, action="assign")
    assert (event.actor_id, event.changes) == (ops_user.pk, {"assignee_id": [None, ops_user.pk]})


def test_bulk_assign_me_assigns_the_caller(ops_api, ops_user, reconciled):
    ids = [d.pk for d in reconciled["discrepancies"][:2]]

    r = ops_api.post("/api/v1/discrepancies/bulk/", {"action": "assign", "ids": ids, "assignee": "me"}, format="json")

    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["params"], body["result"]["changed"]) == ("succeeded", {"assignee": ops_user.pk}, 2)
    assert list(Discrepancy.objects.filter(pk__in=ids).order_by("pk").values_list("assignee_id", flat=True)) == [ops_user.pk] * 2
    assert BulkAction.objects.get(pk=body["id"]).created_by_id == ops_user.pk


def test_bulk_assign_me_from_the_queue_page_still_assigns_the_clerk(client, ops_user, reconciled):
    client.force_login(ops_user)
    d = reconciled["discrepancies"][1]

    r = client.post("/discrepancies/bulk/", {"action": "assign", "assignee": "me", "scope": "selected", "ids": [d.pk]})

    assert r.status_code == 302
    assert Discrepancy.objects.get(pk=d.pk).assignee_id == ops_user.pk


def test_an_unknown_assignee_is_still_refused(ops_api, reconciled):
    d = reconciled["discrepancies"][0]

    r = ops_api.post(f"/api/v1/discrepancies/{d.pk}/assign/", {"assignee": "nobody-by-that-name"}, format="json")

    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_assignee"
    assert Discrepancy.objects.get(pk=d.pk).assignee_id is None
