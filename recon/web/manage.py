"""Browser pages for periods (close and reopen), the audit trail (view and export) and product settings."""
from __future__ import annotations

import json

import pandas as pd
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.db import transaction
from django.views.decorators.http import require_POST

from recon.core.errors import UserFacingError
from recon.core.models import AuditEvent, Discrepancy, ReconPeriod, Setting
from recon.periods.services import period_close, period_reopen
from recon.runs.services import known_settings, setting_change
from recon.core.permissions import requires
from recon.audit.selectors import audit_event_filter, audit_object_names
from recon.review.selectors import keyset_page, name_assignees, queue_totals
from recon.periods.selectors import recon_period_list
from recon.web.views import paginate
from recon.core.writers import frame_to_csv_bytes, frame_to_xlsx_bytes


@requires("recon.view_reconperiod")
def period_list(request):
    courier = request.GET.get("courier", "")
    periods = recon_period_list(params={"courier": courier})
    page = paginate(request, periods, 50)
    rows = list(page)
    totals = queue_totals(Discrepancy.objects.filter(is_current=True, period__in=rows), by=("period",))
    by_period = {g["period_id"]: g for g in totals["groups"]}
    for p in rows:
        p.totals = by_period.get(p.id)
    return render(request, "recon/period_list.html", {"page_obj": page, "rows": rows, "courier": courier})


@requires("recon.view_reconperiod")
def period_detail(request, pk: int):
    period = get_object_or_404(ReconPeriod.objects.select_related("counterparty", "closed_by"), pk=pk)
    totals = queue_totals(Discrepancy.objects.filter(is_current=True, period=period), by=("period",))
    history = AuditEvent.objects.filter(object_type="period", object_id=period.id).order_by("-at", "-id")
    return render(request, "recon/period_detail.html", {
        "period": period, "totals": totals["total"], "bills": period.source_files.filter(deleted_at__isnull=True).select_related("courier_bill").order_by("-uploaded_at"),
        "history": history, "can_close": request.user.has_perm("recon.close_period"),
        "can_reopen": request.user.has_perm("recon.reopen_period"),
    })


@require_POST
@requires("recon.close_period")
def period_close_view(request, pk: int):
    period = get_object_or_404(ReconPeriod, pk=pk)
    try:
        period_close(period=period, user=request.user)
    except UserFacingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Period closed: its bills and discrepancies are locked."))
    return redirect("period-detail", pk=pk)


@require_POST
@requires("recon.reopen_period")
def period_reopen_view(request, pk: int):
    period = get_object_or_404(ReconPeriod, pk=pk)
    try:
        period_reopen(period=period, user=request.user, reason=request.POST.get("reason", ""))
    except UserFacingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Period reopened."))
    return redirect("period-detail", pk=pk)


# --------------------------------------------------------------------------- audit trail


def audit_events(data) -> tuple[object, object]:
    """The trail under a filter (shared by the page and the export); no rows for a filter that does not validate."""
    filterset = audit_event_filter(params=data)
    return filterset.form, (filterset.qs if filterset.is_valid() else filterset.queryset.none())


@requires("recon.view_auditevent")
def audit_list(request):
    form, qs = audit_events(request.GET)
    # Newest first by id (ids grow with time), cursor-paged like the queue.
    page = keyset_page(qs, ordering="-id", cursor=request.GET.get("cursor"), size=100)
    name_assignees(page.rows)
    audit_object_names(page.rows)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "recon/audit_list.html", {"form": form, "page": page, "rows": page.rows, "export_query": query.urlencode()})


@requires("recon.view_auditevent")
def audit_export(request):
    """The filtered trail: CSV with its codes (other tools read them), Excel in the reader's language."""
    form, qs = audit_events(request.GET)
    fmt = request.GET.get("format", "csv")
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        response = HttpResponse(frame_to_xlsx_bytes(_audit_reader_frame(qs), sheet_name=_("Audit trail")[:31]),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.xlsx"'
        return response
    rows = list(qs.order_by("id").values_list("id", "at", "actor_name", "ip", "object_type", "object_id", "action", "changes", "note"))
    frame = pd.DataFrame.from_records(rows, columns=["id", "at", "user", "ip", "object_type", "object_id", "action", "changes", "note"])
    if len(frame):
        frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(timezone.get_current_timezone_name()).dt.strftime("%Y-%m-%d %H:%M:%S")
        frame["changes"] = frame["changes"].map(lambda c: json.dumps(c, ensure_ascii=False, sort_keys=True))
    response = HttpResponse(frame_to_csv_bytes(frame), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def _audit_reader_frame(qs) -> pd.DataFrame:
    """The trail as the page shows it: local time, the object by name, the action and each change in words."""
    from recon.core.templatetags.audit_labels import audit_action, audit_field, audit_value

    events = name_assignees(audit_object_names(list(qs.order_by("id"))))

    def change_text(e) -> str:
        if getattr(e, "assignee_change", None):
            return f"{audit_field('assignee_id')}: {e.assignee_change[0]} → {e.assignee_change[1]}"
        return "; ".join(f"{audit_field(f)}: {audit_value(pair[0], f)} → {audit_value(pair[1], f)}"
                         for f, pair in (e.changes or {}).items() if isinstance(pair, (list, tuple)) and len(pair) == 2)

    return pd.DataFrame({
        _("When"): [timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S") for e in events],
        _("Who"): [e.actor_name or "—" for e in events],
        _("IP address"): [e.ip or "" for e in events],
        _("Object"): [str(e.object_name) for e in events],
        _("What"): [str(audit_action(e.action)) for e in events],
        _("Old → new"): [change_text(e) for e in events],
        _("Note"): [e.note for e in events],
    })


# --------------------------------------------------------------------------- settings


@requires("recon.view_setting")
def settings_page(request):
    if request.method == "POST":
        if not request.user.has_perm("recon.change_setting"):
            raise PermissionDenied(_("Only a manager can change settings."))
        known = known_settings()
        try:
            with transaction.atomic():
                for key, (default, _label) in known.items():
                    if isinstance(default, bool):
                        setting_change(key=key, value=request.POST.get(key) == "on", user=request.user)
                    elif key in request.POST:
                        text = request.POST[key].strip()
                        setting_change(key=key, value=int(text) if text.isdigit() else text, user=request.user)
        except UserFacingError as exc:
            messages.error(request, exc.message)
            return redirect("settings")
        messages.success(request, _("Settings saved."))
        return redirect("settings")
    stored = dict(Setting.objects.values_list("key", "value"))
    rows = [{"key": k, "label": label, "value": stored.get(k, default), "bool": isinstance(default, bool)} for k, (default, label) in known_settings().items()]
    history = AuditEvent.objects.filter(object_type="setting").order_by("-at", "-id")[:50]
    return render(request, "recon/settings.html", {"rows": rows, "history": history, "can_change": request.user.has_perm("recon.change_setting")})

