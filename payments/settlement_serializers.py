from rest_framework import serializers

from .models import SettlementLine


class SettlementLineSerializer(serializers.ModelSerializer):
    platform = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SettlementLine
        fields = [
            "id", "platform", "shop", "settlement_id", "order_no", "trade_no", "occurred_at", "business_type",
            "business_type_raw", "amount", "balance", "counterparty_name", "remark", "source", "row_no",
        ]


class SettlementBulkResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    rejected = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())
