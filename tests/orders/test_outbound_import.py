"""Importing a warehouse's outbound file: one parcel carrying several orders (合并发货), one order in two parcels, exact
rows and shipments, parcel rows that disagree, numbers in scientific notation, weights in g or kg by the header,
couriers by alias, the same file twice, a corrected file, and the command's output and refusal."""
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orders.models import OutboundRecord, Shipment
from orders.outbound_services import outbound_file_import
from recon.core.errors import UserFacingError
from recon.sources.models import RejectedRow, SourceFile

from .order_files import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")

HEADER = ["出库单号", "平台单号", "运单号", "快递公司", "商品编码", "出库数量", "包裹重量", "出库时间", "仓库", "收货省份"]
# CK001 carries two orders in one parcel (合并发货); order 289123456789 leaves in two parcels, CK002 and CK003.
GOOD = [
    ["CK001", "3012345678901234567", "75312345678901", "中通快递", "COAT-BLK-M", "1", "1.25", "2026-10-02 15:30:00", "杭州仓", "浙江省"],
    ["CK001", "3012345678901234567", "75312345678901", "中通快递", "SCARF-01", "2", "1.25", "2026-10-02 15:30:00", "杭州仓", "浙江省"],
    ["CK001", "3012345678901234560", "75312345678901", "中通快递", "SOCK-3", "3", "1.25", "2026-10-02 15:30:00", "杭州仓", "浙江省"],
    ["CK002", "289123456789", "SF1234567890123", "顺丰速运", "BRUSH", "1", "0.5", "2026-10-05 21:00", "广州仓", "广东"],
    ["CK003", "289123456789", "SF1234567890124", "SF", "HEAD", "2", "0.3", "2026/10/06 09:00", "广州仓", ""],
]


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def run_import(rows, name="出库单.csv", kind="outbound"):
    data = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows, "utf-8")
    return outbound_file_import(file=io.BytesIO(data), filename=name, kind=kind, user=None)


def records() -> list[tuple]:
    return list(OutboundRecord.objects.order_by("outbound_no", "order_no", "sku").values_list(
        "outbound_no", "order_no", "sku", "quantity", "waybill_no", "courier__code", "packed_weight_g", "outbound_at",
        "warehouse", "province", "row_no"))


def shipments() -> list[tuple]:
    return list(Shipment.objects.order_by("waybill_no").values_list(
        "waybill_no", "order_no", "courier__code", "shipped_at", "weight_g", "province", "status"))


def rejected_of(result) -> list[tuple]:
    return list(RejectedRow.objects.filter(source_id=result.file_id).order_by("row_no").values_list("row_no", "reason_code", "reason"))


def test_a_parcel_of_several_orders_and_an_order_in_two_parcels_are_stored_exactly():
    result = run_import([HEADER, *GOOD])
    assert result.as_dict() == {"file_id": result.file_id, "rows": 5, "rejected": 0, "duplicates": 0}
    at_1, at_2, at_3 = local(2026, 10, 2, 15, 30), local(2026, 10, 5, 21, 0), local(2026, 10, 6, 9, 0)
    assert records() == [
        ("CK001", "3012345678901234560", "SOCK-3", 3, "75312345678901", "ZTO", 1250, at_1, "杭州仓", "浙江", 4),
        ("CK001", "3012345678901234567", "COAT-BLK-M", 1, "75312345678901", "ZTO", 1250, at_1, "杭州仓", "浙江", 2),
        ("CK001", "3012345678901234567", "SCARF-01", 2, "75312345678901", "ZTO", 1250, at_1, "杭州仓", "浙江", 3),
        ("CK002", "289123456789", "BRUSH", 1, "SF1234567890123", "SF", 500, at_2, "广州仓", "广东", 5),
        ("CK003", "289123456789", "HEAD", 2, "SF1234567890124", "SF", 300, at_3, "广州仓", "", 6),
    ]
    assert set(OutboundRecord.objects.values_list("source_id", flat=True)) == {result.file_id}
    # One shipment per parcel: the order is the outbound's first order number (compared as text).
    assert shipments() == [
        ("75312345678901", "3012345678901234560", "ZTO", at_1, 1250, "浙江", "shipped"),
        ("SF1234567890123", "289123456789", "SF", at_2, 500, "广东", "shipped"),
        ("SF1234567890124", "289123456789", "SF", at_3, 300, "", "shipped"),
    ]
    source = SourceFile.objects.get(pk=result.file_id)
    assert (source.file_kind, source.line_count, source.rejected_count, source.original_filename) == ("outbound", 5, 0, "出库单.csv")


def test_rows_of_one_outbound_that_disagree_on_a_parcel_field_are_all_rejected_with_the_reason():
    rows = [
        HEADER,
        GOOD[3],
        ["CK009", "501", "YT1234567890", "圆通", "X", "1", "0.8", "2026-10-06 10:00", "仓A", "江苏"],
        ["CK009", "502", "YT1234567890", "圆通", "Y", "1", "0.9", "2026-10-06 10:00", "仓A", "江苏"],
        ["CK009", "503", "YT1234567890", "圆通", "Z", "1", "0.8", "2026-10-06 10:00", "仓A", "江苏"],
        ["CK010", "601", "YT1234567891", "圆通", "X", "1", "0.8", "2026-10-06 10:00", "仓A", "江苏"],
        ["CK010", "602", "YT1234567892", "圆通", "Y", "1", "0.8", "2026-10-06 10:00", "仓A", "江苏"],
    ]
    result = run_import(rows)
    assert (result.rows, result.rejected, result.duplicates) == (1, 5, 0)
    weight = "出库单“CK009”的各行在“包裹重量”上不一致：“0.8”、“0.9”"
    waybill = "出库单“CK010”的各行在“运单号”上不一致：“YT1234567891”、“YT1234567892”"
    assert rejected_of(result) == [
        (3, "outbound_rows_disagree", weight), (4, "outbound_rows_disagree", weight), (5, "outbound_rows_disagree", weight),
        (6, "outbound_rows_disagree", waybill), (7, "outbound_rows_disagree", waybill),
    ]
    assert [r[0] for r in records()] == ["CK002"]
    assert [s[0] for s in shipments()] == ["SF1234567890123"]


def test_numbers_in_scientific_notation_and_negative_values_are_rejected_never_guessed():
    rows = [
        HEADER,
        GOOD[3],
        ["CK011", "701", "7.53123E+13", "中通", "Z", "1", "1", "2026-10-06 10:00", "仓A", "江苏"],
        ["CK012", "3.01235E+18", "75312345678911", "中通", "Z", "1", "1", "2026-10-06 10:00", "仓A", "江苏"],
        ["CK013", "703", "75312345678913", "中通", "Z", "-1", "1", "2026-10-06 10:00", "仓A", "江苏"],
        ["CK014", "704", "75312345678914", "中通", "Z", "1", "-0.5", "2026-10-06 10:00", "仓A", "江苏"],
        ["CK015", "705", "75312345678915", "火星快递", "Z", "1", "1", "2026-10-06 10:00", "仓A", "江苏"],
    ]
    result = run_import(rows)
    assert (result.rows, result.rejected, result.duplicates) == (1, 5, 0)
    assert rejected_of(result) == [
        (3, "waybill_scientific", "运单号“7.53123E+13”为科学计数法，数字已丢失。请在 Excel 中将该列设置为文本格式后重新导出文件"),
        (4, "order_no_scientific", "订单号“3.01235E+18”为科学计数法，数字已丢失。请在 Excel 中将该列设置为文本格式后重新导出文件"),
        (5, "quantity_negative", "数量“-1”为负数"),
        (6, "weight_negative", "重量“-0.5”为负数"),
        (7, "courier_unknown", "快递公司“火星快递”不是已知的快递公司代码、名称或别名"),
    ]
    assert [r[0] for r in records()] == ["CK002"]


@pytest.mark.parametrize("weight_header, cell, grams", [
    ("包裹重量", "1.25", 1250),
    ("包裹重量(kg)", "1.25", 1250),
    ("包裹重量(g)", "1250", 1250),
    ("称重重量（克）", "１,２５０", 1250),
    ("重量g", "980", 980),
])
def test_weight_is_in_kg_unless_the_header_says_g(weight_header, cell, grams):
    header = [weight_header if h == "包裹重量" else h for h in HEADER]
    row = ["CK001", "A1", "75312345678901", "ZTO", "S", "1", cell, "2026-10-02 15:30", "杭州仓", "浙江"]
    result = run_import([header, row])
    assert (result.rows, result.rejected) == (1, 0)
    assert OutboundRecord.objects.get().packed_weight_g == grams
    assert Shipment.objects.get().weight_g == grams


def test_courier_by_code_name_or_alias_and_an_xlsx_with_excel_dates():
    rows = [HEADER] + [
        [f"CK{i}", f"A{i}", f"7531234567890{i}", courier, "S", 1, 1.5, datetime(2026, 10, 2, 15, 30), "杭州仓", "浙江"]
        for i, courier in enumerate(["ZTO", "中通", "中通快递", "ｚｔｏ", "中通 速递"])
    ]
    result = run_import(rows, "出库单.xlsx")
    assert (result.rows, result.rejected) == (5, 0)
    assert set(OutboundRecord.objects.values_list("courier__code", "packed_weight_g", "outbound_at")) == {
        ("ZTO", 1500, local(2026, 10, 2, 15, 30))}


def test_the_same_file_twice_is_the_earlier_import_and_writes_nothing():
    first = run_import([HEADER, *GOOD, ["CK011", "701", "7.53123E+13", "中通", "Z", "1", "1", "2026-10-06 10:00", "仓A", "江苏"]])
    before = (OutboundRecord.objects.count(), Shipment.objects.count(), SourceFile.objects.count(), RejectedRow.objects.count())
    again = run_import([HEADER, *GOOD, ["CK011", "701", "7.53123E+13", "中通", "Z", "1", "1", "2026-10-06 10:00", "仓A", "江苏"]],
                       name="另一个名字.csv")
    assert again.as_dict() == first.as_dict() == {"file_id": first.file_id, "rows": 5, "rejected": 1, "duplicates": 0}
    assert again.repeated is True
    assert (OutboundRecord.objects.count(), Shipment.objects.count(), SourceFile.objects.count(),
            RejectedRow.objects.count()) == before == (5, 3, 1, 1)


def test_a_corrected_file_updates_what_changed_and_counts_the_rest_as_duplicates():
    first = run_import([HEADER, *GOOD])
    corrected = [list(r) for r in GOOD]
    # CK002 was weighed again (one row changed); CK003's province is filled in; a new item joins CK001.
    corrected[3][6] = "0.62"
    corrected[4][9] = "广东省"
    corrected.append(["CK001", "3012345678901234567", "75312345678901", "中通快递", "HAT-1", "1", "1.25", "2026-10-02 15:30:00",
                      "杭州仓", "浙江省"])
    second = run_import([HEADER, *corrected], name="出库单-更正.csv")
    assert second.as_dict() == {"file_id": second.file_id, "rows": 3, "rejected": 0, "duplicates": 3}
    assert second.file_id != first.file_id
    assert OutboundRecord.objects.count() == 6
    brush = OutboundRecord.objects.get(outbound_no="CK002")
    assert (brush.packed_weight_g, brush.source_id, brush.row_no) == (620, second.file_id, 5)
    assert OutboundRecord.objects.get(outbound_no="CK003").province == "广东"
    # Untouched items keep the file that wrote them.
    assert OutboundRecord.objects.get(outbound_no="CK001", sku="COAT-BLK-M").source_id == first.file_id
    assert list(Shipment.objects.filter(waybill_no__in=["SF1234567890123", "SF1234567890124"]).order_by("waybill_no")
                .values_list("weight_g", "province")) == [(620, "广东"), (300, "广东")]
    third = run_import([HEADER, *corrected], name="出库单-更正-副本.xlsx")
    assert (third.rows, third.rejected, third.duplicates) == (0, 0, 6)


def test_a_later_outbound_of_a_known_shipment_updates_it_and_keeps_what_the_outbound_does_not_say():
    run_import([HEADER, GOOD[4]])
    Shipment.objects.filter(waybill_no="SF1234567890124").update(province="广东", city="广州")
    changed = list(GOOD[4])
    changed[6] = "0.45"
    run_import([HEADER, changed], name="b.csv")
    assert shipments() == [("SF1234567890124", "289123456789", "SF", local(2026, 10, 6, 9, 0), 450, "广东", "shipped")]
    assert Shipment.objects.get().city == "广州"


def test_a_file_without_the_required_columns_is_refused_whole_and_writes_nothing():
    with pytest.raises(UserFacingError) as exc:
        run_import([["出库单号", "平台单号", "商品编码"], ["CK001", "A1", "S"]])
    assert exc.value.code == "header_not_found"
    assert (OutboundRecord.objects.count(), SourceFile.objects.count(), RejectedRow.objects.count()) == (0, 0, 0)


def test_the_command_prints_the_json_counts(tmp_path, capsys):
    path = tmp_path / "出库单.csv"
    path.write_bytes(csv_bytes([HEADER, *GOOD, ["CK013", "703", "75312345678913", "中通", "Z", "-1", "1", "2026-10-06", "仓A", "江苏"]],
                               "gbk"))
    call_command("import_outbound", str(path), "--kind", "outbound", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"file_id": SourceFile.objects.get().pk, "rows": 5, "rejected": 1, "duplicates": 0}
    call_command("import_outbound", str(path), "--kind", "outbound", "--json")
    assert json.loads(capsys.readouterr().out) == printed


def test_the_command_refuses_a_bad_file_in_chinese_and_writes_nothing(tmp_path):
    path = tmp_path / "空.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError) as exc:
        call_command("import_outbound", str(path), "--kind", "outbound", "--json")
    assert str(exc.value) == "empty_file: “空.csv”是空文件。"
    assert (OutboundRecord.objects.count(), SourceFile.objects.count()) == (0, 0)


def test_an_unknown_kind_is_refused_before_anything_is_read():
    with pytest.raises(UserFacingError) as exc:
        outbound_file_import(file=io.BytesIO(csv_bytes([HEADER, *GOOD], "utf-8")), filename="a.csv", kind="returns")
    assert (exc.value.code, exc.value.message) == (
        "invalid_kind", "未知的文件类型“returns”：请使用 outbound（出库记录）或 pickups（揽收记录）。")
    assert SourceFile.objects.count() == 0
