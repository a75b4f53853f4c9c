import pandas as pd
import pytest

from recon.ingest import IngestError, read_rate_card
from recon.ingest.rate_cards import RATE_COLUMNS


def read(path):
    return read_rate_card(path, path.name)


def test_rate_card_one_row_per_province_and_band(xlsx_file):
    path = xlsx_file(
        {
            "报价": [
                ["中通快递2026年报价表"],
                ["省份", "0.5kg", "1KG", "2公斤", "3kg", "续重单价", "续重单位kg", "备注"],
                ["江苏、浙江、上海", 3, 3.5, "4", "5", 1, "", "江浙沪"],
                ["广东省", 4, 5, 6, "", "2.5", 0.5, ""],
                ["新疆维吾尔自治区", "", 15, 20, 25, "¥10", 1, "偏远"],
            ]
        }
    )
    result = read(path)
    frame = result.frame
    assert list(frame.columns) == RATE_COLUMNS
    assert result.rejected.empty

    guangdong = frame[frame["province"] == "广东"]
    assert guangdong["upper_g"].tolist() == [500, 1000, 2000]  # empty 3kg price: no such band
    assert guangdong["price_fen"].tolist() == [400, 500, 600]
    assert guangdong["step_g"].unique().tolist() == [500]
    assert guangdong["step_price_fen"].unique().tolist() == [250]

    for province in ("江苏", "浙江", "上海"):
        rows = frame[frame["province"] == province]
        assert rows["upper_g"].tolist() == [500, 1000, 2000, 3000]
        assert rows["price_fen"].tolist() == [300, 350, 400, 500]
        assert rows["step_g"].unique().tolist() == [1000]  # empty cell: default 1 kg
        assert rows["row_no"].unique().tolist() == [3]

    xinjiang = frame[frame["province"] == "新疆"]
    assert xinjiang["upper_g"].tolist() == [1000, 2000, 3000]
    assert xinjiang["step_price_fen"].unique().tolist() == [1000]

    # Sorted by province, then band.
    assert frame[["province", "upper_g"]].equals(frame.sort_values(["province", "upper_g"])[["province", "upper_g"]])
    assert "广东" in result.info["provinces"]
    assert "北京" in result.info["provinces_missing"]


def test_without_step_columns_and_gram_bands(xlsx_file):
    path = xlsx_file({"s": [["目的地", "500g", "1000g"], ["北京", 5, 6]]})
    frame = read(path).frame
    assert frame["upper_g"].tolist() == [500, 1000]
    assert frame["step_g"].tolist() == [1000, 1000]
    assert frame["step_price_fen"].isna().all()
    assert str(frame["step_price_fen"].dtype) == "Int64"
    assert str(frame["price_fen"].dtype) == "int64"


def test_rejected_rows(xlsx_file):
    path = xlsx_file(
        {
            "s": [
                ["省份", "1kg", "2kg", "续重"],
                ["北京", 5, 6, 1],
                ["火星、广东", 5, 6, 1],
                ["天津", "五元", 6, 1],
                ["河北", 5, 6, "贵"],
                ["北京市", 7, 8, 1],
                ["", 5, 6, 1],
            ]
        }
    )
    result = read(path)
    assert set(result.frame["province"]) == {"北京"}
    rejected = result.rejected.sort_values("row_no")
    assert rejected["row_no"].tolist() == [3, 4, 5, 6, 7]
    assert rejected["reason_code"].tolist() == [
        "province_unknown",
        "price_invalid",
        "step_price_invalid",
        "province_duplicate",
        "province_missing",
    ]
    reasons = rejected["reason"].tolist()
    assert "火星" in reasons[0]
    assert "五元" in reasons[1]
    assert "北京" in reasons[3]


def test_province_group_shorthand(xlsx_file):
    path = xlsx_file({"s": [["省份", "1kg"], ["江浙沪", 3], ["京津冀", 4]]})
    frame = read(path).frame
    assert sorted(frame["province"]) == sorted(["江苏", "浙江", "上海", "北京", "天津", "河北"])


def test_rate_card_without_bands(xlsx_file):
    path = xlsx_file({"s": [["省份", "价格"], ["北京", 5]]})
    with pytest.raises(IngestError) as exc:
        read(path)
    assert exc.value.code == "header_not_found"


def test_rate_card_csv(text_file):
    path = text_file("省份,0-0.5kg,0.5-1kg,续重(元/kg)\n广东,3,4,1.5\n", encoding="gbk")
    frame = read(path).frame
    assert frame["upper_g"].tolist() == [500, 1000]
    assert frame["price_fen"].tolist() == [300, 400]
    assert frame["step_price_fen"].tolist() == [150, 150]
    assert isinstance(frame, pd.DataFrame)


def test_bands_headed_by_bare_kilograms_as_number_cells(xlsx_file):
    # Excel stores these headers as numbers: the reader sees 0.5, 1.0, 2.0, 3.0.
    path = xlsx_file(
        {
            "报价": [
                ["省份", 0.5, 1.0, 2.0, 3.0, "续重单价", "续重单位kg"],
                ["上海", 2.6, 3, 4, 5, 1, 1],
                ["新疆维吾尔自治区", 8, 10, 14, 18, 6, 0.5],
            ]
        }
    )
    result = read(path)
    assert result.rejected.empty
    assert result.info["sheets"][0]["bands_g"] == [500, 1000, 2000, 3000]
    frame = result.frame.set_index(["province", "upper_g"])
    assert frame.loc["上海", "price_fen"].to_dict() == {500: 260, 1000: 300, 2000: 400, 3000: 500}
    assert frame.loc["新疆", "price_fen"].to_dict() == {500: 800, 1000: 1000, 2000: 1400, 3000: 1800}
    assert frame.loc["上海", "step_price_fen"].unique().tolist() == [100]
    assert frame.loc["新疆", ["step_g", "step_price_fen"]].drop_duplicates().values.tolist() == [[500, 600]]


def test_bands_headed_by_bare_numbers_in_a_csv(text_file):
    path = text_file("省份,0.5,1.0,2,3,续重单价\n广东,3,3.5,5,6.5,1.5\n北京,3,3.5,5,6.5,1.5\n", encoding="gbk")
    frame = read(path).frame
    guangdong = frame[frame["province"] == "广东"]
    assert guangdong["upper_g"].tolist() == [500, 1000, 2000, 3000]
    assert guangdong["price_fen"].tolist() == [300, 350, 500, 650]
    assert guangdong["step_price_fen"].unique().tolist() == [150]
    assert sorted(set(frame["province"])) == ["北京", "广东"]


def test_bare_ranges_grams_in_brackets_and_no_zero_band(xlsx_file, text_file):
    ranges = read(text_file("省份,0-0.5,0.5-1,1-3\n浙江,2.6,3,4.5\n")).frame
    assert ranges["upper_g"].tolist() == [500, 1000, 3000]
    assert ranges["price_fen"].tolist() == [260, 300, 450]

    grams = read(text_file("目的地,500(g),1000（克）\n江苏,2.8,3.2\n", name="grams.csv")).frame
    assert grams["upper_g"].tolist() == [500, 1000]
    assert grams["price_fen"].tolist() == [280, 320]

    # A column headed 0 bounds nothing; the bands after it are read as usual.
    zero = read(xlsx_file({"s": [["省份", 0, 0.5, 1, "续重"], ["安徽", 1, 2.6, 3, 1]]}, name="zero.xlsx"))
    assert zero.info["sheets"][0]["bands_g"] == [500, 1000]
    assert zero.frame["price_fen"].tolist() == [260, 300]
    assert zero.frame["step_price_fen"].tolist() == [100, 100]


@pytest.mark.parametrize(
    ("header", "grams"),
    [("0.5", 500), ("1", 1000), ("1.0", 1000), ("３", 3000), ("0.5-1", 1000), ("1以内", 1000), ("500(g)", 500),
     ("2(kg)", 2000), ("0.5kg", 500), ("0", None), ("0.0", None), ("价格", None), ("续重", None)],
)
def test_band_upper_g(header, grams):
    from recon.ingest.rate_cards import band_upper_g

    assert band_upper_g(header) == grams
