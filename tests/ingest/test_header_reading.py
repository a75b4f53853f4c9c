"""Headers read the way a person reads them: punctuation, case and units ignored, several-word names in any order,
ties told apart by the cells under the header, refusals that name what is missing, and files that are not what
their names say."""
import openpyxl
import pytest
from django.utils import translation

from couriers.demo_data import generate, rate_card_frame, write_messy_csv, write_messy_xlsx
from recon.ingest import IngestError, find_header, read_courier_bill, read_rate_card, read_shipments, read_tables
from recon.ingest.specs import BILL_SPEC, RATE_CARD_SPEC, SHIPMENT_SPEC

from .test_real_files import FILES, STATEMENT_SPEC


def column_of(header: str, spec=BILL_SPEC):
    """(field, unit, uncertain) that a lone header cell is read as."""
    match = find_header([[header]], spec)
    assert len(match.columns) <= 1, match.columns
    if not match.columns:
        return None
    (name, _col), = match.columns.items()
    return name, match.units[name], match.uncertain == [name]


@pytest.mark.parametrize(
    "header, field, unit, uncertain",
    [
        # Punctuation, case, spaces and full-width forms do not matter; a synonym stays certain.
        ("Waybill No.", "waybill_no", "", False),
        ("运单号：", "waybill_no", "", False),
        ("【运单号】", "waybill_no", "", False),
        ("运单号*", "waybill_no", "", False),
        ("* 运单号", "waybill_no", "", False),
        ('"Tracking-Number"', "waybill_no", "", False),
        ("WAYBILL_NO", "waybill_no", "", False),
        ("Tracking Number", "waybill_no", "", False),
        ("（运单号）", "waybill_no", "", False),
        # Units in brackets or after a slash are read and taken off.
        ("计费重量(kg)", "billed_weight", "kg", False),
        ("计费重量（克）", "billed_weight", "g", False),
        ("计费重量kg", "billed_weight", "kg", False),
        ("运费/元", "billed_fee", "yuan", False),
        ("运费[CNY]", "billed_fee", "yuan", False),
        ("运费(分)", "billed_fee", "fen", False),
        ("运费（单位：元）", "billed_fee", "yuan", False),
        ("Billed Weight (kg)", "billed_weight", "kg", False),
        # Several words in any common order: matched, but a person should confirm.
        ("Consignee Province", "province", "", True),
        ("Province of Consignee", "province", "", True),
        ("收件人省份", "province", "", True),
        ("到件省份", "province", "", True),
        ("Destination Province", "province", "", True),
        ("Weight Billed", "billed_weight", "", True),
        ("Weight Billed (KG)", "billed_weight", "kg", True),
        ("Freight Amount", "billed_fee", "", True),
        ("Freight Amount [CNY]", "billed_fee", "yuan", True),
        ("快递运费(元)", "billed_fee", "yuan", True),
        ("Pickup Date", "billed_at", "", True),
        ("Date of Pickup", "billed_at", "", True),
        ("揽收日期", "billed_at", "", True),
        ("快递运单号", "waybill_no", "", True),
    ],
)
def test_each_spelling_maps_to_its_field_and_unit(header, field, unit, uncertain):
    assert column_of(header) == (field, unit, uncertain)


@pytest.mark.parametrize(
    "header",
    ["寄件人省份", "Sender Province", "Province of Origin", "保价费", "退回运费", "COD Fee", "Insurance Fee", "订单号",
     "体积重量", "签收时间", "备注：运费按重量计算", "中通快递2026年10月对账单"],
)
def test_names_of_other_things_match_no_field(header):
    assert column_of(header) is None


@pytest.mark.parametrize(
    "header, field, unit",
    [("续重单价(元/kg)", "step_price", "yuan/kg"), ("续重单价元/kg", "step_price", "yuan/kg"),
     ("续重单价/元/公斤", "step_price", "yuan/kg"), ("Consignee Province", "province", "")],
)
def test_rate_card_headers_with_a_price_per_kilogram(header, field, unit):
    assert column_of(header, RATE_CARD_SPEC)[:2] == (field, unit)


def test_the_consignee_province_wins_over_the_sender_province_whatever_the_order():
    for row, col in ((["运单号", "运费", "寄件人省份", "收件人省份"], 3), (["运单号", "运费", "收件人省份", "寄件人省份"], 2),
                     (["Waybill", "Fee", "Sender Province", "Consignee Province"], 3)):
        match = find_header([row], BILL_SPEC)
        assert match.columns["province"] == col
        assert match.uncertain == ["province"]


def test_the_freight_wins_over_the_insurance_fee_and_is_certain():
    match = find_header([["运单号", "保价费", "运费", "退回运费"]], BILL_SPEC)
    assert match.columns == {"waybill_no": 0, "billed_fee": 2}
    assert match.uncertain == []

    match = find_header([["运单号", "保价费", "Freight Amount", "代收货款"]], BILL_SPEC)
    assert match.columns == {"waybill_no": 0, "billed_fee": 2}
    assert match.uncertain == ["billed_fee"]


def test_a_synonym_beats_a_several_word_name():
    match = find_header([["运单号", "收件人省份", "目的省份", "运费"]], BILL_SPEC)
    assert match.columns["province"] == 2
    assert match.uncertain == []


def test_two_waybill_columns_are_told_apart_by_their_contents():
    rows = [
        ["单号", "【单号】", "运费"],
        ["TB-20261001-001", "75312345678901", "12.87"],
        ["TB-20261001-002", "SF1234567890123", "8.00"],
        ["TB-20261001-003", "75312345678903", "9.50"],
    ]
    match = find_header(rows, BILL_SPEC)
    assert match.columns == {"waybill_no": 1, "billed_fee": 2}
    assert match.uncertain == ["waybill_no"]
    # The same columns the other way round: still the one holding waybill numbers.
    swapped = [[r[1], r[0], r[2]] for r in rows]
    assert find_header(swapped, BILL_SPEC).columns["waybill_no"] == 0


def test_two_amount_and_two_date_columns_are_told_apart_by_their_contents():
    rows = [
        ["运单号", "金额", "金额", "日期", "日期", "Consignee Province", "Destination Province"],
        ["75312345678901", "张三", "12.87", "第一批", "2026-10-01 08:30:00", "张三", "广东省"],
        ["75312345678902", "李四", "¥8.00", "第二批", "2026/10/02", "李四", "浙江"],
    ]
    match = find_header(rows, BILL_SPEC)
    assert match.columns == {"waybill_no": 0, "billed_fee": 2, "billed_at": 4, "province": 6}
    assert match.uncertain == ["billed_fee", "province", "billed_at"]


def test_an_override_is_certain_even_where_a_name_would_be_loose():
    match = find_header([["Tracking Number", "Freight Amount", "运费"]], BILL_SPEC, overrides={"billed_fee": "Freight Amount"})
    assert match.columns == {"waybill_no": 0, "billed_fee": 1}
    assert match.uncertain == []


def write_csv(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_fee_column_in_fen_is_read_as_fen(tmp_path):
    parsed = read_courier_bill(write_csv(tmp_path / "fen.csv", "运单号,运费(分)\n75312345678901,1287\n75312345678902,300分\n"), "fen.csv")
    assert parsed.frame["billed_fee_fen"].tolist() == [1287, 300]
    assert parsed.info["fee_unit"] == "fen"

    yuan = read_courier_bill(write_csv(tmp_path / "yuan.csv", "运单号,运费/元\n75312345678901,12.87\n"), "yuan.csv")
    assert yuan.frame["billed_fee_fen"].tolist() == [1287]
    assert yuan.info["fee_unit"] == "yuan"


def test_a_fen_column_in_a_workbook_and_a_part_of_a_fen(tmp_path):
    path = tmp_path / "fen.xlsx"
    book = openpyxl.Workbook()
    for row in (["运单号", "运费（分）"], ["75312345678901", 1287], ["75312345678902", 12.5], ["75312345678903", "12.87元"]):
        book.active.append(row)
    book.save(path)
    with translation.override("en"):
        parsed = read_courier_bill(path, "fen.xlsx")
    assert parsed.frame["billed_fee_fen"].tolist() == [1287, 1287]
    assert parsed.frame["row_no"].tolist() == [2, 4]
    assert parsed.rejected[["row_no", "reason_code", "reason"]].values.tolist() == [[3, "fee_invalid", "Fee “12.5” is not an amount"]]


def test_a_rate_card_priced_per_kilogram_in_its_header(tmp_path):
    path = tmp_path / "card.csv"
    write_csv(path, "目的省份,1kg,2kg,续重单价(元/kg),续重单位(kg)\n广东,5,6,1.5,1\n浙江省,5.5,6.5,2,0.5\n")
    frame = read_rate_card(path, "card.csv").frame
    assert frame[["province", "upper_g", "price_fen", "step_g", "step_price_fen"]].values.tolist() == [
        ["广东", 1000, 500, 1000, 150], ["广东", 2000, 600, 1000, 150],
        ["浙江", 1000, 550, 500, 200], ["浙江", 2000, 650, 500, 200],
    ]


def test_a_bill_in_a_layout_never_seen_reads_every_line(tmp_path):
    path = tmp_path / "express.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Statement"
    sheet.append(["ACME Express — Monthly Statement, October 2026"])
    sheet.append([])
    sheet.append(["Tracking Number", "Weight Billed (KG)", "Freight Amount [CNY]", "Province of Consignee", "Date of Pickup", "Remarks"])
    sheet.append(["SF1234567890123", 1.2, 12.87, "Guangdong", "2026-10-01 08:30:00", ""])
    sheet.append(["75312345678902", "0.5", "8.00", "浙江省", "2026/10/02", "re-weighed"])
    sheet.append(["75312345678903", 3, 20, "北京市", "2026-10-03", ""])
    book.save(path)

    parsed = read_courier_bill(path, "express.xlsx")
    frame = parsed.frame
    assert frame["waybill_no"].tolist() == ["SF1234567890123", "75312345678902", "75312345678903"]
    assert frame["billed_weight_g"].tolist() == [1200, 500, 3000]
    assert frame["billed_fee_fen"].tolist() == [1287, 800, 2000]
    assert frame["billed_province"].tolist() == ["广东", "浙江", "北京"]
    assert frame["billed_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2026-10-01 08:30", "2026-10-02 00:00", "2026-10-03 00:00"]
    assert frame["row_no"].tolist() == [4, 5, 6]
    assert parsed.rejected.empty
    assert (parsed.info["weight_unit"], parsed.info["fee_unit"]) == ("kg", "yuan")
    sheet_info = parsed.info["sheets"][0]
    assert sheet_info["header_row"] == 3
    assert sheet_info["uncertain"] == ["billed_fee", "billed_weight", "province", "billed_at"]
    assert read_tables(path, "express.xlsx", BILL_SPEC).tables[0].header.uncertain == ["billed_fee", "billed_weight", "province", "billed_at"]


def test_the_demo_files_and_the_real_exports_are_read_with_certainty(tmp_path):
    data = generate(60)
    write_messy_csv(data.bill, tmp_path / "bill.csv")
    write_messy_xlsx(data.bill, tmp_path / "bill.xlsx")
    for name in ("bill.csv", "bill.xlsx"):
        parsed = read_courier_bill(tmp_path / name, name)
        assert len(parsed.frame) == len(data.bill)
        assert [s["uncertain"] for s in parsed.info["sheets"]] == [[]] * len(parsed.info["sheets"])
    rate_card_frame().to_excel(tmp_path / "card.xlsx", index=False)
    card = read_tables(tmp_path / "card.xlsx", "card.xlsx", RATE_CARD_SPEC).tables[0].header
    assert (card.columns, card.uncertain) == ({"province": 0, "step_price": 5, "step_kg": 6}, [])
    shipments = data.shipments.head(5).copy()
    shipments.to_csv(tmp_path / "shipments.csv", index=False)
    assert read_tables(tmp_path / "shipments.csv", "shipments.csv", SHIPMENT_SPEC).tables[0].header.uncertain == []
    for path in FILES:
        assert [t.header.uncertain for t in read_tables(path, path.name, STATEMENT_SPEC).tables] == [[]] * len(
            read_tables(path, path.name, STATEMENT_SPEC).tables), path.name


def refusal(path, spec=BILL_SPEC, name=None) -> IngestError:
    with pytest.raises(IngestError) as caught:
        read_tables(path, name or path.name, spec)
    return caught.value


def test_the_refusal_names_the_missing_fields_in_the_readers_language(tmp_path):
    path = write_csv(tmp_path / "x.csv", "名称,数量,运费\n苹果,3,1\n")
    with translation.override("zh-hans"):
        zh = refusal(path)
    with translation.override("en"):
        en = refusal(path)
    assert zh.code == en.code == "header_not_found"
    assert zh.message == "未找到表头：缺少 运单号（在“x.csv”中看到的表头：名称、数量、运费）。"
    assert en.message == "Header not found: missing Waybill number (headers seen in “x.csv”: 名称, 数量, 运费)."
    assert zh.details == {
        "headers_found": {"": ["名称", "数量", "运费"]},
        "expected": BILL_SPEC.expected(),
        "required": ["waybill_no", "billed_fee"],
        "missing": ["waybill_no"],
    }


def test_the_refusal_of_a_workbook_names_the_closest_sheet(tmp_path):
    path = tmp_path / "bill.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本账单由系统生成"])
    data = book.create_sheet("10月")
    data.append(["单据", "金额", "备注"])
    book.save(path)
    with translation.override("zh-hans"):
        error = refusal(path)
    assert error.message == "未找到表头：缺少 运单号（在“bill.xlsx”的工作表“10月”中看到的表头：单据、金额、备注）。"
    assert error.details["missing"] == ["waybill_no"]
    assert error.details["headers_found"] == {"说明": ["本账单由系统生成"], "10月": ["单据", "金额", "备注"]}


def test_the_refusal_of_a_rate_card_and_of_shipments(tmp_path):
    card = write_csv(tmp_path / "card.csv", "省份,备注\n广东,x\n")
    with translation.override("zh-hans"):
        assert refusal(card, RATE_CARD_SPEC).message == "未找到表头：缺少 重量段列（0.5kg、1kg…）（在“card.csv”中看到的表头：省份、备注）。"
    with translation.override("en"):
        error = refusal(write_csv(tmp_path / "ships.csv", "订单号,运单号\nA1,75312345678901\n"), SHIPMENT_SPEC)
    assert error.message == "Header not found: missing Courier, Shipped at (headers seen in “ships.csv”: 订单号, 运单号)."
    assert error.details["missing"] == ["courier", "shipped_at"]
    with translation.override("zh-hans"):
        with pytest.raises(IngestError) as caught:
            read_shipments(tmp_path / "ships.csv", "ships.csv")
    assert caught.value.message == "未找到表头：缺少 快递公司、发货时间（在“ships.csv”中看到的表头：订单号、运单号）。"


def test_a_text_file_named_as_a_workbook_is_told_so(tmp_path):
    prose = write_csv(tmp_path / "bill.xlsx", "Dear team,\nplease find the October statement attached.\nBest regards\n")
    with translation.override("en"):
        error = refusal(prose)
    assert error.code == "misnamed_file"
    assert error.message == (
        "“bill.xlsx” is named as an Excel workbook but is a plain text file, and no header row with the expected columns "
        "is in it (missing Waybill number, Billed fee). Open the original in Excel and save it as xlsx, or export it again."
    )
    assert (error.details["found"], error.details["named"], error.details["missing"]) == ("text", ".xlsx", ["waybill_no", "billed_fee"])
    with translation.override("zh-hans"):
        assert refusal(prose, name="账单.xls").message == (
            "“账单.xls”的文件名表明它是 Excel 工作簿，但它其实是纯文本文件，其中也没有包含所需列的表头行（缺少 运单号、账单运费）。"
            "请在 Excel 中打开原文件并另存为 xlsx，或重新导出。"
        )
    # A CSV saved under a workbook's name is still read.
    csv = write_csv(tmp_path / "csv.xlsx", "运单号,运费\n75312345678901,12.87\n")
    assert read_courier_bill(csv, "csv.xlsx").frame["billed_fee_fen"].tolist() == [1287]


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "bill.xlsx",
         "“bill.xlsx”的文件名表明它是 Excel 工作簿，但它其实是PNG 图片。请上传 xlsx、xls 或 csv 文件。"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "bill.csv",
         "“bill.csv”的文件名表明它是 CSV 文件，但它其实是PDF 文档。请上传 xlsx、xls 或 csv 文件。"),
    ],
)
def test_an_image_or_a_document_named_as_a_table_is_told_so(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    with translation.override("zh-hans"):
        error = refusal(path)
    assert (error.code, error.message) == ("unsupported_type", message)


def test_a_zip_that_is_not_a_workbook_is_told_so(tmp_path):
    import zipfile

    path = tmp_path / "bill.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("bill.csv", "a,b")
    with translation.override("en"):
        error = refusal(path)
    assert (error.code, error.message) == (
        "unsupported_type", "“bill.xlsx” is named as an Excel workbook but is a zip archive. Upload an xlsx, xls or csv file.")


def test_header_matching_reads_fifty_wide_rows_quickly():
    import time

    rows = [[f"说明{i}-{j}" for j in range(100)] for i in range(45)]
    rows += [["Tracking Number", "Weight Billed (KG)", "Freight Amount [CNY]", "Province of Consignee", "Date of Pickup"] * 20]
    rows += [["75312345678901", "1.2", "12.87", "广东", "2026-10-01"] * 20] * 4
    start = time.perf_counter()
    match = find_header(rows, BILL_SPEC)
    elapsed = time.perf_counter() - start
    assert match.row == 45 and match.complete
    # About 0.1 s on an idle core; the bound leaves room for a loaded CI machine, not for a quadratic search.
    assert elapsed < 3.0, elapsed


def test_a_later_kind_declares_its_own_words():
    from recon.ingest import Field, TableSpec, Words

    spec = TableSpec(fields=(
        Field("refund", ("退款金额",), required=True, label="Refund", content="money",
              words=Words(core=("退款", "refund"), qualifiers=("金额", "amount", "实际"), negative=("运费",))),
    ))
    match = find_header([["Refund Amount (元)", "退款运费"], ["12.50", "3.00"]], spec)
    assert (match.columns, match.units, match.uncertain) == ({"refund": 0}, {"refund": "yuan"}, ["refund"])
