"""API of alerts: the rules (/api/v1/alert-rules/, create/read/change; DELETE deactivates) and the caller's own
notifications (/api/v1/notifications/, list and mark read)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from recon.core.models import Counterparty
from recon.kinds import kind_choices, type_choices

from .alerts import file_kind_choices
from .alerts_models import Alert, AlertRule, Notification
from .alerts_rules import alert_rule_create, alert_rule_deactivate, alert_rule_problems, alert_rule_update
from .notifications import notification_list, notification_mark_all_read, notification_mark_read


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$", "example": "10:00", "nullable": True})
class ClockTimeField(serializers.TimeField):
    """A local clock time, "HH:MM": JSON Schema's "time" format would demand a zone offset the product does not keep."""


class AlertRuleSerializer(serializers.ModelSerializer):
    time_of_day = ClockTimeField(format="%H:%M", required=False, allow_null=True)
    subscribers = serializers.SlugRelatedField(slug_field="username", many=True, required=False,
                                               queryset=get_user_model().objects.filter(is_active=True))
    role = serializers.SlugRelatedField(slug_field="name", required=False, allow_null=True, queryset=Group.objects.all())
    counterparty = serializers.PrimaryKeyRelatedField(required=False, allow_null=True, queryset=Counterparty.objects.all())
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AlertRule
        fields = ["id", "name", "rule_type", "threshold_percent", "threshold_amount", "days", "type_code", "kind",
                  "counterparty", "time_of_day", "file_kind", "active", "subscribers", "role", "created_by", "created_at",
                  "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_at"]

    def validate(self, attrs):
        merged = {}
        if self.instance is not None:
            merged = {f: getattr(self.instance, f) for f in ("rule_type", "threshold_percent", "threshold_amount", "days",
                                                              "type_code", "file_kind", "time_of_day", "role")}
            merged["subscribers"] = list(self.instance.subscribers.all())
        merged.update(attrs)
        problems = alert_rule_problems(data=merged)
        for name, codes in (("type_code", type_choices()), ("kind", kind_choices()), ("file_kind", file_kind_choices())):
            if merged.get(name) and merged[name] not in dict(codes):
                problems[name] = serializers.ChoiceField(choices=codes).error_messages["invalid_choice"].format(input=merged[name])
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def to_representation(self, instance):
        # By username: the many-to-many table comes back in whatever order the database scans it.
        data = super().to_representation(instance)
        data["subscribers"] = sorted(data["subscribers"])
        return data

    def create(self, validated_data):
        subscribers = validated_data.pop("subscribers", [])
        return alert_rule_create(data=validated_data, subscribers=subscribers, user=self.context["request"].user)

    def update(self, instance, validated_data):
        subscribers = validated_data.pop("subscribers", None)
        return alert_rule_update(rule=instance, data=validated_data, subscribers=subscribers, user=self.context["request"].user)


class AlertRuleViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Alert rules; DELETE deactivates a rule (its alerts stay in the trail)."""

    queryset = AlertRule.objects.select_related("role", "created_by").prefetch_related("subscribers").order_by("id")
    serializer_class = AlertRuleSerializer
    filterset_fields = ["rule_type", "active"]
    required_perms = {
        "list": ("reports.view_alertrule",), "retrieve": ("reports.view_alertrule",), "create": ("reports.add_alertrule",),
        "update": ("reports.change_alertrule",), "partial_update": ("reports.change_alertrule",),
        "destroy": ("reports.change_alertrule",),
    }

    def perform_destroy(self, instance):
        alert_rule_deactivate(rule=instance, user=self.request.user)


class AlertSerializer(serializers.ModelSerializer):
    rule = serializers.SlugRelatedField(slug_field="name", read_only=True)
    message = serializers.CharField(source="text", read_only=True,
                                    help_text="The message in the request's language (Accept-Language).")
    message_code = serializers.CharField(read_only=True, help_text="The message's code; empty on alerts fired before codes.")
    message_params = serializers.JSONField(read_only=True, help_text="The message's parameters: money as strings, "
                                                                        "types, kinds and file kinds as codes.")

    class Meta:
        model = Alert
        fields = ["id", "rule", "rule_type", "key", "message", "message_code", "message_params", "amount", "link", "run",
                  "created_at"]


class NotificationSerializer(serializers.ModelSerializer):
    alert = AlertSerializer(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "alert", "read_at", "created_at"]


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=False,
                                max_length=1000)


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own notifications, newest first; `unread=true` lists the unread ones."""

    serializer_class = NotificationSerializer
    filter_backends = []
    required_perms = {"*": ("recon.use_web",)}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user to filter by
            return Notification.objects.none()
        rows = notification_list(user=self.request.user)
        if self.request.query_params.get("unread") == "true":
            rows = rows.filter(read_at__isnull=True)
        return rows

    @extend_schema(request=MarkReadSerializer, responses={200: MarkedSerializer})
    @action(detail=False, methods=["post"])
    def read(self, request):
        """Mark some of the caller's notifications read (`{"ids": [...]}`); the number marked."""
        form = MarkReadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return Response({"marked": notification_mark_read(user=request.user, ids=form.validated_data["ids"])},
                        status=status.HTTP_200_OK)

    @extend_schema(request=None, responses={200: MarkedSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark every unread notification of the caller read; the number marked."""
        return Response({"marked": notification_mark_all_read(user=request.user)}, status=status.HTTP_200_OK)


ROUTES = [
    ("alert-rules", AlertRuleViewSet, "api-alert-rule"),
    ("notifications", NotificationViewSet, "api-notification"),
]
