"""API serializers of staffing. They parse and render only: every write goes through
staffing.services (see staffing.api). A row under a worker takes its community from the
worker (services.derive_community), so `community` is read-only there and the worker must be
one the user may see (ScopedRelatedFieldsMixin: another community's worker "does not
exist")."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communities.serializers import ScopedRelatedFieldsMixin
from staffing import models as m
from staffing import rules


class CurrentPostSerializer(serializers.ModelSerializer):
    """A post the worker holds today (STAFF-9), nested read-only in the worker."""

    post_display = serializers.CharField(source="get_post_display", read_only=True)

    class Meta:
        model = m.PostTerm
        fields = ("id", "post", "post_display", "starts_on", "ends_on", "selection")
        read_only_fields = fields


class StaffingSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    """Staffing rows: all model fields plus the community's name for display."""

    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        fields = "__all__"
        read_only_fields = ("created_at", "updated_at")


class WorkerRowSerializer(StaffingSerializer):
    """A row under a worker: the community is the worker's, never the payload's."""

    worker_name = serializers.CharField(source="worker.name", read_only=True)

    class Meta(StaffingSerializer.Meta):
        read_only_fields = ("community", "created_at", "updated_at")


class WorkerSerializer(StaffingSerializer):
    current_posts = serializers.SerializerMethodField()

    class Meta(StaffingSerializer.Meta):
        model = m.Worker

    @extend_schema_field(CurrentPostSerializer(many=True))
    def get_current_posts(self, worker):
        terms = getattr(worker, "current_terms", None)
        if terms is None:  # a single row just saved: not prefetched
            today = timezone.localdate()
            terms = [
                t for t in worker.terms.order_by("post", "starts_on") if t.is_current_on(today)
            ]
        return CurrentPostSerializer(terms, many=True).data


class PostTermSerializer(WorkerRowSerializer):
    post_display = serializers.CharField(source="get_post_display", read_only=True)
    subsidy_ends_on = serializers.SerializerMethodField(
        help_text=_("STAFF-4：届满未续任的，补贴发放至该日（届满当月末）")
    )

    class Meta(WorkerRowSerializer.Meta):
        model = m.PostTerm
        # STAFF-4: the re-selection result is recorded only by the reselect action.
        read_only_fields = (
            *WorkerRowSerializer.Meta.read_only_fields,
            "reappointed",
            "reselected_on",
        )

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_subsidy_ends_on(self, term) -> dt.date | None:
        return rules.subsidy_ends_on(term)


class TrainingRecordSerializer(WorkerRowSerializer):
    class Meta(WorkerRowSerializer.Meta):
        model = m.TrainingRecord


class StudySessionSerializer(StaffingSerializer):
    class Meta(StaffingSerializer.Meta):
        model = m.StudySession


class EvaluationSerializer(WorkerRowSerializer):
    class Meta(WorkerRowSerializer.Meta):
        model = m.Evaluation


class PartyCheckupSerializer(WorkerRowSerializer):
    class Meta(WorkerRowSerializer.Meta):
        model = m.PartyCheckup


class HandoverSerializer(WorkerRowSerializer):
    class Meta(WorkerRowSerializer.Meta):
        model = m.Handover
        # STAFF-7: the outcome is recorded only by the record action, once.
        read_only_fields = (
            *WorkerRowSerializer.Meta.read_only_fields,
            "outcome",
            "completed_on",
            "bonus_withheld_year",
        )


class ReselectSerializer(serializers.Serializer):
    """STAFF-4: the re-selection result of a term that has ended or ends soon."""

    reappointed = serializers.BooleanField(help_text=_("STAFF-4：届满后是否续任"))
    decided_on = serializers.DateField(
        required=False, help_text=_("换届决定日期，默认今天；不得晚于今天")
    )
    new_term_end = serializers.DateField(
        required=False, allow_null=True, help_text=_("续任的新任期届满日期（可不填）")
    )


class ReselectResultSerializer(serializers.Serializer):
    term = PostTermSerializer(read_only=True)
    following = PostTermSerializer(read_only=True, allow_null=True)


class HandoverRecordSerializer(serializers.Serializer):
    """STAFF-7: how a departure handover ended (completed, refused or lost; once)."""

    outcome = serializers.ChoiceField(
        choices=m.HandoverOutcome.choices,
        help_text=_("STAFF-7：只能登记按期移交、拒不移交或档案印章丢失；逾期完成自动记为逾期移交"),
    )
    on = serializers.DateField(required=False, help_text=_("登记日期，默认今天；不得晚于今天"))
