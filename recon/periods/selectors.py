"""Reads of reconciliation periods."""
from __future__ import annotations

from django.db.models import QuerySet

from recon.core.models import ReconPeriod


def recon_period_list(*, params) -> QuerySet:
    """Periods under a filter (courier, status), newest first; none for a filter that does not validate."""
    from recon.periods.filters import ReconPeriodFilter

    periods = ReconPeriod.objects.select_related("counterparty", "closed_by").order_by("-start", "counterparty__code")
    filterset = ReconPeriodFilter(params, queryset=periods)
    return filterset.qs if filterset.is_valid() else periods.none()
