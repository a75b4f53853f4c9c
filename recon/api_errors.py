"""Every API error is JSON of one shape: {"error": {"code", "message", "details"}}."""
from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from recon.errors import UserFacingError


def exception_handler(exc, context):
    if isinstance(exc, UserFacingError):
        return Response({"error": exc.as_dict()}, status=exc.http_status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(data, dict) and set(data) == {"detail"}:
        message, details = str(data["detail"]), {}
    else:
        message, details = str(getattr(exc, "default_detail", "Invalid input.")), data
    response.data = {"error": {"code": code, "message": message, "details": details}}
    return response
