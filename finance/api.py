"""REST API of finance (/api/v1/): expense claims with their actions (submit, approve,
reject, collective review, pay, withdraw, invoices), budgets, incomes, the journals and the
quarterly statements (generate, stamp, publish, correct). Reads are scoped by
ScopedViewSetMixin (another community's rows are 404); every write calls finance.services,
so FIN rules come back as {"code": "FIN-4", ...}."""

import django_filters
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from communities.models import Community
from core.api import ScopedModelPermissions, ScopedViewSetMixin
from core.scoping import scoped
from finance import models as f
from finance import selectors, services
from finance import serializers as s
from finance.inbox_filters import InboxFilter

TAG = "社区财务"


class ViewActionPermissions(ScopedModelPermissions):
    """An action on an existing row needs only to see it; the service decides who may act
    (the step's approver, the cashier, the supervision committee) and says why not."""

    perms_map = {**ScopedModelPermissions.perms_map, "POST": ["%(app_label)s.view_%(model_name)s"]}


ACTION_PERMISSIONS = [permissions.IsAuthenticated, ViewActionPermissions]


class ClaimFilter(django_filters.FilterSet):
    min_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    max_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")

    class Meta:
        model = f.ExpenseClaim
        fields = ["community", "state", "payment_method", "category", "claimant"]


@extend_schema(tags=[TAG])
class ExpenseClaimViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Claims: created and changed as drafts by their claimant (finance.services.claim_save);
    the rest through the actions."""

    queryset = f.ExpenseClaim.objects.select_related("community", "claimant", "budget_line")
    serializer_class = s.ClaimSerializer
    filterset_class = ClaimFilter
    search_fields = ["purpose", "payee"]
    ordering_fields = ["submitted_at", "amount", "expense_date", "created_at"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.ClaimDetailSerializer
        return super().get_serializer_class()

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related("attachments", "approvals__votes", "payments")
        return qs

    def perform_create(self, serializer):
        claim = f.ExpenseClaim(**serializer.validated_data)
        serializer.instance = services.claim_save(user=self.request.user, instance=claim)

    def perform_update(self, serializer):
        claim = f.ExpenseClaim.objects.get(pk=serializer.instance.pk)
        for name, value in serializer.validated_data.items():
            setattr(claim, name, value)
        serializer.instance = services.claim_save(user=self.request.user, instance=claim)

    def _detail(self, claim):
        claim = (
            self.get_queryset()
            .prefetch_related("attachments", "approvals__votes", "payments")
            .get(pk=claim.pk)
        )
        return Response(s.ClaimDetailSerializer(claim, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=s.ClaimDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def submit(self, request, pk=None):
        """Draft → submitted (FIN-3 steps fixed now)."""
        return self._detail(services.claim_submit(user=request.user, claim=self.get_object()))

    @extend_schema(request=None, responses=s.ClaimDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def withdraw(self, request, pk=None):
        return self._detail(services.claim_withdraw(user=request.user, claim=self.get_object()))

    @extend_schema(request=s.StepSerializer, responses=s.ClaimDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def approve(self, request, pk=None):
        """Approve the director's or the street principal's step (FIN-3)."""
        claim = self.get_object()
        body = s.StepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = services.claim_approve(user=request.user, claim=claim, **body.validated_data)
        return self._detail(claim)

    @extend_schema(request=s.RejectSerializer, responses=s.ClaimDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def reject(self, request, pk=None):
        claim = self.get_object()
        body = s.RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = services.claim_reject(user=request.user, claim=claim, **body.validated_data)
        return self._detail(claim)

    @extend_schema(request=s.CollectiveSerializer, responses=s.ClaimDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def review(self, request, pk=None):
        """FIN-3 collective review: the supervision members present and their votes."""
        claim = self.get_object()
        body = s.CollectiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        votes = {v["member"]: v["decision"] for v in body.validated_data["votes"]}
        claim = services.claim_review_collective(
            user=request.user, claim=claim, votes=votes, comment=body.validated_data["comment"]
        )
        return self._detail(claim)

    @extend_schema(request=s.PaySerializer, responses=s.PaymentSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def pay(self, request, pk=None):
        """The cashier pays a fully approved claim (FIN-4 transfer from the cash limit)."""
        claim = self.get_object()
        body = s.PaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = services.claim_pay(user=request.user, claim=claim, **body.validated_data)
        return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AttachmentUploadSerializer, responses=s.AttachmentSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def attachments(self, request, pk=None):
        """Upload an invoice (JPG/PNG/PDF, ≤ 5 MB, content checked) to one's own draft."""
        claim = self.get_object()
        body = s.AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = services.attachment_add(
            user=request.user,
            claim=claim,
            upload=body.validated_data["file"],
            kind=body.validated_data["kind"],
        )
        return Response(s.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.ClaimSerializer(many=True))
    @action(detail=False, methods=["get"])
    def inbox(self, request):
        """Claims waiting for the user's step across the communities they cover; filters
        community (covered ones only, else 400), step, min_amount, max_amount, date_from,
        date_to, q (payee or purpose)."""
        rows = selectors.approval_inbox(user=request.user)
        filters = InboxFilter(request.query_params or None, queryset=rows, request=request)
        if filters.is_bound and not filters.is_valid():
            raise ValidationError(filters.errors)
        page = self.paginate_queryset(filters.qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=[TAG])
class BudgetViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """FIN-6 budgets with their lines; drafts are written through services.budget_save and
    approved by the street principal (approve)."""

    queryset = f.Budget.objects.select_related("community").prefetch_related("lines")
    serializer_class = s.BudgetSerializer
    filterset_fields = ["community", "year", "state"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        lines = data.pop("lines", None)
        serializer.instance = services.budget_save(
            user=self.request.user, instance=f.Budget(**data), lines=lines
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        lines = data.pop("lines", None)
        budget = f.Budget.objects.get(pk=serializer.instance.pk)
        for name, value in data.items():
            setattr(budget, name, value)
        serializer.instance = services.budget_save(
            user=self.request.user, instance=budget, lines=lines
        )

    @extend_schema(request=None, responses=s.BudgetSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def approve(self, request, pk=None):
        budget = services.budget_approve(user=request.user, budget=self.get_object())
        budget = self.get_queryset().get(pk=budget.pk)
        return Response(self.get_serializer(budget).data)


@extend_schema(tags=[TAG])
class IncomeViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Incomes (FIN-5/8/10): recorded once, in full, through services.income_record."""

    queryset = f.Income.objects.select_related("community")
    serializer_class = s.IncomeSerializer
    filterset_fields = ["community", "kind", "method", "earmark_category"]
    search_fields = ["source", "document_no", "earmark_purpose"]

    def perform_create(self, serializer):
        income = f.Income(**serializer.validated_data)
        serializer.instance = services.income_record(user=self.request.user, instance=income)


class JournalFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="entry_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="entry_date", lookup_expr="lte")

    class Meta:
        model = f.JournalEntry
        fields = ["community", "book", "kind"]


@extend_schema(tags=[TAG])
class JournalEntryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """FIN-11: the cash and bank journal lines (read-only; written by the services)."""

    queryset = f.JournalEntry.objects.order_by("entry_date", "pk")
    serializer_class = s.JournalEntrySerializer
    filterset_class = JournalFilter


@extend_schema(tags=[TAG])
class QuarterlyStatementViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """FIN-7 quarterly statements: generate, stamp (street supervision), publish, correct."""

    queryset = f.QuarterlyStatement.objects.select_related("community")
    serializer_class = s.StatementSerializer
    filterset_fields = ["community", "year", "quarter", "state"]

    @extend_schema(request=s.StatementGenerateSerializer, responses=s.StatementSerializer)
    @action(detail=False, methods=["post"])
    def generate(self, request):
        body = s.StatementGenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        community = scoped(Community.objects.all(), request.user)
        community = community.filter(pk=data["community"]).first()
        if community is None:
            raise Http404
        statement = services.statement_generate(
            user=request.user, community=community, year=data["year"], quarter=data["quarter"]
        )
        return Response(self.get_serializer(statement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DateSerializer, responses=s.StatementSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def stamp(self, request, pk=None):
        body = s.DateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        statement = services.statement_stamp(
            user=request.user, statement=self.get_object(), stamped_on=body.validated_data.get("on")
        )
        return Response(self.get_serializer(statement).data)

    @extend_schema(request=s.DateSerializer, responses=s.StatementSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def publish(self, request, pk=None):
        body = s.DateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        statement = services.statement_publish(
            user=request.user,
            statement=self.get_object(),
            published_on=body.validated_data.get("on"),
        )
        return Response(self.get_serializer(statement).data)

    @extend_schema(request=s.CorrectSerializer, responses=s.StatementSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def correct(self, request, pk=None):
        body = s.CorrectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        statement = services.statement_correct(
            user=request.user, statement=self.get_object(), reason=body.validated_data["reason"]
        )
        return Response(self.get_serializer(statement).data, status=status.HTTP_201_CREATED)


def register(router):
    router.register("finance/claims", ExpenseClaimViewSet, basename="finance-claim")
    router.register("finance/budgets", BudgetViewSet, basename="finance-budget")
    router.register("finance/incomes", IncomeViewSet, basename="finance-income")
    router.register("finance/journal", JournalEntryViewSet, basename="finance-journal")
    router.register("finance/statements", QuarterlyStatementViewSet, basename="finance-statement")

    from finance import register_api  # the receipt register, in-kind donations, paid services

    register_api.register(router)

    from finance import book_api  # cash deposits and withdrawals, monthly reconciliations

    book_api.register(router)
