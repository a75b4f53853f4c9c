"""API shapes for couriers, rate cards, bills, lines and rejected rows, and the upload forms."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recon.api.serializers import ReconRunSerializer

from .models import Courier, CourierBill, CourierBillLine, RateCard, RateCardBand, RateCardZone
from .services import BILL_FIELDS, BILL_MODES


class CourierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Courier
        fields = ["id", "code", "name", "name_en", "aliases", "active"]


class RateCardBandSerializer(serializers.ModelSerializer):
    class Meta:
        model = RateCardBand
        fields = ["province", "upper_g", "price"]


class RateCardZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = RateCardZone
        fields = ["province", "step_g", "step_price"]


class RateCardSerializer(serializers.ModelSerializer):
    courier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    bands = RateCardBandSerializer(many=True, read_only=True)
    zones = RateCardZoneSerializer(many=True, read_only=True)

    class Meta:
        model = RateCard
        fields = [
            "id", "courier", "name", "effective_from", "effective_to", "volumetric_divisor", "weight_tolerance_g",
            "fee_tolerance_fen", "source_filename", "created_at", "zones", "bands",
        ]


class RateCardUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)  # emptiness is reported by the service, with its own code
    courier = serializers.CharField(help_text="courier code, e.g. ZTO")
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(required=False, allow_null=True)
    volumetric_divisor = serializers.IntegerField(required=False, min_value=0, default=8000, help_text="0 disables volumetric weight")
    weight_tolerance_g = serializers.IntegerField(required=False, min_value=0, default=0)
    fee_tolerance_fen = serializers.IntegerField(required=False, min_value=0, default=0)
    name = serializers.CharField(required=False, allow_blank=True, default="")


class CourierBillSerializer(serializers.ModelSerializer):
    courier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period = serializers.CharField(source="period_label", read_only=True)
    latest_run = serializers.SerializerMethodField()

    class Meta:
        model = CourierBill
        fields = [
            "id", "courier", "period", "period_start", "period_end", "original_filename", "sha256", "size_bytes",
            "line_count", "rejected_count", "billed_total", "read_info", "uploaded_at", "latest_run",
            "period_id", "deleted_at", "content_sha256", "is_supplement", "replaces",
        ]

    def get_latest_run(self, bill) -> int | None:
        runs = getattr(bill, "prefetched_runs", None)
        if runs is not None:
            return runs[0].id if runs else None
        run = bill.runs.order_by("-id").first()
        return run.id if run else None


class AffectedRunSerializer(serializers.Serializer):
    run = serializers.IntegerField(source="id")
    bill = serializers.IntegerField(source="courier_bill_id")


class RerunAffectedSerializer(serializers.Serializer):
    runs = AffectedRunSerializer(many=True, help_text="the new runs, one per bill reconciled again")


class RestoredBillSerializer(CourierBillSerializer):
    affected_runs = serializers.SerializerMethodField(
        help_text="the newest runs of other bills that were made while this bill was deleted and so count it wrongly; "
                  "POST rerun-affected/ to reconcile their bills again")

    class Meta(CourierBillSerializer.Meta):
        fields = [*CourierBillSerializer.Meta.fields, "affected_runs"]

    @extend_schema_field(AffectedRunSerializer(many=True))
    def get_affected_runs(self, bill) -> list[dict]:
        return AffectedRunSerializer(self.context.get("affected_runs") or [], many=True).data


class CourierBillUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)  # emptiness is reported by the service, with its own code
    courier = serializers.CharField(help_text="courier code, e.g. ZTO")
    period = serializers.CharField(help_text="YYYY-MM (month), YYYY-Www (ISO week), YYYY-MM-DD (day) or YYYY-MM-DD..YYYY-MM-DD")
    mapping = serializers.JSONField(required=False, help_text=f"optional {{field: header}} overrides; fields: {', '.join(BILL_FIELDS)}")
    mode = serializers.ChoiceField(
        choices=BILL_MODES, required=False, allow_blank=True, default="",
        help_text="for a second bill of the same courier and period: `replace` (the earlier bill is deleted and the work "
                  "done on its discrepancies carries over) or `supplement` (补充账单; both count). Without it such an "
                  "upload is refused with 409 bill_exists.")
    replaces = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text="with mode=replace, when the period has several bills: the id of the one replaced")
    confirm_period = serializers.BooleanField(
        required=False, default=True,
        help_text="false: refuse (400 period_mismatch) when most pickup dates fall outside the period; true (default): "
                  "upload anyway and answer a warning")
    confirm_columns = serializers.BooleanField(
        required=False, default=True,
        help_text="false: refuse (400 columns_uncertain) when a column was only guessed from its header; true (default): "
                  "accept the guesses (they are remembered for the courier)")

    def validate_mapping(self, value):
        if value in (None, ""):
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise serializers.ValidationError("mapping must be a JSON object of field -> header text")
        unknown = sorted(set(value) - set(BILL_FIELDS))
        if unknown:
            raise serializers.ValidationError(f"unknown fields {unknown}; use {BILL_FIELDS}")
        return value


class SubmissionWarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="period_mismatch")
    message = serializers.CharField()
    chosen = serializers.CharField(required=False)
    suggested = serializers.CharField(required=False, allow_null=True)
    inside = serializers.IntegerField(required=False)
    outside = serializers.IntegerField(required=False)
    sampled = serializers.IntegerField(required=False)


class BillSubmissionSerializer(serializers.Serializer):
    run = ReconRunSerializer(allow_null=True)
    bill = serializers.IntegerField(source="bill.id", allow_null=True, default=None)
    duplicate = serializers.BooleanField()
    warnings = SubmissionWarningSerializer(many=True, help_text="what the upload went ahead despite, e.g. period_mismatch")


class CourierBillLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CourierBillLine
        fields = [
            "id", "line_no", "sheet", "row_no", "waybill_no", "billed_weight_g", "billed_fee", "billed_province",
            "billed_province_raw", "billed_at", "result", "expected_fee", "our_weight_g", "our_province", "shipment",
        ]


