"""Importing a courier's pickup scans: exact rows, weights in g or kg by the header, couriers by alias, bad rows with
their reasons, the same file twice, a corrected file, and the command."""
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orders.models import PickupScan, Shipment
from orders.outbound_services import outbound_file_import
from recon.sources.models import RejectedRow, SourceFile

from .order_files import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")

HEADER = ["运单号", "快递公司", "揽收时间", "揽收重量", "揽收网点"]
GOOD = [
    ["75312345678901", "中通快递", "2026-10-02 18:05:00", "1.30", "杭州余杭网点"],
    ["75312345678902", "ZTO", "2026-10-02 18:06", "0.8", "杭州余杭网点"],
    ["SF1234567890123", "顺丰", "2026/10/05 22:10", "", ""],
]


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def run_import(rows, name="揽收记录.csv"):
    data = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows, "utf-8")
    return outbound_file_import(file=io.BytesIO(data), filename=name, kind="pickups", user=None)


def scans() -> list[tuple]:
    return list(PickupScan.objects.order_by("waybill_no").values_list(
        "waybill_no", "courier__code", "picked_up_at", "pickup_weight_g", "site", "row_no"))


def test_pickups_are_stored_exactly_and_touch_no_shipment():
    result = run_import([HEADER, *GOOD])
    assert result.as_dict() == {"file_id": result.file_id, "rows": 3, "rejected": 0, "duplicates": 0}
    assert scans() == [
        ("75312345678901", "ZTO", local(2026, 10, 2, 18, 5), 1300, "杭州余杭网点", 2),
        ("75312345678902", "ZTO", local(2026, 10, 2, 18, 6), 800, "杭州余杭网点", 3),
        ("SF1234567890123", "SF", local(2026, 10, 5, 22, 10), None, "", 4),
    ]
    assert Shipment.objects.count() == 0
    assert SourceFile.objects.get().file_kind == "pickups"


def test_bad_rows_are_rejected_with_their_reasons():
    rows = [
        HEADER, GOOD[0],
        ["7.53123E+13", "中通", "2026-10-02 18:05", "1", ""],
        ["75312345678903", "", "2026-10-02 18:05", "1", ""],
        ["75312345678904", "中通", "2026-10-02 18:05", "-1.2", ""],
        ["75312345678905", "中通", "昨天", "1", ""],
        ["75312345678906", "中通", "", "1", ""],
    ]
    result = run_import(rows)
    assert (result.rows, result.rejected, result.duplicates) == (1, 5, 0)
    assert list(RejectedRow.objects.order_by("row_no").values_list("row_no", "reason_code", "reason")) == [
        (3, "waybill_scientific", "运单号“7.53123E+13”为科学计数法，数字已丢失。请在 Excel 中将该列设置为文本格式后重新导出文件"),
        (4, "courier_missing", "快递公司为空"),
        (5, "weight_negative", "重量“-1.2”为负数"),
        (6, "picked_up_at_invalid", "揽收时间“昨天”不是日期"),
        (7, "picked_up_at_missing", "揽收时间为空"),
    ]
    assert [s[0] for s in scans()] == ["75312345678901"]


@pytest.mark.parametrize("weight_header, cell, grams", [
    ("揽收重量", "1.3", 1300),
    ("称重重量(kg)", "0.25", 250),
    ("揽收重量(g)", "1,300", 1300),
    ("揽收重量克", "950", 950),
])
def test_pickup_weight_is_in_kg_unless_the_header_says_g(weight_header, cell, grams):
    header = [weight_header if h == "揽收重量" else h for h in HEADER]
    result = run_import([header, ["75312345678901", "中通", "2026-10-02 18:05", cell, ""]])
    assert (result.rows, result.rejected) == (1, 0)
    assert PickupScan.objects.get().pickup_weight_g == grams


def test_the_same_waybill_of_two_couriers_is_two_scans():
    result = run_import([HEADER, ["75312345678901", "中通", "2026-10-02 18:05", "1", ""],
                         ["75312345678901", "圆通速递", "2026-10-02 19:00", "2", ""]], "揽收.xlsx")
    assert (result.rows, result.rejected, result.duplicates) == (2, 0, 0)
    assert sorted((s[0], s[1], s[3]) for s in scans()) == [("75312345678901", "YTO", 2000), ("75312345678901", "ZTO", 1000)]


def test_the_same_file_twice_is_the_earlier_import_and_a_corrected_file_updates():
    first = run_import([HEADER, *GOOD])
    again = run_import([HEADER, *GOOD], name="副本.csv")
    assert (again.as_dict(), again.repeated) == (first.as_dict(), True)
    assert (PickupScan.objects.count(), SourceFile.objects.count()) == (3, 1)
    corrected = [list(r) for r in GOOD]
    corrected[2][3] = "2.05"
    second = run_import([HEADER, *corrected, ["75312345678909", "中通", "2026-10-03 08:00", "0.5", "网点B"]], name="更正.csv")
    assert second.as_dict() == {"file_id": second.file_id, "rows": 2, "rejected": 0, "duplicates": 2}
    assert PickupScan.objects.get(waybill_no="SF1234567890123").pickup_weight_g == 2050
    assert PickupScan.objects.get(waybill_no="SF1234567890123").source_id == second.file_id
    assert PickupScan.objects.get(waybill_no="75312345678901").source_id == first.file_id
    assert PickupScan.objects.count() == 4


def test_the_command_prints_the_json_counts_and_refuses_a_file_without_the_columns(tmp_path, capsys):
    path = tmp_path / "揽收记录.csv"
    path.write_bytes(csv_bytes([HEADER, *GOOD], "gbk"))
    call_command("import_outbound", str(path), "--kind", "pickups", "--json")
    assert json.loads(capsys.readouterr().out) == {"file_id": SourceFile.objects.get().pk, "rows": 3, "rejected": 0,
                                                   "duplicates": 0}
    bad = tmp_path / "无表头.csv"
    bad.write_bytes(csv_bytes([["单号X", "备注"], ["1", "2"]], "utf-8"))
    with pytest.raises(CommandError) as exc:
        call_command("import_outbound", str(bad), "--kind", "pickups", "--json")
    assert str(exc.value).startswith("header_not_found: ")
    assert (PickupScan.objects.count(), SourceFile.objects.count()) == (3, 1)
