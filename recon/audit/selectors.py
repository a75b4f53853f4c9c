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


def audit_object_names(events: list) -> list:
    """Give each event `object_name` (bill #2, discrepancy ZT…, dispute ZTO-…) and `object_url` where the core has a page.

    One query per object type on the page, whatever the number of events.
    """
    from collections import defaultdict

    from django.urls import reverse
    from django.utils.translation import gettext as _

    from recon.core.models import Discrepancy, Dispute, ReconPeriod, Setting
    from recon.sources.models import SourceFile

    ids = defaultdict(set)
    for e in events:
        ids[e.object_type].add(e.object_id)
    refs = dict(Discrepancy.objects.filter(pk__in=ids["discrepancy"]).values_list("pk", "ref")) if ids["discrepancy"] else {}
    numbers = dict(Dispute.objects.filter(pk__in=ids["dispute"]).values_list("pk", "number")) if ids["dispute"] else {}
    periods = {p.pk: str(p) for p in ReconPeriod.objects.filter(pk__in=ids["period"]).select_related("counterparty")} if ids["period"] else {}
    file_ids = ids["courier_bill"] | ids["source_file"]
    files = dict(SourceFile.objects.filter(pk__in=file_ids).values_list("pk", "original_filename")) if file_ids else {}
    keys = dict(Setting.objects.filter(pk__in=ids["setting"]).values_list("pk", "key")) if ids["setting"] else {}
    for e in events:
        t, pk = e.object_type, e.object_id
        url = ""
        if t == "discrepancy":
            name = _("discrepancy %(ref)s") % {"ref": refs[pk]} if pk in refs else _("discrepancy #%(id)s") % {"id": pk}
            url = reverse("discrepancy-detail", args=[pk]) if pk in refs else ""
        elif t == "dispute":
            name = _("dispute %(number)s") % {"number": numbers[pk]} if pk in numbers else _("dispute #%(id)s") % {"id": pk}
            url = reverse("dispute-detail", args=[pk]) if pk in numbers else ""
        elif t == "period":
            name = _("period %(period)s") % {"period": periods[pk]} if pk in periods else _("period #%(id)s") % {"id": pk}
            url = reverse("period-detail", args=[pk]) if pk in periods else ""
        elif t == "courier_bill":
            name = _("bill #%(id)s") % {"id": pk} + (f" ({files[pk]})" if pk in files else "")
        elif t == "source_file":
            name = _("file #%(id)s") % {"id": pk} + (f" ({files[pk]})" if pk in files else "")
        elif t == "rate_card":
            name = _("rate card #%(id)s") % {"id": pk}
        elif t == "setting":
            name = _("setting %(key)s") % {"key": keys[pk]} if pk in keys else _("setting #%(id)s") % {"id": pk}
        elif t == "login_lockout":
            name = _("login lockout")
        else:
            name = f"{t} #{pk}"
        e.object_name, e.object_url = name, url
    return events
