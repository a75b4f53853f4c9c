"""Disputes over the API: list and read them, create one from the queue's filter or ids, fetch the file, record answers."""
from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from recon.disputes.replies import REFUSED_TO, dispute_answer_record, dispute_reply_import
from recon.disputes.services import discrepancies_from_query, dispute_create
from recon.disputes.sheets import dispute_totals_by_type
from recon.disputes.filters import DisputeFilter
from recon.core.models import Discrepancy, Dispute, DisputeItem
from recon.core.permissions import DeclaredPermissions

VIEW = ("recon.view_dispute",)
MANAGE = ("recon.manage_dispute",)


class DisputeItemSerializer(serializers.ModelSerializer):
    discrepancy = serializers.IntegerField(source="discrepancy_id", read_only=True)
    waybill_no = serializers.CharField(source="discrepancy.ref", read_only=True)
    type = serializers.CharField(source="discrepancy.type", read_only=True)
    status = serializers.CharField(source="discrepancy.status", read_only=True)
    outcome = serializers.CharField(source="discrepancy.outcome", read_only=True)

    class Meta:
        model = DisputeItem
        fields = ["id", "discrepancy", "waybill_no", "type", "amount_claimed", "amount_credited", "answer", "courier_note",
                  "status", "outcome"]
        read_only_fields = fields


class DisputeSerializer(serializers.ModelSerializer):
    courier = serializers.SlugRelatedField(source="counterparty", slug_field="code", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # The period's label ("2026-10"), as the dispute file's cover and the refusal of a mixed selection name it.
    period = serializers.SlugRelatedField(slug_field="label", read_only=True, allow_null=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-dispute-detail")
    file_url = serializers.HyperlinkedIdentityField(view_name="api-dispute-file")

    class Meta:
        model = Dispute
        fields = ["id", "url", "number", "courier", "period", "status", "item_count", "amount_claimed", "amount_credited", "note",
                  "file_url", "created_by", "created_at", "answered_at"]
        read_only_fields = fields


class DisputeDetailSerializer(DisputeSerializer):
    by_type = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()

    class Meta(DisputeSerializer.Meta):
        fields = DisputeSerializer.Meta.fields + ["by_type", "items"]
        read_only_fields = fields

    def get_by_type(self, dispute) -> list[dict]:
        return [{**row, "claimed": f"{row['claimed']:.2f}", "credited": f"{row['credited']:.2f}"}
                for row in dispute_totals_by_type(dispute=dispute)]

    def get_items(self, dispute) -> list[dict]:
        items = DisputeItem.objects.filter(dispute=dispute).select_related("discrepancy").order_by("-amount_claimed", "id")
        return DisputeItemSerializer(items, many=True).data


class DisputeCreatedSerializer(DisputeDetailSerializer):
    left_out = serializers.DictField(child=serializers.IntegerField(), read_only=True,
                                     help_text="rows of the selection that stayed out, counted by reason")

    class Meta(DisputeDetailSerializer.Meta):
        fields = DisputeDetailSerializer.Meta.fields + ["left_out"]
        read_only_fields = fields


class DisputeCreateSerializer(serializers.Serializer):
    filter = serializers.CharField(required=False, allow_blank=True, help_text="The queue's query string, e.g. courier=ZTO&type=weight_overcharge")
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=100_000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate(self, data):
        if bool(data.get("ids")) == bool((data.get("filter") or "").strip()):
            raise serializers.ValidationError(_("Give either `filter` (the queue's query string) or `ids`, not both."))
        return data


class AnswerSerializer(serializers.Serializer):
    waybill_no = serializers.CharField(required=False, allow_blank=True)
    discrepancy_id = serializers.IntegerField(required=False, min_value=1)
    type = serializers.CharField(required=False, allow_blank=True)
    credited = serializers.CharField(help_text="Yuan credited by the courier; 0 when refused")
    note = serializers.CharField(required=False, allow_blank=True)


class AnswersSerializer(serializers.Serializer):
    answers = AnswerSerializer(many=True, allow_empty=False)
    refused_to = serializers.ChoiceField(choices=REFUSED_TO, default="queue")


class ReplyUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    refused_to = serializers.ChoiceField(choices=REFUSED_TO, default="queue")


class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Disputes (对账差异单) sent to couriers, filterable by courier and status, and the couriers' answers."""

    queryset = Dispute.objects.select_related("counterparty", "period", "created_by").order_by("-created_at", "-id")
    serializer_class = DisputeSerializer
    filterset_class = DisputeFilter
    permission_classes = [DeclaredPermissions]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    required_perms = {"list": VIEW, "retrieve": VIEW, "file": VIEW, "create": MANAGE, "answers": MANAGE, "reply": MANAGE}

    def get_serializer_class(self):
        return DisputeDetailSerializer if self.action == "retrieve" else DisputeSerializer

    @extend_schema(request=DisputeCreateSerializer, responses={201: DisputeCreatedSerializer})
    def create(self, request):
        """Create a dispute from the queue's filter (`filter`) or from `ids`; `left_out` says what stayed out and why."""
        form = DisputeCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if data.get("ids"):
            selection = Discrepancy.objects.filter(id__in=data["ids"])
        else:
            selection = discrepancies_from_query(query=data["filter"], user=request.user)
        dispute = dispute_create(discrepancies=selection, user=request.user, note=data.get("note", ""))
        return Response(DisputeCreatedSerializer(dispute, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        """The dispute file (xlsx) to send to the courier."""
        dispute = self.get_object()
        if not dispute.file:
            raise Http404
        return FileResponse(dispute.file.open("rb"), as_attachment=True, filename=f"{dispute.number}.xlsx",
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @extend_schema(request=AnswersSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def answers(self, request, pk=None):
        """Record credited amounts per waybill (or discrepancy id); all rows or none, with per-row errors."""
        form = AnswersSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        result = dispute_answer_record(
            dispute=self.get_object(), answers=[dict(a) for a in form.validated_data["answers"]],
            refused_to=form.validated_data["refused_to"], user=request.user,
        )
        return Response(self._answered(result, request))

    @extend_schema(request={"multipart/form-data": ReplyUploadSerializer}, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def reply(self, request, pk=None):
        """Import the courier's reply file (our file filled in, or their CSV/XLSX); unreadable rows come back by sheet and row."""
        form = ReplyUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        result = dispute_reply_import(
            dispute=self.get_object(), file=upload, filename=upload.name,
            refused_to=form.validated_data["refused_to"], user=request.user,
        )
        return Response(self._answered(result, request))

    def _answered(self, result: dict, request) -> dict:
        dispute = Dispute.objects.select_related("counterparty", "period", "created_by").get(pk=self.kwargs["pk"])
        return {"result": result, "dispute": DisputeSerializer(dispute, context={"request": request}).data}

