"""Reading messy uploaded tables (courier bills, shipment lists, rate cards) into clean pandas frames.

The generic pieces (sniff_format, read_tables, find_header, the clean.* parsers) serve every importer;
read_courier_bill, read_shipments and read_rate_card are the three readers built on them.
"""
from recon.ingest.bills import read_courier_bill
from recon.ingest.clean import (
    MoneyError,
    cell_text,
    money_fen,
    normalize_waybill,
    parse_datetime,
    parse_length_mm,
    parse_money_fen,
    parse_scaled,
    parse_weight_g,
)
from recon.ingest.errors import IngestError
from recon.ingest.header import Field, TableSpec, Words, find_header, header_key
from recon.ingest.rate_cards import read_rate_card
from recon.ingest.readers import decode_text, read_tables, sniff_format
from recon.ingest.regions import normalize_province
from recon.ingest.shipments import read_shipments
from recon.ingest.table import ParsedTable

__all__ = [
    "Field",
    "IngestError",
    "MoneyError",
    "ParsedTable",
    "TableSpec",
    "Words",
    "cell_text",
    "decode_text",
    "find_header",
    "header_key",
    "money_fen",
    "normalize_province",
    "normalize_waybill",
    "parse_datetime",
    "parse_length_mm",
    "parse_money_fen",
    "parse_scaled",
    "parse_weight_g",
    "read_courier_bill",
    "read_rate_card",
    "read_shipments",
    "read_tables",
    "sniff_format",
]
