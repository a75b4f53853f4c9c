"""Every API error is JSON of one shape: {"error": {"code", "message", "details"}}."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from recon.core.errors import UserFacingError

API_PREFIX = "/api/"

# Errors that Django answers before or after DRF (no route, a request too big to read, a crash) carry no code of their own.
DJANGO_ERRORS = {
    400: ("bad_request", _("The request could not be read.")),
    403: ("permission_denied", _("You do not have permission to perform this action.")),
    404: ("not_found", _("There is nothing at this address.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    413: ("request_too_large", _("The request is too large.")),
    500: ("internal_error", _("Something went wrong on our side. The error has been logged; please try again later.")),
}


def exception_handler(exc, context):
    if isinstance(exc, UserFacingError):
        return Response({"error": exc.as_dict()}, status=exc.http_status)
    # Django's own exceptions carry no code; DRF's twins do (and a translated message, not "No Run matches the given query.").
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(data, dict) and set(data) == {"detail"}:
        message, details = str(data["detail"]), {}
    else:
        message, details = str(getattr(exc, "default_detail", "Invalid input.")), data
    if not isinstance(details, dict):
        # ValidationError("...") carries a bare list; `details` is always an object, as the schema says.
        details = {api_settings.NON_FIELD_ERRORS_KEY: details}
    response.data = {"error": {"code": code, "message": message, "details": details}}
    return response


class ApiErrorMiddleware:
    """Answer every error under /api/ in the error shape, including Django's own 404 and 500 pages.

    DRF's exception handler sees only what its views raise; an unknown URL, a crash (handler500) or a
    request Django refuses before the view would otherwise come back as an HTML page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith(API_PREFIX):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        body = getattr(response, "data", None)
        if not (isinstance(body, dict) and "error" in body):
            code, message = DJANGO_ERRORS.get(response.status_code, DJANGO_ERRORS[500 if response.status_code >= 500 else 400])
            body = {"error": {"code": code, "message": str(message), "details": {}}}
        answer = JsonResponse(body, status=response.status_code, json_dumps_params={"ensure_ascii": False})
        for header in ("Allow", "WWW-Authenticate", "Retry-After", "Vary"):
            if header in response:
                answer[header] = response[header]
        # Django logs a 500 once, where it caught the exception; without the mark it would log this answer again.
        answer._has_been_logged = getattr(response, "_has_been_logged", False)
        return answer


@extend_schema_field({
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "A stable code to branch on, e.g. `not_found`, `period_closed`."},
        "message": {"type": "string", "description": "What went wrong, in the caller's language."},
        "details": {"type": "object", "additionalProperties": True,
                    "description": "Per-field errors for invalid input, or the facts behind the error."},
    },
    "required": ["code", "message", "details"],
})
class _ErrorBodyField(serializers.DictField):
    pass


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (component `Error`)."""

    error = _ErrorBodyField()
