"""Payment collection's demo for `manage.py seed_demo`: a month of orders on three platforms (天猫, 京东, 微信小店), their
settlements in three layouts (an Alipay 账务明细 CSV, a WeChat Pay merchant bill, a generic JD XLSX ledger) and the
company's bank statement (a Chinese bank's CSV with 余额), written as files and imported through the real importers,
with one problem of every type of the kinds `settlement` and `bank` injected; then both kinds are run.

INJECTED (filled by payments_demo_frames) lists what was injected: kind, type, ref, ref2, amount in fen, so that a test
can check the runs find exactly that.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

SHOP = "示例旗舰店"
ACCOUNT_NO = "31050161373600001234"
# code, Chinese name, fee rate, settle-within days, the payer name its payouts arrive under.
PLATFORMS = (
    ("TMALL", "天猫", "0.05", 15, "支付宝（中国）网络技术有限公司"),
    ("JD", "京东", "0.06", 15, "网银在线（北京）科技有限公司"),
    ("WXSHOP", "微信小店", "0.006", 7, "财付通支付科技有限公司"),
)
RATE_MILLIONTHS = {"TMALL": 50_000, "JD": 60_000, "WXSHOP": 6_000}
SKUS = {"TS-101": 5990, "TS-102": 8900, "JK-201": 19900, "XZ-301": 25900, "MZ-401": 3990, "BB-601": 15900}
ORDER_HEADER = ["订单号", "平台", "店铺", "订单状态", "付款时间", "发货时间", "实付金额", "退款金额", "商品编码", "数量", "商品金额"]
ALIPAY_HEADER = ["账务流水号", "业务流水号", "商户订单号", "商品名称", "发生时间", "对方账号", "收入金额（+元）", "支出金额（-元）",
                 "账户余额（元）", "交易渠道", "业务类型", "备注"]
WECHAT_HEADER = ["交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型", "交易状态",
                 "付款银行", "货币种类", "应结订单金额", "代金券金额", "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型",
                 "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额", "费率备注"]
JD_HEADER = ["财务流水号", "订单号", "交易号", "记账时间", "账务类型", "收入金额", "支出金额", "账户余额", "备注"]
BANK_FILE = "payments-{period}-bank-statement.csv"
BANK_HEADER = ["交易日期", "摘要", "借方发生额", "贷方发生额", "余额", "对方户名", "对方账号", "交易流水号", "附言"]


@dataclass(frozen=True)
class Injected:
    kind: str
    type: str
    ref: str
    ref2: str
    amount_fen: int


@dataclass
class PaymentsDemo:
    """The files' rows (their header names), the runs' dates, and what was injected into them."""

    start: date
    end: date
    as_of: date
    orders: pd.DataFrame
    alipay: list[dict]
    wechat: list[dict]
    jd: pd.DataFrame
    bank: pd.DataFrame
    injected: list[Injected] = field(default_factory=list)


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def expected_fee_fen(code: str, net_fen: int) -> int:
    """The contracted fee, rate × net rounded half up to the fen, as the settlement engine computes it."""
    return (RATE_MILLIONTHS[code] * max(net_fen, 0) + 500_000) // 1_000_000


def payments_demo_frames(*, period: str = "2026-10", orders_per_platform: int = 40, seed: int = 23) -> PaymentsDemo:
    """A month of orders settled and paid out right, then one order, line or payout per problem type."""
    rng = np.random.default_rng(seed)
    year, month = map(int, period.split("-"))
    start = date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    as_of = end + timedelta(days=14)
    orders: list[dict] = []
    alipay: list[dict] = []
    wechat: list[dict] = []
    jd: list[dict] = []
    injected: list[Injected] = []
    serial = iter(range(1, 10**6))
    ym = f"{year}{month:02d}"

    def inject(kind: str, type_: str, ref: str, amount_fen: int, ref2: str = "") -> None:
        injected.append(Injected(kind, type_, ref, ref2, amount_fen))

    def order(code: str, *, day: int | None = None, items: list[tuple[str, int]] | None = None, refund_fen: int = 0,
              status: str = "交易成功") -> dict:
        n = next(serial)
        order_no = {"TMALL": f"T{ym}{n:06d}", "JD": f"JD3{ym}{n:06d}", "WXSHOP": f"W{ym}{n:06d}"}[code]
        # Paid by the 25th, so that every order's settlement falls inside the month.
        paid = datetime(year, month, day or int(rng.integers(1, 26)), int(rng.integers(8, 22)), int(rng.integers(0, 60)))
        if items is None:
            skus = rng.choice(list(SKUS), size=int(rng.integers(1, 3)), replace=False)
            items = [(str(s), int(rng.integers(1, 3))) for s in skus]
        amount = sum(SKUS[s] * q for s, q in items)
        name = {"TMALL": "天猫", "JD": "京东", "WXSHOP": "微信小店"}[code]
        for sku, quantity in items:
            orders.append({"订单号": order_no, "平台": name, "店铺": SHOP, "订单状态": status, "付款时间": _stamp(paid),
                           "发货时间": _stamp(paid + timedelta(hours=20)), "实付金额": _yuan(amount),
                           "退款金额": _yuan(refund_fen) if refund_fen else "", "商品编码": sku, "数量": quantity,
                           "商品金额": _yuan(SKUS[sku] * quantity)})
        return {"order_no": order_no, "paid": paid, "amount": amount, "refund": refund_fen, "n": n}

    def settle(code: str, o: dict, *, paid_fen: int | None = None, refunded_fen: int | None = None,
               fee_fen: int | None = None, order_no: str | None = None) -> None:
        """The platform's lines for an order: its payment, its fee and its refund, as each layout books them."""
        paid_fen = o["amount"] if paid_fen is None else paid_fen
        refunded_fen = o["refund"] if refunded_fen is None else refunded_fen
        fee_fen = expected_fee_fen(code, o["amount"] - o["refund"]) if fee_fen is None else fee_fen
        order_no = o["order_no"] if order_no is None else order_no
        settled = o["paid"] + timedelta(days=int(rng.integers(2, 5)), hours=2)
        if code == "TMALL":
            trade = f"{ym}22001{o['n']:015d}"
            alipay.append({"kind": "payment", "trade": trade, "order_no": order_no, "at": settled, "fen": paid_fen})
            alipay.append({"kind": "fee", "trade": trade, "order_no": order_no, "at": settled + timedelta(seconds=1),
                           "fen": -fee_fen})
            if refunded_fen:
                alipay.append({"kind": "refund", "trade": trade, "order_no": order_no, "at": settled + timedelta(days=1),
                               "fen": -refunded_fen})
        elif code == "JD":
            jd.append({"kind": "货款", "order_no": order_no, "at": settled, "fen": paid_fen, "remark": "订单完成结算"})
            jd.append({"kind": "佣金", "order_no": order_no, "at": settled, "fen": -fee_fen, "remark": "平台佣金"})
            if refunded_fen:
                jd.append({"kind": "售后退款", "order_no": order_no, "at": settled + timedelta(days=1), "fen": -refunded_fen,
                           "remark": ""})
        else:
            wechat.append({"order_no": order_no, "at": settled, "fen": paid_fen, "fee": fee_fen, "n": o["n"]})

    # The month as it should be: every order settled in full with the contracted fee, a few with an agreed refund.
    for code, *_rest in PLATFORMS:
        for i in range(orders_per_platform):
            # Now and then a partial refund, agreed and refunded to the fen: nothing to report.
            o = order(code, refund_fen=SKUS["MZ-401"] if code != "WXSHOP" and i % 10 == 3 else 0)
            settle(code, o)

    # ------------------------------------------------------------ settlement problems (ref: the order number)
    # Paid on the 3rd, nothing settled six weeks on: ¥299.00 due less the 5% fee ¥14.95.
    o = order("TMALL", day=3, items=[("TS-101", 5)], status="已发货")
    inject("settlement", "order_unpaid", o["order_no"], 29950 - expected_fee_fen("TMALL", 29950))
    # JD settled ¥10.00 short.
    o = order("JD", day=5, items=[("TS-102", 2)])
    settle("JD", o, paid_fen=o["amount"] - 1000)
    inject("settlement", "settlement_amount_mismatch", o["order_no"], 1000)
    # WeChat settled ¥10.00 more than the buyer paid: information, ours to return.
    o = order("WXSHOP", day=7, items=[("MZ-401", 1)])
    settle("WXSHOP", o, paid_fen=o["amount"] + 1000)
    inject("settlement", "settlement_amount_mismatch", o["order_no"], -1000)
    # A refund of ¥100.00 agreed, ¥150.00 refunded.
    o = order("TMALL", day=9, items=[("XZ-301", 2)], refund_fen=10000)
    settle("TMALL", o, refunded_fen=15000)
    inject("settlement", "refund_mismatch", o["order_no"], 5000)
    # JD charged ¥30.00 of commission on ¥398.00, where 6% is ¥23.88.
    o = order("JD", day=12, items=[("JK-201", 2)])
    settle("JD", o, fee_fen=3000)
    inject("settlement", "fee_overcharge", o["order_no"], 3000 - expected_fee_fen("JD", o["amount"]))
    # A WeChat payment of ¥88.00 for an order number we never had: ref is the line's settlement ID.
    stray = {"order_no": f"W{ym}990001", "paid": datetime(year, month, 14, 11, 0), "amount": 8800, "refund": 0, "n": 990001}
    settle("WXSHOP", stray, fee_fen=expected_fee_fen("WXSHOP", 8800))
    inject("settlement", "settlement_unknown_order", f"42000{ym}{990001:018d}-P", 8800, ref2=stray["order_no"])

    # ------------------------------------------------------------ payouts and the bank
    bank: list[dict] = []

    def withdraw(code: str, day: int, fen: int) -> str:
        at = datetime(year, month, day, 18, 0)
        if code == "TMALL":
            sid = f"{ym}{day:02d}11007000{len(alipay):04d}"
            alipay.append({"kind": "withdrawal", "trade": "", "order_no": "", "at": at, "fen": -fen, "sid": sid})
        else:
            sid = f"JD{ym}{day:02d}9{len(jd):04d}"
            jd.append({"kind": "提现", "order_no": "", "at": at, "fen": -fen, "remark": "提现至对公账户", "sid": sid})
        return sid

    def credit(day: int, fen: int, payer: str, *, memo: str = "", text: str = "转账收入", ref: str = "") -> str:
        ref = ref or f"BK{ym}{day:02d}{len(bank) + 1:04d}"
        bank.append({"day": date(year, month, day), "fen": fen, "payer": payer, "text": text, "memo": memo, "ref": ref})
        return ref

    alipay_name, jd_name = PLATFORMS[0][4], PLATFORMS[1][4]
    # Matched by reference: the credit's 附言 names the withdrawal.
    sid = withdraw("TMALL", 8, 1_000_000)
    credit(9, 1_000_000, alipay_name, memo=f"支付宝提现-{sid}")
    # Matched one to one: the same amount, the only candidate on each side.
    withdraw("TMALL", 15, 800_000)
    credit(16, 800_000, alipay_name)
    # Two JD payouts arrive as one credit: a group.
    withdraw("JD", 10, 500_000)
    withdraw("JD", 11, 300_000)
    credit(12, 800_000, jd_name)
    # A JD payout that never arrived.
    sid = withdraw("JD", 20, 250_000)
    inject("bank", "withdrawal_not_received", sid, 250_000)
    # A payout of ¥6,000.00 that the bank credited as ¥5,990.00, naming it.
    sid = withdraw("TMALL", 22, 600_000)
    bank_ref = credit(23, 599_000, alipay_name, memo=f"支付宝提现-{sid}")
    inject("bank", "withdrawal_amount_mismatch", sid, 1000, ref2=bank_ref)
    # Two payouts of ¥3,000.00 and one credit of ¥3,000.00 that either could be: a person decides.
    withdraw("TMALL", 25, 300_000)
    withdraw("TMALL", 26, 300_000)
    bank_ref = credit(27, 300_000, alipay_name)
    inject("bank", "ambiguous_match", bank_ref, 0)
    # A credit from JD's payer with no payout behind it.
    bank_ref = credit(18, 123_456, jd_name)
    inject("bank", "bank_credit_unmatched", bank_ref, 123_456)
    # The company's other money: a customer's transfer in, salaries and rent out; none of it a platform's.
    for day in (2, 6, 13, 19, 24, 29):
        credit(day, int(rng.integers(50_000, 300_000)), "杭州某某贸易有限公司", text="货款")
    for day, fen, payee, text in ((5, 4_800_000, "代发工资", "工资"), (10, 1_500_000, "杭州某某物业管理有限公司", "房租"),
                                  (3, 1500, "", "手续费"), (28, 230_000, "国家金库杭州市中心支库", "税费")):
        bank.append({"day": date(year, month, day), "fen": -fen, "payer": payee, "text": text, "memo": "", "ref": ""})

    bank.sort(key=lambda r: (r["day"], -r["fen"]))
    balance = 20_000_000
    rows = []
    for i, r in enumerate(bank, start=1):
        balance += r["fen"]
        rows.append({"交易日期": r["day"].isoformat(), "摘要": r["text"], "借方发生额": _yuan(-r["fen"]) if r["fen"] < 0 else "",
                     "贷方发生额": _yuan(r["fen"]) if r["fen"] > 0 else "", "余额": _yuan(balance), "对方户名": r["payer"],
                     "对方账号": "", "交易流水号": r["ref"] or f"BD{r['day']:%Y%m%d}{i:04d}", "附言": r["memo"]})
    # The bank's export lost the ¥15.00 fee on the 3rd: the next line's balance is ¥15.00 below its predecessor's plus it.
    lost = next(i for i, r in enumerate(rows) if r["摘要"] == "手续费")
    inject("bank", "statement_balance_break", rows[lost + 1]["交易流水号"], -1500, ref2=BANK_FILE.format(period=period))
    del rows[lost]

    return PaymentsDemo(start=start, end=end, as_of=as_of, orders=pd.DataFrame(orders, columns=ORDER_HEADER),
                        alipay=alipay, wechat=wechat, jd=pd.DataFrame(jd), bank=pd.DataFrame(rows, columns=BANK_HEADER),
                        injected=injected)


def _alipay_text(demo: PaymentsDemo) -> str:
    """Alipay's 账务明细: a '#' preamble and footer, IDs padded with a tab, income and expense columns, a running balance."""
    rows = sorted(demo.alipay, key=lambda r: r["at"])
    names = {"payment": ("在线支付", "在线支付"), "fee": ("收费", "服务费"), "refund": ("交易退款", "交易退款"), "withdrawal": ("提现", "提现")}
    balance = 500_000
    out = ["#支付宝账务明细查询", "#账号：[20881234567890120156]",
           f"#起始日期：[{demo.start:%Y年%m月%d日} 00:00:00]    终止日期：[{demo.end:%Y年%m月%d日} 23:59:59]",
           "#-----------------------------------------账务明细列表----------------------------------------",
           ",".join(ALIPAY_HEADER)]
    income = expense = 0
    for i, r in enumerate(rows, start=1):
        balance += r["fen"]
        sid = r.get("sid") or f"{r['at']:%Y%m%d}1100{i:08d}"
        business, remark = names[r["kind"]]
        fen = r["fen"]
        income += max(fen, 0)
        expense += max(-fen, 0)
        out.append(",".join([f"{sid}\t", f"{r['trade']}\t", f"{r['order_no']}\t", "示例商品" if r["order_no"] else "",
                             _stamp(r["at"]), "", _yuan(fen) if fen > 0 else "0.00", _yuan(-fen) if fen < 0 else "0.00",
                             _yuan(balance), "支付宝", business, remark]))
    out += ["#-----------------------------------------账务明细列表结束------------------------------------",
            f"#收入合计：{sum(1 for r in rows if r['fen'] > 0)}笔，共{_yuan(income)}元",
            f"#支出合计：{sum(1 for r in rows if r['fen'] < 0)}笔，共{_yuan(expense)}元",
            f"#导出时间：[{demo.as_of:%Y年%m月%d日} 09:30:00]"]
    return "\r\n".join(out) + "\r\n"


def _wechat_text(demo: PaymentsDemo) -> str:
    """WeChat Pay's merchant bill: every field behind a backtick, a totals block after the rows."""
    out = [",".join(WECHAT_HEADER)]
    total = fees = 0
    for r in sorted(demo.wechat, key=lambda r: r["at"]):
        total += r["fen"]
        fees += r["fee"]
        rate = f"{RATE_MILLIONTHS['WXSHOP'] / 10_000:.2f}%"
        cells = [_stamp(r["at"]), "wx2421b1c4370ec43b", "1900000109", "0", "", f"42000{r['at']:%Y%m}{r['n']:018d}",
                 r["order_no"], f"oUpF8uMuAJO_M2pxb1Q9z{r['n']:06d}", "JSAPI", "SUCCESS", "CMB_DEBIT", "CNY", _yuan(r["fen"]),
                 "0.00", "0", "0", "0.00", "0.00", "", "", "示例商品", "", _yuan(r["fee"]), rate, _yuan(r["fen"]), "0.00", ""]
        out.append(",".join(f"`{c}" for c in cells))
    out.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
    out.append(",".join(f"`{c}" for c in [len(demo.wechat), _yuan(total), "0.00", "0.00", _yuan(fees), _yuan(total), "0.00"]))
    return "\r\n".join(out) + "\r\n"


def _jd_frame(demo: PaymentsDemo) -> pd.DataFrame:
    """JD's 资金流水 as a plain sheet: 收入金额 and 支出金额 columns, a running balance."""
    rows = []
    balance = 300_000
    for i, r in enumerate(demo.jd.sort_values("at", kind="stable").to_dict("records"), start=1):
        balance += r["fen"]
        sid = r.get("sid") if isinstance(r.get("sid"), str) else f"JD{r['at']:%Y%m%d}{i:05d}"
        rows.append({"财务流水号": sid, "订单号": r["order_no"], "交易号": "", "记账时间": _stamp(r["at"]), "账务类型": r["kind"],
                     "收入金额": _yuan(r["fen"]) if r["fen"] > 0 else "", "支出金额": _yuan(-r["fen"]) if r["fen"] < 0 else "",
                     "账户余额": _yuan(balance), "备注": r["remark"]})
    return pd.DataFrame(rows, columns=JD_HEADER)


def payments_demo_write(demo: PaymentsDemo, out_dir: Path, period: str) -> dict[str, Path]:
    """The five files as finance gets them, and the list of what was injected."""
    paths = {"orders": out_dir / f"payments-{period}-orders.csv",
             "TMALL": out_dir / f"payments-{period}-tmall-alipay-账务明细.csv",
             "WXSHOP": out_dir / f"payments-{period}-wxshop-wechatpay-bill.csv",
             "JD": out_dir / f"payments-{period}-jd-ledger.xlsx",
             "bank": out_dir / BANK_FILE.format(period=period)}
    demo.orders.to_csv(paths["orders"], index=False, encoding="utf-8-sig")
    paths["TMALL"].write_bytes(_alipay_text(demo).encode("gbk"))
    paths["WXSHOP"].write_bytes(_wechat_text(demo).encode("utf-8-sig"))
    _jd_frame(demo).to_excel(paths["JD"], index=False)
    demo.bank.to_csv(paths["bank"], index=False, encoding="gbk")
    pd.DataFrame([vars(i) for i in demo.injected]).to_csv(out_dir / f"payments-{period}-expected.csv", index=False)
    return paths


def _files_imported(*, period: str, out_dir: Path, stdout) -> PaymentsDemo | None:
    """Configure the platforms, write the files and import them; None when orders are already there (seeded)."""
    from django.db import transaction

    from orders.models import Order
    from orders.services import orders_file_import, platform_configure
    from payments.bank_services import bank_statement_import
    from payments.settlement_services import platform_for, settlement_file_import

    if Order.objects.exists():
        return None
    demo = payments_demo_frames(period=period)
    paths = payments_demo_write(demo, out_dir, period)
    with transaction.atomic():
        for code, name, rate, days, payer in PLATFORMS:
            platform_configure(code=code, name=name, fee_rate=rate, settle_within_days=days, payer_names=payer)
        with open(paths["orders"], "rb") as fh:
            result = orders_file_import(file=fh, filename=paths["orders"].name)
        stdout.write(f"payments orders: {result.rows} rows imported, {result.rejected} rejected")
        for code in ("TMALL", "WXSHOP", "JD"):
            with open(paths[code], "rb") as fh:
                result = settlement_file_import(file=fh, filename=paths[code].name, platform=platform_for(code), shop=SHOP)
            stdout.write(f"payments settlements {code} ({result.format}): {result.rows} rows imported, {result.rejected} rejected")
        with open(paths["bank"], "rb") as fh:
            result = bank_statement_import(file=fh, filename=paths["bank"].name, account_no=ACCOUNT_NO)
        stdout.write(f"payments bank statement: {result.rows} rows imported, {result.rejected} rejected")
    return demo


def _reconcile(kind: str, demo_start: date, demo_end: date, as_of: date, stdout) -> None:
    """Run the month as of two weeks after it, as the other kinds' demos do, so that the pages have a result."""
    from django.utils import timezone

    from recon.kinds import kind_specs
    from recon.runs import services as run_services

    spec = kind_specs()[kind]
    moment = timezone.make_aware(datetime.combine(as_of, datetime.min.time()))
    (run,) = spec.hook("reconcile")(counterparty_code="", start=demo_start, end=demo_end, as_of=moment, enqueue=False)
    run_services.run_execute(run_id=run.id)
    run.refresh_from_db()
    stdout.write(f"{kind} reconciled: run #{run.id} {run.status}, {run.summary.get('discrepancies')} discrepancies")


def settlement_demo(*, lines: int, period: str, out_dir: Path, stdout) -> list[str]:
    """Seed the payments demo's files once and reconcile the orders against the settlements; the lines to print."""
    demo = _files_imported(period=period, out_dir=out_dir, stdout=stdout)
    if demo is None:
        stdout.write("payments demo data already present")
        return []
    _reconcile("settlement", demo.start, demo.end, demo.as_of, stdout)
    return [f"Payments files ({period}: orders, three settlement files, a bank statement; {len(demo.injected)} injected "
            f"problems listed in payments-{period}-expected.csv): {out_dir}"]


def bank_demo(*, lines: int, period: str, out_dir: Path, stdout) -> list[str]:
    """Match the demo's payouts against its bank statement (seeding the files first if the settlement demo did not)."""
    from recon.core.models import ReconRun

    if ReconRun.objects.filter(kind="bank").exists():
        return []
    demo = _files_imported(period=period, out_dir=out_dir, stdout=stdout) or payments_demo_frames(period=period)
    _reconcile("bank", demo.start, demo.end, demo.as_of, stdout)
    return []
