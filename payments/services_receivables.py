"""Writes of receivables: the follow-up status and note of an order, every change in the audit trail."""
from __future__ import annotations

from django.db import transaction

from orders.models import Order
from recon.audit.services import audit_record, changes_of

from .models import ReceivableFollowUp


def receivable_follow_up_set(*, order: Order, status: str, note: str, user) -> ReceivableFollowUp:
    """Set an order's follow-up status and note, and record the change (old and new values) in the audit trail."""
    with transaction.atomic():
        follow_up = ReceivableFollowUp.objects.select_for_update().filter(order=order).first()
        created = follow_up is None
        before = {} if created else {"status": follow_up.status, "note": follow_up.note}
        if created:
            follow_up = ReceivableFollowUp(order=order)
        follow_up.status, follow_up.note, follow_up.updated_by = status, note, user
        follow_up.save()
        changes = changes_of(before, {"status": status, "note": note})
        if created or changes:
            audit_record(user=user, object_type="receivable_follow_up", object_id=follow_up.pk,
                         action="create" if created else "change",
                         changes=changes,
                         note=f"{order.platform.code} {order.order_no}")
    return follow_up
