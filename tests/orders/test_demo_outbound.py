"""Outbound's demo: a month of orders on four platforms, their outbound records and pickup scans imported through the
real importer, and every injected problem found by the run with its exact type, ref, SKU and money, nothing else; the
payments demo's orders of the same month, shipped right, raise nothing."""
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management.base import OutputWrapper
from django.db.models import Count, Sum

from orders.demo_outbound import outbound_demo, outbound_demo_frames
from orders.models import Order, OutboundRecord, PickupScan, Shipment
from orders.outbound_services import outbound_file_import
from payments.demo import settlement_demo
from recon.core.models import Discrepancy, ReconRun

pytestmark = pytest.mark.django_db

# type, ref, ref2, sku, amount at stake in fen: one row per injected problem, every outbound type.
EXPECTED = [
    ("order_not_shipped", "PDD20261000125", "", "", 0),
    ("outbound_not_picked_up", "DY20261000132", "YT9202610000000150", "", 0),
    ("outbound_quantity_mismatch", "DY20261000129", "", "MZ-401", 3990),       # sent after the order was closed
    ("outbound_quantity_mismatch", "JDO20261000128", "", "JK-201", -19900),    # one jacket fewer than sold
    ("outbound_quantity_mismatch", "TO20261000127", "", "TS-101", 5990),       # one T-shirt more than sold
    ("outbound_unknown_order", "CK20261000147", "TO20261099901", "", 0),
    ("picked_up_not_outbound", "YT9202610990000001", "", "", 0),
    ("pickup_weight_mismatch", "JDO20261000133", "78202610000151", "", 150),   # 广东 1.02 kg → 2.3 kg on ZTO's card
    ("pickup_weight_mismatch", "PDD20261000134", "YT9202610000000152", "", 1400),  # 新疆 0.62 kg → 3.4 kg on YTO's
    ("shipped_not_outbound", "JDO20261000126", "", "", 0),
    ("waybill_reused", "78202610000148", "CK20261000149", "", 0),
]
COUNTS = {"order_not_shipped": 1, "shipped_not_outbound": 1, "outbound_quantity_mismatch": 3, "outbound_unknown_order": 1,
          "waybill_reused": 1, "outbound_not_picked_up": 1, "picked_up_not_outbound": 1, "pickup_weight_mismatch": 2}


def seed(tmp_path, *, payments: bool = False):
    out = io.StringIO()
    notes = settlement_demo(lines=0, period="2026-10", out_dir=tmp_path, stdout=OutputWrapper(io.StringIO())) if payments else []
    notes = outbound_demo(lines=0, period="2026-10", out_dir=tmp_path, stdout=OutputWrapper(out))
    return out.getvalue(), notes


@pytest.fixture
def seeded(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return seed(tmp_path)


def found_by(run) -> list[tuple]:
    rows = Discrepancy.objects.filter(run=run).values_list("type", "ref", "ref2", "sku", "amount_at_stake")
    return sorted((t, ref, ref2, sku, int(amount * 100)) for t, ref, ref2, sku, amount in rows)


def test_the_month_is_imported_whole_and_reconciled(seeded, tmp_path):
    log, notes = seeded
    run = ReconRun.objects.get(kind="outbound")
    assert log.splitlines() == [
        "outbound orders: 139 created",
        "outbound outbound: 174 rows imported, 0 rejected",
        "outbound pickups: 151 rows imported, 0 rejected",
        f"outbound reconciled: run #{run.id} succeeded, 11 discrepancies",
    ]
    assert (run.period_start.isoformat(), run.period_end.isoformat(), run.params["as_of"]) == (
        "2026-10-01", "2026-10-31", "2026-11-14 00:00")
    # 30 good orders a platform, 14 more with or around a problem, and the next day's five (paid) for the sample files.
    assert dict(Order.objects.values_list("platform__code").annotate(n=Count("id"))) == {
        "TMALL": 34, "JD": 35, "PDD": 35, "DOUYIN": 35}
    assert Order.objects.filter(paid_at__date__gte="2026-11-01").count() == 5
    # Partial shipments (one order in several parcels) and one parcel carrying two orders (合并发货).
    per_order = OutboundRecord.objects.values("order_no").annotate(n=Count("outbound_no", distinct=True))
    # Five two-SKU orders a platform sent one SKU a day after the other, and three coats sent two then one.
    assert sorted(r["order_no"] for r in per_order if r["n"] > 1) == [
        "DY20261000094", "DY20261000100", "DY20261000106", "DY20261000112", "DY20261000118", "JDO20261000034",
        "JDO20261000040", "JDO20261000046", "JDO20261000052", "JDO20261000058", "JDO20261000121", "PDD20261000064",
        "PDD20261000070", "PDD20261000076", "PDD20261000082", "PDD20261000088", "TO20261000004", "TO20261000010",
        "TO20261000016", "TO20261000022", "TO20261000028"]
    per_parcel = OutboundRecord.objects.values("outbound_no").annotate(n=Count("order_no", distinct=True))
    assert [r["outbound_no"] for r in per_parcel if r["n"] > 1] == ["CK20261000143"]
    assert set(PickupScan.objects.values_list("courier__code", flat=True)) == {"ZTO", "YTO"}
    # Each outbound's parcel is also a shipment for courier fees: 152 outbounds on 151 waybills (one reused).
    assert OutboundRecord.objects.values("outbound_no").distinct().count() == 152
    assert Shipment.objects.count() == 151
    assert sorted(p.name for p in tmp_path.glob("outbound-*")) == [
        "outbound-2026-10-expected.csv", "outbound-2026-10-出库单.csv", "outbound-2026-10-揽收记录.csv",
        "outbound-2026-11-01-出库单.csv", "outbound-2026-11-01-揽收记录.csv"]
    # In the product's language: the notes go through the catalogue.
    assert notes == [
        f"可在 /orders/outbound/upload/ 上传的出库文件（2026-11-01：出库单 {tmp_path}/outbound-2026-11-01-出库单.csv，"
        f"揽收记录 {tmp_path}/outbound-2026-11-01-揽收记录.csv）；当日页面：/orders/outbound/today/",
        f"出库 2026-10：注入的 11 个问题列于 {tmp_path}/outbound-2026-10-expected.csv"]


def test_each_injected_problem_is_found_with_its_type_and_money_and_nothing_else(seeded):
    demo = outbound_demo_frames(period="2026-10")
    assert sorted((i.type, i.ref, i.ref2, i.sku, i.amount_fen) for i in demo.injected) == EXPECTED
    run = ReconRun.objects.get(kind="outbound")
    assert found_by(run) == EXPECTED
    assert Counter(Discrepancy.objects.filter(run=run).values_list("type", flat=True)) == COUNTS
    assert Discrepancy.objects.filter(run=run).aggregate(total=Sum("amount_at_stake"))["total"] == Decimal("-83.70")


def test_the_sample_files_upload_whole(seeded, tmp_path):
    for kind, name, rows in (("outbound", "outbound-2026-11-01-出库单.csv", 5), ("pickups", "outbound-2026-11-01-揽收记录.csv", 6)):
        with open(tmp_path / name, "rb") as fh:
            result = outbound_file_import(file=fh, kind=kind, filename=name)
        assert (result.rows, result.rejected, result.duplicates) == (rows, 0, 0)


def test_the_payments_demos_orders_are_shipped_right_and_raise_nothing(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    log, _notes = seed(tmp_path, payments=True)
    assert log.splitlines()[:3] == ["outbound orders: 139 created", "outbound outbound: 364 rows imported, 0 rejected",
                                    "outbound pickups: 276 rows imported, 0 rejected"]
    assert OutboundRecord.objects.filter(order_no__startswith="W").values("outbound_no").distinct().count() == 41
    assert found_by(ReconRun.objects.get(kind="outbound")) == EXPECTED


def test_seeding_twice_writes_nothing_more(seeded, tmp_path):
    out = io.StringIO()
    assert outbound_demo(lines=0, period="2026-10", out_dir=tmp_path, stdout=OutputWrapper(out)) == []
    assert out.getvalue() == "outbound demo data already present\n"
    assert (Order.objects.count(), ReconRun.objects.filter(kind="outbound").count()) == (139, 1)
