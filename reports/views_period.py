"""The period report as a browser download: a month (and a counterparty) as Excel, CSV or PDF."""
from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from recon.core.errors import UserFacingError
from recon.core.models import Counterparty, ReconPeriod
from recon.core.permissions import requires

from .export_jobs import export_job_submit
from .management.commands.export_report import FORMATS, write_period_report
from .models import ExportJob
from .period import period_scope

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


def _months() -> list[str]:
    starts = ReconPeriod.objects.order_by("-start").values_list("start", flat=True).distinct()
    return list(dict.fromkeys(s.strftime("%Y-%m") for s in starts))


@requires("recon.view_discrepancy")
def period_report(request):
    """Without a period, the choice of month and counterparty; with one, the file in the chosen format."""
    params = request.GET
    context = {"months": _months(), "counterparties": Counterparty.objects.filter(periods__isnull=False).distinct().order_by("code"),
               "period": params.get("period", ""), "counterparty": params.get("counterparty", "")}
    if "period" not in params:
        return render(request, "reports/period_report.html", context)
    fmt = params.get("format", "xlsx")
    try:
        if fmt not in FORMATS:
            raise UserFacingError("invalid_format", _("Unknown format “%(format)s”; use xlsx, pdf or csv.") % {"format": fmt})
        scope = period_scope(period=params["period"], counterparty=params.get("counterparty") or None)
    except UserFacingError as exc:
        return render(request, "reports/period_report.html", {**context, "error": exc.message}, status=400)
    party = params.get("counterparty") or None
    big = scope.discrepancies().order_by().values("id")[: settings.EXPORT_ASYNC_ROWS + 1].count() > settings.EXPORT_ASYNC_ROWS
    if big and fmt != "pdf":
        # A month too big for a request: a worker writes it and the user finds it under "my exports".
        export_job_submit(kind=ExportJob.Kind.PERIOD_REPORT, fmt=fmt, params={"period": scope.label, "counterparty": party or ""},
                          user=request.user)
        messages.info(request, _("This export is large: it is being written in the background and will appear here."))
        return redirect("export-list")
    buffer = io.BytesIO()
    write_period_report(period=scope.label, counterparty=params.get("counterparty") or None, fmt=fmt, target=buffer)
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES[fmt])
    party = f"-{params['counterparty']}" if params.get("counterparty") else ""
    safe_party = "".join(ch for ch in party if ch.isalnum() or ch in "-_")
    response["Content-Disposition"] = f'attachment; filename="period-{scope.label}{safe_party}.{fmt}"'
    return response
