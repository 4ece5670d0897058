"""REST API of the receipt register (FIN-11), in-kind donations (FIN-5) and paid services
(FIN-8), under /api/v1/finance/. Reads are scoped (another community's rows are 404); every
write calls finance.services, so a refused rule comes back as {"code": "FIN-11", ...}."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from communities.models import Community
from core.api import ScopedViewSetMixin
from core.scoping import scoped
from finance import exports, register_selectors, services
from finance import models as f
from finance import register_serializers as s
from finance.api import ACTION_PERMISSIONS, TAG


@extend_schema(tags=[TAG])
class ReceiptBatchViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """FIN-11 票据收、缴、存: batches with their stock; issue, void and hand in numbers."""

    queryset = f.ReceiptBatch.objects.all()
    serializer_class = s.ReceiptBatchSerializer
    filterset_fields = ["community", "series"]

    def get_queryset(self):
        return register_selectors.batch_rows(user=self.request.user)

    def perform_create(self, serializer):
        batch = f.ReceiptBatch(**serializer.validated_data)
        batch = services.receipt_batch_receive(user=self.request.user, instance=batch)
        serializer.instance = self.get_queryset().get(pk=batch.pk)

    @extend_schema(request=s.IssueSerializer, responses=s.ReceiptSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def issue(self, request, pk=None):
        """Issue the next (or the given) number for money received, linked to its income."""
        batch = self.get_object()
        body = s.IssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        income_id = data.pop("income", None)
        income = f.Income(pk=income_id) if income_id else None
        receipt = services.receipt_issue(user=request.user, batch=batch, income=income, **data)
        return Response(s.ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.VoidSerializer, responses=s.ReceiptSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def void(self, request, pk=None):
        """Void a spoiled blank form or an issued receipt, with the reason."""
        batch = self.get_object()
        body = s.VoidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        receipt = services.receipt_void(user=request.user, batch=batch, **body.validated_data)
        return Response(s.ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.HandInSerializer, responses=s.ReceiptBatchSerializer)
    @action(
        detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS, url_path="hand-in"
    )
    def hand_in(self, request, pk=None):
        """缴销: hand unused numbers back to the street."""
        batch = self.get_object()
        body = s.HandInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.receipt_hand_in(user=request.user, batch=batch, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data)

    @extend_schema(responses=s.ReceiptSerializer(many=True))
    @action(detail=True, methods=["get"])
    def receipts(self, request, pk=None):
        batch = self.get_object()
        rows = f.Receipt.objects.filter(batch=batch).order_by("number")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.ReceiptSerializer(page, many=True).data)

    @extend_schema(responses={(200, "application/vnd.ms-excel"): bytes})
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The register of the batches the user may see (filter ?community=) as Excel."""
        rows = self.filter_queryset(self.get_queryset())
        return exports.receipt_register_xlsx(rows, register_selectors.register_lines)


@extend_schema(tags=[TAG])
class ReceiptViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = f.Receipt.objects.select_related("batch").order_by("batch_id", "number")
    serializer_class = s.ReceiptSerializer
    filterset_fields = ["community", "batch", "state", "income"]
    search_fields = ["payer", "purpose"]


@extend_schema(tags=[TAG])
class InKindDonationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """FIN-5 in-kind donations, recorded in full; distribute for the earmark only."""

    queryset = f.InKindDonation.objects.all()
    serializer_class = s.InKindDonationSerializer
    filterset_fields = ["community", "earmark_category"]
    search_fields = ["item", "donor"]

    def get_queryset(self):
        return register_selectors.in_kind_rows(user=self.request.user)

    def perform_create(self, serializer):
        row = f.InKindDonation(**serializer.validated_data)
        row = services.in_kind_record(user=self.request.user, instance=row)
        serializer.instance = self.get_queryset().get(pk=row.pk)

    @extend_schema(request=s.DistributeSerializer, responses=s.DistributionSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def distribute(self, request, pk=None):
        donation = self.get_object()
        body = s.DistributeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.in_kind_distribute(
            user=request.user, donation=donation, **body.validated_data
        )
        return Response(s.DistributionSerializer(row).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG])
class PaidServiceViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """FIN-8 paid courses and activities with their preferential rates."""

    queryset = f.PaidService.objects.all()
    serializer_class = s.PaidServiceSerializer
    filterset_fields = ["community", "kind"]

    def get_queryset(self):
        return register_selectors.paid_service_rows(user=self.request.user)

    def _save(self, serializer, service):
        data = dict(serializer.validated_data)
        rates = data.pop("rates", None)
        for name, value in data.items():
            setattr(service, name, value)
        if rates is not None:
            rates = [(r["group"], r["fee"]) for r in rates]
        service = services.paid_service_save(user=self.request.user, instance=service, rates=rates)
        serializer.instance = self.get_queryset().get(pk=service.pk)

    def perform_create(self, serializer):
        self._save(serializer, f.PaidService())

    def perform_update(self, serializer):
        self._save(serializer, f.PaidService.objects.get(pk=serializer.instance.pk))

    @extend_schema(parameters=[s.DisclosureQuerySerializer], responses=dict)
    @action(detail=False, methods=["get"])
    def disclosure(self, request):
        """FIN-8: the disclosure tables of a community's paid services for a period."""
        query = s.DisclosureQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if not scoped(Community.objects.filter(pk=data["community"]), request.user).exists():
            raise Http404
        tables = register_selectors.paid_service_disclosure(
            data["community"], data["first"], data["last"]
        )
        return Response({"tables": tables})


def register(router):
    router.register("finance/receipt-batches", ReceiptBatchViewSet, basename="finance-receiptbatch")
    router.register("finance/receipts", ReceiptViewSet, basename="finance-receipt")
    router.register("finance/in-kind", InKindDonationViewSet, basename="finance-inkind")
    router.register("finance/paid-services", PaidServiceViewSet, basename="finance-paidservice")
