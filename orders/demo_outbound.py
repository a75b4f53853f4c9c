"""Outbound's demo for `manage.py seed_demo`: a month of orders on four platforms (天猫, 京东, 拼多多, 抖音), the warehouse's
outbound records and the ZTO/YTO pickup scans, written as files and imported through the real importer, with a known
small number of problems of every outbound type injected; then the month is reconciled as of two weeks after it.

Orders another demo already made in the month (payments' orders) are shipped and picked up correctly here, so that
they raise nothing. OutboundDemo.injected lists what was injected: type, ref, ref2, sku, amount in
fen, so that a test can check the run finds exactly that. Sample files for the next day go to out_dir for a clerk to
upload.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from couriers.demo_data import full_name, price_fen

SHOP = "示例旗舰店"
# code, Chinese name, the prefix of its order numbers (distinct from the payments demo's).
PLATFORMS = (("TMALL", "天猫", "TO"), ("JD", "京东", "JDO"), ("PDD", "拼多多", "PDD"), ("DOUYIN", "抖音", "DY"))
# SKU: unit price in fen, weight in grams.
SKUS = {"TS-101": (5990, 250), "TS-102": (8900, 300), "JK-201": (19900, 900), "XZ-301": (25900, 1100),
        "MZ-401": (3990, 150), "BB-601": (15900, 600)}
PROVINCES = ("浙江", "江苏", "广东", "北京", "四川", "山东", "湖北", "上海")
WAREHOUSE = "杭州仓"
SITES = {"ZTO": "杭州余杭网点", "YTO": "杭州萧山网点"}
# Carton and filler on top of the goods.
PACKING_G = 120
OUTBOUND_HEADER = ["出库单号", "订单号", "运单号", "快递公司", "商品编码", "出库数量", "包裹重量", "出库时间", "仓库", "收货省份"]
PICKUP_HEADER = ["运单号", "快递公司", "揽收时间", "揽收重量", "揽收网点"]
STATUS_TEXT = {"paid": "待发货", "shipped": "已发货", "completed": "交易成功", "closed": "交易关闭"}


@dataclass(frozen=True)
class Injected:
    type: str
    ref: str
    ref2: str
    sku: str
    amount_fen: int


@dataclass
class OutboundDemo:
    """Orders and their lines (model fields), the files' rows (their header names), the run's dates, what was injected."""

    start: date
    end: date
    as_of: date
    orders: list[dict]
    outbound: list[dict]
    pickups: list[dict]
    sample_outbound: list[dict]
    sample_pickups: list[dict]
    injected: list[Injected] = field(default_factory=list)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _kg(grams: int) -> str:
    return f"{grams / 1000:.3f}"


def outbound_demo_frames(*, period: str = "2026-10", orders_per_platform: int = 30,
                         existing: list[dict] | None = None) -> OutboundDemo:
    """A month of orders shipped in full and picked up in time, then a few orders, parcels and scans per problem type.

    `existing` are orders already in the database for the month (order_no, status, paid_at naive local, items
    [(sku, quantity)]): each is shipped and picked up correctly, so that it raises nothing."""
    year, month = map(int, period.split("-"))
    start = date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    as_of = end + timedelta(days=14)
    ym = f"{year}{month:02d}"
    orders: list[dict] = []
    outbound: list[dict] = []
    pickups: list[dict] = []
    injected: list[Injected] = []
    serial = iter(range(1, 10**6))
    parcels = iter(range(1, 10**6))
    other_parcels = iter(range(1, 10**6))

    def inject(type_: str, ref: str, *, ref2: str = "", sku: str = "", amount_fen: int = 0) -> None:
        injected.append(Injected(type_, ref, ref2, sku, amount_fen))

    def order(code: str, *, day: int, hour: int, items: list[tuple[str, int]], status: str = "completed") -> dict:
        n = next(serial)
        prefix = dict((c, p) for c, _name, p in PLATFORMS)[code]
        paid = datetime(year, month, day, hour, (n * 7) % 60)
        o = {"platform_code": code, "order_no": f"{prefix}{ym}{n:05d}", "status": status, "paid_at": paid,
             "shipped_at": paid + timedelta(hours=8) if status in ("shipped", "completed") else None,
             "items": list(items)}
        orders.append(o)
        return o

    def parcel(rows: list[tuple[dict | str, str, int]], *, at: datetime, courier: str | None = None,
               outbound_no: str | None = None, waybill_no: str | None = None, extra_g: int = 0,
               scan: bool = True, scan_g: int | None = None, province: str | None = None, theirs: bool = False) -> dict:
        """One outbound (one parcel, one waybill) carrying rows of (order or order number, SKU, quantity), and its scan;
        another demo's orders have their own numbers, so that the injected parcels' are the same with or without them."""
        n = next(other_parcels if theirs else parcels)
        courier = courier or ("ZTO" if n % 2 else "YTO")
        outbound_no = outbound_no or (f"CKX{ym}{n:05d}" if theirs else f"CK{ym}{n:05d}")
        waybill_no = waybill_no or (f"{79 if theirs else 78}{ym}{n:06d}" if courier == "ZTO"
                                    else f"YT{8 if theirs else 9}{ym}{n:09d}")
        province = province or PROVINCES[n % len(PROVINCES)]
        weight_g = PACKING_G + extra_g + sum(SKUS.get(sku, (0, 200))[1] * qty for _o, sku, qty in rows)
        for o, sku, qty in rows:
            outbound.append({"出库单号": outbound_no, "订单号": o if isinstance(o, str) else o["order_no"], "运单号": waybill_no,
                             "快递公司": courier, "商品编码": sku, "出库数量": qty, "包裹重量": _kg(weight_g),
                             "出库时间": _stamp(at), "仓库": WAREHOUSE, "收货省份": full_name(province)})
        if scan:
            # The courier's scale reads a little under ours: within any tolerance.
            picked_g = weight_g - (n % 4) * 10 if scan_g is None else scan_g
            pickups.append({"运单号": waybill_no, "快递公司": courier, "揽收时间": _stamp(at + timedelta(hours=3)),
                            "揽收重量": _kg(picked_g), "揽收网点": SITES[courier]})
        return {"outbound_no": outbound_no, "waybill_no": waybill_no, "weight_g": weight_g, "province": province,
                "courier": courier}

    def ship(o: dict, **kw) -> dict:
        """The whole order in one parcel, six hours after payment."""
        return parcel([(o, sku, qty) for sku, qty in o["items"]], at=o["paid_at"] + timedelta(hours=6), **kw)

    # Orders another demo made in the month: shipped whole and picked up (a closed order is not sent).
    for o in existing or []:
        if o["status"] != "closed" and o["items"]:
            parcel([(o["order_no"], sku, qty) for sku, qty in o["items"]], at=o["paid_at"] + timedelta(hours=6), theirs=True)

    # The month as it should be.
    sku_names = list(SKUS)
    for code, _name, _prefix in PLATFORMS:
        for i in range(orders_per_platform):
            k = len(orders)
            items = [(sku_names[k % 6], 1 + k % 2)] + ([(sku_names[(k + 3) % 6], 1)] if k % 3 == 0 else [])
            # The platform still says paid for a few that did leave: it lags; nothing to report.
            o = order(code, day=1 + (i * 5 + k) % 25, hour=8 + k % 13, items=items,
                      status="paid" if i % 10 == 7 else "completed" if i % 2 else "shipped")
            if len(items) == 2 and i % 6 == 3:
                # A partial shipment: each SKU in its own parcel, the second a day later.
                parcel([(o, *items[0])], at=o["paid_at"] + timedelta(hours=5))
                parcel([(o, *items[1])], at=o["paid_at"] + timedelta(hours=29))
            else:
                ship(o)
    # One order of three coats sent two then one, and two orders of one buyer in one parcel (合并发货).
    o = order("JD", day=8, hour=10, items=[("XZ-301", 3)])
    parcel([(o, "XZ-301", 2)], at=o["paid_at"] + timedelta(hours=4))
    parcel([(o, "XZ-301", 1)], at=o["paid_at"] + timedelta(hours=30))
    a = order("DOUYIN", day=11, hour=20, items=[("TS-101", 1)])
    b = order("DOUYIN", day=11, hour=21, items=[("MZ-401", 2), ("BB-601", 1)])
    parcel([(a, "TS-101", 1), (b, "MZ-401", 2), (b, "BB-601", 1)], at=b["paid_at"] + timedelta(hours=12))
    # A closed order that was not sent: nothing to report.
    order("PDD", day=13, hour=9, items=[("JK-201", 1)], status="closed")

    # ------------------------------------------------------------ order types (ref: the order number)
    o = order("PDD", day=10, hour=9, items=[("TS-102", 1)], status="paid")
    inject("order_not_shipped", o["order_no"])
    o = order("JD", day=12, hour=15, items=[("BB-601", 1)], status="shipped")
    inject("shipped_not_outbound", o["order_no"])
    # Two T-shirts sold, three sent: ¥59.90 to claim from the warehouse.
    o = order("TMALL", day=14, hour=11, items=[("TS-101", 2)])
    ship(o)
    outbound[-1]["出库数量"] = 3
    inject("outbound_quantity_mismatch", o["order_no"], sku="TS-101", amount_fen=SKUS["TS-101"][0])
    # Three jackets sold, two sent: −¥199.00, information.
    o = order("JD", day=16, hour=14, items=[("JK-201", 3)])
    ship(o)
    outbound[-1]["出库数量"] = 2
    inject("outbound_quantity_mismatch", o["order_no"], sku="JK-201", amount_fen=-SKUS["JK-201"][0])
    # A hat sent after the order was closed: ¥39.90.
    o = order("DOUYIN", day=17, hour=16, items=[("MZ-401", 1)], status="closed")
    ship(o)
    inject("outbound_quantity_mismatch", o["order_no"], sku="MZ-401", amount_fen=SKUS["MZ-401"][0])

    # ------------------------------------------------------------ parcel types
    p = parcel([(f"TO{ym}99901", "TS-102", 1)], at=datetime(year, month, 18, 10, 0))
    inject("outbound_unknown_order", p["outbound_no"], ref2=f"TO{ym}99901")
    # The warehouse printed one ZTO waybill on two parcels: the later outbound is the reuse.
    first = order("TMALL", day=19, hour=9, items=[("TS-102", 1)])
    second = order("PDD", day=19, hour=10, items=[("TS-102", 1)])
    p = ship(first, courier="ZTO")
    again = ship(second, courier="ZTO", waybill_no=p["waybill_no"], scan=False)
    inject("waybill_reused", p["waybill_no"], ref2=again["outbound_no"])
    o = order("DOUYIN", day=20, hour=13, items=[("BB-601", 1)])
    p = ship(o, scan=False)
    inject("outbound_not_picked_up", o["order_no"], ref2=p["waybill_no"])
    stray = f"YT9{ym}990000001"
    pickups.append({"运单号": stray, "快递公司": "YTO", "揽收时间": _stamp(datetime(year, month, 21, 16, 30)), "揽收重量": "0.800",
                    "揽收网点": SITES["YTO"]})
    inject("picked_up_not_outbound", stray)
    # Weighed heavier at pickup: next month's bill will charge the difference (the demo cards allow 0 g).
    for code, (sku, qty), province, picked_g in (("JD", ("JK-201", 1), "广东", 2300), ("PDD", ("TS-101", 2), "新疆", 3400)):
        o = order(code, day=22, hour=10, items=[(sku, qty)])
        courier = "ZTO" if code == "JD" else "YTO"
        p = ship(o, courier=courier, province=province, scan_g=picked_g)
        inject("pickup_weight_mismatch", o["order_no"], ref2=p["waybill_no"],
               amount_fen=price_fen(picked_g, province) - price_fen(p["weight_g"], province))

    sample_outbound, sample_pickups = _next_day(orders, end + timedelta(days=1))
    return OutboundDemo(start=start, end=end, as_of=as_of, orders=orders, outbound=outbound, pickups=pickups,
                        sample_outbound=sample_outbound, sample_pickups=sample_pickups, injected=injected)


def _next_day(orders: list[dict], day: date) -> tuple[list[dict], list[dict]]:
    """The next day's orders (added to `orders`, status paid) and the files a clerk uploads that day: their outbound
    records and the couriers' scans, one scan 400 g heavier than packed and one of a waybill we never sent."""
    ym = f"{day:%Y%m}"
    outbound: list[dict] = []
    pickups: list[dict] = []
    for i, (code, sku, qty) in enumerate((("TMALL", "TS-101", 1), ("JD", "JK-201", 1), ("PDD", "MZ-401", 3),
                                          ("DOUYIN", "BB-601", 1), ("TMALL", "XZ-301", 1)), start=1):
        prefix = dict((c, p) for c, _name, p in PLATFORMS)[code]
        paid = datetime(day.year, day.month, day.day, 8 + i, 15)
        order_no = f"{prefix}{ym}{80000 + i:05d}"
        orders.append({"platform_code": code, "order_no": order_no, "status": "paid", "paid_at": paid, "shipped_at": None,
                       "items": [(sku, qty)]})
        courier = "ZTO" if i % 2 else "YTO"
        waybill = f"78{ym}{800000 + i:06d}" if courier == "ZTO" else f"YT9{ym}{800000000 + i:09d}"
        weight_g = PACKING_G + SKUS[sku][1] * qty
        at = paid + timedelta(hours=4)
        outbound.append({"出库单号": f"CK{ym}{80000 + i:05d}", "订单号": order_no, "运单号": waybill, "快递公司": courier,
                         "商品编码": sku, "出库数量": qty, "包裹重量": _kg(weight_g), "出库时间": _stamp(at), "仓库": WAREHOUSE,
                         "收货省份": full_name(PROVINCES[i % len(PROVINCES)])})
        pickups.append({"运单号": waybill, "快递公司": courier, "揽收时间": _stamp(at + timedelta(hours=2)),
                        "揽收重量": _kg(weight_g + (400 if i == 2 else 0)), "揽收网点": SITES[courier]})
    pickups.append({"运单号": f"78{ym}899999", "快递公司": "ZTO", "揽收时间": _stamp(datetime(day.year, day.month, day.day, 17)),
                    "揽收重量": "1.000", "揽收网点": SITES["ZTO"]})
    return outbound, pickups


def _existing_orders(start: date, end: date) -> list[dict]:
    """The orders another demo already made in the month, with their items, as outbound_demo_frames takes them."""
    from django.utils import timezone

    from .models import Order, OrderLine

    lo = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    items: dict[int, list] = {}
    for order_id, sku, qty in OrderLine.objects.filter(order__paid_at__gte=lo, order__paid_at__lt=hi).order_by(
            "order_id", "line_no").values_list("order_id", "sku", "quantity"):
        items.setdefault(order_id, []).append((sku, qty))
    return [{"order_no": no, "status": status, "paid_at": timezone.localtime(paid).replace(tzinfo=None),
             "items": items.get(order_id, [])}
            for order_id, no, status, paid in Order.objects.filter(paid_at__gte=lo, paid_at__lt=hi).order_by(
                "paid_at", "order_no").values_list("id", "order_no", "status", "paid_at")]


def _orders_create(orders: list[dict]) -> int:
    """The demo's own orders and their lines, two set-wise inserts; the platforms it needs are configured first."""
    from decimal import Decimal

    from django.utils import timezone

    from .models import Order, OrderLine, Platform
    from .services import platform_configure

    for code, name, _prefix in PLATFORMS:
        if not Platform.objects.filter(code=code).exists():
            platform_configure(code=code, name=name)
    platforms = dict(Platform.objects.filter(code__in=[c for c, _n, _p in PLATFORMS]).values_list("code", "id"))

    def aware(moment):
        return timezone.make_aware(moment) if moment else None

    made = Order.objects.bulk_create([
        Order(platform_id=platforms[o["platform_code"]], order_no=o["order_no"], shop=SHOP, status=o["status"],
              paid_at=aware(o["paid_at"]), shipped_at=aware(o["shipped_at"]),
              order_amount=Decimal(sum(SKUS[s][0] * q for s, q in o["items"])) / 100)
        for o in orders
    ])
    OrderLine.objects.bulk_create([
        OrderLine(order_id=row.id, line_no=n, sku=sku, quantity=qty, line_amount=Decimal(SKUS[sku][0] * qty) / 100)
        for row, o in zip(made, orders) for n, (sku, qty) in enumerate(o["items"], start=1)
    ])
    return len(made)


def outbound_demo_write(demo: OutboundDemo, out_dir: Path, period: str) -> dict[str, Path]:
    """The month's outbound and pickup files as the warehouse and the couriers send them, the next day's for a clerk to
    upload, and the list of what was injected."""
    day = demo.end + timedelta(days=1)
    paths = {"outbound": out_dir / f"outbound-{period}-出库单.csv", "pickups": out_dir / f"outbound-{period}-揽收记录.csv",
             "sample_outbound": out_dir / f"outbound-{day:%Y-%m-%d}-出库单.csv",
             "sample_pickups": out_dir / f"outbound-{day:%Y-%m-%d}-揽收记录.csv"}
    for key, rows, header in (("outbound", demo.outbound, OUTBOUND_HEADER), ("pickups", demo.pickups, PICKUP_HEADER),
                              ("sample_outbound", demo.sample_outbound, OUTBOUND_HEADER),
                              ("sample_pickups", demo.sample_pickups, PICKUP_HEADER)):
        pd.DataFrame(rows, columns=header).to_csv(paths[key], index=False, encoding="utf-8-sig")
    pd.DataFrame([vars(i) for i in demo.injected]).to_csv(out_dir / f"outbound-{period}-expected.csv", index=False)
    return paths


def outbound_demo(*, lines: int, period: str, out_dir: Path, stdout) -> list[str]:
    """Seed the outbound demo once and reconcile its month; the lines to print (the sample files, the page for today)."""
    from django.db import transaction
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from couriers.demo_data import rate_card_frame
    from couriers.models import RateCard
    from couriers.selectors import courier_get
    from couriers.services import rate_card_import
    from recon.kinds import kind_specs
    from recon.runs import services as run_services

    from .models import OutboundRecord
    from .outbound_services import outbound_file_import

    if OutboundRecord.objects.exists():
        stdout.write("outbound demo data already present")
        return []
    year, month = map(int, period.split("-"))
    start, end = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    demo = outbound_demo_frames(period=period, existing=_existing_orders(start, end))
    paths = outbound_demo_write(demo, out_dir, period)
    with transaction.atomic():
        # The expected weight overcharge is priced on the couriers' cards: the courier demo's, when it has not run.
        card_file = out_dir / "zto-rate-card.xlsx"
        for code in ("ZTO", "YTO"):
            courier = courier_get(code=code)
            if not RateCard.objects.filter(courier=courier).exists():
                if not card_file.exists():
                    rate_card_frame().to_excel(card_file, index=False)
                with open(card_file, "rb") as fh:
                    rate_card_import(file=fh, filename=card_file.name, courier=courier, effective_from=date(2026, 1, 1),
                                     name=f"{courier.name} 2026 标准报价", fee_tolerance_fen=0, weight_tolerance_g=0)
        made = _orders_create(demo.orders)
        stdout.write(f"outbound orders: {made} created")
        for kind in ("outbound", "pickups"):
            with open(paths[kind], "rb") as fh:
                result = outbound_file_import(file=fh, kind=kind, filename=paths[kind].name)
            stdout.write(f"outbound {kind}: {result.rows} rows imported, {result.rejected} rejected")
    # As of two weeks after the month, as the other kinds' demos run: every ship-within and pickup grace has passed.
    moment = timezone.make_aware(datetime.combine(demo.as_of, datetime.min.time()))
    (run,) = kind_specs()["outbound"].hook("reconcile")(counterparty_code="", start=demo.start, end=demo.end, as_of=moment,
                                                        enqueue=False)
    run_services.run_execute(run_id=run.id)
    run.refresh_from_db()
    stdout.write(f"outbound reconciled: run #{run.id} {run.status}, {run.summary.get('discrepancies')} discrepancies")
    return [_("Outbound files to upload on /orders/outbound/upload/ (%(day)s: outbound records %(outbound)s, pickup "
              "scans %(pickups)s); the day's page: /orders/outbound/today/") % {
        "day": demo.end + timedelta(days=1), "outbound": paths["sample_outbound"], "pickups": paths["sample_pickups"]},
        _("Outbound %(period)s: %(count)s injected problems listed in %(path)s") % {
        "period": period, "count": len(demo.injected), "path": out_dir / f"outbound-{period}-expected.csv"}]
