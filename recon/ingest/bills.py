"""Courier bills: what the courier says we owe, one line per waybill."""
import numpy as np
import pandas as pd

from recon.ingest import errors
from recon.ingest.clean import cell_text, normalize_waybill, parse_datetime, parse_money_fen, parse_weight_g
from recon.ingest.guard import run_isolated
from recon.ingest.errors import IngestError, _
from recon.ingest.readers import SheetTable, read_tables
from recon.ingest.regions import normalize_province
from recon.ingest.specs import BILL_SPEC
from recon.ingest.table import (
    ParsedTable,
    classify_rows,
    column_or_blank,
    concat_rejected,
    first_reason,
    rejected_frame,
    sheet_info,
)

BILL_COLUMNS = [
    "line_no", "sheet", "row_no", "waybill_no", "billed_fee_fen", "billed_weight_g",
    "billed_province", "billed_province_raw", "billed_at", "business_type",
]
_CODE_FIELDS = {
    "waybill_missing": "waybill_no",
    "waybill_scientific": "waybill_no",
    "waybill_invalid": "waybill_no",
    "fee_invalid": "billed_fee",
    "weight_invalid": "billed_weight",
}


def weight_unit_of(table: SheetTable, field_name: str) -> tuple[str, str]:
    """(unit, source): the unit named in the weight header, else kilograms, which couriers bill in."""
    unit = table.header.units.get(field_name, "")
    if unit in ("kg", "g"):
        return unit, "header"
    return "kg", "default"


def money_unit_of(table: SheetTable, field_name: str) -> str:
    """'fen' when the column's header says its amounts are in fen ('运费(分)'), else 'yuan'."""
    return "fen" if table.header.units.get(field_name, "") == "fen" else "yuan"


def read_courier_bill(path, filename: str, overrides: dict[str, str] | None = None) -> ParsedTable:
    """Read a courier bill (csv/xlsx/xls, any number of sheets) into clean lines and rejected rows.

    Parsed in a child process under the upload limits (guard.run_isolated): a file built to exhaust memory fails alone.
    """
    return run_isolated(_read_courier_bill, path, filename, overrides, filename=filename)


def _read_courier_bill(path, filename: str, overrides: dict[str, str] | None = None) -> ParsedTable:
    tables = read_tables(path, filename, BILL_SPEC, overrides)
    frames, rejected, sheets, totals = [], [], [], []
    blank_rows = repeated_headers = invalid_dates = rejected_fee_fen = 0
    units = []
    for table in tables.tables:
        parsed = _read_sheet(table)
        frames.append(parsed["frame"])
        rejected.append(parsed["rejected"])
        totals.extend(parsed["totals"])
        sheets.append(parsed["sheet"])
        blank_rows += parsed["blank_rows"]
        repeated_headers += parsed["repeated_headers"]
        invalid_dates += parsed["invalid_dates"]
        rejected_fee_fen += parsed["rejected_fee_fen"]
        if table.column("billed_weight") is not None:
            units.append(weight_unit_of(table, "billed_weight"))

    frame = pd.concat(frames, ignore_index=True)
    rejected = concat_rejected(rejected)
    if frame.empty and rejected.empty:
        raise IngestError(
            errors.NO_DATA,
            _("“%(filename)s” has a header but no bill lines under it.") % {"filename": filename},
            {"sheets": sheets, "totals_rows": totals},
        )
    frame.insert(0, "line_no", np.arange(1, len(frame) + 1, dtype=np.int64))
    frame = frame[BILL_COLUMNS]

    unit, source = units[0] if units else ("kg", "default")
    info = tables.info()
    info.update(
        {
            "sheets": sheets,
            "totals_rows": totals,
            "repeated_headers": repeated_headers,
            "blank_rows": blank_rows,
            "weight_unit": unit,
            "weight_unit_source": source,
            "fee_unit": sheets[0]["fee_unit"] if sheets else "yuan",
            "invalid_dates": invalid_dates,
            # Fees of rejected rows that could be read, so that a totals row can still be checked.
            "rejected_fee_fen": rejected_fee_fen,
            "duplicate_waybills": int(frame["waybill_no"].duplicated().sum()),
        }
    )
    return ParsedTable(frame=frame, rejected=rejected, info=info)


def _read_sheet(table: SheetTable) -> dict:
    n = len(table.data)
    waybill, waybill_reason = normalize_waybill(column_or_blank(table, "waybill_no"))
    waybill_ok = (waybill_reason == "").to_numpy()
    header_waybill = normalize_waybill(pd.Series([table.header_text("waybill_no")], dtype=object))[0][0]
    kinds = classify_rows(table, ~waybill_ok | (waybill == header_waybill).to_numpy())

    fee_unit = money_unit_of(table, "billed_fee")
    fee, fee_bad = parse_money_fen(column_or_blank(table, "billed_fee"), fee_unit)
    unit, _source = weight_unit_of(table, "billed_weight")
    weight, weight_bad = parse_weight_g(column_or_blank(table, "billed_weight"), unit)
    control, control_text = table.control_rows()
    codes = first_reason(
        n,
        [
            (control, "control_character"),
            (~waybill_ok, waybill_reason.to_numpy(dtype=object)),
            (fee.isna().to_numpy() & ~fee_bad.to_numpy(), "fee_missing"),
            (fee_bad.to_numpy(), "fee_invalid"),
            (weight_bad.to_numpy(), "weight_invalid"),
        ],
    )
    keep = kinds.data & (codes == "")
    reject = kinds.data & (codes != "")

    province_raw = cell_text(column_or_blank(table, "province"))[keep]
    billed_at, date_bad = parse_datetime(column_or_blank(table, "billed_at")[keep])
    frame = pd.DataFrame(
        {
            "sheet": np.full(int(keep.sum()), table.name, dtype=object),
            "row_no": table.row_nos()[keep],
            "waybill_no": waybill[keep].to_numpy(dtype=object),
            "billed_fee_fen": fee[keep].to_numpy(dtype=np.int64),
            "billed_weight_g": weight[keep].array,
            "billed_province": normalize_province(province_raw).to_numpy(dtype=object),
            "billed_province_raw": province_raw.to_numpy(dtype=object),
            "billed_at": billed_at.to_numpy(dtype="datetime64[ns]"),
            "business_type": cell_text(column_or_blank(table, "business_type"))[keep].to_numpy(dtype=object),
        }
    )

    totals = [
        {
            "sheet": table.name,
            "row_no": int(row_no),
            "text": str(text)[:200],
            "fee_fen": None if pd.isna(fee_fen) else int(fee_fen),
        }
        for row_no, text, fee_fen in zip(
            table.row_nos()[kinds.totals], kinds.totals_text[kinds.totals], fee[kinds.totals]
        )
    ]
    return {
        "frame": frame,
        "rejected": rejected_frame(table, reject, codes, _CODE_FIELDS, control_text),
        "totals": totals,
        "sheet": {**sheet_info(table, int(keep.sum() + reject.sum())), "weight_unit": unit, "fee_unit": fee_unit},
        "blank_rows": int(kinds.blank.sum()),
        "repeated_headers": int(kinds.repeated_header.sum()),
        "invalid_dates": int(date_bad.sum()),
        "rejected_fee_fen": int(fee[reject].sum()),
    }
