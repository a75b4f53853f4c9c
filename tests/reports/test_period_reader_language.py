"""The period report and the queue export exported under English show the stored Chinese reasons in English, on
the PostgreSQL COPY path and the Python path alike."""
from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from recon.core.models import Discrepancy
from reports import period
from reports.exports import discrepancies_csv
from reports.period import period_report_csv, period_report_xlsx
from tests.factories import DiscrepancyFactory
from tests.reports.test_period_copy import _awkward_rows
from tests.recon.test_stored_text import DAMAGED_EN, DAMAGED_ZH, RATE_EN, RATE_ZH
from tests.reports.test_period_report import month  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def _stored_reasons(month) -> None:  # noqa: F811
    run = month["run"]
    october = run.courier_bill.period
    DiscrepancyFactory(run=run, period=october, type="rate_overcharge", waybill_no="ZTX1", reason=RATE_ZH,
                       amount_at_stake=Decimal("4.50"))
    DiscrepancyFactory(run=month["returns"][0], period=october, type="return_damaged", waybill_no="RZ7", sku="SKU-1",
                       reason=DAMAGED_ZH, amount_at_stake=Decimal("30.00"))


def test_english_csv_on_the_python_path(month, tmp_path):  # noqa: F811
    _stored_reasons(month)
    target = tmp_path / "en.csv"
    with translation.override("en"):
        period_report_csv(period="2026-10", counterparty=None, target=target, use_copy=False)
    text = target.read_text(encoding="utf-8-sig")
    assert f"ZTX1,,rate_overcharge,Rate overcharge,Open,4.50,,,,,,,,ZTO,{month['run'].id},{RATE_EN}\n" in text
    assert f',"{DAMAGED_EN}",RZ7,,SKU-1,ZTO\n' in text
    # The engine's own reasons of the month's bill too: no reason is left in Chinese.
    assert "账单收取" not in text and "退货单" not in text
    assert text.count("the rate card gives") == 5  # the bill's three overcharges and undercharge, and ours
    zh = tmp_path / "zh.csv"
    period_report_csv(period="2026-10", counterparty=None, target=zh, use_copy=False)
    assert f",{RATE_ZH}\n" in zh.read_text(encoding="utf-8-sig")


@pytest.mark.postgres
def test_english_csv_by_copy_is_the_python_csv(month, tmp_path, monkeypatch):  # noqa: F811
    _stored_reasons(month)
    _awkward_rows(month)  # reasons a spreadsheet would run, translated or not, are guarded alike
    python, server = tmp_path / "python.csv", tmp_path / "copy.csv"
    copied = []
    real_copy = period._copy_rows
    with translation.override("en"):
        period_report_csv(period="2026-10", counterparty=None, target=python, use_copy=False)
        monkeypatch.setattr(period, "_copy_rows", lambda select, fh: (copied.append(select), real_copy(select, fh)))
        period_report_csv(period="2026-10", counterparty=None, target=server, use_copy=True)
    assert len(copied) == 5  # rate and weight overcharges, the undercharge and the two returns' types: all by COPY
    expected = python.read_bytes()
    assert RATE_EN.encode() in expected and DAMAGED_EN.encode() in expected and b",'=1+1," in expected
    assert server.read_bytes() == expected


def _reasons(path) -> list[str]:
    book = openpyxl.load_workbook(path)
    out = []
    for ws in book.worksheets:
        header = [c.value for c in ws[1]]
        if "reason" in header:
            col = header.index("reason")
            out += [row[col] for row in ws.iter_rows(min_row=2, values_only=True) if row[col]]
    return out


def test_english_xlsx_reasons(month, tmp_path, monkeypatch):  # noqa: F811
    _stored_reasons(month)
    fast, slow = tmp_path / "fast.xlsx", tmp_path / "slow.xlsx"
    with translation.override("en"):
        period_report_xlsx(period="2026-10", counterparty=None, target=fast)
        monkeypatch.setattr(period, "typed_type_rows", lambda *a: None)
        period_report_xlsx(period="2026-10", counterparty=None, target=slow)
    reasons = _reasons(slow)
    assert RATE_EN in reasons and DAMAGED_EN in reasons
    assert not [r for r in reasons if "账单" in r or "退货单" in r]
    assert _reasons(fast) == reasons


def test_queue_export_in_english(month):  # noqa: F811
    _stored_reasons(month)
    with translation.override("en"):
        text = discrepancies_csv(Discrepancy.objects.filter(reason__in=[RATE_ZH, DAMAGED_ZH])).decode("utf-8-sig")
    assert RATE_EN in text and f'"{DAMAGED_EN}"' in text and RATE_ZH not in text
    assert RATE_ZH in discrepancies_csv(Discrepancy.objects.filter(reason=RATE_ZH)).decode("utf-8-sig")
