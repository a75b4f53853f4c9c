from rest_framework import serializers

from .models import Shipment


class ShipmentSerializer(serializers.ModelSerializer):
    courier = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id", "order_no", "waybill_no", "courier", "shipped_at", "weight_g", "length_mm", "width_mm", "height_mm",
            "province", "city", "status", "declared_value", "updated_at",
        ]


class ShipmentBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rejected_rows = serializers.ListField(child=serializers.DictField())
