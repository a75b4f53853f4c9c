"""Disputes in the browser: the list, one dispute with its answers, and a new dispute from the queue's filter."""
from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.db.models import Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from recon.disputes.services import discrepancies_from_query, dispute_create, dispute_selection, left_out_message
from recon.disputes.replies import dispute_answer_record, dispute_reply_import
from recon.disputes.sheets import dispute_totals_by_type
from recon.disputes.filters import DisputeFilter
from recon.core.errors import UserFacingError
from recon.core.models import AuditEvent, Dispute, DisputeItem
from recon.core.permissions import requires
from recon.web.views import kg, paginate, style_filter_form

VIEW = "recon.view_dispute"
MANAGE = "recon.manage_dispute"
ITEMS_PER_PAGE = 100


class DisputeNewForm(forms.Form):
    query = forms.CharField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note for the courier"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}), help_text=gettext_lazy("Printed on the cover sheet of the dispute file."),
    )


class ReplyUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Courier's reply"),
        help_text=gettext_lazy("Our dispute file with 确认退款金额 filled in, or the courier's own CSV or XLSX with 运单号 and the agreed amount."),
    )
    refused_to = forms.ChoiceField(
        label=gettext_lazy("Refused items go"), widget=forms.RadioSelect, initial="queue",
        choices=[("queue", gettext_lazy("back to the queue")), ("accepted", gettext_lazy("to accepted (the charge stands)"))],
    )


def _answer_summary(result: dict) -> str:
    text = _("%(n)d answers recorded: %(full)d credited in full, %(partial)d partly, %(refused)d refused; ¥%(recovered)s recovered.") % {
        "n": result["answered"], "full": result["credited"], "partial": result["partial"], "refused": result["refused"],
        "recovered": result["recovered"],
    }
    # Skipped rows also list each sheet's totals row (no waybill): those are not items left unanswered.
    unanswered = sum(1 for row in result.get("skipped") or [] if row.get("waybill_no"))
    if unanswered:
        text += " " + _("%(n)d rows had no amount and were left unanswered.") % {"n": unanswered}
    return text


@requires(VIEW)
def dispute_list(request):
    filterset = DisputeFilter(request.GET, queryset=Dispute.objects.select_related("counterparty", "created_by"))
    style_filter_form(filterset.form, courier="courier")
    qs = filterset.qs
    totals = qs.aggregate(claimed=Sum("amount_claimed"), credited=Sum("amount_credited"), items=Sum("item_count"))
    page = paginate(request, qs, 50)
    return render(request, "recon/dispute_list.html", {"filter": filterset, "page_obj": page, "totals": totals})


@requires(MANAGE)
def dispute_new(request):
    """What a dispute from the queue's current filter would hold; confirming creates it and its file."""
    if request.method == "POST":
        form = DisputeNewForm(request.POST)
        query = request.POST.get("query", "")
    else:
        query = request.META.get("QUERY_STRING", "")
        form = DisputeNewForm(initial={"query": query})
    selection, problem = None, None
    try:
        selection = dispute_selection(discrepancies=discrepancies_from_query(query=query, user=request.user), user=request.user)
        problem = selection.problem
    except UserFacingError as exc:
        problem = exc
    if request.method == "POST" and form.is_valid() and problem is None:
        try:
            dispute = dispute_create(
                discrepancies=discrepancies_from_query(query=query, user=request.user), user=request.user,
                note=form.cleaned_data["note"],
            )
        except UserFacingError as exc:
            problem = exc
        else:
            text = _("Dispute %(number)s created with %(n)d items, ¥%(amount)s claimed.") % {
                "number": dispute.number, "n": dispute.item_count, "amount": f"{dispute.amount_claimed:.2f}"}
            left = left_out_message(dispute.left_out)
            messages.success(request, f"{text} {left}".strip())
            return redirect("dispute-detail", pk=dispute.pk)
    return render(request, "recon/dispute_new.html", {
        "form": form, "selection": selection, "problem": problem, "query": query,
        "queue_url": reverse("discrepancy-list") + (f"?{query}" if query else ""),
    }, status=400 if request.method == "POST" else 200)


def _detail(request, dispute: Dispute, *, reply_form=None, answer_errors=None, entered=None, status=200):
    items = DisputeItem.objects.filter(dispute=dispute).select_related("discrepancy").order_by("-amount_claimed", "id")
    page = paginate(request, items, ITEMS_PER_PAGE, count=dispute.item_count)
    rows = list(page)
    errors_by_item = {}
    for error in (answer_errors or []):
        if error.get("item_id"):
            errors_by_item.setdefault(error["item_id"], []).append(error["message"])
    entered = entered or {}
    for item in rows:
        d = item.discrepancy
        item.billed_kg, item.expected_kg = kg(d.details.get("billed_weight_g")), kg(d.details.get("expected_weight_g"))
        item.errors = errors_by_item.get(item.id, [])
        item.entered_credited, item.entered_note = entered.get(item.id, ("", ""))
    return render(request, "recon/dispute_detail.html", {
        "dispute": dispute, "by_type": dispute_totals_by_type(dispute=dispute), "page_obj": page, "items": rows,
        "reply_form": reply_form or ReplyUploadForm(), "answer_errors": answer_errors or [],
        "pending": sum(1 for i in rows if i.answer == DisputeItem.Answer.PENDING),
        "can_manage": request.user.has_perm(MANAGE), "refused_to": request.POST.get("refused_to") or "queue",
        "reply_name": PurePath(dispute.reply_file.name).name if dispute.reply_file else "",
        "history": AuditEvent.objects.filter(object_type="dispute", object_id=dispute.id).order_by("-at", "-id"),
    }, status=status)


def _get(pk: int) -> Dispute:
    return get_object_or_404(Dispute.objects.select_related("counterparty", "period", "created_by"), pk=pk)


@requires(VIEW)
def dispute_detail(request, pk: int):
    return _detail(request, _get(pk))


@requires(VIEW)
def dispute_file(request, pk: int):
    dispute = _get(pk)
    if not dispute.file:
        raise Http404
    return FileResponse(dispute.file.open("rb"), as_attachment=True, filename=f"{dispute.number}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@requires(MANAGE)
@require_POST
def dispute_answers(request, pk: int):
    """Credited amounts typed per item (0 = refused); all recorded or none."""
    dispute = _get(pk)
    refused_to = request.POST.get("refused_to") or "queue"
    ids = [int(k.removeprefix("credited_")) for k in request.POST if k.startswith("credited_") and k[9:].isdigit()]
    items = {i.id: i for i in DisputeItem.objects.filter(dispute=dispute, id__in=ids).select_related("discrepancy")}
    answers, row_item, entered = [], {}, {}
    for item_id in sorted(items, key=ids.index):
        credited = request.POST.get(f"credited_{item_id}", "").strip()
        note = request.POST.get(f"note_{item_id}", "").strip()
        entered[item_id] = (credited, note)
        if credited:
            answers.append({"discrepancy_id": items[item_id].discrepancy_id, "credited": credited, "note": note, "row": len(answers) + 1})
            row_item[len(answers)] = item_id
    if not answers:
        messages.error(request, _("Enter a credited amount for at least one item (0 when the courier refused)."))
        return redirect("dispute-detail", pk=dispute.pk)
    try:
        result = dispute_answer_record(dispute=dispute, answers=answers, refused_to=refused_to, user=request.user)
    except UserFacingError as exc:
        # Rows here are positions in the form, not file rows: the error is shown next to its item instead.
        errors = [{**e, "item_id": row_item.get(e.get("row")), "row": None} for e in exc.details.get("errors", [])]
        if not errors:
            errors = [{"message": exc.message}]
        return _detail(request, dispute, answer_errors=errors, entered=entered, status=exc.http_status)
    messages.success(request, _answer_summary(result))
    return redirect("dispute-detail", pk=dispute.pk)


@requires(MANAGE)
@require_POST
def dispute_reply(request, pk: int):
    """Import the courier's reply file: every readable row recorded, or none with the rows that stop it."""
    dispute = _get(pk)
    form = ReplyUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, dispute, reply_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = dispute_reply_import(
            dispute=dispute, file=upload, filename=upload.name, refused_to=form.cleaned_data["refused_to"], user=request.user,
        )
    except UserFacingError as exc:
        form.add_error("file", exc.message)
        return _detail(request, dispute, reply_form=form, answer_errors=exc.details.get("errors", []), status=exc.http_status)
    messages.success(request, _answer_summary(result))
    return redirect("dispute-detail", pk=dispute.pk)

