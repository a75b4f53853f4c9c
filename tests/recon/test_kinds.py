"""The kinds registry: the courier-fee spec as the product has always shown it, unknown kinds, and a kind the tests add."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import translation

from recon.review.filters import DiscrepancyFilter
from recon.kinds import (
    UnknownKind, claim_types, column_value, information_types, kind_choices, kind_spec, kind_specs, type_choices, type_label,
    type_spec,
)
from recon.core.models import Discrepancy, ReconRun
from recon.runs.services import run_execute, run_rerun
from recon.core.templatetags.audit_labels import audit_value
from tests.recon import toy_kind

TOY = {"toy": "tests.recon.toy_kind.SPEC"}
COURIER_TYPES = [
    "unknown_waybill", "duplicate_charge", "cancelled_shipment_charged", "courier_mismatch", "rate_overcharge",
    "rate_undercharge", "zone_mismatch", "weight_overcharge", "no_rate", "not_billed",
]

RETURNS_TYPES = [
    "refunded_not_received", "return_not_received", "return_quantity_short", "return_damaged", "return_wrong_item",
    "return_unexpected", "return_freight_not_received", "return_freight_unknown", "return_freight_duplicate",
    "return_freight_overcharge",
]
RETURNS_INFORMATION = {"return_not_received", "return_wrong_item", "return_unexpected"}
SETTLEMENT_TYPES = ["order_unpaid", "settlement_amount_mismatch", "refund_mismatch", "fee_overcharge", "settlement_unknown_order"]
SETTLEMENT_INFORMATION = {"settlement_unknown_order"}
BANK_TYPES = ["withdrawal_not_received", "withdrawal_amount_mismatch", "ambiguous_match", "bank_credit_unmatched",
              "statement_balance_break"]
BANK_INFORMATION = {"ambiguous_match", "bank_credit_unmatched", "statement_balance_break"}
OUTBOUND_TYPES = ["order_not_shipped", "shipped_not_outbound", "outbound_quantity_mismatch", "outbound_unknown_order",
                  "waybill_reused", "outbound_not_picked_up", "picked_up_not_outbound", "pickup_weight_mismatch"]
OUTBOUND_INFORMATION = set(OUTBOUND_TYPES) - {"outbound_quantity_mismatch"}


def test_the_courier_fee_kind_has_its_ten_types_in_order():
    spec = kind_spec("courier_fee")
    assert spec.type_codes() == COURIER_TYPES
    assert information_types() == {"rate_undercharge", "no_rate", "not_billed", *RETURNS_INFORMATION, *SETTLEMENT_INFORMATION,
                                   *BANK_INFORMATION, *OUTBOUND_INFORMATION}
    assert claim_types() == (set(COURIER_TYPES) - {"rate_undercharge", "no_rate", "not_billed"} | set(RETURNS_TYPES) - RETURNS_INFORMATION
                             | set(SETTLEMENT_TYPES) - SETTLEMENT_INFORMATION | set(BANK_TYPES) - BANK_INFORMATION
                             | set(OUTBOUND_TYPES) - OUTBOUND_INFORMATION)
    assert spec.carry_key == ("type", "ref", "source_line") and spec.reply_key == "ref"
    assert list(kind_specs()) == ["courier_fee", "returns", "settlement", "bank", "outbound"]


def test_labels_are_in_the_readers_language():
    with translation.override("zh-hans"):
        assert str(type_label("weight_overcharge")) == "重量超收"
        assert [(code, str(label)) for code, label in kind_choices()] == [("courier_fee", "快递运费"), ("returns", "退货"),
                                                                                    ("settlement", "平台结算对账"), ("bank", "银行流水匹配"),
                                                                                    ("outbound", "出库/发货对账")]
        assert str(kind_spec("courier_fee").counterparty_label) == "快递公司"
        assert str(type_spec("rate_overcharge").at_stake) == "超出报价单的部分"
    with translation.override("en"):
        assert str(type_label("weight_overcharge")) == "Weight overcharge"
        assert str(type_spec("not_billed").label) == "Shipped, not billed"


def test_an_unknown_kind_or_type_is_a_clear_error():
    with pytest.raises(UnknownKind, match="^Unknown reconciliation kind “parcels”; known kinds: courier_fee, returns, settlement, bank, outbound.$"):
        kind_spec("parcels")
    with pytest.raises(UnknownKind, match="^Unknown discrepancy type “toy_note”.$"):
        type_spec("toy_note")
    assert type_label("retired_type") == "retired_type"  # an old trail entry shows its code rather than failing


def test_a_kind_declared_by_the_settings_is_everywhere_the_types_are_read():
    with override_settings(RECON_EXTRA_KINDS=TOY):
        assert list(kind_specs()) == ["courier_fee", "returns", "settlement", "bank", "outbound", "toy"]
        assert [code for code, _label in type_choices()] == [*COURIER_TYPES, *RETURNS_TYPES, *SETTLEMENT_TYPES, *BANK_TYPES, *OUTBOUND_TYPES,
                                                             "toy_refund_missing", "toy_note"]
        assert information_types() == {"rate_undercharge", "no_rate", "not_billed", *RETURNS_INFORMATION, *SETTLEMENT_INFORMATION,
                                       *BANK_INFORMATION, *OUTBOUND_INFORMATION, "toy_note"}
        assert type_label("toy_note") == "Note" and audit_value("toy_refund_missing", "type") == "Refund missing"
        form = DiscrepancyFilter({}).form
        assert ("toy", "Toy refunds") in form.fields["kind"].choices
        assert ("toy_refund_missing", "Refund missing") in form.fields["type"].choices
    assert list(kind_specs()) == ["courier_fee", "returns", "settlement", "bank", "outbound"]
    assert "toy_note" not in dict(type_choices())


def test_a_path_that_is_not_the_kinds_spec_is_refused():
    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.NOT_A_SPEC"}):
        with pytest.raises(ImproperlyConfigured, match="^tests.recon.toy_kind.NOT_A_SPEC is not the KindSpec of kind “toy”.$"):
            kind_specs()
    with override_settings(RECON_EXTRA_KINDS={"other": "tests.recon.toy_kind.SPEC"}):
        with pytest.raises(ImproperlyConfigured, match="^tests.recon.toy_kind.SPEC is not the KindSpec of kind “other”.$"):
            kind_specs()


def test_column_value_reads_attributes_and_details():
    spec = toy_kind.SPEC
    row = Discrepancy(ref="TY001", details={"card_id": 7})
    assert [column_value(row, c) for c in spec.export_columns] == ["TY001", "", None, 7]
    assert column_value(Discrepancy(details={}), spec.queue_columns[0]) is None


@pytest.mark.django_db
def test_a_run_is_executed_and_rerun_by_its_kinds_services():
    toy_kind.EXECUTED.clear()
    with override_settings(RECON_EXTRA_KINDS=TOY):
        run = ReconRun.objects.create(kind="toy")
        run_execute(run_id=run.id)
        run.refresh_from_db()
        assert toy_kind.EXECUTED == [run.id] and run.status == "succeeded" and run.summary == {"toy": True}
        failed = ReconRun.objects.create(kind="toy", status="failed")
        again = run_rerun(run=failed)
        assert again.kind == "toy" and again.rerun_of_id == failed.id and again.status == "pending"


@pytest.mark.django_db
def test_a_run_of_an_undeclared_kind_fails_with_the_reason():
    run = ReconRun.objects.create(kind="toy")
    with pytest.raises(UnknownKind):
        run_execute(run_id=run.id)
    run.refresh_from_db()
    assert run.status == "failed" and run.error_code == "internal_error"
    assert run.error == "UnknownKind: Unknown reconciliation kind “toy”; known kinds: courier_fee, returns, settlement, bank, outbound."


@pytest.fixture
def toy_rows(db):
    """Two discrepancies of the test kind beside one courier-fee row, as a run of each would leave them."""
    with override_settings(RECON_EXTRA_KINDS=TOY):
        toy_run, fee_run = ReconRun.objects.create(kind="toy"), ReconRun.objects.create(kind="courier_fee")
        rows = [
            Discrepancy.objects.create(run=toy_run, kind="toy", type="toy_refund_missing", ref="TY001",
                                       amount_at_stake="12.50", reason="refund missing", details={"card_id": "C-9"}),
            Discrepancy.objects.create(run=toy_run, kind="toy", type="toy_note", ref="TY002",
                                       amount_at_stake="3.00", reason="note"),
            Discrepancy.objects.create(run=fee_run, kind="courier_fee", type="rate_overcharge", ref="ZT001", amount_at_stake="1.25",
                                       theirs_amount="9.25", ours_amount="8.00", reason="over"),
        ]
        yield rows


def test_an_export_of_one_kind_has_that_kinds_columns(toy_rows):
    from reports.exports import discrepancies_csv

    with override_settings(RECON_EXTRA_KINDS=TOY):
        data = discrepancies_csv(Discrepancy.objects.filter(kind="toy")).decode("utf-8-sig")
    # The kind's own columns, then the five every kind has (its reference among them).
    assert data.splitlines() == [
        "type,amount_at_stake,toy_card,kind,ref,ref2,sku,counterparty",
        "toy_refund_missing,12.50,C-9,toy,TY001,,,", "toy_note,3.00,,toy,TY002,,,",
    ]


def test_an_export_of_two_kinds_has_both_kinds_columns_each_row_filling_its_own(toy_rows):
    from reports.exports import discrepancies_frame

    with override_settings(RECON_EXTRA_KINDS=TOY):
        frame = discrepancies_frame(Discrepancy.objects.all())
    assert list(frame.columns) == [
        "waybill_no", "order_no", "type", "type_label", "status", "amount_at_stake", "billed_fee", "expected_fee",
        "billed_weight_g", "expected_weight_g", "billed_province", "expected_province", "line_no", "courier", "run_id",
        "reason", "toy_card", "kind", "ref", "ref2", "sku", "counterparty",
    ]
    assert frame[["waybill_no", "ref", "kind", "toy_card", "billed_fee"]].to_dict("records") == [
        {"waybill_no": None, "ref": "TY001", "kind": "toy", "toy_card": "C-9", "billed_fee": None},
        {"waybill_no": None, "ref": "TY002", "kind": "toy", "toy_card": None, "billed_fee": None},
        {"waybill_no": "ZT001", "ref": "ZT001", "kind": "courier_fee", "toy_card": None, "billed_fee": Decimal("9.25")},
    ]


def test_the_queue_shows_each_kinds_columns_and_labels(toy_rows, ops_client):
    with override_settings(RECON_EXTRA_KINDS=TOY):
        page = ops_client.get("/discrepancies/").content.decode()
    headers = re.findall(r"<th[^>]*>(?:<a [^>]*>)?([^<]*)<", page)
    assert headers[5:13] == ["涉及金额", "账单运费", "应收运费", "重量（账单 / 我方，kg）", "省份（账单 / 我方）", "SKU", "Card", "原因"]
    cells = re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", page, re.S)
    by_ref = {re.search(r">(TY\d+|ZT\d+)</a>", c).group(1): re.findall(r"<td[^>]*>([^<]*)</td>", c) for c in cells}
    # Money, weight and province columns are the courier kind's: empty on the test kind's rows, and the reverse.
    assert by_ref["TY001"][:7] == ["12.50", "", "", "", "", "", "C-9"]
    assert by_ref["ZT001"][:7] == ["1.25", "9.25", "8.00", "– / –", "– / –", "", ""]
    assert '<span class="tag t-toy_refund_missing">Refund missing</span>' in page


def test_the_excel_of_a_kind_without_a_label_column_shows_its_type_labels(toy_rows):
    import io

    import openpyxl

    from reports.exports import discrepancies_xlsx

    with override_settings(RECON_EXTRA_KINDS=TOY):
        content = discrepancies_xlsx(Discrepancy.objects.filter(kind="toy"))
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    assert rows == [
        ("type", "amount", "Card", "对账类别", "单号", "第二单号", "SKU", "对账方"),
        ("Refund missing", 12.5, "C-9", "Toy refunds", "TY001", None, None, None),
        ("Note", 3, None, "Toy refunds", "TY002", None, None, None),
        ("合计：2 条差异", "=SUM(B2:B3)", None, None, None, None, None, None),
    ]
