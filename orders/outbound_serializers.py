"""The API's shapes of outbound records, pickup scans and the result of a bulk post."""
from rest_framework import serializers

from .models import OutboundRecord, PickupScan
from .serializers import OrderBulkResultSerializer


class OutboundRecordSerializer(serializers.ModelSerializer):
    courier = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = OutboundRecord
        fields = ["id", "outbound_no", "order_no", "sku", "quantity", "waybill_no", "courier", "packed_weight_g", "outbound_at",
                  "warehouse", "province", "source", "row_no", "created_at", "updated_at"]


class PickupScanSerializer(serializers.ModelSerializer):
    courier = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PickupScan
        fields = ["id", "waybill_no", "courier", "picked_up_at", "pickup_weight_g", "site", "source", "row_no", "created_at",
                  "updated_at"]


class OutboundBulkResultSerializer(OrderBulkResultSerializer):
    """rows written, rejected, duplicates (already stored as sent), and one error per refused record and field; the
    waybills written were checked on arrival (waybill_reused, pickup_weight_mismatch): how many, the check's run and
    the discrepancies it has in the queue."""

    checked = serializers.IntegerField(help_text="waybills (courier + number) written by this post and checked on arrival")
    check_run = serializers.IntegerField(allow_null=True, help_text="the run of that check (kind outbound), null when nothing was written")
    found = serializers.IntegerField(help_text="discrepancies the check has in the queue for those waybills")
