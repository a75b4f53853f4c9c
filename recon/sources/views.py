"""What a page about any source file shows of its rejected rows: the filtered list, and the CSV download."""
from __future__ import annotations

from django import forms
from django.db.models import Count
from django.http import HttpResponse
from django.utils.translation import gettext as _

from recon.web.views import paginate
from recon.core.writers import rows_to_csv_bytes
from recon.sources.filters import RejectedRowFilter
from recon.sources.models import SourceFile
from recon.sources.selectors import REJECTED_COLUMNS, rejected_rows_of


def rejected_rows_page(request, source: SourceFile, *, per_page: int = 100) -> dict:
    """The filter (reasons offered with their counts) and the page of rows, for a kind's template."""
    rejected = rejected_rows_of(source=source)
    filterset = RejectedRowFilter(request.GET, queryset=rejected)
    reasons = list(rejected.order_by().values_list("reason_code").annotate(n=Count("id")).order_by("reason_code"))
    filterset.form.fields["reason_code"].widget = forms.Select(
        choices=[("", _("All reasons"))] + [(code, f"{code} ({n})") for code, n in reasons]
    )
    return {"filter": filterset, "page_obj": paginate(request, filterset.qs, per_page)}


def rejected_rows_csv(source: SourceFile, *, filename: str) -> HttpResponse:
    """The rejected rows as CSV, so the clerk can fix them in Excel and ask the sender."""
    rows = rejected_rows_of(source=source).values_list(*REJECTED_COLUMNS)
    # The BOM makes Excel on Windows read the file as UTF-8 instead of GBK.
    response = HttpResponse(rows_to_csv_bytes(REJECTED_COLUMNS, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def rejected_rows_views(*, file_kinds: tuple[str, ...], download_url_name: str, csv_name: str, back_url_name: str = "",
                        back_label=""):
    """The page and the CSV of a kind's file's rejected rows, for the kind's urls: the file must be of one of the kind's
    file kinds (another kind's file is a 404, not a leak), the page shows the core's template with the kind's links."""
    from django.http import Http404
    from django.shortcuts import get_object_or_404, render
    from django.urls import reverse

    from recon.core.permissions import requires

    def source_of(pk: int) -> SourceFile:
        source = get_object_or_404(SourceFile, pk=pk)
        if source.file_kind not in file_kinds:
            raise Http404
        return source

    @requires("recon.view_rejectedrow")
    def page(request, pk: int):
        source = source_of(pk)
        return render(request, "recon/source_rejected.html", {
            "source": source, "download_url": reverse(download_url_name, args=[source.pk]),
            "back_url": reverse(back_url_name) if back_url_name else "", "back_label": back_label,
            **rejected_rows_page(request, source)})

    @requires("recon.view_rejectedrow")
    def download(request, pk: int):
        return rejected_rows_csv(source_of(pk), filename=f"{csv_name}-{pk}-rejected.csv")

    return page, download
