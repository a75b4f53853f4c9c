"""Bills, rejected rows and column mappings written with the old schema become source files with the same ids, and
come back into the old tables when the migration is undone."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Transactional: the schema editor cannot run inside the test's transaction on SQLite. serialized_rollback puts
# back the couriers and roles the migrations made, which the flush after a transactional test empties.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OLD = [
    ("recon", "0010_queue_ref_index"),
    ("couriers", "0008_courier_counterparty"),
    ("orders", "0002_recipient_fields"),
]
UPLOADED = datetime(2026, 11, 2, 1, 30, tzinfo=timezone.utc)
DELETED = datetime(2026, 11, 5, 8, 0, tzinfo=timezone.utc)
MAPPED = datetime(2026, 11, 1, 9, 15, tzinfo=timezone.utc)
READ_INFO = {"format": "csv", "encoding": "gbk", "sheets": [{"name": "csv", "header_row": 3}]}
FILE_COLUMNS = ("file", "original_filename", "sha256", "size_bytes", "line_count", "rejected_count", "read_info",
                "uploaded_by_id", "uploaded_at", "period_id", "deleted_at", "deleted_by_id")


def migrate(targets):
    """Moves the test database to targets and returns the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def make_old_rows(apps):
    """Two ZTO bills (one deleted, one without a period), two rejected rows, ZTO's column mapping, a run and two
    discrepancies, as the old schema held them."""
    Courier = apps.get_model("couriers", "Courier")
    CourierBill = apps.get_model("couriers", "CourierBill")
    CourierBillLine = apps.get_model("couriers", "CourierBillLine")
    RejectedRow = apps.get_model("couriers", "RejectedRow")
    ColumnMapping = apps.get_model("couriers", "ColumnMapping")
    ReconRun = apps.get_model("recon", "ReconRun")
    ReconPeriod = apps.get_model("recon", "ReconPeriod")
    Discrepancy = apps.get_model("recon", "Discrepancy")
    User = apps.get_model("auth", "User")

    alice, bob = User.objects.create(username="alice"), User.objects.create(username="bob")
    zto = Courier.objects.get(code="ZTO")
    period = ReconPeriod.objects.create(counterparty_id=zto.counterparty_id, start=date(2026, 10, 1), end=date(2026, 10, 31))
    october = CourierBill.objects.create(
        courier=zto, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31), period=period, file="bills/2026/11/zto.csv",
        original_filename="中通10月账单.csv", sha256="a" * 64, size_bytes=2048, line_count=1, rejected_count=2,
        billed_total=Decimal("9.50"), read_info=READ_INFO, uploaded_by=alice, content_sha256="e" * 64,
    )
    extra = CourierBill.objects.create(
        courier=zto, period_start=date(2026, 9, 1), period_end=date(2026, 9, 30), file="bills/2026/11/zto-9.xlsx",
        original_filename="中通9月补充.xlsx", sha256="b" * 64, size_bytes=512, billed_total=Decimal("0"), is_supplement=True,
        replaces=october, deleted_at=DELETED, deleted_by=bob,
    )
    CourierBill.objects.update(uploaded_at=UPLOADED)
    line = CourierBillLine.objects.create(bill=october, line_no=1, row_no=4, waybill_no="ZT1001", billed_fee=Decimal("9.50"))
    rejected = [
        RejectedRow.objects.create(bill=october, sheet="csv", row_no=5, reason_code="fee_invalid", reason="运费不是数字", raw="ZT1002,abc"),
        RejectedRow.objects.create(bill=october, sheet="csv", row_no=6, reason_code="waybill_scientific", reason="运单号为科学计数法", raw="7.5E+13"),
    ]
    mapping = ColumnMapping.objects.create(courier=zto, mapping={"waybill_no": "单号"}, updated_by=alice)
    ColumnMapping.objects.update(updated_at=MAPPED)
    run = ReconRun.objects.create(kind="courier_fee", status="succeeded", phase="done", counterparty_id=zto.counterparty_id,
                                  courier_bill=october, period_start=period.start, period_end=period.end)
    from_bill = Discrepancy.objects.create(run=run, type="rate_overcharge", counterparty_id=zto.counterparty_id, bill=october,
                                           period=period, ref="ZT1001", source_line=1, amount_at_stake=Decimal("1.50"), reason="多收")
    no_bill = Discrepancy.objects.create(run=run, type="not_billed", counterparty_id=zto.counterparty_id, period=period,
                                         ref="ZT1009", amount_at_stake=Decimal("0.00"), reason="未计费")
    return {
        "users": (alice.id, bob.id), "counterparty_id": zto.counterparty_id, "courier_id": zto.id, "period_id": period.id,
        "bills": (october.id, extra.id), "line_id": line.id, "rejected_ids": [r.id for r in rejected], "mapping_id": mapping.id,
        "run_id": run.id, "discrepancies": (from_bill.id, no_bill.id),
    }


@pytest.fixture
def old_rows():
    """The test database at the old schema with bills in it; migrated to the latest again afterwards."""
    try:
        yield make_old_rows(migrate(OLD))
    finally:
        migrate(latest())


def test_bills_become_source_files_and_come_back(old_rows):
    made = old_rows
    alice, bob = made["users"]
    october, extra = made["bills"]
    migrate(latest())
    from couriers.models import CourierBill, CourierBillLine
    from recon.core.models import ColumnMapping, Discrepancy, ReconRun, RejectedRow, SourceFile

    assert list(SourceFile.objects.order_by("id").values("id", "file_kind", "counterparty_id", "mapping", *FILE_COLUMNS)) == [
        {"id": october, "file_kind": "courier_bill", "counterparty_id": made["counterparty_id"], "mapping": {},
         "file": "bills/2026/11/zto.csv", "original_filename": "中通10月账单.csv", "sha256": "a" * 64, "size_bytes": 2048,
         "line_count": 1, "rejected_count": 2, "read_info": READ_INFO, "uploaded_by_id": alice, "uploaded_at": UPLOADED,
         "period_id": made["period_id"], "deleted_at": None, "deleted_by_id": None},
        {"id": extra, "file_kind": "courier_bill", "counterparty_id": made["counterparty_id"], "mapping": {},
         "file": "bills/2026/11/zto-9.xlsx", "original_filename": "中通9月补充.xlsx", "sha256": "b" * 64, "size_bytes": 512,
         "line_count": 0, "rejected_count": 0, "read_info": {}, "uploaded_by_id": None, "uploaded_at": UPLOADED,
         "period_id": None, "deleted_at": DELETED, "deleted_by_id": bob},
    ]
    # The bill keeps its id and its own columns, and reads the moved ones through its source file.
    assert list(CourierBill.objects.order_by("id").values_list(
        "id", "sourcefile_ptr_id", "courier_id", "billed_total", "content_sha256", "is_supplement", "replaces_id", "sha256", "deleted_by_id")) == [
        (october, october, made["courier_id"], Decimal("9.50"), "e" * 64, False, None, "a" * 64, None),
        (extra, extra, made["courier_id"], Decimal("0.00"), "", True, october, "b" * 64, bob),
    ]
    assert list(CourierBill.objects.filter(deleted_at__isnull=True).values_list("id", flat=True)) == [october]
    assert list(RejectedRow.objects.order_by("id").values_list("id", "source_id", "sheet", "row_no", "reason_code", "reason", "raw")) == [
        (made["rejected_ids"][0], october, "csv", 5, "fee_invalid", "运费不是数字", "ZT1002,abc"),
        (made["rejected_ids"][1], october, "csv", 6, "waybill_scientific", "运单号为科学计数法", "7.5E+13"),
    ]
    assert list(ColumnMapping.objects.values_list("counterparty_id", "file_kind", "mapping", "updated_by_id", "updated_at")) == [
        (made["counterparty_id"], "courier_bill", {"waybill_no": "单号"}, alice, MAPPED),
    ]
    from_bill, no_bill = made["discrepancies"]
    assert dict(Discrepancy.objects.values_list("id", "source_id")) == {from_bill: october, no_bill: None}
    assert ReconRun.objects.get(pk=made["run_id"]).courier_bill_id == october
    assert CourierBillLine.objects.get(pk=made["line_id"]).bill_id == october
    # The next file gets the next id: the sequence moved past the bills'.
    newer = CourierBill.objects.create(
        courier_id=made["courier_id"], period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), file="bills/x.csv",
        original_filename="中通11月账单.csv", sha256="f" * 64, size_bytes=10,
    )
    assert newer.id == extra + 1 and SourceFile.objects.get(pk=newer.id).file_kind == "courier_bill"

    apps = migrate(OLD)
    OldBill = apps.get_model("couriers", "CourierBill")
    OldRejectedRow = apps.get_model("couriers", "RejectedRow")
    OldColumnMapping = apps.get_model("couriers", "ColumnMapping")
    OldDiscrepancy = apps.get_model("recon", "Discrepancy")
    assert list(OldBill.objects.order_by("id").values_list("id", *FILE_COLUMNS, "is_supplement")) == [
        (october, "bills/2026/11/zto.csv", "中通10月账单.csv", "a" * 64, 2048, 1, 2, READ_INFO, alice, UPLOADED,
         made["period_id"], None, None, False),
        (extra, "bills/2026/11/zto-9.xlsx", "中通9月补充.xlsx", "b" * 64, 512, 0, 0, {}, None, UPLOADED, None, DELETED, bob, True),
        (newer.id, "bills/x.csv", "中通11月账单.csv", "f" * 64, 10, 0, 0, {}, None, newer.uploaded_at, None, None, None, False),
    ]
    assert list(OldRejectedRow.objects.order_by("id").values_list("id", "bill_id", "row_no", "reason_code")) == [
        (made["rejected_ids"][0], october, 5, "fee_invalid"), (made["rejected_ids"][1], october, 6, "waybill_scientific"),
    ]
    assert list(OldColumnMapping.objects.values_list("courier_id", "mapping", "updated_by_id", "updated_at")) == [
        (made["courier_id"], {"waybill_no": "单号"}, alice, MAPPED),
    ]
    assert dict(OldDiscrepancy.objects.values_list("id", "bill_id")) == {from_bill: october, no_bill: None}
    # The bill's own id counts on from the highest again.
    again = OldBill.objects.create(courier_id=made["courier_id"], period_start=date(2026, 12, 1), period_end=date(2026, 12, 31),
                                   file="bills/y.csv", original_filename="y.csv", sha256="9" * 64, size_bytes=1)
    assert again.id == newer.id + 1
