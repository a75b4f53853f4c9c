"""Returns' demo for `manage.py seed_demo`: a month of return requests, warehouse receipts and ZTO return freight,
written as the files a shop receives and imported through returns_file_import, with one problem of every type injected.

INJECTED (filled by returns_demo_frames) lists what was injected: type, ref, sku, amount in fen, so that a test can
check the run finds exactly that.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from couriers.demo_data import FAR, MID, NEAR, full_name, price_fen, rate_card_frame

COURIER = "ZTO"
COURIER_NAME = "中通快递"
PROVINCES = NEAR + MID + FAR
SKUS = {"TS-101": 5990, "TS-102": 8900, "JK-201": 19900, "XZ-301": 25900, "MZ-401": 3990, "WZ-501": 1290, "BB-601": 15900}
REASONS = ("尺码不合适", "不想要了", "与描述不符", "质量问题", "发错货", "七天无理由")
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强")
GRACE_DAYS = 7
REQUEST_HEADER = ["售后单号", "订单号", "平台", "店铺", "退货运单号", "退货快递", "商品编码", "退货数量", "退款金额", "退款状态",
                  "退款时间", "申请时间", "退货原因", "买家姓名", "买家电话", "买家地址"]
RECEIPT_HEADER = ["快递单号", "订单号", "入库时间", "SKU", "实收数量", "质检结果", "仓库", "质检员", "质检图片"]
# The inspector photographs what is not in good order; the demo's photos are addresses, never fetched.
PHOTO_URL = "https://img.example.com/returns/{return_no}/{sku}-{n}.jpg"
FREIGHT_HEADER = ["运单号", "揽收时间", "计费重量", "运费", "目的省份", "寄件省份"]


@dataclass(frozen=True)
class Injected:
    type: str
    ref: str
    sku: str
    amount_fen: int


@dataclass
class ReturnsDemo:
    """The three files' rows (their header names), the run's dates, and what was injected into them."""

    start: date
    end: date
    as_of: date
    requests: pd.DataFrame
    receipts: pd.DataFrame
    freight: pd.DataFrame
    injected: list[Injected] = field(default_factory=list)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def returns_demo_frames(*, period: str = "2026-10", returns: int = 150, seed: int = 17) -> ReturnsDemo:
    """A month of returns that all arrive and are billed right, then one return (or parcel, or line) per problem type."""
    rng = np.random.default_rng(seed)
    year, month = map(int, period.split("-"))
    start = date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    # Two weeks after the month: every return of the month is past its grace period.
    as_of = end + timedelta(days=14)
    req, rec, fr, injected = [], [], [], []
    serial = iter(range(1, 10**6))

    def new_return(*, day: int | None = None, items: list[tuple[str, int]] | None = None, refunded: bool | None = None,
                   waybill: bool = True):
        n = next(serial)
        return_no, order_no = f"RS{year}{month:02d}{n:05d}", f"DD{year}{month:02d}{n:06d}"
        requested = datetime(year, month, day or int(rng.integers(1, end.day + 1)), int(rng.integers(8, 22)), int(rng.integers(0, 60)))
        if items is None:
            skus = rng.choice(list(SKUS), size=int(rng.integers(1, 3)), replace=False)
            items = [(str(s), int(rng.integers(1, 4))) for s in skus]
        refunded = bool(rng.random() < 0.7) if refunded is None else refunded
        waybill_no = f"7531{year % 100:02d}{month:02d}{n:06d}" if waybill else ""
        rows = []
        for sku, quantity in items:
            refund = SKUS[sku] * quantity
            rows.append({
                "售后单号": return_no, "订单号": order_no, "平台": "天猫", "店铺": "示例旗舰店",
                # Customers type their numbers as they like: a few with hyphens between groups of digits.
                "退货运单号": f"{waybill_no[:4]}-{waybill_no[4:8]}-{waybill_no[8:]}" if waybill_no and n % 9 == 0 else waybill_no,
                "退货快递": COURIER_NAME if waybill_no else "", "商品编码": sku, "退货数量": quantity, "退款金额": _yuan(refund),
                "退款状态": "退款成功" if refunded else "处理中",
                "退款时间": _stamp(requested + timedelta(days=1)) if refunded else "", "申请时间": _stamp(requested),
                "退货原因": str(rng.choice(REASONS)), "买家姓名": str(rng.choice(NAMES)),
                "买家电话": f"1{int(rng.integers(30, 90))}{int(rng.integers(10**7, 10**8))}",
                "买家地址": f"{full_name(str(rng.choice(PROVINCES)))}示例路{int(rng.integers(1, 300))}号",
            })
        req.extend(rows)
        return {"return_no": return_no, "order_no": order_no, "waybill": waybill_no, "requested": requested, "items": items,
                "refunds": {sku: SKUS[sku] * q for sku, q in items}}

    def receive(r, *, rows=None, waybill: str | None = None, order_no: str = ""):
        received = r["requested"] + timedelta(days=int(rng.integers(2, 7)), hours=int(rng.integers(0, 8)))
        for sku, quantity, condition in rows or [(s, q, "良品") for s, q in r["items"]]:
            photos = "" if condition == "良品" else " ".join(
                PHOTO_URL.format(return_no=r["return_no"], sku=sku, n=n) for n in (1, 2))
            rec.append({"快递单号": r["waybill"] if waybill is None else waybill, "订单号": order_no, "入库时间": _stamp(received),
                        "SKU": sku, "实收数量": quantity, "质检结果": condition, "仓库": "杭州退货仓", "质检员": str(rng.choice(("王五", "赵六", "孙七"))),
                        "质检图片": photos})

    def bill(waybill: str, billed: datetime, *, over_fen: int = 0) -> int:
        weight_g = int(rng.integers(3, 30)) * 100
        province = str(rng.choice(PROVINCES))
        fee = price_fen(weight_g, province) + over_fen
        fr.append({"运单号": waybill, "揽收时间": _stamp(billed), "计费重量": f"{weight_g / 1000:.1f}", "运费": _yuan(fee),
                   "目的省份": "浙江省", "寄件省份": full_name(province)})
        return fee

    # The month as it should be: every return arrives in good order and its freight is billed at the card's price.
    for _ in range(returns):
        r = new_return()
        receive(r)
        bill(r["waybill"], r["requested"] + timedelta(days=1))
    # A customer who typed no waybill: the parcel is found by its order number, and nothing is reported.
    r = new_return(waybill=False)
    receive(r, waybill="", order_no=r["order_no"])

    def inject(type_: str, ref: str, sku: str, amount_fen: int) -> None:
        injected.append(Injected(type_, ref, sku, amount_fen))

    # Refunded, never sent back.
    r = new_return(day=3, items=[("JK-201", 1)], refunded=True, waybill=False)
    inject("refunded_not_received", r["return_no"], "", 19900)
    # Asked for, never sent, not refunded: information.
    r = new_return(day=4, items=[("MZ-401", 2)], refunded=False, waybill=False)
    inject("return_not_received", r["return_no"], "", 0)
    # 3 × TS-102 refunded ¥267.00, 1 arrived: 2 missing, ¥267.00 × 2 / 3 = ¥178.00.
    r = new_return(day=6, items=[("TS-102", 3)], refunded=True)
    receive(r, rows=[("TS-102", 1, "良品")])
    bill(r["waybill"], r["requested"] + timedelta(days=1))
    inject("return_quantity_short", r["return_no"], "TS-102", 17800)
    # 2 × TS-101 refunded ¥119.80: one good, one torn: ¥59.90.
    r = new_return(day=8, items=[("TS-101", 2)], refunded=True)
    receive(r, rows=[("TS-101", 1, "良品"), ("TS-101", 1, "破损")])
    bill(r["waybill"], r["requested"] + timedelta(days=1))
    inject("return_damaged", r["return_no"], "TS-101", 5990)
    # An empty parcel (空包) for a refunded XZ-301: the whole refund, ¥259.00.
    r = new_return(day=9, items=[("XZ-301", 1)], refunded=True)
    receive(r, rows=[("XZ-301", "", "空包")])
    bill(r["waybill"], r["requested"] + timedelta(days=1))
    inject("return_damaged", r["return_no"], "XZ-301", 25900)
    # The parcel holds what was asked, and a BB-601 nobody asked to return.
    r = new_return(day=11, items=[("WZ-501", 2)], refunded=False)
    receive(r, rows=[("WZ-501", 2, "良品"), ("BB-601", 1, "错货")])
    bill(r["waybill"], r["requested"] + timedelta(days=1))
    inject("return_wrong_item", r["return_no"], "BB-601", 0)
    # A parcel that matches no request by waybill or order number.
    stray = f"7531{year % 100:02d}{month:02d}990001"
    rec.append({"快递单号": stray, "订单号": "", "入库时间": _stamp(datetime(year, month, 14, 10, 0)), "SKU": "TS-101",
                "实收数量": 1, "质检结果": "良品", "仓库": "杭州退货仓", "质检员": "王五"})
    inject("return_unexpected", stray, "", 0)
    # Freight billed for a return that never arrived (not refunded either, so it is also not received).
    r = new_return(day=12, items=[("MZ-401", 1)], refunded=False)
    fee = bill(r["waybill"], r["requested"] + timedelta(days=1))
    inject("return_not_received", r["return_no"], "", 0)
    inject("return_freight_not_received", r["return_no"], "", fee)
    # Freight for a waybill that is in no return request.
    unknown = f"7531{year % 100:02d}{month:02d}990002"
    fee = bill(unknown, datetime(year, month, 15, 16, 0))
    inject("return_freight_unknown", unknown, "", fee)
    # A good return billed twice, the second line identical to the first.
    r = new_return(day=16, items=[("TS-101", 1)], refunded=True)
    receive(r)
    billed = r["requested"] + timedelta(days=1)
    fee = bill(r["waybill"], billed)
    fr.append({**fr[-1]})
    inject("return_freight_duplicate", r["waybill"], "", fee)
    # A good return billed ¥3.00 above the card.
    r = new_return(day=18, items=[("WZ-501", 1)], refunded=True)
    receive(r)
    bill(r["waybill"], r["requested"] + timedelta(days=1), over_fen=300)
    inject("return_freight_overcharge", r["waybill"], "", 300)

    return ReturnsDemo(start=start, end=end, as_of=as_of, requests=pd.DataFrame(req, columns=REQUEST_HEADER),
                       receipts=pd.DataFrame(rec, columns=RECEIPT_HEADER), freight=pd.DataFrame(fr, columns=FREIGHT_HEADER),
                       injected=injected)


def returns_demo_write(demo: ReturnsDemo, out_dir: Path, period: str) -> dict[str, Path]:
    """The three files as a shop gets them: the platform's export as GBK CSV, the warehouse's and ZTO's as xlsx."""
    paths = {"requests": out_dir / f"returns-{period}-requests.csv", "receipts": out_dir / f"returns-{period}-receipts.xlsx",
             "freight": out_dir / f"returns-{period}-zto-freight.xlsx"}
    demo.requests.to_csv(paths["requests"], index=False, encoding="gbk")
    demo.receipts.to_excel(paths["receipts"], index=False)
    demo.freight.to_excel(paths["freight"], index=False)
    pd.DataFrame([vars(i) for i in demo.injected]).to_csv(out_dir / f"returns-{period}-expected.csv", index=False)
    return paths


def returns_demo(*, lines: int, period: str, out_dir: Path, stdout) -> list[str]:
    """Seed returns' demo once (requests already there means it is seeded); the lines to print after the logins."""
    from django.db import transaction

    from couriers.models import RateCard
    from couriers.selectors import courier_get
    from couriers.services import rate_card_import
    from returns.models import ReturnRequest
    from returns.services import returns_file_import

    if ReturnRequest.objects.exists():
        stdout.write("returns demo data already present")
        return []
    zto = courier_get(code=COURIER)
    if not RateCard.objects.filter(courier=zto).exists():
        card = out_dir / "zto-rate-card.xlsx"
        rate_card_frame().to_excel(card, index=False)
        with open(card, "rb") as fh:
            rate_card_import(file=fh, filename=card.name, courier=zto, effective_from=date(2026, 1, 1),
                             name=f"{zto.name} 2026 标准报价", fee_tolerance_fen=0, weight_tolerance_g=0)
    demo = returns_demo_frames(period=period)
    paths = returns_demo_write(demo, out_dir, period)
    with transaction.atomic():
        for kind, path in paths.items():
            with open(path, "rb") as fh:
                result = returns_file_import(file=fh, filename=path.name, kind=kind, courier=zto if kind == "freight" else None)
            stdout.write(f"returns {kind}: {result.rows} rows imported, {result.rejected} rejected")
    _reconcile(demo, stdout)
    return [f"Returns files ({period}, with {len(demo.injected)} injected problems listed in "
            f"returns-{period}-expected.csv): {out_dir}"]


def _reconcile(demo: ReturnsDemo, stdout) -> None:
    """Run the month as of two weeks after it, as the courier demo reconciles its bill, so the pages have a result."""
    from django.utils import timezone

    from recon.kinds import kind_specs
    from recon.runs import services as run_services

    spec = kind_specs().get("returns")
    if spec is None or spec.hook("reconcile") is None:
        return
    as_of = timezone.make_aware(datetime.combine(demo.as_of, datetime.min.time()))
    (run,) = spec.hook("reconcile")(counterparty_code="", start=demo.start, end=demo.end, as_of=as_of, enqueue=False)
    run_services.run_execute(run_id=run.id)
    run.refresh_from_db()
    stdout.write(f"returns reconciled: run #{run.id} {run.status}, {run.summary.get('discrepancies')} discrepancies")
