"""Endpoints for runs, the review queue (discrepancies and the work on them), periods, the audit trail."""
from django.http import QueryDict
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from recon.api.pagination import KeysetPagination
from recon.core.errors import UserFacingError
from recon.review.filters import DiscrepancyFilter
from recon.runs.filters import ReconRunFilter
from recon.runs.start import run_start_request
from recon.core.models import AuditEvent, BulkAction, Discrepancy, ReconPeriod, ReconRun, SavedFilter
from recon.periods.services import period_close, period_reopen
from recon.review.services import (
    SHORTFALL_DECISIONS,
    discrepancy_assign,
    discrepancy_attachment_add,
    discrepancy_comment_add,
    discrepancy_set_status,
)
from recon.review.bulk import bulk_action_submit
from recon.review.selectors import (
    InvalidFilter, assignee_lookup, discrepancy_filter, discrepancy_history, discrepancy_list, queue_totals,
)
from recon.audit.selectors import audit_event_list
from recon.periods.selectors import recon_period_list
from recon.api.serializers import (
    AssignSerializer, AttachmentSerializer, AttachmentUploadSerializer, AuditEventQuerySerializer, AuditEventSerializer,
    BulkActionRequestSerializer, BulkActionSerializer, CommentSerializer, DiscrepancyDetailSerializer, DiscrepancySerializer,
    PeriodQuerySerializer,
    ReconPeriodSerializer, ReconRunSerializer, ReopenSerializer, SavedFilterSerializer, ShortfallDecisionSerializer,
    StatusChangeSerializer,
)

READ_QUEUE = ("recon.view_discrepancy",)
WORK = ("recon.work_discrepancy",)


# The body of POST /api/v1/runs/, written out: "from" is a Python keyword, and the kinds' options are known only at run time.
RUN_START_BODY = {
    "type": "object",
    "required": ["kind", "from", "to"],
    "properties": {
        "kind": {"type": "string", "description": "A kind code that can be reconciled for a range, e.g. `returns`."},
        "from": {"type": "string", "format": "date", "description": "First day, YYYY-MM-DD."},
        "to": {"type": "string", "format": "date", "description": "Last day, inclusive, YYYY-MM-DD."},
        "as_of": {"type": "string", "description": "'YYYY-MM-DD' (the end of that day) or 'YYYY-MM-DD HH:MM', local time."},
        "counterparty": {"type": "string", "description": "A counterparty code (default: every one the kind covers)."},
    },
    "additionalProperties": {"description": "The kind's options by name, e.g. `grace_days` for returns."},
}


def _query(serializer_class, request) -> dict:
    # Validated rather than read raw: a NUL byte or a non-number would otherwise reach the database and crash it.
    form = serializer_class(data=request.query_params)
    form.is_valid(raise_exception=True)
    return form.validated_data


class ReconRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Reconciliation runs; poll one until `status` is `succeeded` or `failed`."""

    queryset = ReconRun.objects.select_related("counterparty").order_by("-id")
    serializer_class = ReconRunSerializer
    filterset_class = ReconRunFilter
    ordering_fields = ["id", "created_at"]
    required_perms = {
        "list": ("recon.view_reconrun",), "retrieve": ("recon.view_reconrun",), "rerun": ("couriers.upload_bill",),
        "create": ("recon.start_run",),
    }

    @extend_schema(request={"application/json": RUN_START_BODY}, responses={202: ReconRunSerializer(many=True)})
    def create(self, request):
        """Start runs of a kind for a range of days, as `manage.py reconcile` does (202 with the runs, queued)."""
        if not isinstance(request.data, dict):
            raise UserFacingError("invalid_body", _("The body is a JSON object: kind, from, to, and optionally as_of, "
                                                    "counterparty and the kind's options."))
        runs = run_start_request(data=request.data, user=request.user)
        return Response(ReconRunSerializer(runs, many=True, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ReconRunSerializer})
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        """Run a failed run again: a new run on the same stored bill or upload (202 with the new run)."""
        from recon.runs.services import run_rerun

        again = run_rerun(run=self.get_object(), user=request.user)
        return Response(ReconRunSerializer(again, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class DiscrepancyViewSet(viewsets.ReadOnlyModelViewSet):
    """The review queue: current discrepancies (all rows of a run with `run=`), money at stake first, cursor-paged."""

    queryset = Discrepancy.objects.select_related("counterparty", "assignee").all()
    serializer_class = DiscrepancySerializer
    filterset_class = DiscrepancyFilter
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]  # ordering is the pagination's (a keyset needs it)
    default_ordering = "-amount_at_stake"
    required_perms = {
        "list": READ_QUEUE, "retrieve": READ_QUEUE, "totals": READ_QUEUE, "history": ("recon.view_discrepancy",),
        "comments": READ_QUEUE, "attachments": READ_QUEUE,
        "comment_add": ("recon.add_discrepancycomment",), "attachment_add": ("recon.add_discrepancyattachment",),
        "set_status": WORK, "shortfall": WORK, "assign": WORK, "bulk": WORK,
    }

    def get_serializer_class(self):
        return DiscrepancyDetailSerializer if self.action == "retrieve" else DiscrepancySerializer

    def get_queryset(self):
        if self.action in ("list", "totals"):
            return self.queryset
        return Discrepancy.objects.select_related("counterparty", "assignee", "period")

    def filter_queryset(self, queryset):
        # The queue's one filter instead of the filter backend (which stays for the schema's parameters).
        filterset = discrepancy_filter(params=self.request.query_params, user=self.request.user, queryset=queryset)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        self.keyset_ids_first = filterset.narrows_by_waybill_prefix  # read by KeysetPagination
        return filterset.qs

    @extend_schema(request=StatusChangeSerializer, responses=DiscrepancySerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        form = StatusChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = discrepancy_set_status(discrepancy=self.get_object(), user=request.user, **form.validated_data)
        return Response(DiscrepancySerializer(d).data)

    @extend_schema(request=ShortfallDecisionSerializer, responses=DiscrepancySerializer)
    @action(detail=True, methods=["post"])
    def shortfall(self, request, pk=None):
        """Decide the uncredited rest of a partial recovery: `accepted` or `written_off` (reason required), or `reopened`."""
        form = ShortfallDecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        decide = SHORTFALL_DECISIONS[form.validated_data["decision"]]
        d = decide(discrepancy=self.get_object(), reason=form.validated_data["reason"], user=request.user)
        return Response(DiscrepancySerializer(d).data)

    @extend_schema(request=AssignSerializer, responses=DiscrepancySerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        form = AssignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        assignee = assignee_lookup(form.validated_data.get("assignee"), me=request.user)
        d = discrepancy_assign(discrepancy=self.get_object(), assignee=assignee, user=request.user)
        return Response(DiscrepancySerializer(d).data)

    # Reading and adding are separate actions so that each declares its own permission.
    @extend_schema(responses=CommentSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def comments(self, request, pk=None):
        return Response(CommentSerializer(self.get_object().comments.select_related("author"), many=True).data)

    @extend_schema(request=CommentSerializer, responses={201: CommentSerializer})
    @comments.mapping.post
    def comment_add(self, request, pk=None):
        form = CommentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        c = discrepancy_comment_add(discrepancy=self.get_object(), text=form.validated_data["text"], user=request.user)
        return Response(CommentSerializer(c).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=AttachmentSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], parser_classes=[MultiPartParser, FormParser], pagination_class=None)
    def attachments(self, request, pk=None):
        return Response(AttachmentSerializer(self.get_object().attachments.select_related("uploaded_by"), many=True).data)

    @extend_schema(request={"multipart/form-data": AttachmentUploadSerializer}, responses={201: AttachmentSerializer})
    @attachments.mapping.post
    def attachment_add(self, request, pk=None):
        form = AttachmentUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        a = discrepancy_attachment_add(discrepancy=self.get_object(), file=form.validated_data["file"], user=request.user)
        return Response(AttachmentSerializer(a).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=AuditEventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        data = AuditEventSerializer(discrepancy_history(self.get_object()), many=True).data
        if not request.user.has_perm("recon.view_auditevent"):
            # Where a change came from is the audit trail's business, not every reader's.
            for row in data:
                row["ip"] = None
        return Response(data)

    @extend_schema(responses=OpenApiTypes.OBJECT, filters=True)
    @action(detail=False, methods=["get"])
    def totals(self, request):
        """Money at stake, still open, disputed, recovered, accepted, written off, shortfall (at_stake is the sum of those
        six; `investigating` is the part of `open` under investigation): in all and per period and courier."""
        try:
            data = queue_totals(discrepancy_list(params=request.query_params, user=request.user))
        except InvalidFilter as exc:
            raise ValidationError(exc.errors) from exc
        money = lambda row: {k: (f"{v:.2f}" if hasattr(v, "quantize") else v) for k, v in row.items()}  # noqa: E731
        groups = [
            {"period_id": g["period_id"], "period_start": g["period__start"], "period_end": g["period__end"],
             "period_status": g["period__status"], "courier": g["counterparty__code"],
             **money({k: g[k] for k in ("count", "at_stake", "open", "disputed", "recovered", "accepted", "written_off", "shortfall",
                                        "investigating", "informational")})}
            for g in data["groups"]
        ]
        return Response({"total": money(data["total"]), "groups": groups})

    @extend_schema(request=BulkActionRequestSerializer, responses={200: BulkActionSerializer, 202: BulkActionSerializer})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Assign, change status or comment on `ids`, or on every row matching `filter`; large ones run on a worker (202)."""
        form = BulkActionRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        params = {k: d.get(k) for k in ("assignee", "status", "outcome", "reason", "text") if d.get(k) is not None}
        query = d.get("filter", "")
        QueryDict(query)  # a malformed query string fails here, before anything is queued
        job = bulk_action_submit(action=d["action"], params=params, ids=d.get("ids") or [], query=query, user=request.user)
        body = BulkActionSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_200_OK if job.is_finished else status.HTTP_202_ACCEPTED)


class BulkActionViewSet(viewsets.ReadOnlyModelViewSet):
    """Bulk actions; poll one until `status` is `succeeded` or `failed`."""

    queryset = BulkAction.objects.order_by("-id")
    serializer_class = BulkActionSerializer
    required_perms = {"list": ("recon.view_bulkaction",), "retrieve": ("recon.view_bulkaction",)}


class ReconPeriodViewSet(viewsets.ReadOnlyModelViewSet):
    """Reconciliation periods per courier; close when nothing is open (locks them), reopen as a manager."""

    queryset = ReconPeriod.objects.select_related("counterparty", "closed_by").order_by("-start", "counterparty__code")
    serializer_class = ReconPeriodSerializer
    required_perms = {
        "list": ("recon.view_reconperiod",), "retrieve": ("recon.view_reconperiod",),
        "close": ("recon.close_period",), "reopen": ("recon.reopen_period",),
    }

    @extend_schema(parameters=[PeriodQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = self.queryset
        if self.action != "list":
            return qs
        return recon_period_list(params=_query(PeriodQuerySerializer, self.request))

    @extend_schema(request=None, responses=ReconPeriodSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return Response(ReconPeriodSerializer(period_close(period=self.get_object(), user=request.user)).data)

    @extend_schema(request=ReopenSerializer, responses=ReconPeriodSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        form = ReopenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        period = period_reopen(period=self.get_object(), user=request.user, reason=form.validated_data["reason"])
        return Response(ReconPeriodSerializer(period).data)


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, newest first; filter by object_type, object_id, actor, action."""

    serializer_class = AuditEventSerializer
    pagination_class = KeysetPagination
    filter_backends = []
    default_ordering = "-id"
    required_perms = {"list": ("recon.view_auditevent",), "retrieve": ("recon.view_auditevent",)}

    @extend_schema(parameters=[AuditEventQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = AuditEvent.objects.all()
        if self.action != "list":
            return qs
        return audit_event_list(params=_query(AuditEventQuerySerializer, self.request))


class SavedFilterViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """The caller's own saved queue filters."""

    serializer_class = SavedFilterSerializer
    parser_classes = [JSONParser, FormParser]
    pagination_class = None
    required_perms = {"*": READ_QUEUE}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user to filter by
            return SavedFilter.objects.none()
        return SavedFilter.objects.filter(user=self.request.user)

    def perform_create(self, serializer):
        if SavedFilter.objects.filter(user=self.request.user, name=serializer.validated_data["name"]).exists():
            raise UserFacingError("duplicate_name", _("You already have a filter with this name."), http_status=409)
        serializer.save(user=self.request.user)
