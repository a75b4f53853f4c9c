"""The management commands as other tools call them: exact JSON on stdout, non-zero exits with messages."""
import io
import json
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from couriers.demo_data import generate, rate_card_frame, write_messy_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(tmp_path, zto):
    data = generate(400, seed=21)
    shipments = tmp_path / "shipments.csv"
    data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y/%m/%d %H:%M")).to_csv(shipments, index=False)
    card = tmp_path / "card.xlsx"
    rate_card_frame().to_excel(card, index=False)
    bill = tmp_path / "bill.csv"
    write_messy_csv(data.bill, bill)
    return data, shipments, card, bill


def run_json(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_commands_and_sync_json(month, tmp_path):
    data, shipments, card, bill = month
    out = run_json("import_shipments", str(shipments), "--json")
    assert json.loads(out)["created"] == len(data.shipments)
    run_json("import_rate_card", str(card), "--courier", "ZTO", "--effective-from", "2026-01-01", "--volumetric-divisor", "8000")
    text = run_json("import_courier_bill", str(bill), "--courier", "ZTO", "--period", "2026-10", "--sync", "--json")
    result = json.loads(text)  # one JSON object and nothing else
    assert set(result) >= {"bill_id", "run_id", "status", "lines", "rejected", "by_type"}
    assert result["status"] == "succeeded" and result["lines"] == len(data.bill) and result["rejected"] == 0
    for t, e in data.expected.items():
        assert result["by_type"][t] == {"count": e["count"], "amount_at_stake": f"{Decimal(e['amount_fen']) / 100:.2f}"}
    csv_path, xlsx_path = tmp_path / "d.csv", tmp_path / "d.xlsx"
    run_json("export_discrepancies", str(result["run_id"]), "--format", "csv", "-o", str(csv_path))
    frame = pd.read_csv(csv_path, dtype=str, encoding="utf-8-sig")
    assert {"waybill_no", "type", "amount_at_stake", "billed_fee", "expected_fee", "reason"} <= set(frame.columns)
    total = sum(e["count"] for e in data.expected.values())
    assert len(frame) == total
    over = frame[frame["type"] == "rate_overcharge"]["amount_at_stake"].map(Decimal).sum()
    assert over == Decimal(data.expected["rate_overcharge"]["amount_fen"]) / 100
    run_json("export_discrepancies", str(result["run_id"]), "--format", "xlsx", "-o", str(xlsx_path))
    sheet = openpyxl.load_workbook(xlsx_path, read_only=True).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:3] == ["运单号", "订单号", "差异类型"] and "涉及金额" in header


def test_unknown_courier_exits_non_zero_with_message(month):
    _, _, _, bill = month
    with pytest.raises(CommandError, match="unknown_courier"):
        call_command("import_courier_bill", str(bill), "--courier", "NOPE", "--period", "2026-10", "--sync")


def test_header_not_found_exits_1_and_lists_headers(tmp_path, zto, capsys):
    path = tmp_path / "x.csv"
    path.write_text("名称,数量\n苹果,3\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_courier_bill", str(path), "--courier", "ZTO", "--period", "2026-10", "--sync", "--json", stdout=out)
    assert exit_info.value.code == 1
    payload = json.loads(out.getvalue())
    assert payload["status"] == "failed" and payload["error"]["code"] == "header_not_found"


def test_export_of_unknown_run_fails(tmp_path, db):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_discrepancies", "999", "--format", "csv", "-o", str(tmp_path / "x.csv"))


def test_refused_file_without_json_is_a_command_error_naming_the_headers(tmp_path, zto):
    path = tmp_path / "x.csv"
    path.write_text("名称,数量\n苹果,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="header_not_found(.|\n)*名称"):
        call_command("import_courier_bill", str(path), "--courier", "ZTO", "--period", "2026-10", "--sync")
