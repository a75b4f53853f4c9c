"""Shipments and platforms' orders: lists with filters, and bulk create-or-update for integrations; platforms, read-only."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .filters import OrderFilter, ShipmentFilter
from .models import Order, Platform, Shipment
from .serializers import (
    OrderBulkResultSerializer, OrderSerializer, PlatformSerializer, ShipmentBulkResultSerializer, ShipmentSerializer,
)
from .services import orders_bulk_upsert, shipments_bulk_create


class ShipmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Recipients' names, phones and addresses come masked without orders.view_personal_data."""

    queryset = Shipment.objects.select_related("courier").order_by("-shipped_at", "id")
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    required_perms = {"list": ("orders.view_shipment",), "retrieve": ("orders.view_shipment",),
                      "bulk": ("orders.add_shipment", "orders.change_shipment")}
    ordering_fields = ["shipped_at", "waybill_no", "weight_g"]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: ShipmentBulkResultSerializer},
        examples=[OpenApiExample("two shipments", request_only=True, value=[
            {"order_no": "SO1001", "waybill_no": "75312345678901", "courier": "ZTO", "shipped_at": "2026-10-05 14:00",
             "weight_kg": "1.25", "province": "广东省", "city": "深圳", "status": "shipped",
             "recipient_name": "张三", "recipient_phone": "13812341234", "recipient_address": "广东省深圳市南山区科技园路1号"},
            {"order_no": "SO1002", "waybill_no": "SF1234567890123", "courier": "顺丰", "shipped_at": "2026-10-05",
             "weight_kg": "0.4", "length_cm": 30, "width_cm": 20, "height_cm": 10, "province": "浙江"},
        ])],
        description="Insert or update shipments by waybill number (a JSON list, or {\"shipments\": [...]}); "
        "fields as in the file import. Rows that cannot be read come back in rejected_rows with the reason. "
        "An empty or masked recipient field (recipient_name, recipient_phone, recipient_address) keeps the stored value.",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        records = request.data.get("shipments") if isinstance(request.data, dict) else request.data
        result = shipments_bulk_create(records=records)
        return Response(result.as_dict(), status=status.HTTP_200_OK)


ORDER_EXAMPLE = [
    {"platform": "TMALL", "order_no": "3012345678901234567", "shop": "某某旗舰店", "status": "卖家已发货，等待买家确认",
     "paid_at": "2026-10-01 10:00:05", "shipped_at": "2026-10-02 15:30", "order_amount": "1299.90", "refund_amount": "0",
     "lines": [{"sku": "COAT-BLK-M", "quantity": 1, "line_amount": "1199.90"}, {"sku": "SCARF-01", "quantity": 2}]},
    {"platform": "京东", "order_no": "289123456790", "status": "completed", "paid_at": "2026-10-06 08:00", "order_amount": 45.5},
]


class OrderViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Platforms' orders with their lines; POST a JSON list to create or update them by platform + order number."""

    queryset = Order.objects.select_related("platform").prefetch_related("lines").order_by("-paid_at", "-id")
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    required_perms = {"list": ("orders.view_order",), "create": ("orders.import_orders",)}

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OrderBulkResultSerializer},
                   examples=[OpenApiExample("two orders", request_only=True, value=ORDER_EXAMPLE)],
                   description="Create or update orders by platform (code or name) + order_no (a JSON list, or "
                   "{\"records\": [...]}); fields as in the file import. An order sent with `lines` has its lines replaced; "
                   "one sent without keeps them. Counts are by record; records that cannot be read come back in errors with "
                   "their index and field (lines[k].sku for a line's).")
    def create(self, request, *args, **kwargs):
        records = request.data.get("records") if isinstance(request.data, dict) else request.data
        result = orders_bulk_upsert(records=records, user=request.user)
        return Response(result.as_dict(), status=status.HTTP_200_OK)


class PlatformViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The sales platforms and their contracts (read-only: a manager changes them in the admin or by command)."""

    queryset = Platform.objects.order_by("code")
    serializer_class = PlatformSerializer
    required_perms = {"list": ("orders.view_platform",)}
