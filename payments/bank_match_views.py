"""Matching bank credits and withdrawals by hand in the browser: an account's unmatched credits, a chosen credit's
candidate withdrawals ranked by the suggestions selector, and the account's matches with an unmatch button. The
writes are the services', which audit them."""
from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from recon.core.errors import UserFacingError
from recon.core.permissions import requires

from .models import BankAccount, BankLine
from .selectors_bank_match import bank_credits_unmatched, bank_line_suggestions, bank_matches_of_account
from .services_bank_match import bank_match_create, bank_match_delete

CREDITS_SHOWN = 200
MATCHES_SHOWN = 200


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@requires("payments.match_bank")
def bank_match(request):
    """GET: the account's unmatched credits, the chosen one's suggestions and the matches; POST: match or unmatch."""
    accounts = list(BankAccount.objects.order_by("account_no"))
    source = request.POST if request.method == "POST" else request.GET
    account_id = _int_or_none(source.get("account"))
    account = next((a for a in accounts if a.pk == account_id), accounts[0] if accounts else None)
    line = None
    if account is not None and _int_or_none(source.get("line")) is not None:
        line = BankLine.objects.filter(pk=int(source["line"]), account=account, amount__gt=0).first()
    error = ""
    if request.method == "POST" and account is not None:
        try:
            if request.POST.get("action") == "unmatch":
                bank_match_delete(match_id=_int_or_none(request.POST.get("match")) or 0, user=request.user)
            else:
                if line is None:
                    raise UserFacingError("no_credit", _("Choose a bank credit first."))
                ids = request.POST.getlist("withdrawal")
                if not ids:
                    raise UserFacingError("no_withdrawal", _("Tick at least one withdrawal to match with this credit."))
                bank_match_create(withdrawal_ids=ids, bank_line_ids=[line.pk], user=request.user)
                line = None
        except UserFacingError as exc:
            error = exc.message
        else:
            query = {"account": account.pk, **({"line": line.pk} if line is not None else {})}
            return redirect(f"{reverse('bank-match')}?{urlencode(query)}")
    credits = list(bank_credits_unmatched(account=account)[:CREDITS_SHOWN]) if account is not None else []
    if line is not None and line.pk not in {c.pk for c in credits}:
        line = None  # matched meanwhile: nothing left to choose for it
    return render(request, "payments/bank_match.html", {
        "accounts": accounts, "account": account, "credits": credits, "credits_shown": CREDITS_SHOWN, "line": line,
        "suggestions": bank_line_suggestions(line=line) if line is not None else [],
        "matches": list(bank_matches_of_account(account=account)[:MATCHES_SHOWN]) if account is not None else [],
        "matches_shown": MATCHES_SHOWN, "error": error,
    }, status=400 if error else 200)
