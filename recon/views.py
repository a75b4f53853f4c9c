"""Browser pages for runs and discrepancies, plus the small list helpers every HTML list shares."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, Sum
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from couriers.forms import BILL_FIELD_LABELS
from couriers.models import Courier

from .filters import DiscrepancyFilter, ReconRunFilter
from .models import INFORMATIONAL_TYPES, Discrepancy, DiscrepancyType, ReconRun

# --------------------------------------------------------------------------- list helpers (used by every app's views)


@dataclass
class Column:
    """A table header; `sort` is the OrderingFilter key, `desc_first` for money and counts (biggest first)."""

    label: str
    sort: str = ""
    num: bool = False
    desc_first: bool = False


def sort_headers(request, columns: list[Column], default: str) -> list[dict]:
    """Header cells whose links set `ordering` (and drop `page`), toggling direction on the active column."""
    current = request.GET.get("ordering") or default
    active_key, active_desc = current.lstrip("-"), current.startswith("-")
    headers = []
    for col in columns:
        cell = {"label": col.label, "num": col.num, "url": "", "state": ""}
        if col.sort:
            if col.sort == active_key:
                cell["state"] = "desc" if active_desc else "asc"
                target = col.sort if active_desc else f"-{col.sort}"
            else:
                target = f"-{col.sort}" if col.desc_first else col.sort
            query = request.GET.copy()
            query["ordering"] = target
            query.pop("page", None)
            cell["url"] = f"?{query.urlencode()}"
        headers.append(cell)
    return headers


def style_filter_form(form, *, checkboxes=(), courier: str = "", dates=(), hidden=()) -> None:
    """Swap the FilterSet's default widgets for ones a clerk can use quickly (same field names, same parsing)."""
    for name in checkboxes:
        field = form.fields[name]
        field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
    if courier:
        choices = [("", _("All couriers"))] + [
            (code, f"{code} {name}") for code, name in Courier.objects.order_by("code").values_list("code", "name")
        ]
        form.fields[courier].widget = forms.Select(choices=choices)
    for name in dates:
        form.fields[name].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    for name in hidden:
        form.fields[name].widget = forms.HiddenInput()


def paginate(request, queryset, per_page: int, count: int | None = None):
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # already known from the page's aggregate: saves a COUNT query
    return paginator.get_page(request.GET.get("page"))


def kg(grams: int | None) -> str:
    """Grams as kilograms with up to three decimals and no trailing zeros, exactly (no float)."""
    if grams is None:
        return ""
    return format((Decimal(grams) / 1000).normalize(), "f")


# --------------------------------------------------------------------------- reads the pages need


def stakes_by_courier(*, days: int = 90) -> list[dict]:
    """Claimable money per courier over the latest run of each bill reconciled in the last `days` days."""
    since = timezone.now() - timedelta(days=days)
    # A bill reconciled twice counts once: only its newest successful run.
    latest = (
        ReconRun.objects.filter(status=ReconRun.Status.SUCCEEDED, courier_bill__isnull=False, finished_at__gte=since)
        .values("courier_bill")
        .annotate(last=Max("id"))
        .values("last")
    )
    return list(
        Discrepancy.objects.filter(run_id__in=latest)
        .exclude(type__in=INFORMATIONAL_TYPES)
        .values("courier__code", "courier__name")
        .annotate(count=Count("id"), amount=Sum("amount_at_stake"), runs=Count("run_id", distinct=True))
        .order_by("-amount")
    )


# --------------------------------------------------------------------------- pages


def home(request):
    runs = ReconRun.objects.select_related("courier", "courier_bill").order_by("-created_at", "-id")[:12]
    return render(request, "recon/home.html", {"runs": runs, "stakes": stakes_by_courier(), "stake_days": 90})


def run_list(request):
    filterset = ReconRunFilter(request.GET, queryset=ReconRun.objects.select_related("courier", "created_by"))
    style_filter_form(filterset.form, checkboxes=["status"], courier="courier", hidden=["kind"])
    page = paginate(request, filterset.qs, 50)
    return render(request, "recon/run_list.html", {"filter": filterset, "page_obj": page})


def _by_type_rows(run: ReconRun) -> list[dict]:
    by_type = (run.summary or {}).get("by_type") or {}
    base = reverse("discrepancy-list")
    rows = []
    for value, label in DiscrepancyType.choices:
        entry = by_type.get(value) or {}
        if not entry.get("count"):
            continue
        rows.append({
            "type": value, "label": label, "count": entry["count"], "amount": entry.get("amount_at_stake"),
            "informational": value in INFORMATIONAL_TYPES, "url": f"{base}?run={run.pk}&type={value}",
        })
    return rows


def _header_problem(run: ReconRun) -> dict | None:
    """What the reader saw and what it looked for, when it could not find the header row."""
    if run.error_code != "header_not_found":
        return None
    details = run.error_details or {}
    required = set(details.get("required") or [])
    expected = [
        {"field": name, "label": BILL_FIELD_LABELS.get(name, name), "synonyms": synonyms, "required": name in required}
        for name, synonyms in (details.get("expected") or {}).items()
    ]
    return {"found": details.get("headers_found") or {}, "expected": expected}


def run_detail(request, pk: int):
    run = get_object_or_404(ReconRun.objects.select_related("courier", "courier_bill", "created_by"), pk=pk)
    context = {"run": run, "summary": run.summary or {}}
    if run.status == ReconRun.Status.SUCCEEDED:
        context["by_type"] = _by_type_rows(run)
    elif run.status == ReconRun.Status.FAILED:
        context["header_problem"] = _header_problem(run)
    return render(request, "recon/run_detail.html", context)


def run_status(request, pk: int):
    """What the run page polls every second while a worker runs it."""
    run = get_object_or_404(ReconRun, pk=pk)
    return JsonResponse({
        "status": run.status,
        "phase": run.phase,
        "phase_label": str(run.get_phase_display()),
        "percent": run.progress_percent,
        "finished": run.is_finished,
        "url": reverse("run-detail", args=[run.pk]),
    })


DISCREPANCY_COLUMNS = [
    Column(_("Waybill"), "waybill_no"),
    Column(_("Type"), "type"),
    Column(_("At stake"), "amount_at_stake", num=True, desc_first=True),
    Column(_("Billed fee"), "billed_fee", num=True, desc_first=True),
    Column(_("Expected fee"), num=True),
    Column(_("Weight billed / ours (kg)"), num=True),
    Column(_("Province billed / ours")),
    Column(_("Reason")),
    Column(_("Line"), "line_no", num=True),
    Column(_("Courier")),
    Column(_("Run"), num=True),
]


def discrepancy_list(request):
    filterset = DiscrepancyFilter(request.GET, queryset=Discrepancy.objects.select_related("courier"))
    style_filter_form(filterset.form, checkboxes=["type", "status"], courier="courier")
    qs = filterset.qs
    totals = qs.aggregate(
        count=Count("id"),
        claim=Sum("amount_at_stake", filter=~Q(type__in=INFORMATIONAL_TYPES)),
        informational=Sum("amount_at_stake", filter=Q(type__in=INFORMATIONAL_TYPES)),
    )
    page = paginate(request, qs, 50, count=totals["count"])
    rows = list(page)
    for d in rows:
        d.billed_kg, d.expected_kg = kg(d.billed_weight_g), kg(d.expected_weight_g)
        d.informational = d.type in INFORMATIONAL_TYPES
    return render(request, "recon/discrepancy_list.html", {
        "filter": filterset, "page_obj": page, "rows": rows, "totals": totals,
        "headers": sort_headers(request, DISCREPANCY_COLUMNS, "-amount_at_stake"),
        "export_query": request.GET.urlencode(),
    })


def discrepancy_detail(request, pk: int):
    d = get_object_or_404(
        Discrepancy.objects.select_related("run", "courier", "bill_line__bill", "shipment__courier"), pk=pk
    )
    details = d.details or {}

    def fen(key):
        value = details.get(key)
        return None if value is None else Decimal(int(value)) / 100

    arithmetic = [
        (_("Card price for the billed weight to the billed province"), fen("fee_billed_fen")),
        (_("Card price for the billed weight to our province"), fen("fee_zone_fen")),
        (_("Card price for our weight to our province"), fen("fee_ours_fen")),
    ]
    return render(request, "recon/discrepancy_detail.html", {
        "d": d, "line": d.bill_line, "shipment": d.shipment,
        "billed_kg": kg(d.billed_weight_g), "expected_kg": kg(d.expected_weight_g),
        "our_weight_kg": kg(d.shipment.weight_g) if d.shipment else "",
        "arithmetic": [row for row in arithmetic if row[1] is not None],
        "card_id": details.get("card_id"), "informational": d.type in INFORMATIONAL_TYPES,
    })
