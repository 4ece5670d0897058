"""REST API of staffing (/api/v1/). Reads are scoped by ScopedViewSetMixin; every write goes
through staffing.services (staffing_save / staffing_delete, term_reselect, handover_record),
the same path as the admin and the portal, so STAFF-4/5/6/7/8 apply and come back as
{"code": "STAFF-8", ...}. Rows under a worker take the worker's community.

The STAFF-2 payroll sheet (payrolls/, payroll-lines/, wage-gap/) is read and written through
staffing.payroll (payroll_generate, payroll_line_save, the transitions), like its admin."""

import datetime as dt

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import (
    ScopedModelPermissions,
    ScopedModelViewSet,
    ScopedReadOnlyViewSet,
    ScopedViewSetMixin,
)
from core.exports import XLSX
from core.scoping import can
from staffing import models as m
from staffing import payroll as pay
from staffing import rules
from staffing import serializers as s
from staffing.exports import payroll_xlsx
from staffing.selectors import current_terms, worker_rows
from staffing.services import handover_record, staffing_delete, staffing_save, term_reselect

TAG = "社区工作者"


class StaffingViewSet(ScopedModelViewSet):
    """Writes through staffing_save / staffing_delete."""

    def perform_create(self, serializer):
        model = serializer.Meta.model
        instance = model(**serializer.validated_data)
        serializer.instance = staffing_save(user=self.request.user, instance=instance)

    def perform_update(self, serializer):
        instance = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        serializer.instance = staffing_save(user=self.request.user, instance=instance)

    def perform_destroy(self, instance):
        staffing_delete(user=self.request.user, instance=instance)


class ChangeActionPermissions(ScopedModelPermissions):
    """A POST action that records a result on an existing row needs the change permission
    there (the service checks it again), not the add permission a POST usually means."""

    perms_map = {
        **ScopedModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }


ACTION_PERMISSIONS = [permissions.IsAuthenticated, ChangeActionPermissions]


# --- filters ------------------------------------------------------------------------------


def _today():
    return timezone.localdate()


class WorkerFilter(django_filters.FilterSet):
    post = django_filters.ChoiceFilter(
        choices=m.Post.choices, method="filter_post", label=_("现任职务")
    )
    current = django_filters.BooleanFilter(method="filter_current", label=_("在职"))

    class Meta:
        model = m.Worker
        fields = ["community", "source", "is_full_time", "gender"]

    def filter_post(self, queryset, name, value):
        held = current_terms(_today()).filter(worker_id=OuterRef("pk"), post=value)
        return queryset.filter(Exists(held))

    def filter_current(self, queryset, name, value):
        in_service = Q(left_on__isnull=True) | Q(left_on__gt=_today())
        return queryset.filter(in_service) if value else queryset.exclude(in_service)


class PostTermFilter(django_filters.FilterSet):
    current = django_filters.BooleanFilter(method="filter_current", label=_("现任"))
    year = django_filters.NumberFilter(method="filter_year", label=_("任期涉及年度"))

    class Meta:
        model = m.PostTerm
        fields = ["community", "worker", "post", "selection", "reappointed"]

    def filter_current(self, queryset, name, value):
        today = _today()
        running = Q(starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        return queryset.filter(running) if value else queryset.exclude(running)

    def filter_year(self, queryset, name, value):
        year = int(value)
        return queryset.filter(starts_on__lte=dt.date(year, 12, 31)).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=dt.date(year, 1, 1))
        )


def _year_filter(field):
    return django_filters.NumberFilter(field_name=field, lookup_expr="year", label=_("年度"))


class TrainingRecordFilter(django_filters.FilterSet):
    year = _year_filter("date")

    class Meta:
        model = m.TrainingRecord
        fields = ["community", "worker", "attended", "exam_result"]


class StudySessionFilter(django_filters.FilterSet):
    year = _year_filter("date")

    class Meta:
        model = m.StudySession
        fields = ["community"]


class EvaluationFilter(django_filters.FilterSet):
    class Meta:
        model = m.Evaluation
        fields = ["community", "worker", "year", "grade"]


class PartyCheckupFilter(django_filters.FilterSet):
    year = _year_filter("date")

    class Meta:
        model = m.PartyCheckup
        fields = ["community", "worker"]


class HandoverFilter(django_filters.FilterSet):
    year = _year_filter("deadline")

    class Meta:
        model = m.Handover
        fields = ["community", "worker", "outcome", "bonus_withheld_year"]


# --- viewsets -----------------------------------------------------------------------------


@extend_schema(tags=[TAG])
class WorkerViewSet(StaffingViewSet):
    queryset = m.Worker.objects.all()
    serializer_class = s.WorkerSerializer
    filterset_class = WorkerFilter
    search_fields = ["name", "phone"]
    ordering_fields = ["name", "hired_on", "left_on", "source"]

    def get_queryset(self):
        # Community and current posts prefetched: a fixed number of queries per page.
        return worker_rows(user=self.request.user)


@extend_schema(tags=[TAG])
class PostTermViewSet(StaffingViewSet):
    queryset = m.PostTerm.objects.select_related("community", "worker")
    serializer_class = s.PostTermSerializer
    filterset_class = PostTermFilter
    search_fields = ["worker__name"]
    ordering_fields = ["starts_on", "ends_on", "post", "worker__name"]

    @extend_schema(request=s.ReselectSerializer, responses=s.ReselectResultSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def reselect(self, request, pk=None):
        """STAFF-4: record the re-selection of a term that has ended or ends within the
        notice window, once; when re-appointed the following term is created."""
        term = self.get_object()
        body = s.ReselectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        term, following = term_reselect(
            user=request.user,
            term=term,
            reappointed=data["reappointed"],
            new_term_end=data.get("new_term_end"),
            decided_on=data.get("decided_on") or timezone.localdate(),
        )
        context = self.get_serializer_context()
        result = s.ReselectResultSerializer({"term": term, "following": following}, context=context)
        return Response(result.data, status=status.HTTP_200_OK)


@extend_schema(tags=[TAG])
class TrainingRecordViewSet(StaffingViewSet):
    queryset = m.TrainingRecord.objects.select_related("community", "worker")
    serializer_class = s.TrainingRecordSerializer
    filterset_class = TrainingRecordFilter
    search_fields = ["worker__name", "course", "organiser"]
    ordering_fields = ["date", "hours", "worker__name"]


@extend_schema(tags=[TAG])
class StudySessionViewSet(StaffingViewSet):
    queryset = m.StudySession.objects.select_related("community")
    serializer_class = s.StudySessionSerializer
    filterset_class = StudySessionFilter
    search_fields = ["topic", "notes"]
    ordering_fields = ["date", "attendees"]


@extend_schema(tags=[TAG])
class EvaluationViewSet(StaffingViewSet):
    queryset = m.Evaluation.objects.select_related("community", "worker")
    serializer_class = s.EvaluationSerializer
    filterset_class = EvaluationFilter
    search_fields = ["worker__name", "evaluators"]
    ordering_fields = ["year", "score", "grade", "worker__name"]


@extend_schema(tags=[TAG])
class PartyCheckupViewSet(StaffingViewSet):
    queryset = m.PartyCheckup.objects.select_related("community", "worker")
    serializer_class = s.PartyCheckupSerializer
    filterset_class = PartyCheckupFilter
    search_fields = ["worker__name", "result"]
    ordering_fields = ["date", "worker__name"]


@extend_schema(tags=[TAG])
class HandoverViewSet(StaffingViewSet):
    queryset = m.Handover.objects.select_related("community", "worker")
    serializer_class = s.HandoverSerializer
    filterset_class = HandoverFilter
    search_fields = ["worker__name", "supervisors", "note"]
    ordering_fields = ["deadline", "completed_on", "outcome", "worker__name"]

    @extend_schema(request=s.HandoverRecordSerializer, responses=s.HandoverSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def record(self, request, pk=None):
        """STAFF-7: record how the handover ended (completed, refused after the deadline,
        archives or seals lost), once; refusal and loss withhold the year's bonus."""
        handover = self.get_object()
        body = s.HandoverRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        handover = handover_record(
            user=request.user,
            handover=handover,
            outcome=body.validated_data["outcome"],
            on=body.validated_data.get("on") or timezone.localdate(),
        )
        return Response(self.get_serializer(handover).data)


# --- STAFF-2: the monthly payroll sheet ---------------------------------------------------

PAYROLL_TAG = "生活补贴发放表"


class PayrollFilter(django_filters.FilterSet):
    month = django_filters.DateFilter(
        method="filter_month",
        input_formats=["%Y-%m", "%Y-%m-%d"],
        label=_("月份（YYYY-MM 或该月任一日期）"),
    )
    year = django_filters.NumberFilter(field_name="month", lookup_expr="year", label=_("年度"))

    class Meta:
        model = m.Payroll
        fields = ["community", "state"]

    def filter_month(self, queryset, name, value):
        return queryset.filter(month=rules.month_first(value))


class PayrollActionPermissions(ScopedModelPermissions):
    """Each transition needs its own permission on the sheet (core.roles: the community's
    heads submit; the street's principal and social-affairs chief approve, return and file),
    so a community role that tries to approve is refused with 403. The service checks again,
    including that an approval comes through a street role."""

    action_perms = {
        "submit": "staffing.submit_payroll",
        "approve": "staffing.approve_payroll",
        "return_sheet": "staffing.approve_payroll",
        "lock": "staffing.approve_payroll",
    }

    def has_object_permission(self, request, view, obj):
        return can(request.user, self.action_perms[view.action], obj)


PAYROLL_ACTION_PERMISSIONS = [permissions.IsAuthenticated, PayrollActionPermissions]


@extend_schema(tags=[PAYROLL_TAG])
class PayrollViewSet(ScopedReadOnlyViewSet):
    """STAFF-2 (002 四(二)): the monthly subsidy sheets of the user's communities, each with
    its lines and totals. Made by `generate`, moved by `submit` (community heads), `approve`,
    `return` and `lock` (the street); an approved sheet never changes ({"code": "STAFF-2"})."""

    queryset = m.Payroll.objects.select_related(
        "community", "submitted_by", "approved_by"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=m.PayrollLine.objects.select_related("worker").order_by(
                "worker__name", "worker_id"
            ),
        )
    )
    serializer_class = s.PayrollSerializer
    filterset_class = PayrollFilter
    search_fields = ["community__name", "note"]
    ordering_fields = ["month", "state", "community__name"]

    def _sheet(self, payroll, status_code=status.HTTP_200_OK):
        """The sheet as retrieve shows it, read again after the service's write."""
        fresh = self.get_queryset().get(pk=payroll.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(
        request=s.PayrollGenerateSerializer,
        responses={200: s.PayrollSerializer, 201: s.PayrollSerializer},
    )
    @action(detail=False, methods=["post"])
    def generate(self, request):
        """STAFF-2: make (201) or refresh (200) the draft sheet of a community for a month from
        the current terms, the profile's standards and attendance; the social insurance and
        notes typed into lines are kept. Refused once the sheet is submitted (STAFF-2)."""
        body = s.PayrollGenerateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        community = body.validated_data["community"]
        month = rules.month_first(body.validated_data["month"])
        existed = m.Payroll.objects.filter(community=community, month=month).exists()
        payroll = pay.payroll_generate(user=request.user, community=community, month=month)
        return self._sheet(payroll, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.PayrollSerializer)
    @action(detail=True, methods=["post"], permission_classes=PAYROLL_ACTION_PERMISSIONS)
    def submit(self, request, pk=None):
        """STAFF-2: draft → submitted to the street, by the community's heads."""
        return self._sheet(pay.payroll_submit(user=request.user, payroll=self.get_object()))

    @extend_schema(request=None, responses=s.PayrollSerializer)
    @action(detail=True, methods=["post"], permission_classes=PAYROLL_ACTION_PERMISSIONS)
    def approve(self, request, pk=None):
        """STAFF-2: submitted → approved, by the street; frozen from here on."""
        return self._sheet(pay.payroll_approve(user=request.user, payroll=self.get_object()))

    @extend_schema(request=s.PayrollReturnSerializer, responses=s.PayrollSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="return",
        url_name="return",
        permission_classes=PAYROLL_ACTION_PERMISSIONS,
    )
    def return_sheet(self, request, pk=None):
        """STAFF-2: submitted → draft with the street's reason, so the community corrects it."""
        payroll = self.get_object()
        body = s.PayrollReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payroll = pay.payroll_return(
            user=request.user, payroll=payroll, reason=body.validated_data["reason"]
        )
        return self._sheet(payroll)

    @extend_schema(request=None, responses=s.PayrollSerializer)
    @action(detail=True, methods=["post"], permission_classes=PAYROLL_ACTION_PERMISSIONS)
    def lock(self, request, pk=None):
        """STAFF-2: approved → locked (paid out and filed), by the street."""
        return self._sheet(pay.payroll_lock(user=request.user, payroll=self.get_object()))

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The sheet as an Excel workbook: Chinese headers, one row per worker, totals."""
        return payroll_xlsx(self.get_object())


@extend_schema(tags=[PAYROLL_TAG])
class PayrollLineViewSet(
    ScopedViewSetMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """One line of a sheet. PATCH changes the social insurance and the note while the sheet
    is a draft (staffing.payroll.payroll_line_save); afterwards {"code": "STAFF-2"}."""

    queryset = m.PayrollLine.objects.select_related("worker", "payroll")
    serializer_class = s.PayrollLineSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def perform_update(self, serializer):
        line = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(line, name, value)
        serializer.instance = pay.payroll_line_save(user=self.request.user, line=line)


@extend_schema(tags=[PAYROLL_TAG])
class WageGapViewSet(viewsets.ViewSet):
    """STAFF-2 (004 三(二)2): each standard of each community the user may see against last
    year's average wage of its street, and next year's standard (read-only report)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[s.WageGapQuerySerializer], responses=s.WageGapRowSerializer(many=True)
    )
    def list(self, request):
        if not can(request.user, "staffing.view_payroll"):
            raise exceptions.PermissionDenied
        query = s.WageGapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = pay.wage_gap_report(
            user=request.user,
            year=query.validated_data.get("year") or timezone.localdate().year,
            community_id=query.validated_data.get("community"),
        )
        rows = s.WageGapRowSerializer(report.rows, many=True, context={"report": report})
        return Response(rows.data)


def register(router):
    router.register("workers", WorkerViewSet)
    router.register("terms", PostTermViewSet)
    router.register("trainings", TrainingRecordViewSet)
    router.register("study-sessions", StudySessionViewSet)
    router.register("evaluations", EvaluationViewSet)
    router.register("party-checkups", PartyCheckupViewSet)
    router.register("handovers", HandoverViewSet)
    router.register("payrolls", PayrollViewSet)
    router.register("payroll-lines", PayrollLineViewSet)
    router.register("wage-gap", WageGapViewSet, basename="wage-gap")
