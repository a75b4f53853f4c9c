"""What every importer shares after the header: the result type, skipped rows and rejected rows."""
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from recon.ingest.clean import cell_text
from recon.ingest.errors import _, gettext_noop
from recon.ingest.readers import SheetTable

REJECTED_COLUMNS = ["sheet", "row_no", "reason_code", "reason", "raw"]
TOTALS_RE = r"合计|总计|小计|汇总|total"

# Reason texts by code; %(value)s is the offending cell as the user typed it.
REASONS = {
    "control_character": gettext_noop(
        "Cell “%(value)s” holds a control character (shown as �), which is never typed; "
        "the file was damaged on export. Remove it and export the file again"
    ),
    "waybill_missing": gettext_noop("Waybill number is empty"),
    "waybill_scientific": gettext_noop(
        "Waybill number “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "waybill_invalid": gettext_noop("Waybill number “%(value)s” is not valid"),
    "ref_missing": gettext_noop("Reference is empty"),
    "fee_missing": gettext_noop("Fee is empty"),
    "fee_invalid": gettext_noop("Fee “%(value)s” is not an amount"),
    "weight_invalid": gettext_noop("Weight “%(value)s” is not a weight"),
    "order_no_missing": gettext_noop("Order number is empty"),
    "order_no_scientific": gettext_noop(
        "Order number “%(value)s” is in scientific notation, so its digits were lost. "
        "Format the column as text in Excel and export the file again"
    ),
    "courier_missing": gettext_noop("Courier is empty"),
    "shipped_at_missing": gettext_noop("Shipping time is empty"),
    "shipped_at_invalid": gettext_noop("Shipping time “%(value)s” is not a date"),
    "length_invalid": gettext_noop("Length “%(value)s” is not a length"),
    "width_invalid": gettext_noop("Width “%(value)s” is not a length"),
    "height_invalid": gettext_noop("Height “%(value)s” is not a length"),
    "declared_value_invalid": gettext_noop("Declared value “%(value)s” is not an amount"),
    "status_invalid": gettext_noop("Status “%(value)s” is not one of shipped, cancelled"),
    "province_missing": gettext_noop("Province is empty"),
    "province_unknown": gettext_noop("Province “%(value)s” is not a Chinese province"),
    "province_duplicate": gettext_noop("Province “%(value)s” is already priced in an earlier row"),
    "price_invalid": gettext_noop("Price “%(value)s” is not an amount"),
    "step_price_invalid": gettext_noop("Additional weight price “%(value)s” is not an amount"),
    "step_invalid": gettext_noop("Additional weight step “%(value)s” is not a weight"),
}


@dataclass
class ParsedTable:
    """Clean rows, rejected rows with reasons, and facts about the file for the import summary."""

    frame: pd.DataFrame
    rejected: pd.DataFrame
    info: dict


def describe(codes: np.ndarray, values: np.ndarray, reasons: dict[str, str] | None = None) -> np.ndarray:
    """Readable reason per row from its code and offending value, translated once per code (`reasons`: a kind's own
    reason texts, else the core's)."""
    reasons = REASONS if reasons is None else reasons
    codes = np.asarray(codes, dtype=object)
    values = np.asarray(values, dtype=object)
    out = np.full(len(codes), "", dtype=object)
    for code in pd.unique(codes):
        if not code:
            continue
        before, _sep, after = _(reasons.get(code, code)).partition("%(value)s")
        sel = codes == code
        out[sel] = before + values[sel].astype(str).astype(object) + after if _sep else before
    return out


def join_cells(data: pd.DataFrame) -> pd.Series:
    """The row's non-empty cell texts joined with ' | ', for showing a skipped or rejected row."""
    out = pd.Series("", index=data.index, dtype=object)
    if not len(data):
        return out  # the usual clean sheet rejects nothing: pandas' per-column overhead saved on every read
    for col in data.columns:
        text = cell_text(data[col])
        both = (out != "") & (text != "")
        out = out.where(~both, out + " | " + text).where(both | (out != ""), text)
    return out


def _norm(s: pd.Series) -> pd.Series:
    return s.str.normalize("NFKC").str.lower().str.replace(r"\s+", "", regex=True)


@dataclass
class RowKinds:
    """Rows under a header that are not data: blank, repeated headers and totals."""

    blank: np.ndarray
    repeated_header: np.ndarray
    totals: np.ndarray
    totals_text: np.ndarray  # the cell that made a row a totals row

    @property
    def data(self) -> np.ndarray:
        return ~(self.blank | self.repeated_header | self.totals)


def classify_rows(table: SheetTable, candidates: np.ndarray | None = None) -> RowKinds:
    """Find blank, repeated-header and totals rows among `candidates` (rows without a valid key)."""
    n = len(table.data)
    blank = np.zeros(n, dtype=bool)
    repeated = np.zeros(n, dtype=bool)
    totals = np.zeros(n, dtype=bool)
    totals_text = np.full(n, "", dtype=object)
    idx = np.arange(n) if candidates is None else np.flatnonzero(candidates)
    if idx.size == 0:
        return RowKinds(blank, repeated, totals, totals_text)

    sub = table.data.iloc[idx]
    texts = {col: cell_text(sub[col]) for col in sub.columns}
    sub_blank = np.logical_and.reduce([(t == "").to_numpy() for t in texts.values()])

    # Multi-page exports repeat the header on every page.
    sub_repeated = np.ones(len(idx), dtype=bool)
    for col in table.header.columns.values():
        header_cell = _norm(pd.Series([str(table.header.cells[col])], dtype=object))[0]
        sub_repeated &= (_norm(texts[col]) == header_cell).to_numpy() if col in texts else False
    sub_repeated &= ~sub_blank

    sub_totals_text = np.full(len(idx), "", dtype=object)
    for col in reversed(list(texts)):  # reversed so that the leftmost matching cell is kept
        hit = texts[col].str.contains(TOTALS_RE, case=False, regex=True).to_numpy(dtype=bool)
        sub_totals_text[hit] = texts[col].to_numpy(dtype=object)[hit]
    sub_totals = (sub_totals_text != "") & ~sub_blank & ~sub_repeated

    blank[idx] = sub_blank
    repeated[idx] = sub_repeated
    totals[idx] = sub_totals
    totals_text[idx] = np.where(sub_totals, sub_totals_text, "")
    return RowKinds(blank, repeated, totals, totals_text)


def column_or_blank(table: SheetTable, field_name: str) -> pd.Series:
    """The field's cells, or empty cells when the sheet has no such column."""
    col = table.column(field_name)
    return col if col is not None else pd.Series("", index=table.data.index, dtype=object)


def rejected_frame(
    table: SheetTable,
    mask: np.ndarray,
    codes: np.ndarray,
    code_fields: dict[str, str],
    values: np.ndarray | None = None,
    reasons: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Rejected rows of one sheet; each code's reason quotes the cell of the field in `code_fields`.

    `values` (full length) gives the offending value directly where a code has no single field.
    """
    idx = np.flatnonzero(mask)
    codes = np.asarray(codes, dtype=object)[idx]
    if values is None:
        values = np.full(len(idx), "", dtype=object)
    else:
        values = np.asarray(values, dtype=object)[idx].copy()
    for code, field_name in code_fields.items():
        sel = codes == code
        if sel.any():
            values[sel] = cell_text(column_or_blank(table, field_name).iloc[idx[sel]]).to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "sheet": np.full(len(idx), table.name, dtype=object),
            "row_no": table.row_nos()[idx],
            "reason_code": codes,
            "reason": shown(pd.Series(describe(codes, values, reasons), dtype=object), REASON_CHARS).to_numpy(dtype=object),
            "raw": shown(join_cells(table.data.iloc[idx]), RAW_CHARS).to_numpy(dtype=object),
        }
    )


# What a rejected row keeps of the file: enough to find and fix the row, never a whole oversized cell.
REASON_CHARS = 300
RAW_CHARS = 1000
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def shown(text: pd.Series, limit: int) -> pd.Series:
    """Text as stored and shown: control characters marked (databases refuse NUL), cut to `limit` with an ellipsis."""
    text = text.astype(str).str.replace(_CONTROL, "\ufffd", regex=True)
    long = text.str.len() > limit
    if long.any():
        text = text.where(~long, text.str.slice(0, limit - 1) + "…")
    return text


def empty_rejected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sheet": pd.Series(dtype=object),
            "row_no": pd.Series(dtype=np.int64),
            "reason_code": pd.Series(dtype=object),
            "reason": pd.Series(dtype=object),
            "raw": pd.Series(dtype=object),
        }
    )


def concat_rejected(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_rejected()
    out = pd.concat(parts, ignore_index=True)
    out["row_no"] = out["row_no"].astype(np.int64)
    return out[REJECTED_COLUMNS]


def first_reason(n: int, checks: list[tuple[np.ndarray, object]]) -> np.ndarray:
    """Reason code per row: the first failing check in order of importance, '' if none fails.

    A check is (failed mask, code) where code is a string or a per-row array of codes.
    """
    codes = np.full(n, "", dtype=object)
    for failed, code in checks:
        sel = (codes == "") & np.asarray(failed, dtype=bool)
        codes[sel] = np.asarray(code, dtype=object)[sel] if not isinstance(code, str) else code
    return codes


def sheet_info(table: SheetTable, data_rows: int) -> dict:
    return {
        "name": table.name,
        "header_row": table.header_row,
        "data_rows": int(data_rows),
        "columns": {f: shown(pd.Series([table.header_text(f)], dtype=object), 200).iat[0] for f in table.header.columns},
        "hidden": table.hidden,
        # Fields whose column a person should confirm (matched by words or told apart by contents).
        "uncertain": list(table.header.uncertain),
    }


def without_cells(table: SheetTable, fields) -> SheetTable:
    """The sheet with the cells of `fields` blanked out (personal data), for the rejected rows' raw text."""
    columns = [table.header.columns[f] for f in fields if table.column(f) is not None]
    if not columns:
        return table
    data = table.data.copy()
    for col in columns:
        text = cell_text(data[col])
        data[col] = text.where(text == "", "***")
    return replace(table, data=data)
