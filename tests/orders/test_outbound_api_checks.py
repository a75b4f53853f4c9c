"""The check of an API post judges only the waybills that can raise something, with the run summary the whole check
gives; the details of a few rows, written row by row, are the text the column-wise writer gives."""
import pytest

from couriers.models import Courier
from orders import outbound_checks, runs_outbound
from orders.models import OutboundRecord, PickupScan
from recon.core.models import Discrepancy, ReconRun
from tests.orders.test_outbound_run import _reconcile, at, day, outbound  # noqa: F401 (day: a fixture)

pytestmark = pytest.mark.django_db
PICKUPS_URL = "/api/v1/pickups/"


def _scan(waybill: str, kg: str) -> dict:
    return {"waybill_no": waybill, "courier": "ZTO", "picked_up_at": "2026-10-10 12:00", "pickup_weight": kg}


@pytest.fixture
def parcels(db):
    """Five parcels: P1 will be scanned too heavy, P2's waybill is on a second outbound, P3 carries two orders, P4 and
    P5 are plain; and a scan of a waybill no outbound has."""
    for no, order_no, waybill in (("OP1", "D1", "753001"), ("OP2", "D2", "753002"), ("OP2B", "D2B", "753002"),
                                  ("OP3", "D3", "753003"), ("OP3", "D3B", "753003"), ("OP4", "D4", "753004"),
                                  ("OP5", "D5", "753005")):
        outbound(no, order_no, "SKU-Y", 1, waybill, "2026-10-10 10:00" if no != "OP2B" else "2026-10-10 11:00")
    return [_scan("753001", "1.3"), _scan("753002", "1.0"), _scan("753003", "1.0"), _scan("753004", "1.05"),
            _scan("753005", "0.9"), _scan("753009", "2.0")]


@pytest.mark.postgres
def test_a_post_s_check_judges_only_the_waybills_that_can_raise_something(token_client, parcels, monkeypatch):
    judged = []
    check = outbound_checks.check_waybills

    def spy(**kwargs):
        judged.append(sorted(kwargs["waybills"]))
        return check(**kwargs)

    monkeypatch.setattr(outbound_checks, "check_waybills", spy)
    body = token_client.post(PICKUPS_URL, parcels, format="json").json()
    assert (body["rows"], body["checked"], body["found"]) == (6, 6, 2)
    assert judged == [[("ZTO", "753001"), ("ZTO", "753002")]]
    run = ReconRun.objects.get(id=body["check_run"])
    assert {k: run.summary[k] for k in ("outbounds", "outbounds_picked_up", "pickups", "discrepancies")} == {
        "outbounds": 6, "outbounds_picked_up": 6, "pickups": 6, "discrepancies": 2}
    assert sorted(Discrepancy.objects.filter(run=run).values_list("type", "ref", "ref2")) == [
        ("pickup_weight_mismatch", "D1", "753001"), ("waybill_reused", "753002", "OP2B")]


@pytest.mark.postgres
def test_the_narrowed_check_saves_what_the_whole_check_saves(parcels):
    zto = Courier.objects.get(code="ZTO")
    for scan in parcels:
        PickupScan.objects.create(courier=zto, waybill_no=scan["waybill_no"], picked_up_at=at("2026-10-10 12:00"),
                                  pickup_weight_g=int(float(scan["pickup_weight"]) * 1000))
    keys = {("ZTO", s["waybill_no"]) for s in parcels}

    def saved(run) -> tuple:
        rows = Discrepancy.objects.filter(run=run).order_by("type", "ref", "ref2")
        return ({k: v for k, v in run.summary.items()},
                [(d.type, d.ref, d.ref2, d.amount_at_stake, d.reason, d.details, d.occurred_on) for d in rows])

    narrowed = saved(outbound_checks.outbound_waybills_check(keys=keys))
    # The whole check: the engine given every pair, as on SQLite.
    with pytest.MonkeyPatch.context() as m:
        m.setattr(outbound_checks, "is_postgres", lambda: False)
        whole = saved(outbound_checks.outbound_waybills_check(keys=keys))
    assert narrowed == whole
    assert narrowed[0]["outbounds"] == 6 and narrowed[0]["pickups"] == 6


@pytest.mark.postgres
def test_an_outbound_on_two_waybills_is_judged_by_the_whole_check(parcels, monkeypatch):
    # OP3's second order left under another waybill: the engine counts the outbound by one of its rows, so every pair
    # goes to it.
    OutboundRecord.objects.filter(outbound_no="OP3", order_no="D3B").update(waybill_no="753004")
    judged = []
    check = outbound_checks.check_waybills
    monkeypatch.setattr(outbound_checks, "check_waybills", lambda **kw: judged.append(len(kw["waybills"])) or check(**kw))
    outbound_checks.outbound_waybills_check(keys={("ZTO", "753003"), ("ZTO", "753004"), ("ZTO", "753005")})
    assert judged == [3]


def test_the_details_of_a_few_rows_are_the_column_wise_text(day, monkeypatch):  # noqa: F811
    written = []
    details = runs_outbound._details

    def both(disc):
        rows = details(disc)
        written.append((rows.tolist(), runs_outbound._details_columns(disc).tolist()))
        return rows

    monkeypatch.setattr(runs_outbound, "_details", both)
    _reconcile()
    [(rows, columns)] = written
    assert len(rows) == 8
    assert rows == columns


@pytest.mark.postgres
def test_a_post_of_scans_counts_what_it_changed_against_the_stored_scans(token_client):
    zto = Courier.objects.get(code="ZTO")
    # Stored to the microsecond (as the ORM may): a post of the same second is the same scan.
    PickupScan.objects.create(courier=zto, waybill_no="753101", picked_up_at=at("2026-10-10 12:00:00.500000"),
                              pickup_weight_g=1000, site="余杭")
    PickupScan.objects.create(courier=zto, waybill_no="753102", picked_up_at=at("2026-10-10 12:00"), pickup_weight_g=1000)
    body = token_client.post(PICKUPS_URL, [
        {**_scan("753101", "1.0"), "site": "余杭"}, _scan("753102", "1.2"), _scan("753103", "1.0")], format="json").json()
    assert (body["rows"], body["duplicates"], body["checked"]) == (2, 1, 2)
    assert list(PickupScan.objects.order_by("waybill_no").values_list("waybill_no", "pickup_weight_g", "site", "row_no")) == [
        ("753101", 1000, "余杭", None), ("753102", 1200, "", 3), ("753103", 1000, "", 4)]
