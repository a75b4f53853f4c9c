"""Disputes with couriers (对账差异单): from a queue selection to the file we send, and the courier's answer back."""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


from recon.audit.services import audit_record, audit_record_many, changes_of
from recon.core.db import yuan_of
from recon.core.errors import UserFacingError
from recon.ingest import IngestError, read_tables
from recon.ingest.guard import run_isolated
from recon.ingest.clean import cell_text, normalize_ref, parse_money_fen
from recon.ingest.header import Field, TableSpec
from recon.ingest.table import TOTALS_RE, classify_rows, column_or_blank, describe
from recon.kinds import ColumnSpec, KindSpec, information_types, kind_spec, kind_specs, type_choices
from recon.core.models import Counterparty, Discrepancy, Dispute, DisputeItem, ReconPeriod
from recon.review import selectors
from recon.periods.services import period_check_open, periods_lock
from recon.core.permissions import may_work
from recon.review.services import check_change, parse_amount, record_credit, record_settled
from recon.files.uploads import ingest_error, stage_upload
from recon.core.writers import xlsx_workbook

S = Discrepancy.Status
O = Discrepancy.Outcome
A = DisputeItem.Answer
ELIGIBLE_STATUSES = (S.OPEN, S.INVESTIGATING)
REFUSED_TO = ("queue", "accepted")
CHUNK = 2000
WORKFLOW_FIELDS = ["status", "outcome", "outcome_reason", "recovered_amount", "shortfall_amount", "shortfall_outcome", "shortfall_reason"]

# Why rows of a selection stay out of a dispute, in the order a row is sorted out.
LEFT_OUT_REASONS = {
    "not_current": gettext_lazy("replaced by a newer run of its bill"),
    "informational": gettext_lazy("informational, not a claim"),
    "disputed": gettext_lazy("already in a dispute"),
    "resolved": gettext_lazy("already resolved"),
    "no_stake": gettext_lazy("no money at stake"),
    "not_yours": gettext_lazy("assigned to someone else"),
    "changed": gettext_lazy("changed by someone else meanwhile"),
}
# Query keys that page or sort the queue without selecting anything.

# The dispute file speaks the counterparty's language; the reply reader finds these same headers again. A kind's own
# columns (KindSpec.dispute_columns, led by its reply key) come first, then these.
CORE_SHEET_COLUMNS = ["差额", "差异类型", "说明"]
ANSWER_COLUMNS = ["确认退款金额", "回复说明"]
# The header of a reply key that no column of the kind names, by the generic attribute it reads.
REF_HEADERS = {"ref": "单号", "ref2": "关联单号", "sku": "SKU"}


def reply_column(spec: KindSpec) -> ColumnSpec:
    """The dispute sheet's column holding the reply key: the kind's own, or one the core makes from the key's label."""
    for column in spec.dispute_columns:
        if column.attr == spec.reply_key:
            return column
    named = next((c for c in (*spec.export_columns, *spec.queue_columns) if c.attr == spec.reply_key), None)
    with translation.override("zh-hans"):
        label = str(named.label) if named else REF_HEADERS.get(spec.reply_key, spec.reply_key)
    return ColumnSpec("reply_ref", label, spec.reply_key)


def dispute_sheet_columns(spec: KindSpec) -> tuple[ColumnSpec, ...]:
    """A kind's own dispute sheet columns; led by the reply key's, added when the kind has none, so every sheet can be answered."""
    column = reply_column(spec)
    return spec.dispute_columns if column in spec.dispute_columns else (column, *spec.dispute_columns)


def sheet_columns(spec: KindSpec) -> list[str]:
    """A kind's dispute sheet headers, left to right."""
    return [str(c.label) for c in dispute_sheet_columns(spec)] + CORE_SHEET_COLUMNS + ANSWER_COLUMNS


def dispute_kind_spec(dispute: Dispute) -> KindSpec:
    """The kind of a dispute's discrepancies (a dispute holds one kind: it goes to one counterparty)."""
    kind = DisputeItem.objects.filter(dispute=dispute).values_list("discrepancy__kind", flat=True).first()
    return kind_spec(kind or next(iter(kind_specs())))


COVER_COLUMNS = ["差异类型", "笔数", "差额合计"]
COVER_SHEET = "汇总"
TOTAL_LABEL = "合计"

REPLY_FIELDS = (
    Field(
        "credited",
        ("确认退款金额", "同意金额", "确认金额", "退款金额", "赔付金额", "同意退款金额", "确认赔付金额", "认可金额", "退还金额",
         "核减金额", "credited", "credited amount", "refund", "refund amount", "agreed amount"),
        required=True,
    ),
    Field("type", ("差异类型", "异常类型", "类型", "type")),
    # '回复说明' first: our own file also has '说明', which is our reason, not the courier's answer.
    Field("note", ("回复说明", "备注", "回复", "说明", "原因", "处理说明", "处理意见", "note", "remark", "comment", "reply")),
)


def reply_table_spec(spec: KindSpec) -> TableSpec:
    """The columns of a reply file to a kind's dispute: its key (the header our sheet wrote, then the kind's names), the answer."""
    headers = tuple(dict.fromkeys((str(reply_column(spec).label), *spec.reply_headers)))
    # The key keeps the field name of the answers' API ("waybill_no"), which a reply file may also use as a header.
    return TableSpec(fields=(Field("waybill_no", headers, required=True), *REPLY_FIELDS))


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


def _may_manage(user) -> None:
    if not user.has_perm("recon.manage_dispute"):
        raise UserFacingError("forbidden", _("You may not send disputes or record couriers' answers."), http_status=403)


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# --------------------------------------------------------------------------- reads


def discrepancies_from_query(*, query: str, user) -> QuerySet:
    """The queue's rows for a query string; the whole queue is never what a clerk meant to send to one courier."""
    return selectors.discrepancies_from_query(
        query=query, user=user, empty_message=_("Filter the queue first: a dispute is made from a filtered selection."))


@dataclass
class DisputeSelection:
    """What a selection would put in a dispute: count and money per type, what stays out and why, and any problem."""

    by_type: list[dict]
    count: int
    amount: Decimal
    left_out: dict[str, int]
    counterparty: Counterparty | None
    eligible: QuerySet
    problem: UserFacingError | None = None

    @property
    def left_out_rows(self) -> list[dict]:
        return [{"reason": k, "label": str(LEFT_OUT_REASONS[k]), "count": n} for k, n in self.left_out.items() if n]

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())


def _assignee_rule(user, assignee_ids) -> dict:
    """may_work for each distinct assignee: the object rule depends on nothing else, so rows need not be loaded."""
    return {a: may_work(user, SimpleNamespace(assignee_id=a)) for a in assignee_ids}


def _allowed_q(rule: dict) -> Q:
    ids = [a for a, ok in rule.items() if ok and a is not None]
    q = Q(assignee_id__in=ids) if ids else Q(pk__in=[])
    return q | Q(assignee__isnull=True) if rule.get(None) else q


def dispute_selection(*, discrepancies: QuerySet, user) -> DisputeSelection:
    """Sort a selection out (set-based): the claims that would go in a dispute, what stays out and why, what blocks it."""
    qs = discrepancies.order_by()
    information = sorted(information_types())
    claim = Q(is_current=True) & ~Q(type__in=information)
    left_out = qs.aggregate(
        not_current=Count("id", filter=Q(is_current=False)),
        informational=Count("id", filter=Q(is_current=True, type__in=information)),
        disputed=Count("id", filter=claim & Q(status=S.DISPUTED)),
        resolved=Count("id", filter=claim & Q(status=S.RESOLVED)),
        no_stake=Count("id", filter=claim & Q(status__in=ELIGIBLE_STATUSES, amount_at_stake__lte=0)),
    )
    candidates = qs.filter(claim, status__in=ELIGIBLE_STATUSES, amount_at_stake__gt=0)
    groups = list(
        candidates.values("assignee_id", "counterparty_id", "period_id", "type").annotate(n=Count("id")).order_by()
    )
    rule = _assignee_rule(user, {g["assignee_id"] for g in groups})
    left_out["not_yours"] = sum(g["n"] for g in groups if not rule[g["assignee_id"]])
    groups = [g for g in groups if rule[g["assignee_id"]]]
    eligible = candidates.filter(_allowed_q(rule))

    # Money is summed from the rows' Decimals, never by the database's floating point (SQLite).
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    # A row whose shortfall went back to the queue is claimed again for its uncredited rest only.
    for type_, amount, credited in eligible.values_list("type", "amount_at_stake", "recovered_amount").iterator(chunk_size=CHUNK):
        amounts[type_] += amount - (credited or 0)
    counts: dict[str, int] = defaultdict(int)
    for g in groups:
        counts[g["type"]] += g["n"]
    by_type = [
        {"type": value, "label": str(label), "count": counts[value], "amount": amounts[value]}
        for value, label in type_choices() if counts.get(value)
    ]
    party_ids = {g["counterparty_id"] for g in groups}
    counterparty = Counterparty.objects.filter(pk=next(iter(party_ids))).first() if len(party_ids) == 1 else None
    selection = DisputeSelection(
        by_type=by_type, count=sum(counts.values()), amount=sum(amounts.values(), Decimal("0.00")),
        left_out=left_out, counterparty=counterparty, eligible=eligible,
    )
    selection.problem = _selection_problem(selection, groups, party_ids)
    return selection


def _selection_problem(selection: DisputeSelection, groups: list[dict], party_ids: set) -> UserFacingError | None:
    left = {k: n for k, n in selection.left_out.items() if n}
    if not groups:
        if selection.left_out["not_yours"]:
            return UserFacingError(
                "forbidden", _("You may only dispute discrepancies assigned to you or to nobody."),
                {"left_out": left}, http_status=403,
            )
        return UserFacingError(
            "nothing_to_dispute",
            _("Nothing in this selection can be disputed: only current, open or investigating claims with money at stake go in a dispute."),
            {"left_out": left},
        )
    if len(party_ids) > 1 or None in party_ids:
        codes = sorted(Counterparty.objects.filter(pk__in=party_ids - {None}).values_list("code", flat=True))
        return UserFacingError(
            "mixed_couriers",
            _("A dispute goes to one courier, but this selection has discrepancies of %(couriers)s. Filter the queue by courier first.")
            % {"couriers": ", ".join(codes) + (", –" if None in party_ids else "")},
            {"couriers": codes},
        )
    period_ids = {g["period_id"] for g in groups} - {None}
    closed = ReconPeriod.objects.filter(pk__in=period_ids, status=ReconPeriod.Status.CLOSED).select_related("counterparty").first()
    if closed is not None:
        try:
            period_check_open(closed)
        except UserFacingError as exc:
            return exc
    return None


def dispute_items_frame(*, dispute: Dispute, spec: KindSpec | None = None) -> pd.DataFrame:
    """A dispute's items with their discrepancies' facts (and the kind's sheet columns), one query, in the file's order."""
    own = {c.key: F(f"discrepancy__{c.orm_path}") for c in dispute_sheet_columns(spec)} if spec else {}
    order = ("-amount_claimed", f"discrepancy__{spec.reply_key}", "id") if spec else ("-amount_claimed", "id")
    rows = list(
        DisputeItem.objects.filter(dispute=dispute)
        .order_by(*order)
        .values(
            "id", "discrepancy_id", "amount_claimed", "amount_credited", "answer", "courier_note",
            type=F("discrepancy__type"), reason=F("discrepancy__reason"), **own,
        )
    )
    columns = ["id", "discrepancy_id", "amount_claimed", "amount_credited", "answer", "courier_note", "type", "reason", *own]
    return pd.DataFrame.from_records(rows, columns=columns).astype(object)


def dispute_totals_by_type(*, dispute: Dispute) -> list[dict]:
    """Items, claimed and credited money per discrepancy type of a dispute, in the product's type order."""
    frame = dispute_items_frame(dispute=dispute)
    out = []
    for value, label in type_choices():
        sub = frame[frame["type"] == value]
        if len(sub):
            credited = [v for v in sub["amount_credited"] if v is not None]
            out.append({
                "type": value, "label": str(label), "count": len(sub),
                "claimed": sum(sub["amount_claimed"], Decimal("0.00")), "credited": sum(credited, Decimal("0.00")),
            })
    return out


# --------------------------------------------------------------------------- creating a dispute


def _next_number(party: Counterparty, day) -> str:
    prefix = f"{party.code}-{day:%Y%m%d}-"
    taken = Dispute.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    last = max((int(n[len(prefix):]) for n in taken if n[len(prefix):].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}"


def _dispute_insert(*, counterparty: Counterparty, user, note: str, count: int, claimed: Decimal) -> Dispute:
    """Insert the dispute under the next free number of the courier and day; the unique number settles any race."""
    day = timezone.localdate()
    for attempt in range(5):
        try:
            with transaction.atomic():
                return Dispute.objects.create(
                    number=_next_number(counterparty, day), counterparty=counterparty, status=Dispute.Status.SENT, item_count=count,
                    amount_claimed=claimed, note=note, created_by=user,
                )
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def dispute_create(*, discrepancies: QuerySet, user, note: str = "") -> Dispute:
    """Put a selection's open claims of one courier in a new dispute, file included; `.left_out` says what stayed out and why."""
    _may_manage(user)
    note = (note or "").strip()
    with transaction.atomic():
        selection = dispute_selection(discrepancies=discrepancies, user=user)
        if selection.problem is not None:
            raise selection.problem
        # One dispute at a time per counterparty: its numbers are handed out in order.
        counterparty = Counterparty.objects.select_for_update().get(pk=selection.counterparty.pk)
        ids = list(selection.eligible.order_by("id").values_list("id", flat=True))
        fields = ["id", "type", "status", "dispute_id", "amount_at_stake", "recovered_amount", "assignee_id", "counterparty_id", "is_current"]
        rows = []
        for chunk in _chunks(ids):
            rows += Discrepancy.objects.select_for_update().filter(id__in=chunk).values(*fields)
        closed = periods_lock(Discrepancy.objects.filter(id__in=ids).values_list("period_id", flat=True).distinct())
        if closed:
            period_check_open(ReconPeriod.objects.select_related("counterparty").get(pk=min(closed)))
        # Another clerk may have moved rows since they were counted: only what is still open goes in.
        rule = _assignee_rule(user, {r["assignee_id"] for r in rows})
        information = information_types()
        rows = [
            r for r in rows
            if r["status"] in ELIGIBLE_STATUSES and r["is_current"] and r["counterparty_id"] == counterparty.pk
            and r["type"] not in information and r["amount_at_stake"] > 0 and rule[r["assignee_id"]]
        ]
        left_out = {**selection.left_out, "changed": len(ids) - len(rows)}
        if not rows:
            raise UserFacingError("nothing_to_dispute", _("Nothing in this selection can be disputed any more: someone else changed it meanwhile."))
        for r in rows:
            r["claim"] = r["amount_at_stake"] - (r["recovered_amount"] or 0)
        claimed = sum((r["claim"] for r in rows), Decimal("0.00"))
        dispute = _dispute_insert(counterparty=counterparty, user=user, note=note, count=len(rows), claimed=claimed)
        DisputeItem.objects.bulk_create(
            [DisputeItem(dispute=dispute, discrepancy_id=r["id"], amount_claimed=r["claim"]) for r in rows],
            batch_size=CHUNK,
        )
        now = timezone.now()
        row_ids = [r["id"] for r in rows]
        for chunk in _chunks(row_ids):
            Discrepancy.objects.filter(id__in=chunk).update(status=S.DISPUTED, dispute=dispute, updated_at=now)
        audit_record_many(
            user=user, object_type="discrepancy", action="dispute", note=dispute.number,
            rows=((r["id"], {"status": [r["status"], S.DISPUTED.value], "dispute_id": [r["dispute_id"], dispute.id]}) for r in rows),
        )
        audit_record(
            user=user, object_type="dispute", object_id=dispute.id, action="create", note=note,
            changes={"number": [None, dispute.number], "courier": [None, counterparty.code], "item_count": [None, len(rows)],
                     "amount_claimed": [None, f"{claimed:.2f}"], "left_out": [None, {k: n for k, n in left_out.items() if n}]},
        )
        dispute.file.save(f"{dispute.number}.xlsx", ContentFile(dispute_workbook(dispute=dispute)), save=False)
        dispute.save(update_fields=["file"])
    dispute.left_out = {k: n for k, n in left_out.items() if n}
    return dispute


def left_out_message(left_out: dict[str, int]) -> str:
    """'3 left out: 2 informational, not a claim; 1 already resolved' for the page's message."""
    parts = [f"{n} {LEFT_OUT_REASONS[k]}" for k, n in left_out.items() if n]
    if not parts:
        return ""
    return _("%(n)d left out: %(reasons)s.") % {"n": sum(left_out.values()), "reasons": "; ".join(parts)}


# --------------------------------------------------------------------------- the dispute file


def _kg(grams) -> float | None:
    # Grams are integers; a kilogram value with three decimals is exact to the gram in the cell.
    return None if grams is None or pd.isna(grams) else float(Decimal(int(grams)) / 1000)


def _money(value) -> float | None:
    return None if value is None or pd.isna(value) else float(Decimal(value))


def dispute_workbook(*, dispute: Dispute) -> bytes:
    """The dispute file in the courier's language: a cover of totals per type, then one sheet per type to answer on."""
    spec = dispute_kind_spec(dispute)
    frame = dispute_items_frame(dispute=dispute, spec=spec)
    with translation.override("zh-hans"):
        labels = {value: str(label) for value, label in type_choices()}
    buffer = io.BytesIO()
    book = xlsx_workbook(buffer, {"in_memory": True})
    title = book.add_format({"bold": True, "font_size": 16})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    answer_head = book.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1, "text_wrap": True, "valign": "vcenter"})
    money = book.add_format({"num_format": "0.00"})
    money_bold = book.add_format({"num_format": "0.00", "bold": True})
    weight = book.add_format({"num_format": "0.00#"})
    text = book.add_format({"num_format": "@"})
    answer = book.add_format({"num_format": "0.00", "bg_color": "#FFF9E6", "border": 1})
    answer_text = book.add_format({"bg_color": "#FFF9E6", "border": 1, "num_format": "@"})

    types = [value for value, _label in type_choices() if (frame["type"] == value).any()]
    columns = dispute_sheet_columns(spec)
    headers = sheet_columns(spec)
    own = len(columns)  # the core's columns start after the kind's: the amount claimed first
    creator = dispute.created_by
    who = (creator.get_full_name() or creator.get_username()) if creator else ""

    cover = book.add_worksheet(COVER_SHEET)
    cover.set_column(0, 0, 18)
    cover.set_column(1, 1, 28)
    cover.set_column(2, 2, 16)
    cover.write(0, 0, "对账差异单", title)
    facts = [("快递公司", dispute.counterparty.name), ("差异单号", dispute.number),
             ("日期", timezone.localtime(dispute.created_at).strftime("%Y-%m-%d")), ("制单人", who)]
    if dispute.note:
        facts.append(("备注", dispute.note))
    for i, (key, value) in enumerate(facts, start=2):
        cover.write_string(i, 0, key, bold)
        cover.write_string(i, 1, value)
    top = len(facts) + 3
    cover.write_row(top, 0, COVER_COLUMNS, head)
    total = Decimal("0.00")
    for i, value in enumerate(types, start=top + 1):
        amount = sum(frame.loc[frame["type"] == value, "amount_claimed"], Decimal("0.00"))
        total += amount
        cover.write_string(i, 0, labels[value])
        cover.write_number(i, 1, int((frame["type"] == value).sum()))
        cover.write_number(i, 2, float(amount), money)
    end = top + 1 + len(types)
    cover.write_string(end, 0, TOTAL_LABEL, bold)
    cover.write_number(end, 1, len(frame), bold)
    cover.write_number(end, 2, float(total), money_bold)
    cover.write_string(end + 2, 0, "请在各明细表的“确认退款金额”列填写同意退还的金额（不同意请填 0），在“回复说明”列写明理由，并将本文件发回。")

    for value in types:
        sub = frame[frame["type"] == value]
        sheet = book.add_worksheet(labels[value][:31])
        n = len(sub)
        widths = [20 if i == 0 else 12 if c.kg else 10 if c.money else 16 for i, c in enumerate(columns)]
        for col, width in enumerate(widths + [10, 16, 60, 14, 30]):
            sheet.set_column(col, col, width)
        sheet.set_row(0, 30)
        sheet.write_row(0, 0, headers[:own + 3], head)
        sheet.write_row(0, own + 3, headers[own + 3:], answer_head)
        sheet.freeze_panes(1, 1)
        # Column by column: references as text (a waybill is longer than Excel's 15 exact digits), money as numbers.
        for col, c in enumerate(columns):
            if c.kg:
                sheet.write_column(1, col, [_kg(g) for g in sub[c.key]], weight)
            elif c.money:
                sheet.write_column(1, col, [_money(v) for v in sub[c.key]], money)
            else:
                for row, cell in enumerate(sub[c.key], start=1):
                    sheet.write_string(row, col, "" if cell is None else str(cell), text)
        sheet.write_column(1, own, [_money(v) for v in sub["amount_claimed"]], money)
        sheet.write_column(1, own + 1, [labels[value]] * n)
        sheet.write_column(1, own + 2, [str(r) for r in sub["reason"]])
        for row in range(1, n + 1):
            sheet.write_blank(row, own + 3, None, answer)
            sheet.write_blank(row, own + 4, None, answer_text)
        sheet.data_validation(1, own + 3, n, own + 3, {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": f"=${xl_col_to_name(own)}2",
            "error_title": "确认退款金额", "error_message": "请填写 0 到差额之间的金额。",
        })
        sheet.write_string(n + 1, 0, TOTAL_LABEL, bold)
        sheet.write_number(n + 1, own, float(sum(sub["amount_claimed"], Decimal("0.00"))), money_bold)
        sheet.autofilter(0, 0, n, len(headers) - 1)
    book.close()
    return buffer.getvalue()


# --------------------------------------------------------------------------- the courier's answer


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
