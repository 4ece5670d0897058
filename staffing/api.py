"""REST API of staffing (/api/v1/). Reads are scoped by ScopedViewSetMixin; every write goes
through staffing.services (staffing_save / staffing_delete, term_reselect, handover_record),
the same path as the admin and the portal, so STAFF-4/5/6/7/8 apply and come back as
{"code": "STAFF-8", ...}. Rows under a worker take the worker's community."""

import datetime as dt

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedModelPermissions, ScopedModelViewSet
from staffing import models as m
from staffing import serializers as s
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


def register(router):
    router.register("workers", WorkerViewSet)
    router.register("terms", PostTermViewSet)
    router.register("trainings", TrainingRecordViewSet)
    router.register("study-sessions", StudySessionViewSet)
    router.register("evaluations", EvaluationViewSet)
    router.register("party-checkups", PartyCheckupViewSet)
    router.register("handovers", HandoverViewSet)
