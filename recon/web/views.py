"""Browser pages for runs and discrepancies, plus the small list helpers every HTML list shares."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from recon.runs.filters import ReconRunFilter
from recon.runs.start import run_start_request, startable_kinds
from recon.kinds import kind_spec, type_specs
from recon.core.models import Counterparty, Discrepancy, ReconRun, claim_q
from recon.core.errors import UserFacingError
from recon.core.permissions import requires
from recon.review.selectors import queue_totals

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
            (code, f"{code} {name}") for code, name in Counterparty.objects.order_by("code").values_list("code", "name").distinct()
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
    """Claimable money per courier in the queue (current rows of live bills) found in the last `days` days."""
    since = timezone.now() - timedelta(days=days)
    return list(
        Discrepancy.objects.filter(is_current=True, created_at__gte=since)
        .filter(claim_q())
        .values("counterparty__code", "counterparty__name")
        .annotate(count=Count("id"), amount=Sum("amount_at_stake"), runs=Count("run_id", distinct=True),
                  open=Sum("amount_at_stake", filter=Q(status__in=["open", "investigating"])),
                  recovered=Sum("recovered_amount"))
        .order_by("-amount")
    )


# --------------------------------------------------------------------------- pages


@requires("recon.view_reconrun")
def run_list(request, *, start_form: dict | None = None, status: int = 200):
    filterset = ReconRunFilter(request.GET, queryset=ReconRun.objects.select_related("counterparty", "created_by"))
    style_filter_form(filterset.form, checkboxes=["status"], courier="courier", hidden=["kind"])
    page = paginate(request, filterset.qs, 50)
    context = {"filter": filterset, "page_obj": page}
    if request.user.has_perm("recon.start_run"):
        context["start"] = _start_form(start_form or {})
    return render(request, "recon/run_list.html", context, status=status)


# The runs page's "start a run" fields, by their names in the form, as messages about them call them.
START_LABELS = {
    "kind": _("Reconciliation kind"), "from": pgettext_lazy("date", "From"), "to": pgettext_lazy("date", "Up to"),
    "as_of": _("As of"), "as_of_time": _("As of (time)"), "counterparty": _("Counterparty code"),
}


def _start_form(values: dict) -> dict:
    """What the start form shows: the kinds that can be started, each with its options, and what the clerk typed."""
    today = timezone.localdate()
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    shown = {"from": last_month_end.replace(day=1).isoformat(), "to": last_month_end.isoformat(), **values}
    kinds = [{
        "code": spec.code, "label": spec.label,
        "options": [{"name": f"{spec.code}__{o.dest}", "flag": o.flag, "help": o.help, "metavar": o.metavar,
                     "value": shown.get(f"{spec.code}__{o.dest}", "")} for o in spec.reconcile_options],
    } for spec in startable_kinds()]
    return {"kinds": kinds, "values": shown, "error": values.get("error", ""), "labels": START_LABELS}


@require_POST
@requires("recon.view_reconrun", "recon.start_run")
def run_start_view(request):
    """The runs page's "start a run": runs of any kind for a range, then the new run's page (or the list of them)."""
    post = request.POST
    kind = post.get("kind", "")
    day, at = post.get("as_of", "").strip(), post.get("as_of_time", "").strip()
    # The chosen kind's options, by their dest names; the fields the core reads come after, so no option replaces one.
    prefix = f"{kind}__"
    data = {name[len(prefix):]: value for name, value in post.items() if name.startswith(prefix) and value.strip()}
    # The page asks for the as-of day and time apart; the core reads them as the command's --as-of ("day[ HH:MM]").
    data.update({"kind": kind, "from": post.get("from", "").strip(), "to": post.get("to", "").strip(),
                 "as_of": f"{day} {at}".strip(), "counterparty": post.get("counterparty", "")})
    names = {key: str(START_LABELS[key]) for key in ("from", "to", "as_of")}
    try:
        runs = run_start_request(data=data, user=request.user, names=names)
    except UserFacingError as exc:
        typed = {k: v for k, v in post.items() if k != "csrfmiddlewaretoken"}
        return run_list(request, start_form={**typed, "error": exc.message}, status=400)
    if len(runs) == 1:
        messages.success(request, gettext("Reconciliation started as run #%(id)s.") % {"id": runs[0].pk})
        return redirect("run-detail", pk=runs[0].pk)
    messages.success(request, gettext("%(count)s reconciliation runs started: %(ids)s.")
                     % {"count": len(runs), "ids": ", ".join(f"#{run.pk}" for run in runs)})
    return redirect(f"{reverse('run-list')}?kind={kind}")


def _by_type_rows(run: ReconRun) -> list[dict]:
    by_type = (run.summary or {}).get("by_type") or {}
    base = reverse("discrepancy-list")
    rows = []
    for t in type_specs():
        entry = by_type.get(t.code) or {}
        if not entry.get("count"):
            continue
        rows.append({
            "type": t.code, "label": t.label, "count": entry["count"], "amount": entry.get("amount_at_stake"),
            "informational": not t.claim, "url": f"{base}?run={run.pk}&type={t.code}",
        })
    return rows


def _header_problem(run: ReconRun) -> dict | None:
    """What the reader saw and what it looked for, when it could not find the header row."""
    if run.error_code != "header_not_found":
        return None
    details = run.error_details or {}
    required = set(details.get("required") or [])
    field_labels = kind_spec(run.kind).hook("source_field_labels") or {}
    expected = [
        {"field": name, "label": field_labels.get(name, name), "synonyms": synonyms, "required": name in required}
        for name, synonyms in (details.get("expected") or {}).items()
    ]
    return {"found": details.get("headers_found") or {}, "expected": expected}


@requires("recon.view_reconrun")
def run_detail(request, pk: int):
    run = get_object_or_404(ReconRun.objects.select_related("counterparty", "courier_bill", "created_by"), pk=pk)
    context = {"run": run, "summary": run.summary or {}}
    if run.status == ReconRun.Status.SUCCEEDED:
        context["by_type"] = _by_type_rows(run)
        context["workflow"] = queue_totals(Discrepancy.objects.filter(run=run), by=("courier",))["total"]
        context["superseded"] = not Discrepancy.objects.filter(run=run, is_current=True).exists() and Discrepancy.objects.filter(run=run).exists()
    elif run.status == ReconRun.Status.FAILED:
        context["header_problem"] = _header_problem(run)
    return render(request, "recon/run_detail.html", context)


@require_POST
@requires("couriers.upload_bill")
def run_rerun_view(request, pk: int):
    """The failed run page's “run it again”: a new run on the same input."""
    from recon.runs.services import run_rerun

    run = get_object_or_404(ReconRun, pk=pk)
    try:
        again = run_rerun(run=run, user=request.user)
    except UserFacingError as exc:
        messages.error(request, exc.message)
        return redirect("run-detail", pk=run.pk)
    messages.success(request, gettext("Run #%(id)s is running again as run #%(new)s.") % {"id": run.pk, "new": again.pk})
    return redirect("run-detail", pk=again.pk)


@requires("recon.view_reconrun")
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
