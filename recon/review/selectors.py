"""Reads of the review queue: keyset pages that stay fast at millions of rows, and the money totals."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connections
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from recon.review.filters import QUEUE_SORTS, SORT_FIELDS
from recon.core.models import Counterparty, Discrepancy, ReconPeriod, claim_q

DEFAULT_SORT = "-amount_at_stake"


@dataclass
class KeysetPage:
    """One page of rows and the cursors around it; no COUNT over the filtered set."""

    rows: list
    ordering: str
    next_cursor: str | None = None
    prev_cursor: str | None = None
    is_first: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.prev_cursor is not None


def _encode(values: list, direction: str) -> str:
    raw = json.dumps({"v": values, "d": direction}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[list, str] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        values, direction = data["v"], data["d"]
        if direction not in ("next", "prev") or not isinstance(values, list) or len(values) != 2:
            return None
        return values, direction
    except (ValueError, KeyError, TypeError):
        return None


def clean_ordering(ordering: str | None) -> str:
    key = (ordering or "").strip().split(",")[0]
    return key if key.lstrip("-") in QUEUE_SORTS else DEFAULT_SORT


def _typed(key: str, value):
    if key in ("amount_at_stake",):
        return Decimal(str(value))
    if key == "created_at":
        return parse_datetime(value) if isinstance(value, str) else value
    if key == "id":
        return int(value)
    return str(value)


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _same_rows(queryset: QuerySet) -> QuerySet:
    """All rows of the queryset's model, loaded as the queryset loads them (related rows, prefetches), unfiltered."""
    rows = queryset.model._default_manager.all()
    related = queryset.query.select_related
    if related is True:
        rows = rows.select_related()
    elif related:
        def paths(tree: dict, prefix: str = ""):
            for name, sub in tree.items():
                yield from paths(sub, f"{prefix}{name}__") if sub else [f"{prefix}{name}"]

        rows = rows.select_related(*paths(related))
    return rows.prefetch_related(*queryset._prefetch_related_lookups)


def keyset_page(queryset: QuerySet, *, ordering: str | None, cursor: str | None, size: int = 50,
                ids_first: bool = False) -> KeysetPage:
    """Rows after (or before) the cursor in (sort key, id) order: an index range scan, whatever the page. With
    `ids_first`, for a filter whose rows no index walks in that order, the page's ids are picked before its rows."""
    ordering = clean_ordering(ordering)
    name, desc = ordering.lstrip("-"), ordering.startswith("-")
    key = SORT_FIELDS.get(name, name)  # the column behind the public sort name
    decoded = _decode(cursor) if cursor else None
    direction = decoded[1] if decoded else "next"
    # Reading backwards for the previous page flips both the key's direction and the id tie-break.
    forward = direction == "next"
    key_desc = desc if forward else not desc
    id_desc = not forward
    order = [f"-{key}" if key_desc else key]
    if key != "id":
        order.append("-id" if id_desc else "id")
    qs = queryset
    if decoded:
        value, last_id = _typed(key, decoded[0][0]), int(decoded[0][1])
        after_key = Q(**{f"{key}__lt" if key_desc else f"{key}__gt": value})
        if key == "id":
            qs = qs.filter(after_key)
        else:
            tie = Q(**{key: value}) & Q(**{"id__lt" if id_desc else "id__gt": last_id})
            # The bound adds nothing to the OR, but it is what PostgreSQL can start the index scan at: without it a
            # page in the middle of a million rows walks every row before the cursor.
            bound = Q(**{f"{key}__lte" if key_desc else f"{key}__gte": value})
            qs = qs.filter(bound, after_key | tie)
    if ids_first:
        # Picking the ids reads only the filter's columns, the sort key and the id (an index-only scan where an index
        # covers them), and only the page's rows are fetched whole and joined. A waybill prefix matching ~3,000 of a
        # million rows otherwise fetched, joined and sorted all of them (~25 ms instead of ~3 ms). Where an index
        # walks the rows in order, reading 51 entries, the extra step only costs (~0.5 ms).
        page_ids = qs.order_by(*order).values("id")[: size + 1]
        rows = list(_same_rows(queryset).filter(id__in=page_ids).order_by(*order))
    else:
        rows = list(qs.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    page = KeysetPage(rows=rows, ordering=ordering, is_first=decoded is None or (not forward and not more))

    def mark(row) -> list:
        return [_plain(getattr(row, key)), row.id]

    if rows:
        if forward:
            page.next_cursor = _encode(mark(rows[-1]), "next") if more else None
            page.prev_cursor = _encode(mark(rows[0]), "prev") if decoded else None
        else:
            page.next_cursor = _encode(mark(rows[-1]), "next")
            page.prev_cursor = _encode(mark(rows[0]), "prev") if more else None
    return page


# The parts add up to the money at stake: at_stake = open + disputed + recovered + accepted + written_off + shortfall.
# `open` is still open, investigating included (its meaning since the start); `investigating` is the part of it
# under investigation, listed apart and not counted twice.
MONEY_COLUMNS = ("at_stake", "open", "disputed", "recovered", "accepted", "written_off", "shortfall", "investigating")


def money_aggregates() -> dict:
    """The count and the money identity's parts as aggregates, for grouping a queryset of discrepancies any way."""
    # reports.totals.money_parts adds up the same parts from the dashboard's grouped totals: change both together.
    claims = claim_q()
    # Each claim's money is what was credited plus a rest, and the rest is in exactly one part: that of the row's
    # status, or of its outcome, or (after a partial credit) of what was decided about the shortfall.
    rest = ExpressionWrapper(
        F("amount_at_stake") - Coalesce("recovered_amount", Value(Decimal("0.00"))),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    partial = Q(outcome="recovered")

    def settled(outcome: str) -> Q:
        return claims & (Q(outcome=outcome) | partial & Q(shortfall_outcome=outcome))

    return {
        "count": Count("id"),
        "at_stake": Sum("amount_at_stake", filter=claims),
        "open": Sum(rest, filter=claims & Q(status__in=["open", "investigating"])),
        "investigating": Sum(rest, filter=claims & Q(status="investigating")),
        "disputed": Sum(rest, filter=claims & Q(status="disputed")),
        "recovered": Sum("recovered_amount", filter=claims & Q(recovered_amount__isnull=False)),
        "accepted": Sum(rest, filter=settled("accepted")),
        "written_off": Sum(rest, filter=settled("written_off")),
        "shortfall": Sum(rest, filter=claims & partial & ~Q(shortfall_outcome__in=["accepted", "written_off"])),
        "informational": Sum("amount_at_stake", filter=~claims),
    }


def queue_totals(queryset: QuerySet[Discrepancy], *, by: tuple[str, ...] = ("period", "courier")) -> dict:
    """Money at stake and its parts (open, disputed, recovered, accepted, written off, shortfall), per period and courier and in all."""
    aggregates = money_aggregates()
    # Added up per (period_id, courier_id), a hash aggregate over the rows; the labels of the few groups are looked
    # up afterwards. Grouping by the joined labels made PostgreSQL sort every matching row first (seconds at 1M rows).
    # "courier" is the counterparty (the name the pages and the API have always used for it).
    keys = {"period": "period_id", "courier": "counterparty_id"}
    raw = list(queryset.order_by().values(*[keys[b] for b in by]).annotate(**aggregates))
    periods = ReconPeriod.objects.in_bulk({r["period_id"] for r in raw} - {None}) if "period" in by else {}
    parties = Counterparty.objects.in_bulk({r["counterparty_id"] for r in raw} - {None}) if "courier" in by else {}
    zero = Decimal("0.00")
    rows = []
    for r in raw:
        row = {}
        if "period" in by:
            p = periods.get(r["period_id"])
            row.update(period_id=r["period_id"], period__start=p and p.start, period__end=p and p.end,
                       period__cycle=p and p.cycle, period__status=p and p.status)
        if "courier" in by:
            c = parties.get(r["counterparty_id"])
            row.update(counterparty_id=r["counterparty_id"], counterparty__code=c and c.code, counterparty__name=c and c.name)
        row.update({k: r[k] for k in aggregates})
        for k in (*MONEY_COLUMNS, "informational"):
            row[k] = row[k] or zero
        rows.append(row)
    # Newest period first, then by courier code, with empty values where the database's ORDER BY puts them.
    nulls_largest = connections[queryset.db].features.nulls_order_largest

    def ascending(value):
        return (value is None) == nulls_largest, value if value is not None else ""

    if "courier" in by:
        rows.sort(key=lambda row: ascending(row["counterparty__code"]))
    if "period" in by:
        # Periods of several couriers or cycles start on the same day: the id keeps their order the same every time.
        rows.sort(key=lambda row: (ascending(row["period__start"]), ascending(row["period_id"])), reverse=True)
    # The groups partition the rows, so the total is their sum: no second pass over the table.
    total = {"count": sum(row["count"] for row in rows)}
    for k in (*MONEY_COLUMNS, "informational"):
        total[k] = sum((row[k] for row in rows), zero)
    return {"groups": rows, "total": total}


def discrepancy_history(d: Discrepancy) -> list:
    """The trail of a discrepancy and of the rows it replaced when its bill was reconciled again, newest first."""
    from recon.core.models import AuditEvent

    ids, frontier = [d.id], [d.id]
    for _depth in range(20):
        previous = [
            e.changes["replaces"][1]
            for e in AuditEvent.objects.filter(object_type="discrepancy", object_id__in=frontier, action="carry_over")
            if isinstance(e.changes.get("replaces"), list)
        ]
        if not previous:
            break
        ids.extend(previous)
        frontier = previous
    return list(AuditEvent.objects.filter(object_type="discrepancy", object_id__in=ids).order_by("-at", "-id"))


def name_assignees(events: list) -> list:
    """Give history rows that changed the assignee the people's names (one query for the whole page)."""
    from django.contrib.auth import get_user_model

    ids = {x for e in events for x in (e.changes.get("assignee_id") or []) if x}
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    for e in events:
        if "assignee_id" in e.changes:
            old, new = e.changes["assignee_id"][:2]
            e.assignee_change = (names.get(old, "—"), names.get(new, "—"))
    return events


def workers():
    """People who can be given discrepancies to work: holders of recon.work_discrepancy, directly or by role."""
    from django.contrib.auth import get_user_model

    by_perm = dict(user_permissions__codename="work_discrepancy", user_permissions__content_type__app_label="recon")
    by_role = dict(groups__permissions__codename="work_discrepancy", groups__permissions__content_type__app_label="recon")
    return (
        get_user_model().objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(**by_perm) | Q(**by_role))
        .distinct().order_by("username")
    )


# Parameters of the queue's address that page or sort it but select nothing.
NON_FILTER_KEYS = {"page", "page_size", "ordering", "format", "cursor"}


def discrepancy_filter(*, params, user, queryset: QuerySet | None = None):
    """The queue's FilterSet bound to these parameters: the one place a discrepancy list is filtered (the queue page,
    the API, the totals, the export, dispute and bulk selections)."""
    from types import SimpleNamespace

    from recon.review.filters import DiscrepancyFilter

    queryset = Discrepancy.objects.all() if queryset is None else queryset
    return DiscrepancyFilter(params, queryset=queryset, request=SimpleNamespace(user=user, GET=params))


class InvalidFilter(Exception):
    """A filter that does not validate; `errors` are the form's errors, for each caller to show its own way."""

    def __init__(self, errors):
        super().__init__("invalid_filter")
        self.errors = errors


def discrepancy_list(*, params, user, queryset: QuerySet | None = None) -> QuerySet:
    """The discrepancies a filter selects; InvalidFilter rather than the whole queue when it does not validate
    (django-filter drops an invalid field, which would silently widen the selection)."""
    filterset = discrepancy_filter(params=params, user=user, queryset=queryset)
    if not filterset.is_valid():
        raise InvalidFilter(filterset.errors)
    return filterset.qs


def discrepancies_from_query(*, query: str, user, empty_message: str = ""):
    """The queue's rows for a query string, exactly as the queue shows them; an empty or invalid filter is refused."""
    from django.http import QueryDict
    from django.utils.translation import gettext as _

    from recon.core.errors import UserFacingError

    data = QueryDict(str(query or "").lstrip("?"))
    if not any(value.strip() for key in data if key not in NON_FILTER_KEYS for value in data.getlist(key)):
        raise UserFacingError("empty_selection", empty_message or _("Select some discrepancies or filter the queue first."))
    try:
        return discrepancy_list(params=data, user=user)
    except InvalidFilter as exc:
        raise UserFacingError(
            "invalid_filter", _("The queue filter is not valid."),
            {"fields": {name: [str(m) for m in msgs] for name, msgs in exc.errors.items()}},
        ) from exc


def assignee_lookup(raw, *, me=None):
    """The user a form or API names as assignee: an id, a username, `me`, or nobody (empty or `none`)."""
    from django.contrib.auth import get_user_model
    from django.utils.translation import gettext as _

    from recon.core.errors import UserFacingError

    text = "" if raw is None else str(raw).strip()
    if text in ("", "none"):
        return None
    if text == "me" and me is not None:
        return me
    users = get_user_model().objects
    user = (users.filter(pk=int(text)).first() if text.isdigit() else None) or users.filter(username=text).first()
    if user is None:
        raise UserFacingError("invalid_assignee", _("Unknown user “%(user)s”.") % {"user": text})
    return user


