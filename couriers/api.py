"""Endpoints for couriers, rate cards and bills (upload returns 202 with the run to poll)."""
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from recon.core.models import ReconRun
from recon.sources.filters import RejectedRowFilter
from recon.sources.selectors import rejected_rows_of
from recon.sources.serializers import RejectedRowSerializer

from .filters import CourierBillFilter, CourierBillLineFilter, RateCardFilter
from .models import Courier, CourierBill, RateCard
from .selectors import courier_get
from .serializers import (
    BillSubmissionSerializer, CourierBillLineSerializer, CourierBillSerializer, CourierBillUploadSerializer,
    CourierSerializer, RateCardSerializer, RateCardUploadSerializer, RerunAffectedSerializer, RestoredBillSerializer,
)
from .selectors import bill_affected_runs
from .services import courier_bill_delete, courier_bill_rerun_affected, courier_bill_restore, courier_bill_submit, rate_card_import


class CourierViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Courier.objects.order_by("code")
    serializer_class = CourierSerializer
    pagination_class = None
    required_perms = {"list": ("couriers.view_courier",), "retrieve": ("couriers.view_courier",)}


class RateCardViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Rate cards; POST a spreadsheet (multipart) to import one."""

    queryset = RateCard.objects.select_related("courier").prefetch_related("bands", "zones").order_by("-id")
    serializer_class = RateCardSerializer
    filterset_class = RateCardFilter
    parser_classes = [MultiPartParser, FormParser]
    required_perms = {"list": ("couriers.view_ratecard",), "retrieve": ("couriers.view_ratecard",), "create": ("couriers.add_ratecard",)}

    @extend_schema(request=RateCardUploadSerializer, responses={201: RateCardSerializer})
    def create(self, request, *args, **kwargs):
        form = RateCardUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        card = rate_card_import(
            file=d["file"], filename=d["file"].name, courier=courier_get(code=d["courier"]),
            effective_from=d["effective_from"], effective_to=d.get("effective_to"),
            volumetric_divisor=d["volumetric_divisor"] or None, weight_tolerance_g=d["weight_tolerance_g"],
            fee_tolerance_fen=d["fee_tolerance_fen"], name=d["name"], user=request.user,
        )
        return Response(RateCardSerializer(card, context={"request": request}).data, status=status.HTTP_201_CREATED)


class CourierBillViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Courier bills. POST (multipart: file, courier, period[, mapping, mode, replaces, confirm_period, confirm_columns])
    answers 202 with the run to poll, and `warnings` (a period most pickup dates fall outside: `period_mismatch`);
    a second bill of the same courier and period needs `mode` (`replace` or `supplement`), else 409 `bill_exists`.
    DELETE is a soft delete (a manager can restore); `?deleted=1` lists deleted bills. After a delete or a restore,
    POST `rerun-affected/` reconciles again the other bills whose newest run counted this bill in its former state."""

    serializer_class = CourierBillSerializer
    filterset_class = CourierBillFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    required_perms = {
        "list": ("couriers.view_courierbill",), "retrieve": ("couriers.view_courierbill",),
        "lines": ("couriers.view_courierbillline",), "rejected_rows": ("recon.view_rejectedrow",),
        "create": ("couriers.upload_bill",), "destroy": ("couriers.delete_courierbill",), "restore": ("couriers.restore_bill",),
        "rerun_affected": ("couriers.upload_bill",),
    }

    def get_queryset(self):
        runs = Prefetch("runs", queryset=ReconRun.objects.order_by("-id"), to_attr="prefetched_runs")
        qs = CourierBill.objects.select_related("courier").prefetch_related(runs).order_by("-id")
        if self.action in ("restore", "retrieve", "rerun_affected"):
            return qs
        return qs.filter(deleted_at__isnull=self.request.query_params.get("deleted") != "1")

    def perform_destroy(self, instance):
        courier_bill_delete(bill=instance, user=self.request.user)

    @extend_schema(request=None, responses=RestoredBillSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        bill = courier_bill_restore(bill=self.get_object(), user=request.user)
        context = {"request": request, "affected_runs": bill_affected_runs(bill=bill)}
        return Response(RestoredBillSerializer(bill, context=context).data)

    @extend_schema(request=None, responses={202: RerunAffectedSerializer})
    @action(detail=True, methods=["post"], url_path="rerun-affected")
    def rerun_affected(self, request, pk=None):
        runs = courier_bill_rerun_affected(bill=self.get_object(), user=request.user)
        return Response(RerunAffectedSerializer({"runs": runs}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=CourierBillUploadSerializer, responses={202: BillSubmissionSerializer, 200: BillSubmissionSerializer})
    def create(self, request, *args, **kwargs):
        form = CourierBillUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        submission = courier_bill_submit(
            file=d["file"], filename=d["file"].name, courier=courier_get(code=d["courier"]), period=d["period"],
            user=request.user, mapping=d.get("mapping") or {}, mode=d.get("mode") or "", replaces=d.get("replaces"),
            confirm_period=d["confirm_period"], confirm_columns=d["confirm_columns"],
        )
        body = BillSubmissionSerializer(submission, context={"request": request}).data
        return Response(body, status=status.HTTP_200_OK if submission.duplicate else status.HTTP_202_ACCEPTED)

    @extend_schema(responses=CourierBillLineSerializer(many=True), filters=True)
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        bill = self.get_object()
        qs = self.filter_queryset_with(CourierBillLineFilter, bill.lines.order_by("line_no"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CourierBillLineSerializer(page, many=True).data)

    @extend_schema(responses=RejectedRowSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="rejected-rows")
    def rejected_rows(self, request, pk=None):
        bill = self.get_object()
        qs = self.filter_queryset_with(RejectedRowFilter, rejected_rows_of(source=bill))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(RejectedRowSerializer(page, many=True).data)

    def filter_queryset_with(self, filterset_class, queryset):
        filterset = filterset_class(self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            from rest_framework.exceptions import ValidationError

            raise ValidationError(filterset.errors)
        return filterset.qs
