"""Discrepancies of two kinds that are one finding seen twice, linked to each other as runs save: a kind declares the
pair in its KindSpec.links (which types, which column holds the shared key), the core joins the saving run's rows to
the other side's current rows in one query and records the link on both, in details.linked.

Kind-neutral: nothing here knows a kind; a run of a kind that no link names costs nothing.
"""
from __future__ import annotations

from django.utils.formats import date_format
from django.utils.dateparse import parse_datetime

from recon.core.db import fetch_frame
from recon.core.models import Discrepancy
from recon.kinds import LinkSpec, kind_spec, kind_specs

KEY_COLUMNS = ("ref", "ref2")


def _links_of(kind: str) -> list[tuple[str, LinkSpec]]:
    """Every declared link with `kind` on one side or the other, as (declaring kind, link)."""
    return [(code, link) for code, spec in kind_specs().items() for link in spec.links if kind in (code, link.other_kind)]


def _pairs(run_id: int, kind: str, link: LinkSpec, run_side: str) -> list[tuple[int, int]]:
    """(this side's id, other side's id) of current rows that link, one of them the run's."""
    if link.key not in KEY_COLUMNS or link.other_key not in KEY_COLUMNS:
        raise ValueError(f"a link joins on {KEY_COLUMNS}, not {link.key!r} / {link.other_key!r}")
    table = Discrepancy._meta.db_table
    side = "a" if run_side == "this" else "b"
    rows = fetch_frame(
        f"SELECT a.id, b.id FROM {table} a JOIN {table} b ON b.counterparty_id = a.counterparty_id "
        f"AND b.{link.other_key} = a.{link.key} "
        f"WHERE {side}.run_id = %s AND a.kind = %s AND a.type = %s AND a.is_current "
        f"AND b.kind = %s AND b.type = %s AND b.is_current AND a.{link.key} <> ''",
        [run_id, kind, link.type, link.other_kind, link.other_type], ["a", "b"])
    return [(int(a), int(b)) for a, b in rows.itertuples(index=False)]


def discrepancy_links_refresh(*, run_id: int, kind: str) -> int:
    """Link the run's current discrepancies to their partners of the declared links (both ways); a partner's links to
    rows no longer current are dropped, so that a rerun replaces a link rather than adding one. Returns the pairs."""
    found: dict[int, set[int]] = {}
    for declaring, link in _links_of(kind):
        sides = [side for side, code in (("this", declaring), ("other", link.other_kind)) if code == kind]
        for side in sides:
            for a, b in _pairs(run_id, declaring, link, side):
                found.setdefault(a, set()).add(b)
                found.setdefault(b, set()).add(a)
    if not found:
        return 0
    rows = list(Discrepancy.objects.filter(id__in=found).only("id", "kind", "type", "details"))
    known = {d.id: d for d in rows}
    earlier = {int(e["id"]) for d in rows for e in (d.details or {}).get("linked") or [] if isinstance(e, dict) and "id" in e}
    # A row keeps its earlier links to rows still current (another bill's, say); those to replaced rows go.
    still = Discrepancy.objects.filter(id__in=earlier - set(known), is_current=True).values_list("id", "kind", "type")
    partners = {**{d.id: (d.kind, d.type) for d in rows}, **{i: (k, t) for i, k, t in still}}
    changed = []
    for d in rows:
        details = dict(d.details or {})
        kept = {int(e["id"]) for e in details.get("linked") or [] if isinstance(e, dict) and int(e.get("id", 0)) in partners}
        ids = sorted(kept | found[d.id])
        linked = [{"id": i, "kind": partners[i][0], "type": partners[i][1]} for i in ids]
        if details.get("linked") != linked:
            details["linked"] = linked
            d.details = details
            changed.append(d)
    Discrepancy.objects.bulk_update(changed, ["details"])
    return sum(len(v) for v in found.values()) // 2


def _evidence(columns, row: Discrepancy) -> list[tuple[str, str]]:
    out = []
    for column in columns:
        if column.attr.startswith("details."):
            value = (row.details or {}).get(column.attr.removeprefix("details."))
        else:
            value = getattr(row, column.attr, None)
        if value is None or value == "":
            continue
        if column.kg:
            value = f"{value / 1000:.3f}".rstrip("0").rstrip(".") + " kg"
        elif isinstance(value, str) and parse_datetime(value) is not None:
            value = date_format(parse_datetime(value), "Y-m-d H:i")
        out.append((str(column.label), str(value)))
    return out


def discrepancy_linked(*, discrepancy: Discrepancy) -> list[dict]:
    """The current discrepancies linked to this one, each with what its side of the link declares as evidence."""
    ids = [int(e["id"]) for e in (discrepancy.details or {}).get("linked") or [] if isinstance(e, dict) and "id" in e]
    if not ids:
        return []
    out = []
    for row in Discrepancy.objects.filter(id__in=ids, is_current=True).order_by("id"):
        columns = ()
        for declaring, link in _links_of(row.kind):
            if declaring == row.kind and link.type == row.type:
                columns = link.evidence
            elif link.other_kind == row.kind and link.other_type == row.type:
                columns = link.other_evidence
        out.append({"id": row.id, "kind": row.kind, "kind_label": str(kind_spec(row.kind).label), "type": row.type,
                    "ref": row.ref, "ref2": row.ref2, "status": row.status, "amount_at_stake": row.amount_at_stake,
                    "occurred_on": row.occurred_on, "evidence": _evidence(columns, row)})
    return out
