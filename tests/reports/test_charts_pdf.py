"""The chart module draws what the numbers say (axis, bars, links, tooltips), and a PDF carries Chinese text."""
import io
import re
from decimal import Decimal

import pypdf
from django.utils import translation

from django.template import engines

import reports.pdf
from reports.charts import Series, bar_chart, format_value, line_chart, nice_ticks
from reports.pdf import render_pdf


def test_ticks_are_round_and_cover_zero_and_the_values():
    assert nice_ticks(0, 23000) == [0, 5000, 10000, 15000, 20000, 25000]
    assert nice_ticks(-5, 150) == [-50, 0, 50, 100, 150]
    assert nice_ticks(3, 9) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_values_are_formatted_for_people():
    assert format_value(Decimal("-1234.5"), "money") == "-¥1,234.50"
    assert format_value(1234, "count") == "1,234"
    assert format_value(Decimal("12.345"), "percent") == "12.3%"
    assert format_value(None, "money") == "–"


def test_bars_link_to_their_lists_and_say_their_values():
    with translation.override("zh-hans"):
        svg = str(bar_chart(labels=["中通", "圆通"], series=[
            Series("待处理", [Decimal("120.50"), Decimal("30")], ["/queue/?counterparty=ZTO&status=open", None]),
            Series("已追回", [Decimal("20"), Decimal("0")]),
        ], stacked=True))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert len(re.findall(r'<rect class="chart-bar"', svg)) == 4
    # Only the bar with a link is one; the & in its address is escaped in the markup.
    assert re.findall(r'<a href="([^"]*)">', svg) == ["/queue/?counterparty=ZTO&amp;status=open"]
    assert "<title>中通 · 待处理: ¥120.50</title>" in svg
    assert "<title>圆通 · 已追回: ¥0.00</title>" in svg
    # The axis reaches the stacked total (140.50) on a round tick; labels in Chinese units.
    assert ">¥150<" in svg and ">¥0<" in svg


def test_bar_heights_are_proportional_to_values():
    svg = str(bar_chart(labels=["a", "b"], series=[Series("s", [100, 50])], height=260))
    heights = [float(h) for h in re.findall(r'<rect class="chart-bar"[^>]* height="([0-9.]+)"', svg)]
    assert heights[0] == 2 * heights[1]


def test_text_from_data_is_escaped():
    svg = str(bar_chart(labels=["<script>"], series=[Series('"x"', [1])]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_lines_leave_gaps_and_large_money_reads_in_wan():
    with translation.override("zh-hans"):
        svg = str(line_chart(labels=["2026-08", "2026-09", "2026-10"],
                             series=[Series("涉及金额", [15000, None, Decimal("22000.50")], ["/a", None, "/c"])]))
    assert svg.count('<circle class="chart-point"') == 2
    assert re.search(r'<path d="M[0-9.,]+ M[0-9.,]+"', svg)  # two pieces, no line across the missing month
    assert ">¥2万<" in svg and ">¥1.5万<" in svg
    with translation.override("en"):
        svg_en = str(line_chart(labels=["x"], series=[Series("s", [15000])]))
    assert ">¥15k<" in svg_en


def test_empty_chart_says_so():
    with translation.override("zh-hans"):
        assert "暂无数据" in str(bar_chart(labels=[], series=[]))


def test_a_pdf_carries_chinese_text_and_the_chart(monkeypatch):
    page = engines["django"].from_string(
        '{% extends "reports/pdf_base.html" %}{% block body %}<h1>对账期间报表 2026-10</h1>{{ chart }}'
        "<p>涉及金额合计 ¥1,234.50</p>{% endblock %}")
    # The page's template comes from this test rather than from a file (the loaders cache the directories they know).
    monkeypatch.setattr(reports.pdf, "render_to_string", lambda name, context: page.render(context))
    with translation.override("zh-hans"):
        chart = bar_chart(labels=["中通快递"], series=[Series("涉及金额", [Decimal("1234.50")])])
        pdf = render_pdf(template="one.html", context={"chart": chart})
    assert pdf.startswith(b"%PDF-")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "对账期间报表 2026-10" in text
    assert "涉及金额合计 ¥1,234.50" in text
    assert "中通快递" in text  # the chart's label, drawn by the SVG
