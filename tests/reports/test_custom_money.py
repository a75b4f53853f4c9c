"""Custom reports write negative money as the product does: -¥10.00 on the page's table and in the PDF."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest

from recon.core.models import Discrepancy
from reports.custom import report_pdf, report_run, report_table
from tests.factories import DiscrepancyFactory

from .custom_data import known  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_a_negative_sum_reads_minus_yuan_in_the_table_and_the_pdf(known):  # noqa: F811
    run = Discrepancy.objects.filter(counterparty=known["yto"].counterparty).first().run
    # A credit line on the bill: their amount is -¥10.00.
    DiscrepancyFactory(run=run, type="rate_undercharge", amount_at_stake=Decimal("0.00"), theirs_amount=Decimal("-10.00"),
                       occurred_on=date(2026, 10, 3))
    result = report_run({"source": "discrepancies", "dimensions": ["counterparty"], "measures": ["count", "billed"],
                         "filters": {"kind": ["courier_fee"]}})
    table = report_table(result)
    assert [[cell for cell, _right in row] for row in table["rows"]] == [["YTO", "3", "-¥10.00"], ["ZTO", "4", "¥0.00"]]
    assert table["totals"] == ["7", "-¥10.00"]
    text = pypdf.PdfReader(io.BytesIO(report_pdf(result, title="月度差异"))).pages[0].extract_text()
    assert "-¥10.00" in text and "¥-" not in text
