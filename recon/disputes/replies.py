"""A counterparty's answer to a dispute, typed or as a reply file: matched to its items by the kind's reference, checked
against the workflow's rules as a whole, then applied at once or refused row by row."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from recon.audit.services import audit_record, audit_record_many, changes_of
from recon.core.db import yuan_of
from recon.core.errors import UserFacingError
from recon.core.models import Discrepancy, Dispute, DisputeItem
from recon.disputes.services import CHUNK, A, O, S, _assignee_rule, _may_manage
from recon.disputes.sheets import dispute_kind_spec, reply_column
from recon.sources.uploads import ingest_error, stage_upload
from recon.ingest import IngestError, read_tables
from recon.ingest.clean import cell_text, normalize_ref, parse_money_fen
from recon.ingest.guard import run_isolated
from recon.ingest.header import Field, TableSpec
from recon.ingest.table import TOTALS_RE, classify_rows, column_or_blank, describe
from recon.kinds import KindSpec, kind_spec, type_choices
from recon.periods.services import period_check_open, periods_lock
from recon.review.services import check_change, parse_amount, record_credit, record_settled


REFUSED_TO = ("queue", "accepted")


REPLY_FIELDS = (
    Field(
        "credited",
        ("确认退款金额", "同意金额", "确认金额", "退款金额", "赔付金额", "同意退款金额", "确认赔付金额", "认可金额", "退还金额",
         "核减金额", "credited", "credited amount", "refund", "refund amount", "agreed amount"),
        required=True, label=gettext_noop("Credited"),
    ),
    Field("type", ("差异类型", "异常类型", "类型", "type"), label=gettext_noop("Type")),
    # '回复说明' first: our own file also has '说明', which is our reason, not the courier's answer.
    Field("note", ("回复说明", "备注", "回复", "说明", "原因", "处理说明", "处理意见", "note", "remark", "comment", "reply"),
          label=gettext_noop("Note")),
)


def reply_table_spec(spec: KindSpec) -> TableSpec:
    """The columns of a reply file to a kind's dispute: its key (the header our sheet wrote, then the kind's names), the answer."""
    headers = tuple(dict.fromkeys((str(reply_column(spec).label), *spec.reply_headers)))
    # The key keeps the field name of the answers' API ("waybill_no"), which a reply file may also use as a header.
    # Named to the user by the header our own sheet wrote, the column a reply must keep.
    return TableSpec(fields=(Field("waybill_no", headers, required=True, label=headers[0]), *REPLY_FIELDS))


# How the messages about a reply name its key (KindSpec.reply_noun): a courier's has always been "the waybill".
REPLY_WORDING = {
    "waybill": {
        "missing_code": "waybill_missing",
        "missing": gettext_lazy("The waybill number is empty."),
        "not_in_dispute": gettext_lazy("Waybill %(waybill)s is not in dispute %(number)s."),
        "type_not_in_dispute": gettext_lazy("Waybill %(waybill)s has no “%(type)s” item in dispute %(number)s."),
        "already_answered": gettext_lazy("Waybill %(waybill)s was already answered (%(answer)s)."),
        "answered_twice": gettext_lazy("Waybill %(waybill)s is answered more than once in this reply."),
        "more_rows": gettext_lazy("Waybill %(waybill)s is answered by %(rows)d rows but has %(items)d open items in this dispute."),
        "more_items": gettext_lazy("Waybill %(waybill)s has %(items)d open items in this dispute but %(rows)d rows answer it: "
                                   "name the discrepancy type on each row."),
        "too_much": gettext_lazy("The credited amount ¥%(amount)s is more than the ¥%(claimed)s claimed for waybill %(waybill)s."),
    },
    "reference": {
        "missing_code": "ref_missing",
        "missing": gettext_lazy("The reference is empty."),
        "not_in_dispute": gettext_lazy("Reference %(ref)s is not in dispute %(number)s."),
        "type_not_in_dispute": gettext_lazy("Reference %(ref)s has no “%(type)s” item in dispute %(number)s."),
        "already_answered": gettext_lazy("Reference %(ref)s was already answered (%(answer)s)."),
        "answered_twice": gettext_lazy("Reference %(ref)s is answered more than once in this reply."),
        "more_rows": gettext_lazy("Reference %(ref)s is answered by %(rows)d rows but has %(items)d open items in this dispute."),
        "more_items": gettext_lazy("Reference %(ref)s has %(items)d open items in this dispute but %(rows)d rows answer it: "
                                   "name the discrepancy type on each row."),
        "too_much": gettext_lazy("The credited amount ¥%(amount)s is more than the ¥%(claimed)s claimed for reference %(ref)s."),
    },
}


def _wording(spec: KindSpec) -> dict:
    return REPLY_WORDING.get(spec.reply_noun, REPLY_WORDING["reference"])


def _say(wording: dict, message: str, key: str, **values) -> str:
    # Both placeholders are given: each wording names the key its own way.
    return str(wording[message]) % {"waybill": key, "ref": key, **values}


@dataclass
class _Plan:
    """Validated answers: (item, credited, note) per item, and the per-row errors found on the way."""

    assignments: list[tuple[DisputeItem, Decimal, str, dict]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def _where(answer: dict, index: int) -> dict:
    where = {"row": answer.get("row") or index + 1}
    if answer.get("sheet") is not None:
        where["sheet"] = answer["sheet"]
    return where


def _row_error(where: dict, code: str, message: str, waybill: str = "") -> dict:
    return {**where, "waybill_no": waybill, "code": code, "message": str(message)}


def _type_names() -> dict[str, str]:
    """Type code by every way a reply may name it: code, Chinese label, English label."""
    names = {}
    for value, label in type_choices():
        names[value] = value
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                names[str(label).strip().lower()] = value
    return names


def _plan_answers(*, dispute: Dispute, answers: list[dict], refused_to: str, user) -> _Plan:
    """Match each answer to its items (by discrepancy id, or waybill and type) and check it against the workflow's rules."""
    plan = _Plan()
    items = list(
        # Lock the items and their discrepancies, not the (nullable, outer-joined) periods: PostgreSQL refuses that.
        DisputeItem.objects.select_for_update(of=("self", "discrepancy")).filter(dispute=dispute)
        .select_related("discrepancy__period__counterparty").order_by("-amount_claimed", "id")
    )
    # Held until the answers are saved, so that a period cannot close under them (its close takes the same lock).
    periods_lock(i.discrepancy.period_id for i in items)
    by_waybill: dict[str, list[DisputeItem]] = defaultdict(list)
    by_discrepancy = {}
    # Replies name a row by the kind's reply key (a courier's, the waybill); the answer field keeps its API name.
    spec = kind_spec(items[0].discrepancy.kind) if items else dispute_kind_spec(dispute)
    wording = _wording(spec)

    def key_of(d: Discrepancy) -> str:
        return str(getattr(d, spec.reply_key) or "")

    for item in items:
        by_waybill[key_of(item.discrepancy).upper()].append(item)
        by_discrepancy[item.discrepancy_id] = item
    type_names = _type_names()
    rule = _assignee_rule(user, {i.discrepancy.assignee_id for i in items})

    # First pass: what each row names, with its amount.
    named = []  # (stage, key, candidates, credited, note, where, waybill)
    for index, answer in enumerate(answers):
        if not isinstance(answer, dict):
            plan.errors.append(_row_error({"row": index + 1}, "invalid_answer", _("Each answer must be an object.")))
            continue
        where = _where(answer, index)
        waybill = str(answer.get("waybill_no") or "").strip().upper()
        try:
            credited = parse_amount(answer.get("credited"))
        except UserFacingError as exc:
            plan.errors.append(_row_error(where, exc.code, exc.message, waybill))
            continue
        if credited is None:
            plan.errors.append(_row_error(where, "amount_required", _("The credited amount is empty (enter 0 when the courier refused)."), waybill))
            continue
        if credited < 0:
            plan.errors.append(_row_error(where, "invalid_amount", _("A credited amount cannot be negative."), waybill))
            continue
        note = str(answer.get("note") or "").strip()
        raw_id = answer.get("discrepancy_id") or answer.get("discrepancy")
        if raw_id not in (None, ""):
            item = by_discrepancy.get(int(raw_id)) if str(raw_id).isdigit() else None
            if item is None:
                plan.errors.append(_row_error(where, "not_in_dispute", _("Discrepancy #%(id)s is not in dispute %(number)s.")
                                              % {"id": raw_id, "number": dispute.number}, waybill))
                continue
            named.append((0, ("id", item.discrepancy_id), [item], credited, note, where, key_of(item.discrepancy)))
            continue
        if not waybill:
            plan.errors.append(_row_error(where, wording["missing_code"], str(wording["missing"])))
            continue
        candidates = by_waybill.get(waybill)
        if not candidates:
            plan.errors.append(_row_error(where, "not_in_dispute", _say(wording, "not_in_dispute", waybill, number=dispute.number), waybill))
            continue
        type_text = str(answer.get("type") or "").strip()
        if type_text:
            type_ = type_names.get(type_text.lower())
            if type_ is None:
                plan.errors.append(_row_error(where, "invalid_type", _("“%(type)s” is not a discrepancy type.") % {"type": type_text}, waybill))
                continue
            candidates = [i for i in candidates if i.discrepancy.type == type_]
            if not candidates:
                plan.errors.append(_row_error(where, "not_in_dispute", _say(wording, "type_not_in_dispute", waybill, type=type_text,
                                                                            number=dispute.number), waybill))
                continue
            named.append((1, ("type", waybill, type_), candidates, credited, note, where, waybill))
        else:
            named.append((2, ("waybill", waybill), candidates, credited, note, where, waybill))

    # Second pass: rows naming the same items share them out, most precise rows first.
    taken: set[int] = set()
    groups: dict[tuple, list] = {}
    for entry in sorted(named, key=lambda e: e[0]):
        groups.setdefault(entry[1], []).append(entry)
    for key, rows in groups.items():
        pool = [i for i in rows[0][2] if i.id not in taken]
        pending = [i for i in pool if i.answer == A.PENDING]
        if not pending:
            for _stage, _key, _c, _credited, _note, where, waybill in rows:
                if pool:
                    answered = pool[0]
                    message = _say(wording, "already_answered", waybill, answer=answered.get_answer_display())
                else:
                    message = _say(wording, "answered_twice", waybill)
                plan.errors.append(_row_error(where, "already_answered", message, waybill))
            continue
        if len(rows) == len(pending):
            pairs = [(item, row[3], row[4], row[5]) for item, row in zip(pending, rows)]
        elif len(rows) == 1:
            pairs = _share_out(pending, rows[0], plan, wording)
            if pairs is None:
                continue
        else:
            for _stage, _key, _c, _credited, _note, where, waybill in rows:
                message = _say(wording, "more_rows" if len(rows) > len(pending) else "more_items", waybill, items=len(pending), rows=len(rows))
                plan.errors.append(_row_error(where, "ambiguous", message, waybill))
            continue
        for item, credited, note, where in pairs:
            taken.add(item.id)
            error = _check_item(dispute=dispute, item=item, credited=credited, note=note, refused_to=refused_to, rule=rule)
            if error:
                plan.errors.append(_row_error(where, error[0], error[1], key_of(item.discrepancy)))
            else:
                plan.assignments.append((item, credited, note, where))
    return plan


def _share_out(pending: list[DisputeItem], row, plan: _Plan, wording: dict):
    """One amount for a reference with several items: it fills the biggest claims first."""
    _stage, _key, _c, credited, note, where, waybill = row
    claimed = sum((i.amount_claimed for i in pending), Decimal("0.00"))
    if credited > claimed:
        plan.errors.append(_row_error(where, "amount_too_large", _say(wording, "too_much", waybill, amount=f"{credited:.2f}",
                                                                      claimed=f"{claimed:.2f}"), waybill))
        return None
    pairs, rest = [], credited
    for item in pending:
        part = min(rest, item.amount_claimed)
        rest -= part
        pairs.append((item, part, note, where))
    return pairs


def _refusal_reason(note: str) -> str:
    return _("courier refused: %(note)s") % {"note": note} if note else _("courier refused")


def _target(credited: Decimal, refused_to: str, note: str) -> tuple[str, str, str, Decimal | None]:
    """(status, outcome, reason, recovered amount) a discrepancy takes for an answer."""
    if credited > 0:
        return S.RESOLVED, O.RECOVERED, note, credited
    if refused_to == "accepted":
        return S.RESOLVED, O.ACCEPTED, _refusal_reason(note), None
    return S.OPEN, "", "", None


def _check_item(*, dispute: Dispute, item: DisputeItem, credited: Decimal, note: str, refused_to: str, rule: dict):
    """(code, message) when the answer cannot be recorded on this item, None when it can."""
    d = item.discrepancy
    if credited > item.amount_claimed:
        return "amount_too_large", _("The credited amount ¥%(amount)s is more than the ¥%(claimed)s claimed.") % {
            "amount": f"{credited:.2f}", "claimed": f"{item.amount_claimed:.2f}"}
    if d.dispute_id != dispute.id or d.status != S.DISPUTED:
        return "not_disputed", _("This discrepancy is no longer disputed in %(number)s (it is %(status)s now).") % {
            "number": dispute.number, "status": d.get_status_display()}
    try:
        period_check_open(d.period)
    except UserFacingError as exc:
        return exc.code, exc.message
    if not rule.get(d.assignee_id):
        return "forbidden", _("You may only work discrepancies assigned to you or to nobody.")
    status, outcome, reason, amount = _target(credited, refused_to, note)
    try:
        check_change(current=d.status, target=status, outcome=outcome, amount=amount, reason=reason, ceiling=item.amount_claimed)
    except UserFacingError as exc:
        return exc.code, exc.message
    return None


def _where_text(error: dict) -> str:
    if error.get("sheet"):
        return _("sheet “%(sheet)s”, row %(row)s") % {"sheet": error["sheet"], "row": error["row"]}
    return _("row %(row)s") % {"row": error["row"]}


def _refuse(errors: list[dict], dispute: Dispute) -> UserFacingError:
    first = errors[0]
    return UserFacingError(
        "answers_rejected",
        _("%(n)d rows cannot be recorded, so nothing was changed. %(where)s: %(message)s")
        % {"n": len(errors), "where": _where_text(first), "message": first["message"]},
        {"dispute": dispute.number, "errors": errors},
    )


def _apply(*, dispute: Dispute, plan: _Plan, refused_to: str, user, source: str) -> dict:
    now = timezone.now()
    items, discrepancies, audits = [], [], defaultdict(list)
    counts = {"credited": 0, "partial": 0, "refused": 0}
    recovered = shortfall = Decimal("0.00")
    for item, credited, note, _where_ in plan.assignments:
        d = item.discrepancy
        before = {f: getattr(d, f) for f in WORKFLOW_FIELDS}
        item.amount_credited, item.courier_note = credited, note
        item.answer = A.REFUSED if credited == 0 else A.CREDITED if credited == item.amount_claimed else A.PARTIAL
        counts[item.answer] += 1
        recovered += credited
        if item.answer == A.PARTIAL:
            shortfall += item.amount_claimed - credited
        status, outcome, reason, _amount = _target(credited, refused_to, note)
        # Before the status changes: a row back from a shortfall keeps what was credited earlier.
        if outcome == O.RECOVERED:
            record_credit(d, credited=credited)
        elif outcome:
            record_settled(d, outcome=outcome, reason=reason)
        d.status, d.outcome, d.outcome_reason = status, outcome, reason
        d.updated_at = now
        items.append(item)
        discrepancies.append(d)
        changes = changes_of(before, {f: getattr(d, f) for f in WORKFLOW_FIELDS})
        changes["dispute_answer"] = [None, item.answer]
        audits["resolve" if d.status == S.RESOLVED else "status"].append((d.id, changes))
    DisputeItem.objects.bulk_update(items, ["amount_credited", "courier_note", "answer"], batch_size=CHUNK)
    Discrepancy.objects.bulk_update(discrepancies, [*WORKFLOW_FIELDS, "updated_at"], batch_size=CHUNK)
    for action, rows in audits.items():
        audit_record_many(user=user, object_type="discrepancy", action=action, rows=rows, note=dispute.number)

    credited_values = DisputeItem.objects.filter(dispute=dispute, amount_credited__isnull=False).values_list("amount_credited", flat=True)
    before = {"status": dispute.status, "amount_credited": dispute.amount_credited}
    dispute.amount_credited = sum(credited_values, Decimal("0.00"))
    dispute.status, dispute.answered_at = Dispute.Status.ANSWERED, now
    dispute.save(update_fields=["amount_credited", "status", "answered_at"])
    pending = DisputeItem.objects.filter(dispute=dispute, answer=A.PENDING).count()
    audit_record(
        user=user, object_type="dispute", object_id=dispute.id, action="answer", note=source,
        changes={**changes_of(before, {"status": dispute.status, "amount_credited": dispute.amount_credited}),
                 "answers": [None, {**counts, "refused_to": refused_to, "recovered": f"{recovered:.2f}", "shortfall": f"{shortfall:.2f}"}]},
    )
    return {
        "answered": len(items), **counts, "refused_to": refused_to, "recovered": f"{recovered:.2f}", "shortfall": f"{shortfall:.2f}",
        "amount_credited": f"{dispute.amount_credited:.2f}", "pending": pending,
    }


def _lock_dispute(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_for_update(of=("self",)).select_related("counterparty").get(pk=dispute.pk)


def _check_refused_to(refused_to: str) -> None:
    if refused_to not in REFUSED_TO:
        raise UserFacingError("invalid_refused_to", _("Say where refused items go: back to the queue or to accepted."))


def dispute_answer_record(*, dispute: Dispute, answers: list[dict], refused_to: str, user) -> dict:
    """Record the courier's answer per item: credited money is recovered, refusals go back to the queue or to accepted."""
    _may_manage(user)
    _check_refused_to(refused_to)
    if not answers:
        raise UserFacingError("no_answers", _("There are no answers to record."))
    with transaction.atomic():
        dispute = _lock_dispute(dispute)
        plan = _plan_answers(dispute=dispute, answers=answers, refused_to=refused_to, user=user)
        if plan.errors:
            raise _refuse(plan.errors, dispute)
        return _apply(dispute=dispute, plan=plan, refused_to=refused_to, user=user, source="")


def _reply_answers(path, filename: str, spec: KindSpec) -> tuple[list[dict], list[dict], list[dict], list[str]]:
    """(answers, unreadable rows, rows skipped, sheet names) of a reply file; every row is one of the three or blank."""
    tables = read_tables(path, filename, reply_table_spec(spec))
    normalize = spec.hook("reply_normalize") or normalize_ref
    answers, errors, skipped = [], [], []
    for table in tables.tables:
        waybill, waybill_reason = normalize(column_or_blank(table, "waybill_no"))
        ok = (waybill_reason == "").to_numpy()
        header_waybill = normalize(pd.Series([table.header_text("waybill_no")], dtype=object))[0].iloc[0]
        # A reference that is any text is "valid" in a totals row too (合计): such rows are looked at as well.
        totals_key = waybill.astype(str).str.contains(TOTALS_RE, case=False, regex=True).to_numpy(dtype=bool)
        kinds = classify_rows(table, ~ok | (waybill == header_waybill).to_numpy() | totals_key)
        credited_fen, credited_bad = parse_money_fen(column_or_blank(table, "credited"))
        credited_text = cell_text(column_or_blank(table, "credited")).to_numpy(dtype=object)
        types = cell_text(column_or_blank(table, "type")).to_numpy(dtype=object)
        notes = cell_text(column_or_blank(table, "note")).to_numpy(dtype=object)
        reasons = describe(waybill_reason.to_numpy(dtype=object), cell_text(column_or_blank(table, "waybill_no")).to_numpy(dtype=object))
        row_nos = table.row_nos()
        fen = credited_fen.to_numpy(dtype=object, na_value=None)
        bad = credited_bad.to_numpy()
        for i in np.flatnonzero(kinds.data | kinds.totals):
            where = {"sheet": table.name, "row": int(row_nos[i])}
            wb = str(waybill.iat[i])
            if kinds.totals[i]:
                skipped.append({**where, "waybill_no": "", "reason": _("totals row")})
            elif not ok[i]:
                errors.append(_row_error(where, str(waybill_reason.iat[i]), reasons[i], wb))
            elif bad[i]:
                errors.append(_row_error(where, "invalid_amount", _("“%(value)s” is not an amount of money.") % {"value": credited_text[i]}, wb))
            elif fen[i] is None:
                skipped.append({**where, "waybill_no": wb, "reason": _("no credited amount: left unanswered")})
            else:
                answers.append({"waybill_no": wb, "type": types[i], "credited": yuan_of(int(fen[i])), "note": notes[i], **where})
    return answers, errors, skipped, [t.name for t in tables.tables]


def dispute_reply_import(*, dispute: Dispute, file, filename: str, refused_to: str, user) -> dict:
    """Read the courier's reply (our file filled in, or their own table) and record it; unreadable rows are named by sheet and row."""
    _may_manage(user)
    _check_refused_to(refused_to)
    staged = stage_upload(file=file, filename=filename)
    try:
        # Parsed in a child process under the upload limits, like every other upload.
        spec = dispute_kind_spec(dispute)
        try:
            answers, errors, skipped, sheets = run_isolated(_reply_answers, staged.path, staged.filename, spec, filename=staged.filename)
        except IngestError as exc:
            # Raised here, not in the child: only an IngestError comes back from it as a refusal rather than a crash.
            raise ingest_error(exc) from exc
        if not answers and not errors:
            raise UserFacingError(
                "no_answers", _("The reply has no credited amounts filled in (column 确认退款金额 or similar)."), {"skipped": skipped},
            )
        with transaction.atomic():
            dispute = _lock_dispute(dispute)
            plan = _plan_answers(dispute=dispute, answers=answers, refused_to=refused_to, user=user)
            order = {name: i for i, name in enumerate(sheets)}
            errors = sorted(errors + plan.errors, key=lambda e: (order.get(e.get("sheet"), 0), e["row"]))
            if errors:
                raise _refuse(errors, dispute)
            result = _apply(dispute=dispute, plan=plan, refused_to=refused_to, user=user, source=staged.filename)
            with open(staged.path, "rb") as fh:
                dispute.reply_file.save(staged.filename, File(fh), save=False)
            dispute.save(update_fields=["reply_file"])
    finally:
        staged.discard()
    result["skipped"] = skipped
    return result


WORKFLOW_FIELDS = ["status", "outcome", "outcome_reason", "recovered_amount", "shortfall_amount", "shortfall_outcome", "shortfall_reason"]
