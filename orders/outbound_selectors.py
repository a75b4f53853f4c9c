"""Reads for outbound records and pickup scans."""
from __future__ import annotations

from couriers.models import Courier

from .outbound_readers import courier_key


def courier_keys() -> dict[str, int]:
    """Every way a file may name a courier (code, Chinese name, English name, aliases) as courier_key -> courier id."""
    table: dict[str, int] = {}
    for courier_id, code, name, name_en, aliases in Courier.objects.values_list("id", "code", "name", "name_en", "aliases"):
        for text in (code, name, name_en, *(aliases or [])):
            if text and str(text).strip():
                table.setdefault(courier_key(text), courier_id)
    return table
