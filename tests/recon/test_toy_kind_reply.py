"""A kind declared only in the tests is answered with a file: the shop fills in the dispute sheet we sent (or its own
table) and the reply finds each row by the kind's reply key, not by a waybill number."""
import dataclasses
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from openpyxl import load_workbook

from recon.disputes import replies, sheets
from recon.disputes.services import dispute_create
from recon.disputes.replies import dispute_reply_import
from recon.core.errors import UserFacingError
from recon.core.models import Counterparty, Discrepancy, DisputeItem, ReconRun
from recon.periods.services import period_get_or_create
from tests.recon import toy_kind

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def toy_dispute(spec_path: str, user):
    """A shop's October with two refunds we are owed (¥12.50 and ¥3.00) and a note, the refunds in a dispute."""
    shop = Counterparty.objects.create(kind="shop", code="TMALL1", name="天猫旗舰店")
    period = period_get_or_create(counterparty=shop, start=date(2026, 10, 1), end=date(2026, 10, 31))
    run = ReconRun.objects.create(kind="toy", counterparty=shop, status="succeeded", phase="done",
                                  period_start=period.start, period_end=period.end)
    for ref, type_, stake, claim, card in [("R1", "toy_refund_missing", "12.50", True, "C-1"),
                                           ("R2", "toy_refund_missing", "3.00", True, "C-2"),
                                           ("N1", "toy_note", "0.80", False, "C-3")]:
        Discrepancy.objects.create(run=run, kind="toy", type=type_, counterparty=shop, period=period, ref=ref, is_claim=claim,
                                   amount_at_stake=Decimal(stake), carry_key=f"{type_}|{ref}", reason=f"{type_} {ref}",
                                   details={"card_id": card})
    with override_settings(RECON_EXTRA_KINDS={"toy": spec_path}):
        return dispute_create(discrepancies=Discrepancy.objects.filter(kind="toy"), user=user)


def rows_of(book, sheet: str) -> list[list]:
    return [[c.value for c in r] for r in book[sheet].iter_rows()]


def xlsx_upload(book, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


def states() -> dict:
    return {d.ref: (d.status, d.outcome, d.recovered_amount) for d in Discrepancy.objects.filter(kind="toy").order_by("ref")}


def test_the_shop_fills_in_the_sheet_we_sent_and_the_reply_resolves_by_reference(manager_user):
    dispute = toy_dispute("tests.recon.toy_kind.SPEC", manager_user)
    book = load_workbook(io.BytesIO(dispute.file.read()))
    sheet = book["Refund missing"]
    assert [c.value for c in sheet[1]] == ["单号", "差额", "差异类型", "说明", "确认退款金额", "回复说明"]
    # As the shop would: R1 refunded in full, R2 in part (columns E and F are the answer columns).
    sheet["E2"], sheet["F2"] = 12.5, "已退款"
    sheet["E3"], sheet["F3"] = 1.25, "部分退款"

    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.SPEC"}), translation.override("en"):
        result = dispute_reply_import(dispute=dispute, file=xlsx_upload(book, "天猫回复.xlsx"), filename="天猫回复.xlsx",
                                      refused_to="queue", user=manager_user)

    assert result == {"answered": 2, "credited": 1, "partial": 1, "refused": 0, "refused_to": "queue", "recovered": "13.75",
                      "shortfall": "1.75", "amount_credited": "13.75", "pending": 0,
                      "skipped": [{"sheet": "Refund missing", "row": 4, "waybill_no": "", "reason": "totals row"}]}
    assert states() == {"N1": ("open", "", None), "R1": ("resolved", "recovered", Decimal("12.50")),
                        "R2": ("resolved", "recovered", Decimal("1.25"))}
    items = DisputeItem.objects.filter(dispute=dispute).order_by("discrepancy__ref")
    assert [(i.discrepancy.ref, i.answer, i.amount_credited, i.courier_note) for i in items] == [
        ("R1", "credited", Decimal("12.50"), "已退款"), ("R2", "partial", Decimal("1.25"), "部分退款")]
    dispute.refresh_from_db()
    assert (dispute.status, dispute.amount_credited) == ("answered", Decimal("13.75"))


def test_the_shops_own_table_names_the_reference_its_way_and_is_read_as_trimmed_upper_case(manager_user):
    dispute = toy_dispute("tests.recon.toy_kind.REPLYING_SPEC", manager_user)
    text = "退款单号,同意金额,备注\n r1 ,12.50,已退\nr2,0,不同意\n"
    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.REPLYING_SPEC"}):
        result = dispute_reply_import(dispute=dispute, file=SimpleUploadedFile("reply.csv", text.encode("utf-8")),
                                      filename="reply.csv", refused_to="accepted", user=manager_user)
    assert (result["credited"], result["refused"], result["recovered"], result["skipped"]) == (1, 1, "12.50", [])
    assert states() == {"N1": ("open", "", None), "R1": ("resolved", "recovered", Decimal("12.50")),
                        "R2": ("resolved", "accepted", None)}


def test_a_reply_naming_an_unknown_or_no_reference_is_refused_row_by_row_in_the_kinds_words(manager_user):
    dispute = toy_dispute("tests.recon.toy_kind.SPEC", manager_user)
    text = "单号,确认退款金额\nR1,12.50\nR9,1.00\n,2.00\n"
    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.SPEC"}), translation.override("en"):
        with pytest.raises(UserFacingError) as err:
            dispute_reply_import(dispute=dispute, file=SimpleUploadedFile("reply.csv", text.encode("utf-8")),
                                 filename="reply.csv", refused_to="queue", user=manager_user)
    assert err.value.code == "answers_rejected"
    assert err.value.details["errors"] == [
        {"sheet": "", "row": 3, "waybill_no": "R9", "code": "not_in_dispute", "message": f"Reference R9 is not in dispute {dispute.number}."},
        {"sheet": "", "row": 4, "waybill_no": "", "code": "ref_missing", "message": "Reference is empty"},
    ]
    assert states()["R1"] == ("disputed", "", None)


def test_a_sheet_whose_kind_shows_no_reference_column_gets_one_and_can_be_answered(manager_user):
    dispute = toy_dispute("tests.recon.toy_kind.NO_REF_COLUMN_SPEC", manager_user)
    book = load_workbook(io.BytesIO(dispute.file.read()))
    # The added column leads and is named by the kind's own label for its reference (its export column "Reference").
    assert rows_of(book, "Refund missing") == [
        ["Reference", "卡号", "差额", "差异类型", "说明", "确认退款金额", "回复说明"],
        ["R1", "C-1", 12.5, "Refund missing", "toy_refund_missing R1", None, None],
        ["R2", "C-2", 3, "Refund missing", "toy_refund_missing R2", None, None],
        ["合计", None, 15.5, None, None, None, None],
    ]
    book["Refund missing"]["F3"] = 3
    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.NO_REF_COLUMN_SPEC"}):
        result = dispute_reply_import(dispute=dispute, file=xlsx_upload(book, "reply.xlsx"), filename="reply.xlsx",
                                      refused_to="queue", user=manager_user)
    assert (result["answered"], result["recovered"], result["pending"]) == (1, "3.00", 1)
    assert states()["R2"] == ("resolved", "recovered", Decimal("3.00"))


def test_a_reference_no_column_of_the_kind_names_is_headed_in_chinese():
    bare = dataclasses.replace(toy_kind.NO_REF_COLUMN_SPEC, export_columns=())
    assert (sheets.reply_column(bare).label, sheets.reply_column(bare).attr) == ("单号", "ref")
    assert sheets.reply_column(toy_kind.SPEC) is toy_kind.SPEC.dispute_columns[0]


def test_a_reply_without_the_reference_column_is_refused_with_the_columns_it_needs(manager_user):
    dispute = toy_dispute("tests.recon.toy_kind.SPEC", manager_user)
    text = "运单号,确认退款金额\n75000000000001,1\n"
    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.SPEC"}), translation.override("en"):
        with pytest.raises(UserFacingError) as err:
            dispute_reply_import(dispute=dispute, file=SimpleUploadedFile("reply.csv", text.encode("utf-8")),
                                 filename="reply.csv", refused_to="queue", user=manager_user)
    assert (err.value.code, err.value.message) == (
        "header_not_found", "Header not found: missing 单号 (headers seen in “reply.csv”: 运单号, 确认退款金额).")
    assert err.value.details["missing"] == ["waybill_no"]
    assert Discrepancy.objects.get(ref="R1").status == "disputed"


def test_a_courier_reply_is_still_keyed_by_every_name_of_a_waybill_column_and_read_as_waybill_numbers():
    from recon.ingest.clean import normalize_waybill
    from recon.ingest.specs import WAYBILL_SYNONYMS
    from recon.kinds import kind_spec

    spec = kind_spec("courier_fee")
    key = replies.reply_table_spec(spec).fields[0]
    assert (key.name, key.synonyms, key.required) == ("waybill_no", WAYBILL_SYNONYMS, True)
    assert spec.hook("reply_normalize") is normalize_waybill and spec.reply_noun == "waybill"
