"""A courier answers a dispute over return freight with the sheet we sent: the reply finds each row by its reference,
credits what the courier accepts, and leaves the rest as the clerk chose."""
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from recon.core.models import Discrepancy
from recon.disputes.replies import dispute_reply_import
from recon.disputes.services import dispute_create

from .test_run import reconcile, returns_files  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def answer(sheet, answers: dict[str, tuple]) -> None:
    """Fills the answer columns (I: amount, J: note) of the rows whose reference (A) the courier answers."""
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in answers:
            row[8].value, row[9].value = answers[row[0].value]


def test_the_courier_answers_return_freight_in_the_sheet_we_sent(returns_files, capsys, manager_user):  # noqa: F811
    run_id = reconcile(capsys)["run_id"]
    dispute = dispute_create(discrepancies=Discrepancy.objects.filter(run_id=run_id, type__startswith="return_freight_"),
                             user=manager_user)
    book = load_workbook(io.BytesIO(dispute.file.read()))
    assert book.sheetnames == ["汇总", "退件运费，退货未收到", "未知运单的退件运费", "退件运费重复收费", "退件运费超收"]
    assert [c.value for c in book["退件运费超收"][1]] == ["单号", "运单号", "计费日期", "账单运费", "应收运费", "差额", "差异类型",
                                                       "说明", "确认退款金额", "回复说明"]
    # The same waybill is both unknown and overcharged: each sheet answers its own row.
    answer(book["退件运费，退货未收到"], {"RT1": (8, "已退")})
    answer(book["未知运单的退件运费"], {"753000000077": (0, "有揽收记录")})
    answer(book["退件运费重复收费"], {"753000000003": (3, "重复，已退")})
    answer(book["退件运费超收"], {"753000000001": (2, "部分认可"), "753000000077": (2.4, "已退")})
    buffer = io.BytesIO()
    book.save(buffer)

    result = dispute_reply_import(dispute=dispute, file=SimpleUploadedFile("中通回复.xlsx", buffer.getvalue(), content_type=XLSX),
                                  filename="中通回复.xlsx", refused_to="queue", user=manager_user)

    assert {k: result[k] for k in ("answered", "credited", "partial", "refused", "recovered", "shortfall", "amount_credited",
                                   "pending")} == {
        "answered": 5, "credited": 3, "partial": 1, "refused": 1, "recovered": "15.40", "shortfall": "3.00",
        "amount_credited": "15.40", "pending": 0}
    states = sorted((d.type, d.ref, d.status, d.outcome, d.recovered_amount)
                    for d in Discrepancy.objects.filter(run_id=run_id, type__startswith="return_freight_"))
    assert states == [
        ("return_freight_duplicate", "753000000003", "resolved", "recovered", Decimal("3.00")),
        ("return_freight_not_received", "RT1", "resolved", "recovered", Decimal("8.00")),
        ("return_freight_overcharge", "753000000001", "resolved", "recovered", Decimal("2.00")),
        ("return_freight_overcharge", "753000000077", "resolved", "recovered", Decimal("2.40")),
        ("return_freight_unknown", "753000000077", "open", "", None),
    ]
    dispute.refresh_from_db()
    assert (dispute.status, dispute.amount_credited) == ("answered", Decimal("15.40"))
