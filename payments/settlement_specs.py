"""The settlement files we read (平台结算/账务明细), recognised by their header row, and the words for business types.

Five layouts, tried in this order (the first whose header is complete reads the file):
- `wechat_merchant`: WeChat Pay's merchant bill (微信订单号, 应结订单金额, 手续费 …; every cell after a backtick);
- `alipay_merchant`: Alipay's merchant account detail (账务明细: 账务流水号, 业务流水号, 收入金额（+元）, 支出金额（-元）);
- `alipay_personal` and `wechat_personal`: the personal-account exports small shops use (交易订单号 / 交易单号, 收/支, 金额);
- `ledger`: any sheet with a ledger serial, a time and an amount under their usual names (JD, Pinduoduo, Douyin, Kuaishou).
"""
from __future__ import annotations

from dataclasses import dataclass

from recon.ingest.errors import gettext_noop
from recon.ingest.header import Field, TableSpec

# What each field is called on the upload page's column chooser (English messages, translated where shown).
L = {
    "settlement_id": gettext_noop("settlement line ID"),
    "trade_no": gettext_noop("trade number"),
    "occurred_at": gettext_noop("occurred at"),
    "order_no": gettext_noop("order number"),
    "business_type": gettext_noop("business type"),
    "amount_in": gettext_noop("income"),
    "amount_out": gettext_noop("expense"),
    "amount": gettext_noop("amount"),
    "direction": gettext_noop("income or expense"),
    "balance": gettext_noop("balance"),
    "counterparty_name": gettext_noop("counterparty name"),
    "remark": gettext_noop("remark"),
    "wechat_no": gettext_noop("WeChat order number"),
    "settled": gettext_noop("settled amount"),
    "fee": gettext_noop("service fee"),
    "refund": gettext_noop("refund amount"),
    "refund_no": gettext_noop("refund number"),
    "status": gettext_noop("status"),
    "trade_type": gettext_noop("trade type"),
}

SETTLEMENT_ID = ("账务流水号", "财务流水号", "资金流水单号", "资金流水号", "流水号", "账单流水号", "动账流水号", "settlement id")
ORDER_NO = ("商户订单号", "业务订单号", "订单号", "订单编号", "商家订单号", "商户单号", "主订单号", "order no")
TRADE_NO = ("交易号", "业务流水号", "支付宝交易号", "交易流水号", "交易单号", "trade no")
OCCURRED_AT = ("入账时间", "发生时间", "记账时间", "动账时间", "交易时间", "账务时间", "occurred at")
BUSINESS_TYPE = ("业务类型", "账务类型", "费用类型", "资金类型", "动账类型", "business type")
AMOUNT_IN = ("收入金额", "收入（+元）", "收入金额（+元）", "收入", "入账金额", "amount in")
AMOUNT_OUT = ("支出金额", "支出（-元）", "支出金额（-元）", "支出", "出账金额", "amount out")
AMOUNT = ("金额", "发生金额", "收支金额", "变动金额", "动账金额", "交易金额", "amount")
DIRECTION = ("收支类型", "收支方向", "收/支", "收支", "资金方向", "direction")
BALANCE = ("账户余额", "余额", "可用余额", "balance")
REMARK = ("备注", "remark")
COUNTERPARTY = ("对方账号", "交易对方", "对方名称", "对方户名", "counterparty")

LEDGER_SPEC = TableSpec(
    fields=(
        Field("settlement_id", SETTLEMENT_ID, required=True, label=L["settlement_id"]),
        Field("occurred_at", OCCURRED_AT, required=True, content="date", label=L["occurred_at"]),
        Field("order_no", ORDER_NO, label=L["order_no"]),
        Field("trade_no", TRADE_NO, label=L["trade_no"]),
        Field("business_type", BUSINESS_TYPE, label=L["business_type"]),
        Field("amount_in", AMOUNT_IN, content="money", label=L["amount_in"]),
        Field("amount_out", AMOUNT_OUT, content="money", label=L["amount_out"]),
        Field("amount", AMOUNT, content="money", label=L["amount"]),
        Field("direction", DIRECTION, label=L["direction"]),
        Field("balance", BALANCE, content="money", label=L["balance"]),
        Field("counterparty_name", COUNTERPARTY, label=L["counterparty_name"]),
        Field("remark", REMARK, label=L["remark"]),
    )
)

ALIPAY_MERCHANT_SPEC = TableSpec(
    fields=(
        Field("settlement_id", ("账务流水号",), required=True, label=L["settlement_id"]),
        Field("trade_no", ("业务流水号",), required=True, label=L["trade_no"]),
        Field("occurred_at", ("发生时间",), required=True, label=L["occurred_at"]),
        Field("amount_in", ("收入金额（+元）", "收入金额"), required=True, label=L["amount_in"]),
        Field("amount_out", ("支出金额（-元）", "支出金额"), required=True, label=L["amount_out"]),
        Field("business_type", ("业务类型",), required=True, label=L["business_type"]),
        Field("order_no", ("商户订单号",), label=L["order_no"]),
        Field("balance", ("账户余额（元）", "账户余额"), label=L["balance"]),
        Field("counterparty_name", ("对方账号", "对方名称"), label=L["counterparty_name"]),
        Field("remark", ("备注",), label=L["remark"]),
    )
)

WECHAT_MERCHANT_SPEC = TableSpec(
    fields=(
        Field("occurred_at", ("交易时间",), required=True, label=L["occurred_at"]),
        Field("wechat_no", ("微信订单号",), required=True, label=L["wechat_no"]),
        Field("order_no", ("商户订单号",), required=True, label=L["order_no"]),
        Field("settled", ("应结订单金额",), required=True, label=L["settled"]),
        Field("fee", ("手续费",), required=True, label=L["fee"]),
        Field("refund", ("退款金额",), label=L["refund"]),
        Field("refund_no", ("微信退款单号",), label=L["refund_no"]),
        Field("status", ("交易状态",), label=L["status"]),
        Field("trade_type", ("交易类型",), label=L["trade_type"]),
        Field("remark", ("商品名称",), label=L["remark"]),
    )
)

_PERSONAL_REST = (
    Field("occurred_at", ("交易时间", "交易创建时间", "付款时间"), required=True, label=L["occurred_at"]),
    Field("direction", ("收/支", "收支"), required=True, label=L["direction"]),
    Field("amount", ("金额", "金额（元）", "金额(元)"), required=True, label=L["amount"]),
    Field("business_type", ("交易分类", "交易类型", "类型"), label=L["business_type"]),
    Field("counterparty_name", ("交易对方",), label=L["counterparty_name"]),
    Field("status", ("交易状态", "当前状态"), label=L["status"]),
    Field("remark", ("备注",), label=L["remark"]),
)
ALIPAY_PERSONAL_SPEC = TableSpec(
    fields=(
        Field("trade_no", ("交易订单号", "交易号"), required=True, label=L["trade_no"]),
        Field("order_no", ("商家订单号", "商户订单号"), label=L["order_no"]),
        *_PERSONAL_REST,
    )
)
WECHAT_PERSONAL_SPEC = TableSpec(
    fields=(
        Field("trade_no", ("交易单号",), required=True, label=L["trade_no"]),
        Field("order_no", ("商户单号",), label=L["order_no"]),
        *_PERSONAL_REST,
    )
)


@dataclass(frozen=True)
class SettlementFormat:
    code: str
    label: str
    spec: TableSpec


FORMATS = (
    SettlementFormat("wechat_merchant", gettext_noop("WeChat Pay merchant bill (微信支付商户账单)"), WECHAT_MERCHANT_SPEC),
    SettlementFormat("alipay_merchant", gettext_noop("Alipay account detail (支付宝账务明细)"), ALIPAY_MERCHANT_SPEC),
    SettlementFormat("alipay_personal", gettext_noop("Alipay personal export (支付宝交易明细)"), ALIPAY_PERSONAL_SPEC),
    SettlementFormat("wechat_personal", gettext_noop("WeChat Pay personal bill (微信支付账单明细)"), WECHAT_PERSONAL_SPEC),
    SettlementFormat(
        "ledger",
        gettext_noop("a settlement ledger with a serial (账务流水号/流水号), a time (入账时间/发生时间) and amounts "
                     "(收入金额 and 支出金额, 金额, or 金额 with 收支类型)"),
        LEDGER_SPEC,
    ),
)

# Business types as platforms write them, compared after NFKC, lower case and without spaces.
BUSINESS_TYPES = {
    "payment": (
        "payment", "交易收款", "在线支付", "货款", "交易付款", "交易", "收款", "订单收入", "交易收入", "订单货款", "交易成功", "货款收入",
        "订单结算", "结算", "结算收入", "交易结算", "销售收入", "二维码收款", "即时到账", "担保交易",
    ),
    "refund": ("refund", "交易退款", "退款", "售后退款", "订单退款", "退款支出", "仅退款", "退货退款", "售后赔付"),
    "fee": (
        "fee", "技术服务费", "佣金", "服务费", "交易手续费", "收费", "手续费", "平台服务费", "软件服务费", "支付手续费",
        "推广费", "广告费", "基础软件服务费", "信息服务费", "交易服务费", "平台佣金", "达人佣金", "分销佣金",
    ),
    "withdrawal": ("withdrawal", "提现", "转账到银行卡", "余额提现", "零钱提现", "提现到银行卡", "自动提现", "货款提现", "结算到银行卡"),
}
# A word not in the table above still says what it is when it holds one of these (checked in this order).
BUSINESS_TYPE_HINTS = (
    ("refund", "退款"),
    ("withdrawal", "提现"),
    ("fee", "手续费"),
    ("fee", "服务费"),
    ("fee", "佣金"),
    ("payment", "收款"),
    ("payment", "货款"),
)
# A row marked neither income nor expense (a personal export's 不计收支 / 中性交易) is money in, unless its type leaves the account.
OUTGOING_TYPES = ("fee", "withdrawal")

DIRECTIONS = {
    "收入": 1, "收": 1, "入账": 1, "in": 1, "income": 1, "credit": 1, "+": 1,
    "支出": -1, "支": -1, "出账": -1, "out": -1, "expense": -1, "debit": -1, "-": -1,
    # Neither: the business type decides.
    "不计收支": 0, "中性交易": 0, "/": 0, "": 0,
}
