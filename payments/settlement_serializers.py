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


class LineBulkErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The record's place in the posted list, from 0.")
    field = serializers.CharField(help_text="The record's field at fault ('' for the whole record).")
    code = serializers.CharField(help_text="line_matched: the line is held by a bank match and its amount, time or "
                                 "date cannot change; the other codes say why the record could not be read.")
    message = serializers.CharField()


class SettlementBulkResultSerializer(serializers.Serializer):
    """Counted by record; rows + rejected + duplicates = the records posted."""

    rows = serializers.IntegerField(help_text="Records written: new lines, and stored lines whose values changed.")
    rejected = serializers.IntegerField(help_text="Records refused, each with its errors.")
    duplicates = serializers.IntegerField(help_text="Records whose line is stored with the same values (or whose key "
                                          "came earlier in the same request): nothing written.")
    updated = serializers.IntegerField(help_text="Of rows, the stored lines updated (each change is in the audit trail).")
    errors = LineBulkErrorSerializer(many=True)
