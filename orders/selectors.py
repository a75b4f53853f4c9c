"""Reads about platforms and orders that are more than a one-line query."""
from __future__ import annotations

from django.db.models import QuerySet

from .models import Order, Platform
from .specs import platform_key


def platform_lookup_table() -> dict[str, int]:
    """Platform id by every name a file may give it: code, Chinese name and aliases, compared as platform_key does."""
    table: dict[str, int] = {}
    for pk, code, name, aliases in Platform.objects.values_list("pk", "code", "name", "aliases").order_by("pk"):
        for text in (*(aliases or []), name, code):  # code and name last: they win over an alias another platform kept
            if str(text or "").strip():
                table[platform_key(text)] = pk
    return table


def platform_by_name(*, text: str) -> Platform | None:
    """The platform a code, name or alias names (case and width do not matter), or None."""
    pk = platform_lookup_table().get(platform_key(text))
    return None if pk is None else Platform.objects.get(pk=pk)


def order_list() -> QuerySet[Order]:
    """Orders newest payment first, with their platform."""
    return Order.objects.select_related("platform").order_by("-paid_at", "-id")
