"""Who may do what. Every page and endpoint declares its permissions here; an undeclared one is refused.

Roles are groups (finance, ops, manager, integration, auditor) created by a migration; a page needs
`recon.use_web` (every role but integration) plus what the view declares.
"""
from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

ROLES = ("finance", "ops", "manager", "integration", "auditor")
WEB = "recon.use_web"
# The API's index and schema are for the product's roles (every one of them reads runs), not for any account that signs in.
API_INDEX = ("recon.view_reconrun",)


def requires(*perms: str, web: bool = True):
    """Declare (and enforce) the permissions a browser view needs; `web` adds recon.use_web."""
    needed = ((WEB,) if web else ()) + perms

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perms(needed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_perms = needed
        return wrapped

    return decorate


def declared_perms(view) -> tuple[str, ...] | None:
    return getattr(view, "required_perms", None)


class DeclaredPermissions(BasePermission):
    """API views list their permissions per action in `required_perms`; an action missing from it is refused."""

    def has_permission(self, request, view) -> bool:
        table = getattr(view, "required_perms", None)
        if table is None:
            return False
        action = getattr(view, "action", None) or request.method.lower()
        perms = table.get(action, table.get("*"))
        if perms is None:
            return False
        return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))


def setting_value(key: str, default):
    from recon.core.models import Setting

    row = Setting.objects.filter(key=key).values_list("value", flat=True).first()
    return default if row is None else row


def may_work(user, discrepancy) -> bool:
    """The object rule: without recon.work_any_discrepancy a user works what is theirs or nobody's (a setting)."""
    if not user.has_perm("recon.work_discrepancy"):
        return False
    if user.has_perm("recon.work_any_discrepancy"):
        return True
    if not setting_value("ops_edit_own_only", True):
        return True
    return discrepancy.assignee_id in (None, user.pk)
