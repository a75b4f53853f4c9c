"""The outbound and pickups API: bulk create-or-update with exact counts and errors, the shipments an outbound post makes,
the filtered lists, and who may post."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from orders.models import OutboundRecord, PickupScan, Shipment
from recon.core.models import ReconRun

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")

PARCEL = {"waybill_no": "75312345678901", "courier": "中通快递", "packed_weight": "1.25", "outbound_at": "2026-10-02 15:30:00",
          "warehouse": "杭州仓", "province": "浙江"}
OUTBOUND = [
    {"outbound_no": "CK001", "order_no": "3012345678901234567", "sku": "COAT-BLK-M", "quantity": 1, **PARCEL},
    {"outbound_no": "CK001", "order_no": "3012345678901234560", "sku": "SOCK-3", "quantity": 3, **PARCEL},
    {"outbound_no": "CK002", "order_no": "3012345678901234567", "sku": "SCARF-01", "quantity": 2, "waybill_no": "SF1234567890123",
     "courier": "SF", "packed_weight": 0.4, "outbound_at": "2026-10-03 09:00", "warehouse": "杭州仓"},
]
PICKUPS = [
    {"waybill_no": "75312345678901", "courier": "ZTO", "picked_up_at": "2026-10-02 18:05", "pickup_weight": "1.30", "site": "余杭"},
    {"waybill_no": "SF1234567890123", "courier": "顺丰速运", "picked_up_at": "2026-10-03 11:00", "pickup_weight": 0.4},
]


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def checked(n: int) -> dict:
    """What a post adds about the check of the waybills it wrote (none of these posts raises a finding)."""
    return {"checked": n, "check_run": ReconRun.objects.latest("id").id if n else None, "found": 0}


def test_outbound_post_creates_records_and_their_shipments(token_client):
    response = token_client.post("/api/v1/outbound/", OUTBOUND, format="json")
    assert response.status_code == 200
    assert response.json() == {**checked(2), "rows": 3, "rejected": 0, "duplicates": 0, "errors": []}
    assert list(OutboundRecord.objects.order_by("outbound_no", "sku").values_list(
        "outbound_no", "order_no", "sku", "quantity", "waybill_no", "courier__code", "packed_weight_g", "outbound_at", "province",
        "source_id")) == [
        ("CK001", "3012345678901234567", "COAT-BLK-M", 1, "75312345678901", "ZTO", 1250, local(2026, 10, 2, 15, 30), "浙江", None),
        ("CK001", "3012345678901234560", "SOCK-3", 3, "75312345678901", "ZTO", 1250, local(2026, 10, 2, 15, 30), "浙江", None),
        ("CK002", "3012345678901234567", "SCARF-01", 2, "SF1234567890123", "SF", 400, local(2026, 10, 3, 9, 0), "", None),
    ]
    assert list(Shipment.objects.order_by("waybill_no").values_list("waybill_no", "order_no", "courier__code", "weight_g")) == [
        ("75312345678901", "3012345678901234560", "ZTO", 1250), ("SF1234567890123", "3012345678901234567", "SF", 400)]


def test_outbound_post_again_updates_and_counts_duplicates_and_errors(token_client):
    token_client.post("/api/v1/outbound/", {"records": OUTBOUND}, format="json")
    again = [dict(r) for r in OUTBOUND]
    again[2]["quantity"] = 4
    again += [
        {"outbound_no": "CK003", "order_no": "701", "sku": "Z", "quantity": -1, **PARCEL, "waybill_no": "75312345678903"},
        {"outbound_no": "CK004", "order_no": "702", "sku": "Z", "quantity": 1, **PARCEL, "waybill_no": "7.53123E+13"},
        {"outbound_no": "CK005", "order_no": "703", "sku": "Z", "quantity": 1, **PARCEL, "courier": "火星快递"},
        "not a record",
        {"outbound_no": "CK006", "order_no": "704", "sku": "A", "quantity": 1, **PARCEL, "waybill_no": "YT1234567891"},
        {"outbound_no": "CK006", "order_no": "705", "sku": "B", "quantity": 1, **PARCEL, "waybill_no": "YT1234567892"},
    ]
    response = token_client.post("/api/v1/outbound/", again, format="json")
    assert response.status_code == 200
    disagree = "出库单“CK006”的各行在“waybill_no”上不一致：“YT1234567891”、“YT1234567892”"
    assert response.json() == {**checked(1), "rows": 1, "rejected": 6, "duplicates": 2, "errors": [
        {"index": 3, "field": "quantity", "code": "quantity_negative", "message": "数量“-1”为负数"},
        {"index": 4, "field": "waybill_no", "code": "waybill_scientific",
         "message": "运单号“7.53123E+13”为科学计数法，数字已丢失。请在 Excel 中将该列设置为文本格式后重新导出文件"},
        {"index": 5, "field": "courier", "code": "courier_unknown", "message": "快递公司“火星快递”不是已知的快递公司代码、名称或别名"},
        {"index": 6, "field": "", "code": "record_invalid", "message": "每条记录必须是 JSON 对象。"},
        {"index": 7, "field": "", "code": "outbound_rows_disagree", "message": disagree},
        {"index": 8, "field": "", "code": "outbound_rows_disagree", "message": disagree},
    ]}
    assert OutboundRecord.objects.get(outbound_no="CK002").quantity == 4
    assert OutboundRecord.objects.count() == 3


def test_pickups_post_creates_then_updates_by_courier_and_waybill(token_client):
    response = token_client.post("/api/v1/pickups/", PICKUPS, format="json")
    assert response.json() == {**checked(2), "rows": 2, "rejected": 0, "duplicates": 0, "errors": []}
    changed = [PICKUPS[0], {**PICKUPS[1], "pickup_weight": "0.55"},
               {"waybill_no": "75312345678901", "courier": "ZTO", "picked_up_at": "2026-10-02", "pickup_weight": "-0.1"}]
    response = token_client.post("/api/v1/pickups/", changed, format="json")
    assert response.json() == {**checked(1), "rows": 1, "rejected": 1, "duplicates": 1, "errors": [
        {"index": 2, "field": "pickup_weight", "code": "weight_negative", "message": "重量“-0.1”为负数"}]}
    assert list(PickupScan.objects.order_by("waybill_no").values_list("waybill_no", "courier__code", "picked_up_at",
                                                                     "pickup_weight_g", "site")) == [
        ("75312345678901", "ZTO", local(2026, 10, 2, 18, 5), 1300, "余杭"),
        ("SF1234567890123", "SF", local(2026, 10, 3, 11, 0), 550, ""),
    ]


def test_an_empty_post_is_refused(token_client):
    response = token_client.post("/api/v1/pickups/", [], format="json")
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "no_data", "message": "请发送非空的 JSON 记录列表。", "details": {}}}
    assert not PickupScan.objects.exists()


def test_the_lists_filter_by_waybill_order_courier_and_dates(token_client, django_assert_max_num_queries):
    token_client.post("/api/v1/outbound/", OUTBOUND, format="json")
    token_client.post("/api/v1/pickups/", PICKUPS, format="json")

    def outbound(query: str) -> list[tuple]:
        with django_assert_max_num_queries(8):
            body = token_client.get(f"/api/v1/outbound/?{query}").json()
        return [(r["outbound_no"], r["sku"]) for r in body["results"]]

    assert outbound("waybill_no=7531") == [("CK001", "COAT-BLK-M"), ("CK001", "SOCK-3")]
    assert outbound("order_no=3012345678901234567") == [("CK002", "SCARF-01"), ("CK001", "COAT-BLK-M")]
    assert outbound("courier=sf") == [("CK002", "SCARF-01")]
    assert outbound("outbound_from=2026-10-03&outbound_to=2026-10-03") == [("CK002", "SCARF-01")]
    assert outbound("outbound_to=2026-10-01") == []
    first = token_client.get("/api/v1/outbound/?outbound_no=CK002").json()["results"][0]
    assert {k: first[k] for k in ("courier", "packed_weight_g", "warehouse", "province")} == {
        "courier": "SF", "packed_weight_g": 400, "warehouse": "杭州仓", "province": ""}

    def pickups(query: str) -> list[str]:
        return [r["waybill_no"] for r in token_client.get(f"/api/v1/pickups/?{query}").json()["results"]]

    assert pickups("") == ["SF1234567890123", "75312345678901"]
    assert pickups("courier=ZTO") == ["75312345678901"]
    assert pickups("waybill_no=SF") == ["SF1234567890123"]
    assert pickups("picked_up_from=2026-10-03") == ["SF1234567890123"]
    assert pickups("picked_up_to=2026-10-02") == ["75312345678901"]


def test_only_importers_may_post_and_every_role_may_read(user_in_role):
    from rest_framework.test import APIClient

    ops = APIClient()
    ops.force_authenticate(user_in_role("ops"))
    assert ops.post("/api/v1/outbound/", OUTBOUND, format="json").status_code == 403
    assert ops.post("/api/v1/pickups/", PICKUPS, format="json").status_code == 403
    assert ops.get("/api/v1/outbound/").status_code == 200
    assert ops.get("/api/v1/pickups/").status_code == 200
    finance = APIClient()
    finance.force_authenticate(user_in_role("finance"))
    assert finance.post("/api/v1/pickups/", PICKUPS, format="json").json()["rows"] == 2


def test_a_quantity_or_weight_beyond_what_the_database_holds_is_refused_not_a_server_error(token_client):
    records = [{"outbound_no": "CK1", "order_no": "A1", "sku": "S", "quantity": 3_000_000_000, **PARCEL},
               {"outbound_no": "CK2", "order_no": "A2", "sku": "S", "quantity": 1, **PARCEL, "waybill_no": "75312345678902",
                "packed_weight": "9999999"}]
    response = token_client.post("/api/v1/outbound/", records, format="json")
    assert response.status_code == 200
    assert response.json() == {**checked(0), "rows": 0, "rejected": 2, "duplicates": 0, "errors": [
        {"index": 0, "field": "quantity", "code": "quantity_invalid", "message": "数量“3000000000”不是整数件数"},
        {"index": 1, "field": "packed_weight", "code": "weight_invalid", "message": "重量“9999999”不是有效重量"},
    ]}
    assert not OutboundRecord.objects.exists()


def test_posted_records_are_read_in_the_web_process_and_uploaded_files_in_a_child(token_client, monkeypatch):
    """A post's records were parsed by the web process already: reading them forks no child (a fork per post cost more
    than the rest of a thousand-scan post); a file, which may be hostile, is still read in one."""
    import io

    import orders.outbound_readers as readers
    import recon.ingest.guard as guard
    from orders.outbound_services import outbound_file_import

    def no_fork():
        raise OSError("this test forbids forking")

    monkeypatch.setattr(guard.os, "fork", no_fork)
    response = token_client.post("/api/v1/pickups/", PICKUPS, format="json")
    assert response.status_code == 200
    assert response.json() == {**checked(2), "rows": 2, "rejected": 0, "duplicates": 0, "errors": []}
    response = token_client.post("/api/v1/outbound/", OUTBOUND, format="json")
    assert response.status_code == 200
    assert response.json() == {**checked(2), "rows": 3, "rejected": 0, "duplicates": 0, "errors": []}

    isolated = []

    def run_isolated(fn, *args, filename="", **kwargs):
        isolated.append((fn.__name__, filename))
        return fn(*args, **kwargs)

    monkeypatch.setattr(readers, "run_isolated", run_isolated)
    data = "运单号,快递公司,揽收时间,揽收重量\n75312345678902,ZTO,2026-10-02 18:10,1.1\n".encode()
    result = outbound_file_import(file=io.BytesIO(data), filename="scans.csv", kind="pickups", user=None)
    assert (result.rows, isolated) == (1, [("_read_pickups", "scans.csv")])
