"""The monthly review page (定期复核) and its sign-off."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recon.core.errors import UserFacingError
from recon.core.permissions import requires

from .review import month_bounds, review_figures, review_sign_off


def _period(request, source) -> tuple[str, bool]:
    # Without one, the month just ended: the one a manager reviews at the start of the next.
    period = source.get("period") or (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return period, month_bounds(period) is not None


@requires("reports.view_reviewsignoff")
def review_page(request):
    period, valid = _period(request, request.GET)
    if not valid:
        messages.error(request, _("A period is written YYYY-MM."))
        return render(request, "reports/review.html", {"period": period, "figures": None}, status=400)
    figures = review_figures(period=period)
    return render(request, "reports/review.html", {"period": period, "figures": figures,
                                                   "can_sign": request.user.has_perm("reports.sign_off_review")})


@require_POST
@requires("reports.sign_off_review")
def review_sign_off_view(request):
    period, _valid = _period(request, request.POST)
    try:
        review_sign_off(period=period, user=request.user, note=request.POST.get("note", "")[:2000])
        messages.success(request, _("The review of %(period)s is signed off.") % {"period": period})
    except UserFacingError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("review") + "?" + urlencode({"period": period}))
