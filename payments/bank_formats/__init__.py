"""Reading bank statement files of every format we know, recognised by their content, never by their name.

Free of Django like the core's readers: the file is read in a forked child under the upload limits (run_isolated).
"""
from __future__ import annotations

from recon.ingest.guard import run_isolated
from recon.ingest.readers import decode_text, sniff_format
from recon.ingest.errors import IngestError

from . import camt053, mt940, ofx, sheet
from .base import FORMATS_READ, BankFile, StatementData, unknown_format

__all__ = ["FORMATS_READ", "BankFile", "StatementData", "detect_format", "read_bank_file"]

_HEAD = 64 * 1024


def detect_format(path, filename: str) -> str:
    """'camt053', 'ofx', 'mt940' or 'sheet' by what the file holds; IngestError naming the formats read otherwise."""
    with open(path, "rb") as fh:
        head = fh.read(_HEAD)
    if camt053.looks_like(head):
        return "camt053"
    if ofx.looks_like(head):
        return "ofx"
    if head[:2] != b"PK" and b"\x00" not in head[:4096]:
        text, _encoding = decode_text(head)
        if mt940.looks_like(text):
            return "mt940"
    try:
        sniff_format(path, filename)
    except IngestError as exc:
        if exc.code == "empty_file":
            raise
        raise unknown_format(filename) from exc
    return "sheet"


def _read(path, filename: str, overrides: dict | None = None) -> BankFile:
    fmt = detect_format(path, filename)
    if fmt == "sheet":
        try:
            return sheet.read(path, filename, overrides)
        except IngestError as exc:
            if exc.code == "header_not_found":
                raise unknown_format(filename) from exc
            raise
    with open(path, "rb") as fh:
        data = fh.read()
    if fmt == "camt053":
        return camt053.read(data, filename)
    if fmt == "ofx":
        return ofx.read(data, filename)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # SWIFT's character set is ASCII; banks that add umlauts write Latin-1.
        text = data.decode("latin-1")
    return mt940.read(text, filename)


def read_bank_file(path, filename: str, overrides: dict | None = None) -> BankFile:
    """The statements and rejected rows of a bank file, read in a child process under the upload limits.

    `overrides` (a sheet's columns by field) is ignored by the formats whose fields are fixed by the format itself.
    """
    return run_isolated(_read, path, filename, overrides, filename=filename)
