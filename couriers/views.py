"""Browser pages for courier bills (upload, lines, rejected rows) and rate cards."""
from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Max
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from recon.core.db import yuan_of
from recon.core.errors import UserFacingError
from recon.core.models import AuditEvent
from recon.web.views import Column, kg, paginate, sort_headers, style_filter_form
from recon.sources.views import rejected_rows_csv, rejected_rows_page

from .filters import CourierBillFilter, CourierBillLineFilter, RateCardFilter
from .forms import BillUploadForm, RateCardImportForm
from .models import CourierBill, CourierBillLine, RateCard
from .selectors import bill_affected_runs, rate_card_explain, rate_card_fee_table
from .services import (
    courier_bill_delete, courier_bill_rerun, courier_bill_rerun_affected, courier_bill_restore, courier_bill_submit, rate_card_import,
)
from recon.core.permissions import requires

# Service errors that belong next to a particular field; all others are about the file.
ERROR_FIELDS = {"invalid_period": "period", "period_mismatch": "period", "columns_uncertain": "file", "bill_exists": "mode", "replace_which": "replaces", "replace_not_current": "replaces",
                "invalid_mode": "mode", "unknown_courier": "courier", "invalid_dates": "effective_to", "invalid_divisor": "volumetric_divisor"}


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _add_service_error(form, exc: UserFacingError) -> None:
    field = ERROR_FIELDS.get(exc.code, "file")
    form.add_error(field if field in form.fields else None, exc.message)


# --------------------------------------------------------------------------- bills


@requires("couriers.upload_bill")
def bill_upload(request):
    """Store the upload and queue its run; answers JSON to the page's XHR upload, redirects otherwise."""
    if request.method == "POST":
        form = BillUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                submission = courier_bill_submit(
                    file=upload, filename=upload.name, courier=form.cleaned_data["courier"],
                    period=form.cleaned_data["period"], user=request.user, mapping=form.mapping(),
                    mode=form.cleaned_data.get("mode") or "", replaces=form.cleaned_data.get("replaces"),
                    confirm_period=form.cleaned_data["confirm_period"], confirm_columns=form.cleaned_data["confirm_columns"],
                )
            except UserFacingError as exc:
                _add_service_error(form, exc)
            else:
                if submission.duplicate and submission.run is not None and submission.run.status == "failed":
                    messages.warning(request, _("This file was uploaded before and its run failed; you can run it again below."))
                elif submission.duplicate:
                    messages.info(request, _("This file was uploaded before; here is what it gave."))
                if submission.run is not None:
                    url = reverse("run-detail", args=[submission.run.pk])
                else:
                    url = reverse("bill-detail", args=[submission.bill.pk])
                if _wants_json(request):
                    return JsonResponse({"redirect": url})
                return redirect(url)
        if _wants_json(request):
            return JsonResponse({"errors": {k: [str(m) for m in v] for k, v in form.errors.items()}}, status=400)
    else:
        form = BillUploadForm(initial={k: request.GET[k] for k in ("courier", "period") if request.GET.get(k)})
    advanced_open = request.GET.get("advanced") == "1" or form.mapping_given()
    return render(request, "couriers/bill_upload.html", {"form": form, "advanced_open": advanced_open})


@require_POST
@requires("couriers.upload_bill")
def bill_inspect(request):
    """The head of a chosen file, previewed for the upload page: suggested courier and period, columns; stores nothing."""
    from recon.sources.uploads import stage_upload

    from .forms import BILL_FIELD_LABELS
    from .models import Courier
    from .suggest import bill_inspect as inspect_file

    upload = request.FILES.get("file")
    code = request.POST.get("courier", "").strip()
    courier = Courier.objects.filter(code=code, active=True).first() if code else None
    typed = {name: request.POST[f"map_{name}"].strip() for name in BILL_FIELD_LABELS if request.POST.get(f"map_{name}", "").strip()}
    try:
        if upload is None:
            raise UserFacingError("no_file", _("Choose the bill file."))
        staged = stage_upload(file=upload, filename=upload.name)
        try:
            body = inspect_file(staged=staged, courier=courier, period=request.POST.get("period", "").strip(), typed=typed)
        finally:
            staged.discard()
    except UserFacingError as exc:
        return JsonResponse({"errors": {"file": [exc.message]}, "code": exc.code}, status=exc.http_status)
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


BILL_COLUMNS = [
    Column("#", num=True),
    Column(gettext_lazy("Courier")),
    Column(gettext_lazy("Period"), "period_start", desc_first=True),
    Column(gettext_lazy("File")),
    Column(gettext_lazy("Lines"), "line_count", num=True, desc_first=True),
    Column(gettext_lazy("Rejected"), num=True),
    Column(gettext_lazy("Billed total"), "billed_total", num=True, desc_first=True),
    Column(gettext_lazy("Uploaded"), "uploaded_at", desc_first=True),
    Column(gettext_lazy("By")),
    Column(gettext_lazy("Latest run")),
]


@requires("couriers.view_courierbill")
def bill_list(request):
    bills = CourierBill.objects.select_related("courier", "uploaded_by").annotate(last_run_id=Max("runs__id")).order_by("-uploaded_at", "-id")
    show_deleted = request.GET.get("deleted") == "1"
    bills = bills.filter(deleted_at__isnull=not show_deleted)
    filterset = CourierBillFilter(request.GET, queryset=bills)
    style_filter_form(filterset.form, courier="courier", dates=["period_from", "period_to"])
    page = paginate(request, filterset.qs, 50)
    return render(request, "couriers/bill_list.html", {
        "filter": filterset, "page_obj": page, "show_deleted": show_deleted,
        "headers": sort_headers(request, BILL_COLUMNS, "-uploaded_at"),
    })


@requires("couriers.view_courierbill")
def bill_detail(request, pk: int):
    bill = get_object_or_404(CourierBill.objects.select_related("courier", "uploaded_by", "deleted_by", "period"), pk=pk)
    runs = bill.runs.select_related("created_by").order_by("-id")
    info = bill.read_info or {}
    return render(request, "couriers/bill_detail.html", {
        "history": AuditEvent.objects.filter(object_type="courier_bill", object_id=bill.id).order_by("-at", "-id"),
        "locked": bill.period is not None and bill.period.is_closed,
        "bill": bill, "runs": runs, "info": info, "sheets": info.get("sheets") or [], "affected": bill_affected_runs(bill=bill),
        "totals_rows": info.get("totals_rows") or [], "skipped": info.get("skipped_sheets") or [],
    })


@require_POST
@requires("couriers.upload_bill")
def bill_rerun(request, pk: int):
    bill = get_object_or_404(CourierBill, pk=pk)
    try:
        run = courier_bill_rerun(bill=bill, user=request.user)
    except UserFacingError as exc:
        messages.error(request, exc.message)
        return redirect("bill-detail", pk=bill.pk)
    messages.success(request, _("Bill #%(id)s is being reconciled again.") % {"id": bill.pk})
    return redirect("run-detail", pk=run.pk)


@require_POST
@requires("couriers.delete_courierbill")
def bill_delete(request, pk: int):
    bill = get_object_or_404(CourierBill, pk=pk)
    try:
        courier_bill_delete(bill=bill, user=request.user)
    except UserFacingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Bill #%(id)s deleted; a manager can restore it.") % {"id": bill.pk})
        _tell_affected(request, bill)
    return redirect("bill-detail", pk=bill.pk)


def _tell_affected(request, bill: CourierBill) -> None:
    runs = bill_affected_runs(bill=bill)
    if runs:
        messages.warning(request, _("Runs %(runs)s of other bills counted this bill as it was before; run them again from this page.")
                         % {"runs": ", ".join(f"#{r.pk}" for r in runs)})


@require_POST
@requires("couriers.upload_bill")
def bill_rerun_affected(request, pk: int):
    bill = get_object_or_404(CourierBill, pk=pk)
    try:
        runs = courier_bill_rerun_affected(bill=bill, user=request.user)
    except UserFacingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(n)d bill(s) are being reconciled again: runs %(runs)s.")
                         % {"n": len(runs), "runs": ", ".join(f"#{r.pk}" for r in runs)})
    return redirect("bill-detail", pk=bill.pk)


@require_POST
@requires("couriers.restore_bill")
def bill_restore(request, pk: int):
    bill = get_object_or_404(CourierBill, pk=pk)
    try:
        courier_bill_restore(bill=bill, user=request.user)
    except UserFacingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Bill #%(id)s restored.") % {"id": bill.pk})
        _tell_affected(request, bill)
    return redirect("bill-detail", pk=bill.pk)


LINE_COLUMNS = [
    Column(gettext_lazy("Line"), "line_no", num=True),
    Column(gettext_lazy("Sheet / row")),
    Column(gettext_lazy("Waybill"), "waybill_no"),
    Column(gettext_lazy("Pickup time")),
    Column(gettext_lazy("Province billed / ours")),
    Column(gettext_lazy("Billed weight (kg)"), "billed_weight_g", num=True, desc_first=True),
    Column(gettext_lazy("Our weight (kg)"), num=True),
    Column(gettext_lazy("Billed fee"), "billed_fee", num=True, desc_first=True),
    Column(gettext_lazy("Expected fee"), num=True),
    Column(gettext_lazy("Result")),
]


@requires("couriers.view_courierbillline")
def bill_lines(request, pk: int):
    bill = get_object_or_404(CourierBill.objects.select_related("courier"), pk=pk)
    filterset = CourierBillLineFilter(request.GET, queryset=CourierBillLine.objects.filter(bill=bill))
    style_filter_form(filterset.form, checkboxes=["result"])
    page = paginate(request, filterset.qs, 100)
    rows = list(page)
    for line in rows:
        line.billed_kg, line.our_kg = kg(line.billed_weight_g), kg(line.our_weight_g)
    return render(request, "couriers/bill_lines.html", {
        "bill": bill, "filter": filterset, "page_obj": page, "rows": rows,
        "headers": sort_headers(request, LINE_COLUMNS, "line_no"),
    })


@requires("recon.view_rejectedrow")
def bill_rejected(request, pk: int):
    bill = get_object_or_404(CourierBill.objects.select_related("courier"), pk=pk)
    return render(request, "couriers/bill_rejected.html", {"bill": bill, **rejected_rows_page(request, bill)})


@requires("recon.view_rejectedrow")
def bill_rejected_download(request, pk: int):
    """The rejected rows as CSV, so the clerk can fix them in Excel and ask the courier."""
    bill = get_object_or_404(CourierBill, pk=pk)
    return rejected_rows_csv(bill, filename=f"bill-{bill.pk}-rejected.csv")


# --------------------------------------------------------------------------- rate cards


RATE_CARD_COLUMNS = [
    Column("#", num=True),
    Column(gettext_lazy("Courier")),
    Column(gettext_lazy("Name")),
    Column(gettext_lazy("Effective from"), "effective_from", desc_first=True),
    Column(gettext_lazy("Effective to")),
    Column(gettext_lazy("Provinces"), num=True),
    Column(gettext_lazy("Volumetric divisor"), num=True),
    Column(gettext_lazy("Weight tolerance (g)"), num=True),
    Column(gettext_lazy("Fee tolerance (fen)"), num=True),
    Column(gettext_lazy("Source file")),
]


@requires("couriers.view_ratecard")
def ratecard_list(request):
    cards = RateCard.objects.select_related("courier").annotate(provinces=Count("zones")).order_by("courier__code", "-effective_from", "-id")
    filterset = RateCardFilter(request.GET, queryset=cards)
    style_filter_form(filterset.form, courier="courier")
    page = paginate(request, filterset.qs, 50)
    # Unsorted, the list goes by courier then newest card first: no single column is the sort.
    return render(request, "couriers/ratecard_list.html", {
        "filter": filterset, "page_obj": page, "headers": sort_headers(request, RATE_CARD_COLUMNS, ""),
    })


@requires("couriers.view_ratecard")
def ratecard_detail(request, pk: int):
    card = get_object_or_404(RateCard.objects.select_related("courier", "created_by").prefetch_related("bands", "zones"), pk=pk)
    tables = rate_card_fee_table(card=card)
    for table in tables:
        table["bounds_kg"] = [kg(b) for b in table["bounds"]]
        for row in table["rows"]:
            row["step_kg"] = kg(row["step_g"])
    return render(request, "couriers/ratecard_detail.html", {
        "card": card, "tables": tables, "fee_tolerance": yuan_of(card.fee_tolerance_fen),
        "weight_tolerance_kg": kg(card.weight_tolerance_g),
        "history": AuditEvent.objects.filter(object_type="rate_card", object_id=card.id).order_by("-at", "-id"),
    })


@requires("couriers.add_ratecard")
def ratecard_import(request):
    if request.method == "POST":
        form = RateCardImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                card = rate_card_import(
                    file=data["file"], filename=data["file"].name, courier=data["courier"],
                    effective_from=data["effective_from"], effective_to=data["effective_to"],
                    volumetric_divisor=data["volumetric_divisor"], weight_tolerance_g=data["weight_tolerance_g"],
                    fee_tolerance_fen=data["fee_tolerance_fen"], name=data["name"], user=request.user,
                )
            except UserFacingError as exc:
                _add_service_error(form, exc)
            else:
                messages.success(request, _("Rate card imported: %(n)d provinces.") % {"n": card.zones.count()})
                return redirect("ratecard-detail", pk=card.pk)
    else:
        form = RateCardImportForm(initial={"courier": request.GET.get("courier")})
    return render(request, "couriers/ratecard_import.html", {"form": form})


# --------------------------------------------------------------------------- the courier part of a discrepancy's page


def discrepancy_detail_context(d, request) -> dict:
    """What templates/couriers/_discrepancy_detail.html shows: the bill line, our shipment, the rate-card arithmetic."""
    from orders.masking import can_see_personal_data, mask_address, mask_name, mask_phone
    from orders.models import Shipment

    details = d.details or {}
    arithmetic = [
        (_("Card price for the billed weight to the billed province"), yuan_of(details.get("fee_billed_fen"))),
        (_("Card price for the billed weight to our province"), yuan_of(details.get("fee_zone_fen"))),
        (_("Card price for our weight to our province"), yuan_of(details.get("fee_ours_fen"))),
    ]
    card_id = details.get("card_id")
    billed_g, our_g = details.get("billed_weight_g"), details.get("expected_weight_g")
    billed_prov, our_prov = details.get("billed_province") or "", details.get("expected_province") or ""
    steps = []
    if card_id:
        if billed_g is not None and billed_prov:
            steps.append((_("Billed weight to the billed province"), rate_card_explain(card_id=card_id, weight_g=billed_g, province=billed_prov)))
        if billed_g is not None and our_prov and our_prov != billed_prov:
            steps.append((_("Billed weight to our province"), rate_card_explain(card_id=card_id, weight_g=billed_g, province=our_prov)))
        if our_g is not None and our_prov and our_g != billed_g:
            steps.append((_("Our weight to our province"), rate_card_explain(card_id=card_id, weight_g=our_g, province=our_prov)))
    shipment = Shipment.objects.select_related("courier").filter(pk=details.get("shipment_id") or 0).first()
    line = CourierBillLine.objects.select_related("bill").filter(pk=details.get("bill_line_id") or 0).first()
    recipient = None
    if shipment is not None and (shipment.recipient_name or shipment.recipient_phone or shipment.recipient_address):
        if can_see_personal_data(request.user):
            recipient = (shipment.recipient_name, shipment.recipient_phone, shipment.recipient_address)
        else:
            recipient = (mask_name(shipment.recipient_name), mask_phone(shipment.recipient_phone), mask_address(shipment.recipient_address))
    return {
        "line": line, "shipment": shipment, "recipient": recipient,
        "billed_kg": kg(billed_g), "expected_kg": kg(our_g),
        "our_weight_kg": kg(shipment.weight_g) if shipment else "",
        "arithmetic": [row for row in arithmetic if row[1] is not None], "steps": steps, "card_id": card_id,
    }
