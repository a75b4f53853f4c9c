"""Reads about source files: the duplicate of an upload, a remembered column mapping, a file's rejected rows."""
from __future__ import annotations

from django.db.models import QuerySet

from recon.sources.models import ColumnMapping, RejectedRow, SourceFile

REJECTED_COLUMNS = ["sheet", "row_no", "reason_code", "reason", "raw"]


def source_file_duplicate(*, file_kind: str, sha256: str) -> SourceFile | None:
    """The file of this kind already stored with these bytes (deleted or not), if any."""
    return SourceFile.objects.filter(file_kind=file_kind, sha256=sha256).order_by("id").first()


def column_mapping_remembered(*, counterparty_id: int | None, file_kind: str, shared: bool = False) -> dict:
    """The headers chosen on this counterparty's last upload of this file kind that named some ({} when none).

    `shared`: the choice of a file kind that belongs to no counterparty (counterparty_id is then ignored).
    """
    if shared:
        rows = ColumnMapping.objects.filter(counterparty__isnull=True, file_kind=file_kind)
    elif counterparty_id is None:
        return {}
    else:
        rows = ColumnMapping.objects.filter(counterparty_id=counterparty_id, file_kind=file_kind)
    return rows.values_list("mapping", flat=True).first() or {}


def preferred(remembered: dict) -> dict:
    """Remembered headers as header-matching preferences: tried first, the field's own names after them."""
    return {name: [header] for name, header in remembered.items() if str(header or "").strip()}


def rejected_rows_of(*, source: SourceFile) -> QuerySet[RejectedRow]:
    """A file's rejected rows in the order they stand in the file."""
    return RejectedRow.objects.filter(source_id=source.pk).order_by("sheet", "row_no", "id")
