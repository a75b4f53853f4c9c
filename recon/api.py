"""Read endpoints for runs and discrepancies."""
from rest_framework import viewsets

from .filters import DiscrepancyFilter, ReconRunFilter
from .models import Discrepancy, ReconRun
from .serializers import DiscrepancySerializer, ReconRunSerializer


class ReconRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Reconciliation runs; poll one until `status` is `succeeded` or `failed`."""

    queryset = ReconRun.objects.select_related("courier").order_by("-id")
    serializer_class = ReconRunSerializer
    filterset_class = ReconRunFilter
    ordering_fields = ["id", "created_at"]


class DiscrepancyViewSet(viewsets.ReadOnlyModelViewSet):
    """Discrepancies, filterable by type, status, courier, run, bill and amount range; money at stake first."""

    queryset = Discrepancy.objects.select_related("courier").order_by("-amount_at_stake", "id")
    serializer_class = DiscrepancySerializer
    filterset_class = DiscrepancyFilter
    ordering_fields = ["amount_at_stake", "waybill_no", "type", "id"]
