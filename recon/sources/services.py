"""Writes for source files, the same for every kind: rejected rows, the remembered column mapping, soft delete and restore."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from recon.audit.services import audit_record
from recon.core.db import bulk_load
from recon.core.errors import UserFacingError
from recon.core.models import Discrepancy
from recon.periods.services import period_lock_check
from recon.sources.models import ColumnMapping, RejectedRow, SourceFile


@dataclass(frozen=True)
class SourceFileTerms:
    """How a kind names its files in the audit trail and in refusals (a courier bill says "bill", as it always did)."""

    audit_type: str = "source_file"
    deleted_code: str = "source_file_deleted"
    already_deleted: str = gettext_lazy("This file is already deleted.")
    not_deleted_code: str = "source_file_not_deleted"
    not_deleted: str = gettext_lazy("This file is not deleted.")


GENERIC_TERMS = SourceFileTerms()


def rejected_rows_save(*, source: SourceFile, rejected: pd.DataFrame) -> int:
    """Keep the rows of a file that could not be read (sheet, row_no, reason_code, reason, raw), set-based."""
    if rejected.empty:
        return 0
    frame = pd.DataFrame(
        {
            "source_id": source.pk,
            "sheet": rejected["sheet"].astype(str).str.slice(0, 64).to_numpy(),
            "row_no": rejected["row_no"].astype("int64").to_numpy(),
            "reason_code": rejected["reason_code"].astype(str).to_numpy(),
            "reason": rejected["reason"].astype(str).to_numpy(),
            "raw": rejected["raw"].astype(str).to_numpy(),
        }
    )
    return bulk_load(RejectedRow._meta.db_table, frame)


def column_mapping_remember(*, counterparty_id: int | None, file_kind: str, mapping: dict, user=None) -> ColumnMapping | None:
    """Remember the headers a user named for this counterparty's files of this kind (nothing named: nothing changes);
    without a counterparty, for every upload of the kind."""
    if not mapping:
        return None
    # Merged into what was remembered: a file that named only some columns keeps the others' earlier choices.
    earlier = ColumnMapping.objects.filter(counterparty_id=counterparty_id, file_kind=file_kind).values_list("mapping", flat=True).first()
    row, _created = ColumnMapping.objects.update_or_create(
        counterparty_id=counterparty_id, file_kind=file_kind, defaults={"mapping": {**(earlier or {}), **mapping}, "updated_by": user},
    )
    return row


def source_file_delete(*, source: SourceFile, user, terms: SourceFileTerms = GENERIC_TERMS) -> SourceFile:
    """Delete a file softly: its discrepancies leave the queue; source_file_restore undoes it."""
    with transaction.atomic():
        locked = SourceFile.objects.select_for_update().get(pk=source.pk)
        if locked.deleted_at is not None:
            raise UserFacingError(terms.deleted_code, str(terms.already_deleted), http_status=409)
        period_lock_check(locked.period_id)
        locked.deleted_at, locked.deleted_by = timezone.now(), user
        locked.save(update_fields=["deleted_at", "deleted_by"])
        Discrepancy.objects.filter(source_id=locked.pk, is_current=True).update(is_current=False)
        audit_record(user=user, object_type=terms.audit_type, object_id=locked.pk, action="delete",
                     changes={"deleted_at": [None, locked.deleted_at.isoformat()]})
    source.deleted_at, source.deleted_by = locked.deleted_at, locked.deleted_by
    return source


def source_file_restore(*, source: SourceFile, user, current_run_id: int | None,
                        terms: SourceFileTerms = GENERIC_TERMS) -> SourceFile:
    """Undo a deletion: the rows of `current_run_id` (the file's newest finished run) are back in the queue with their work."""
    with transaction.atomic():
        locked = SourceFile.objects.select_for_update().get(pk=source.pk)
        if locked.deleted_at is None:
            raise UserFacingError(terms.not_deleted_code, str(terms.not_deleted), http_status=409)
        period_lock_check(locked.period_id)
        before = locked.deleted_at.isoformat()
        locked.deleted_at, locked.deleted_by = None, None
        locked.save(update_fields=["deleted_at", "deleted_by"])
        if current_run_id:
            Discrepancy.objects.filter(run_id=current_run_id).update(is_current=True)
        audit_record(user=user, object_type=terms.audit_type, object_id=locked.pk, action="restore",
                     changes={"deleted_at": [before, None]})
    source.deleted_at, source.deleted_by = None, None
    return source
