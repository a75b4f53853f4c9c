"""Ids no row can have are a 400 with the field named, not a 500: SQLite's integers, like PostgreSQL's bigint, stop at
2⁶³ − 1 (the API's fuzz found both of these)."""
import pytest

HUGE = 2**70


@pytest.mark.django_db
def test_a_bank_lines_statement_filter_beyond_any_id_is_refused(api_client):
    r = api_client.get("/api/v1/bank-lines/", {"statement": str(HUGE)})
    assert r.status_code == 400
    assert r.json()["error"]["details"] == {"statement": ["确保该值小于或等于9223372036854775807。"]}
    assert api_client.get("/api/v1/bank-lines/", {"statement": "12"}).json()["count"] == 0


@pytest.mark.django_db
def test_a_bulk_action_on_an_id_beyond_any_id_is_refused(ops_user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(ops_user)
    r = api.post("/api/v1/discrepancies/bulk/", {"action": "assign", "ids": [HUGE], "assignee": "me"},
                        format="json")
    assert r.status_code == 400
    assert r.json()["error"]["details"] == {"ids": {"0": ["请确保该值小于或者等于 9223372036854775807。"]}}
