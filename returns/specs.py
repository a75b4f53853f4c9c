"""The columns of the three returns files, with the names platforms, warehouses and couriers give them, and their values."""
from recon.ingest.errors import gettext_noop
from recon.ingest.header import Field, TableSpec
from recon.ingest.specs import BILL_SPEC

ORDER_NO = ("订单号", "订单编号", "平台订单号", "原订单号", "order no", "order number", "order id")
SKU = ("商品编码", "sku", "货号", "商家编码", "商品货号", "sku编码", "商品sku")

REQUEST_SPEC = TableSpec(
    fields=(
        Field("return_no", ("退货单号", "售后单号", "退款单号", "服务单号", "return no", "return number"), required=True, label=gettext_noop("Return number")),
        Field("order_no", ORDER_NO, label=gettext_noop("Order number")),
        Field("platform", ("平台", "platform"), label=gettext_noop("Platform")),
        Field("shop", ("店铺", "店铺名称", "shop"), label=gettext_noop("Shop")),
        Field("return_waybill_no", ("退货运单号", "退回单号", "寄回单号", "退货物流单号", "return waybill"), label=gettext_noop("Return waybill number")),
        Field("return_courier", ("退货快递", "退货物流公司", "退货快递公司", "return courier"), label=gettext_noop("Return courier")),
        Field("sku", SKU, required=True, label=gettext_noop("SKU")),
        Field("quantity", ("退货数量", "申请数量", "quantity"), required=True, label=gettext_noop("Quantity")),
        Field("refund_amount", ("退款金额", "refund amount"), required=True, label=gettext_noop("Refund amount")),
        Field("refund_status", ("退款状态", "售后状态", "refund status"), required=True, label=gettext_noop("Refund status")),
        Field("refunded_at", ("退款时间", "refunded at"), label=gettext_noop("Refunded at")),
        Field("requested_at", ("申请时间", "requested at"), required=True, label=gettext_noop("Requested at")),
        Field("reason", ("退货原因", "reason"), label=gettext_noop("Reason")),
        Field("buyer_name", ("买家姓名", "买家", "客户姓名", "退货人", "寄件人", "buyer", "buyer name"), label=gettext_noop("Buyer name")),
        Field("buyer_phone", ("买家电话", "买家手机", "买家手机号", "联系电话", "手机号", "寄件人电话", "buyer phone"), label=gettext_noop("Buyer phone")),
        Field("buyer_address", ("买家地址", "寄件地址", "客户地址", "寄件人地址", "buyer address"), label=gettext_noop("Buyer address")),
    )
)

RECEIPT_SPEC = TableSpec(
    fields=(
        Field("return_waybill_no", ("运单号", "快递单号", "退货运单号", "waybill", "waybill no"), label=gettext_noop("Return waybill number")),
        Field("order_no", ORDER_NO, label=gettext_noop("Order number")),
        Field("received_at", ("签收时间", "入库时间", "received at"), required=True, label=gettext_noop("Received at")),
        Field("sku", SKU, required=True, label=gettext_noop("SKU")),
        Field("quantity", ("实收数量", "入库数量", "quantity"), label=gettext_noop("Quantity")),
        Field("condition", ("质检结果", "商品状态", "入库状态", "condition"), required=True, label=gettext_noop("Condition")),
        Field("warehouse", ("仓库", "warehouse"), label=gettext_noop("Warehouse")),
        Field("inspector", ("质检员", "inspector"), label=gettext_noop("Inspector")),
        # Links to the inspector's photos, one or more in a cell.
        Field("photos", ("图片", "照片", "质检图片", "图片链接", "photos"), label=gettext_noop("Photos")),
    )
)


# A courier's freight file has a courier bill's columns; the province a return is priced by is the one it comes from.
FREIGHT_SPEC = TableSpec(
    fields=(
        *BILL_SPEC.fields,
        Field("origin_province", ("寄件省份", "始发省份", "始发省", "寄件省", "origin province"), label=gettext_noop("Origin province")),
    )
)

REFUND_STATUSES = {
    "requested": "requested",
    "待处理": "requested",
    "处理中": "requested",
    "退款中": "requested",
    "refunded": "refunded",
    "退款成功": "refunded",
    "已退款": "refunded",
    "refused": "refused",
    "退款关闭": "refused",
    "已拒绝": "refused",
}

CONDITIONS = {
    "good": "good",
    "良品": "good",
    "正常": "good",
    "damaged": "damaged",
    "破损": "damaged",
    "残次": "damaged",
    "wrong_item": "wrong_item",
    "错货": "wrong_item",
    "empty": "empty",
    "空包": "empty",
    "missing_parts": "missing_parts",
    "缺件": "missing_parts",
}
