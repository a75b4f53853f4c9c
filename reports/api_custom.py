"""/api/v1/reports/custom/: saved custom reports (the caller's own and those shared with the caller's roles), and
`run`, which answers a report's rows as JSON — of a saved report, or of a definition posted to the collection."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from .custom import definition_clean, report_run
from .custom_services import SHARE_ROLES, saved_report_delete, saved_report_save, saved_reports_visible
from .models import SavedReport
from .sources import report_source

VIEW, ADD, CHANGE, DELETE = ("reports.view_savedreport", "reports.add_savedreport", "reports.change_savedreport",
                             "reports.delete_savedreport")


class SavedReportSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    shared_with = serializers.ListField(child=serializers.ChoiceField(choices=SHARE_ROLES), required=False,
                                        help_text="role names, e.g. manager")
    definition = serializers.JSONField(help_text='{"source", "dimensions", "measures", "filters"}')

    class Meta:
        model = SavedReport
        fields = ["id", "name", "owner", "definition", "shared_with", "created_at", "updated_at"]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["shared_with"] = sorted(g.name for g in instance.shared_with_groups.all())
        return data


def run_payload(definition: dict, user) -> dict:
    """The rows of a definition as JSON: dimension values as shown, money as strings with two decimals."""
    clean = definition_clean(definition)
    if not user.has_perm(report_source(clean["source"]).permission):
        raise PermissionDenied
    result = report_run(clean)
    keys = result.dimensions + result.measures
    money = dict(zip(keys, result.money_columns))

    def value(key, v):
        return f"{v:.2f}" if money[key] else (v if isinstance(v, int) else str(v))

    return {
        "definition": clean,
        "columns": [{"key": k, "label": label, "money": money[k]} for k, label in zip(keys, result.headers)],
        "rows": [{k: value(k, v) for k, v in zip(keys, row)} for row in result.rows],
        "totals": {m: value(m, v) for m, v in zip(result.measures, result.totals)},
    }


class SavedReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Saved custom reports; `POST run/` with a definition, or `GET {id}/run/`, answers the rows."""

    serializer_class = SavedReportSerializer
    parser_classes = [JSONParser]
    pagination_class = None
    required_perms = {"list": (VIEW,), "retrieve": (VIEW,), "create": (VIEW, ADD), "partial_update": (VIEW, CHANGE), "destroy": (VIEW, DELETE), "run": (VIEW,),
                      "run_definition": (VIEW,)}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SavedReport.objects.none()
        return saved_reports_visible(user=self.request.user).order_by("name", "id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = saved_report_save(user=self.request.user, name=data["name"],
                                                definition=data["definition"], share_with=data.get("shared_with", []))

    def partial_update(self, request, pk=None):
        """PATCH changes what it names (name, definition, shared_with); there is no PUT."""
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return Response(serializer.data)

    def perform_update(self, serializer):
        report, data = serializer.instance, serializer.validated_data
        serializer.instance = saved_report_save(
            user=self.request.user, report=report, name=data.get("name", report.name),
            definition=data.get("definition", report.definition),
            share_with=data.get("shared_with", [g.name for g in report.shared_with_groups.all()]))

    def perform_destroy(self, instance):
        saved_report_delete(user=self.request.user, report=instance)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def run(self, request, pk=None):
        return Response(run_payload(self.get_object().definition, request.user))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="run")
    def run_definition(self, request):
        return Response(run_payload(request.data, request.user))


ROUTES = [("reports/custom", SavedReportViewSet, "api-custom-report")]
