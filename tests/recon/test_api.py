"""The REST API as an integration uses it: token auth, upload 202 then poll, bulk shipments, filters."""
import io
from decimal import Decimal

import pytest

from recon.runs import services as run_services
from couriers.demo_data import generate, write_messy_csv

pytestmark = pytest.mark.django_db


def post_shipments(client, data):
    records = data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    records = records.astype(object).where(records.notna(), None).to_dict("records")
    return client.post("/api/v1/shipments/bulk/", records, format="json")


def test_anonymous_gets_401_json():
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/runs/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_bulk_shipments_insert_then_update(token_client):
    body = [
        {"order_no": "SO1", "waybill_no": "75300000000001", "courier": "ZTO", "shipped_at": "2026-10-05 10:00", "weight_kg": "1.25", "province": "广东省", "status": "已发货"},
        {"order_no": "SO2", "waybill_no": "75300000000002", "courier": "中通", "shipped_at": "2026-10-05", "weight_kg": "0.4", "province": "新疆维吾尔自治区"},
        {"order_no": "SO3", "waybill_no": "75300000000003", "courier": "NOPE", "shipped_at": "2026-10-05", "weight_kg": "1"},
    ]
    r = token_client.post("/api/v1/shipments/bulk/", body, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["created"] == 2 and r.json()["updated"] == 0 and r.json()["rejected"] == 1
    assert r.json()["rejected_rows"][0]["reason_code"] == "courier_unknown"
    body[0]["weight_kg"] = "2"
    body[0]["status"] = "cancelled"
    r = token_client.post("/api/v1/shipments/bulk/", body[:1], format="json")
    assert r.json() == {"created": 0, "updated": 1, "rejected": 0, "rejected_rows": []}
    listed = token_client.get("/api/v1/shipments/?waybill_no=753000000000").json()
    assert listed["count"] == 2
    first = next(s for s in listed["results"] if s["waybill_no"] == "75300000000001")
    assert first["weight_g"] == 2000 and first["status"] == "cancelled" and first["province"] == "广东"


def test_bulk_shipments_rejects_empty_body(token_client):
    r = token_client.post("/api/v1/shipments/bulk/", [], format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "no_data"


def test_upload_returns_202_then_the_run_can_be_polled_and_filtered(token_client, demo_rate_card, no_enqueue, tmp_path):
    data = generate(300, seed=12)
    assert post_shipments(token_client, data).status_code == 200
    path = tmp_path / "bill.csv"
    write_messy_csv(data.bill, path)
    with open(path, "rb") as fh:
        r = token_client.post("/api/v1/courier-bills/", {"file": fh, "courier": "ZTO", "period": "2026-10"}, format="multipart")
    assert r.status_code == 202, r.content
    run_id = r.json()["run"]["id"]
    assert r.json()["run"]["status"] == "pending"
    run_services.run_execute(run_id=run_id)
    run = token_client.get(f"/api/v1/runs/{run_id}/").json()
    assert run["status"] == "succeeded" and run["progress_percent"] == 100
    expected = data.expected["rate_overcharge"]
    assert run["summary"]["by_type"]["rate_overcharge"] == {"count": expected["count"], "amount_at_stake": f"{Decimal(expected['amount_fen']) / 100:.2f}"}
    page = token_client.get(f"/api/v1/discrepancies/?run={run_id}&type=rate_overcharge&page_size=500").json()
    assert len(page["results"]) == expected["count"] and page["next"] is None
    totals = token_client.get(f"/api/v1/discrepancies/totals/?run={run_id}&type=rate_overcharge").json()["total"]
    assert totals["count"] == expected["count"]
    assert totals["at_stake"] == f"{Decimal(expected['amount_fen']) / 100:.2f}" == totals["open"]
    amounts = [Decimal(d["amount_at_stake"]) for d in page["results"]]
    assert sum(amounts) == Decimal(expected["amount_fen"]) / 100
    assert amounts == sorted(amounts, reverse=True)
    big = token_client.get(f"/api/v1/discrepancies/?run={run_id}&amount_min=2.00&type=rate_overcharge").json()
    assert len(big["results"]) == sum(1 for a in amounts if a >= Decimal("2.00"))
    bill_id = run["courier_bill"]
    lines = token_client.get(f"/api/v1/courier-bills/{bill_id}/lines/?result=discrepancy").json()
    assert lines["count"] == run["summary"]["lines_with_discrepancy"]
    again = open(path, "rb")
    r2 = token_client.post("/api/v1/courier-bills/", {"file": again, "courier": "ZTO", "period": "2026-10"}, format="multipart")
    again.close()
    assert r2.status_code == 200 and r2.json()["duplicate"] is True and r2.json()["bill"] == bill_id


@pytest.mark.parametrize(
    "payload,code,status",
    [
        ({"file": io.BytesIO(b""), "courier": "ZTO", "period": "2026-10"}, "empty_file", 400),
        ({"file": io.BytesIO(b"waybill,fee\n1,2\n"), "courier": "XXX", "period": "2026-10"}, "unknown_courier", 400),
        ({"file": io.BytesIO(b"waybill,fee\n1,2\n"), "courier": "ZTO", "period": "10/2026"}, "invalid_period", 400),
        ({"file": io.BytesIO(b"PK\x03\x04broken zip"), "courier": "ZTO", "period": "2026-10"}, "corrupt_file", 400),
    ],
)
def test_bad_uploads_get_a_4xx_json_error_and_leave_nothing(api_client, payload, code, status, no_enqueue):
    from recon.core.models import ReconRun

    payload["file"].name = "bill.xlsx" if code == "corrupt_file" else "bill.csv"
    r = api_client.post("/api/v1/courier-bills/", payload, format="multipart")
    assert r.status_code == status, r.content
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]
    assert ReconRun.objects.count() == 0


def test_schema_and_swagger_are_served(api_client):
    assert api_client.get("/api/schema/").status_code == 200
    r = api_client.get("/api/docs/")
    assert r.status_code == 200 and b"swagger" in r.content.lower()
