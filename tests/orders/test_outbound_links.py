"""A pickup weighed heavy on the day (`pickup_weight_mismatch`) and the weight overcharge the courier's bill charges for
the same waybill a month later link to each other: both rows name the other in details.linked, both pages link to the
other with its weights as evidence, the API's detail lists it; a waybill without the pickup flag links to nothing, and
reruns of either side replace the link instead of adding one."""
from __future__ import annotations

import io
import re
from decimal import Decimal
import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from couriers.services import courier_bill_rerun, courier_bill_submit
from orders.outbound_services import outbound_file_import
from recon.core.models import Discrepancy, ReconRun
from recon.runs import services as run_services

from .order_files import csv_bytes

pytestmark = pytest.mark.django_db

# Two parcels to 广东 left on 10 October: W1 weighed 2.3 kg at pickup against our 1.02 kg, W2 as packed.
OUTBOUND = [
    ["出库单号", "订单号", "运单号", "快递公司", "商品编码", "出库数量", "包裹重量", "出库时间", "收货省份"],
    ["CK1", "A1", "75300000000001", "ZTO", "S1", "1", "1.02", "2026-10-10 10:00", "广东"],
    ["CK2", "A2", "75300000000002", "ZTO", "S1", "1", "1.0", "2026-10-10 10:30", "广东"],
]
PICKUPS = [
    ["运单号", "快递公司", "揽收时间", "揽收重量"],
    ["75300000000001", "ZTO", "2026-10-10 12:00", "2.3"],
    ["75300000000002", "ZTO", "2026-10-10 12:30", "1.0"],
]
# October's bill charges both at 2.3 kg, at the card's fee for 2.3 kg to 广东 (¥6.50): weight overcharges only.
BILL = [
    ["运单号", "揽收时间", "目的省份", "计费重量", "运费"],
    ["75300000000001", "2026-10-10 12:00", "广东", "2.3", "6.50"],
    ["75300000000002", "2026-10-10 12:30", "广东", "2.3", "6.50"],
]


def outbound_reconcile() -> None:
    call_command("reconcile", "outbound", "--from", "2026-10-10", "--to", "2026-10-10", "--as-of", "2026-10-12 12:00", "--sync",
                 "--json", stdout=io.StringIO())


def bill_run(zto) -> ReconRun:
    sub = courier_bill_submit(file=io.BytesIO(csv_bytes(BILL, "utf-8")), filename="zto-2026-10.csv", courier=zto, period="2026-10")
    run_services.run_execute(run_id=sub.run.id)
    return ReconRun.objects.get(id=sub.run.id)


def current(type_: str, **filters) -> Discrepancy:
    return Discrepancy.objects.get(type=type_, is_current=True, **filters)


def linked(d: Discrepancy) -> list:
    d.refresh_from_db()
    return d.details.get("linked")


@pytest.fixture
def flagged(demo_rate_card, zto, no_enqueue):
    """The day's files imported and reconciled: W1 flagged by pickup_weight_mismatch."""
    outbound_file_import(file=io.BytesIO(csv_bytes(OUTBOUND, "utf-8")), filename="出库单.csv", kind="outbound")
    outbound_file_import(file=io.BytesIO(csv_bytes(PICKUPS, "utf-8")), filename="揽收.csv", kind="pickups")
    outbound_reconcile()
    return current("pickup_weight_mismatch")


def test_a_weight_overcharge_on_a_flagged_waybill_and_the_flag_link_to_each_other(flagged, zto):
    assert (flagged.ref, flagged.ref2, flagged.amount_at_stake, flagged.counterparty.code) == ("A1", "75300000000001", Decimal("1.50"), "ZTO")
    assert linked(flagged) is None
    run = bill_run(zto)
    assert run.status == "succeeded", run.error
    overcharge = current("weight_overcharge", ref="75300000000001")
    assert overcharge.amount_at_stake == Decimal("1.50")
    assert linked(overcharge) == [{"id": flagged.id, "kind": "outbound", "type": "pickup_weight_mismatch"}]
    assert linked(flagged) == [{"id": overcharge.id, "kind": "courier_fee", "type": "weight_overcharge"}]
    # W2 was weighed as packed at pickup: its overcharge has nothing to link to.
    other = current("weight_overcharge", ref="75300000000002")
    assert (other.amount_at_stake, linked(other)) == (Decimal("3.00"), None)
    assert [d.type for d in Discrepancy.objects.filter(details__has_key="linked").order_by("id")] == [
        "pickup_weight_mismatch", "weight_overcharge"]


def test_both_pages_and_the_api_show_the_other_with_its_weights(flagged, zto, manager_user, client):
    bill_run(zto)
    overcharge = current("weight_overcharge", ref="75300000000001")
    client.force_login(manager_user)
    page = client.get(reverse("discrepancy-detail", args=[overcharge.id]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    section = page[page.index('data-testid="linked"'):page.index("</section>", page.index('data-testid="linked"'))]
    assert f'<a href="/discrepancies/{flagged.id}/" data-testid="linked-link">#{flagged.id} 揽收重量超过称重重量</a>' in section
    assert re.findall(r"<dt>([^<]*)</dt><dd data-testid=\"evidence\">([^<]*)</dd>", section) == [
        ("揽收重量", "2.3 kg"), ("揽收时间", "2026-10-10 12:00"), ("包裹重量", "1.02 kg")]
    page = client.get(reverse("discrepancy-detail", args=[flagged.id]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    section = page[page.index('data-testid="linked"'):page.index("</section>", page.index('data-testid="linked"'))]
    assert f'<a href="/discrepancies/{overcharge.id}/" data-testid="linked-link">#{overcharge.id} 重量超收</a>' in section
    assert re.findall(r"<dt>([^<]*)</dt><dd data-testid=\"evidence\">([^<]*)</dd>", section) == [
        ("账单重量", "2.3 kg"), ("我方计费重量", "1.02 kg")]
    other = current("weight_overcharge", ref="75300000000002")
    assert 'data-testid="linked"' not in client.get(reverse("discrepancy-detail", args=[other.id])).content.decode()

    api = APIClient()
    api.force_authenticate(manager_user)
    body = api.get(f"/api/v1/discrepancies/{overcharge.id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["details"]["linked"] == [{"id": flagged.id, "kind": "outbound", "type": "pickup_weight_mismatch"}]
    assert body["linked"] == [{
        "id": flagged.id, "kind": "outbound", "type": "pickup_weight_mismatch", "type_label": "揽收重量超过称重重量",
        "ref": "A1", "ref2": "75300000000001", "status": "open", "amount_at_stake": "1.50",
        "evidence": {"揽收重量": "2.3 kg", "揽收时间": "2026-10-10 12:00", "包裹重量": "1.02 kg"},
    }]
    assert api.get(f"/api/v1/discrepancies/{other.id}/").json()["linked"] == []


def test_reruns_of_either_side_replace_the_link_instead_of_adding_one(flagged, zto):
    run = bill_run(zto)
    first = current("weight_overcharge", ref="75300000000001")
    again = courier_bill_rerun(bill=run.courier_bill, enqueue=False)
    run_services.run_execute(run_id=again.id)
    overcharge = current("weight_overcharge", ref="75300000000001")
    assert overcharge.id != first.id and overcharge.run_id == again.id
    assert linked(overcharge) == [{"id": flagged.id, "kind": "outbound", "type": "pickup_weight_mismatch"}]
    assert linked(flagged) == [{"id": overcharge.id, "kind": "courier_fee", "type": "weight_overcharge"}]

    # The day reconciled again: its flag is a new row carrying the old one's work, and links where the old one did.
    outbound_reconcile()
    flag = current("pickup_weight_mismatch")
    assert flag.id != flagged.id
    assert linked(flag) == [{"id": overcharge.id, "kind": "courier_fee", "type": "weight_overcharge"}]
    assert linked(overcharge) == [{"id": flag.id, "kind": "outbound", "type": "pickup_weight_mismatch"}]
    assert current("weight_overcharge", ref="75300000000002").details.get("linked") is None
