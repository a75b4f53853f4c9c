"""Writes of saved custom reports, and which of them a user sees."""
from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from recon.core.errors import UserFacingError
from recon.core.permissions import ROLES

from .custom import definition_clean
from .models import SavedReport

# Reports are shared with the product's roles that use the pages; integration reads nothing here.
SHARE_ROLES = tuple(r for r in ROLES if r != "integration")


def saved_reports_visible(*, user) -> QuerySet[SavedReport]:
    """The user's own reports and those shared with one of the user's roles."""
    return (SavedReport.objects.filter(Q(owner=user) | Q(shared_with_groups__in=user.groups.all()))
            .distinct().select_related("owner").prefetch_related("shared_with_groups"))


def _groups(names) -> list[Group]:
    names = list(names or [])
    unknown = sorted(set(names) - set(SHARE_ROLES))
    if unknown:
        raise UserFacingError("unknown_role", _("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)})
    return list(Group.objects.filter(name__in=names))


@transaction.atomic
def saved_report_save(*, user, name: str, definition: dict, share_with: list[str] | None = None,
                      report: SavedReport | None = None) -> SavedReport:
    """Create (or, given `report`, update) a report of the user's, its definition checked, shared with the roles named."""
    name = (name or "").strip()
    if not name:
        raise UserFacingError("name_required", _("Give the report a name."))
    clean = definition_clean(definition)
    if report is not None and report.owner_id != user.pk:
        raise UserFacingError("not_owner", _("Only the report's owner may change it."), http_status=403)
    taken = SavedReport.objects.filter(owner=user, name=name)
    if report is not None:
        taken = taken.exclude(pk=report.pk)
    if taken.exists():
        raise UserFacingError("duplicate_name", _("You already have a report with this name."), http_status=409)
    groups = _groups(share_with)
    if report is None:
        report = SavedReport.objects.create(owner=user, name=name, definition=clean)
    else:
        report.name, report.definition = name, clean
        report.save(update_fields=["name", "definition", "updated_at"])
    report.shared_with_groups.set(groups)
    return report


def saved_report_delete(*, user, report: SavedReport) -> None:
    """Delete a report of the user's own."""
    if report.owner_id != user.pk:
        raise UserFacingError("not_owner", _("Only the report's owner may delete it."), http_status=403)
    report.delete()
