"""A courier bill is a source file of the core: same id, file kind "courier_bill", the courier's counterparty, the mapping
it was read with, remembered per courier for the next upload; its delete and restore are the core's, worded as before."""
import pytest

from couriers.models import CourierBill
from couriers.services import courier_bill_delete, courier_bill_restore, courier_bill_submit
from recon.runs import services as run_services
from recon.core.errors import UserFacingError
from recon.core.models import AuditEvent, ColumnMapping, Discrepancy, ReconRun, SourceFile

pytestmark = pytest.mark.django_db

# "单据编码" is no name the reader knows for the waybill column: only a mapping finds it.
ODD_HEADER = "单据编码,揽收时间,目的省份,计费重量(kg),运费(元)\n"


def upload(tmp_path, zto, name, body, period, **kw):
    path = tmp_path / name
    path.write_text(ODD_HEADER + body, encoding="utf-8")
    with open(path, "rb") as fh:
        submission = courier_bill_submit(file=fh, filename=name, courier=zto, period=period, **kw)
    run_services.run_execute(run_id=submission.run.id)
    return ReconRun.objects.get(id=submission.run.id)


def test_a_bill_is_a_source_file_and_its_mapping_is_remembered(demo_rate_card, zto, finance_user, no_enqueue, tmp_path):
    first = upload(tmp_path, zto, "zto-10.csv", "ZT0000000001,2026-10-03,广东省,1,3.00\n", "2026-10",
                   mapping={"waybill_no": "单据编码"}, user=finance_user)
    assert first.status == "succeeded", first.error
    bill = first.courier_bill
    source = SourceFile.objects.get(pk=bill.pk)
    assert (source.file_kind, source.counterparty_id, source.original_filename, source.sha256, source.line_count) == (
        "courier_bill", zto.counterparty_id, "zto-10.csv", first.input_sha256, 1,
    )
    assert source.mapping == {"waybill_no": "单据编码"}
    assert source.period_id == bill.period_id and source.uploaded_by == finance_user
    assert list(ColumnMapping.objects.values_list("counterparty_id", "file_kind", "mapping")) == [
        (zto.counterparty_id, "courier_bill", {"waybill_no": "单据编码"}),
    ]
    # The discrepancies name the bill as their source file (the queue's `bill` filter reads it).
    assert set(Discrepancy.objects.filter(run=first).values_list("source_id", flat=True)) == {bill.pk}

    # November's file has the same odd header and no mapping: the remembered one reads it.
    second = upload(tmp_path, zto, "zto-11.csv", "ZT0000000002,2026-11-03,广东省,1,3.00\n", "2026-11", user=finance_user)
    assert second.status == "succeeded", second.error
    assert (second.courier_bill.line_count, second.courier_bill.mapping) == (1, {"waybill_no": "单据编码"})


def test_the_same_file_again_points_to_its_bill(demo_rate_card, zto, no_enqueue, tmp_path):
    run = upload(tmp_path, zto, "zto-10.csv", "ZT0000000001,2026-10-03,广东省,1,3.00\n", "2026-10", mapping={"waybill_no": "单据编码"})
    path = tmp_path / "zto-10.csv"
    with open(path, "rb") as fh:
        again = courier_bill_submit(file=fh, filename="copy.csv", courier=zto, period="2026-10")
    assert (again.duplicate, again.bill.pk, again.run.id) == (True, run.courier_bill_id, run.id)
    assert CourierBill.objects.count() == 1 and SourceFile.objects.count() == 1


def test_a_bills_delete_and_restore_keep_their_words(demo_rate_card, zto, manager_user, no_enqueue, tmp_path):
    run = upload(tmp_path, zto, "zto-10.csv", "ZT0000000001,2026-10-03,广东省,1,3.00\n", "2026-10", mapping={"waybill_no": "单据编码"})
    bill = run.courier_bill
    courier_bill_delete(bill=bill, user=manager_user)
    with pytest.raises(UserFacingError) as again:
        courier_bill_delete(bill=bill, user=manager_user)
    assert (again.value.code, again.value.message) == ("bill_deleted", "该账单已删除。")
    assert CourierBill.objects.filter(deleted_at__isnull=True).count() == 0
    courier_bill_restore(bill=bill, user=manager_user)
    with pytest.raises(UserFacingError) as not_deleted:
        courier_bill_restore(bill=bill, user=manager_user)
    assert (not_deleted.value.code, not_deleted.value.message) == ("bill_not_deleted", "该账单未被删除。")
    assert list(AuditEvent.objects.filter(object_type="courier_bill", object_id=bill.pk).order_by("id").values_list("action", flat=True)) == [
        "create", "delete", "restore",
    ]
