import datetime
import json

import pandas as pd
import pytest

from recon.ingest import IngestError, read_courier_bill
from recon.ingest.bills import BILL_COLUMNS

TITLE = ["中通快递2026年10月对账单"]
CUSTOMER = ["客户：XX电商"]


def read(path, **kwargs):
    return read_courier_bill(path, path.name, **kwargs)


def test_title_rows_totals_row_extra_columns_any_order(xlsx_file):
    path = xlsx_file(
        {
            "10月": [
                TITLE,
                CUSTOMER,
                [],
                ["序号", "目的省份", "运费", "计费重量(kg)", "运单号", "揽收时间", "网点"],
                [1, "广东省", 12.5, 1.25, "75312345678901", datetime.datetime(2026, 10, 3, 14, 5), "杭州"],
                [2, "浙江杭州", 8, 0.5, "75312345678902", datetime.datetime(2026, 10, 4), "杭州"],
                ["合计", None, 20.5, None, None, None, None],
            ]
        }
    )
    result = read(path)
    frame = result.frame
    assert frame["waybill_no"].tolist() == ["75312345678901", "75312345678902"]
    assert frame["row_no"].tolist() == [5, 6]
    assert frame["billed_fee_fen"].tolist() == [1250, 800]
    assert frame["billed_weight_g"].tolist() == [1250, 500]
    assert frame["billed_province"].tolist() == ["广东", "浙江"]
    assert frame["billed_province_raw"].tolist() == ["广东省", "浙江杭州"]
    assert frame["billed_at"].tolist() == [pd.Timestamp("2026-10-03 14:05"), pd.Timestamp("2026-10-04")]
    assert result.rejected.empty
    assert result.info["totals_rows"] == [{"sheet": "10月", "row_no": 7, "text": "合计", "fee_fen": 2050}]
    sheet = result.info["sheets"][0]
    assert sheet["header_row"] == 4
    assert sheet["data_rows"] == 2
    assert sheet["columns"]["billed_weight"] == "计费重量(kg)"
    assert result.info["weight_unit"] == "kg"
    assert result.info["format"] == "xlsx"
    json.dumps(result.info)


def test_output_columns_and_dtypes(xlsx_file):
    path = xlsx_file({"s": [["运单号", "运费"], ["75312345678901", "1.00"]]})
    frame = read(path).frame
    assert list(frame.columns) == BILL_COLUMNS
    assert str(frame["line_no"].dtype) == "int64"
    assert str(frame["row_no"].dtype) == "int64"
    assert str(frame["billed_fee_fen"].dtype) == "int64"
    assert str(frame["billed_weight_g"].dtype) == "Int64"
    assert str(frame["billed_at"].dtype) == "datetime64[ns]"
    # No weight, province or date columns: empty values, not errors.
    assert frame["billed_weight_g"].isna().all()
    assert frame["billed_province"].tolist() == [""]
    assert frame["billed_at"].isna().all()


def test_several_sheets_cover_sheet_skipped(xlsx_file):
    header = ["运单号", "运费"]
    path = xlsx_file(
        {
            "说明": [["本对账单由系统生成"], ["如有疑问请联系客服"]],
            "第1周": [TITLE, header, ["ZT0000000001", "5"], ["ZT0000000002", "6"]],
            "第2周": [header, ["ZT0000000003", "7"]],
        }
    )
    result = read(path)
    assert result.frame["waybill_no"].tolist() == ["ZT0000000001", "ZT0000000002", "ZT0000000003"]
    assert result.frame["line_no"].tolist() == [1, 2, 3]
    assert result.frame["sheet"].tolist() == ["第1周", "第1周", "第2周"]
    assert result.frame["row_no"].tolist() == [3, 4, 2]
    assert [s["name"] for s in result.info["sheets"]] == ["第1周", "第2周"]
    assert result.info["skipped_sheets"] == [{"name": "说明", "reason": "header_not_found", "hidden": False}]


def test_no_sheet_has_a_header(xlsx_file):
    path = xlsx_file({"说明": [["本对账单由系统生成"]], "数据": [TITLE, ["单据编号", "应收", "备注"], ["1", "2", "3"]]})
    with pytest.raises(IngestError) as exc:
        read(path)
    err = exc.value
    assert err.code == "header_not_found"
    assert err.details["headers_found"] == {"说明": ["本对账单由系统生成"], "数据": ["单据编号", "应收", "备注"]}
    assert "运单号" in err.details["expected"]["waybill_no"]
    assert err.details["required"] == ["waybill_no", "billed_fee"]
    json.dumps(err.details)


def test_override_maps_an_unknown_column(xlsx_file):
    path = xlsx_file({"s": [["运单号", "应收"], ["75312345678901", "9.90"]]})
    with pytest.raises(IngestError):
        read(path)
    result = read(path, overrides={"billed_fee": "应收"})
    assert result.frame["billed_fee_fen"].tolist() == [990]


def test_waybills_stored_as_numbers(xlsx_file):
    path = xlsx_file(
        {
            "s": [
                ["运单号", "运费"],
                [75312345678901, 5],
                [753123456789012, 5],  # 15 digits: still exact in Excel
                [1234567890123456, 5],  # 16 digits: Excel has lost the last one
            ]
        }
    )
    result = read(path)
    assert result.frame["waybill_no"].tolist() == ["75312345678901", "753123456789012"]
    assert result.rejected["reason_code"].tolist() == ["waybill_scientific"]
    assert result.rejected["row_no"].tolist() == [4]


def test_amounts_as_text_fullwidth_and_stray_whitespace(xlsx_file):
    path = xlsx_file(
        {
            "s": [
                ["\t运 单 号 ", " 运费（元）\t", "重量 "],
                ["\t75312345678901 ", "¥1,234.50", " 1.5\t"],
                ["７５３１２３４５６７８９０２", "12元", "２"],
                ["75312345678903\u3000", "３．５０", ""],
                ["'75312345678904", " 8.00\t", "0.3"],
            ]
        }
    )
    result = read(path)
    assert result.rejected.empty
    assert result.frame["waybill_no"].tolist() == [f"7531234567890{i}" for i in range(1, 5)]
    assert result.frame["billed_fee_fen"].tolist() == [123450, 1200, 350, 800]
    assert result.frame["billed_weight_g"].tolist()[:2] == [1500, 2000]
    assert pd.isna(result.frame["billed_weight_g"][2])


def test_rejected_rows_say_why_and_show_the_row(xlsx_file):
    path = xlsx_file(
        {
            "s": [
                ["运单号", "运费", "重量", "备注"],
                ["75312345678901", "", "1", "no fee"],
                ["75312345678902", "abc", "1", None],
                ["75312345678903", "5", "heavy", None],
                ["7531-?", "5", "1", None],
                [None, "5", "1", "lost label"],
                ["75312345678906", "5", "1", None],
            ]
        }
    )
    result = read(path)
    rejected = result.rejected
    assert list(rejected.columns) == ["sheet", "row_no", "reason_code", "reason", "raw"]
    assert rejected["row_no"].tolist() == [2, 3, 4, 5, 6]
    assert rejected["reason_code"].tolist() == [
        "fee_missing",
        "fee_invalid",
        "weight_invalid",
        "waybill_invalid",
        "waybill_missing",
    ]
    assert result.info["rejected_fee_fen"] == 1500  # the readable fees of rejected rows
    assert "abc" in rejected["reason"][1]
    assert "heavy" in rejected["reason"][2]
    assert "7531-?" in rejected["reason"][3]
    assert rejected["raw"].tolist()[0] == "75312345678901 | 1 | no fee"
    assert rejected["sheet"].tolist() == ["s"] * 5
    assert result.frame["row_no"].tolist() == [7]


def test_unparseable_date_keeps_the_row(xlsx_file):
    path = xlsx_file({"s": [["运单号", "运费", "日期"], ["75312345678901", "5", "十月三日"], ["75312345678902", "5", "2026-10-03"]]})
    result = read(path)
    assert len(result.frame) == 2
    assert pd.isna(result.frame["billed_at"][0])
    assert result.info["invalid_dates"] == 1


def test_weight_unit_from_header_and_per_value_suffix(xlsx_file):
    path = xlsx_file({"s": [["运单号", "运费", "计费重量（克）"], ["75312345678901", "5", 1250], ["75312345678902", "5", "1.5kg"]]})
    result = read(path)
    assert result.frame["billed_weight_g"].tolist() == [1250, 1500]
    assert result.info["weight_unit"] == "g"
    assert result.info["weight_unit_source"] == "header"


def test_repeated_headers_and_blank_rows(xlsx_file):
    header = ["运单号", "运费"]
    path = xlsx_file(
        {
            "s": [
                header,
                ["75312345678901", "5"],
                [],
                ["   ", None],
                header,
                ["75312345678902", "6"],
                ["小计", "11"],
                [" 运单号", "运费 "],
                ["75312345678903", "7"],
                ["总计", "18"],
            ]
        }
    )
    result = read(path)
    assert result.frame["row_no"].tolist() == [2, 6, 9]
    assert result.info["repeated_headers"] == 2
    assert result.info["blank_rows"] == 2
    assert [t["row_no"] for t in result.info["totals_rows"]] == [7, 10]
    assert [t["fee_fen"] for t in result.info["totals_rows"]] == [1100, 1800]
    assert result.rejected.empty


def test_nothing_is_dropped_silently(xlsx_file):
    rows = [["运单号", "运费", "重量"]]
    rows += [[f"7531234567{i:04d}", f"{i}.00", "1"] for i in range(1, 30)]
    rows += [["7.5E+13", "1", "1"], ["", "1", "1"], ["x", "", ""], [], ["合计", "999", ""], ["ABC", "1", "?"]]
    path = xlsx_file({"s": rows})
    result = read(path)
    info = result.info
    below_header = len(rows) - 1
    accounted = len(result.frame) + len(result.rejected) + len(info["totals_rows"])
    assert accounted + info["blank_rows"] + info["repeated_headers"] == below_header
    assert len(result.frame) == 29
    assert len(result.rejected) == 4


def test_header_only_is_no_data(xlsx_file):
    path = xlsx_file({"s": [TITLE, ["运单号", "运费"], [], ["合计", "0"]]})
    with pytest.raises(IngestError) as exc:
        read(path)
    assert exc.value.code == "no_data"


# --- CSV -------------------------------------------------------------------------------------


def _bill_csv(sep: str) -> str:
    lines = [
        "中通快递2026年10月对账单",  # one field
        sep.join(["客户：XX电商", "账期：2026-10"]),  # two fields
        "",
        sep.join(["运单号", "目的省份", "运费", "重量(kg)", "揽收时间", "备注"]),
        sep.join(["75312345678901", "广东省", "12.50", "1.2", "2026/10/3 14:05", '"易碎, 轻放"']),
        sep.join(["75312345678902", "新疆维吾尔自治区", '"1,234.00"', "30", "2026-10-04", ""]),
        sep.join(["合计", "", '"1,246.50"']),  # shorter than the header
    ]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
@pytest.mark.parametrize("sep", [",", "\t", ";"])
def test_csv_encodings_and_delimiters(text_file, encoding, sep):
    path = text_file(_bill_csv(sep), encoding=encoding)
    result = read(path)
    frame = result.frame
    assert frame["waybill_no"].tolist() == ["75312345678901", "75312345678902"]
    assert frame["billed_fee_fen"].tolist() == [1250, 123400]
    assert frame["billed_weight_g"].tolist() == [1200, 30000]
    assert frame["billed_province"].tolist() == ["广东", "新疆"]
    assert frame["billed_at"].tolist() == [pd.Timestamp("2026-10-03 14:05"), pd.Timestamp("2026-10-04")]
    assert frame["row_no"].tolist() == [5, 6]
    assert frame["sheet"].tolist() == ["", ""]
    assert result.rejected.empty
    assert result.info["totals_rows"] == [{"sheet": "", "row_no": 7, "text": "合计", "fee_fen": 124650}]
    assert result.info["format"] == "csv"
    assert result.info["delimiter"] == sep
    assert result.info["encoding"] == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}.get(encoding, "gb18030")


def test_csv_scientific_waybill_is_rejected_with_its_row(text_file):
    path = text_file("运单号,运费\n75312345678901,5\n7.53123E+13,5\n75312345678903,5\n")
    result = read(path)
    assert result.frame["waybill_no"].tolist() == ["75312345678901", "75312345678903"]
    assert result.rejected["reason_code"].tolist() == ["waybill_scientific"]
    assert result.rejected["row_no"].tolist() == [3]
    assert "7.53123E+13" in result.rejected["reason"][0]


def test_csv_rows_longer_than_the_header(text_file):
    path = text_file("运单号,运费\n75312345678901,5,extra,cells\n75312345678902,6\n")
    result = read(path)
    assert result.frame["billed_fee_fen"].tolist() == [500, 600]


def test_csv_float_waybills_and_excel_wrappers(text_file):
    path = text_file('运单号,运费\n75312345678901.0,5\n="75312345678902",5\n\'75312345678903,5\n')
    result = read(path)
    assert result.frame["waybill_no"].tolist() == ["75312345678901", "75312345678902", "75312345678903"]


def test_csv_without_a_recognizable_header(text_file):
    path = text_file("订单,金额合计,备注\n1,2,3\n")
    with pytest.raises(IngestError) as exc:
        read(path)
    assert exc.value.code == "header_not_found"
    assert exc.value.details["headers_found"] == {"": ["订单", "金额合计", "备注"]}


def test_csv_of_only_separators_is_empty(text_file):
    path = text_file(",,,\n,,,\n")
    with pytest.raises(IngestError) as exc:
        read(path)
    assert exc.value.code == "empty_file"


def test_csv_utf16_tab_separated_excel_unicode_text(text_file):
    # Excel's "Unicode Text" export: UTF-16 with a BOM, tab separated.
    path = text_file("运单号\t运费\r\n75312345678901\t5.5\r\n", encoding="utf-16")
    result = read(path)
    assert result.frame["billed_fee_fen"].tolist() == [550]
    assert result.info["encoding"] == "utf-16"


def test_workbook_with_only_empty_sheets_is_empty(xlsx_file):
    path = xlsx_file({"Sheet1": [], "Sheet2": []})
    with pytest.raises(IngestError) as exc:
        read(path)
    assert exc.value.code == "empty_file"


def test_hidden_and_empty_sheets_are_reported(xlsx_file):
    header = ["运单号", "运费"]
    path = xlsx_file(
        {"空白": [], "明细": [header, ["75312345678901", "5"]], "旧": [header, ["75312345678902", "6"]]},
        hidden=("旧",),
    )
    result = read(path)
    assert [(s["name"], s["hidden"]) for s in result.info["sheets"]] == [("明细", False), ("旧", True)]
    assert result.info["skipped_sheets"] == [{"name": "空白", "reason": "empty", "hidden": False}]
