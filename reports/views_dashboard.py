"""The dashboard (the home page after login, per role) and the manager's period summary as a PDF download."""
from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from recon.core.models import Counterparty, Discrepancy
from recon.core.permissions import requires

from . import dashboard as d
from .charts import Series, bar_chart, line_chart


def dashboard_charts(figures: d.Figures) -> dict:
    """The dashboard's charts, drawn by the same functions for the page and the PDF."""
    labels = [t["month"] for t in figures.trend]
    trend = line_chart(labels=labels, series=[
        Series(_("At stake"), [t["at_stake"] for t in figures.trend], [t["url"] for t in figures.trend]),
        Series(_("Recovered"), [t["recovered"] for t in figures.trend], [t["url"] for t in figures.trend]),
    ], title=_("Money at stake by month"))
    rated = [c for c in figures.counterparties if c["overcharge_rate"] is not None]
    overcharge = bar_chart(labels=[c["label"] for c in rated], series=[
        Series(_("Overcharge rate"), [c["overcharge_rate"] for c in rated], [c["url"] for c in rated]),
    ], value_format="percent", height=220, title=_("Overcharge rate by counterparty"))
    status_labels = dict(Discrepancy.Status.choices)
    types = bar_chart(labels=[t["type_label"] for t in figures.types], series=[
        Series(str(status_labels[s]), [t["counts"][s] for t in figures.types], [t["status_urls"][s] for t in figures.types])
        for s in figures.statuses
    ], stacked=True, value_format="count", height=280, title=_("Discrepancies by type and status"))
    return {"trend": trend, "overcharge": overcharge, "types": types}


def _scope(request):
    """The month and counterparty a request asks for; a message when either is not valid."""
    raw = request.GET.get("period", "").strip()
    try:
        month = d.month_first(raw) if raw else None
    except ValueError:
        return None, None, _("Enter a month as YYYY-MM.")
    code = request.GET.get("counterparty", "").strip()
    counterparty = None
    if code:
        counterparty = Counterparty.objects.filter(code__iexact=code).order_by("id").first()
        if counterparty is None:
            return None, None, _("Unknown counterparty: %(code)s") % {"code": code}
    return month, counterparty, ""


@requires("recon.view_reconrun")
def dashboard(request):
    month, counterparty, error = _scope(request)
    months, default = d.period_months()
    if error:
        counterparty = None
    month = month if month and not error else default
    role = d.dashboard_role(request.user)
    figures = d.dashboard_figures(month=month, counterparty=counterparty)
    context = {
        "role": role, "figures": figures, "charts": dashboard_charts(figures), "error": error,
        "months": months, "month": figures.month,
        "oldest": d.oldest_open(), "failed": d.failed_runs(),
        "oldest_url": d.queue_url(status=["open", "investigating"], ordering="created_at"),
        "failed_url": f"{reverse('run-list')}?status=failed",
        # Every kind's latest runs (a deleted bill counts for nothing), and the month's money per counterparty: the
        # card each role sees, whose counts are those of the lists it links to.
        "runs": d.latest_runs(), "stakes": figures.counterparties,
    }
    if role == "money":
        receivables = d.receivables_by_age(timezone.localdate())
        context["receivables"] = receivables
        if receivables:
            context["receivables_chart"] = bar_chart(
                labels=[r["bucket"] for r in receivables], series=[Series(_("Receivables"), [r["amount"] for r in receivables])],
                height=220, title=_("Receivables by age"))
        context["pdf_url"] = f"{reverse('reports-summary-pdf')}?period={figures.month}"
    else:
        context["assigned"] = d.assigned_open_count(request.user)
        context["assigned_url"] = d.queue_url(assignee="me", status=["open", "investigating"])
    return render(request, "reports/dashboard.html", context)


@requires("recon.view_discrepancy")
def summary_pdf(request):
    """The manager's summary of a month as a PDF download (the dashboard's 下载本期 PDF 摘要)."""
    from .pdf import PdfUnavailable, period_summary_pdf

    month, counterparty, error = _scope(request)
    if error:
        return HttpResponseBadRequest(error)
    # Without a month, the one the dashboard opens on.
    month = month or d.period_months()[1]
    try:
        content = period_summary_pdf(period=d.month_label(month), counterparty=counterparty.code if counterparty else None)
    except PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    name = f"summary-{d.month_label(month)}{'-' + counterparty.code if counterparty else ''}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
