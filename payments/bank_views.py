"""Browser pages for bank statements: statements with their balance flag, lines, the upload, a file's rejected rows."""
from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from recon.core.errors import UserFacingError
from recon.core.permissions import requires
from recon.sources.views import rejected_rows_views
from recon.web.views import paginate, style_filter_form

from .bank_filters import BankLineFilter, BankStatementFilter
from .bank_services import FILE_KIND, bank_statement_import
from .models import BankLine, BankStatement

REJECTED_SHOWN = 1000
STATEMENTS_SHOWN = 50


class BankUploadForm(forms.Form):
    # Empty files pass here so that the import service gives its own message.
    file = forms.FileField(label=_("Statement file"), allow_empty_file=True,
                           help_text=_("MT940, CAMT.053, OFX, or a CSV/XLS/XLSX export of the bank."))
    account = forms.CharField(label=_("Account number"), required=False, max_length=64,
                              help_text=_("Only for files that do not name their account (most CSV and Excel exports)."))


@requires("payments.import_payments")
def bank_upload(request):
    """Import a statement and show what happened: counts, balance flags, rejected rows."""
    result = None
    if request.method == "POST":
        form = BankUploadForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                imported = bank_statement_import(file=d["file"], filename=d["file"].name, account_no=d["account"],
                                                 user=request.user)
            except UserFacingError as exc:
                form.add_error("file", exc.message)
            else:
                result = {**imported.as_dict(), "filename": d["file"].name, "repeated": imported.repeated,
                          "statements": imported.statements,
                          "rejected_rows": imported.rejected_rows.head(REJECTED_SHOWN).to_dict("records")}
                form = BankUploadForm()
    else:
        form = BankUploadForm()
    return render(request, "payments/bank_upload.html", {"form": form, "result": result, "shown": REJECTED_SHOWN})


@requires("payments.view_bankstatement", "payments.view_bankline")
def bank_overview(request):
    """Statements (a balance that does not add up shown first-hand) and the lines under the filter."""
    lines = BankLineFilter(request.GET, queryset=BankLine.objects.select_related("account", "statement")
                           .order_by("-booked_on", "id"))
    style_filter_form(lines.form, dates=["booked_from", "booked_to"])
    # The statements of the account in the filter (all accounts without one), newest first.
    statements = BankStatementFilter({"account": request.GET.get("account", "")},
                                     queryset=BankStatement.objects.select_related("account", "source")
                                     .order_by("-closed_on", "-id"))
    return render(request, "payments/bank_overview.html", {
        "statements": statements.qs[:STATEMENTS_SHOWN], "statements_shown": STATEMENTS_SHOWN,
        "filter": lines, "page_obj": paginate(request, lines.qs, 50),
    })


bank_file_rejected, bank_file_rejected_download = rejected_rows_views(
    file_kinds=(FILE_KIND,), download_url_name="bank-file-rejected-download", csv_name="bank-file",
    back_url_name="bank-overview", back_label=_("Bank statements"))
