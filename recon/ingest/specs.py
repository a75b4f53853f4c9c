"""The columns of each kind of file we import, with the names people give them."""
import re

from recon.ingest.errors import gettext_noop
from recon.ingest.header import Field, TableSpec, Words

WAYBILL_SYNONYMS = (
    "运单号", "快递单号", "运单编号", "运单号码", "快递单号码", "单号", "面单号", "物流单号", "物流单号码",
    "waybill", "waybill no", "waybill number", "tracking no", "tracking number",
)

# Names made of several words, for a courier's layout we have not seen: 'Tracking Number', '快递运单号', 'AWB No'.
WAYBILL_WORDS = Words(
    core=("运单号", "运单", "单号", "面单号", "面单", "waybill", "tracking", "awb", "邮件号"),
    qualifiers=("快递", "物流", "号码", "编号", "号", "express", "shipment", "parcel", "package", "id", "code", "单"),
    negative=("订单", "order", "退回", "退货", "返回", "原单", "return", "子单", "母单"),
)
PROVINCE_WORDS = Words(
    core=("省份", "省", "province", "省区"),
    qualifiers=(
        "收件", "收件人", "收货", "收货人", "到件", "到达", "目的", "目的地", "派送", "寄达",
        "consignee", "destination", "dest", "recipient", "receiver", "receiving", "delivery", "to", "shipto",
    ),
    negative=("寄件", "发件", "发货", "始发", "出发", "揽收", "寄出", "sender", "origin", "shipper", "from"),
)
FEE_WORDS = Words(
    core=("运费", "快递费", "费用", "金额", "费", "fee", "fees", "freight", "amount", "charge", "charges", "cost"),
    qualifiers=(
        "应付", "应收", "结算", "计费", "实收", "实付", "总", "快递", "物流", "运输", "账单", "合计", "总计",
        "billed", "total", "due", "payable", "shipping", "delivery", "express", "courier", "transport", "net",
    ),
    negative=(
        "保价", "保险", "代收", "货款", "退回", "退货", "返回", "增值", "附加", "包装", "声明", "申报", "优惠", "折扣",
        "首重", "续重", "单价", "税", "insurance", "insured", "declared", "discount", "return", "tax", "surcharge",
    ),
)
WEIGHT_WORDS = Words(
    core=("重量", "weight", "wt"),
    qualifiers=(
        "计费", "结算", "账单", "实际", "称重", "实重", "包裹", "快递", "总",
        "billed", "billing", "chargeable", "charged", "actual", "gross", "package", "parcel", "total",
    ),
    negative=("体积", "抛", "首重", "续重", "声明", "volume", "volumetric", "dimensional"),
)
PICKUP_WORDS = Words(
    core=("日期", "时间", "date", "time", "datetime"),
    qualifiers=(
        "揽收", "揽件", "寄件", "发件", "发货", "寄出", "交寄", "取件", "收寄", "业务", "出库",
        "pickup", "pick", "up", "collection", "collected", "shipping", "shipped", "ship", "send", "sent", "posting",
    ),
    negative=("签收", "派送", "派件", "妥投", "到达", "到件", "送达", "打印", "导入", "delivery", "delivered", "signed"),
)

BILL_SPEC = TableSpec(
    fields=(
        Field("waybill_no", WAYBILL_SYNONYMS, required=True, label=gettext_noop("Waybill number"),
              words=WAYBILL_WORDS, content="waybill"),
        Field(
            "billed_fee",
            ("运费", "快递费", "应付金额", "金额", "费用", "结算金额", "总费用", "计费金额", "freight", "fee", "amount"),
            required=True, label=gettext_noop("Billed fee"), words=FEE_WORDS, content="money",
        ),
        Field("billed_weight", ("计费重量", "结算重量", "重量", "称重重量", "实际重量", "weight", "billed weight"),
              label=gettext_noop("Billed weight"), words=WEIGHT_WORDS, content="number"),
        Field(
            "province",
            ("目的省份", "目的地", "到达省份", "收件省", "收件省份", "省份", "目的省", "destination", "province"),
            label=gettext_noop("Destination province"), words=PROVINCE_WORDS, content="province",
        ),
        Field(
            "billed_at",
            ("揽收时间", "寄件日期", "发件时间", "日期", "揽件时间", "发货日期", "寄件时间", "date", "pickup time"),
            label=gettext_noop("Pickup time"), words=PICKUP_WORDS, content="date",
        ),
        # Couriers bill the parcels they carry back to us in the same file, marked 退件/逆向 in a column of their own.
        Field("business_type", ("业务类型", "件类型", "运单类型", "business type", "shipment type"),
              label=gettext_noop("Business type")),
    )
)

SHIPMENT_SPEC = TableSpec(
    fields=(
        Field("order_no", ("订单号", "订单编号", "平台订单号", "order no", "order number", "order id"), required=True,
              label=gettext_noop("Order number")),
        Field("waybill_no", WAYBILL_SYNONYMS, required=True, label=gettext_noop("Waybill number"),
              words=WAYBILL_WORDS, content="waybill"),
        Field("courier", ("快递公司", "承运商", "物流公司", "快递", "carrier", "courier"), required=True,
              label=gettext_noop("Courier")),
        Field("shipped_at", ("发货时间", "发货日期", "出库时间", "shipped at", "ship time"), required=True,
              label=gettext_noop("Shipped at"), content="date"),
        Field("weight_kg", ("重量", "包裹重量", "实际重量", "weight"), label=gettext_noop("Weight"),
              words=WEIGHT_WORDS, content="number"),
        Field("length_cm", ("长", "长度", "length"), label=gettext_noop("Length")),
        Field("width_cm", ("宽", "宽度", "width"), label=gettext_noop("Width")),
        Field("height_cm", ("高", "高度", "height"), label=gettext_noop("Height")),
        Field("province", ("省份", "收件省份", "收货省份", "省", "province"), label=gettext_noop("Destination province"),
              words=PROVINCE_WORDS, content="province"),
        Field("city", ("城市", "收件城市", "收货城市", "市", "city"), label=gettext_noop("Destination city")),
        Field("status", ("状态", "发货状态", "订单状态", "status"), label=gettext_noop("Status")),
        Field("declared_value", ("保价金额", "声明价值", "declared value"), label=gettext_noop("Declared value")),
        Field("recipient_name", ("收件人", "收货人", "收件人姓名", "收货人姓名", "收件人名称", "recipient", "recipient name", "consignee"),
              label=gettext_noop("Recipient")),
        Field(
            "recipient_phone",
            ("收件人电话", "收件人手机", "联系电话", "手机号", "收货人电话", "收货人手机", "收件电话", "收货电话", "收件人手机号",
             "收货人手机号", "手机号码", "手机", "电话", "recipient phone", "phone", "mobile"),
            label=gettext_noop("Recipient phone"),
        ),
        Field(
            "recipient_address",
            ("收件地址", "收货地址", "详细地址", "收件人地址", "收货人地址", "收件详细地址", "收货详细地址", "地址",
             "recipient address", "address"),
            label=gettext_noop("Recipient address"),
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
        Field("province", ("省份", "目的地", "目的省份", "目的省", "到达省份", "province", "destination"), required=True,
              label=gettext_noop("Destination province"), words=PROVINCE_WORDS, content="province"),
        Field("step_price", ("续重单价", "续重", "续重价格", "续重费", "续重资费"), label=gettext_noop("Additional weight price")),
        Field("step_kg", ("续重单位kg", "续重单位", "续重重量", "续重单位(kg)"), label=gettext_noop("Additional weight step")),
    ),
    groups={"bands": BAND_RE},
    required_groups=("bands",),
    group_labels={"bands": gettext_noop("weight band columns (0.5kg, 1kg…)")},
)
