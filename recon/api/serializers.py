"""API shapes for runs and discrepancies."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recon.core.filters import MAX_ID
from recon.core.stored_text import stored_reason, stored_text
from recon.kinds import type_label
from recon.core.models import (
    AuditEvent, BulkAction, Discrepancy, DiscrepancyAttachment, DiscrepancyComment, ReconPeriod, ReconRun, SavedFilter,
)


class StoredTextField(serializers.CharField):
    """A run's error, stored in the product's language, in the request's language (error_code stays the stable key)."""

    def to_representation(self, value) -> str:
        return stored_text(str(value))


class StoredReasonField(serializers.CharField):
    """A discrepancy's reason, stored in the product's language, in the request's language."""

    def to_representation(self, value) -> str:
        return stored_reason(str(value))


class ReconRunSerializer(serializers.ModelSerializer):
    error = StoredTextField(read_only=True)
    courier = serializers.SlugRelatedField(source="counterparty", slug_field="code", read_only=True, allow_null=True)
    phase_label = serializers.CharField(source="get_phase_display", read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-run-detail")
    rerun_url = serializers.SerializerMethodField(help_text="POST here to run a failed run again (null unless failed)")

    class Meta:
        model = ReconRun
        fields = [
            "id", "url", "kind", "status", "phase", "phase_label", "progress_current", "progress_total", "progress_percent",
            "courier", "courier_bill", "period_start", "period_end", "input_filename", "input_sha256", "summary",
            "error_code", "error", "error_details", "timings", "created_at", "queued_at", "enqueue_attempts", "started_at",
            "heartbeat_at", "finished_at", "rerun_of", "rerun_url",
        ]
        read_only_fields = fields

    def get_rerun_url(self, run) -> str | None:
        if run.status != ReconRun.Status.FAILED:
            return None
        from rest_framework.reverse import reverse

        return reverse("api-run-rerun", args=[run.pk], request=self.context.get("request"))


class TypeLabelField(serializers.CharField):
    """A type code shown as its label from the kinds' specs, in the request's language."""

    def to_representation(self, value) -> str:
        return str(type_label(value))


class DiscrepancySerializer(serializers.ModelSerializer):
    # The names the courier-fee API has always had, read from the generic columns and the row's details.
    courier = serializers.SlugRelatedField(source="counterparty", slug_field="code", read_only=True, allow_null=True)
    counterparty = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    waybill_no = serializers.CharField(source="ref", read_only=True)
    order_no = serializers.CharField(source="ref2", read_only=True)
    line_no = serializers.IntegerField(source="source_line", read_only=True, allow_null=True)
    billed_fee = serializers.DecimalField(source="theirs_amount", max_digits=12, decimal_places=2, read_only=True, allow_null=True)
    expected_fee = serializers.DecimalField(source="ours_amount", max_digits=12, decimal_places=2, read_only=True, allow_null=True)
    bill_line = serializers.IntegerField(source="details.bill_line_id", read_only=True, allow_null=True)
    shipment = serializers.IntegerField(source="details.shipment_id", read_only=True, allow_null=True)
    bill = serializers.PrimaryKeyRelatedField(source="source", read_only=True, allow_null=True, label="bill")
    billed_weight_g = serializers.IntegerField(source="details.billed_weight_g", read_only=True, allow_null=True)
    expected_weight_g = serializers.IntegerField(source="details.expected_weight_g", read_only=True, allow_null=True)
    billed_province = serializers.CharField(source="details.billed_province", read_only=True, allow_null=True)
    expected_province = serializers.CharField(source="details.expected_province", read_only=True, allow_null=True)
    type_label = TypeLabelField(source="type", read_only=True)
    reason = StoredReasonField(read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # "" until the discrepancy is resolved: clients compare against it, so the schema admits it rather than null.
    outcome = serializers.ChoiceField(choices=Discrepancy.Outcome.choices, allow_blank=True, read_only=True)
    shortfall_outcome = serializers.ChoiceField(choices=Discrepancy.ShortfallOutcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Discrepancy
        fields = [
            "id", "run", "kind", "type", "type_label", "status", "courier", "waybill_no", "order_no", "line_no",
            "bill_line", "shipment", "amount_at_stake", "billed_fee", "expected_fee", "billed_weight_g",
            "expected_weight_g", "billed_province", "expected_province", "reason", "details", "created_at",
            "bill", "period", "is_current", "assignee", "outcome", "outcome_reason", "recovered_amount",
            "shortfall_amount", "shortfall_outcome", "shortfall_reason", "dispute", "updated_at",
            "counterparty", "ref", "ref2", "sku", "source_line", "theirs_amount", "ours_amount", "is_claim", "direction",
            "occurred_on",
        ]
        read_only_fields = fields


class LinkedDiscrepancySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    type = serializers.CharField()
    type_label = serializers.CharField()
    ref = serializers.CharField()
    ref2 = serializers.CharField()
    status = serializers.CharField()
    amount_at_stake = serializers.DecimalField(max_digits=12, decimal_places=2)
    evidence = serializers.DictField(child=serializers.CharField(), help_text="what the linked row shows, by label")


class DiscrepancyDetailSerializer(DiscrepancySerializer):
    """One discrepancy: its fields, and the current discrepancies of other kinds that are the same finding."""

    linked = serializers.SerializerMethodField()

    class Meta(DiscrepancySerializer.Meta):
        fields = [*DiscrepancySerializer.Meta.fields, "linked"]
        read_only_fields = fields

    @extend_schema_field(LinkedDiscrepancySerializer(many=True))
    def get_linked(self, d) -> list[dict]:
        from recon.runs.links import discrepancy_linked

        rows = [{**x, "type_label": str(type_label(x["type"])), "evidence": dict(x["evidence"])}
                for x in discrepancy_linked(discrepancy=d)]
        return LinkedDiscrepancySerializer(rows, many=True).data


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Discrepancy.Status.choices)
    outcome = serializers.ChoiceField(choices=Discrepancy.Outcome.choices, required=False, allow_blank=True, default="")
    amount = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None, help_text="credited yuan, e.g. '12.50'")
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ShortfallDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[c for c in Discrepancy.ShortfallOutcome.choices if c[0]])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(allow_null=True, allow_blank=True, help_text="username, id or `me`; empty or null for nobody")


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = DiscrepancyComment
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = DiscrepancyAttachment
        fields = ["id", "original_filename", "content_type", "size_bytes", "uploaded_by", "created_at"]
        read_only_fields = fields


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor_id", "actor_name", "ip", "object_type", "object_id", "action", "changes", "note"]
        read_only_fields = fields


class BulkActionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=BulkAction.Action.choices)
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list)
    filter = serializers.CharField(required=False, allow_blank=True, default="", help_text="the queue's query string, e.g. 'status=open&courier=ZTO'")
    assignee = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="for `assign`: username, id or `me`; empty or null for nobody")
    status = serializers.CharField(required=False, allow_blank=True)
    outcome = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True)


class BulkActionSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-bulk-action-detail")

    class Meta:
        model = BulkAction
        fields = ["id", "url", "action", "params", "ids", "query", "status", "progress_current", "progress_total",
                  "progress_percent", "result", "error", "created_at", "finished_at"]
        read_only_fields = fields


class ReconPeriodSerializer(serializers.ModelSerializer):
    courier = serializers.SlugRelatedField(source="counterparty", slug_field="code", read_only=True)
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = ReconPeriod
        fields = ["id", "courier", "label", "start", "end", "cycle", "status", "closed_by", "closed_at"]
        read_only_fields = fields


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField()


class SavedFilterSerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedFilter
        fields = ["id", "name", "query", "created_at"]
        read_only_fields = ["id", "created_at"]


class PeriodQuerySerializer(serializers.Serializer):
    """The periods list's filters (blank means all)."""

    courier = serializers.CharField(required=False, allow_blank=True, help_text="courier code, e.g. ZTO")
    status = serializers.ChoiceField(choices=ReconPeriod.Status.choices, required=False, allow_blank=True)


class AuditEventQuerySerializer(serializers.Serializer):
    """The audit trail's filters (blank means all)."""

    object_type = serializers.CharField(required=False, allow_blank=True, help_text="e.g. discrepancy, courierbill")
    object_id = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID)
    actor = serializers.CharField(required=False, allow_blank=True, help_text="username")
    action = serializers.CharField(required=False, allow_blank=True)
