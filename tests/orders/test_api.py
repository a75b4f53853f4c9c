"""The shipments API masks recipients for a role without orders.view_personal_data."""
import pytest
from rest_framework.test import APIClient

from .conftest import RECIPIENT

pytestmark = pytest.mark.django_db

MASKED = {"recipient_name": "张**", "recipient_phone": "138****1234", "recipient_address": "广东省深圳市****"}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def recipient_of(data: dict) -> dict:
    return {k: data[k] for k in RECIPIENT}


def test_ops_sees_masked_recipients_in_list_and_detail(ops_user, shipment):
    client = client_for(ops_user)
    listed = client.get("/api/v1/shipments/")
    assert listed.status_code == 200, listed.content
    assert [recipient_of(s) for s in listed.json()["results"]] == [MASKED]
    detail = client.get(f"/api/v1/shipments/{shipment.id}/")
    assert recipient_of(detail.json()) == MASKED


def test_manager_sees_real_recipients(manager_user, shipment):
    client = client_for(manager_user)
    assert [recipient_of(s) for s in client.get("/api/v1/shipments/").json()["results"]] == [RECIPIENT]
    assert recipient_of(client.get(f"/api/v1/shipments/{shipment.id}/").json()) == RECIPIENT


@pytest.mark.parametrize("role", ["finance", "integration", "auditor"])
def test_every_other_role_sees_them_masked(user_in_role, shipment, role):
    response = client_for(user_in_role(role)).get(f"/api/v1/shipments/{shipment.id}/")
    assert recipient_of(response.json()) == MASKED


def test_bulk_post_then_read_back_masked(user_in_role, zto):
    client = client_for(user_in_role("integration"))
    body = [{"order_no": "SO9", "waybill_no": "75312345678909", "courier": "ZTO", "shipped_at": "2026-10-05",
             "收件人": "赵六", "联系电话": "0755-87654321", "收货地址": "广东省广州市天河区体育西路1号"}]
    response = client.post("/api/v1/shipments/bulk/", body, format="json")
    assert response.json()["created"] == 1, response.content
    row = client.get("/api/v1/shipments/?waybill_no=75312345678909").json()["results"][0]
    assert recipient_of(row) == {"recipient_name": "赵*", "recipient_phone": "0755-****4321", "recipient_address": "广东省广州市****"}


def test_list_masks_without_a_query_per_row(ops_user, shipment, django_assert_max_num_queries):
    from orders.models import Shipment

    Shipment.objects.bulk_create(
        Shipment(order_no=f"SO{i}", waybill_no=f"7531234567{i:04d}", courier=shipment.courier, shipped_at=shipment.shipped_at,
                 recipient_name="李四", recipient_phone="13900001111")
        for i in range(30)
    )
    client = client_for(ops_user)
    with django_assert_max_num_queries(6):
        rows = client.get("/api/v1/shipments/?page_size=50").json()["results"]
    assert len(rows) == 31 and {r["recipient_phone"] for r in rows} == {"138****1234", "139****1111"}
