"""Pages of custom reports (builder, saved reports, downloads) and of the analyses."""
from __future__ import annotations

import json
from datetime import date

from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recon.core.errors import UserFacingError
from recon.core.permissions import requires

from .analysis import ANALYSES, tables_csv, tables_display, tables_pdf, tables_xlsx
from .custom import (
    DATE_FILTERS, MAX_DIMENSIONS, ReportDefinitionError, definition_clean, report_chart, report_csv, report_pdf,
    report_run, report_table, report_xlsx,
)
from .custom_services import SHARE_ROLES, saved_report_delete, saved_report_save, saved_reports_visible
from .sources import report_sources

VIEW = "reports.view_savedreport"
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


def definition_from_params(params, *, run: bool = False) -> dict:
    """A definition from the builder's form: source, dim1…dim3 in order, measure (several), date_from/date_to, f_<dim>."""
    sources = report_sources()
    source = sources.get(params.get("source") or "discrepancies") or sources["discrepancies"]
    dimensions = [params.get(f"dim{i}") for i in range(1, MAX_DIMENSIONS + 1)]
    filters: dict = {k: params.get(k) for k in DATE_FILTERS if params.get(k)}
    for code, dim in source.dimensions.items():
        raw = params.get(f"f_{code}", "")
        if dim.filter_path and raw.strip():
            filters[code] = [v.strip() for v in raw.replace("，", ",").split(",") if v.strip()]
    measures = params.getlist("measure")
    # A run with nothing ticked (and a bare download link) counts the rows rather than failing.
    if run and not measures:
        measures = ["count"]
    return {"source": source.code, "dimensions": [d for d in dimensions if d], "measures": measures, "filters": filters}


def params_from_definition(definition: dict) -> str:
    """The builder's query string for a definition (to open a saved report in the builder, and for downloads)."""
    pairs = [("source", definition["source"])]
    pairs += [(f"dim{i}", d) for i, d in enumerate(definition["dimensions"], start=1)]
    pairs += [("measure", m) for m in definition["measures"]]
    for key, value in definition.get("filters", {}).items():
        pairs.append((key if key in DATE_FILTERS else f"f_{key}", value if key in DATE_FILTERS else ",".join(value)))
    return urlencode(pairs)


def _check_source(user, definition: dict) -> None:
    source = report_sources().get(definition.get("source"))
    if source is not None and not user.has_perm(source.permission):
        raise PermissionDenied


def _download(result, fmt: str, title: str) -> HttpResponse:
    if fmt == "xlsx":
        body = report_xlsx(result, title=title)
    elif fmt == "csv":
        body = report_csv(result)
    else:
        body = report_pdf(result, title=title)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="custom-report.{fmt}"'
    return response


def _builder_context(request, definition: dict, *, run: bool) -> dict:
    sources = report_sources()
    source = sources[definition["source"]]
    context = {
        "sources": [(code, s.label) for code, s in sources.items() if request.user.has_perm(s.permission)],
        "source": source, "definition": definition,
        "dimension_slots": [(i, definition["dimensions"][i - 1] if len(definition["dimensions"]) >= i else "")
                            for i in range(1, MAX_DIMENSIONS + 1)],
        "filter_fields": [(code, dim.label, ",".join(definition["filters"].get(code, [])))
                          for code, dim in source.dimensions.items() if dim.filter_path],
        "roles": [(g.name, _role_label(g.name)) for g in Group.objects.filter(name__in=SHARE_ROLES).order_by("name")],
        "can_save": request.user.has_perm("reports.add_savedreport"),
    }
    if run:
        try:
            clean = definition_clean(definition)
            result = report_run(clean)
        except ReportDefinitionError as exc:
            context["error"] = exc.message
        else:
            context.update(result=result, table=report_table(result), chart=report_chart(result),
                           definition_json=json.dumps(clean, ensure_ascii=False), query=params_from_definition(clean))
    return context


def _role_label(name: str) -> str:
    labels = {"finance": _("Finance"), "ops": _("Operations"), "manager": _("Manager"), "auditor": _("Auditor")}
    return labels.get(name, name)


@requires(VIEW)
def custom_report_builder(request):
    run = "run" in request.GET
    definition = definition_from_params(request.GET, run=run)
    _check_source(request.user, definition)
    return render(request, "reports/custom_builder.html", _builder_context(request, definition, run=run))


@requires(VIEW)
def custom_report_export(request):
    fmt = request.GET.get("format", "xlsx")
    if fmt not in CONTENT_TYPES:
        return HttpResponseBadRequest(_("Unknown format; use xlsx, csv or pdf."))
    definition = definition_from_params(request.GET, run=True)
    _check_source(request.user, definition)
    try:
        result = report_run(definition)
    except ReportDefinitionError as exc:
        return HttpResponseBadRequest(exc.message)
    return _download(result, fmt, _("Custom report"))


@require_POST
@requires(VIEW, "reports.add_savedreport")
def custom_report_save(request):
    try:
        definition = json.loads(request.POST.get("definition") or "{}")
        _check_source(request.user, definition)
        report = saved_report_save(user=request.user, name=request.POST.get("name", ""), definition=definition,
                                   share_with=request.POST.getlist("share"))
    except (ValueError, UserFacingError) as exc:
        messages.error(request, getattr(exc, "message", _("The report could not be read.")))
        return redirect(reverse("custom-report-builder") + "?" + request.POST.get("query", ""))
    messages.success(request, _("Report “%(name)s” saved.") % {"name": report.name})
    return redirect("custom-report-detail", pk=report.pk)


@requires(VIEW)
def custom_report_list(request):
    reports = saved_reports_visible(user=request.user)
    return render(request, "reports/custom_list.html", {"reports": reports})


@requires(VIEW)
def custom_report_detail(request, pk: int):
    report = get_object_or_404(saved_reports_visible(user=request.user), pk=pk)
    _check_source(request.user, report.definition)
    context = _builder_context(request, {**report.definition}, run=True)
    context.update(report=report, is_owner=report.owner_id == request.user.pk,
                   shared=[_role_label(g.name) for g in report.shared_with_groups.all()])
    return render(request, "reports/custom_detail.html", context)


@requires(VIEW)
def custom_report_saved_export(request, pk: int):
    report = get_object_or_404(saved_reports_visible(user=request.user), pk=pk)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in CONTENT_TYPES:
        return HttpResponseBadRequest(_("Unknown format; use xlsx, csv or pdf."))
    _check_source(request.user, report.definition)
    try:
        result = report_run(report.definition)
    except ReportDefinitionError as exc:
        return HttpResponseBadRequest(exc.message)
    return _download(result, fmt, report.name)


@require_POST
@requires(VIEW, "reports.delete_savedreport")
def custom_report_delete(request, pk: int):
    report = get_object_or_404(saved_reports_visible(user=request.user), pk=pk)
    try:
        saved_report_delete(user=request.user, report=report)
    except UserFacingError as exc:
        messages.error(request, exc.message)
        return redirect("custom-report-detail", pk=pk)
    messages.success(request, _("Report deleted."))
    return redirect("custom-report-list")


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@requires(VIEW)
def analysis(request, code: str):
    if code not in ANALYSES:
        return HttpResponseBadRequest(_("Unknown analysis."))
    title, build, permission = ANALYSES[code]
    if not request.user.has_perm(permission):
        raise PermissionDenied
    if code == "collection":
        params = {"today": _date(request.GET.get("today")), "platform": request.GET.get("platform", "").strip(),
                  "shop": request.GET.get("shop", "").strip()}
    else:
        params = {"date_from": _date(request.GET.get("date_from")), "date_to": _date(request.GET.get("date_to"))}
    tables = build(**params)
    fmt = request.GET.get("format")
    if fmt:
        if fmt not in CONTENT_TYPES:
            return HttpResponseBadRequest(_("Unknown format; use xlsx, csv or pdf."))
        body = {"xlsx": tables_xlsx, "csv": tables_csv}.get(fmt)
        content = body(tables) if body else tables_pdf(tables, title=str(title))
        response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="analysis-{code}.{fmt}"'
        return response
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "reports/analysis.html", {
        "code": code, "title": title, "tables": tables_display(tables), "params": params,
        "query": query.urlencode(), "analyses": [(c, t) for c, (t, _b, p) in ANALYSES.items() if request.user.has_perm(p)],
    })
