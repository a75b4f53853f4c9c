"""Writes for couriers: rate-card import, bill submission, and the courier-fee reconciliation a worker runs."""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recon.runs import services as run_services
from recon.runs.links import discrepancy_links_refresh
from recon.runs.save import json_numbers, json_texts
from recon.core.db import (
    bulk_load, db_to_local_naive, fen_from_db, fetch_by_keys, fetch_frame, int_or_null, is_postgres, local_naive_to_db, money,
    now_db, yuan_of,
)
from recon.engine import DEFAULT_REASONS, reconcile_courier_bill
from recon.engine.text import yuan
from recon.core.errors import UserFacingError
from recon.ingest import IngestError, read_courier_bill, read_rate_card
from recon.audit.services import audit_record, current_ip
from recon.core.models import Discrepancy, ReconRun
from recon.periods.services import period_check_open, period_get_or_create, periods_lock
from recon.review.services import discrepancies_carry_over
from recon.sources.selectors import column_mapping_remembered, preferred, source_file_duplicate
from recon.sources.services import (
    SourceFileTerms, column_mapping_remember, rejected_rows_save, source_file_delete, source_file_restore,
)
from recon.ingest.specs import BILL_SPEC
from recon.sources.preview import columns_uncertain, columns_uncertain_error
from recon.sources.uploads import HeadPreview, ingest_error, keep_staged, preview_head, stage_upload

from .bill_lines import bill_lines_split
from .kind import SPEC
from .models import Courier, CourierBill, CourierBillLine, RateCard, RateCardBand, RateCardZone
from .selectors import bill_affected_runs, bills_current_in_period, period_bounds, rate_card_specs

log = logging.getLogger(__name__)

BILL_FIELDS = ["waybill_no", "billed_fee", "billed_weight", "province", "billed_at", "business_type"]
# What a second bill of the same courier and period is: it replaces the earlier one, or it is a supplementary bill.
BILL_MODES = ("replace", "supplement")
# A bill's delete and restore are the core's soft delete, with the words they always had.
BILL_TERMS = SourceFileTerms(
    audit_type="courier_bill", deleted_code="bill_deleted", already_deleted=gettext_lazy("This bill is already deleted."),
    not_deleted_code="bill_not_deleted", not_deleted=gettext_lazy("This bill is not deleted."),
)


# --------------------------------------------------------------------------- rate cards

def rate_card_import(
    *,
    file,
    filename: str | None = None,
    courier: Courier,
    effective_from: date,
    effective_to: date | None = None,
    volumetric_divisor: int | None = 8000,
    weight_tolerance_g: int = 0,
    fee_tolerance_fen: int = 0,
    name: str = "",
    user=None,
) -> RateCard:
    """Create a rate card from a spreadsheet of one row per province (bands as columns)."""
    if effective_to is not None and effective_to < effective_from:
        raise UserFacingError("invalid_dates", _("The card ends before it starts."))
    if volumetric_divisor is not None and volumetric_divisor <= 0:
        raise UserFacingError("invalid_divisor", _("The volumetric divisor must be a positive number."))
    staged = stage_upload(file=file, filename=filename)
    try:
        parsed = read_rate_card(staged.path, staged.filename)
    except IngestError as exc:
        raise ingest_error(exc) from exc
    finally:
        staged.discard()
    if len(parsed.rejected):
        first = parsed.rejected.iloc[0]
        raise UserFacingError(
            "rate_card_rows_invalid",
            _("%(n)d row(s) of the rate card cannot be read; first: row %(row)s, %(reason)s")
            % {"n": len(parsed.rejected), "row": first["row_no"], "reason": first["reason"]},
            {"rejected": parsed.rejected.astype(str).to_dict("records")},
        )
    bands = parsed.frame
    if bands.empty:
        raise UserFacingError("no_data", _("The rate card has no prices."))
    with transaction.atomic():
        card = RateCard.objects.create(
            courier=courier, name=name or f"{courier.name} {effective_from:%Y-%m}", effective_from=effective_from,
            effective_to=effective_to, volumetric_divisor=volumetric_divisor, weight_tolerance_g=weight_tolerance_g,
            fee_tolerance_fen=fee_tolerance_fen, source_filename=staged.filename, created_by=user,
        )
        dedup = bands.drop_duplicates(["province", "upper_g"], keep="last")
        RateCardBand.objects.bulk_create(
            RateCardBand(rate_card=card, province=r.province, upper_g=int(r.upper_g), price=yuan_of(r.price_fen))
            for r in dedup.itertuples()
        )
        zones = bands.drop_duplicates("province", keep="last")
        RateCardZone.objects.bulk_create(
            RateCardZone(
                rate_card=card, province=r.province, step_g=int(r.step_g) if pd.notna(r.step_g) else 1000,
                step_price=None if pd.isna(r.step_price_fen) else yuan_of(r.step_price_fen),
            )
            for r in zones.itertuples()
        )
        audit_record(user=user, object_type="rate_card", object_id=card.id, action="create", changes={
            "file": [None, staged.filename], "effective_from": [None, effective_from.isoformat()],
            "effective_to": [None, effective_to.isoformat() if effective_to else None], "provinces": [None, int(zones.shape[0])],
            "bands": [None, int(dedup.shape[0])], "volumetric_divisor": [None, volumetric_divisor],
            "weight_tolerance_g": [None, weight_tolerance_g], "fee_tolerance_fen": [None, fee_tolerance_fen],
        })
    return card


# --------------------------------------------------------------------------- bill submission

@dataclass
class BillSubmission:
    run: ReconRun | None
    bill: CourierBill | None = None
    duplicate: bool = False
    # What the upload went ahead despite: [{"code": "period_mismatch", "message": …, "chosen": …, …}].
    warnings: list[dict] = field(default_factory=list)


def bill_columns_uncertain(preview: HeadPreview | None, overrides: dict) -> list[str]:
    """The fields whose column was guessed and not named by the user or remembered for the courier, in spec order."""
    return columns_uncertain(preview, BILL_SPEC, overrides)


def _columns_uncertain_error(preview: HeadPreview, uncertain: list[str]) -> UserFacingError:
    from .forms import BILL_FIELD_LABELS

    return columns_uncertain_error(preview, uncertain, BILL_FIELD_LABELS)


def _check_head(*, staged, period: str, overrides: dict, confirm_period: bool, confirm_columns: bool) -> tuple[dict, list[dict]]:
    """Read the file's head: refuse an unreadable file, a period its dates contradict or guessed columns, unless confirmed.

    Returns the guessed headers the user confirmed (to remember with the mapping) and the warnings to pass on.
    """
    from .suggest import period_mismatch, period_mismatch_message

    preview = preview_head(staged, BILL_SPEC, overrides)
    warnings = []
    mismatch = period_mismatch(preview, period)
    if mismatch is not None:
        mismatch["message"] = period_mismatch_message(mismatch)
        if not confirm_period:
            raise UserFacingError("period_mismatch", mismatch["message"], mismatch)
        warnings.append({"code": "period_mismatch", **mismatch})
    uncertain = bill_columns_uncertain(preview, overrides)
    if uncertain and not confirm_columns:
        raise _columns_uncertain_error(preview, uncertain)
    # A guess the user accepted is remembered like a typed mapping: the courier's next file of this layout is certain.
    confirmed = {name: preview.cells[preview.match.columns[name]] for name in uncertain}
    return confirmed, warnings


def _bill_names(bills) -> str:
    return ", ".join(f"#{b.id} ({b.original_filename})" for b in bills)


def _second_bill_target(*, courier: Courier, period_start: date, period_end: date, mode: str, replaces: int | None) -> int | None:
    """Refuse a second bill of a period without a choice; for a replacement, the bill it replaces (None: nothing to)."""
    current = list(bills_current_in_period(courier=courier, period_start=period_start, period_end=period_end))
    if not current:
        return None
    first = current[0]
    if not mode:
        raise UserFacingError(
            "bill_exists",
            _("%(courier)s already has bill #%(id)s (%(file)s) for %(period)s. Upload this file as a replacement of it or as "
              "a supplementary bill (补充账单) of the same period.")
            % {"courier": courier.code, "id": first.id, "file": first.original_filename, "period": first.period_label},
            {"bill_id": first.id, "bill_ids": [b.id for b in current], "modes": list(BILL_MODES)}, http_status=409,
        )
    if mode != "replace":
        return None
    ids = [b.id for b in current]
    if replaces is not None:
        if replaces not in ids:
            raise UserFacingError(
                "replace_not_current",
                _("Bill #%(id)s is not a current bill of this courier and period; current bills: %(bills)s.")
                % {"id": replaces, "bills": _bill_names(current)}, {"bill_ids": ids}, http_status=409,
            )
        return replaces
    if len(current) > 1:
        raise UserFacingError(
            "replace_which",
            _("This period has several bills (%(bills)s); say which one this file replaces.") % {"bills": _bill_names(current)},
            {"bill_ids": ids}, http_status=409,
        )
    return first.id


def courier_bill_submit(
    *, file, filename: str | None = None, courier: Courier, period: str, user=None, mapping: dict | None = None, enqueue: bool = True,
    mode: str = "", replaces: int | None = None, confirm_period: bool = True, confirm_columns: bool = True,
) -> BillSubmission:
    """Validate and store an uploaded bill, then queue its reconciliation; the same file twice points to the first,
    and a second bill of a period needs a mode (replace or supplement).

    A period most of the file's pickup dates fall outside, and columns the header matcher only guessed, are refused
    unless confirmed (confirm_period / confirm_columns False); confirmed, the period mismatch comes back as a warning.
    """
    mode = (mode or "").strip()
    if mode not in ("", *BILL_MODES):
        raise UserFacingError("invalid_mode", _("Unknown mode “%(mode)s”: use replace or supplement.") % {"mode": mode})
    if replaces is not None and mode != "replace":
        raise UserFacingError("invalid_mode", _("Name the bill to replace only with the mode replace."))
    period_start, period_end = period_bounds(period)
    period_check_open(period_get_or_create(counterparty=courier.counterparty, start=period_start, end=period_end))
    mapping = {k: str(v).strip() for k, v in (mapping or {}).items() if k in BILL_FIELDS and str(v or "").strip()}
    staged = stage_upload(file=file, filename=filename)
    duplicate = source_file_duplicate(file_kind=CourierBill.FILE_KIND, sha256=staged.sha256)
    existing = CourierBill.objects.get(pk=duplicate.pk) if duplicate is not None else None
    earlier = ReconRun.objects.filter(input_sha256=staged.sha256, status__in=[ReconRun.Status.PENDING, ReconRun.Status.RUNNING])
    if existing is not None or earlier.exists():
        # Never point an upload at a run whose worker died: fail such runs first (the duplicate then offers a rerun).
        run_services.run_recover_stale()
    if existing is not None:
        staged.discard()
        return BillSubmission(run=existing.runs.order_by("-id").first(), bill=existing, duplicate=True)
    in_flight = earlier.order_by("-id").first()
    if in_flight is not None:
        staged.discard()
        return BillSubmission(run=in_flight, duplicate=True)
    # Earlier uploads of this file that all failed made no bill: this upload is simply a new submission.
    try:
        replaced_id = _second_bill_target(courier=courier, period_start=period_start, period_end=period_end, mode=mode, replaces=replaces)
    except UserFacingError:
        staged.discard()
        raise
    remembered = column_mapping_remembered(counterparty_id=courier.counterparty_id, file_kind=CourierBill.FILE_KIND)
    try:
        confirmed, warnings = _check_head(staged=staged, period=period, overrides={**preferred(remembered), **mapping},
                                          confirm_period=confirm_period, confirm_columns=confirm_columns)
    except UserFacingError:
        staged.discard()
        raise
    mapping = {**mapping, **confirmed}
    stored = keep_staged(staged, f"uploads/{timezone.now():%Y/%m}")
    with transaction.atomic():
        run = ReconRun.objects.create(
            kind=SPEC.code, counterparty_id=courier.counterparty_id, period_start=period_start, period_end=period_end,
            input_file=stored, input_filename=staged.filename, input_sha256=staged.sha256,
            params={"mapping": mapping, "format": staged.format, "size_bytes": staged.size, "ip": current_ip.get(),
                    "mode": mode, "replaces": replaced_id},
            created_by=user, progress_total=len(run_services.PHASE_ORDER) - 1,
        )
        if enqueue:
            run_services.run_enqueue(run=run)
    return BillSubmission(run=run, warnings=warnings)


def courier_bill_rerun(*, bill: CourierBill, user=None, enqueue: bool = True, rerun_of: ReconRun | None = None,
                       params: dict | None = None) -> ReconRun:
    """Reconcile an imported bill again (after a rate-card or shipment fix); the work done on its discrepancies carries over."""
    bill = CourierBill.objects.select_related("courier", "period__counterparty").get(pk=bill.pk)
    if bill.deleted_at is not None:
        raise UserFacingError("bill_deleted", _("This bill was deleted; restore it before reconciling it again."), http_status=409)
    period_check_open(bill.period)
    with transaction.atomic():
        run = ReconRun.objects.create(
            kind=SPEC.code, counterparty_id=bill.courier.counterparty_id, period_start=bill.period_start, period_end=bill.period_end,
            courier_bill=bill, input_filename=bill.original_filename, created_by=user,
            progress_total=len(run_services.PHASE_ORDER) - 1, rerun_of=rerun_of, params=params or {},
        )
        audit_record(user=user, object_type="courier_bill", object_id=bill.id, action="rerun", changes={"run": [None, run.id]})
        if enqueue:
            run_services.run_enqueue(run=run)
    return run


def courier_fee_run_rerun(*, run: ReconRun, user=None, enqueue: bool = True) -> ReconRun:
    """Run a failed courier-fee run again: its bill if it made one, else the upload it stored."""
    if run.courier_bill_id:
        return courier_bill_rerun(bill=run.courier_bill, user=user, enqueue=enqueue, rerun_of=run)
    if not run.input_file:
        raise UserFacingError("nothing_to_rerun", _("This run has no stored file to run again."), http_status=409)
    twin = source_file_duplicate(file_kind=CourierBill.FILE_KIND, sha256=run.input_sha256)
    if twin is not None:
        raise UserFacingError("duplicate_file", _("This file was already imported as bill #%(id)s.") % {"id": twin.id},
                              {"bill_id": twin.id}, http_status=409)
    in_flight = ReconRun.objects.filter(
        input_sha256=run.input_sha256, status__in=[ReconRun.Status.PENDING, ReconRun.Status.RUNNING]).first()
    if in_flight is not None:
        raise UserFacingError("run_in_flight", _("Run #%(id)s of this file is already queued or running.") % {"id": in_flight.id},
                              {"run_id": in_flight.id}, http_status=409)
    period_check_open(period_get_or_create(counterparty=run.counterparty, start=run.period_start, end=run.period_end))
    with transaction.atomic():
        again = ReconRun.objects.create(
            kind=run.kind, counterparty_id=run.counterparty_id, period_start=run.period_start, period_end=run.period_end,
            input_file=run.input_file.name, input_filename=run.input_filename, input_sha256=run.input_sha256,
            params={**run.params, "ip": current_ip.get()}, created_by=user or run.created_by, rerun_of=run,
            progress_total=len(run_services.PHASE_ORDER) - 1,
        )
        if enqueue:
            run_services.run_enqueue(run=again)
    return again


def courier_bill_delete(*, bill: CourierBill, user) -> CourierBill:
    """Delete a bill softly: it and its discrepancies leave the lists and the queue; a manager can restore it."""
    return source_file_delete(source=bill, user=user, terms=BILL_TERMS)


def courier_bill_restore(*, bill: CourierBill, user) -> CourierBill:
    """Undo a deletion (managers): the bill's newest run is back in the queue with the work done on it."""
    if not user.has_perm("couriers.restore_bill"):
        raise UserFacingError("forbidden", _("Only a manager can restore a deleted bill."), http_status=403)
    with transaction.atomic():
        latest = bill.runs.filter(status=ReconRun.Status.SUCCEEDED).order_by("-id").values_list("id", flat=True).first()
        return source_file_restore(source=bill, user=user, current_run_id=latest, terms=BILL_TERMS)


def courier_bill_rerun_affected(*, bill: CourierBill, user=None, enqueue: bool = True) -> list[ReconRun]:
    """Reconcile again the other bills whose newest run counted this bill in its former state (before its deletion
    or restore)."""
    return [courier_bill_rerun(bill=run.courier_bill, user=user, enqueue=enqueue) for run in bill_affected_runs(bill=bill)]


def courier_fee_reconcile(*, counterparty_code: str, start: date, end: date, as_of: datetime | None, user=None,
                          enqueue: bool = True) -> list[ReconRun]:
    """Reconcile again every current bill of a courier (or of every courier) whose period lies within [start, end]."""
    couriers = Courier.objects.order_by("code")
    if counterparty_code:
        couriers = couriers.filter(counterparty__code=counterparty_code)
        if not couriers.exists():
            raise UserFacingError("not_a_courier", _("“%(code)s” is not a courier; courier fees are reconciled per courier.")
                                  % {"code": counterparty_code})
    bills = (CourierBill.objects.filter(courier__in=couriers, deleted_at__isnull=True, period_start__gte=start, period_end__lte=end)
             .order_by("courier__code", "period_start", "id"))
    # Matching does not read as_of yet; it is kept on the run so that the run says what was asked of it.
    params = {"as_of": as_of.isoformat()} if as_of else {}
    return [courier_bill_rerun(bill=bill, user=user, enqueue=enqueue, params=params) for bill in bills]


# --------------------------------------------------------------------------- the reconciliation

def translated_reasons() -> dict[str, str]:
    """The engine's reason templates in the product's language (stored reasons are read by the default team)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {key: _(text) for key, text in DEFAULT_REASONS.items()}


def _load_shipments(waybills: list[str], courier: Courier, period_start: date, period_end: date) -> pd.DataFrame:
    cols = ["shipment_id", "waybill_no", "order_no", "courier_code", "status", "shipped_at", "weight_g", "length_mm", "width_mm", "height_mm", "province"]
    select = (
        "SELECT s.id, s.waybill_no, s.order_no, c.code, s.status, s.shipped_at, s.weight_g, s.length_mm, s.width_mm, "
        "s.height_mm, s.province FROM orders_shipment s JOIN couriers_courier c ON c.id = s.courier_id "
    )
    by_waybill = fetch_by_keys(select + "WHERE s.waybill_no {keys}", waybills, cols)
    tz = timezone.get_default_timezone()
    start = datetime.combine(period_start, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(period_end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    in_period = fetch_frame(
        select + "WHERE s.courier_id = %s AND s.shipped_at >= %s AND s.shipped_at < %s AND s.status = 'shipped'",
        [courier.id, connection.ops.adapt_datetimefield_value(start), connection.ops.adapt_datetimefield_value(end)], cols,
    )
    parts = [f for f in (by_waybill, in_period) if len(f)]
    frame = pd.concat(parts, ignore_index=True).drop_duplicates("waybill_no") if parts else by_waybill
    frame["shipped_at"] = db_to_local_naive(frame["shipped_at"]) if len(frame) else pd.Series([], dtype="datetime64[ns]")
    return frame.reset_index(drop=True)


def _load_previous(waybills: list[str], courier: Courier, bill_id: int | None, replaced_id: int | None) -> pd.DataFrame:
    # A deleted bill charges nothing, and neither does the bill this one replaces.
    sql = (
        "SELECT l.waybill_no, l.bill_id FROM couriers_courierbillline l JOIN couriers_courierbill b ON b.id = l.bill_id "
        "JOIN recon_sourcefile f ON f.id = b.id "
        "WHERE b.courier_id = %s AND b.id < %s AND b.id <> %s AND f.deleted_at IS NULL AND l.waybill_no {keys} ORDER BY l.bill_id"
    )
    return fetch_by_keys(sql, waybills, ["waybill_no", "bill_id"], [courier.id, bill_id or 2**62, replaced_id or 0])


def _billed_elsewhere(waybills: list[str], *, courier: Courier, run: ReconRun, exclude_ids: list[int]) -> set[str]:
    """Which of these waybills another current bill of the same courier and period bills."""
    sql = (
        "SELECT DISTINCT l.waybill_no FROM couriers_courierbillline l JOIN couriers_courierbill b ON b.id = l.bill_id "
        "JOIN recon_sourcefile f ON f.id = b.id "
        "WHERE b.courier_id = %s AND b.period_start = %s AND b.period_end = %s AND f.deleted_at IS NULL "
        "AND b.id <> %s AND b.id <> %s AND l.waybill_no {keys}"
    )
    ids = [*exclude_ids, 0, 0][:2]
    found = fetch_by_keys(sql, waybills, ["waybill_no"], [courier.id, run.period_start, run.period_end, *ids])
    return set(found["waybill_no"].astype(str))


def _not_billed_elsewhere(*, courier: Courier, run: ReconRun, exclude_ids: list[int]) -> set[str]:
    """Waybills another current bill of the same courier and period already lists as not billed."""
    # One shipment is one item to work: the bill that found it first keeps it (with any work done on it), and when
    # that bill is deleted, bill_affected_runs names this bill's run to run again.
    others = bills_current_in_period(courier=courier, period_start=run.period_start, period_end=run.period_end,
                                     exclude_ids=exclude_ids)
    return set(Discrepancy.objects.filter(source_id__in=others.values("id"), is_current=True, type="not_billed")
               .values_list("ref", flat=True))


def _content_sha256(lines: pd.DataFrame) -> str:
    """What a bill charges, whatever its file's format: its sorted distinct "waybill<TAB>fee in fen" pairs, hashed."""
    # A set and a sort of short strings in plain Python: faster here than pandas' object sorts.
    fees = np.asarray(lines["billed_fee_fen"], dtype=np.int64).tolist()
    pairs = set(map("{}\t{}".format, lines["waybill_no"].astype(str).tolist(), fees))
    return hashlib.sha256("\n".join(sorted(pairs)).encode("utf-8")).hexdigest()


class _Refused(Exception):
    """A new bill that may not be saved as it stands (same content as a current bill, or a second bill without a mode)."""

    def __init__(self, code: str, message: str, details: dict):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


def _new_bill_check(*, run: ReconRun, content: str) -> int | None:
    """The worker's half of the second-bill rule (the request cannot know a file's content): refuse a copy of a current
    bill in every mode, and a second bill without a mode; returns the bill a replacement replaces."""
    twin = CourierBill.objects.filter(courier__counterparty_id=run.counterparty_id, content_sha256=content, deleted_at__isnull=True).order_by("id").first()
    if twin is not None:
        raise _Refused(
            "same_content",
            _("This file has the same content (the same waybills and fees) as bill #%(id)s (%(file)s), which is current; "
              "nothing was imported.") % {"id": twin.id, "file": twin.original_filename},
            {"bill_id": twin.id},
        )
    params = run.params or {}
    wanted = params.get("replaces")
    try:
        return _second_bill_target(courier=_courier_of(run), period_start=run.period_start, period_end=run.period_end,
                                   mode=params.get("mode") or "", replaces=wanted)
    except UserFacingError as exc:
        if exc.code == "replace_not_current":
            # The bill chosen at upload was deleted or replaced while this run waited.
            exc.message = _("Bill #%(id)s, which this file was to replace, was deleted or replaced meanwhile; "
                            "upload the file again.") % {"id": wanted}
        raise _Refused(exc.code, exc.message, exc.details) from exc



def _lines_from_db(bill: CourierBill) -> pd.DataFrame:
    frame = fetch_frame(
        "SELECT id, line_no, waybill_no, billed_fee, billed_weight_g, billed_province, billed_at FROM couriers_courierbillline WHERE bill_id = %s ORDER BY line_no",
        [bill.id], ["id", "line_no", "waybill_no", "billed_fee", "billed_weight_g", "billed_province", "billed_at"],
    )
    frame["billed_fee_fen"] = fen_from_db(frame["billed_fee"]) if len(frame) else pd.Series([], dtype="int64")
    frame["billed_at"] = db_to_local_naive(frame["billed_at"]) if len(frame) else pd.Series([], dtype="datetime64[ns]")
    return frame


def _summary(lines: pd.DataFrame, line_results: pd.DataFrame, disc: pd.DataFrame, rejected_count: int, info: dict) -> dict:
    fee = np.asarray(lines["billed_fee_fen"], dtype=np.int64)
    expected = pd.array(line_results["expected_fee_fen"], dtype="Int64")
    has_expected = ~np.asarray(pd.isna(expected))
    exp = np.asarray(expected.fillna(0), dtype=np.int64)
    by_type = {}
    stakes = disc.groupby("type")["amount_at_stake_fen"].agg(["count", "sum"]) if len(disc) else pd.DataFrame(columns=["count", "sum"])
    claim = 0
    for spec in SPEC.types:
        t = spec.code
        count = int(stakes.loc[t, "count"]) if t in stakes.index else 0
        amount = int(stakes.loc[t, "sum"]) if t in stakes.index else 0
        by_type[t] = {"count": count, "amount_at_stake": yuan(pd.Series([amount])).iloc[0]}
        if spec.claim:
            claim += amount
    results = line_results["result"].value_counts()
    totals_rows = info.get("totals_rows") or []
    # A sheet may carry 小计 rows above its 合计: its last totals row is the sheet's total.
    last_per_sheet = {t.get("sheet", ""): t for t in totals_rows if t.get("fee_fen") is not None}
    file_total = sum(int(t["fee_fen"]) for t in last_per_sheet.values()) if last_per_sheet else None
    fmt = lambda v: yuan(pd.Series([v])).iloc[0]  # noqa: E731
    return {
        "lines": int(len(lines)),
        "rejected": int(rejected_count),
        "lines_ok": int(results.get("ok", 0)),
        "lines_with_discrepancy": int(results.get("discrepancy", 0)),
        "lines_unchecked": int(results.get("unchecked", 0)),
        "billed_total": fmt(int(fee.sum())),
        "expected_total": fmt(int(exp[has_expected].sum())),
        "unchecked_billed_total": fmt(int(fee[~has_expected].sum())),
        "amount_at_stake": fmt(claim),
        "discrepancies": int(len(disc)),
        "by_type": by_type,
        "file_totals_row": None if file_total is None else fmt(file_total),
        "file_totals_match": None if file_total is None else file_total == int(fee.sum()) + int(info.get("rejected_fee_fen", 0) or 0)
        + int(info.get("handed_over_fee_fen", 0) or 0),
        # Lines another kind took (return freight → returns), by kind: not counted in "lines" above.
        "handed_over": {str(k): int(v) for k, v in (info.get("handed_over") or {}).items()},
    }


class _PeriodClosedMeanwhile(Exception):
    """The run's period was closed while it worked: its results must not be saved."""


class _RunEndedMeanwhile(Exception):
    """The stale sweep failed the run while it worked (its heartbeat stopped): its results must not be saved."""


def _courier_of(run: ReconRun) -> Courier:
    return Courier.objects.select_related("counterparty").get(counterparty_id=run.counterparty_id)


def courier_fee_run_execute(*, run: ReconRun) -> None:
    """Read the upload (or the stored bill), match it, and save bill, lines and discrepancies in one transaction."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    courier = _courier_of(run)
    bill = run.courier_bill
    rejected = pd.DataFrame(columns=["sheet", "row_no", "reason_code", "reason", "raw"])
    info: dict = {}
    if bill is None:
        path = Path(settings.MEDIA_ROOT) / run.input_file.name
        remembered = column_mapping_remembered(counterparty_id=courier.counterparty_id, file_kind=CourierBill.FILE_KIND)
        overrides = {**preferred(remembered), **(run.params.get("mapping") or {})}
        # The bill records the headers in force (remembered, then named at upload) as text, as the user gave them.
        mapping_used = {**remembered, **(run.params.get("mapping") or {})}
        try:
            parsed = read_courier_bill(path, run.input_filename, overrides=overrides or None)
        except IngestError as exc:
            run_services.run_fail(run_id=run.id, code=exc.code, message=str(exc.message), details=exc.details)
            return
        lines, rejected, info = parsed.frame.reset_index(drop=True), parsed.rejected, parsed.info
        timings["read"] = time.perf_counter() - t0
        run_services.run_progress(run_id=run.id, phase="validating")
        if lines.empty:
            detail = {"rejected": int(len(rejected))}
            message = _("The file has no bill lines that can be read.")
            if len(rejected):
                first = rejected.iloc[0]
                message = _("None of the %(n)d rows can be read; first: sheet %(sheet)s row %(row)s: %(reason)s") % {
                    "n": len(rejected), "sheet": first["sheet"], "row": first["row_no"], "reason": first["reason"]}
                detail["rejected_rows"] = rejected.head(50).astype(str).to_dict("records")
            run_services.run_fail(run_id=run.id, code="no_data", message=message, details=detail)
            return
        content = _content_sha256(lines)
        # Lines of another business (return freight) leave before matching: courier fees neither checks nor stores them.
        lines, handed = bill_lines_split(lines)
        info["handed_over"] = {taker.code: len(taken) for taker, taken in handed}
        info["handed_over_fee_fen"] = sum(int(taken["billed_fee_fen"].sum()) for _taker, taken in handed)
        try:
            replaced_id = _new_bill_check(run=run, content=content)
        except _Refused as refused:
            run_services.run_fail(run_id=run.id, code=refused.code, message=refused.message, details=refused.details)
            return
    else:
        replaced_id, handed = None, []
        lines = _lines_from_db(bill)
        info = dict(bill.read_info or {})
        rejected_count_existing = bill.rejected_count
    t1 = time.perf_counter()
    timings["validate"] = t1 - t0 - timings.get("read", 0.0)

    run_services.run_progress(run_id=run.id, phase="loading")
    waybills = lines["waybill_no"].astype(str).unique().tolist()
    shipments = _load_shipments(waybills, courier, run.period_start, run.period_end)
    previous = _load_previous(waybills, courier, bill.id if bill else None, replaced_id)
    cards = rate_card_specs(courier=courier)
    t2 = time.perf_counter()
    timings["load"] = t2 - t1

    run_services.run_progress(run_id=run.id, phase="matching")
    names = dict(Courier.objects.values_list("code", "name"))
    result = reconcile_courier_bill(
        lines=lines, shipments=shipments, courier_code=courier.code, cards=cards, previous=previous,
        period_start=run.period_start, period_end=run.period_end, reasons=translated_reasons(), courier_names=names,
    )
    disc = result.discrepancies
    not_billed = disc["type"] == "not_billed"
    if not_billed.any():
        # Not billed means by no current bill of the period, not just by this one (a supplementary bill bills the rest).
        others = [bill.id if bill else 0, replaced_id or 0]
        elsewhere = _billed_elsewhere(disc.loc[not_billed, "waybill_no"].astype(str).tolist(), courier=courier, run=run,
                                      exclude_ids=others)
        elsewhere |= _not_billed_elsewhere(courier=courier, run=run, exclude_ids=others)
        if elsewhere:
            result.discrepancies = disc[~(not_billed & disc["waybill_no"].astype(str).isin(elsewhere))].reset_index(drop=True)
    t3 = time.perf_counter()
    timings["match"] = t3 - t2

    run_services.run_progress(run_id=run.id, phase="saving")
    rejected_count = len(rejected) if bill is None else rejected_count_existing
    summary = _summary(lines, result.lines, result.discrepancies, rejected_count, info)
    period = bill.period if bill is not None and bill.period_id else period_get_or_create(
        counterparty=courier.counterparty, start=run.period_start, end=run.period_end)
    if period.is_closed:
        # Closed while the run waited in the queue: nothing may change in it now.
        run_services.run_fail(run_id=run.id, code="period_closed", message=_(
            "Period %(period)s was closed before this run finished; a manager can reopen it.") % {"period": period.label})
        return
    try:
        with transaction.atomic():
            # Under the period's lock (which closing takes too): a close that landed while this run worked wins.
            if periods_lock([period.id]):
                raise _PeriodClosedMeanwhile
            if bill is None:
                # Again under the period's lock: another bill of the period may have been saved while this one ran.
                if _new_bill_check(run=run, content=content) != replaced_id:
                    raise _Refused("bill_changed", _("The bills of this period changed while this run worked; run it again."), {})
                mode = (run.params or {}).get("mode") or ""
                is_supplement = mode == "supplement" and bills_current_in_period(
                    courier=courier, period_start=run.period_start, period_end=run.period_end).exists()
                bill = CourierBill.objects.create(
                    courier=courier, period_start=run.period_start, period_end=run.period_end, file=run.input_file.name,
                    original_filename=run.input_filename, sha256=run.input_sha256, size_bytes=run.params.get("size_bytes") or 0,
                    line_count=len(lines), rejected_count=len(rejected), billed_total=Decimal(summary["billed_total"]),
                    read_info=info, uploaded_by=run.created_by, period=period, content_sha256=content, mapping=mapping_used,
                    counterparty_id=courier.counterparty_id,
                    is_supplement=is_supplement, replaces_id=replaced_id,
                )
                created = {"file": [None, run.input_filename], "lines": [None, len(lines)], "billed_total": [None, summary["billed_total"]]}
                if replaced_id:
                    created["replaces"] = [None, replaced_id]
                if is_supplement:
                    created["is_supplement"] = [None, True]
                audit_record(user=run.created_by, object_type="courier_bill", object_id=bill.id, action="create", changes=created)
                if len(lines):  # a bill of return freight only has no line of its own
                    _insert_lines(bill, lines, result.lines)
                for taker, taken in handed:
                    taker.save(bill=bill, courier=courier, lines=taken)
                rejected_rows_save(source=bill, rejected=rejected)
                column_mapping_remember(counterparty_id=courier.counterparty_id, file_kind=CourierBill.FILE_KIND,
                                        mapping=run.params.get("mapping") or {}, user=run.created_by)
            else:
                _update_line_results(lines, result.lines)
            line_ids = dict(CourierBillLine.objects.filter(bill=bill).values_list("line_no", "id"))
            _insert_discrepancies(run, courier, result.discrepancies, line_ids, bill=bill, period=period, lines=lines)
            discrepancies_carry_over(source_id=bill.id, run_id=run.id, user=run.created_by)
            if replaced_id:
                _replace_bill(replaced_id=replaced_id, bill=bill, run=run)
            _retire_not_billed_elsewhere(bill=bill, courier=courier, run=run)
            # What another kind found first about the same parcel (its KindSpec.links) links to this run's rows.
            discrepancy_links_refresh(run_id=run.id, kind=run.kind)
            if settings.RECON_TEST_HOLD_SAVE_SECONDS:
                log.warning("test hook: run %s holds its save transaction open %s s", run.id, settings.RECON_TEST_HOLD_SAVE_SECONDS)
                time.sleep(settings.RECON_TEST_HOLD_SAVE_SECONDS)
            timings["persist"] = time.perf_counter() - t3
            timings["total"] = time.perf_counter() - t0
            # Conditional: a run the stale sweep failed meanwhile (it was re-run, maybe) must not save too.
            if not ReconRun.objects.filter(id=run.id, status=ReconRun.Status.RUNNING).update(
                courier_bill=bill, status=ReconRun.Status.SUCCEEDED, phase=ReconRun.Phase.DONE,
                progress_current=len(run_services.PHASE_ORDER) - 1, summary=summary, finished_at=timezone.now(),
                timings={k: round(v, 4) for k, v in timings.items()},
            ):
                raise _RunEndedMeanwhile
    except _Refused as refused:
        run_services.run_fail(run_id=run.id, code=refused.code, message=refused.message, details=refused.details)
    except _RunEndedMeanwhile:
        log.warning("run %s was marked failed while it saved; its results were rolled back", run.id)
    except _PeriodClosedMeanwhile:
        run_services.run_fail(run_id=run.id, code="period_closed", message=_(
            "Period %(period)s was closed before this run finished; a manager can reopen it.") % {"period": period.label})
    except IntegrityError:
        # The same file was imported by a concurrent upload: point to that bill.
        twin = source_file_duplicate(file_kind=CourierBill.FILE_KIND, sha256=run.input_sha256)
        if twin is None:
            raise
        run_services.run_fail(
            run_id=run.id, code="duplicate_file",
            message=_("This file was already imported as bill #%(id)s.") % {"id": twin.id}, details={"bill_id": twin.id},
        )


def _replace_bill(*, replaced_id: int, bill: CourierBill, run: ReconRun) -> None:
    """The earlier bill leaves (soft-deleted, restorable) and the work done on its discrepancies moves to this run's."""
    # The source file's row, which a delete or restore of the old bill locks too.
    old = CourierBill.objects.select_for_update(of=("self", "sourcefile_ptr")).get(pk=replaced_id)
    old.deleted_at, old.deleted_by = timezone.now(), run.created_by
    old.save(update_fields=["deleted_at", "deleted_by"])
    # Another file of the same bill may number its lines differently: pair by type and waybill, in line order.
    discrepancies_carry_over(source_id=old.id, run_id=run.id, user=run.created_by, by_line=False)
    audit_record(user=run.created_by, object_type="courier_bill", object_id=old.id, action="delete",
                 changes={"deleted_at": [None, old.deleted_at.isoformat()], "replaced_by": [None, bill.id]},
                 note=f"run #{run.id}")


def _retire_not_billed_elsewhere(*, bill: CourierBill, courier: Courier, run: ReconRun) -> None:
    """Waybills this bill charges are no longer “not billed” in the other current bills of its period."""
    others = list(bills_current_in_period(courier=courier, period_start=run.period_start, period_end=run.period_end,
                                          exclude_ids=[bill.id]).values_list("id", flat=True))
    if others:
        Discrepancy.objects.filter(
            source_id__in=others, is_current=True, type="not_billed",
            ref__in=CourierBillLine.objects.filter(bill=bill).values("waybill_no"),
        ).update(is_current=False)


def _insert_lines(bill: CourierBill, lines: pd.DataFrame, results: pd.DataFrame) -> None:
    frame = pd.DataFrame(
        {
            "bill_id": bill.id,
            "line_no": lines["line_no"].astype("int64").to_numpy(),
            "sheet": lines["sheet"].astype(str).str.slice(0, 64).to_numpy(),
            "row_no": lines["row_no"].astype("int64").to_numpy(),
            "waybill_no": lines["waybill_no"].astype(str).to_numpy(),
            "billed_weight_g": int_or_null(lines["billed_weight_g"]).to_numpy(),
            "billed_fee": money(lines["billed_fee_fen"]).to_numpy(),
            "billed_province": lines["billed_province"].fillna("").astype(str).to_numpy(),
            "billed_province_raw": lines["billed_province_raw"].fillna("").astype(str).str.slice(0, 64).to_numpy(),
            "billed_at": local_naive_to_db(lines["billed_at"]).to_numpy(),
            "result": results["result"].to_numpy(),
            "expected_fee": money(results["expected_fee_fen"]).to_numpy(),
            "our_weight_g": int_or_null(results["our_weight_g"]).to_numpy(),
            "our_province": results["our_province"].fillna("").astype(str).to_numpy(),
            "shipment_id": int_or_null(results["shipment_id"]).to_numpy(),
        }
    )
    bulk_load(CourierBillLine._meta.db_table, frame)


def _update_line_results(lines: pd.DataFrame, results: pd.DataFrame) -> None:
    frame = pd.DataFrame(
        {
            "id": lines["id"].astype("int64").to_numpy(),
            "result": results["result"].to_numpy(),
            "expected_fee": money(results["expected_fee_fen"]).to_numpy(),
            "our_weight_g": int_or_null(results["our_weight_g"]).to_numpy(),
            "our_province": results["our_province"].fillna("").astype(str).to_numpy(),
            "shipment_id": int_or_null(results["shipment_id"]).to_numpy(),
        }
    )
    table = CourierBillLine._meta.db_table
    from django.db import connection

    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("DROP TABLE IF EXISTS line_results")
            cursor.execute(
                "CREATE TEMP TABLE line_results (id bigint, result varchar(16), expected_fee numeric(12,2), "
                "our_weight_g integer, our_province varchar(16), shipment_id bigint) ON COMMIT DROP"
            )
            bulk_load("line_results", frame)
            cursor.execute(
                f"UPDATE {table} t SET result = r.result, expected_fee = r.expected_fee, our_weight_g = r.our_weight_g, "
                "our_province = r.our_province, shipment_id = r.shipment_id FROM line_results r WHERE t.id = r.id"
            )
            cursor.execute("DROP TABLE line_results")
        else:
            values = frame[["result", "expected_fee", "our_weight_g", "our_province", "shipment_id", "id"]]
            values = values.astype(object).where(values.notna(), None)
            cursor.executemany(
                f"UPDATE {table} SET result = %s, expected_fee = %s, our_weight_g = %s, our_province = %s, shipment_id = %s WHERE id = %s",
                values.itertuples(index=False, name=None),
            )


# Claims and the direction of the money, as the kind declares its types.
INFORMATION_TYPES = frozenset(t.code for t in SPEC.types if not t.claim)
OWED_BY_US_TYPES = frozenset(t.code for t in SPEC.types if t.direction == "by_us")


def _json_details(disc: pd.DataFrame, bill_line: pd.Series) -> pd.Series:
    """What only a courier fee has, as JSON text built column-wise: weights, provinces, the bill line and our shipment,
    and the rate-card arithmetic behind the discrepancy (read back through couriers.kind's accessor)."""
    return (
        '{"card_id": ' + json_numbers(disc["card_id"]) + ', "fee_billed_fen": ' + json_numbers(disc["fee_billed_fen"])
        + ', "fee_zone_fen": ' + json_numbers(disc["fee_zone_fen"]) + ', "fee_ours_fen": ' + json_numbers(disc["fee_ours_fen"])
        + ', "billed_weight_g": ' + json_numbers(disc["billed_weight_g"])
        + ', "expected_weight_g": ' + json_numbers(disc["expected_weight_g"])
        + ', "billed_province": ' + json_texts(disc["billed_province"].fillna(""))
        + ', "expected_province": ' + json_texts(disc["expected_province"].fillna(""))
        + ', "bill_line_id": ' + json_numbers(bill_line) + ', "shipment_id": ' + json_numbers(disc["shipment_id"]) + "}"
    )


def _insert_discrepancies(run: ReconRun, courier: Courier, disc: pd.DataFrame, line_ids: dict[int, int], *, bill, period,
                          lines: pd.DataFrame) -> None:
    if disc.empty:
        return
    line_no = pd.Series(pd.array(disc["line_no"], dtype="Int64"))
    bill_line = line_no.map(line_ids)
    types = disc["type"].astype(str)
    amount_fen = np.asarray(disc["amount_at_stake_fen"], dtype=np.int64)
    waybill = disc["waybill_no"].astype(str)
    # The day each charge was billed (local time), from its bill line; a not-billed row has no line.
    billed_on = pd.Series(pd.to_datetime(lines["billed_at"]).dt.date.to_numpy(), index=pd.array(lines["line_no"], dtype="Int64"))
    billed_on = billed_on[~billed_on.index.duplicated()]
    occurred = line_no.map(billed_on)
    frame = pd.DataFrame(
        {
            "run_id": run.id,
            "kind": run.kind,
            "type": types.to_numpy(),
            "status": "open",
            "counterparty_id": courier.counterparty_id,
            "source_id": bill.id,
            "period_id": period.id,
            "ref": waybill.to_numpy(),
            "ref2": disc["order_no"].fillna("").astype(str).to_numpy(),
            "source_line": int_or_null(line_no).to_numpy(),
            "theirs_amount": money(disc["billed_fee_fen"]).to_numpy(),
            "ours_amount": money(disc["expected_fee_fen"]).to_numpy(),
            "amount_at_stake": money(disc["amount_at_stake_fen"]).to_numpy(),
            "is_claim": (~types.isin(INFORMATION_TYPES)).to_numpy() & (amount_fen > 0),
            "direction": np.where(types.isin(OWED_BY_US_TYPES), "by_us", "to_us"),
            "carry_key": (types + "|" + waybill + "|" + line_no.fillna(0).astype("int64").astype(str)).to_numpy(),
            "occurred_on": occurred.astype(object).where(occurred.notna(), None).to_numpy(),
            "reason": disc["reason"].astype(str).to_numpy(),
            "details": _json_details(disc, bill_line).to_numpy(),
            "created_at": now_db(),
        }
    )
    from recon.core.models import Discrepancy

    bulk_load(Discrepancy._meta.db_table, frame)

