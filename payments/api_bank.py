"""Bank lines and statements in the API: lists with filters, and POST a JSON list of one account's lines to create or
update them by account + ref."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from .bank_filters import BankLineFilter, BankStatementFilter
from .bank_services import bank_lines_bulk_create
from .models import BankLine, BankStatement
from .settlement_serializers import LineBulkErrorSerializer


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


class BankBulkResultSerializer(serializers.Serializer):
    """Counted by record; rows + rejected + duplicates = the records posted."""

    rows = serializers.IntegerField(help_text="Records written: new lines, and stored lines whose values changed.")
    rejected = serializers.IntegerField(help_text="Records refused, each with its errors.")
    duplicates = serializers.IntegerField(help_text="Records whose line is stored with the same values (or whose ref "
                                          "came earlier in the same request): nothing written.")
    updated = serializers.IntegerField(help_text="Of rows, the stored lines updated (each change is in the audit trail).")
    errors = LineBulkErrorSerializer(many=True)


class BankLineViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Bank lines, signed (credits positive)."""

    queryset = BankLine.objects.select_related("account").order_by("-booked_on", "id")
    serializer_class = BankLineSerializer
    filterset_class = BankLineFilter
    required_perms = {"list": ("payments.view_bankline",), "create": ("payments.import_payments",)}

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: BankBulkResultSerializer},
                   examples=[OpenApiExample("two lines", request_only=True, value={
                       "account": "6222000011112222", "records": [
                           {"ref": "B20261003001", "booked_on": "2026-10-03", "amount": "1280.50", "balance": "5280.50",
                            "counterparty_name": "支付宝（中国）网络技术有限公司", "description": "提现"},
                           {"ref": "B20261003002", "booked_on": "2026-10-03", "amount": "-30.00", "description": "手续费"}]})],
                   description="Create or update lines of one account by account + ref. A line stored with the same values "
                   "is counted in duplicates; one whose values differ is updated (the fields the record carries; an "
                   "optional one it leaves out keeps its stored value), counted in rows and in updated, and recorded in "
                   "the audit trail. A line held by a bank match keeps its amount and dates: such a record is refused "
                   "with line_matched (unmatch it first on the bank match page) while its description, counterparty "
                   "and balance still update. Records that cannot be read come back in errors with their index.")
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
