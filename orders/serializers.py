from rest_framework import serializers

from .masking import can_see_personal_data, mask_address, mask_name, mask_phone
from .models import Order, OrderLine, Platform, Shipment

MASKS = {"recipient_name": mask_name, "recipient_phone": mask_phone, "recipient_address": mask_address}


class ShipmentSerializer(serializers.ModelSerializer):
    """Recipients' personal data comes masked unless the requesting user has orders.view_personal_data."""

    courier = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id", "order_no", "waybill_no", "courier", "shipped_at", "weight_g", "length_mm", "width_mm", "height_mm",
            "province", "city", "status", "declared_value", "recipient_name", "recipient_phone", "recipient_address",
            "updated_at",
        ]

    def _reveal(self) -> bool:
        # Asked once per response: a list shares this serializer across its rows.
        if not hasattr(self, "_reveal_cached"):
            request = self.context.get("request")
            self._reveal_cached = can_see_personal_data(getattr(request, "user", None))
        return self._reveal_cached

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self._reveal():
            for field, mask in MASKS.items():
                data[field] = mask(data[field])
        return data


class ShipmentBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rejected_rows = serializers.ListField(child=serializers.DictField())


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["line_no", "sku", "quantity", "line_amount"]


class OrderSerializer(serializers.ModelSerializer):
    platform = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "platform", "order_no", "shop", "status", "paid_at", "shipped_at", "order_amount", "refund_amount",
                  "lines", "source", "row_no", "updated_at"]


class PlatformSerializer(serializers.ModelSerializer):
    class Meta:
        model = Platform
        fields = ["id", "code", "name", "aliases", "fee_rate", "settle_within_days", "ship_within_hours", "payer_names", "active"]


class OrderBulkErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class OrderBulkResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    rejected = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = OrderBulkErrorSerializer(many=True)
