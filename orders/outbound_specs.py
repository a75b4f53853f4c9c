"""The columns of a warehouse's outbound file (出库单) and of a courier's pickup scans (揽收记录), under the names
warehouse systems and couriers give them."""
from recon.ingest.errors import gettext_noop
from recon.ingest.header import Field, TableSpec, header_key
from recon.ingest.specs import PROVINCE_WORDS, WAYBILL_SYNONYMS, WAYBILL_WORDS

COURIER = ("快递公司", "物流公司", "承运商", "快递", "快递名称", "物流方式", "carrier", "courier")
# A weight header with its gram unit glued on ('重量g', '包裹重量克'): the header reader only unglues kilograms.
PACKED_WEIGHT_GRAMS = ("包裹重量g", "称重重量g", "重量g", "包裹重量克", "称重重量克", "重量克", "packed_weight_g", "packed weight g")
PICKUP_WEIGHT_GRAMS = ("揽收重量g", "称重重量g", "重量g", "揽收重量克", "称重重量克", "重量克", "pickup_weight_g", "pickup weight g")
GRAM_KEYS = frozenset(header_key(s)[0] for s in PACKED_WEIGHT_GRAMS + PICKUP_WEIGHT_GRAMS)

OUTBOUND_SPEC = TableSpec(
    fields=(
        Field("outbound_no", ("出库单号", "出库单编号", "出库单", "出库编号", "outbound no", "outbound number"), required=True,
              label=gettext_noop("Outbound number")),
        Field("order_no", ("订单号", "平台单号", "平台订单号", "订单编号", "原始单号", "order no", "order number"), required=True,
              label=gettext_noop("Order number")),
        Field("waybill_no", WAYBILL_SYNONYMS, required=True, label=gettext_noop("Waybill number"), words=WAYBILL_WORDS,
              content="waybill"),
        Field("courier", COURIER, required=True, label=gettext_noop("Courier")),
        Field("sku", ("商品编码", "sku", "商家编码", "sku编码", "货号", "商品货号"), label=gettext_noop("SKU")),
        Field("quantity", ("出库数量", "数量", "发货数量", "商品数量", "quantity"), required=True, label=gettext_noop("Quantity")),
        Field("packed_weight", ("包裹重量", "称重重量", "重量", "实际重量", *PACKED_WEIGHT_GRAMS, "packed weight"),
              label=gettext_noop("Packed weight"), content="number"),
        Field("outbound_at", ("出库时间", "发货时间", "出库日期", "发货日期", "outbound at"), required=True,
              label=gettext_noop("Outbound at"), content="date"),
        Field("warehouse", ("仓库", "仓库名称", "发货仓", "发货仓库", "warehouse"), label=gettext_noop("Warehouse")),
        Field("province", ("收货省份", "目的省份", "收件省份", "省份", "province"), label=gettext_noop("Destination province"),
              words=PROVINCE_WORDS, content="province"),
    )
)

PICKUP_SPEC = TableSpec(
    fields=(
        Field("waybill_no", WAYBILL_SYNONYMS, required=True, label=gettext_noop("Waybill number"), words=WAYBILL_WORDS,
              content="waybill"),
        Field("courier", COURIER, required=True, label=gettext_noop("Courier")),
        Field("picked_up_at", ("揽收时间", "收件时间", "揽件时间", "揽收日期", "picked up at", "pickup time"), required=True,
              label=gettext_noop("Picked up at"), content="date"),
        Field("pickup_weight", ("揽收重量", "称重重量", "重量", *PICKUP_WEIGHT_GRAMS, "pickup weight"),
              label=gettext_noop("Pickup weight"), content="number"),
        Field("site", ("揽收网点", "网点", "收件网点", "揽件网点", "site"), label=gettext_noop("Pickup site")),
    )
)
