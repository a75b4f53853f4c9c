"""API shapes for runs and discrepancies."""
from rest_framework import serializers

from .models import Discrepancy, ReconRun


class ReconRunSerializer(serializers.ModelSerializer):
    courier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    phase_label = serializers.CharField(source="get_phase_display", read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-run-detail")

    class Meta:
        model = ReconRun
        fields = [
            "id", "url", "kind", "status", "phase", "phase_label", "progress_current", "progress_total", "progress_percent",
            "courier", "courier_bill", "period_start", "period_end", "input_filename", "input_sha256", "summary",
            "error_code", "error", "error_details", "timings", "created_at", "started_at", "finished_at",
        ]
        read_only_fields = fields


class DiscrepancySerializer(serializers.ModelSerializer):
    courier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    type_label = serializers.CharField(source="get_type_display", read_only=True)

    class Meta:
        model = Discrepancy
        fields = [
            "id", "run", "kind", "type", "type_label", "status", "courier", "waybill_no", "order_no", "line_no",
            "bill_line", "shipment", "amount_at_stake", "billed_fee", "expected_fee", "billed_weight_g",
            "expected_weight_g", "billed_province", "expected_province", "reason", "details", "created_at",
        ]
        read_only_fields = fields
