"""The core's source files, for a kind that is not courier fees: duplicate by hash, rejected rows and their download,
the remembered column mapping, soft delete and restore — written once, used by courier bills and the toy kind alike."""
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings

from recon.core.errors import UserFacingError
from recon.core.models import AuditEvent, ColumnMapping, Counterparty, Discrepancy, ReconRun, RejectedRow, SourceFile
from recon.periods.services import period_close, period_get_or_create
from recon.sources.selectors import column_mapping_remembered, rejected_rows_of, source_file_duplicate
from recon.sources.services import column_mapping_remember, rejected_rows_save, source_file_delete, source_file_restore
from recon.sources.views import rejected_rows_csv
from tests.factories.couriers import CourierBillFactory

pytestmark = pytest.mark.django_db

TOY = {"toy": "tests.recon.toy_kind.SPEC"}
SHA = "c" * 64


@pytest.fixture
def toy_file(manager_user):
    """A shop's October statement (file kind "toy_file") with a run whose two rows came from it."""
    with override_settings(RECON_EXTRA_KINDS=TOY):
        shop = Counterparty.objects.create(kind="shop", code="TMALL1", name="天猫旗舰店")
        period = period_get_or_create(counterparty=shop, start=date(2026, 10, 1), end=date(2026, 10, 31))
        source = SourceFile.objects.create(
            file="sources/2026/10/tmall.xlsx", original_filename="天猫10月结算.xlsx", sha256=SHA, size_bytes=4096,
            file_kind="toy_file", counterparty=shop, period=period, line_count=2, uploaded_by=manager_user,
        )
        run = ReconRun.objects.create(kind="toy", counterparty=shop, status="succeeded", phase="done",
                                      period_start=period.start, period_end=period.end)
        rows = [
            Discrepancy.objects.create(run=run, kind="toy", type="toy_refund_missing", counterparty=shop, period=period,
                                       source=source, source_line=line, ref=ref, amount_at_stake=Decimal(stake),
                                       is_claim=True, reason=f"refund {ref}")
            for line, ref, stake in ((1, "R1", "12.50"), (2, "R2", "3.00"))
        ]
        yield {"shop": shop, "period": period, "source": source, "run": run, "rows": rows}


def test_the_duplicate_of_an_upload_is_found_per_file_kind(toy_file, zto):
    source = toy_file["source"]
    assert source_file_duplicate(file_kind="toy_file", sha256=SHA) == source
    assert source_file_duplicate(file_kind="toy_file", sha256="d" * 64) is None
    # The same bytes as another kind's file are no duplicate: a courier bill may carry them.
    assert source_file_duplicate(file_kind="courier_bill", sha256=SHA) is None
    bill = CourierBillFactory(courier=zto, sha256=SHA)
    assert (bill.file_kind, bill.counterparty_id) == ("courier_bill", zto.counterparty_id)
    assert source_file_duplicate(file_kind="courier_bill", sha256=SHA).pk == bill.pk
    # Within a kind the database refuses a second copy even when two uploads race past the check.
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFile.objects.create(file="sources/x", original_filename="again.xlsx", sha256=SHA, size_bytes=4096,
                                  file_kind="toy_file", counterparty=toy_file["shop"])


def test_a_deleted_file_leaves_the_queue_and_a_restore_brings_its_run_back(toy_file, manager_user):
    source, run = toy_file["source"], toy_file["run"]
    source_file_delete(source=source, user=manager_user)
    source.refresh_from_db()
    assert source.deleted_by == manager_user and source.deleted_at is not None
    assert list(Discrepancy.objects.filter(run=run).order_by("id").values_list("ref", "is_current")) == [("R1", False), ("R2", False)]
    deleted = AuditEvent.objects.get(object_type="source_file", object_id=source.pk, action="delete")
    assert (deleted.actor_name, deleted.changes) == ("carol", {"deleted_at": [None, source.deleted_at.isoformat()]})

    with pytest.raises(UserFacingError) as again:
        source_file_delete(source=source, user=manager_user)
    assert (again.value.code, again.value.message, again.value.http_status) == ("source_file_deleted", "该文件已删除。", 409)

    before = source.deleted_at.isoformat()
    source_file_restore(source=source, user=manager_user, current_run_id=run.id)
    source.refresh_from_db()
    assert (source.deleted_at, source.deleted_by) == (None, None)
    assert list(Discrepancy.objects.filter(run=run).order_by("id").values_list("ref", "is_current")) == [("R1", True), ("R2", True)]
    restored = AuditEvent.objects.get(object_type="source_file", object_id=source.pk, action="restore")
    assert restored.changes == {"deleted_at": [before, None]}

    with pytest.raises(UserFacingError) as not_deleted:
        source_file_restore(source=source, user=manager_user, current_run_id=run.id)
    assert (not_deleted.value.code, not_deleted.value.message) == ("source_file_not_deleted", "该文件未被删除。")


def test_a_file_of_a_closed_period_is_not_deleted(toy_file, manager_user):
    source = toy_file["source"]
    Discrepancy.objects.filter(run=toy_file["run"]).update(status="resolved", outcome="written_off")
    period_close(period=toy_file["period"], user=manager_user)
    with pytest.raises(UserFacingError) as closed:
        source_file_delete(source=source, user=manager_user)
    assert closed.value.code == "period_closed"
    source.refresh_from_db()
    assert source.deleted_at is None
    assert Discrepancy.objects.filter(run=toy_file["run"], is_current=True).count() == 2


def test_rejected_rows_are_kept_listed_and_downloaded_for_any_file(toy_file):
    source = toy_file["source"]
    rejected = pd.DataFrame({
        "sheet": ["结算明细", "结算明细", "汇总"], "row_no": [7, 3, 2], "reason_code": ["amount_invalid", "ref_missing", "amount_invalid"],
        "reason": ["金额不是数字", "缺少退款单号", "金额不是数字"], "raw": ["R9,abc", ",12.50", "=SUM(A1:A3)"],
    })
    assert rejected_rows_save(source=source, rejected=rejected) == 3
    assert list(rejected_rows_of(source=source).values_list("sheet", "row_no", "reason_code", "reason", "raw")) == [
        ("汇总", 2, "amount_invalid", "金额不是数字", "=SUM(A1:A3)"),
        ("结算明细", 3, "ref_missing", "缺少退款单号", ",12.50"),
        ("结算明细", 7, "amount_invalid", "金额不是数字", "R9,abc"),
    ]
    assert list(source.rejected_rows.values_list("row_no", flat=True).order_by("row_no")) == [2, 3, 7]

    response = rejected_rows_csv(source, filename=f"toy-{source.pk}-rejected.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="toy-{source.pk}-rejected.csv"'
    # UTF-8 with a BOM for Excel; a cell that a spreadsheet would run as a formula is made text.
    assert response.content.decode("utf-8-sig").splitlines() == [
        "sheet,row_no,reason_code,reason,raw",
        "汇总,2,amount_invalid,金额不是数字,'=SUM(A1:A3)",
        '结算明细,3,ref_missing,缺少退款单号,",12.50"',
        '结算明细,7,amount_invalid,金额不是数字,"R9,abc"',
    ]
    # The rows go with their file.
    SourceFile.objects.filter(pk=source.pk).delete()
    assert not RejectedRow.objects.exists()


def test_the_mapping_is_remembered_per_counterparty_and_file_kind(toy_file, zto, manager_user):
    shop = toy_file["shop"]
    assert column_mapping_remembered(counterparty_id=shop.id, file_kind="toy_file") == {}
    column_mapping_remember(counterparty_id=shop.id, file_kind="toy_file", mapping={"ref": "退款单号"}, user=manager_user)
    # Nothing named on a later upload: what was remembered stays.
    assert column_mapping_remember(counterparty_id=shop.id, file_kind="toy_file", mapping={}) is None
    assert column_mapping_remembered(counterparty_id=shop.id, file_kind="toy_file") == {"ref": "退款单号"}
    column_mapping_remember(counterparty_id=shop.id, file_kind="toy_file", mapping={"ref": "售后单号", "amount": "退款金额"})
    assert column_mapping_remembered(counterparty_id=shop.id, file_kind="toy_file") == {"ref": "售后单号", "amount": "退款金额"}
    # Another file kind of the same counterparty, and the same kind of another counterparty, remember nothing of it.
    assert column_mapping_remembered(counterparty_id=shop.id, file_kind="toy_refunds") == {}
    assert column_mapping_remembered(counterparty_id=zto.counterparty_id, file_kind="toy_file") == {}
    assert column_mapping_remembered(counterparty_id=None, file_kind="toy_file") == {}
    assert list(ColumnMapping.objects.values_list("counterparty_id", "file_kind", "updated_by_id")) == [
        (shop.id, "toy_file", None),
    ]
