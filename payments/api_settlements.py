"""Settlement lines over the API: the list with its filters, and POST a JSON list to create or update lines by
platform + settlement_id."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from .models import SettlementLine
from .settlement_filters import SettlementLineFilter
from .settlement_serializers import SettlementBulkResultSerializer, SettlementLineSerializer
from .settlement_services import settlement_lines_bulk_create

EXAMPLE = [
    {"platform": "TMALL", "shop": "旗舰店", "settlement_id": "20261001110070001506", "order_no": "T202610010001",
     "trade_no": "2026100122001412345678901234", "occurred_at": "2026-10-01 10:12:30", "business_type": "在线支付",
     "amount": "299.00", "balance": "10299.00", "counterparty_name": "buy***@163.com", "remark": ""},
]


class SettlementLineViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Platform settlement lines (账务明细), amounts signed: money in positive, money out negative."""

    queryset = SettlementLine.objects.select_related("platform").order_by("-occurred_at", "id")
    serializer_class = SettlementLineSerializer
    filterset_class = SettlementLineFilter
    required_perms = {"list": ("payments.view_settlementline",), "create": ("payments.import_payments",)}

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: SettlementBulkResultSerializer},
                   examples=[OpenApiExample("one line", request_only=True, value=EXAMPLE)],
                   description="Create or update settlement lines by platform (code or name) + settlement_id (a JSON list, or "
                   "{\"records\": [...]}); fields as in the file import. A line stored with the same values is counted "
                   "in duplicates; one whose values differ is updated (the fields the record carries; one it leaves out "
                   "keeps its stored value), counted in rows and in updated, and recorded in the audit trail. A withdrawal "
                   "held by a bank match keeps its amount, time and business type: such a record is refused with "
                   "line_matched (unmatch it first on the bank match page) while its other fields still update. Records "
                   "that cannot be read come back in errors with their index.")
    def create(self, request, *args, **kwargs):
        records = request.data.get("records") if isinstance(request.data, dict) else request.data
        result = settlement_lines_bulk_create(records=records, user=request.user)
        return Response(result.as_dict(), status=status.HTTP_200_OK)
