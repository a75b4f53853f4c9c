"""Matching bank lines by hand over the API: create and delete a match, and the withdrawals suggested for a line."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from .models import BankLine, BankMatch
from .selectors_bank_match import bank_line_suggestions
from .services_bank_match import bank_match_create, bank_match_delete

MATCH = ("payments.match_bank",)


class BankMatchSerializer(serializers.ModelSerializer):
    withdrawal_ids = serializers.SerializerMethodField()
    bank_line_ids = serializers.SerializerMethodField()

    class Meta:
        model = BankMatch
        fields = ["id", "rule", "keys", "date_diff_days", "amount_diff", "withdrawal_ids", "bank_line_ids", "created_at"]

    def get_withdrawal_ids(self, obj) -> list[int]:
        return sorted(i.settlement_line_id for i in obj.withdrawals.all())

    def get_bank_line_ids(self, obj) -> list[int]:
        return sorted(i.bank_line_id for i in obj.credits.all())


class BankMatchViewSet(viewsets.GenericViewSet):
    """Bank matches made by hand: POST withdrawal_ids and bank_line_ids; DELETE takes any match apart."""

    queryset = BankMatch.objects.prefetch_related("withdrawals", "credits")
    serializer_class = BankMatchSerializer
    # An id is digits: anything else is no such match (404), never a crash turning it into a number.
    lookup_value_regex = "[0-9]+"
    required_perms = {"create": MATCH, "destroy": MATCH}

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: BankMatchSerializer},
                   examples=[OpenApiExample("two withdrawals, one credit", request_only=True,
                                            value={"withdrawal_ids": [12, 13], "bank_line_ids": [40]})])
    def create(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, dict) else {}
        match = bank_match_create(withdrawal_ids=data.get("withdrawal_ids"), bank_line_ids=data.get("bank_line_ids"),
                                  user=request.user)
        return Response(BankMatchSerializer(self.get_queryset().get(pk=match.pk)).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        bank_match_delete(match_id=int(kwargs["pk"]), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BankLineSuggestionSerializer(serializers.Serializer):
    bank_line_id = serializers.IntegerField()
    results = serializers.ListField(child=serializers.DictField())


class BankLineSuggestionViewSet(viewsets.GenericViewSet):
    """The withdrawals that could be a bank line's money, closest amount first, then closest date."""

    queryset = BankLine.objects.all()
    serializer_class = BankLineSuggestionSerializer
    lookup_value_regex = "[0-9]+"
    required_perms = {"suggestions": MATCH}

    @extend_schema(responses={200: BankLineSuggestionSerializer})
    @action(detail=True, methods=["get"])
    def suggestions(self, request, pk=None):
        line = get_object_or_404(BankLine, pk=pk)
        rows = bank_line_suggestions(line=line)
        return Response({"bank_line_id": line.id, "results": [
            {**r, "occurred_on": r["occurred_on"].isoformat(), "amount": f"{r['amount']:.2f}",
             "amount_diff": f"{r['amount_diff']:.2f}"} for r in rows]})
