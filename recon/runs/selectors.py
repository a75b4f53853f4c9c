"""Reads of runs."""
from __future__ import annotations

from decimal import Decimal


def run_result(*, run) -> dict:
    """A run as the commands print it with --json: run_id, status, kind and, per type, count and amount at stake."""
    by_type = (run.summary or {}).get("by_type") or {}
    return {
        "run_id": run.id,
        "status": run.status,
        "kind": run.kind,
        "by_type": {t: {"count": v["count"], "amount_at_stake": f"{Decimal(str(v['amount_at_stake'])):.2f}"}
                    for t, v in by_type.items()},
    }
