"""Returns' endpoints: list with filters, and POST a JSON list to create or update by natural key."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from .filters import ReturnFreightLineFilter, ReturnReceiptFilter, ReturnRequestFilter
from .models import ReturnFreightLine, ReturnReceipt, ReturnRequest
from .serializers import BulkResultSerializer, ReturnFreightLineSerializer, ReturnReceiptSerializer, ReturnRequestSerializer
from .services import returns_bulk_upsert


def _perms(model: str) -> dict:
    return {"list": (f"returns.view_{model}",), "create": (f"returns.add_{model}", f"returns.change_{model}")}


class _BulkViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    kind = ""

    def create(self, request, *args, **kwargs):
        records = request.data.get("records") if isinstance(request.data, dict) else request.data
        result = returns_bulk_upsert(kind=self.kind, records=records, user=request.user)
        return Response(result.as_dict(), status=status.HTTP_200_OK)


REQUEST_EXAMPLE = [
    {"return_no": "RT1001", "order_no": "SO1001", "platform": "淘宝", "shop": "旗舰店", "return_waybill_no": "75312345678901",
     "return_courier": "ZTO", "sku": "SKU-A", "quantity": 2, "refund_amount": "99.80", "refund_status": "退款成功",
     "refunded_at": "2026-10-06 10:00", "requested_at": "2026-10-03 09:30", "reason": "尺码不合适"},
]


class ReturnRequestViewSet(_BulkViewSet):
    """Return requests, one row per item; buyers' personal data comes masked without orders.view_personal_data."""

    kind = "requests"
    queryset = ReturnRequest.objects.select_related("return_courier").order_by("-requested_at", "id")
    serializer_class = ReturnRequestSerializer
    filterset_class = ReturnRequestFilter
    required_perms = _perms("returnrequest")

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: BulkResultSerializer},
                   examples=[OpenApiExample("one item", request_only=True, value=REQUEST_EXAMPLE)],
                   description="Create or update return requests by return_no + sku (a JSON list, or {\"records\": [...]}); "
                   "fields as in the file import. Rows that cannot be read come back in errors with their index.")
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class ReturnReceiptViewSet(_BulkViewSet):
    """Warehouse receipts of returned items."""

    kind = "receipts"
    queryset = ReturnReceipt.objects.order_by("-received_at", "id")
    serializer_class = ReturnReceiptSerializer
    filterset_class = ReturnReceiptFilter
    required_perms = _perms("returnreceipt")

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: BulkResultSerializer},
                   examples=[OpenApiExample("one item", request_only=True, value=[
                       {"return_waybill_no": "75312345678901", "order_no": "SO1001", "received_at": "2026-10-08 15:00",
                        "sku": "SKU-A", "quantity": 2, "condition": "良品", "warehouse": "杭州仓", "inspector": "王五"}])],
                   description="Create or update receipts by waybill (or order number) + sku + condition.")
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class ReturnFreightViewSet(_BulkViewSet):
    """Return freight lines a courier billed; every posted line is added (a repeat is what the reconciliation reports)."""

    kind = "freight"
    queryset = ReturnFreightLine.objects.select_related("courier").order_by("-id")
    serializer_class = ReturnFreightLineSerializer
    filterset_class = ReturnFreightLineFilter
    required_perms = _perms("returnfreightline")

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: BulkResultSerializer},
                   examples=[OpenApiExample("one line", request_only=True, value=[
                       {"courier": "ZTO", "waybill_no": "75312345678901", "billed_at": "2026-10-07", "billed_weight": "1.2",
                        "fee": "8.00", "origin_province": "浙江"}])],
                   description="Add return freight lines; each names its courier (code or name).")
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)
