"""Bank lines and statements in the API: lists with filters, and POST a JSON list of one account's lines."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from .bank_filters import BankLineFilter, BankStatementFilter
from .bank_services import bank_lines_bulk_create
from .models import BankLine, BankStatement


class BankLineSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.account_no")

    class Meta:
        model = BankLine
        fields = ["id", "account", "statement", "ref", "booked_on", "value_on", "amount", "balance", "currency",
                  "counterparty_name", "counterparty_account", "description", "position", "row_no"]


class BankStatementSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.account_no")
    source_filename = serializers.CharField(source="source.original_filename", default="")

    class Meta:
        model = BankStatement
        fields = ["id", "account", "source", "source_filename", "format", "statement_ref", "position", "opened_on",
                  "closed_on", "opening_balance", "closing_balance", "currency", "line_count", "balance_source",
                  "balance_ok", "balance_difference", "balance_break_ref", "balance_breaks"]


class BankLineViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Bank lines, signed (credits positive)."""

    queryset = BankLine.objects.select_related("account").order_by("-booked_on", "id")
    serializer_class = BankLineSerializer
    filterset_class = BankLineFilter
    required_perms = {"list": ("payments.view_bankline",), "create": ("payments.import_payments",)}

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT},
                   examples=[OpenApiExample("two lines", request_only=True, value={
                       "account": "6222000011112222", "records": [
                           {"ref": "B20261003001", "booked_on": "2026-10-03", "amount": "1280.50", "balance": "5280.50",
                            "counterparty_name": "支付宝（中国）网络技术有限公司", "description": "提现"},
                           {"ref": "B20261003002", "booked_on": "2026-10-03", "amount": "-30.00", "description": "手续费"}]})],
                   description="Add lines of one account, keyed by account + ref; a line already there is counted as a "
                   "duplicate and left as it is. Records that cannot be read come back in errors with their index.")
    def create(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, dict) else {}
        result = bank_lines_bulk_create(account_no=data.get("account", ""), records=data.get("records"), user=request.user)
        return Response(result.as_dict(), status=status.HTTP_200_OK)


class BankStatementViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Imported statements with whether their balances add up."""

    queryset = BankStatement.objects.select_related("account", "source").order_by("-closed_on", "-id")
    serializer_class = BankStatementSerializer
    filterset_class = BankStatementFilter
    required_perms = {"list": ("payments.view_bankstatement",)}
