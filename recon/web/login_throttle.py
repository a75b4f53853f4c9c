"""Login and API-token throttling on django-axes: a username and an address each lock after their own number of failures.

Password failures count against the username (from any address) and the address (for any username); a bad API token
counts against the address only, since a wrong token names no user. A lock ends after the cool-off period, or when a
manager deletes the attempts in the admin (Access attempts) or runs `axes_reset_username` / `axes_reset_ip`.
"""
from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt, AccessBase
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db.models import Sum
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import APIException, AuthenticationFailed

# The credentials a failed API token reports to axes: no username, so only the address is counted.
API_TOKEN_CREDENTIALS = {"api_token": True}


def lockout_parameters(request_or_attempt, credentials=None) -> list[str]:
    """What a failure counts against: the username and the address, or only the address for an API token."""
    if isinstance(request_or_attempt, AccessBase):
        return ["ip_address"] if request_or_attempt.username is None else ["username", "ip_address"]
    if credentials and credentials.get("api_token"):
        return ["ip_address"]
    return ["username", "ip_address"]


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per parameter (axes itself compares every parameter with one limit)."""

    def get_failures(self, request, credentials=None) -> int:
        # Counted against the username's limit (AXES_FAILURE_LIMIT): an address's count is scaled so that it reaches
        # that limit exactly at LOGIN_FAILURES_PER_ADDRESS, and axes' single comparison then applies both limits.
        per_user, per_address = settings.LOGIN_FAILURES_PER_USER, settings.LOGIN_FAILURES_PER_ADDRESS
        worst = 0
        params = get_lockout_parameters(request, credentials)
        for param, attempts in zip(params, self.get_user_attempts(request, credentials), strict=True):
            count = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            worst = max(worst, count if param == "username" else count * per_user // per_address)
        return worst

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A login that succeeds clears that user's failures from that address only: axes would clear every failure of
        # the address too, so anyone with an account could wipe the address's count by logging in between guesses.
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a locked-out username or address before any password is checked.

    Only a login with a request (the login pages) is throttled: a password checked without one (a shell, a command)
    comes from no address, and axes would otherwise refuse it outright.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_message() -> str:
    """What a locked-out person reads on the login page."""
    if settings.AXES_COOLOFF_TIME:
        minutes = round(settings.AXES_COOLOFF_TIME * 60)
        return _("Too many failed logins: logging in is locked for %(minutes)s minutes, or until a manager lifts the lock.") % {
            "minutes": minutes
        }
    return _("Too many failed logins: logging in is locked until a manager lifts the lock.")


def lockout_response(request, original_response=None, credentials=None):
    """The login page again, with the lockout message instead of the form's error, as HTTP 429."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout": lockout_message(), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


class AddressLocked(APIException):
    status_code = 429
    default_code = "locked_out"
    default_detail = gettext_lazy("Too many failed authentications from this address: try again later, or ask a manager to lift the lock.")

    def __init__(self):
        super().__init__()
        # Read by DRF's handler for the Retry-After header.
        self.wait = int(settings.AXES_COOLOFF_TIME * 3600) if settings.AXES_COOLOFF_TIME else None


def _attempt_of(request) -> HttpRequest:
    """The request as axes records it: address, agent and path, without reading (or storing) an upload's body."""
    probe = HttpRequest()
    probe.META, probe.method, probe.path, probe.path_info = request.META, request.method, request.path, request.path_info
    return probe


class ThrottledTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with failures counted per address: a locked address gets 429 for every token."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        attempt = _attempt_of(request._request)
        if AxesProxyHandler.is_locked(attempt, API_TOKEN_CREDENTIALS):
            raise AddressLocked()
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            user_login_failed.send(sender=__name__, credentials=API_TOKEN_CREDENTIALS, request=attempt)
            if AxesProxyHandler.is_locked(attempt, API_TOKEN_CREDENTIALS):
                raise AddressLocked() from None
            raise
