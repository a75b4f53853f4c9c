"""Outbound records and pickup scans: lists with filters, and bulk create-or-update for warehouse systems and tracking
services."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from .models import OutboundRecord, PickupScan
from .outbound_checks import outbound_arrival_check
from .outbound_filters import OutboundRecordFilter, PickupScanFilter
from .outbound_serializers import OutboundBulkResultSerializer, OutboundRecordSerializer, PickupScanSerializer
from .outbound_services import OUTBOUND_FILE_KIND, PICKUPS_FILE_KIND, outbound_bulk_upsert

OUTBOUND_EXAMPLE = [
    {"outbound_no": "CK20261002001", "order_no": "3012345678901234567", "waybill_no": "75312345678901", "courier": "中通快递",
     "sku": "COAT-BLK-M", "quantity": 1, "packed_weight": "1.25", "outbound_at": "2026-10-02 15:30:00", "warehouse": "杭州仓",
     "province": "浙江"},
    {"outbound_no": "CK20261002001", "order_no": "3012345678901234568", "waybill_no": "75312345678901", "courier": "中通快递",
     "sku": "SOCK-3", "quantity": 3, "packed_weight": "1.25", "outbound_at": "2026-10-02 15:30:00", "warehouse": "杭州仓",
     "province": "浙江"},
]
PICKUP_EXAMPLE = [
    {"waybill_no": "75312345678901", "courier": "ZTO", "picked_up_at": "2026-10-02 18:05", "pickup_weight": "1.30",
     "site": "杭州余杭网点"},
]


def _written(result, request) -> Response:
    """The post's counts, and the check of the waybills it wrote, run at once: a finding is in the queue when the
    integration gets its answer."""
    return Response({**result.as_dict(), **outbound_arrival_check(waybills=result.waybills, user=request.user)},
                    status=status.HTTP_200_OK)


def _records(request):
    return request.data.get("records") if isinstance(request.data, dict) else request.data


class OutboundRecordViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The warehouse's outbound records, one per outbound + order + SKU; POST a JSON list to create or update them."""

    queryset = OutboundRecord.objects.select_related("courier").order_by("-outbound_at", "outbound_no", "id")
    serializer_class = OutboundRecordSerializer
    filterset_class = OutboundRecordFilter
    required_perms = {"list": ("orders.view_outboundrecord",), "create": ("orders.import_outbound",)}

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OutboundBulkResultSerializer},
                   examples=[OpenApiExample("one parcel carrying two orders", request_only=True, value=OUTBOUND_EXAMPLE)],
                   description="Create or update outbound records by outbound_no + order_no + sku (a JSON list, or "
                   "{\"records\": [...]}); fields as in the file import, packed_weight in kg; courier by code, name or alias. "
                   "Each parcel's shipment (waybill, courier, order, weight, time, province) is created or updated too. "
                   "Records of one outbound that disagree on a parcel field are all refused. Records that cannot be read "
                   "come back in errors with their index and field. The waybills written are checked at once for "
                   "waybill_reused and pickup_weight_mismatch (checked, check_run, found).")
    def create(self, request, *args, **kwargs):
        return _written(outbound_bulk_upsert(kind=OUTBOUND_FILE_KIND, records=_records(request), user=request.user), request)


class PickupScanViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Couriers' pickup scans, one per courier + waybill; POST a JSON list to create or update them."""

    queryset = PickupScan.objects.select_related("courier").order_by("-picked_up_at", "id")
    serializer_class = PickupScanSerializer
    filterset_class = PickupScanFilter
    required_perms = {"list": ("orders.view_pickupscan",), "create": ("orders.import_outbound",)}

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OutboundBulkResultSerializer},
                   examples=[OpenApiExample("one pickup", request_only=True, value=PICKUP_EXAMPLE)],
                   description="Create or update pickup scans by courier + waybill_no (a JSON list, or {\"records\": [...]}); "
                   "fields as in the file import, pickup_weight in kg; courier by code, name or alias. Records that cannot "
                   "be read come back in errors with their index and field. The waybills written are checked at once for "
                   "waybill_reused and pickup_weight_mismatch (checked, check_run, found).")
    def create(self, request, *args, **kwargs):
        return _written(outbound_bulk_upsert(kind=PICKUPS_FILE_KIND, records=_records(request), user=request.user), request)
