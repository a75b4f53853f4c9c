"""The manager's period summary as a PDF: its text read back with pypdf, figures to the fen."""
from __future__ import annotations

import io
import re

import pypdf
import pytest
from django.urls import reverse

from reports.pdf import period_summary_pdf
from tests.reports.dashboard_data import build

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    # Whitespace as pypdf happens to place it is not what a reader checks: the words and figures are.
    return re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))


def test_the_summary_reads_in_chinese_with_the_months_figures():
    build()
    text = _text(period_summary_pdf(period="2026-10"))
    for heading in ("期间摘要 2026-10", "合计", "与前三期对比", "按对方", "差异类型与状态", "金额最大的 20 条差异"):
        assert heading in text, heading
    # The money identity: at stake, open, investigating, disputed, recovered, accepted, written off, shortfall.
    assert "¥72.50 ¥42.50 ¥12.50 ¥20.00 ¥10.00 ¥0.00 ¥0.00 ¥0.00 13.8%" in text
    # The biggest claim first, with its reference.
    assert re.search(r"1 Z1 ZTO 重量超收 待处理 ¥30\.00", text), text
    # The trend against the three previous months, each with its own figures.
    assert "2026-07 0 ¥0.00 ¥0.00" in text and "2026-08 0 ¥0.00 ¥0.00" in text
    assert "2026-09 1 ¥800.00 ¥7.25 ¥7.25 ¥0.00 ¥0.00" in text
    assert "2026-10 5 ¥1,500.00 ¥72.50 ¥42.50 ¥20.00 ¥10.00" in text
    assert "中通 ¥1,000.00 ¥60.00 6.0% ¥10.00 16.7%" in text and "ZTO 中通" not in text


def test_one_counterparty_only():
    data = build()
    text = _text(period_summary_pdf(period="2026-10", counterparty="yto"))
    assert "期间摘要 2026-10 · YTO" in text
    assert "¥12.50 ¥12.50 ¥12.50 ¥0.00 ¥0.00" in text
    assert "Z1" not in text and data["rows"]["Y1"].ref in text


def test_the_download_is_permission_checked(client, manager_user, outsider_user):
    build()
    client.force_login(manager_user)
    response = client.get(reverse("reports-summary-pdf"), {"period": "2026-10"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="summary-2026-10.pdf"'
    assert "¥72.50" in _text(response.content)
    assert client.get(reverse("reports-summary-pdf"), {"period": "2026/10"}).status_code == 400
    client.force_login(outsider_user)
    assert client.get(reverse("reports-summary-pdf"), {"period": "2026-10"}).status_code == 403


def test_the_top_20_reasons_read_in_english_under_english():
    from django.utils import translation

    from recon.core.models import Discrepancy
    from tests.recon.test_stored_text import RATE_ZH

    data = build()
    Discrepancy.objects.filter(pk=data["rows"]["Z1"].pk).update(reason=RATE_ZH)
    with translation.override("en"):
        text = _text(period_summary_pdf(period="2026-10"))
    # The reason cell is cut at 60 characters, as in Chinese.
    assert "Billed ¥12.50; the rate card gives ¥8.00 for 2.5 kg to 广东: …" in text, text
    assert "账单收取" not in text
    assert "账单收取 ¥12.50" in _text(period_summary_pdf(period="2026-10"))
