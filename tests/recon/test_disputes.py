"""Disputes (对账差异单) end to end: a real reconciled bill, the file the courier gets, the courier's reply, pages and API."""
from __future__ import annotations

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from rest_framework.test import APIClient

from couriers.demo_data import generate, write_messy_csv
from couriers.models import CourierBillLine
from recon.disputes.services import discrepancies_from_query, dispute_create, dispute_selection
from recon.disputes.replies import dispute_answer_record, dispute_reply_import
from recon.disputes.filters import DisputeFilter
from recon.core.errors import UserFacingError
from recon.core.models import AuditEvent, Discrepancy, Dispute, DisputeItem, ReconPeriod
from recon.kinds import type_choices
from recon.periods.services import period_get_or_create
from tests.couriers.test_bill_reconciliation import load_shipments, submit_and_run
from tests.factories import CourierFactory, DiscrepancyFactory, UserFactory

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
with translation.override("zh-hans"):
    ZH = {value: str(label) for value, label in type_choices()}

# The courier-fee types whose money is information (couriers/kind.py), and the dispute sheet's headers, as a user sees them.
INFORMATIONAL_TYPES = {"rate_undercharge", "no_rate", "not_billed"}
SHEET_COLUMNS = ["运单号", "账单行号", "揽收日期", "账单重量(kg)", "我方重量(kg)", "账单运费", "应收运费", "差额", "差异类型", "说明",
                 "确认退款金额", "回复说明"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def role_user(django_user_model, username: str, role: str):
    return UserFactory(username=username, role=role, first_name=username.title())


@pytest.fixture
def ops(django_user_model):
    return role_user(django_user_model, "dispute-olga", "ops")


@pytest.fixture
def ops_2(django_user_model):
    return role_user(django_user_model, "dispute-boris", "ops")


@pytest.fixture
def manager(django_user_model):
    return role_user(django_user_model, "dispute-mia", "manager")


@pytest.fixture
def auditor(django_user_model):
    return role_user(django_user_model, "dispute-ada", "auditor")


@pytest.fixture
def finance(django_user_model):
    return role_user(django_user_model, "dispute-fred", "finance")


@pytest.fixture
def demo(demo_rate_card, zto, no_enqueue, tmp_path):
    """October's ZTO bill with injected errors of every type, reconciled through the real services."""
    data = generate(300, seed=21, error_rate=0.16)
    load_shipments(data)
    path = tmp_path / "zto-2026-10.csv"
    write_messy_csv(data.bill, path, encoding="gbk")
    run = submit_and_run(path, zto)
    assert run.status == "succeeded", run.error
    claims = {t: e for t, e in data.expected.items() if t not in INFORMATIONAL_TYPES and e["count"]}
    zero = dict.fromkeys(claims, 0)
    for t in Discrepancy.objects.filter(run=run, amount_at_stake__lte=0).exclude(type__in=INFORMATIONAL_TYPES).values_list("type", flat=True):
        zero[t] += 1
    bill = data.bill.set_index("运单号")
    ships = data.shipments.set_index("waybill_no")
    return SimpleNamespace(data=data, run=run, claims=claims, zero=zero, bill=bill, ships=ships)


def yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def create(user, query: str, note: str = "") -> Dispute:
    return dispute_create(discrepancies=discrepancies_from_query(query=query, user=user), user=user, note=note)


def read_book(dispute: Dispute) -> openpyxl.Workbook:
    with dispute.file.open("rb") as fh:
        return openpyxl.load_workbook(io.BytesIO(fh.read()))


def sheet_rows(ws) -> list[dict]:
    """Data rows of a type sheet as dicts keyed by header, without the totals row."""
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    return [dict(zip(header, r)) for r in rows[1:] if r[0] != "合计"]


def upload(book: openpyxl.Workbook, name: str = "中通回复.xlsx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


def csv_upload(text: str, name: str = "中通回复.csv", encoding: str = "gbk") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


# --------------------------------------------------------------------------- creating a dispute


def test_a_dispute_takes_every_open_claim_of_the_filter_and_leaves_out_the_rest(demo, ops):
    before_events = AuditEvent.objects.count()
    dispute = create(ops, "courier=ZTO", note="请核实十月账单")

    expected_items = sum(e["count"] for e in demo.claims.values()) - sum(demo.zero.values())
    expected_claimed = yuan(sum(e["amount_fen"] for e in demo.claims.values()))
    informational = sum(e["count"] for t, e in demo.data.expected.items() if t in INFORMATIONAL_TYPES)
    assert dispute.number == f"ZTO-{timezone.localdate():%Y%m%d}-001"
    assert dispute.item_count == expected_items == DisputeItem.objects.filter(dispute=dispute).count()
    assert dispute.amount_claimed == expected_claimed
    assert sum(DisputeItem.objects.filter(dispute=dispute).values_list("amount_claimed", flat=True)) == expected_claimed
    assert dispute.left_out == {k: v for k, v in {"informational": informational, "no_stake": sum(demo.zero.values())}.items() if v}
    assert dispute.status == "sent" and dispute.note == "请核实十月账单" and dispute.created_by == ops

    disputed = Discrepancy.objects.filter(run=demo.run, status="disputed")
    assert disputed.count() == expected_items
    assert set(disputed.values_list("dispute_id", flat=True)) == {dispute.id}
    assert not Discrepancy.objects.filter(run=demo.run, type__in=INFORMATIONAL_TYPES).exclude(status="open").exists()
    assert not Discrepancy.objects.filter(run=demo.run, amount_at_stake__lte=0).exclude(status="open").exists()

    events = AuditEvent.objects.order_by("id")[before_events:]
    row_events = [e for e in events if e.object_type == "discrepancy"]
    assert len(row_events) == expected_items and {e.action for e in row_events} == {"dispute"}
    assert row_events[0].changes["status"] == ["open", "disputed"] and row_events[0].changes["dispute_id"] == [None, dispute.id]
    assert row_events[0].actor_name == "dispute-olga" and row_events[0].note == dispute.number
    [event] = [e for e in events if e.object_type == "dispute"]
    assert event.action == "create" and event.changes["amount_claimed"] == [None, f"{expected_claimed:.2f}"]


def test_numbers_count_per_courier_and_day(demo, ops):
    day = f"{timezone.localdate():%Y%m%d}"
    first = create(ops, "courier=ZTO&type=rate_overcharge")
    second = create(ops, "courier=ZTO&type=weight_overcharge")
    assert (first.number, second.number) == (f"ZTO-{day}-001", f"ZTO-{day}-002")
    assert first.item_count == demo.claims["rate_overcharge"]["count"] - demo.zero["rate_overcharge"]
    assert first.amount_claimed == yuan(demo.claims["rate_overcharge"]["amount_fen"])


def test_what_is_already_disputed_stays_out_of_the_next_dispute(demo, ops):
    first = create(ops, "courier=ZTO&type=weight_overcharge")
    with pytest.raises(UserFacingError) as err:
        create(ops, "courier=ZTO&type=weight_overcharge")
    assert err.value.code == "nothing_to_dispute"
    assert err.value.details["left_out"] == {"disputed": first.item_count}


def test_mixed_couriers_are_refused_and_nothing_changes(demo, ops):
    other = DiscrepancyFactory(run__courier=CourierFactory(code="YTO"), waybill_no="YT0000000001", amount_at_stake=Decimal("1.20"),
                               billed_fee=Decimal("4.20"))
    zto_row = Discrepancy.objects.filter(run=demo.run, type="rate_overcharge").first()
    with pytest.raises(UserFacingError) as err:
        dispute_create(discrepancies=Discrepancy.objects.filter(id__in=[zto_row.id, other.id]), user=ops)
    assert err.value.code == "mixed_couriers" and err.value.details["couriers"] == ["YTO", "ZTO"]
    assert Dispute.objects.count() == 0
    assert not Discrepancy.objects.exclude(status="open").exists()


def november_claim(demo) -> Discrepancy:
    """A ZTO claim of November beside the October bill's, as a second bill's run would leave it."""
    row = Discrepancy.objects.filter(run=demo.run, type="rate_overcharge").order_by("id").first()
    november = period_get_or_create(counterparty=row.counterparty, start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 30))
    return Discrepancy.objects.create(
        run=demo.run, kind="courier_fee", counterparty=row.counterparty, source=row.source, period=november, type="rate_overcharge",
        ref="75100000000001", source_line=1, amount_at_stake=Decimal("2.00"), theirs_amount=Decimal("6.00"), reason="—", is_claim=True,
    )


def test_a_selection_of_two_periods_is_refused_naming_them_and_nothing_changes(demo, ops):
    november = november_claim(demo)
    october = Discrepancy.objects.filter(run=demo.run, type="rate_overcharge").order_by("id").first()
    with pytest.raises(UserFacingError) as err:
        dispute_create(discrepancies=Discrepancy.objects.filter(id__in=[november.id, october.id]), user=ops)
    assert err.value.code == "mixed_periods" and err.value.http_status == 400
    assert err.value.details == {"periods": ["2026-10", "2026-11"]}
    assert err.value.message == "一张差异单只对应一个对账期间，但所选差异涉及 2026-10, 2026-11。请先按对账期间筛选。"
    with translation.override("en"):
        selection = dispute_selection(discrepancies=discrepancies_from_query(query="courier=ZTO", user=ops), user=ops)
    assert selection.problem.message == (
        "A dispute is for one period, but this selection has discrepancies of 2026-10, 2026-11. Filter the queue by period first.")
    assert Dispute.objects.count() == 0
    assert not Discrepancy.objects.exclude(status="open").exists()

    # One period at a time goes through, and the dispute records it.
    dispute = create(ops, f"courier=ZTO&period={november.period_id}")
    assert (dispute.period_id, dispute.item_count, dispute.amount_claimed) == (november.period_id, 1, Decimal("2.00"))
    assert create(ops, "courier=ZTO").period_id == demo.run.courier_bill.period_id


def test_a_closed_period_is_refused(demo, ops):
    ReconPeriod.objects.filter(pk=demo.run.courier_bill.period_id).update(status="closed")
    with pytest.raises(UserFacingError) as err:
        create(ops, "courier=ZTO")
    assert err.value.code == "period_closed" and err.value.http_status == 409
    assert Dispute.objects.count() == 0 and not Discrepancy.objects.filter(status="disputed").exists()


def test_ops_may_not_dispute_rows_assigned_to_someone_else(demo, ops, ops_2, manager):
    theirs = list(Discrepancy.objects.filter(run=demo.run, type="cancelled_shipment_charged").values_list("id", flat=True))
    Discrepancy.objects.filter(id__in=theirs).update(assignee=ops_2)
    with pytest.raises(UserFacingError) as err:
        create(ops, f"courier=ZTO&assignee={ops_2.username}")
    assert err.value.code == "forbidden" and err.value.http_status == 403

    mine = create(ops, "courier=ZTO")
    assert mine.left_out["not_yours"] == len(theirs)
    assert not DisputeItem.objects.filter(discrepancy_id__in=theirs).exists()
    assert set(Discrepancy.objects.filter(id__in=theirs).values_list("status", "assignee_id")) == {("open", ops_2.id)}
    # A manager works anyone's rows.
    assert create(manager, f"assignee={ops_2.username}").item_count == len(theirs)


def test_who_may_not_manage_disputes_cannot_create_one(demo, finance, auditor):
    for user in (finance, auditor):
        with pytest.raises(UserFacingError) as err:
            create(user, "courier=ZTO")
        assert err.value.http_status == 403
    assert Dispute.objects.count() == 0


def test_an_empty_or_invalid_filter_is_refused(demo, ops):
    for query, code in (("", "empty_selection"), ("ordering=-amount_at_stake&page=2", "empty_selection"),
                        ("amount_min=lots", "invalid_filter")):
        with pytest.raises(UserFacingError) as err:
            discrepancies_from_query(query=query, user=ops)
        assert err.value.code == code, query


def test_the_preview_counts_what_would_go_in_per_type(demo, ops):
    selection = dispute_selection(discrepancies=discrepancies_from_query(query="courier=ZTO", user=ops), user=ops)
    assert selection.problem is None and selection.counterparty.code == "ZTO"
    got = {row["type"]: (row["count"], row["amount"]) for row in selection.by_type}
    assert got == {t: (e["count"] - demo.zero[t], yuan(e["amount_fen"])) for t, e in demo.claims.items() if e["count"] - demo.zero[t]}
    assert Dispute.objects.count() == 0 and not Discrepancy.objects.filter(status="disputed").exists()


# --------------------------------------------------------------------------- the file the courier gets


def test_the_dispute_file_has_a_cover_of_totals_and_one_sheet_per_type(demo, ops):
    dispute = create(ops, "courier=ZTO")
    book = read_book(dispute)
    types = [t for t, _label in type_choices() if t in demo.claims and demo.claims[t]["count"] - demo.zero[t]]
    assert book.sheetnames == ["汇总"] + [ZH[t] for t in types]

    cover = [list(r) for r in book["汇总"].iter_rows(values_only=True)]
    assert cover[0][0] == "对账差异单"
    facts = {r[0]: r[1] for r in cover[1:9] if r[0]}
    assert facts["快递公司"] == "中通" and facts["差异单号"] == dispute.number
    assert facts["对账期间"] == "2026-10-01 至 2026-10-31"
    assert [r[0] for r in cover[2:7]] == ["快递公司", "差异单号", "对账期间", "日期", "制单人"]
    assert facts["日期"] == f"{timezone.localdate():%Y-%m-%d}" and facts["制单人"] == "Dispute-Olga"
    start = next(i for i, r in enumerate(cover) if r[:3] == ["差异类型", "笔数", "差额合计"])
    totals = {r[0]: (r[1], Decimal(str(r[2]))) for r in cover[start + 1 : start + 2 + len(types)]}
    for t in types:
        assert totals[ZH[t]] == (demo.claims[t]["count"] - demo.zero[t], yuan(demo.claims[t]["amount_fen"])), t
    assert totals["合计"] == (dispute.item_count, dispute.amount_claimed)
    assert book["汇总"].cell(start + 2, 3).number_format == "0.00"

    for t in types:
        ws = book[ZH[t]]
        assert [c.value for c in ws[1]] == SHEET_COLUMNS
        assert SHEET_COLUMNS[:10] == ["运单号", "账单行号", "揽收日期", "账单重量(kg)", "我方重量(kg)", "账单运费", "应收运费", "差额",
                                      "差异类型", "说明"]
        rows = sheet_rows(ws)
        assert len(rows) == demo.claims[t]["count"] - demo.zero[t]
        assert sum(Decimal(str(r["差额"])) for r in rows) == yuan(demo.claims[t]["amount_fen"])
        assert {r["差异类型"] for r in rows} == {ZH[t]}
        assert all(isinstance(r["运单号"], str) and r["确认退款金额"] is None for r in rows)
        assert ws.cell(2, 1).data_type == "s" and ws.cell(2, 8).number_format == "0.00"
        assert ws.cell(2, 2).data_type == "n" and ws.cell(2, 3).number_format == "yyyy-mm-dd"
        totals_row = [c.value for c in ws[len(rows) + 2]]
        assert totals_row[0] == "合计" and Decimal(str(totals_row[7])) == yuan(demo.claims[t]["amount_fen"])

    # A weight overcharge row, checked against what the courier billed and what we shipped.
    row = sheet_rows(book[ZH["weight_overcharge"]])[0]
    line = demo.bill.loc[row["运单号"]]
    line = line.iloc[0] if isinstance(line, pd.DataFrame) else line
    assert Decimal(str(row["账单重量(kg)"])) == Decimal(line["计费重量(kg)"])
    assert Decimal(str(row["账单运费"])) == Decimal(line["运费(元)"])
    assert Decimal(str(row["我方重量(kg)"])) == Decimal(str(demo.ships.loc[row["运单号"], "weight_kg"]))
    d = Discrepancy.objects.get(run=demo.run, ref=row["运单号"], type="weight_overcharge")
    assert Decimal(str(row["应收运费"])) == d.ours_amount and Decimal(str(row["差额"])) == d.amount_at_stake
    assert row["说明"] == d.reason
    # The courier finds the charge again by its own bill's line and the day it picked the parcel up.
    assert row["账单行号"] == d.source_line and isinstance(row["账单行号"], int)
    bill_line = CourierBillLine.objects.get(bill=demo.run.courier_bill, line_no=row["账单行号"])
    assert bill_line.waybill_no == row["运单号"]
    picked_up = datetime.datetime.strptime(line["揽收时间"], "%Y-%m-%d %H:%M:%S")
    assert row["揽收日期"] == datetime.datetime.combine(picked_up.date(), datetime.time()) == datetime.datetime.combine(d.occurred_on, datetime.time())


# --------------------------------------------------------------------------- the courier's answer


def fill(book, sheet: str, answers: dict[int, tuple]) -> list[dict]:
    """Type amounts into our file's 确认退款金额/回复说明 like the courier does; returns the rows answered."""
    ws = book[sheet]
    rows = sheet_rows(ws)
    credited_col, note_col = SHEET_COLUMNS.index("确认退款金额") + 1, SHEET_COLUMNS.index("回复说明") + 1
    for index, (amount, note) in answers.items():
        ws.cell(index + 2, credited_col, amount)
        ws.cell(index + 2, note_col, note)
        rows[index]["credited"] = amount
    return [rows[i] for i in answers]


def test_the_courier_fills_our_file_full_partial_and_refused_back_to_the_queue(demo, ops):
    dispute = create(ops, "courier=ZTO")
    book = read_book(dispute)
    rate = sheet_rows(book[ZH["rate_overcharge"]])
    full_amount = float(rate[0]["差额"])
    partial_amount = float(Decimal(str(rate[1]["差额"])) - Decimal("0.01"))
    answered = fill(book, ZH["rate_overcharge"], {0: (full_amount, "同意"), 1: (partial_amount, "部分同意"), 2: (0, "按合同计费")})
    answered += fill(book, ZH["weight_overcharge"], {0: (float(sheet_rows(book[ZH["weight_overcharge"]])[0]["差额"]), "")})
    events = AuditEvent.objects.count()

    result = dispute_reply_import(dispute=dispute, file=upload(book), filename="中通回复.xlsx", refused_to="queue", user=ops)

    recovered = sum(Decimal(str(r["credited"])) for r in answered)
    assert (result["answered"], result["credited"], result["partial"], result["refused"]) == (4, 2, 1, 1)
    assert result["recovered"] == f"{recovered:.2f}" and result["pending"] == dispute.item_count - 4
    # Rows left blank are listed by sheet and row, and so is each sheet's totals row.
    blank = [s for s in result["skipped"] if s["waybill_no"]]
    totals = [s for s in result["skipped"] if not s["waybill_no"]]
    assert len(blank) == dispute.item_count - 4 and all(s["row"] >= 2 and s["sheet"] for s in blank)
    assert [(s["sheet"], s["row"]) for s in totals] == [(ws.title, ws.max_row) for ws in book.worksheets[1:]]

    def state(row, type_):
        d = Discrepancy.objects.get(run=demo.run, ref=row["运单号"], type=type_)
        item = DisputeItem.objects.get(dispute=dispute, discrepancy=d)
        return d, item

    d, item = state(answered[0], "rate_overcharge")
    assert (item.answer, item.amount_credited, d.status, d.outcome, d.recovered_amount) == (
        "credited", d.amount_at_stake, "resolved", "recovered", d.amount_at_stake)
    d, item = state(answered[1], "rate_overcharge")
    assert (item.answer, d.status, d.outcome) == ("partial", "resolved", "recovered")
    assert item.amount_credited == d.recovered_amount == d.amount_at_stake - Decimal("0.01")
    assert item.courier_note == "部分同意"
    d, item = state(answered[2], "rate_overcharge")
    assert (item.answer, item.amount_credited, d.status, d.outcome, d.recovered_amount, d.dispute_id) == (
        "refused", Decimal("0.00"), "open", "", None, dispute.id)
    assert item.courier_note == "按合同计费"
    d, item = state(answered[3], "weight_overcharge")
    assert (item.answer, d.outcome) == ("credited", "recovered")

    dispute.refresh_from_db()
    assert dispute.status == "answered" and dispute.answered_at is not None
    assert dispute.amount_credited == recovered
    assert dispute.reply_file.name.endswith(".xlsx")
    new = AuditEvent.objects.order_by("id")[events:]
    assert sorted(e.action for e in new if e.object_type == "discrepancy") == ["resolve", "resolve", "resolve", "status"]
    assert [e.action for e in new if e.object_type == "dispute"] == ["answer"]
    refused = next(e for e in new if e.action == "status")
    assert refused.changes["status"] == ["disputed", "open"] and refused.changes["dispute_answer"] == [None, "refused"]


def test_a_courier_csv_with_its_own_columns_refused_to_accepted(demo, ops):
    dispute = create(ops, "courier=ZTO&type=weight_overcharge")
    items = list(DisputeItem.objects.filter(dispute=dispute).select_related("discrepancy").order_by("-amount_claimed", "id"))
    first, second = items[0], items[1]
    text = ("中通快递差异回复\n"
            "运单号,同意金额,备注\n"
            f"{first.discrepancy.ref},￥{first.amount_claimed},已退款\n"
            f"{second.discrepancy.ref},0,重量无误\n"
            "合计,,\n")
    with translation.override("en"):
        result = dispute_reply_import(dispute=dispute, file=csv_upload(text), filename="回复.csv", refused_to="accepted", user=ops)
    assert (result["credited"], result["refused"], result["pending"]) == (1, 1, len(items) - 2)
    assert result["skipped"] == [{"sheet": "", "row": 5, "waybill_no": "", "reason": "totals row"}]
    d = Discrepancy.objects.get(pk=second.discrepancy_id)
    assert (d.status, d.outcome, d.outcome_reason, d.recovered_amount) == ("resolved", "accepted", "courier refused: 重量无误", None)
    dispute.refresh_from_db()
    assert dispute.amount_credited == first.amount_claimed


def test_a_reply_with_an_unknown_waybill_is_rejected_with_its_row_and_nothing_changes(demo, ops):
    dispute = create(ops, "courier=ZTO&type=rate_overcharge")
    item = DisputeItem.objects.filter(dispute=dispute).select_related("discrepancy").first()
    events = AuditEvent.objects.count()
    text = ("运单号,确认金额,说明\n"
            f"{item.discrepancy.ref},{item.amount_claimed},同意\n"
            "75999999999999,3.00,\n"
            f"{item.discrepancy.ref[:-1]}X,abc,\n")
    with pytest.raises(UserFacingError) as err:
        dispute_reply_import(dispute=dispute, file=csv_upload(text, encoding="utf-8"), filename="r.csv", refused_to="queue", user=ops)
    assert err.value.code == "answers_rejected"
    errors = err.value.details["errors"]
    assert [(e["row"], e["code"]) for e in errors] == [(3, "not_in_dispute"), (4, "invalid_amount")]
    assert errors[0]["waybill_no"] == "75999999999999"
    assert "75999999999999" in err.value.message
    dispute.refresh_from_db()
    assert (dispute.status, dispute.amount_credited, dispute.reply_file.name) == ("sent", Decimal("0.00"), "")
    assert set(DisputeItem.objects.filter(dispute=dispute).values_list("answer", flat=True)) == {"pending"}
    assert set(Discrepancy.objects.filter(dispute=dispute).values_list("status", flat=True)) == {"disputed"}
    assert AuditEvent.objects.count() == events


def test_answers_over_the_claim_or_twice_are_refused(demo, ops):
    dispute = create(ops, "courier=ZTO&type=rate_overcharge")
    item = DisputeItem.objects.filter(dispute=dispute).select_related("discrepancy").first()
    waybill = item.discrepancy.ref
    with pytest.raises(UserFacingError) as err:
        dispute_answer_record(dispute=dispute, answers=[{"waybill_no": waybill, "credited": str(item.amount_claimed + Decimal("0.01"))}],
                              refused_to="queue", user=ops)
    assert err.value.details["errors"][0]["code"] == "amount_too_large"
    dispute_answer_record(dispute=dispute, answers=[{"waybill_no": waybill, "credited": "0"}], refused_to="accepted", user=ops)
    with pytest.raises(UserFacingError) as err:
        dispute_answer_record(dispute=dispute, answers=[{"waybill_no": waybill, "credited": "1"}], refused_to="queue", user=ops)
    assert err.value.details["errors"][0]["code"] == "already_answered"


def test_a_typed_answer_reads_money_as_a_reply_file_does(demo, ops):
    dispute = create(ops, "courier=ZTO&type=rate_overcharge")
    item = DisputeItem.objects.filter(dispute=dispute).select_related("discrepancy").first()
    # Full-width digits, as a Chinese input method types them; the one money parser reads them exactly.
    typed = str(item.amount_claimed).translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    dispute_answer_record(dispute=dispute, answers=[{"waybill_no": item.discrepancy.ref, "credited": f"￥{typed}"}],
                          refused_to="queue", user=ops)
    item.refresh_from_db()
    assert item.amount_credited == item.amount_claimed


def test_one_amount_for_a_waybill_with_two_items_fills_the_bigger_claim_first(demo, ops):
    row = Discrepancy.objects.filter(run=demo.run, type="rate_overcharge").order_by("id").first()
    extra = Discrepancy.objects.create(
        run=demo.run, kind="courier_fee", counterparty=row.counterparty, source=row.source, period=row.period, type="zone_mismatch", ref=row.ref,
        source_line=row.source_line, amount_at_stake=row.amount_at_stake + Decimal("1.00"), theirs_amount=row.theirs_amount, reason="—",
        is_claim=True,
    )
    dispute = dispute_create(discrepancies=Discrepancy.objects.filter(id__in=[row.id, extra.id]), user=ops)
    credited = extra.amount_at_stake + Decimal("0.50")
    dispute_answer_record(dispute=dispute, answers=[{"waybill_no": row.ref, "credited": str(credited)}], refused_to="queue", user=ops)
    row.refresh_from_db()
    extra.refresh_from_db()
    assert extra.recovered_amount == extra.amount_at_stake and row.recovered_amount == Decimal("0.50")
    dispute.refresh_from_db()
    assert dispute.amount_credited == credited


def test_the_dispute_filter(demo, ops):
    create(ops, "courier=ZTO&type=rate_overcharge")
    answered = create(ops, "courier=ZTO&type=weight_overcharge")
    Dispute.objects.filter(pk=answered.pk).update(status="answered")
    assert DisputeFilter({"courier": "zto"}, queryset=Dispute.objects.all()).qs.count() == 2
    assert list(DisputeFilter({"status": "answered"}, queryset=Dispute.objects.all()).qs) == [answered]
    assert DisputeFilter({"courier": "YTO"}, queryset=Dispute.objects.all()).qs.count() == 0


# --------------------------------------------------------------------------- API


def test_api_create_list_file_answer_and_reply(demo, ops, django_assert_max_num_queries):
    client = api(ops)
    r = client.post("/api/v1/disputes/", {"filter": "courier=ZTO&type=rate_overcharge", "note": "请核实"}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    claims = demo.claims["rate_overcharge"]
    assert body["number"].startswith("ZTO-") and body["courier"] == "ZTO" and body["status"] == "sent"
    assert body["period"] == "2026-10"
    assert body["item_count"] == claims["count"] - demo.zero["rate_overcharge"] == len(body["items"])
    assert body["amount_claimed"] == f"{yuan(claims['amount_fen']):.2f}" and body["left_out"] == {}
    assert body["by_type"] == [{"type": "rate_overcharge", "label": body["by_type"][0]["label"], "count": body["item_count"],
                                "claimed": body["amount_claimed"], "credited": "0.00"}]
    pk = body["id"]

    with django_assert_max_num_queries(6):
        listed = client.get("/api/v1/disputes/?courier=ZTO&status=sent")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert listed.json()["results"][0]["period"] == "2026-10"
    assert client.get("/api/v1/disputes/?status=answered").json()["count"] == 0

    f = client.get(f"/api/v1/disputes/{pk}/file/")
    assert f.status_code == 200 and f["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(b"".join(f.streaming_content)))
    assert book.sheetnames == ["汇总", ZH["rate_overcharge"]]

    first, second = body["items"][0], body["items"][1]
    bad = client.post(f"/api/v1/disputes/{pk}/answers/", {"answers": [
        {"waybill_no": first["waybill_no"], "credited": first["amount_claimed"]},
        {"waybill_no": "75000000000000", "credited": "1.00"},
    ]}, format="json")
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "answers_rejected" and error["details"]["errors"][0]["row"] == 2
    assert error["details"]["errors"][0]["code"] == "not_in_dispute"

    ok = client.post(f"/api/v1/disputes/{pk}/answers/", {"refused_to": "queue", "answers": [
        {"waybill_no": first["waybill_no"], "credited": first["amount_claimed"], "note": "同意"},
        {"discrepancy_id": second["discrepancy"], "credited": "0", "note": "不同意"},
    ]}, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["result"]["credited"] == 1 and ok.json()["result"]["refused"] == 1
    assert ok.json()["dispute"]["status"] == "answered" and ok.json()["dispute"]["amount_credited"] == first["amount_claimed"]

    third = body["items"][2]
    text = f"运单号,赔付金额\n{third['waybill_no']},{third['amount_claimed']}\n"
    r = client.post(f"/api/v1/disputes/{pk}/reply/", {"file": csv_upload(text), "refused_to": "accepted"}, format="multipart")
    assert r.status_code == 200, r.content
    assert r.json()["result"]["credited"] == 1
    detail = client.get(f"/api/v1/disputes/{pk}/").json()
    answers = {i["waybill_no"]: (i["answer"], i["status"]) for i in detail["items"]}
    assert answers[third["waybill_no"]] == ("credited", "resolved")
    assert answers[second["waybill_no"]] == ("refused", "open")


def test_api_refuses_two_periods_in_the_same_shape(demo, ops):
    november_claim(demo)
    r = api(ops).post("/api/v1/disputes/", {"filter": "courier=ZTO"}, format="json")
    assert r.status_code == 400
    assert r.json() == {"error": {
        "code": "mixed_periods",
        "message": "一张差异单只对应一个对账期间，但所选差异涉及 2026-10, 2026-11。请先按对账期间筛选。",
        "details": {"periods": ["2026-10", "2026-11"]},
    }}
    assert Dispute.objects.count() == 0


def test_api_errors_have_one_shape(demo, ops, auditor):
    client = api(ops)
    other = DiscrepancyFactory(run__courier=CourierFactory(code="YTO"), waybill_no="YT0000000002", amount_at_stake=Decimal("1.00"))
    zto_id = Discrepancy.objects.filter(run=demo.run, type="rate_overcharge").values_list("id", flat=True).first()
    r = client.post("/api/v1/disputes/", {"ids": [zto_id, other.id]}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "mixed_couriers"
    r = client.post("/api/v1/disputes/", {"note": "nothing selected"}, format="json")
    assert r.status_code == 400 and set(r.json()["error"]) == {"code", "message", "details"}

    r = api(auditor).post("/api/v1/disputes/", {"filter": "courier=ZTO"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    assert api(auditor).get("/api/v1/disputes/").status_code == 200
    assert APIClient().get("/api/v1/disputes/").status_code == 401
    assert Dispute.objects.count() == 0


# --------------------------------------------------------------------------- pages


def test_pages_take_an_ops_user_from_the_queue_filter_to_recovered(demo, ops, client):
    client.force_login(ops)
    preview = client.get("/disputes/new/?courier=ZTO&type=rate_overcharge&type=no_rate")
    assert preview.status_code == 200
    selection = preview.context["selection"]
    assert selection.count == demo.claims["rate_overcharge"]["count"] - demo.zero["rate_overcharge"]
    assert selection.left_out["informational"] == demo.data.expected["no_rate"]["count"]
    assert preview.context["problem"] is None and "对账差异单" in preview.content.decode()

    created = client.post("/disputes/new/", {"query": "courier=ZTO&type=rate_overcharge&type=no_rate", "note": "十月"})
    dispute = Dispute.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/disputes/{dispute.pk}/"
    assert dispute.item_count == selection.count and dispute.note == "十月"

    page = client.get(f"/disputes/{dispute.pk}/")
    assert page.status_code == 200 and dispute.number in page.content.decode()
    assert '<span data-testid="dispute-period">2026-10</span>' in page.content.decode()
    assert client.get("/disputes/").status_code == 200
    download = client.get(f"/disputes/{dispute.pk}/file/")
    assert download.status_code == 200 and download["Content-Type"] == XLSX

    items = list(DisputeItem.objects.filter(dispute=dispute).order_by("-amount_claimed", "id"))
    too_much = client.post(f"/disputes/{dispute.pk}/answers/", {f"credited_{items[0].pk}": str(items[0].amount_claimed + 1)})
    assert too_much.status_code == 400 and too_much.context["answer_errors"][0]["item_id"] == items[0].pk
    assert DisputeItem.objects.get(pk=items[0].pk).answer == "pending"

    answered = client.post(f"/disputes/{dispute.pk}/answers/", {
        f"credited_{items[0].pk}": str(items[0].amount_claimed), f"credited_{items[1].pk}": "0", f"note_{items[1].pk}": "不认可",
        f"credited_{items[2].pk}": "", "refused_to": "queue",
    })
    assert answered.status_code == 302
    d0 = Discrepancy.objects.get(pk=items[0].discrepancy_id)
    assert (d0.status, d0.outcome, d0.recovered_amount) == ("resolved", "recovered", items[0].amount_claimed)
    assert Discrepancy.objects.get(pk=items[1].discrepancy_id).status == "open"
    assert DisputeItem.objects.get(pk=items[2].pk).answer == "pending"

    text = f"运单号,退款金额\n{items[2].discrepancy.ref},{items[2].amount_claimed}\n"
    replied = client.post(f"/disputes/{dispute.pk}/reply/", {"file": csv_upload(text), "refused_to": "queue"})
    assert replied.status_code == 302
    assert Discrepancy.objects.get(pk=items[2].discrepancy_id).outcome == "recovered"
    bad = client.post(f"/disputes/{dispute.pk}/reply/", {"file": csv_upload("运单号,退款金额\n75000000000001,1\n"), "refused_to": "queue"})
    assert bad.status_code == 400 and bad.context["answer_errors"][0]["row"] == 2

    final = client.get(f"/disputes/{dispute.pk}/").content.decode()
    dispute.refresh_from_db()
    assert dispute.amount_credited == items[0].amount_claimed + items[2].amount_claimed
    assert "已回复" in final and "全额退款" in final and "不认可" in final
    listed = client.get("/disputes/?courier=ZTO&status=answered")
    assert [d.pk for d in listed.context["page_obj"]] == [dispute.pk]


def test_pages_declare_who_may_use_them(demo, ops, auditor, finance, client):
    dispute = create(ops, "courier=ZTO&type=rate_overcharge")
    client.force_login(auditor)
    assert client.get("/disputes/").status_code == 200
    assert client.get(f"/disputes/{dispute.pk}/").status_code == 200
    assert client.get("/disputes/new/?courier=ZTO").status_code == 403
    client.force_login(finance)
    item = DisputeItem.objects.filter(dispute=dispute).first()
    assert client.post(f"/disputes/{dispute.pk}/answers/", {f"credited_{item.pk}": "0"}).status_code == 403
    assert client.post(f"/disputes/{dispute.pk}/reply/", {}).status_code == 403
    assert DisputeItem.objects.get(pk=item.pk).answer == "pending"


def test_the_preview_explains_a_problem_instead_of_offering_the_button(demo, ops, client):
    ReconPeriod.objects.filter(pk=demo.run.courier_bill.period_id).update(status="closed")
    client.force_login(ops)
    page = client.get("/disputes/new/?courier=ZTO")
    assert page.status_code == 200 and page.context["problem"].code == "period_closed"
    assert 'action="/disputes/new/"' not in page.content.decode()
    assert client.post("/disputes/new/", {"query": "courier=ZTO"}).status_code == 400
    assert Dispute.objects.count() == 0


def test_the_preview_refuses_two_periods_instead_of_offering_the_button(demo, ops, client):
    november_claim(demo)
    client.force_login(ops)
    page = client.get("/disputes/new/?courier=ZTO")
    assert page.status_code == 200 and page.context["problem"].code == "mixed_periods"
    assert "一张差异单只对应一个对账期间，但所选差异涉及 2026-10, 2026-11。请先按对账期间筛选。" in page.content.decode()
    assert 'action="/disputes/new/"' not in page.content.decode()
    assert client.post("/disputes/new/", {"query": "courier=ZTO"}).status_code == 400
    assert Dispute.objects.count() == 0
