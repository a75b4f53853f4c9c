import datetime

import pandas as pd
import pytest

from recon.ingest import IngestError, read_shipments
from recon.ingest.shipments import SHIPMENT_COLUMNS

HEADER = ["订单号", "运单号", "快递公司", "发货时间", "重量", "长", "宽", "高", "省份", "城市", "状态", "保价金额"]


def read(path, **kwargs):
    return read_shipments(path, path.name, **kwargs)


def test_full_shipment_list(xlsx_file):
    path = xlsx_file(
        {
            "发货明细": [
                ["导出时间：2026-10-31"],
                HEADER,
                ["T1001", 75312345678901, " 中通快递 ", datetime.datetime(2026, 10, 3, 9), 1.25, 30, 20.5, "10.05", "广东省", "深圳市", "已发货", "¥100"],
                ["T1002", "SF1234567890", "顺丰", "2026-10-04 10:00", "", "", "", "", "浙江", "杭州", "作废", ""],
                ["T1003", "YT1234567890123", "圆通", "2026/10/5", "800g", "", "", "", "", "", "", ""],
            ]
        }
    )
    result = read(path)
    frame = result.frame
    assert list(frame.columns) == SHIPMENT_COLUMNS
    assert frame["order_no"].tolist() == ["T1001", "T1002", "T1003"]
    assert frame["waybill_no"].tolist() == ["75312345678901", "SF1234567890", "YT1234567890123"]
    assert frame["courier"].tolist() == ["中通快递", "顺丰", "圆通"]
    assert frame["shipped_at"].tolist() == [
        pd.Timestamp("2026-10-03 09:00"),
        pd.Timestamp("2026-10-04 10:00"),
        pd.Timestamp("2026-10-05"),
    ]
    assert frame["weight_g"].tolist()[0] == 1250
    assert pd.isna(frame["weight_g"][1])
    assert frame["weight_g"][2] == 800
    assert frame["length_mm"][0] == 300
    assert frame["width_mm"][0] == 205
    assert frame["height_mm"][0] == 101  # 10.05 cm, half up
    assert frame["province"].tolist() == ["广东", "浙江", ""]
    assert frame["city"].tolist() == ["深圳市", "杭州", ""]
    assert frame["status"].tolist() == ["shipped", "cancelled", "shipped"]
    assert frame["declared_value_fen"][0] == 10000
    assert pd.isna(frame["declared_value_fen"][1])
    assert frame["row_no"].tolist() == [3, 4, 5]
    assert str(frame["weight_g"].dtype) == "Int64"
    assert str(frame["shipped_at"].dtype) == "datetime64[ns]"
    assert result.rejected.empty


def test_english_column_names(text_file):
    path = text_file(
        "order_no,waybill_no,courier,shipped_at,weight_kg,status\n"
        "A1,75312345678901,zto,2026-10-03,0.5,shipped\n"
        "A2,75312345678902,zto,2026-10-03,0.5,void\n"
    )
    result = read(path)
    assert result.frame["status"].tolist() == ["shipped", "cancelled"]
    assert result.frame["weight_g"].tolist() == [500, 500]


@pytest.mark.parametrize(
    "row, code",
    [
        (["", "75312345678901", "中通", "2026-10-03"], "order_no_missing"),
        (["A1", "", "中通", "2026-10-03"], "waybill_missing"),
        (["A1", "7.5E+13", "中通", "2026-10-03"], "waybill_scientific"),
        (["A1", "75312345678901", "", "2026-10-03"], "courier_missing"),
        (["A1", "75312345678901", "中通", ""], "shipped_at_missing"),
        (["A1", "75312345678901", "中通", "上周"], "shipped_at_invalid"),
        (["A1", "75312345678901", "中通", "2026-10-03", "重"], "weight_invalid"),
        (["A1", "75312345678901", "中通", "2026-10-03", "", "x"], "length_invalid"),
        (["A1", "75312345678901", "中通", "2026-10-03", "", "", "", "", "", "", "丢失"], "status_invalid"),
        (["A1", "75312345678901", "中通", "2026-10-03", "", "", "", "", "", "", "", "很多"], "declared_value_invalid"),
        (["1.23457E+18", "75312345678901", "中通", "2026-10-03"], "order_no_scientific"),
    ],
)
def test_rejected_rows(xlsx_file, row, code):
    ok = ["A0", "75312345678900", "中通", "2026-10-03"]
    path = xlsx_file({"s": [HEADER, ok, row]})
    result = read(path)
    assert result.frame["order_no"].tolist() == ["A0"]
    assert result.rejected["reason_code"].tolist() == [code]
    assert result.rejected["row_no"].tolist() == [3]


def test_missing_required_column(xlsx_file):
    path = xlsx_file({"s": [["订单号", "运单号", "快递公司"], ["A1", "75312345678901", "中通"]]})
    with pytest.raises(IngestError) as exc:
        read(path)
    assert exc.value.code == "header_not_found"
    assert "shipped_at" in exc.value.details["required"]
