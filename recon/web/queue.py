"""The review queue in the browser: the list, its totals, one discrepancy's page and the actions on it, bulk work."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from recon.runs.links import discrepancy_linked
from recon.core.errors import UserFacingError
from recon.review.filters import DiscrepancyFilter
from recon.kinds import ColumnSpec, column_value, kind_spec, kind_specs
from recon.core.models import BulkAction, Discrepancy, ReconPeriod, SavedFilter
from recon.core.permissions import may_work, requires
from recon.review.services import (
    SHORTFALL_DECISIONS,
    discrepancy_assign,
    discrepancy_attachment_add,
    discrepancy_comment_add,
    discrepancy_set_status,
)
from recon.review.bulk import SKIP_REASONS, bulk_action_submit
from recon.review.selectors import (
    assignee_lookup, discrepancy_filter, discrepancy_history, keyset_page, name_assignees, queue_totals, workers,
)
from recon.web.views import Column, kg, sort_headers, style_filter_form

def queue_kind_columns() -> list[ColumnSpec]:
    """The columns the kinds add to the queue (KindSpec.queue_columns), each once, in the kinds' order."""
    seen, out = set(), []
    for spec in kind_specs().values():
        for col in spec.queue_columns:
            if col.key not in seen:
                seen.add(col.key)
                out.append(col)
    return out


def _css(col: ColumnSpec) -> str:
    return col.css or ("num money" if col.money else "")


def queue_columns() -> list[Column]:
    # The counterparty column is headed by the first kind's word for it ("Courier" while courier fees come first).
    counterparty = next(iter(kind_specs().values())).counterparty_label
    return [
        Column(""),
        Column(gettext_lazy("Waybill"), "waybill_no"),
        Column(gettext_lazy("Type"), "type"),
        Column(gettext_lazy("Status"), "status"),
        Column(gettext_lazy("At stake"), "amount_at_stake", num=True, desc_first=True),
        *[Column(col.label, num="num" in _css(col).split()) for col in queue_kind_columns()],
        Column(gettext_lazy("Reason")),
        Column(gettext_lazy("Assignee")),
        Column(counterparty),
        Column(gettext_lazy("Period")),
        Column(gettext_lazy("Found"), "created_at", desc_first=True),
    ]


def kind_cells(d: Discrepancy, columns: list[ColumnSpec]) -> list[dict]:
    """A row's cells for the kinds' columns; a column another kind declares stays empty on this row."""
    own = {c.key for c in kind_spec(d.kind).queue_columns} if d.kind in kind_specs() else set()
    cells = []
    for col in columns:
        mine = col.key in own
        value = column_value(d, col) if mine else None
        value2 = column_value(d, ColumnSpec(col.key, col.label, col.attr2)) if mine and col.attr2 else None
        if col.kg:
            value, value2 = kg(value), kg(value2)
        cells.append({"css": _css(col), "blank": not mine, "money": col.money, "pair": bool(col.attr2), "value": value, "value2": value2})
    return cells


FILTER_KEYS = [f for f in DiscrepancyFilter.base_filters if f != "ordering"]


def queue_filter(request, data=None, people=None) -> DiscrepancyFilter:
    filterset = discrepancy_filter(
        params=data if data is not None else request.GET, user=request.user,
        queryset=Discrepancy.objects.select_related("counterparty", "assignee", "period"),
    )
    style_filter_form(filterset.form, checkboxes=["kind", "type", "status", "outcome"], courier="courier",
                      hidden=["run", "bill", "dispute", "waybill_no"])
    people = [("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))] + [
        (str(u.pk), u.get_full_name() or u.get_username()) for u in (workers() if people is None else people)
    ]
    filterset.form.fields["assignee"].widget = forms.Select(choices=people)
    periods = [("", _("All periods"))] + [
        (str(p.pk), f"{p.counterparty.code} {p.label}{' 🔒' if p.is_closed else ''}")
        for p in ReconPeriod.objects.select_related("counterparty").order_by("-start", "counterparty__code")[:200]
    ]
    filterset.form.fields["period"].widget = forms.Select(choices=periods)
    filterset.form.fields["q"].widget.attrs.update({"placeholder": _("waybill or order number"), "autofocus": True})
    return filterset


def filter_query(request) -> str:
    """The current filter as a query string, without paging and sorting."""
    query = request.GET.copy()
    for key in ("cursor", "ordering", "page"):
        query.pop(key, None)
    return query.urlencode()


@requires("recon.view_discrepancy")
def discrepancy_list(request):
    people = list(workers())
    filterset = queue_filter(request, people=people)
    if not filterset.is_valid():
        page = keyset_page(Discrepancy.objects.none(), ordering=None, cursor=None)
    else:
        page = keyset_page(filterset.qs, ordering=request.GET.get("ordering"), cursor=request.GET.get("cursor"),
                           ids_first=filterset.narrows_by_waybill_prefix)
    columns = queue_kind_columns()
    for d in page.rows:
        d.kind_cells = kind_cells(d, columns)
        d.informational = not d.is_claim
    query = filter_query(request)
    return render(request, "recon/discrepancy_list.html", {
        "filter": filterset, "page": page, "rows": page.rows,
        "headers": sort_headers(request, queue_columns(), "-amount_at_stake"),
        "export_query": query, "filter_query": query,
        "saved_filters": SavedFilter.objects.filter(user=request.user),
        "workers": people, "status_choices": Discrepancy.Status.choices, "outcome_choices": Discrepancy.Outcome.choices,
        "can_work": request.user.has_perm("recon.work_discrepancy"),
        "can_dispute": request.user.has_perm("recon.manage_dispute"),
        "cursor_next": _with(request, cursor=page.next_cursor) if page.has_next else "",
        "cursor_prev": _with(request, cursor=page.prev_cursor) if page.has_previous else "",
        "cursor_first": _with(request, cursor=None) if not page.is_first else "",
    })


def _with(request, **changes) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return f"?{query.urlencode()}"


@requires("recon.view_discrepancy")
def discrepancy_totals(request):
    """The money panel of the queue, loaded after the list so that the list never waits for a full aggregate."""
    filterset = queue_filter(request)
    if not filterset.is_valid():
        return render(request, "recon/_queue_totals.html", {"invalid": True})
    return render(request, "recon/_queue_totals.html", {"totals": queue_totals(filterset.qs)})


# --------------------------------------------------------------------------- one discrepancy


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("New status"), choices=Discrepancy.Status.choices)
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=[("", "—")] + list(Discrepancy.Outcome.choices), required=False)
    amount = forms.CharField(label=gettext_lazy("Amount credited (¥)"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))


def _detail_context(request, d: Discrepancy, **forms_) -> dict:
    spec = kind_spec(d.kind)
    hook = spec.hook("detail_context")
    kind_context = hook(d, request) if hook else {}
    history = name_assignees(discrepancy_history(d))
    locked = d.period is not None and d.period.is_closed
    editable = not locked and d.is_current and may_work(request.user, d)
    next_status = [(s, label) for s, label in Discrepancy.Status.choices if s != d.status]
    status_form = forms_.get("status_form") or StatusForm(initial={"status": next_status[0][0] if next_status else ""})
    status_form.fields["status"].choices = next_status
    return {
        **kind_context,
        "d": d, "spec": spec, "ref": getattr(d, spec.reply_key, ""), "informational": not d.is_claim,
        "history": history, "comments": d.comments.select_related("author"), "attachments": d.attachments.select_related("uploaded_by"),
        "dispute_items": d.dispute_items.select_related("dispute"),
        "locked": locked, "editable": editable,
        "shortfall_open": d.status == Discrepancy.Status.RESOLVED and d.outcome == Discrepancy.Outcome.RECOVERED
        and bool(d.shortfall_amount) and not d.shortfall_outcome,
        "can_comment": not locked and request.user.has_perm("recon.add_discrepancycomment"),
        "can_attach": not locked and request.user.has_perm("recon.add_discrepancyattachment"),
        "status_form": status_form, "comment_form": forms_.get("comment_form") or CommentForm(),
        "attachment_form": forms_.get("attachment_form") or AttachmentForm(), "workers": workers(),
        "linked": discrepancy_linked(discrepancy=d),
    }


def _get(pk: int) -> Discrepancy:
    return get_object_or_404(
        Discrepancy.objects.select_related("run", "counterparty", "assignee", "period__counterparty", "dispute"),
        pk=pk,
    )


@requires("recon.view_discrepancy")
def discrepancy_detail(request, pk: int):
    return render(request, "recon/discrepancy_detail.html", _detail_context(request, _get(pk)))


def _service_error(request, d, exc: UserFacingError, **forms_):
    messages.error(request, exc.message)
    return render(request, "recon/discrepancy_detail.html", _detail_context(request, d, **forms_), status=exc.http_status)


@require_POST
@requires("recon.work_discrepancy")
def discrepancy_status(request, pk: int):
    d = _get(pk)
    form = StatusForm(request.POST)
    form.fields["status"].choices = Discrepancy.Status.choices
    if not form.is_valid():
        return render(request, "recon/discrepancy_detail.html", _detail_context(request, d, status_form=form), status=400)
    try:
        discrepancy_set_status(
            discrepancy=d, status=form.cleaned_data["status"], outcome=form.cleaned_data["outcome"],
            amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"], user=request.user,
        )
    except UserFacingError as exc:
        field = {"outcome_required": "outcome", "amount_required": "amount", "invalid_amount": "amount",
                 "amount_too_large": "amount", "reason_required": "reason"}.get(exc.code)
        if field:
            form.add_error(field, exc.message)
            return render(request, "recon/discrepancy_detail.html", _detail_context(request, d, status_form=form), status=400)
        return _service_error(request, d, exc, status_form=form)
    messages.success(request, _("Status changed."))
    return redirect("discrepancy-detail", pk=pk)


@require_POST
@requires("recon.work_discrepancy")
def discrepancy_shortfall(request, pk: int):
    d = _get(pk)
    decide = SHORTFALL_DECISIONS.get(request.POST.get("decision", ""))
    if decide is None:
        return _service_error(request, d, UserFacingError("invalid_decision", _("Choose what happens to the shortfall.")))
    try:
        decide(discrepancy=d, reason=request.POST.get("reason", ""), user=request.user)
    except UserFacingError as exc:
        return _service_error(request, d, exc)
    messages.success(request, _("Shortfall decided."))
    return redirect("discrepancy-detail", pk=pk)


@require_POST
@requires("recon.work_discrepancy")
def discrepancy_assign_view(request, pk: int):
    d = _get(pk)
    try:
        assignee = assignee_lookup(request.POST.get("assignee", ""), me=request.user)
        discrepancy_assign(discrepancy=d, assignee=assignee, user=request.user)
    except UserFacingError as exc:
        return _service_error(request, d, exc)
    messages.success(request, _("Assigned."))
    return redirect("discrepancy-detail", pk=pk)


@require_POST
@requires("recon.add_discrepancycomment")
def discrepancy_comment(request, pk: int):
    d = _get(pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render(request, "recon/discrepancy_detail.html", _detail_context(request, d, comment_form=form), status=400)
    try:
        discrepancy_comment_add(discrepancy=d, text=form.cleaned_data["text"], user=request.user)
    except UserFacingError as exc:
        return _service_error(request, d, exc, comment_form=form)
    return redirect(reverse("discrepancy-detail", args=[pk]) + "#comments")


@require_POST
@requires("recon.add_discrepancyattachment")
def discrepancy_attach(request, pk: int):
    d = _get(pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "recon/discrepancy_detail.html", _detail_context(request, d, attachment_form=form), status=400)
    try:
        discrepancy_attachment_add(discrepancy=d, file=form.cleaned_data["file"], user=request.user)
    except UserFacingError as exc:
        return _service_error(request, d, exc, attachment_form=form)
    return redirect(reverse("discrepancy-detail", args=[pk]) + "#attachments")


@requires("recon.view_discrepancyattachment")
def attachment_download(request, pk: int, attachment_id: int):
    from django.http import FileResponse

    d = _get(pk)
    a = get_object_or_404(d.attachments, pk=attachment_id)
    try:
        handle = a.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=a.original_filename)


# --------------------------------------------------------------------------- bulk


@require_POST
@requires("recon.work_discrepancy")
def bulk_submit(request):
    """Apply an action to the ticked rows, or to every row matching the filter the page shows."""
    back = request.POST.get("next") or reverse("discrepancy-list")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("discrepancy-list")
    action = request.POST.get("action", "")
    params = {k: request.POST.get(k, "") for k in ("assignee", "status", "outcome", "reason", "text")}
    scope_all = request.POST.get("scope") == "filter"
    ids = [] if scope_all else [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    try:
        job = bulk_action_submit(action=action, params=params, ids=ids, query=request.POST.get("query", "") if scope_all else "", user=request.user)
    except UserFacingError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if job.is_finished:
        _bulk_message(request, job)
        return redirect(back)
    return redirect("bulk-action-detail", pk=job.pk)


def _bulk_message(request, job: BulkAction) -> None:
    skipped = job.result.get("skipped") or {}
    text = _("%(n)d discrepancies changed.") % {"n": job.result.get("changed", 0)}
    if skipped:
        text += " " + _("Left unchanged: %(list)s.") % {"list": "; ".join(f"{SKIP_REASONS.get(k, k)}: {n}" for k, n in skipped.items())}
    (messages.success if job.status == BulkAction.Status.SUCCEEDED else messages.error)(request, text)


@requires("recon.view_bulkaction")
def bulk_action_detail(request, pk: int):
    job = get_object_or_404(BulkAction, pk=pk)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({
            "status": job.status, "percent": job.progress_percent, "done": job.progress_current, "total": job.progress_total,
            "finished": job.is_finished, "result": job.result, "error": job.error,
        })
    skipped = [(SKIP_REASONS.get(k, k), n) for k, n in (job.result.get("skipped") or {}).items()]
    return render(request, "recon/bulk_action.html", {"job": job, "skipped": skipped})


# --------------------------------------------------------------------------- saved filters


@require_POST
@requires("recon.view_discrepancy")
def saved_filter_create(request):
    name = (request.POST.get("name") or "").strip()[:80]
    query = (request.POST.get("query") or "").strip()[:2000]
    if not name:
        messages.error(request, _("Give the filter a name."))
    else:
        SavedFilter.objects.update_or_create(user=request.user, name=name, defaults={"query": query})
        messages.success(request, _("Filter “%(name)s” saved.") % {"name": name})
    return redirect(f"{reverse('discrepancy-list')}?{query}")


@require_POST
@requires("recon.view_discrepancy")
def saved_filter_delete(request, pk: int):
    SavedFilter.objects.filter(user=request.user, pk=pk).delete()
    return redirect("discrepancy-list")
