"""Today's courier-fee rows, written with the old schema, reach the kind-neutral columns intact, and come back."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Transactional: the schema editor cannot run inside the test's transaction on SQLite. serialized_rollback puts
# back the couriers and roles the migrations made, which the flush after a transactional test empties.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OLD = [
    ("recon", "0007_shortfall"),
    ("couriers", "0007_bill_content_replace_supplement"),
    ("orders", "0002_recipient_fields"),
]
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Each discrepancy's old columns, as the courier-fee run wrote them. The bill lines are billed just after midnight
# in Shanghai, so their local day is the day after their UTC day: a UTC date in occurred_on shows.
OLD_COLUMNS = ("waybill_no", "order_no", "line_no", "billed_fee", "expected_fee", "billed_weight_g", "expected_weight_g",
               "billed_province", "expected_province", "bill_line_id", "shipment_id", "courier_id")
# What the migration must leave alone.
KEPT = ("run_id", "kind", "type", "status", "outcome", "outcome_reason", "recovered_amount", "amount_at_stake",
        "reason", "bill_id", "period_id", "dispute_id", "assignee_id", "is_current", "shortfall_amount",
        "shortfall_outcome", "shortfall_reason")


def migrate(targets):
    """Moves the test database to targets and returns the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def make_old_rows(apps):
    """Two couriers' periods, a bill, a run, a dispute and four discrepancies, written as the old run wrote them."""
    Courier = apps.get_model("couriers", "Courier")
    CourierBill = apps.get_model("couriers", "CourierBill")
    CourierBillLine = apps.get_model("couriers", "CourierBillLine")
    Shipment = apps.get_model("orders", "Shipment")
    ReconRun = apps.get_model("recon", "ReconRun")
    ReconPeriod = apps.get_model("recon", "ReconPeriod")
    Dispute = apps.get_model("recon", "Dispute")
    DisputeItem = apps.get_model("recon", "DisputeItem")
    Discrepancy = apps.get_model("recon", "Discrepancy")
    DiscrepancyComment = apps.get_model("recon", "DiscrepancyComment")
    User = apps.get_model("auth", "User")

    alice = User.objects.create(username="alice")
    zto = Courier.objects.get(code="ZTO")
    jtx = Courier.objects.create(code="JTX", name="极兔", name_en="J&T Express", billing_cycle="weekly", active=False)
    zto_period = ReconPeriod.objects.create(courier=zto, start=date(2026, 10, 1), end=date(2026, 10, 31), cycle="monthly")
    jtx_period = ReconPeriod.objects.create(courier=jtx, start=date(2026, 9, 28), end=date(2026, 10, 4), cycle="weekly", status="closed")
    shipment = Shipment.objects.create(order_no="SO-1001", waybill_no="ZT1001", courier=zto,
                                       shipped_at=datetime(2026, 10, 2, 9, 0, tzinfo=SHANGHAI), weight_g=1000, province="广东")
    jtx_shipment = Shipment.objects.create(order_no="SO-2001", waybill_no="JT2001", courier=jtx,
                                           shipped_at=datetime(2026, 10, 3, 9, 0, tzinfo=SHANGHAI), weight_g=800, province="江苏")
    bill = CourierBill.objects.create(courier=zto, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31), period=zto_period,
                                      file="bills/2026/10/zto.xlsx", original_filename="zto.xlsx", sha256="a" * 64, size_bytes=2048,
                                      line_count=2, billed_total=Decimal("17.10"))
    # 00:30 on 4 October in Shanghai is 16:30 on 3 October in UTC; 07:59 on 5 October is 23:59 on the 4th.
    line1 = CourierBillLine.objects.create(bill=bill, line_no=1, row_no=2, waybill_no="ZT1001", billed_weight_g=1500,
                                           billed_fee=Decimal("9.50"), billed_province="广东",
                                           billed_at=datetime(2026, 10, 4, 0, 30, tzinfo=SHANGHAI), shipment=shipment)
    line2 = CourierBillLine.objects.create(bill=bill, line_no=2, row_no=3, waybill_no="ZT1002", billed_weight_g=1000,
                                           billed_fee=Decimal("7.60"), billed_province="浙江",
                                           billed_at=datetime(2026, 10, 5, 7, 59, tzinfo=SHANGHAI))
    run = ReconRun.objects.create(kind="courier_fee", status="succeeded", phase="done", courier=zto, courier_bill=bill,
                                  period_start=date(2026, 10, 1), period_end=date(2026, 10, 31))
    jtx_run = ReconRun.objects.create(kind="courier_fee", status="succeeded", phase="done", courier=jtx,
                                      period_start=date(2026, 9, 28), period_end=date(2026, 10, 4))
    courierless_run = ReconRun.objects.create(kind="courier_fee", status="failed", phase="reading", error_code="unreadable")
    dispute = Dispute.objects.create(number="ZTO-20261010-01", courier=zto, status="sent", item_count=1, amount_claimed=Decimal("1.50"))

    claim = Discrepancy.objects.create(
        run=run, type="weight_overcharge", status="disputed", courier=zto, bill_line=line1, shipment=shipment,
        waybill_no="ZT1001", order_no="SO-1001", line_no=1, billed_fee=Decimal("9.50"), expected_fee=Decimal("8.00"),
        billed_weight_g=1500, expected_weight_g=1000, billed_province="广东", expected_province="广东",
        amount_at_stake=Decimal("1.50"), reason="计费重量 1.5kg，我方 1.0kg", details={"band": "1-2kg"},
        bill=bill, period=zto_period, dispute=dispute, assignee=alice,
    )
    information = Discrepancy.objects.create(
        run=run, type="rate_undercharge", status="resolved", outcome="accepted", outcome_reason="少收，不追",
        courier=zto, bill_line=line2, waybill_no="ZT1002", order_no="SO-1002", line_no=2,
        billed_fee=Decimal("7.60"), expected_fee=Decimal("8.00"), billed_weight_g=1000, expected_weight_g=1000,
        billed_province="浙江", expected_province="浙江", amount_at_stake=Decimal("0.40"), reason="少收 ¥0.40",
        bill=bill, period=zto_period,
    )
    nothing_at_stake = Discrepancy.objects.create(
        run=run, type="weight_overcharge", courier=zto, bill_line=line2, waybill_no="ZT1002", order_no="SO-1002",
        line_no=2, billed_fee=Decimal("7.60"), expected_fee=Decimal("7.60"), billed_weight_g=1000, expected_weight_g=900,
        billed_province="浙江", expected_province="浙江", amount_at_stake=Decimal("0.00"), reason="同一重量段",
        bill=bill, period=zto_period, is_current=False,
    )
    not_billed = Discrepancy.objects.create(
        run=jtx_run, type="not_billed", status="resolved", outcome="written_off", courier=jtx, shipment=jtx_shipment,
        waybill_no="JT2001", order_no="SO-2001", expected_fee=Decimal("6.00"), expected_weight_g=800,
        expected_province="江苏", amount_at_stake=Decimal("6.00"), reason="已发货，账单未列", period=jtx_period,
    )
    DisputeItem.objects.create(dispute=dispute, discrepancy=claim, amount_claimed=Decimal("1.50"))
    DiscrepancyComment.objects.create(discrepancy=claim, author=alice, text="已附称重照片")
    DiscrepancyComment.objects.create(discrepancy=not_billed, author=None, text="月底补账")

    rows = {"claim": claim, "information": information, "nothing_at_stake": nothing_at_stake, "not_billed": not_billed}
    return {
        "couriers": {"ZTO": zto.id, "JTX": jtx.id},
        "ids": {name: d.id for name, d in rows.items()},
        "old": {name: {f: getattr(d, f) for f in (*OLD_COLUMNS, *KEPT)} for name, d in rows.items()},
        "runs": {"zto": (run.id, zto.id), "jtx": (jtx_run.id, jtx.id), "none": (courierless_run.id, None)},
        "periods": {zto_period.id: zto.id, jtx_period.id: jtx.id},
        "dispute": (dispute.id, zto.id),
        "line_ids": (line1.id, line2.id),
        "shipment_ids": (shipment.id, jtx_shipment.id),
        "user_id": alice.id,
        "bill_id": bill.id,
    }


def old_values(apps, made):
    Discrepancy = apps.get_model("recon", "Discrepancy")
    return {name: Discrepancy.objects.filter(pk=pk).values(*OLD_COLUMNS, *KEPT).get() for name, pk in made["ids"].items()}


@pytest.fixture
def old_rows():
    """The test database at the old schema with today's rows in it; migrated to the latest again afterwards."""
    try:
        yield make_old_rows(migrate(OLD))
    finally:
        migrate(latest())


def test_old_rows_move_to_the_generic_columns(old_rows):
    made = old_rows
    migrate(latest())
    from couriers.models import Courier
    from recon.core.models import Counterparty, Discrepancy, DiscrepancyComment, DisputeItem, Dispute, ReconPeriod, ReconRun

    zto = Courier.objects.get(pk=made["couriers"]["ZTO"])
    jtx = Courier.objects.get(pk=made["couriers"]["JTX"])
    assert Counterparty.objects.filter(pk=zto.counterparty_id).values("kind", "code", "name", "name_en", "billing_cycle", "active").get() == {
        "kind": "courier", "code": "ZTO", "name": "中通", "name_en": "ZTO Express", "billing_cycle": "monthly", "active": True,
    }
    assert Counterparty.objects.filter(pk=jtx.counterparty_id).values("kind", "code", "name", "name_en", "billing_cycle", "active").get() == {
        "kind": "courier", "code": "JTX", "name": "极兔", "name_en": "J&T Express", "billing_cycle": "weekly", "active": False,
    }
    cp = {made["couriers"]["ZTO"]: zto.counterparty_id, made["couriers"]["JTX"]: jtx.counterparty_id, None: None}

    assert {run_id: ReconRun.objects.get(pk=run_id).counterparty_id for run_id, _ in made["runs"].values()} == {
        run_id: cp[courier_id] for run_id, courier_id in made["runs"].values()
    }
    assert dict(ReconPeriod.objects.filter(pk__in=made["periods"]).values_list("id", "counterparty_id")) == {
        period_id: cp[courier_id] for period_id, courier_id in made["periods"].items()
    }
    assert list(ReconPeriod.objects.filter(pk__in=made["periods"]).order_by("start").values_list("start", "end", "cycle", "status")) == [
        (date(2026, 9, 28), date(2026, 10, 4), "weekly", "closed"),
        (date(2026, 10, 1), date(2026, 10, 31), "monthly", "open"),
    ]
    dispute_id, dispute_courier = made["dispute"]
    assert Dispute.objects.filter(pk=dispute_id).values("number", "counterparty_id", "status", "item_count", "amount_claimed").get() == {
        "number": "ZTO-20261010-01", "counterparty_id": cp[dispute_courier], "status": "sent", "item_count": 1,
        "amount_claimed": Decimal("1.50"),
    }

    line1, line2 = made["line_ids"]
    shipment, jtx_shipment = made["shipment_ids"]
    ids = made["ids"]
    generic = ("counterparty_id", "ref", "ref2", "sku", "source_line", "theirs_amount", "ours_amount", "details",
               "is_claim", "direction", "carry_key", "occurred_on")
    moved = {name: Discrepancy.objects.filter(pk=pk).values(*generic).get() for name, pk in ids.items()}
    expected = {
        "claim": {
            "counterparty_id": zto.counterparty_id, "ref": "ZT1001", "ref2": "SO-1001", "sku": "", "source_line": 1,
            "theirs_amount": Decimal("9.50"), "ours_amount": Decimal("8.00"),
            "details": {"band": "1-2kg", "billed_weight_g": 1500, "expected_weight_g": 1000, "billed_province": "广东",
                        "expected_province": "广东", "bill_line_id": line1, "shipment_id": shipment},
            "is_claim": True, "direction": "to_us", "carry_key": "weight_overcharge|ZT1001|1",
            "occurred_on": date(2026, 10, 4),
        },
        "information": {
            "counterparty_id": zto.counterparty_id, "ref": "ZT1002", "ref2": "SO-1002", "sku": "", "source_line": 2,
            "theirs_amount": Decimal("7.60"), "ours_amount": Decimal("8.00"),
            "details": {"billed_weight_g": 1000, "expected_weight_g": 1000, "billed_province": "浙江",
                        "expected_province": "浙江", "bill_line_id": line2, "shipment_id": None},
            "is_claim": False, "direction": "by_us", "carry_key": "rate_undercharge|ZT1002|2",
            "occurred_on": date(2026, 10, 5),
        },
        "nothing_at_stake": {
            "counterparty_id": zto.counterparty_id, "ref": "ZT1002", "ref2": "SO-1002", "sku": "", "source_line": 2,
            "theirs_amount": Decimal("7.60"), "ours_amount": Decimal("7.60"),
            "details": {"billed_weight_g": 1000, "expected_weight_g": 900, "billed_province": "浙江",
                        "expected_province": "浙江", "bill_line_id": line2, "shipment_id": None},
            "is_claim": False, "direction": "to_us", "carry_key": "weight_overcharge|ZT1002|2",
            "occurred_on": date(2026, 10, 5),
        },
        "not_billed": {
            "counterparty_id": jtx.counterparty_id, "ref": "JT2001", "ref2": "SO-2001", "sku": "", "source_line": None,
            "theirs_amount": None, "ours_amount": Decimal("6.00"),
            "details": {"billed_weight_g": None, "expected_weight_g": 800, "billed_province": "",
                        "expected_province": "江苏", "bill_line_id": None, "shipment_id": jtx_shipment},
            "is_claim": False, "direction": "by_us", "carry_key": "not_billed|JT2001|0", "occurred_on": None,
        },
    }
    for name in ids:  # one row at a time, so that a failure shows which row and which column
        assert moved[name] == expected[name], name
    # The workflow columns are as they were, row by row (the bill is the discrepancy's source file now).
    kept_now = tuple("source_id" if f == "bill_id" else f for f in KEPT)
    assert {name: Discrepancy.objects.filter(pk=pk).values(*kept_now).get() for name, pk in ids.items()} == {
        name: {("source_id" if f == "bill_id" else f): made["old"][name][f] for f in KEPT} for name in ids
    }
    assert [d.amount_at_stake for d in Discrepancy.objects.filter(pk__in=ids.values()).order_by("id")] == [
        Decimal("1.50"), Decimal("0.40"), Decimal("0.00"), Decimal("6.00"),
    ]
    assert list(DiscrepancyComment.objects.order_by("id").values_list("discrepancy_id", "author_id", "text")) == [
        (ids["claim"], made["user_id"], "已附称重照片"), (ids["not_billed"], None, "月底补账"),
    ]
    assert list(DisputeItem.objects.values_list("dispute_id", "discrepancy_id", "amount_claimed", "answer")) == [
        (dispute_id, ids["claim"], Decimal("1.50"), "pending"),
    ]


def test_migrating_back_puts_the_values_into_the_old_columns(old_rows):
    made = old_rows
    migrate(latest())
    apps = migrate(OLD)

    assert old_values(apps, made) == made["old"]
    ReconRun = apps.get_model("recon", "ReconRun")
    ReconPeriod = apps.get_model("recon", "ReconPeriod")
    Dispute = apps.get_model("recon", "Dispute")
    assert {run_id: ReconRun.objects.get(pk=run_id).courier_id for run_id, _ in made["runs"].values()} == {
        run_id: courier_id for run_id, courier_id in made["runs"].values()
    }
    assert dict(ReconPeriod.objects.filter(pk__in=made["periods"]).values_list("id", "courier_id")) == made["periods"]
    dispute_id, dispute_courier = made["dispute"]
    assert Dispute.objects.get(pk=dispute_id).courier_id == dispute_courier
    # The exact values too, not only that they equal what was read before.
    claim = old_values(apps, made)["claim"]
    assert (claim["waybill_no"], claim["order_no"], claim["line_no"], claim["billed_fee"], claim["expected_fee"],
            claim["billed_weight_g"], claim["expected_weight_g"], claim["billed_province"], claim["expected_province"],
            claim["bill_line_id"], claim["shipment_id"], claim["courier_id"]) == (
        "ZT1001", "SO-1001", 1, Decimal("9.50"), Decimal("8.00"), 1500, 1000, "广东", "广东",
        made["line_ids"][0], made["shipment_ids"][0], made["couriers"]["ZTO"],
    )
    not_billed = old_values(apps, made)["not_billed"]
    assert (not_billed["line_no"], not_billed["billed_fee"], not_billed["billed_weight_g"], not_billed["billed_province"],
            not_billed["bill_line_id"], not_billed["courier_id"]) == (None, None, None, "", None, made["couriers"]["JTX"])
