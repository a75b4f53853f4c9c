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


ORDERS_FILE_KIND = "orders"


def orders_field_labels() -> dict:
    """The translated label of each field of an orders file, by field name."""
    from django.utils.translation import gettext

    from .specs import ORDER_SPEC

    return {name: gettext(label) for name, label in ORDER_SPEC.labels().items()}


def orders_columns_remembered(*, platform: Platform | None) -> dict:
    """The headers last chosen for this platform's orders files; a file of several platforms has none to remember by."""
    from recon.sources.selectors import column_mapping_remembered

    from .specs import ORDER_SPEC

    if platform is None:
        return {}
    names = {f.name for f in ORDER_SPEC.fields}
    found = column_mapping_remembered(counterparty_id=platform.counterparty_id, file_kind=ORDERS_FILE_KIND)
    return {k: v for k, v in found.items() if k in names}


def orders_file_inspect(*, staged, platform: Platform | None, typed: dict) -> dict:
    """What the upload page shows of an orders file before anything is stored (the JSON of POST /orders/inspect/).

    Besides the columns, it says what the platform chosen on the page does for this file: it is every order's
    platform when the file has no 平台 column, only the fallback for empty cells when it has one, and its absence
    from a file without the column is an error the clerk sees before uploading.
    """
    from django.utils.translation import gettext

    from recon.ingest.guard import column_letters
    from recon.sources.preview import preview_body
    from recon.sources.selectors import preferred
    from recon.sources.uploads import preview_head

    from .specs import ORDER_SPEC

    typed = {k: v for k, v in typed.items() if k in {f.name for f in ORDER_SPEC.fields}}
    remembered = orders_columns_remembered(platform=platform)
    preview = preview_head(staged, ORDER_SPEC, {**preferred(remembered), **typed})
    body = preview_body(preview=preview, filename=staged.filename, fmt=staged.format, spec=ORDER_SPEC,
                        labels=orders_field_labels(), typed=typed, remembered=remembered,
                        date_fields=("paid_at", "shipped_at"))
    body["platform"] = platform.code if platform else None
    body["notes"] = []
    if preview is None:
        return body
    col = preview.match.columns.get("platform")
    if col is not None:
        body["notes"].append(gettext(
            "This file has a 平台 column (column %(letter)s “%(header)s”): each row’s platform is read from it; the "
            "platform chosen above counts only for rows whose cell is empty.")
            % {"letter": column_letters(col + 1), "header": preview.cells[col]})
    elif platform is not None:
        body["notes"].append(gettext("This file has no 平台 column: every order in it is imported as %(platform)s.")
                             % {"platform": f"{platform.name} ({platform.code})"})
    else:
        body["errors"] = {"platform": [gettext("This file has no 平台 (platform) column: choose the platform its orders are from.")]}
    return body
