"""What every bank statement reader gives back: statements of lines in integer fen, free of Django."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from recon.ingest import errors
from recon.ingest.errors import IngestError, _, gettext_noop

LINE_COLUMNS = [
    "ref", "booked_on", "value_on", "amount_fen", "balance_fen", "currency", "counterparty_name",
    "counterparty_account", "description", "row_no",
]
# Shown in the message that refuses a file of another format.
FORMATS_READ = gettext_noop("MT940, CAMT.053 (XML), OFX (SGML v1 or XML v2), and CSV/XLS/XLSX sheets with Chinese bank "
                            "columns (交易日期, 借方发生额/贷方发生额 or 金额, 余额 …) or English ones (Date, Amount or "
                            "Debit/Credit, Balance …)")
UNKNOWN_FORMAT = "unknown_format"


@dataclass
class StatementData:
    """One statement as the file states it; `lines` has LINE_COLUMNS, `ref` '' where the bank gives none."""

    format: str
    lines: pd.DataFrame
    account_no: str = ""
    statement_ref: str = ""
    opened_on: date | None = None
    closed_on: date | None = None
    opening_fen: int | None = None
    closing_fen: int | None = None
    currency: str = ""


@dataclass
class BankFile:
    format: str
    statements: list[StatementData]
    rejected: pd.DataFrame
    info: dict = field(default_factory=dict)

    @property
    def data_rows(self) -> int:
        return sum(len(s.lines) for s in self.statements) + len(self.rejected)


def lines_frame(records: list[dict]) -> pd.DataFrame:
    """Lines from one dict per line, every column present, in file order."""
    frame = pd.DataFrame.from_records(records, columns=LINE_COLUMNS)
    for c in ("ref", "currency", "counterparty_name", "counterparty_account", "description"):
        frame[c] = frame[c].fillna("").astype(str)
    frame["amount_fen"] = frame["amount_fen"].astype("int64")
    frame["balance_fen"] = frame["balance_fen"].astype("Int64")
    frame["row_no"] = frame["row_no"].astype("Int64")
    return frame


def damaged(filename: str, fmt: str, problem: str) -> IngestError:
    """A file of a format we read that breaks that format's rules; `problem` says where, for the user."""
    return IngestError(
        errors.CORRUPT_FILE,
        _("“%(filename)s” (%(format)s) cannot be read: %(problem)s. Export or download it again.")
        % {"filename": filename, "format": fmt, "problem": problem},
        {"format": fmt, "problem": problem},
    )


def unknown_format(filename: str) -> IngestError:
    return IngestError(
        UNKNOWN_FORMAT,
        _("“%(filename)s” is not a bank statement in a format we read. Formats read: %(formats)s.")
        % {"filename": filename, "formats": _(FORMATS_READ)},
    )
