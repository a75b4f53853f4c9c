"""Province names as couriers and shops write them, reduced to one short canonical name."""
import numpy as np
import pandas as pd

from recon.ingest.clean import cell_text

PROVINCES = (
    "北京", "天津", "上海", "重庆",
    "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东",
    "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾",
    "内蒙古", "广西", "西藏", "宁夏", "新疆",
    "香港", "澳门",
)

# Other spellings, matched as prefixes like the canonical names; pinyin appears in English exports.
_ALIASES = {
    "内蒙": "内蒙古",
    "beijing": "北京", "tianjin": "天津", "shanghai": "上海", "chongqing": "重庆",
    "hebei": "河北", "shanxi": "山西", "liaoning": "辽宁", "jilin": "吉林", "heilongjiang": "黑龙江",
    "jiangsu": "江苏", "zhejiang": "浙江", "anhui": "安徽", "fujian": "福建", "jiangxi": "江西",
    "shandong": "山东", "henan": "河南", "hubei": "湖北", "hunan": "湖南", "guangdong": "广东",
    "hainan": "海南", "sichuan": "四川", "guizhou": "贵州", "yunnan": "云南", "shaanxi": "陕西",
    "gansu": "甘肃", "qinghai": "青海", "taiwan": "台湾", "innermongolia": "内蒙古",
    "neimenggu": "内蒙古", "guangxi": "广西", "tibet": "西藏", "xizang": "西藏", "ningxia": "宁夏",
    "xinjiang": "新疆", "hongkong": "香港", "macau": "澳门", "macao": "澳门",
}
_PREFIXES = sorted(
    [(name, name) for name in PROVINCES] + list(_ALIASES.items()), key=lambda p: -len(p[0])
)

# Rate cards group neighbours under one shorthand.
GROUPS = {
    "江浙沪": ("江苏", "浙江", "上海"),
    "江浙沪皖": ("江苏", "浙江", "上海", "安徽"),
    "京津冀": ("北京", "天津", "河北"),
}
_SEPARATORS = r"[、/,，;；|\s]+"


def _key(s: pd.Series) -> pd.Series:
    t = cell_text(s).str.normalize("NFKC").str.lower().str.replace(r"\s+", "", regex=True)
    return t.str.replace(r"^中国", "", regex=True)


def normalize_province(s: pd.Series) -> pd.Series:
    """Canonical short province names ('广东省深圳市' -> '广东'); '' when not recognised."""
    s = s if isinstance(s, pd.Series) else pd.Series(s, dtype=object)
    codes, uniques = pd.factorize(s.to_numpy(dtype=object))
    keys = _key(pd.Series(uniques, dtype=object))
    found = np.full(len(keys), "", dtype=object)
    # Longest prefix first, so that a full name is never shadowed by a shorter alias.
    for prefix, name in _PREFIXES:
        hit = (found == "") & keys.str.startswith(prefix).to_numpy(dtype=bool)
        found[hit] = name
    out = np.where(codes >= 0, found[np.maximum(codes, 0)] if len(found) else "", "")
    return pd.Series(out.astype(object), index=s.index, dtype=object)


def split_provinces(s: pd.Series) -> pd.Series:
    """One entry per raw province name, index repeated per cell: '江苏、浙江' or '江浙沪' -> several."""
    parts = cell_text(s).str.normalize("NFKC").str.strip().str.split(_SEPARATORS, regex=True).explode()
    parts = parts[parts.notna() & (parts != "")]
    grouped = parts.map(GROUPS)
    return parts.where(grouped.isna(), grouped).explode().astype(object)
