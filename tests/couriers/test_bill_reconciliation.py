"""A messy courier bill, end to end through the services: what was injected is exactly what is found."""
import io
from decimal import Decimal

import pandas as pd
import pytest
from django.db.models import Count

from couriers.models import CourierBill, CourierBillLine
from couriers.services import courier_bill_submit
from orders.services import shipments_bulk_create
from recon.runs import services as run_services
from couriers.demo_data import generate, write_messy_csv, write_messy_xlsx
from recon.core.errors import UserFacingError
from recon.core.models import Discrepancy, ReconRun, RejectedRow

pytestmark = pytest.mark.django_db


def load_shipments(data):
    records = data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    result = shipments_bulk_create(records=records.astype(object).where(records.notna(), None).to_dict("records"))
    assert result.created == len(data.shipments) and len(result.rejected) == 0


def submit_and_run(path, zto, period="2026-10", **kw):
    with open(path, "rb") as fh:
        sub = courier_bill_submit(file=fh, filename=path.name, courier=zto, period=period, **kw)
    run_services.run_execute(run_id=sub.run.id)
    return ReconRun.objects.get(id=sub.run.id)


def yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def assert_matches_injected(run, expected):
    summary = run.summary
    for t, e in expected.items():
        assert summary["by_type"][t] == {"count": e["count"], "amount_at_stake": yuan(e["amount_fen"])}, t
    injected = set(expected)
    for t, v in summary["by_type"].items():
        if t not in injected:
            assert v["count"] == 0, t
    counts = dict(Discrepancy.objects.filter(run=run).values_list("type").annotate(n=Count("id")))
    assert counts == {t: e["count"] for t, e in expected.items() if e["count"]}


@pytest.mark.parametrize("shape", ["gbk_csv", "xlsx_two_sheets", "utf8_bom_csv"])
def test_messy_bill_finds_exactly_what_was_injected(shape, demo_rate_card, zto, no_enqueue, tmp_path):
    data = generate(600, seed=3)
    load_shipments(data)
    if shape == "gbk_csv":
        path = tmp_path / "zto-bill.csv"
        write_messy_csv(data.bill, path, encoding="gbk")
    elif shape == "utf8_bom_csv":
        path = tmp_path / "zto-bill-bom.csv"
        write_messy_csv(data.bill, path, encoding="utf-8-sig")
    else:
        path = tmp_path / "zto-bill.xlsx"
        write_messy_xlsx(data.bill, path, sheets=2)
    run = submit_and_run(path, zto)
    assert run.status == "succeeded", (run.error_code, run.error)
    assert run.summary["lines"] == len(data.bill)
    assert run.summary["rejected"] == 0
    assert_matches_injected(run, data.expected)
    bill = run.courier_bill
    assert bill.line_count == len(data.bill)
    assert CourierBillLine.objects.filter(bill=bill).count() == len(data.bill)
    billed = data.bill["运费(元)"].map(Decimal).sum()
    assert bill.billed_total == billed
    assert run.summary["billed_total"] == f"{billed:.2f}"
    assert run.summary["file_totals_match"] is True


def test_same_file_twice_points_to_the_first_bill(demo_rate_card, zto, no_enqueue, tmp_path):
    data = generate(100, seed=4)
    load_shipments(data)
    path = tmp_path / "bill.csv"
    write_messy_csv(data.bill, path)
    first = submit_and_run(path, zto)
    with open(path, "rb") as fh:
        again = courier_bill_submit(file=fh, filename="renamed.csv", courier=zto, period="2026-10")
    assert again.duplicate is True
    assert again.bill.id == first.courier_bill_id
    assert again.run.id == first.id
    assert CourierBill.objects.count() == 1 and ReconRun.objects.count() == 1


def test_a_second_bill_repeating_waybills_is_a_duplicate_charge(demo_rate_card, zto, no_enqueue, tmp_path):
    data = generate(100, seed=5)
    load_shipments(data)
    first_path, second_path = tmp_path / "a.csv", tmp_path / "b.csv"
    write_messy_csv(data.bill, first_path)
    submit_and_run(first_path, zto)
    repeat = data.bill.head(3)
    write_messy_csv(repeat, second_path, period="2026-11")
    run = submit_and_run(second_path, zto, period="2026-11")
    assert run.summary["by_type"]["duplicate_charge"]["count"] == 3
    fees = repeat["运费(元)"].map(Decimal).sum()
    assert Decimal(run.summary["by_type"]["duplicate_charge"]["amount_at_stake"]) == fees


def test_rejected_rows_are_kept_with_row_numbers(demo_rate_card, zto, no_enqueue, tmp_path):
    data = generate(50, seed=6)
    load_shipments(data)
    text = "运单号,揽收时间,目的省份,计费重量(kg),运费(元)\n"
    good = data.bill.iloc[0]
    text += f"{good['运单号']},{good['揽收时间']},{good['目的省份']},{good['计费重量(kg)']},{good['运费(元)']}\n"
    text += "7.5E+13,2026-10-03,广东省,1,3.00\n"
    text += "753100000001,2026-10-03,广东省,1,abc\n"
    path = tmp_path / "bad-rows.csv"
    path.write_text(text, encoding="utf-8")
    run = submit_and_run(path, zto)
    assert run.status == "succeeded"
    assert run.summary["lines"] == 1 and run.summary["rejected"] == 2
    rows = list(RejectedRow.objects.filter(source=run.courier_bill).order_by("row_no").values_list("row_no", "reason_code"))
    assert rows == [(3, "waybill_scientific"), (4, "fee_invalid")]


@pytest.mark.parametrize(
    "content,filename,code",
    [
        (b"", "empty.csv", "empty_file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "photo.xlsx", "unsupported_type"),
    ],
)
def test_bad_files_are_refused_before_anything_is_stored(content, filename, code, zto, no_enqueue):
    with pytest.raises(UserFacingError) as err:
        courier_bill_submit(file=io.BytesIO(content), filename=filename, courier=zto, period="2026-10")
    assert err.value.code == code
    assert ReconRun.objects.count() == 0 and CourierBill.objects.count() == 0


def test_header_not_found_is_refused_at_upload_and_leaves_nothing(zto, no_enqueue, tmp_path):
    path = tmp_path / "nonsense.csv"
    path.write_text("名称,数量,备注\n苹果,3,无\n香蕉,5,无\n", encoding="utf-8")
    with open(path, "rb") as fh, pytest.raises(UserFacingError) as err:
        courier_bill_submit(file=fh, filename=path.name, courier=zto, period="2026-10")
    assert err.value.code == "header_not_found"
    assert "名称" in str(err.value.details["headers_found"])
    assert "waybill_no" in err.value.details["expected"]
    assert ReconRun.objects.count() == 0 and CourierBill.objects.count() == 0


def test_header_not_found_in_the_worker_fails_the_run_and_leaves_no_bill(zto, no_enqueue, tmp_path, monkeypatch):
    """A workbook whose first rows lie past the prefix a request reads is checked by the worker: the same refusal arrives as a failed run."""
    monkeypatch.setattr("recon.ingest.head.SHEET_PREFIX_BYTES", 16)
    path = tmp_path / "nonsense.xlsx"
    pd.DataFrame({"名称": ["苹果"], "数量": [3]}).to_excel(path, index=False)
    run = submit_and_run(path, zto)
    assert run.status == "failed" and run.error_code == "header_not_found"
    assert "waybill_no" in run.error_details["expected"]
    assert CourierBill.objects.count() == 0 and CourierBillLine.objects.count() == 0 and Discrepancy.objects.count() == 0


def test_rerun_after_a_rate_card_fix_replaces_line_results(demo_rate_card, zto, no_enqueue, tmp_path):
    from couriers.services import courier_bill_rerun

    data = generate(200, seed=8)
    load_shipments(data)
    path = tmp_path / "bill.csv"
    write_messy_csv(data.bill, path)
    first = submit_and_run(path, zto)
    demo_rate_card.fee_tolerance_fen = 1000
    demo_rate_card.save()
    rerun = courier_bill_rerun(bill=first.courier_bill)
    run_services.run_execute(run_id=rerun.id)
    rerun.refresh_from_db()
    assert rerun.status == "succeeded"
    assert rerun.summary["lines"] == first.summary["lines"]
    # every injected overcharge is under ¥3.00, so a ¥10 tolerance absorbs them all
    assert rerun.summary["by_type"]["rate_overcharge"]["count"] == 0
    assert first.summary["by_type"]["rate_overcharge"]["count"] > 0
    assert Discrepancy.objects.filter(run=first).count() == first.summary["discrepancies"]
