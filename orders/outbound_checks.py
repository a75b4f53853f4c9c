"""Outbound records and pickup scans checked as they arrive (实时监控): per waybill, for the types that need nothing
but that waybill's records, without a whole day's run.

Each check is a small run of the outbound kind (params.trigger = "arrival" or "sweep") whose range spans the days its
findings are judged on: the day's full run then carries them over with their work instead of listing them twice. A
check replaces the current rows of the same types for the waybills it looked at, so a corrected weight withdraws the
finding it raised.
"""
from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta

import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from couriers.models import Courier
from recon.core.db import db_to_local_naive, fetch_by_keys, is_postgres
from recon.core.models import Discrepancy, ReconRun
from recon.engine.outbound import TOLERANCE_G, WAYBILL_TYPES, check_waybills
from recon.runs import services as run_services
from recon.runs.as_of import as_of_param
from recon.runs.save import run_results_save, run_summary
from reports.alerts import RECORDS_ARRIVED, alerts_check

from .kind_outbound import SPEC
from .models import OutboundRecord, PickupScan
from .runs_outbound import courier_terms, grace_hours_setting, outbound_rows, translated_reasons

# The types a sweep judges once the grace has passed, for the waybills whose grace ended lately.
GRACE_TYPES = ("outbound_not_picked_up", "picked_up_not_outbound")
# How far back a sweep looks past the grace: sweeps overlap, and a waybill checked twice is replaced, not doubled.
SWEEP_LOOKBACK = timedelta(hours=2)


def _waybill_frames(waybills: list[str], couriers: dict[int, str], codes: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every outbound record and scan of these waybill numbers of these couriers (the engine keeps the pairs asked)."""
    outbound, pickups = OutboundRecord._meta.db_table, PickupScan._meta.db_table
    # The courier in the condition lets both reads probe their (courier, waybill) index instead of reading every row.
    ids = ", ".join(str(int(i)) for i, code in sorted(couriers.items()) if code in codes) or "NULL"
    b = fetch_by_keys(
        f"SELECT outbound_no, order_no, sku, quantity, waybill_no, courier_id, packed_weight_g, outbound_at, warehouse, "
        f"province FROM {outbound} WHERE courier_id IN ({ids}) AND waybill_no {{keys}}", waybills,
        ["outbound_no", "order_no", "sku", "quantity", "waybill_no", "courier_id", "packed_weight_g", "outbound_at",
         "warehouse", "province"])
    k = fetch_by_keys(
        f"SELECT courier_id, waybill_no, picked_up_at, pickup_weight_g, site FROM {pickups} "
        f"WHERE courier_id IN ({ids}) AND waybill_no {{keys}}",
        waybills, ["courier_id", "waybill_no", "picked_up_at", "pickup_weight_g", "site"])
    for frame, moment, weight in ((b, "outbound_at", "packed_weight_g"), (k, "picked_up_at", "pickup_weight_g")):
        frame["courier_code"] = frame["courier_id"].map(couriers).fillna("").astype(str)
        frame[moment] = db_to_local_naive(frame[moment]) if len(frame) else pd.Series([], dtype="datetime64[ns]")
        frame[weight] = pd.array(frame[weight], dtype="Int64")
    if len(b):
        b["quantity"] = b["quantity"].astype("int64")
    return b.drop(columns=["courier_id"]), k.drop(columns=["courier_id"])


def _candidates(keys: set[tuple[str, str]], couriers: dict[int, str], tolerance: dict[str, int],
                cut) -> tuple[list[tuple[str, str]], dict | None]:
    """The pairs that can raise waybill_reused or pickup_weight_mismatch (a superset: on two outbounds, or scanned heavier
    than some outbound of it was packed, beyond the courier's tolerance), and the counts the engine's summary gives for
    every pair; every pair and no counts when an outbound spans two pairs (the engine counts it by one of its rows).

    A post of 1,000 scans finds a handful: the engine and the frames are then built for those alone, in milliseconds.
    """
    ids = {code: i for i, code in couriers.items()}
    pairs = sorted((c, w) for c, w in keys if c in ids)
    outbound, pickups = OutboundRecord._meta.db_table, PickupScan._meta.db_table
    # Per pair, by probes of the (courier, waybill) indexes; records after the cut (or without a time) are not the
    # engine's either. The cut is a FILTER, not a condition: as a condition the planner may read the time index instead,
    # every row up to now for every pair, when its statistics put most rows after now (a benchmark's future day).
    sql = (
        f"SELECT k.courier_id, k.waybill_no, b.nos, b.packed_g, p.weight_g, p.scans "
        f"FROM json_to_recordset(%s::json) AS k(courier_id bigint, waybill_no text) "
        f"CROSS JOIN LATERAL (SELECT array_agg(DISTINCT outbound_no) FILTER (WHERE outbound_at <= %s) AS nos, "
        f"MIN(packed_weight_g) FILTER (WHERE outbound_at <= %s) AS packed_g FROM {outbound} "
        f"WHERE courier_id = k.courier_id AND waybill_no = k.waybill_no) b "
        f"CROSS JOIN LATERAL (SELECT MAX(pickup_weight_g) FILTER (WHERE picked_up_at <= %s) AS weight_g, "
        f"COUNT(*) FILTER (WHERE picked_up_at <= %s) AS scans FROM {pickups} "
        f"WHERE courier_id = k.courier_id AND waybill_no = k.waybill_no) p "
        f"WHERE b.nos IS NOT NULL OR p.scans > 0"
    )
    with connection.cursor() as cursor:
        # One JSON text, not arrays: PostgreSQL parses ARRAY[…] of a thousand values slower than it runs the query.
        pairs_json = json.dumps([{"courier_id": ids[c], "waybill_no": w} for c, w in pairs], ensure_ascii=False)
        cursor.execute(sql, [pairs_json, cut, cut, cut, cut])
        rows = cursor.fetchall()
    owner: dict[str, tuple] = {}
    judged, scans, scanned = set(), 0, set()
    for courier_id, waybill, nos, packed, weight, n_scans in rows:
        code = couriers[int(courier_id)]
        scans += int(n_scans)
        for no in nos or ():
            if owner.setdefault(no, (courier_id, waybill)) != (courier_id, waybill):
                return sorted(keys), None
            if n_scans:
                scanned.add(no)
        heavy = weight is not None and packed is not None and weight - packed > int(tolerance.get(code, TOLERANCE_G))
        if len(nos or ()) > 1 or heavy:
            judged.add((code, waybill))
    return sorted(judged), {"outbounds": len(owner), "outbounds_picked_up": len(scanned), "pickups": scans}


def _earlier_rows(keys: set[tuple[str, str]], types: tuple[str, ...]) -> list[int]:
    """The current rows of these types for these (courier, waybill) pairs, from any earlier outbound run."""
    waybills = sorted({w for _, w in keys})
    # A waybill is in ref (waybill_reused, picked_up_not_outbound) or in ref2 (the types keyed by their order).
    if is_postgres():
        # One statement with the lists as arrays: the ORM's IN of thousands of placeholders costs more to build than
        # to run.
        with connection.cursor() as cursor:
            # The waybills as one JSON text (PostgreSQL parses ARRAY[…] of thousands of values slowly), made an array
            # once.
            cursor.execute(
                f"SELECT d.id, d.details->>'courier_code', d.details->>'waybill_no' FROM {Discrepancy._meta.db_table} d, "
                f"(SELECT ARRAY(SELECT json_array_elements_text(%s::json)) AS a) w "
                f"WHERE d.kind = %s AND d.is_current AND d.type = ANY(%s) AND (d.ref = ANY(w.a) OR d.ref2 = ANY(w.a))",
                [json.dumps(waybills, ensure_ascii=False), SPEC.code, list(types)])
            return sorted(i for i, courier, waybill in cursor.fetchall() if (courier or "", waybill or "") in keys)
    current = Discrepancy.objects.filter(kind=SPEC.code, is_current=True, type__in=types)
    found = {}
    for batch in (waybills[i:i + 5000] for i in range(0, len(waybills), 5000)):
        for field in ("ref", "ref2"):
            found.update(current.filter(**{f"{field}__in": batch}).values_list("id", "details"))
    return sorted(i for i, d in found.items()
                  if isinstance(d, dict) and (d.get("courier_code") or "", d.get("waybill_no") or "") in keys)


def outbound_waybills_check(*, keys, types: tuple[str, ...] = WAYBILL_TYPES, trigger: str = "arrival", user=None,
                            grace_hours: int | None = None) -> ReconRun | None:
    """Judge these (courier code, waybill) pairs for `types` as of now and save the findings as a small run; None when
    there was nothing to look at."""
    keys = {(str(c), str(w)) for c, w in keys if c and w}
    if not keys:
        return None
    t0 = time.perf_counter()
    now = timezone.now()
    couriers = dict(Courier.objects.values_list("id", "code"))
    tolerance, books = courier_terms({c for c, _ in keys}, timezone.localdate(now))
    grace = grace_hours_setting() if grace_hours is None else int(grace_hours)
    as_of = timezone.localtime(now).replace(tzinfo=None, microsecond=0)
    judged, counts = sorted(keys), None
    if set(types) <= set(WAYBILL_TYPES) and is_postgres():
        judged, counts = _candidates(keys, couriers, tolerance, now.replace(microsecond=0))
    outbounds, pickups = _waybill_frames(sorted({w for _, w in judged}), couriers, {c for c, _ in judged})
    result = check_waybills(outbounds=outbounds, pickups=pickups, waybills=judged, as_of=as_of, tolerance_g=tolerance,
                            rates=books, kinds=types, pickup_grace_hours=grace, texts=translated_reasons())
    if counts is not None:
        result.summary.update(counts)
    t1 = time.perf_counter()
    earlier = _earlier_rows(keys, types)
    disc = result.discrepancies
    days = _judged_days(disc) or [timezone.localdate(now)]
    with transaction.atomic():
        run = ReconRun.objects.create(
            kind=SPEC.code, counterparty=None, period_start=min(days), period_end=max(days), created_by=user,
            params={"as_of": as_of_param(now), "grace_hours": grace, "trigger": trigger, "waybills": len(keys),
                    "types": list(types)},
            status=ReconRun.Status.RUNNING, started_at=now, progress_total=len(run_services.PHASE_ORDER) - 1,
        )
    rows = outbound_rows(run, disc)
    run_results_save(run=run, rows=rows, summary=run_summary(spec=SPEC, engine_summary=result.summary),
                     timings={"load": 0.0, "match": t1 - t0}, started=t0, matched=t1, carry_ids=earlier)
    run.refresh_from_db()
    return run


def _judged_days(disc: pd.DataFrame) -> list[date]:
    if disc.empty:
        return []
    from .runs_outbound import judged_on

    days = pd.to_datetime(judged_on(disc), errors="coerce").dropna()
    return sorted({d.date() for d in days})


def outbound_grace_sweep(*, user=None, now: datetime | None = None) -> ReconRun | None:
    """The waybills whose pickup grace ended lately (an outbound not scanned, a scan no outbound has), judged now:
    what beat runs every few minutes, so that such a parcel is in the queue the hour its grace ends."""
    now = now or timezone.now()
    grace = timedelta(hours=grace_hours_setting())
    lo, hi = now - grace - SWEEP_LOOKBACK, now - grace
    couriers = dict(Courier.objects.values_list("id", "code"))
    keys = {(couriers[c], w) for c, w in OutboundRecord.objects.filter(outbound_at__gt=lo, outbound_at__lte=hi)
            .values_list("courier_id", "waybill_no").distinct()}
    keys |= {(couriers[c], w) for c, w in PickupScan.objects.filter(picked_up_at__gt=lo, picked_up_at__lte=hi)
             .values_list("courier_id", "waybill_no")}
    return outbound_waybills_check(keys=keys, types=GRACE_TYPES, trigger="sweep", user=user)


def outbound_arrival_check(*, waybills, user=None) -> dict:
    """The check of what one post wrote ((courier id, waybill) pairs): its run and what it has in the queue."""
    codes = dict(Courier.objects.values_list("id", "code"))
    keys = {(codes[c], w) for c, w in waybills if c in codes}
    run = outbound_waybills_check(keys=keys, user=user) if keys else None
    if run is not None:
        alerts_check(event=RECORDS_ARRIVED, run=run)
    found = int(run.summary.get("discrepancies", 0)) if run is not None and run.summary else 0
    return {"checked": len(keys), "check_run": run.id if run is not None else None, "found": found}
