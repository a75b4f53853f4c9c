"""Courier rate cards: one row per province, one column per weight band, plus the additional-weight price."""
import dataclasses
import re

import numpy as np
import pandas as pd

from recon.ingest import errors
from recon.ingest.bills import money_unit_of, weight_unit_of
from recon.ingest.clean import cell_text, parse_money_fen, parse_weight_g
from recon.ingest.guard import run_isolated
from recon.ingest.errors import IngestError, _
from recon.ingest.header import header_key
from recon.ingest.readers import SheetTable, read_tables
from recon.ingest.regions import PROVINCES, normalize_province, split_provinces
from recon.ingest.specs import BAND_RE, RATE_CARD_SPEC
from recon.ingest.table import (
    ParsedTable,
    classify_rows,
    column_or_blank,
    concat_rejected,
    describe,
    join_cells,
    rejected_frame,
    sheet_info,
)

RATE_COLUMNS = ["province", "upper_g", "price_fen", "step_g", "step_price_fen", "sheet", "row_no"]
_DEFAULT_STEP_G = 1000
_CODE_FIELDS = {"step_price_invalid": "step_price", "step_invalid": "step_kg"}


# Many cards head a band with the bare number of kilograms ('0.5', '1', '2', or a range '0.5-1'); in an
# xlsx such a header is a number cell, read as 0.5 or 1.0. A bound of zero is no band.
BAND_HEADER_RE = re.compile(
    rf"(?:{BAND_RE.pattern})"
    r"|(?:首重)?(?:≤|<=|<)?(?:\d+(?:\.\d+)?[-~～至到])?(?P<bare_bound>(?!0+(?:\.0+)?(?:以内|以下|内)?$)\d+(?:\.\d+)?)(?:以内|以下|内)?"
)
RATE_CARD_HEADERS = dataclasses.replace(RATE_CARD_SPEC, groups={"bands": BAND_HEADER_RE})


def band_upper_g(header_cell: str) -> int | None:
    """Upper bound in grams named by a band header ('0.5kg' -> 500, '0-500g' -> 500, '1' -> 1000, '500(g)' -> 500)."""
    key, header_unit = header_key(header_cell)
    match = BAND_HEADER_RE.fullmatch(key)
    if not match:
        return None
    if match["bound"]:
        bound, unit = match["bound"], match["unit"]
    else:
        # A bare number is in kg unless the header names grams in brackets, as in '500(g)'.
        bound, unit = match["bare_bound"], header_unit if header_unit in ("g", "kg") else "kg"
    grams, bad = parse_weight_g(pd.Series([bound + unit], dtype=object))
    return None if bad[0] or pd.isna(grams[0]) else int(grams[0])


def read_rate_card(path, filename: str) -> ParsedTable:
    """Read a rate card into one row per (province, weight band), sorted by province then band.

    Parsed in a child process under the upload limits (guard.run_isolated): a file built to exhaust memory fails alone.
    """
    return run_isolated(_read_rate_card, path, filename, filename=filename)


def _read_rate_card(path, filename: str) -> ParsedTable:
    tables = read_tables(path, filename, RATE_CARD_HEADERS)
    rows, rejected, sheets = [], [], []
    blank_rows = repeated_headers = 0
    for table in tables.tables:
        sheet_rows, rej, kinds = _read_sheet(table)
        rows.append(sheet_rows)
        rejected.append(rej)
        sheets.append(
            {
                **sheet_info(table, int(kinds.data.sum())),
                "bands_g": [band_upper_g(table.header.cells[c]) for c in table.header.groups["bands"]],
            }
        )
        blank_rows += int(kinds.blank.sum())
        repeated_headers += int(kinds.repeated_header.sum())

    candidates = pd.concat(rows, ignore_index=True)
    frame, duplicates = _drop_repeated_provinces(candidates)
    rejected = concat_rejected([*rejected, duplicates])
    if frame.empty and rejected.empty:
        raise IngestError(
            errors.NO_DATA,
            _("“%(filename)s” has a header but no prices under it.") % {"filename": filename},
            {"sheets": sheets},
        )
    priced = set(frame["province"])
    info = tables.info()
    info.update(
        {
            "sheets": sheets,
            "totals_rows": [],
            "repeated_headers": repeated_headers,
            "blank_rows": blank_rows,
            "provinces": sorted(priced),
            "provinces_missing": [p for p in PROVINCES if p not in priced],
        }
    )
    return ParsedTable(frame=frame, rejected=rejected, info=info)


def _read_sheet(table: SheetTable):
    n = len(table.data)
    kinds = classify_rows(table)
    control, control_text = table.control_rows()
    codes = np.where(control, "control_character", "").astype(object)
    values = np.where(control, control_text, "").astype(object)

    # Provinces: every name in the cell must be known, else the whole row is suspect.
    cells = cell_text(column_or_blank(table, "province"))
    parts = split_provinces(cells)
    names = normalize_province(parts)
    codes[(codes == "") & (cells == "").to_numpy()] = "province_missing"
    unknown = parts[names == ""]
    first_unknown = unknown[~unknown.index.duplicated()]
    pos = first_unknown.index.to_numpy()
    sel = codes[pos] == ""
    codes[pos[sel]] = "province_unknown"
    values[pos[sel]] = first_unknown.to_numpy(dtype=object)[sel]

    step_price, step_price_bad = parse_money_fen(column_or_blank(table, "step_price"), money_unit_of(table, "step_price"))
    step_bad = step_price_bad.to_numpy() | (step_price < 0).fillna(False).to_numpy()
    codes[(codes == "") & step_bad] = "step_price_invalid"
    unit, _source = weight_unit_of(table, "step_kg")
    step_g, step_g_bad = parse_weight_g(column_or_blank(table, "step_kg"), unit)
    step_g_bad = step_g_bad.to_numpy() | (step_g <= 0).fillna(False).to_numpy()
    codes[(codes == "") & step_g_bad] = "step_invalid"

    bands = []
    for col in table.header.groups["bands"]:
        upper_g = band_upper_g(table.header.cells[col])
        price, bad = parse_money_fen(table.data[col], "fen" if header_key(table.header.cells[col])[1] == "fen" else "yuan")
        bad = bad.to_numpy() | (price < 0).fillna(False).to_numpy()
        sel = (codes == "") & bad
        codes[sel] = "price_invalid"
        values[sel] = cell_text(table.data[col])[sel].to_numpy(dtype=object)
        bands.append(pd.DataFrame({"pos": np.arange(n), "upper_g": upper_g, "price": price}).dropna())

    keep = kinds.data & (codes == "")
    reject = kinds.data & (codes != "")
    rows = pd.concat(bands, ignore_index=True)
    rows = rows[keep[rows["pos"].to_numpy()]]
    rows = rows.drop_duplicates(["pos", "upper_g"])  # two columns for the same band: the first one counts
    provinces = pd.DataFrame({"pos": names.index.to_numpy(), "province": names.to_numpy(dtype=object)})
    provinces = provinces[keep[provinces["pos"].to_numpy()]].drop_duplicates()
    out = rows.merge(provinces, on="pos").sort_values(["pos", "upper_g"], kind="stable")
    out["step_g"] = step_g.fillna(_DEFAULT_STEP_G).to_numpy(dtype=np.int64)[out["pos"].to_numpy()]
    out["step_price_fen"] = step_price.array[out["pos"].to_numpy()]
    out["price_fen"] = out["price"].astype(np.int64)
    out["upper_g"] = out["upper_g"].astype(np.int64)
    out["sheet"] = table.name
    out["row_no"] = table.row_nos()[out["pos"].to_numpy()]
    out["raw"] = join_cells(table.data).to_numpy(dtype=object)[out["pos"].to_numpy()]
    return out, rejected_frame(table, reject, codes, _CODE_FIELDS, values), kinds


def _drop_repeated_provinces(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A province priced twice is ambiguous: keep its first row, reject later rows that repeat it."""
    seen: dict[str, tuple[str, int]] = {}
    dropped = []
    # One iteration per rate card row (a few dozen), in file order.
    for (sheet, row_no), group in rows.groupby(["sheet", "row_no"], sort=False):
        names = set(group["province"])
        repeated = sorted(names & set(seen))
        if repeated:
            dropped.append((sheet, row_no, repeated[0], group.index))
        else:
            seen.update({name: (sheet, row_no) for name in names})
    keep = rows.drop(index=[i for *_x, index in dropped for i in index])
    frame = keep.sort_values(["province", "upper_g"], kind="stable").reset_index(drop=True)[RATE_COLUMNS]
    frame["step_price_fen"] = frame["step_price_fen"].astype("Int64")
    rejected = pd.DataFrame(
        {
            "sheet": [d[0] for d in dropped],
            "row_no": [int(d[1]) for d in dropped],
            "reason_code": "province_duplicate",
            "reason": [_describe_duplicate(d[2]) for d in dropped],
            "raw": [rows.loc[d[3][0], "raw"] for d in dropped],
        }
    )
    return frame, rejected


def _describe_duplicate(province: str) -> str:
    return str(describe(np.array(["province_duplicate"], dtype=object), np.array([province], dtype=object))[0])
