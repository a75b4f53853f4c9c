from rest_framework import serializers

from orders.masking import can_see_personal_data, mask_address, mask_name, mask_phone

from .models import ReturnFreightLine, ReturnReceipt, ReturnRequest

MASKS = {"buyer_name": mask_name, "buyer_phone": mask_phone, "buyer_address": mask_address}


class ReturnRequestSerializer(serializers.ModelSerializer):
    """Buyers' personal data comes masked unless the requesting user has orders.view_personal_data, as for shipments."""

    return_courier = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ReturnRequest
        fields = [
            "id", "return_no", "sku", "order_no", "platform", "shop", "return_waybill_no", "return_waybill_raw",
            "return_courier", "quantity", "refund_amount", "refund_status", "refunded_at", "requested_at", "reason",
            "buyer_name", "buyer_phone", "buyer_address", "source", "row_no", "updated_at",
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
            for name, mask in MASKS.items():
                data[name] = mask(data[name])
        return data


class ReturnReceiptSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReturnReceipt
        fields = [
            "id", "return_waybill_no", "return_waybill_raw", "order_no", "received_at", "sku", "quantity", "condition",
            "warehouse", "inspector", "photos", "source", "row_no", "updated_at",
        ]


class ReturnFreightLineSerializer(serializers.ModelSerializer):
    courier = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ReturnFreightLine
        fields = [
            "id", "courier", "waybill_no", "waybill_raw", "billed_at", "billed_weight_g", "fee", "origin_province",
            "origin_province_raw", "source", "line_no", "row_no",
        ]


class BulkErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    rejected = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = BulkErrorSerializer(many=True)
