"""Receivables pages (回款管理): the orders whose money has not come in, their follow-up, the export, and the
collection rates."""
from __future__ import annotations

import io
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.models import Order, Platform
from recon.core.permissions import requires
from recon.core.writers import rows_to_csv_bytes, xlsx_workbook
from recon.web.views import paginate, style_filter_form

from .models import ReceivableFollowUp
from .receivables import (AGE_BUCKETS, SHANGHAI, ReceivableFilter, age_days, collection_rates, month_bounds_text,
                          receivable_summary, receivables, sales_and_collections, shanghai_today)
from .services_receivables import receivable_follow_up_set

READ = ("orders.view_order", "payments.view_settlementline")
PER_PAGE = 50
AGE_LABELS = {code: label for code, label, _low, _high in AGE_BUCKETS}


class FollowUpForm(forms.Form):
    order = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=ReceivableFollowUp.Status.choices)
    note = forms.CharField(required=False, max_length=2000, widget=forms.TextInput)


def _filtered(request):
    today = shanghai_today()
    filterset = ReceivableFilter(request.GET, queryset=receivables(today=today))
    style_filter_form(filterset.form)
    platforms = Platform.objects.order_by("code").values_list("code", "name")
    filterset.form.fields["platform"].widget = forms.Select(
        choices=[("", _("All platforms"))] + [(code, f"{code} {name}") for code, name in platforms])
    return filterset, today


def _query(params, **changes) -> str:
    """The current filter with some values replaced (and the page dropped): the summary's and the export's links."""
    values = {k: v for k, v in params.items() if k != "page" and v}
    values.update(changes)
    return urlencode({k: v for k, v in values.items() if v})


@requires(*READ)
def receivable_list(request):
    """The summary by platform and age, then the filtered receivables, oldest first, each with its follow-up form."""
    filterset, today = _filtered(request)
    queryset = filterset.qs
    summary = receivable_summary(queryset)
    params = request.GET.dict()
    for row in summary:
        row["link"] = "?" + _query(params, platform=row["code"], age="")
        row["cells"] = [(code, {**cell, "link": "?" + _query(params, platform=row["code"], age=code)})
                        for code, cell in row["cells"]]
    page = paginate(request, queryset, PER_PAGE, count=sum(row["count"] for row in summary))
    can_follow_up = request.user.has_perm("payments.follow_up_receivable")
    for order in page:
        order.age_days = age_days(order.paid_at, today)
        order.status_label = ReceivableFollowUp.Status(order.follow_up_status).label
        follow_up = order.follow_up if hasattr(order, "follow_up") else None
        order.note = follow_up.note if follow_up else ""
        if can_follow_up:
            order.form = FollowUpForm(initial={"order": order.pk, "status": order.follow_up_status, "note": order.note},
                                      prefix=f"o{order.pk}")
    return render(request, "payments/receivables.html", {
        "filter": filterset, "page_obj": page, "summary": summary, "buckets": AGE_BUCKETS, "today": today,
        "export_query": _query(params), "can_follow_up": can_follow_up, "next": request.get_full_path(),
    })


@require_POST
@requires("payments.follow_up_receivable")
def receivable_follow_up(request):
    """Set one order's follow-up status and note, then go back to the list as it was."""
    order_id = request.POST.get("order", "")
    prefix = f"o{order_id}" if order_id.isdigit() else None
    form = FollowUpForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return HttpResponse(_("The follow-up was not saved: choose a status."), status=400)
    order = get_object_or_404(Order.objects.select_related("platform"), pk=form.cleaned_data["order"])
    receivable_follow_up_set(order=order, status=form.cleaned_data["status"], note=form.cleaned_data["note"].strip(),
                             user=request.user)
    messages.success(request, _("Follow-up of order %(order_no)s saved.") % {"order_no": order.order_no})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("receivable-list")
    return redirect(target)


def export_header() -> list[str]:
    return [_("Order number"), _("Platform"), _("Shop"), _("Paid at"), _("Money due"), _("Settled"), _("Outstanding"),
            _("Age (days)"), _("Age bucket"), _("Follow-up status"), _("Note")]


def export_rows(queryset, today) -> list[list]:
    """The export's rows; amounts as text with two decimals (exact, never through float)."""
    rows = []
    for order in queryset:
        follow_up = order.follow_up if hasattr(order, "follow_up") else None
        rows.append([
            order.order_no, order.platform.code, order.shop, order.paid_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            f"{order.due:.2f}", f"{order.settled:.2f}", f"{order.outstanding:.2f}", age_days(order.paid_at, today),
            str(AGE_LABELS[order.age_bucket]), str(ReceivableFollowUp.Status(order.follow_up_status).label),
            follow_up.note if follow_up else "",
        ])
    return rows


@requires(*READ)
def receivable_export(request, fmt: str):
    """The filtered receivables as CSV or Excel, the columns in the active language."""
    filterset, today = _filtered(request)
    header, rows = export_header(), export_rows(filterset.qs, today)
    stamp = today.strftime("%Y%m%d")
    if fmt == "csv":
        response = HttpResponse(rows_to_csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="receivables-{stamp}.csv"'
        return response
    buffer = io.BytesIO()
    workbook = xlsx_workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(_("Receivables")[:31])
    money = workbook.add_format({"num_format": "0.00"})
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if c in (4, 5, 6):
                # Two-decimal amounts are exact in a double to the fen; Excel keeps numbers as doubles anyway.
                sheet.write_number(r, c, float(value), money)
            else:
                sheet.write(r, c, value)
    workbook.close()
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="receivables-{stamp}.xlsx"'
    return response


@requires(*READ)
def collection_overview(request):
    """The collection rate per platform and month of payment, and sales against collections per month."""
    rates = collection_rates()
    for row in rates:
        row["receivables_link"] = reverse("receivable-list") + "?" + urlencode(
            {"platform": row["platform__code"], "paid_month": row["month"]})
    months = sales_and_collections()
    for row in months:
        first, last = month_bounds_text(row["month"])
        row["sales_link"] = reverse("receivable-list") + "?" + urlencode({"paid_month": row["month"]})
        row["collections_link"] = reverse("settlement-list") + "?" + urlencode(
            {"business_type": "payment", "occurred_from": first, "occurred_to": last})
    return render(request, "payments/receivables_collections.html", {"rates": rates, "months": months})
