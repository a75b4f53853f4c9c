"""Returns files written by the tests themselves (CSV in GBK or UTF-8, xlsx), and a media folder of the test's own."""
import io

import openpyxl
import pytest


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def csv_bytes(rows: list[list], encoding: str = "gbk") -> bytes:
    text = "\r\n".join(",".join(f'"{c}"' if "," in str(c) else str(c) for c in row) for row in rows) + "\r\n"
    return text.encode(encoding)


def xlsx_bytes(rows: list[list], title_rows: list[list] = ()) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [*title_rows, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


REQUEST_HEADER = ["售后单号", "订单号", "平台", "店铺", "退货运单号", "退货快递", "商品编码", "退货数量", "退款金额", "退款状态",
                  "退款时间", "申请时间", "退货原因", "买家姓名", "买家电话", "买家地址"]
RECEIPT_HEADER = ["快递单号", "订单号", "入库时间", "SKU", "实收数量", "质检结果", "仓库", "质检员"]
FREIGHT_HEADER = ["运单号", "揽收时间", "计费重量", "运费", "目的省份", "寄件省份"]
