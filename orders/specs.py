"""The columns of an orders file, under the names ERP and platform exports (天猫/淘宝, 京东, 拼多多, 抖店) give them."""
import re
import unicodedata

from recon.ingest.errors import gettext_noop
from recon.ingest.header import Field, TableSpec

# Earlier synonyms win when a file has several of them: what the buyer paid beats a price before discounts.
ORDER_SPEC = TableSpec(
    fields=(
        Field("order_no", ("订单号", "订单编号", "主订单编号", "平台订单号", "原始单号", "order no", "order number", "order id"),
              required=True, label=gettext_noop("order number")),
        Field("platform", ("平台", "平台名称", "销售平台", "platform"), label=gettext_noop("platform")),
        Field("shop", ("店铺", "店铺名称", "店铺名", "shop"), label=gettext_noop("shop")),
        Field("status", ("订单状态", "交易状态", "状态", "status"), required=True, label=gettext_noop("status")),
        Field("paid_at", ("付款时间", "订单付款时间", "付款确认时间", "支付时间", "支付完成时间", "买家付款时间", "paid at"),
              label=gettext_noop("paid at")),
        Field("shipped_at", ("发货时间", "卖家发货时间", "shipped at"), label=gettext_noop("shipped at")),
        Field("order_amount", ("实付金额", "买家实付", "买家实付金额", "买家实际支付金额", "用户实付金额", "订单应付金额", "应付金额",
                               "订单金额", "商品总价", "order amount"), required=True, label=gettext_noop("order amount")),
        Field("refund_amount", ("退款金额", "已退款金额", "refund amount"), label=gettext_noop("refund amount")),
        Field("sku", ("商品编码", "sku", "商家编码", "商家编码-SKU维度", "商品编号", "sku编码", "货号", "商品货号"),
              label=gettext_noop("SKU")),
        Field("quantity", ("数量", "购买数量", "宝贝数量", "商品数量", "商品数量(件)", "quantity"), label=gettext_noop("quantity")),
        Field("line_amount", ("商品金额", "商品实付金额", "子订单金额", "line amount"), label=gettext_noop("item amount")),
    )
)

ORDER_FIELDS = ("shop", "status", "paid_at", "shipped_at", "order_amount", "refund_amount")
LINE_FIELDS = ("sku", "quantity", "line_amount")

# Status words of the platforms' and ERPs' exports, compared without case, width, spaces or punctuation.
ORDER_STATUSES = {
    "paid": ("paid", "已付款", "待发货", "买家已付款", "买家已付款等待卖家发货", "等待卖家发货", "等待发货", "等待出库", "待出库",
             "已支付", "备货中"),
    "shipped": ("shipped", "已发货", "卖家已发货", "卖家已发货等待买家确认", "等待买家确认收货", "等待确认收货", "待收货", "待签收",
                "已发货待签收", "已发货待收货", "已出库"),
    "completed": ("completed", "交易成功", "已完成", "已签收", "完成", "交易完成", "已收货", "确认收货"),
    "closed": ("closed", "交易关闭", "已取消", "已关闭", "交易取消", "订单取消", "取消", "已作废"),
}

_NOT_A_LETTER = re.compile(r"[\s\W_]+")


def status_key(text: str) -> str:
    """A status word as compared: '卖家已发货，等待买家确认' and 'SHIPPED' alike."""
    return _NOT_A_LETTER.sub("", unicodedata.normalize("NFKC", str(text)).lower())


STATUS_TABLE = {status_key(word): status for status, words in ORDER_STATUSES.items() for word in words}


def platform_key(text: str) -> str:
    """A platform's code or name as compared: case, width and spaces do not matter ('ｊｄ', '抖 店')."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)).lower())
