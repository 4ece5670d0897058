"""REST API of the books' writes (/api/v1/finance/, FIN-11): cash deposits and withdrawals
(POST cash-moves/) and the monthly reconciliations (list, retrieve, POST). Thin: each write
calls the same finance.services.books function as the admin and the portal, so a refused
rule comes back as {"code": "FIN-11", ...}; another community is 404."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from communities.models import Community
from core.api import ScopedViewSetMixin
from core.scoping import scoped
from finance import models as f
from finance import services
from finance.serializers import JournalEntrySerializer

TAG = "社区财务"
LOOSE = {"max_digits": 20, "decimal_places": 6}


class AmountField(serializers.DecimalField):
    """A decimal as typed: not padded to six places (the row's own two-decimal check would
    then refuse 200.00); the service refuses more than two decimals in its own words."""

    def quantize(self, value):
        return value


def _community(request, pk) -> Community:
    community = scoped(Community.objects.all(), request.user).filter(pk=pk).first()
    if community is None:
        raise Http404
    return community


class CashMoveSerializer(serializers.Serializer):
    community = serializers.IntegerField()
    withdraw = serializers.BooleanField(help_text="true: 从银行提取现金；false: 现金存入银行")
    amount = AmountField(**LOOSE)
    on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class ReconciliationSerializer(serializers.ModelSerializer):
    class Meta:
        model = f.MonthlyReconciliation
        fields = "__all__"
        read_only_fields = [field.name for field in f.MonthlyReconciliation._meta.fields]


class ReconciliationInSerializer(serializers.Serializer):
    community = serializers.IntegerField()
    month = serializers.DateField(help_text="该月任一日期")
    counted_cash = AmountField(**LOOSE)
    bank_statement = AmountField(**LOOSE)
    explanation = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema(tags=[TAG])
class CashMoveViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """FIN-11: cash drawn from the bank or paid into it (two journal lines, services.cash_move)."""

    queryset = f.JournalEntry.objects.all()
    serializer_class = CashMoveSerializer

    @extend_schema(request=CashMoveSerializer, responses=JournalEntrySerializer(many=True))
    def create(self, request, *args, **kwargs):
        body = CashMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        entries = services.cash_move(
            user=request.user,
            community=_community(request, data["community"]),
            withdraw=data["withdraw"],
            amount=data["amount"],
            on=data.get("on"),
            note=data["note"],
        )
        return Response(JournalEntrySerializer(entries, many=True).data, status=201)


@extend_schema(tags=[TAG])
class ReconciliationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """FIN-11 monthly reconciliations: book balances against counted cash and the bank
    statement (services.reconciliation_record; again until the street has reviewed it)."""

    queryset = f.MonthlyReconciliation.objects.select_related("community").order_by(
        "-month", "community_id"
    )
    serializer_class = ReconciliationSerializer
    filterset_fields = ["community", "month"]

    @extend_schema(request=ReconciliationInSerializer, responses=ReconciliationSerializer)
    def create(self, request, *args, **kwargs):
        body = ReconciliationInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = services.reconciliation_record(
            user=request.user,
            community=_community(request, data["community"]),
            month=data["month"],
            counted_cash=data["counted_cash"],
            bank_statement=data["bank_statement"],
            explanation=data["explanation"],
        )
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)


def register(router):
    router.register("finance/cash-moves", CashMoveViewSet, basename="finance-cash-move")
    router.register(
        "finance/reconciliations", ReconciliationViewSet, basename="finance-reconciliation"
    )
