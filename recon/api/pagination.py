"""Pages of API lists: page numbers (client-chosen size, capped) or keyset cursors; a malformed page is refused."""
from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from recon.review.selectors import keyset_page

MAX_PAGE_SIZE = 1000
_DIGITS = re.compile(r"[0-9]+")


def query_positive_int(request, name: str, default: int) -> int:
    """A query parameter that must be a whole number >= 1: absent or empty gives the default, anything else is a 400."""
    raw = request.query_params.get(name, "")
    if raw == "":
        return default
    # int() would also take " 7", "+7" and other scripts' digits; the schema promises a plain integer.
    if not _DIGITS.fullmatch(raw) or int(raw) < 1:
        raise ValidationError({name: [_("Enter a whole number of 1 or more.")]})
    return int(raw)


def _size_parameter(default: int) -> dict:
    return {
        "name": "page_size", "required": False, "in": "query",
        "description": str(_("Rows per page (default %(default)d; more than %(max)d gives %(max)d).")
                           % {"default": default, "max": MAX_PAGE_SIZE}),
        "schema": {"type": "integer", "minimum": 1},
    }


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return min(query_positive_int(request, self.page_size_query_param, self.page_size), self.max_page_size)

    def get_page_number(self, request, paginator):
        # A page past the last one stays a 404 (DRF's "Invalid page"); only a malformed number is a 400.
        return query_positive_int(request, self.page_query_param, 1)

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.page_query_param, "required": False, "in": "query",
             "description": str(_("Page number, from 1; past the last page answers 404.")),
             "schema": {"type": "integer", "minimum": 1}},
            _size_parameter(self.page_size),
        ]


class KeysetPagination(BasePagination):
    """Cursor pages in (sort key, id) order: `next`/`previous` links, no COUNT over millions of rows."""

    page_size = 50
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        size = min(query_positive_int(request, "page_size", self.page_size), self.max_page_size)
        self.request = request
        ordering = request.query_params.get("ordering") or getattr(view, "default_ordering", "-amount_at_stake")
        self.page = keyset_page(queryset, ordering=ordering, cursor=request.query_params.get("cursor"), size=size,
                                ids_first=getattr(view, "keyset_ids_first", False))
        return self.page.rows

    def _link(self, cursor):
        if not cursor:
            return None
        return replace_query_param(self.request.build_absolute_uri(), "cursor", cursor)

    def get_paginated_response(self, data):
        return Response({"next": self._link(self.page.next_cursor), "previous": self._link(self.page.prev_cursor), "results": data})

    def get_paginated_response_schema(self, schema):
        return {"type": "object", "required": ["next", "previous", "results"], "properties": {
            "next": {"type": "string", "nullable": True, "format": "uri"},
            "previous": {"type": "string", "nullable": True, "format": "uri"},
            "results": schema,
        }}

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "cursor", "required": False, "in": "query",
             "description": str(_("The page to read: take it from a previous answer's `next` or `previous` link.")),
             "schema": {"type": "string"}},
            _size_parameter(self.page_size),
        ]
