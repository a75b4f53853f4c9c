"""A kind declared only in the tests goes through the whole review life: queue, totals, dispute file and answer,
period close and export — with no change to the core (tests/recon/toy_kind.py is all there is of it)."""
import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings
from openpyxl import load_workbook

from recon.disputes.replies import dispute_answer_record
from recon.disputes.services import dispute_create
from recon.core.models import Counterparty, Discrepancy, ReconRun
from recon.periods.services import period_close, period_get_or_create

pytestmark = pytest.mark.django_db

TOY = {"toy": "tests.recon.toy_kind.SPEC"}


@pytest.fixture
def toy(db):
    """A shop's October: two refunds we are owed (¥12.50 and ¥3.00) and one note that is information."""
    with override_settings(RECON_EXTRA_KINDS=TOY):
        shop = Counterparty.objects.create(kind="shop", code="TMALL1", name="天猫旗舰店")
        period = period_get_or_create(counterparty=shop, start=date(2026, 10, 1), end=date(2026, 10, 31))
        run = ReconRun.objects.create(kind="toy", counterparty=shop, status="succeeded", phase="done",
                                      period_start=period.start, period_end=period.end)

        def row(ref, type_, stake, claim, **extra):
            return Discrepancy.objects.create(
                run=run, kind="toy", type=type_, counterparty=shop, period=period, ref=ref, amount_at_stake=Decimal(stake),
                is_claim=claim, carry_key=f"{type_}|{ref}", reason=f"{type_} {ref}", **extra)

        rows = [
            row("R1", "toy_refund_missing", "12.50", True, ref2="SO-1", details={"card_id": "C-1"}),
            row("R2", "toy_refund_missing", "3.00", True),
            row("N1", "toy_note", "0.80", False, direction="by_us"),
        ]
        yield {"shop": shop, "period": period, "run": run, "rows": rows}


def test_the_queue_lists_filters_and_totals_the_kind(toy, manager_client):
    with override_settings(RECON_EXTRA_KINDS=TOY):
        page = manager_client.get("/discrepancies/", {"kind": "toy", "courier": "TMALL1"})
        searched = manager_client.get("/discrepancies/", {"q": "SO-"})
        totals = manager_client.get("/api/v1/discrepancies/totals/", {"kind": "toy"}).json()
    assert [d.ref for d in page.context["rows"]] == ["R1", "R2", "N1"]
    assert [d.ref for d in searched.context["rows"]] == ["R1"]
    assert totals["total"]["at_stake"] == "15.50" and totals["total"]["open"] == "15.50"
    assert totals["total"]["informational"] == "0.80"
    assert [(g["courier"], g["period_start"], g["at_stake"]) for g in totals["groups"]] == [("TMALL1", "2026-10-01", "15.50")]


def test_a_dispute_is_made_answered_and_the_period_closes(toy, manager_user):
    with override_settings(RECON_EXTRA_KINDS=TOY):
        dispute = dispute_create(discrepancies=Discrepancy.objects.filter(kind="toy"), user=manager_user)
        assert dispute.number.startswith("TMALL1-") and dispute.counterparty == toy["shop"]
        assert (dispute.item_count, dispute.amount_claimed, dispute.left_out) == (2, Decimal("15.50"), {"informational": 1})

        book = load_workbook(io.BytesIO(dispute.file.read()))
        assert book.sheetnames == ["汇总", "Refund missing"]
        sheet = [[c.value for c in r] for r in book["Refund missing"].iter_rows()]
        # The kind's own column (its reference) first, then the core's, and the totals row.
        assert sheet == [
            ["单号", "差额", "差异类型", "说明", "确认退款金额", "回复说明"],
            ["R1", 12.5, "Refund missing", "toy_refund_missing R1", None, None],
            ["R2", 3, "Refund missing", "toy_refund_missing R2", None, None],
            ["合计", 15.5, None, None, None, None],
        ]

        result = dispute_answer_record(
            dispute=dispute, answers=[{"waybill_no": "R1", "credited": "12.50"}, {"waybill_no": "R2", "credited": "0"}],
            refused_to="accepted", user=manager_user,
        )
        assert result == {"answered": 2, "credited": 1, "partial": 0, "refused": 1, "refused_to": "accepted",
                          "recovered": "12.50", "shortfall": "0.00", "amount_credited": "12.50", "pending": 0}
        r1, r2, n1 = (Discrepancy.objects.get(pk=d.pk) for d in toy["rows"])
        assert (r1.status, r1.outcome, r1.recovered_amount) == ("resolved", "recovered", Decimal("12.50"))
        assert (r2.status, r2.outcome) == ("resolved", "accepted")
        assert n1.status == "open"  # information holds no period open

        closed = period_close(period=toy["period"], user=manager_user)
    assert closed.is_closed


def test_the_export_has_the_kinds_columns_then_the_five_every_kind_has(toy, manager_client):
    with override_settings(RECON_EXTRA_KINDS=TOY):
        body = manager_client.get("/discrepancies/export/", {"format": "csv", "kind": "toy"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows == [
        ["type", "amount_at_stake", "toy_card", "kind", "ref", "ref2", "sku", "counterparty"],
        ["toy_refund_missing", "12.50", "C-1", "toy", "R1", "SO-1", "", "TMALL1"],
        ["toy_refund_missing", "3.00", "", "toy", "R2", "", "", "TMALL1"],
        ["toy_note", "0.80", "", "toy", "N1", "", "", "TMALL1"],
    ]
