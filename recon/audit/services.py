"""The audit trail: who changed what, when, from where, with old and new values. Append-only."""
from __future__ import annotations

import contextvars
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from recon.core.models import AuditEvent

# The client address of the request (or of the request that queued a worker's job); services read it from here
# so that every write path records where it came from without threading the request through.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)


def client_ip(request) -> str | None:
    """The address the request came from; REMOTE_ADDR unless the trusted proxy header is configured."""
    from django.conf import settings

    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Makes the client's IP known to the services for the duration of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


def jsonable(value):
    """A value as the trail stores it: money and dates as text, model instances as their id."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    return value


def changes_of(old: dict, new: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    out = {}
    for key, value in new.items():
        before, after = jsonable(old.get(key)), jsonable(value)
        if before != after:
            out[key] = [before, after]
    return out


def audit_record(*, user, object_type: str, object_id: int, action: str, changes: dict | None = None, note: str = "") -> AuditEvent:
    """Append one event to the trail."""
    return AuditEvent.objects.create(
        at=timezone.now(), actor_id=getattr(user, "pk", None), actor_name=getattr(user, "username", "") or "", ip=current_ip.get(),
        object_type=object_type, object_id=object_id, action=action, changes=changes or {}, note=note,
    )


def audit_record_many(*, user, object_type: str, action: str, rows: Iterable[tuple[int, dict]], note: str = "") -> int:
    """Append one event per (object_id, changes) in batched inserts (bulk actions touch thousands of rows)."""
    actor_id, actor_name, ip = getattr(user, "pk", None), getattr(user, "username", "") or "", current_ip.get()
    at = timezone.now()
    events = [
        AuditEvent(at=at, actor_id=actor_id, actor_name=actor_name, ip=ip, object_type=object_type, object_id=oid,
                   action=action, changes=changes, note=note)
        for oid, changes in rows
    ]
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    return len(events)


def model_values(obj) -> dict:
    """An instance's concrete field values, as the trail stores them."""
    return {f.attname: jsonable(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


class AuditedAdminMixin:
    """Admin edits go to the trail like every other change: old and new values of each saved object."""

    audit_object_type = ""

    def _type(self, obj) -> str:
        return self.audit_object_type or obj._meta.model_name

    def audit_values(self, obj) -> dict:
        return model_values(obj)

    def save_model(self, request, obj, form, change):
        before = self.audit_values(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        # Read back, as `before` was: the form's values differ in form only (a datetime's time zone) from the stored ones.
        after = self.audit_values(type(obj).objects.get(pk=obj.pk))
        diff = changes_of(before, after)
        if diff or not change:
            audit_record(user=request.user, object_type=self._type(obj), object_id=obj.pk,
                         action="change" if change else "create", changes=diff, note="admin")

    def save_formset(self, request, form, formset, change):
        # Inline rows (a card's bands and zones) are part of the parent's history.
        parent = form.instance
        before = {o.pk: model_values(o) for o in formset.get_queryset()} if change else {}
        super().save_formset(request, form, formset, change)
        rows = []
        for o in formset.new_objects:
            rows.append({"added": [None, str(o)]})
        for o, _fields in formset.changed_objects:
            rows.append({f"{o._meta.model_name} {o}": [before.get(o.pk, {}), model_values(o)]})
        for o in formset.deleted_objects:
            rows.append({"removed": [str(o), None]})
        for diff in rows:
            audit_record(user=request.user, object_type=self._type(parent), object_id=parent.pk, action="change", changes=diff, note="admin")

    def delete_model(self, request, obj):
        pk, values = obj.pk, self.audit_values(obj)
        super().delete_model(request, obj)
        audit_record(user=request.user, object_type=self._type(obj), object_id=pk, action="delete",
                     changes={k: [v, None] for k, v in values.items()}, note="admin")

    def delete_queryset(self, request, queryset):
        # The list's "delete selected" action would otherwise delete in one query, past delete_model and the trail.
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)
