"""Deterministic demo and benchmark data: shipments, a rate card, and a courier bill with known injected errors.

The expected discrepancies are computed here by construction, with a price function written separately
from the engine's, so tests can compare the engine's findings with what was injected.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from recon.engine.text import kg

NEAR = ["上海", "江苏", "浙江", "安徽"]
MID = ["北京", "天津", "河北", "山西", "辽宁", "吉林", "黑龙江", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "陕西"]
FAR = ["内蒙古", "甘肃", "青海", "宁夏", "新疆", "西藏"]
UNPRICED = ["香港"]  # on no card: lines going there cannot be checked

BOUNDS_G = [500, 1000, 2000, 3000]
PRICES_FEN = {"near": [260, 300, 400, 500], "mid": [300, 350, 500, 650], "far": [800, 1000, 1400, 1800]}
STEP_FEN = {"near": 100, "mid": 150, "far": 600}

FULL_NAMES = {"上海": "上海市", "北京": "北京市", "天津": "天津市", "重庆": "重庆市", "内蒙古": "内蒙古自治区", "广西": "广西壮族自治区",
              "西藏": "西藏自治区", "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区", "香港": "香港特别行政区"}


def full_name(province: str) -> str:
    """How bills usually write a province: 广东省, 上海市, 新疆维吾尔自治区."""
    return FULL_NAMES.get(province, province + "省")


def region(province: str) -> str:
    return "near" if province in NEAR else "far" if province in FAR else "mid"


def price_fen(weight_g: int, province: str) -> int | None:
    """The demo card's price, written plainly (one parcel at a time) as an independent check on the engine."""
    if province in UNPRICED:
        return None
    prices = PRICES_FEN[region(province)]
    for bound, price in zip(BOUNDS_G, prices):
        if weight_g <= bound:
            return price
    return prices[-1] + math.ceil((weight_g - BOUNDS_G[-1]) / 1000) * STEP_FEN[region(province)]


def rate_card_frame() -> pd.DataFrame:
    """The demo card in the spreadsheet layout couriers send: 省份, one column per band, 续重单价, 续重单位kg."""
    rows = []
    for group in ("near", "mid", "far"):
        provinces = NEAR if group == "near" else MID if group == "mid" else FAR
        for p in provinces:
            rows.append({"省份": full_name(p), **{f"{b / 1000:g}kg": PRICES_FEN[group][i] / 100 for i, b in enumerate(BOUNDS_G)},
                         "续重单价": STEP_FEN[group] / 100, "续重单位kg": 1})
    return pd.DataFrame(rows)


@dataclass
class DemoData:
    shipments: pd.DataFrame            # our records: order_no, waybill_no, courier, shipped_at, weight_kg, length_cm..., province, city, status, declared_value
    bill: pd.DataFrame                 # the courier's lines: 运单号, 揽收时间, 目的省份, 计费重量(kg), 运费(元)
    expected: dict[str, dict] = field(default_factory=dict)  # type -> {"count": n, "amount_fen": sum}


def _waybills(prefix: str, start: int, n: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill((np.arange(n) + start).astype(str), 10))


def generate(n_lines: int = 2000, *, courier: str = "ZTO", period: str = "2026-10", seed: int = 7, error_rate: float = 0.06) -> DemoData:
    """A month of shipments and a bill of about n_lines lines with known errors of every type."""
    rng = np.random.default_rng(seed)
    year, month = (int(x) for x in period.split("-"))
    start = datetime(year, month, 1)
    days = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).day
    n = n_lines
    provinces = np.array(NEAR + MID + FAR)
    prov = rng.choice(provinces, size=n, p=_province_weights(provinces))
    weight = rng.integers(80, 6000, size=n)
    shipped = pd.to_datetime(start) + pd.to_timedelta(rng.integers(0, days * 24 * 3600 - 3 * 3600, size=n), unit="s")
    waybill = _waybills("75", 3_100_000_000 + seed * 10_000_000, n)
    ships = pd.DataFrame(
        {
            "order_no": np.char.add("SO", np.char.zfill((np.arange(n) + 900000).astype(str), 8)),
            "waybill_no": waybill,
            "courier": courier,
            "shipped_at": shipped,
            "weight_g": weight,
            "length_cm": np.nan, "width_cm": np.nan, "height_cm": np.nan,
            "province": prov,
            "city": "",
            "status": "shipped",
            "declared_value": "",
        }
    )
    fee = _vector_price(weight, prov)
    bill = pd.DataFrame({"waybill_no": waybill, "billed_at": shipped + pd.Timedelta(hours=3), "province": prov, "weight_g": weight, "fee_fen": fee})

    k = max(1, int(n * error_rate / 8))
    idx = rng.permutation(n)
    groups = {name: idx[i * k:(i + 1) * k] for i, name in enumerate(
        ["rate_overcharge", "weight_overcharge", "zone_mismatch", "cancelled", "mismatch", "not_billed", "no_rate", "volumetric"])}
    expected: dict[str, dict] = {}

    def add(kind: str, amounts) -> None:
        e = expected.setdefault(kind, {"count": 0, "amount_fen": 0})
        amounts = list(amounts)
        e["count"] += len(amounts)
        e["amount_fen"] += int(sum(amounts))

    g = groups["rate_overcharge"]
    delta = rng.integers(10, 300, size=len(g))
    bill.loc[g, "fee_fen"] += delta
    add("rate_overcharge", delta)

    g = groups["weight_overcharge"]
    stakes = []
    for i in g:
        w, p = int(weight[i]), str(prov[i])
        heavier = w + 1000 + int(rng.integers(0, 2000))
        bill.loc[i, "weight_g"] = heavier
        bill.loc[i, "fee_fen"] = price_fen(heavier, p)
        stakes.append(price_fen(heavier, p) - price_fen(w, p))
    add("weight_overcharge", stakes)

    g = groups["zone_mismatch"]
    stakes = []
    for i in g:
        p = str(prov[i])
        far = "新疆" if p != "新疆" else "西藏"
        bill.loc[i, "province"] = far
        bill.loc[i, "fee_fen"] = price_fen(int(weight[i]), far)
        stakes.append(price_fen(int(weight[i]), far) - price_fen(int(weight[i]), p))
    add("zone_mismatch", stakes)

    g = groups["cancelled"]
    ships.loc[g, "status"] = "cancelled"
    add("cancelled_shipment_charged", bill.loc[g, "fee_fen"])

    g = groups["mismatch"]
    ships.loc[g, "courier"] = "YTO" if courier != "YTO" else "ZTO"
    add("courier_mismatch", bill.loc[g, "fee_fen"])

    g = groups["no_rate"]
    ships.loc[g, "province"] = UNPRICED[0]
    bill.loc[g, "province"] = UNPRICED[0]
    add("no_rate", [0] * len(g))

    g = groups["volumetric"]
    # A light but bulky parcel: the courier bills the volumetric weight, which is right.
    ships.loc[g, ["length_cm", "width_cm", "height_cm"]] = [50, 40, 30]  # 60,000 cm³ / 8000 = 7.5 kg
    ships.loc[g, "weight_g"] = 1200
    bill.loc[g, "weight_g"] = 7500
    bill.loc[g, "fee_fen"] = [price_fen(7500, str(prov[i])) for i in g]

    g = groups["not_billed"]
    add("not_billed", [0] * len(g))
    keep = np.ones(n, dtype=bool)
    keep[g] = False
    bill = bill[keep]

    unknown_n = k
    unknown = pd.DataFrame(
        {
            "waybill_no": _waybills("79", 8_800_000_000 + seed * 10_000_000, unknown_n),
            "billed_at": pd.to_datetime(start) + pd.Timedelta(days=3),
            "province": "广东",
            "weight_g": 800,
            "fee_fen": 350,
        }
    )
    add("unknown_waybill", unknown["fee_fen"])
    dup_source = bill[bill.index.isin(groups["rate_overcharge"]) == False].head(k)  # noqa: E712 - vectorized mask
    dup_source = dup_source[~dup_source.index.isin(np.concatenate([groups[x] for x in groups]))]
    add("duplicate_charge", dup_source["fee_fen"])
    bill = pd.concat([bill, unknown, dup_source], ignore_index=True)
    order = rng.permutation(len(bill))
    bill = bill.iloc[order].reset_index(drop=True)
    # The duplicate is whichever occurrence comes second; both copies have the same fee.

    ships["weight_kg"] = ships["weight_g"] / 1000
    ships = ships.drop(columns=["weight_g"])
    ships = ships.assign(**recipients(ships["province"].to_numpy(dtype=str), seed=seed))
    out_bill = pd.DataFrame(
        {
            "运单号": bill["waybill_no"],
            "揽收时间": bill["billed_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "目的省份": bill["province"].map(full_name),
            "计费重量(kg)": kg(bill["weight_g"]),
            "运费(元)": (bill["fee_fen"] // 100).astype(str) + "." + (bill["fee_fen"] % 100).astype(str).str.zfill(2),
        }
    )
    return DemoData(shipments=ships, bill=out_bill, expected=expected)


SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤") + ["欧阳", "司马", "诸葛"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯晨欣怡梓涵子轩雨婷思彤佳琪俊峰志强海燕丹")
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158", "159",
                   "166", "176", "177", "180", "181", "182", "185", "186", "187", "188", "189", "191", "198", "199"]
# Each province's capital, its landline area code and a few of its districts (a municipality is its own city).
CITIES = {
    "北京": ("", "010", "朝阳区 海淀区 丰台区 东城区"), "天津": ("", "022", "和平区 南开区 河西区"),
    "上海": ("", "021", "浦东新区 徐汇区 静安区 闵行区"), "重庆": ("", "023", "渝中区 江北区 南岸区"),
    "河北": ("石家庄市", "0311", "长安区 桥西区 裕华区"), "山西": ("太原市", "0351", "小店区 迎泽区 杏花岭区"),
    "辽宁": ("沈阳市", "024", "和平区 沈河区 皇姑区"), "吉林": ("长春市", "0431", "朝阳区 南关区 绿园区"),
    "黑龙江": ("哈尔滨市", "0451", "南岗区 道里区 香坊区"), "江苏": ("南京市", "025", "玄武区 鼓楼区 建邺区 江宁区"),
    "浙江": ("杭州市", "0571", "西湖区 上城区 拱墅区 滨江区"), "安徽": ("合肥市", "0551", "蜀山区 包河区 庐阳区"),
    "福建": ("福州市", "0591", "鼓楼区 台江区 仓山区"), "江西": ("南昌市", "0791", "东湖区 西湖区 红谷滩区"),
    "山东": ("济南市", "0531", "历下区 市中区 槐荫区"), "河南": ("郑州市", "0371", "金水区 中原区 二七区"),
    "湖北": ("武汉市", "027", "江汉区 武昌区 洪山区"), "湖南": ("长沙市", "0731", "岳麓区 芙蓉区 天心区"),
    "广东": ("广州市", "020", "天河区 越秀区 海珠区 白云区"), "广西": ("南宁市", "0771", "青秀区 兴宁区 西乡塘区"),
    "海南": ("海口市", "0898", "龙华区 美兰区 秀英区"), "四川": ("成都市", "028", "锦江区 武侯区 青羊区 成华区"),
    "贵州": ("贵阳市", "0851", "南明区 云岩区 观山湖区"), "云南": ("昆明市", "0871", "五华区 盘龙区 官渡区"),
    "陕西": ("西安市", "029", "雁塔区 碑林区 未央区"), "内蒙古": ("呼和浩特市", "0471", "新城区 回民区 赛罕区"),
    "甘肃": ("兰州市", "0931", "城关区 七里河区 安宁区"), "青海": ("西宁市", "0971", "城东区 城中区 城西区"),
    "宁夏": ("银川市", "0951", "兴庆区 金凤区 西夏区"), "新疆": ("乌鲁木齐市", "0991", "天山区 沙依巴克区 新市区"),
    "西藏": ("拉萨市", "0891", "城关区 堆龙德庆区"), "香港": ("", "", "九龙城区 油尖旺区 中西区"),
}
ROADS = list("人民解放中山建设和平新华文化学府长江黄河东风朝阳光明胜利团结幸福")


def recipients(provinces: np.ndarray, *, seed: int = 7) -> dict[str, np.ndarray]:
    """Made-up recipients for parcels going to `provinces`: names, phones (mostly mobile), street addresses."""
    # A generator of its own, so that adding recipients left every other demo value as it was.
    rng = np.random.default_rng([seed, 1])
    n = len(provinces)

    def pick(options) -> np.ndarray:
        return np.asarray(options, dtype=object)[rng.integers(0, len(options), size=n)]

    def digits(k: int) -> np.ndarray:
        return np.char.zfill(rng.integers(0, 10**k, size=n).astype(str), k).astype(object)

    keys = list(CITIES)
    where = pd.Index(keys).get_indexer(provinces)
    if (where < 0).any():
        raise ValueError(f"no demo city for {sorted(set(provinces[where < 0]))}")
    prefix = np.array([full_name(p) + CITIES[p][0] for p in keys], dtype=object)[where]
    area = np.array([CITIES[p][1] for p in keys], dtype=object)[where]
    district_lists = [CITIES[p][2].split() for p in keys]
    sizes = np.array([len(d) for d in district_lists])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    district = np.array(sum(district_lists, []), dtype=object)[starts[where] + rng.integers(0, 1 << 30, size=n) % sizes[where]]

    names = pick(SURNAMES) + pick(GIVEN) + np.where(rng.random(n) < 0.6, pick(GIVEN), "")
    mobile = pick(MOBILE_PREFIXES) + digits(8)
    style = rng.random(n)
    # One in twenty gives a landline; a few mobiles come the way some shops' exports write them.
    phones = np.where((style < 0.05) & (area != ""), area + "-8" + digits(7), mobile)
    phones = np.where((style >= 0.05) & (style < 0.08), "+86 " + mobile, phones)
    flat = np.where(rng.random(n) < 0.7, rng.integers(1, 30, size=n).astype(str).astype(object) + "栋"
                    + rng.integers(101, 2999, size=n).astype(str).astype(object) + "室", "")
    addresses = (prefix + district + pick(ROADS) + pick(ROADS) + np.where(rng.random(n) < 0.5, "路", "街")
                 + rng.integers(1, 999, size=n).astype(str).astype(object) + "号" + flat)
    return {"recipient_name": names, "recipient_phone": phones, "recipient_address": addresses}


def _province_weights(provinces: np.ndarray) -> np.ndarray:
    w = np.array([5.0 if p in NEAR else 1.0 if p in FAR else 2.5 for p in provinces])
    return w / w.sum()


def _vector_price(weight: np.ndarray, prov: np.ndarray) -> np.ndarray:
    out = np.zeros(len(weight), dtype=np.int64)
    for group, provinces in (("near", NEAR), ("mid", MID), ("far", FAR)):
        m = np.isin(prov, provinces)
        w = weight[m]
        prices = np.array(PRICES_FEN[group])
        band = np.searchsorted(np.array(BOUNDS_G), w, side="left")
        over = prices[-1] + np.ceil((w - BOUNDS_G[-1]) / 1000).astype(np.int64) * STEP_FEN[group]
        out[m] = np.where(band < len(BOUNDS_G), prices[np.minimum(band, len(BOUNDS_G) - 1)], over)
    return out


def write_messy_csv(bill: pd.DataFrame, path, *, encoding: str = "gbk", courier_name: str = "中通快递", period: str = "2026-10") -> None:
    """A bill the way couriers mail them: title rows above the header, ¥ amounts, a totals row, GBK."""
    year, month = period.split("-")
    total = _sum_yuan(bill["运费(元)"])
    body = bill.copy()
    body["运费(元)"] = "￥" + body["运费(元)"]  # full-width yuan sign: the one GBK can encode
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(f"{courier_name}{year}年{int(month)}月对账单\n客户：示例电商有限公司,,,,\n\n")
        body.to_csv(fh, index=False, lineterminator="\n")
        fh.write(f"合计,,,,￥{total}\n")


def write_messy_xlsx(bill: pd.DataFrame, path, *, sheets: int = 2, courier_name: str = "中通快递", period: str = "2026-10") -> None:
    """An xlsx with a cover sheet, title rows, waybills stored as numbers, several data sheets and totals rows."""
    parts = np.array_split(np.arange(len(bill)), sheets)
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        pd.DataFrame({"说明": ["本账单由系统生成", "如有疑问请联系客服"]}).to_excel(writer, sheet_name="说明", index=False)
        for i, rows in enumerate(parts, 1):
            part = bill.iloc[rows].copy()
            numeric = part["运单号"].str.fullmatch(r"\d{1,15}")
            part["运单号"] = pd.to_numeric(part["运单号"].where(numeric), errors="coerce").astype("Int64").astype(object).where(numeric, part["运单号"])
            part["计费重量(kg)"] = pd.to_numeric(part["计费重量(kg)"])
            part["运费(元)"] = pd.to_numeric(part["运费(元)"])
            sheet = f"第{i}周"
            part.to_excel(writer, sheet_name=sheet, index=False, startrow=2)
            ws = writer.sheets[sheet]
            ws.write(0, 0, f"{courier_name}{period}对账单（{sheet}）")
            ws.write(len(part) + 3, 0, "合计")
            ws.write(len(part) + 3, 4, float(_sum_yuan(bill.iloc[rows]["运费(元)"])))


def _sum_yuan(values: pd.Series) -> str:
    fen = values.str.replace(".", "", regex=False).astype(np.int64).sum()
    return f"{fen // 100}.{fen % 100:02d}"
