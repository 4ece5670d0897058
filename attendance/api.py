"""REST API of attendance (/api/v1/). Reads are scoped (ScopedViewSetMixin: another community's
row is 404); every write goes through attendance.services / cases / sheets, the same path as
the portal, so ATT-1..5 apply and come back as {"code": "ATT-2", ...}.

Signing in and out and asking for leave take no worker: they are the authenticated user's own
(a worker linked to the account), so no request can sign in or ask leave for somebody else."""

from django.db.models import Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from attendance import cases as case_svc
from attendance import models as m
from attendance import selectors, services
from attendance.exports import sheet_xlsx
from core.api import ScopedReadOnlyViewSet
from core.exports import XLSX
from core.scoping import scoped
from staffing.models import Worker

TAG = "考勤"


class RecordSerializer(serializers.ModelSerializer):
    worker_name = serializers.CharField(source="worker.name", read_only=True)

    class Meta:
        model = m.AttendanceRecord
        fields = (
            "id",
            "community",
            "worker",
            "worker_name",
            "date",
            "sign_in_at",
            "sign_out_at",
            "expected_start",
            "expected_end",
            "corrected_at",
            "correction_reason",
        )
        read_only_fields = fields


class CorrectionSerializer(serializers.Serializer):
    worker = serializers.IntegerField()
    date = serializers.DateField()
    sign_in_at = serializers.TimeField(allow_null=True, required=False)
    sign_out_at = serializers.TimeField(allow_null=True, required=False)
    correction_reason = serializers.CharField(allow_blank=True)


class RecordViewSet(ScopedReadOnlyViewSet):
    """ATT-1: the register; sign-in/sign-out of the user's own worker; the clerk's
    correction."""

    queryset = m.AttendanceRecord.objects.select_related("worker")
    serializer_class = RecordSerializer
    filterset_fields = ("community", "worker", "date")

    def get_permissions(self):
        if self.action in ("sign_in", "sign_out", "correct"):
            # Own sign-in: no grant needed; the correction: the service checks the clerk's.
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(tags=[TAG], request=None, responses=RecordSerializer)
    @action(detail=False, methods=["post"], url_path="sign-in")
    def sign_in(self, request):
        record = services.sign_in(user=request.user)
        return Response(RecordSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=[TAG], request=None, responses=RecordSerializer)
    @action(detail=False, methods=["post"], url_path="sign-out")
    def sign_out(self, request):
        return Response(RecordSerializer(services.sign_out(user=request.user)).data)

    @extend_schema(tags=[TAG], request=CorrectionSerializer, responses=RecordSerializer)
    @action(detail=False, methods=["post"])
    def correct(self, request):
        data = CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        worker = scoped(Worker.objects.all(), request.user)
        worker = worker.filter(pk=data.validated_data["worker"]).first()
        if worker is None:
            raise Http404
        record = services.record_correct(
            user=request.user,
            worker=worker,
            day=data.validated_data["date"],
            sign_in_at=data.validated_data.get("sign_in_at"),
            sign_out_at=data.validated_data.get("sign_out_at"),
            reason=data.validated_data["correction_reason"],
        )
        return Response(RecordSerializer(record).data)


class LeaveSerializer(serializers.ModelSerializer):
    worker_name = serializers.CharField(source="worker.name", read_only=True)

    class Meta:
        model = m.Leave
        fields = (
            "id",
            "community",
            "worker",
            "worker_name",
            "leave_type",
            "start_date",
            "start_half",
            "end_date",
            "end_half",
            "days",
            "reason",
            "attachment",
            "steps",
            "current_step",
            "state",
            "deducts",
            "decided_at",
        )
        read_only_fields = (
            "id",
            "community",
            "worker",
            "worker_name",
            "days",
            "steps",
            "current_step",
            "state",
            "deducts",
            "decided_at",
        )


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=m.Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class LeaveViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """ATT-2: leave the user may see (scoped) and their own; create = a request for oneself;
    decide and withdraw through the services (row locks, routing, own-leave refusal)."""

    serializer_class = LeaveSerializer
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ("community", "worker", "state", "current_step")

    def get_queryset(self):
        base = m.Leave.objects.select_related("worker", "community__street")
        scoped_ids = scoped(m.Leave.objects.all(), self.request.user).values("pk")
        return base.filter(Q(pk__in=scoped_ids) | Q(worker__user_id=self.request.user.pk))

    @extend_schema(tags=[TAG])
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        leave = services.leave_request(
            user=request.user,
            leave_type=data["leave_type"],
            start_date=data["start_date"],
            start_half=data.get("start_half", False),
            end_date=data["end_date"],
            end_half=data.get("end_half", False),
            reason=data["reason"],
            attachment=data.get("attachment"),
        )
        return Response(self.get_serializer(leave).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=[TAG], request=DecisionSerializer, responses=LeaveSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        leave = services.leave_decide(
            user=request.user, leave=self.get_object(), **data.validated_data
        )
        return Response(self.get_serializer(leave).data)

    @extend_schema(tags=[TAG], request=None, responses=LeaveSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        leave = services.leave_withdraw(user=request.user, leave=self.get_object())
        return Response(self.get_serializer(leave).data)

    @extend_schema(tags=[TAG], responses=LeaveSerializer(many=True))
    @action(detail=False, methods=["get"])
    def inbox(self, request):
        rows = selectors.leave_inbox(user=request.user)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class SheetSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.MonthlySheet
        fields = (
            "id",
            "community",
            "month",
            "state",
            "data",
            "generated_at",
            "clerk_signed_by",
            "clerk_signed_at",
            "director_signed_by",
            "director_signed_at",
            "stamped",
            "submitted_at",
        )
        read_only_fields = fields


class SheetViewSet(ScopedReadOnlyViewSet):
    """ATT-5: the monthly sheets (read) and their Excel export."""

    queryset = m.MonthlySheet.objects.select_related("community")
    serializer_class = SheetSerializer
    filterset_fields = ("community", "month", "state")

    @extend_schema(tags=[TAG], responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        return sheet_xlsx(self.get_object())


class CaseSerializer(serializers.ModelSerializer):
    worker_name = serializers.CharField(source="worker.name", read_only=True)

    class Meta:
        model = m.AttendanceCase
        fields = (
            "id",
            "community",
            "worker",
            "worker_name",
            "kind",
            "rule_id",
            "period",
            "facts",
            "state",
            "decided_at",
            "decision_reason",
            "submitted_at",
        )
        read_only_fields = fields


class CaseDecisionSerializer(serializers.Serializer):
    confirm = serializers.BooleanField()
    decision_reason = serializers.CharField(allow_blank=True)


class CaseViewSet(ScopedReadOnlyViewSet):
    """ATT-3/ATT-4 cases; the street confirms or dismisses with a reason."""

    queryset = m.AttendanceCase.objects.select_related("worker")
    serializer_class = CaseSerializer
    filterset_fields = ("community", "worker", "kind", "state")

    @extend_schema(tags=[TAG], request=CaseDecisionSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = CaseDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_svc.case_decide(
            user=request.user,
            case=self.get_object(),
            confirm=data.validated_data["confirm"],
            reason=data.validated_data["decision_reason"],
        )
        return Response(CaseSerializer(case).data)

    def get_permissions(self):
        if self.action == "decide":
            return [permissions.IsAuthenticated()]  # the service checks the street's grant
        return super().get_permissions()


def register(router):
    router.register("attendance-records", RecordViewSet)
    router.register("leaves", LeaveViewSet, basename="leave")
    router.register("attendance-sheets", SheetViewSet)
    router.register("attendance-cases", CaseViewSet)
