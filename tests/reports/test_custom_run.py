"""Custom reports: a definition grouped in the database, each dimension and measure, filters, validation, one query."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.custom import ReportDefinitionError, report_run
from reports.sources import report_sources

from .custom_data import known  # noqa: F401  (fixture)

D = Decimal
pytestmark = pytest.mark.django_db


def run(source="discrepancies", dimensions=(), measures=("count",), **filters):
    return report_run({"source": source, "dimensions": list(dimensions), "measures": list(measures), "filters": filters})


def test_counterparty_by_month_every_money_measure(known):
    result = run(dimensions=["counterparty", "month"],
                 measures=["count", "at_stake", "recovered", "open", "disputed", "accepted", "written_off"])
    assert result.rows == [
        ["YTO", "2026-10", 2, D("10.00"), D("0.00"), D("3.00"), D("0.00"), D("0.00"), D("7.00")],
        ["ZTO", "2026-10", 5, D("24.50"), D("11.50"), D("11.00"), D("0.00"), D("0.00"), D("0.00")],
        ["ZTO", "2026-11", 1, D("2.25"), D("0.00"), D("0.00"), D("2.25"), D("0.00"), D("0.00")],
    ]
    assert result.totals == [8, D("36.75"), D("11.50"), D("14.00"), D("2.25"), D("0.00"), D("7.00")]
    assert result.headers == ["对账方", "发生月份", "数量", "涉及金额", "追回金额", "未处理", "争议中", "已接受", "已核销"]


def test_the_grouping_is_one_query(known):
    with CaptureQueriesContext(connection) as queries:
        run(dimensions=["counterparty", "month", "type"], measures=["count", "at_stake", "recovered"])
    assert len(queries) == 1
    assert "GROUP BY" in queries[0]["sql"]


def test_type_kind_status_outcome_period_and_their_amount(known):
    assert run(dimensions=["kind"], measures=["count", "billed"]).rows == [
        ["快递运费", 6, D("0.00")], ["退货", 2, D("0.00")]]
    assert run(dimensions=["type"], kind=["courier_fee"], measures=["count", "at_stake"]).rows == [
        ["运费超收", 2, D("9.25")], ["运费少收", 1, D("0.00")], ["重量超收", 3, D("18.50")]]
    assert run(dimensions=["status"], measures=["count"]).rows == [
        ["争议中", 1], ["核查中", 1], ["待处理", 3], ["已解决", 3]]
    assert run(dimensions=["outcome"], measures=["count", "recovered"]).rows == [
        ["", 5, D("0.00")], ["已追回", 2, D("11.50")], ["已核销", 1, D("0.00")]]
    assert run(dimensions=["period"], kind=["courier_fee"], measures=["at_stake"]).rows == [
        ["2026-10", D("25.50")], ["2026-11", D("2.25")]]


def test_filters_by_date_counterparty_type_and_status(known):
    result = run(dimensions=["counterparty"], measures=["count", "at_stake"], date_from="2026-10-10",
                 date_to="2026-10-31", type=["weight_overcharge", "rate_overcharge"])
    assert result.rows == [["YTO", 2, D("10.00")], ["ZTO", 1, D("5.50")]]


def test_no_dimension_is_one_row_of_totals(known):
    result = run(measures=["count", "at_stake"], counterparty=["ZTO"], status=["open"])
    assert result.rows == [[3, D("11.00")]]


def test_bills_source_from_the_couriers_kind(known):
    assert "courier_bills" in report_sources()
    result = run(source="courier_bills", dimensions=["counterparty", "month"], measures=["count", "billed"])
    assert result.rows == [["YTO", "2026-10", 1, D("100.00")], ["ZTO", "2026-10", 1, D("200.00")],
                           ["ZTO", "2026-11", 1, D("50.00")]]


@pytest.mark.parametrize(("definition", "message"), [
    ({"source": "nope", "dimensions": [], "measures": ["count"]}, "未知的报表数据源"),
    ({"source": "discrepancies", "dimensions": ["platform"], "measures": ["count"]}, "没有维度“platform”"),
    ({"source": "discrepancies", "dimensions": [], "measures": ["sales"]}, "没有指标“sales”"),
    ({"source": "discrepancies", "dimensions": [], "measures": []}, "请至少选择一个指标"),
    ({"source": "discrepancies", "measures": ["count"], "filters": {"date_from": "10/01/2026"}}, "不是日期"),
    ({"source": "discrepancies", "measures": ["count"], "filters": {"month": "2026-10"}}, "不能按“month”筛选"),
])
def test_unknown_names_are_clear_errors_in_chinese(definition, message):
    with pytest.raises(ReportDefinitionError) as exc:
        report_run(definition)
    assert message in exc.value.message
