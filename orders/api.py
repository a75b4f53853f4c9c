"""Shipments: list with filters, and a bulk upsert for integrations."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .filters import ShipmentFilter
from .models import Shipment
from .serializers import ShipmentBulkResultSerializer, ShipmentSerializer
from .services import shipments_bulk_create


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
