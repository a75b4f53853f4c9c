"""Reads of the audit trail."""
from __future__ import annotations

from django.db.models import QuerySet

from recon.core.models import AuditEvent


def audit_event_filter(*, params):
    """The audit trail's FilterSet bound to these parameters (the page shows its form)."""
    from recon.audit.filters import AuditEventFilter

    return AuditEventFilter(params, queryset=AuditEvent.objects.all())


def audit_event_list(*, params) -> QuerySet:
    """The audit events a filter selects; none for a filter that does not validate."""
    filterset = audit_event_filter(params=params)
    return filterset.qs if filterset.is_valid() else AuditEvent.objects.none()
