"""The columns of each kind of file we import, with the names people give them."""
import re

from recon.ingest.header import Field, TableSpec

WAYBILL_SYNONYMS = (
    "运单号", "快递单号", "运单编号", "运单号码", "快递单号码", "单号", "面单号", "物流单号", "物流单号码",
    "waybill", "waybill no", "waybill number", "tracking no", "tracking number",
)

BILL_SPEC = TableSpec(
    fields=(
        Field("waybill_no", WAYBILL_SYNONYMS, required=True),
        Field(
            "billed_fee",
            ("运费", "快递费", "应付金额", "金额", "费用", "结算金额", "总费用", "计费金额", "freight", "fee", "amount"),
            required=True,
        ),
        Field("billed_weight", ("计费重量", "结算重量", "重量", "称重重量", "实际重量", "weight", "billed weight")),
        Field(
            "province",
            ("目的省份", "目的地", "到达省份", "收件省", "收件省份", "省份", "目的省", "destination", "province"),
        ),
        Field(
            "billed_at",
            ("揽收时间", "寄件日期", "发件时间", "日期", "揽件时间", "发货日期", "寄件时间", "date", "pickup time"),
        ),
    )
)

SHIPMENT_SPEC = TableSpec(
    fields=(
        Field("order_no", ("订单号", "订单编号", "平台订单号", "order no", "order number", "order id"), required=True),
        Field("waybill_no", WAYBILL_SYNONYMS, required=True),
        Field("courier", ("快递公司", "承运商", "物流公司", "快递", "carrier", "courier"), required=True),
        Field("shipped_at", ("发货时间", "发货日期", "出库时间", "shipped at", "ship time"), required=True),
        Field("weight_kg", ("重量", "包裹重量", "实际重量", "weight")),
        Field("length_cm", ("长", "长度", "length")),
        Field("width_cm", ("宽", "宽度", "width")),
        Field("height_cm", ("高", "高度", "height")),
        Field("province", ("省份", "收件省份", "收货省份", "省", "province")),
        Field("city", ("城市", "收件城市", "收货城市", "市", "city")),
        Field("status", ("状态", "发货状态", "订单状态", "status")),
        Field("declared_value", ("保价金额", "声明价值", "declared value")),
        Field("recipient_name", ("收件人", "收货人", "收件人姓名", "收货人姓名", "收件人名称", "recipient", "recipient name", "consignee")),
        Field(
            "recipient_phone",
            ("收件人电话", "收件人手机", "联系电话", "手机号", "收货人电话", "收货人手机", "收件电话", "收货电话", "收件人手机号",
             "收货人手机号", "手机号码", "手机", "电话", "recipient phone", "phone", "mobile"),
        ),
        Field(
            "recipient_address",
            ("收件地址", "收货地址", "详细地址", "收件人地址", "收货人地址", "收件详细地址", "收货详细地址", "地址",
             "recipient address", "address"),
        ),
    )
)

# A weight band is a column named by its upper bound: '0.5kg', '1公斤', '500g', '首重0.5kg',
# or a range whose right end is the bound: '0-0.5kg', '0.5-1kg'.
BAND_RE = re.compile(
    r"(?:首重)?(?:≤|<=|<)?(?:\d+(?:\.\d+)?(?:kg|公斤|千克|g|克)?[-~～至到])?"
    r"(?P<bound>\d+(?:\.\d+)?)(?P<unit>kg|公斤|千克|g|克)(?:以内|以下|内)?"
)

RATE_CARD_SPEC = TableSpec(
    fields=(
        Field("province", ("省份", "目的地", "目的省份", "目的省", "到达省份", "province", "destination"), required=True),
        Field("step_price", ("续重单价", "续重", "续重价格", "续重费", "续重资费")),
        Field("step_kg", ("续重单位kg", "续重单位", "续重重量", "续重单位(kg)")),
    ),
    groups={"bands": BAND_RE},
    required_groups=("bands",),
)
