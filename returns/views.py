"""Browser pages for returns: the overview, a return's page, the upload, the lists of requests and receipts, and an uploaded file's rejected rows."""
from __future__ import annotations

from datetime import datetime, time as dtime
from types import SimpleNamespace

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from recon.core.errors import UserFacingError
from recon.core.models import ReconPeriod
from recon.core.permissions import requires
from recon.periods.services import period_check_open
from recon.sources.views import rejected_rows_views
from recon.web.views import paginate, style_filter_form

from .filters import ReturnReceiptFilter, ReturnRequestFilter
from .forms import ReturnsOverviewForm, ReturnsReconcileForm, ReturnsUploadForm
from .models import ReturnReceipt, ReturnRequest
from .runs import returns_reconcile
from .selectors import last_month, return_detail, returns_grace_days, returns_overview
from .services import FILE_KINDS, returns_file_import

REJECTED_SHOWN = 1000
KIND_LABELS = {"requests": gettext_lazy("Return requests"), "receipts": gettext_lazy("Warehouse receipts"),
               "freight": gettext_lazy("Return freight")}


@requires("returns.add_returnrequest", "returns.add_returnreceipt", "returns.add_returnfreightline")
def returns_upload(request):
    """Import a file and show what happened on the same page: the counts, then every rejected row with its reason."""
    result = None
    if request.method == "POST":
        form = ReturnsUploadForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                imported = returns_file_import(file=d["file"], filename=d["file"].name, kind=d["kind"],
                                               courier=d["courier"], user=request.user, mapping=form.mapping(),
                                               confirm_columns=d["confirm_columns"])
            except UserFacingError as exc:
                form.add_error("file", exc.message)
            else:
                result = {**imported.as_dict(), "filename": d["file"].name, "kind": KIND_LABELS[d["kind"]],
                          "repeated": imported.repeated,
                          "rejected_rows": imported.rejected_rows.head(REJECTED_SHOWN).to_dict("records")}
                form = ReturnsUploadForm(initial={"kind": d["kind"]})
    else:
        form = ReturnsUploadForm()
    return render(request, "returns/upload.html", {"form": form, "result": result, "shown": REJECTED_SHOWN})


@require_POST
@requires("returns.add_returnrequest", "returns.add_returnreceipt", "returns.add_returnfreightline")
def returns_inspect(request):
    """The head of a chosen returns file, previewed for the upload page: its columns per field; stores nothing."""
    from couriers.models import Courier
    from recon.sources.preview import inspect_error_body
    from recon.sources.uploads import stage_upload

    from .forms import MAPPED_FIELDS
    from .selectors import SPECS, returns_field_labels, returns_file_inspect

    kind = request.POST.get("kind", "").strip()
    if kind not in SPECS:
        return JsonResponse({"errors": {"kind": [gettext("Choose the kind of file.")]}, "code": "invalid_kind"}, status=400)
    code = request.POST.get("courier", "").strip()
    courier = Courier.objects.filter(code=code, active=True).first() if code and kind == "freight" else None
    typed = {name: request.POST[f"map_{name}"].strip() for name in MAPPED_FIELDS if request.POST.get(f"map_{name}", "").strip()}
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise UserFacingError("no_file", gettext("Choose the file."))
        staged = stage_upload(file=upload, filename=upload.name)
        try:
            body = returns_file_inspect(staged=staged, kind=kind, courier=courier, typed=typed)
        finally:
            staged.discard()
    except UserFacingError as exc:
        return JsonResponse(inspect_error_body(exc, returns_field_labels(kind)), status=exc.http_status,
                            json_dumps_params={"ensure_ascii": False})
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@requires("returns.view_returnrequest")
def return_request_list(request):
    filterset = ReturnRequestFilter(request.GET, queryset=ReturnRequest.objects.select_related("return_courier").order_by("-requested_at", "id"))
    style_filter_form(filterset.form, dates=["requested_from", "requested_to"])
    page = paginate(request, filterset.qs, 50)
    return render(request, "returns/request_list.html", {"filter": filterset, "page_obj": page})


@requires("returns.view_returnreceipt")
def return_receipt_list(request):
    filterset = ReturnReceiptFilter(request.GET, queryset=ReturnReceipt.objects.order_by("-received_at", "id"))
    style_filter_form(filterset.form)
    page = paginate(request, filterset.qs, 50)
    return render(request, "returns/receipt_list.html", {"filter": filterset, "page_obj": page})


returns_file_rejected, returns_file_rejected_download = rejected_rows_views(
    file_kinds=FILE_KINDS, download_url_name="returns-file-rejected-download", csv_name="returns-file",
    back_url_name="return-overview", back_label=gettext_lazy("Returns"))


def _overview_context(request, *, run_form: ReturnsReconcileForm | None = None) -> dict:
    today = timezone.localdate()
    start, end = last_month(today)
    grace = returns_grace_days()
    initial = {"start": start, "end": end, "as_of": today, "grace_days": grace}
    form = ReturnsOverviewForm(request.GET or None, initial=initial)
    if request.GET and form.is_valid():
        d = form.cleaned_data
        start, end, today = d["start"], d["end"], d["as_of"]
        grace = grace if d["grace_days"] is None else d["grace_days"]
    if not request.GET:
        form = ReturnsOverviewForm(initial=initial)
    if run_form is None:
        # The run form offers the range on screen, so "reconcile" runs what the clerk is looking at.
        run_form = ReturnsReconcileForm(initial={"start": start, "end": end, "as_of": today, "grace_days": grace})
    overview = returns_overview(start=start, end=end, as_of=today, grace_days=grace)
    return {"filter": SimpleNamespace(form=form), "o": overview, "run_form": run_form}


@requires("returns.view_returnrequest")
def returns_overview_page(request):
    """A range of returns as of a day: how many arrived, wait or are late, and the money the latest run found."""
    return render(request, "returns/overview.html", _overview_context(request))


@require_POST
@requires("returns.view_returnrequest", "couriers.upload_bill")
def returns_reconcile_view(request):
    """Start a returns run for a range from the overview, then follow it on the run's page."""
    form = ReturnsReconcileForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            # The run checks closed periods again when it saves; refusing here spares the clerk a failed run.
            closed = ReconPeriod.objects.filter(start=d["start"], end=d["end"], status=ReconPeriod.Status.CLOSED)
            period_check_open(closed.select_related("counterparty").order_by("counterparty__code").first())
            as_of = timezone.make_aware(datetime.combine(d["as_of"], dtime(12)))
            [run] = returns_reconcile(counterparty_code="", start=d["start"], end=d["end"], as_of=as_of, user=request.user,
                                      enqueue=True, grace_days=d["grace_days"])
        except UserFacingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("Returns reconciliation started as run #%(id)s.") % {"id": run.pk})
            return redirect("run-detail", pk=run.pk)
    return render(request, "returns/overview.html", _overview_context(request, run_form=form), status=400)


@requires("returns.view_returnrequest")
def return_detail_page(request, return_no: str):
    """One return: what was asked, what arrived, what the courier billed, and what the reconciliation found."""
    found = return_detail(return_no=return_no)
    if found is None:
        raise Http404
    return render(request, "returns/return_detail.html", {"r": found})
