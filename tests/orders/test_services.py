"""Importing recipients: Chinese and English headers, inserted and updated on re-import, never erased by a blank."""
import io

import pytest

from orders.models import Shipment
from orders.services import shipment_import, shipments_bulk_create

pytestmark = pytest.mark.django_db


def import_csv(text: str, name="发货明细.csv"):
    return shipment_import(file=io.BytesIO(text.encode("utf-8")), filename=name)


def recipient(waybill: str) -> tuple[str, str, str]:
    return Shipment.objects.values_list("recipient_name", "recipient_phone", "recipient_address").get(waybill_no=waybill)


@pytest.mark.parametrize(
    "headers",
    [
        "收件人,收件人电话,收件地址",
        "收货人,联系电话,收货地址",
        "收件人姓名,收件人手机,详细地址",
        "收货人,手机号,详细地址",
        "recipient_name,recipient_phone,recipient_address",
    ],
)
def test_recipient_columns_by_chinese_or_english_header(zto, headers):
    result = import_csv(
        f"订单号,运单号,快递公司,发货时间,{headers}\n"
        "SO1,75312345678901,中通,2026-10-03 10:00, 张三丰 ,138 1234 1234,广东省深圳市南山区科技园路1号\n"
    )
    assert (result.created, result.updated, len(result.rejected)) == (1, 0, 0)
    assert recipient("75312345678901") == ("张三丰", "138 1234 1234", "广东省深圳市南山区科技园路1号")


def test_phone_stored_as_an_excel_number_keeps_all_digits(zto, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["订单号", "运单号", "快递公司", "发货时间", "收货人", "手机号", "收货地址"])
    ws.append(["SO1", "75312345678901", "中通", "2026-10-03", "李四", 13812341234, "浙江省杭州市西湖区文三路90号"])
    path = tmp_path / "orders.xlsx"
    wb.save(path)
    with open(path, "rb") as fh:
        shipment_import(file=fh, filename="orders.xlsx")
    assert recipient("75312345678901") == ("李四", "13812341234", "浙江省杭州市西湖区文三路90号")


def test_reimport_updates_recipients_but_a_blank_or_masked_cell_keeps_them(zto):
    head = "订单号,运单号,快递公司,发货时间,收件人,收件人电话,收件地址\n"
    import_csv(head + "SO1,75312345678901,中通,2026-10-03,张三,13812341234,广东省深圳市南山区科技园路1号\n"
                      "SO2,75312345678902,中通,2026-10-03,李四,13900001111,浙江省杭州市西湖区文三路90号\n")
    result = import_csv(head + "SO1,75312345678901,中通,2026-10-03,张三丰,021-12345678,上海市浦东新区张江路1号\n"
                               "SO2,75312345678902,中通,2026-10-03,李*,139****1111,浙江省杭州市****\n")
    assert (result.created, result.updated) == (0, 2)
    assert recipient("75312345678901") == ("张三丰", "021-12345678", "上海市浦东新区张江路1号")
    assert recipient("75312345678902") == ("李四", "13900001111", "浙江省杭州市西湖区文三路90号")
    # A file without the recipient columns (a weight correction) updates the weight only.
    import_csv("订单号,运单号,快递公司,发货时间,重量\nSO1,75312345678901,中通,2026-10-03,2.5\n")
    assert Shipment.objects.get(waybill_no="75312345678901").weight_g == 2500
    assert recipient("75312345678901") == ("张三丰", "021-12345678", "上海市浦东新区张江路1号")


def test_a_masked_value_on_a_new_waybill_is_stored_empty(zto):
    import_csv("订单号,运单号,快递公司,发货时间,收件人,收件人电话\nSO1,75312345678901,中通,2026-10-03,张**,138****1234\n")
    assert recipient("75312345678901") == ("", "", "")


def test_rejected_rows_do_not_show_recipients(zto):
    result = import_csv(
        "订单号,运单号,快递公司,发货时间,收件人,收件人电话,收件地址\n"
        "SO1,75312345678901,中通,上周,张三丰,13812341234,广东省深圳市南山区科技园路1号\n"
    )
    row = result.rejected.iloc[0]
    assert row["reason_code"] == "shipped_at_invalid" and row["row_no"] == 2
    assert row["raw"] == "SO1 | 75312345678901 | 中通 | 上周 | *** | *** | ***"


def test_bulk_records_carry_recipients(zto):
    records = [
        {"order_no": "SO1", "waybill_no": "75312345678901", "courier": "ZTO", "shipped_at": "2026-10-05 14:00",
         "recipient_name": "王五", "recipient_phone": "+8613812341234", "recipient_address": "北京市朝阳区建国路88号"},
        {"order_no": "SO2", "waybill_no": "75312345678902", "courier": "ZTO", "shipped_at": "2026-10-05 14:00"},
    ]
    result = shipments_bulk_create(records=records)
    assert (result.created, len(result.rejected)) == (2, 0)
    assert recipient("75312345678901") == ("王五", "+8613812341234", "北京市朝阳区建国路88号")
    assert recipient("75312345678902") == ("", "", "")
