"""The OpenAPI schema documents, on every operation, the errors it can answer, all in the one `Error` shape."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from recon.api.errors import ErrorSerializer

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

ERROR_DESCRIPTIONS = {
    "400": _("Invalid input: `details` names each field and what is wrong with it."),
    "401": _("Not signed in: the token or session is missing or invalid."),
    "403": _("Signed in, but this role may not do this (or not to this row)."),
    "404": _("No such object, or a page past the last one."),
    "409": _("The object's state forbids it now (a closed period, a deleted bill, a name already taken, a replaced row)."),
    "413": _("The uploaded file is larger than the limit."),
    "500": _("Unexpected error on our side; it is logged."),
}


class AutoSchema(openapi.AutoSchema):
    """Adds the error responses an operation can give, from its shape: the same rules for every endpoint."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            if code not in responses:
                body = OpenApiResponse(response=ErrorSerializer, description=str(ERROR_DESCRIPTIONS[code]))
                responses[code] = self._get_response_for_code(body, code)
        return operation

    def _error_codes(self, operation) -> list[str]:
        params = operation.get("parameters", [])
        body = operation.get("requestBody", {}).get("content", {})
        has_query = any(p["in"] == "query" for p in params)
        has_path = any(p["in"] == "path" for p in params)
        paged = any(p["in"] == "query" and p["name"] == "page" for p in params)
        codes = ["401", "403", "500"]
        if body or has_query or self.method in WRITE_METHODS:
            codes.append("400")
        if has_path or paged:
            codes.append("404")
        if self.method in WRITE_METHODS:
            codes.append("409")
        if self._takes_a_file():
            codes.append("413")
        return sorted(codes)

    def _takes_a_file(self) -> bool:
        request = self.get_request_serializer()
        candidates = request.values() if isinstance(request, dict) else [request]
        for candidate in candidates:
            serializer = force_instance(candidate)
            if isinstance(serializer, serializers.Serializer):
                if any(isinstance(field, serializers.FileField) for field in serializer.fields.values()):
                    return True
        return False
