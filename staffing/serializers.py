"""API serializers of staffing. They parse and render only: every write goes through
staffing.services (see staffing.api). A row under a worker takes its community from the
worker (services.derive_community), so `community` is read-only there and the worker must be
one the user may see (ScopedRelatedFieldsMixin: another community's worker "does not
exist")."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from communities.models import Community
from communities.serializers import ScopedRelatedFieldsMixin
from staffing import models as m
from staffing import rules
from staffing.payroll import TOTAL_FIELDS


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


# --- STAFF-2: the monthly payroll sheet (staffing.payroll) ----------------------------------

# Fields of a line the API writes (payroll_line_save, draft only); the rest is generated.
LINE_API_EDITABLE = ("insurance_personal", "insurance_unit", "note")
# The subsidy grade is a plain string in the schema: an enum would be named after the field
# and collide with the evaluation's `grade` (drf-spectacular warns; the override belongs in
# settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
GRADE_HELP = "STAFF-2: " + ", ".join(m.SubsidyGrade.values)


class PayrollLineSerializer(serializers.ModelSerializer):
    """One worker on a sheet. Only the social insurance and the note are written, and only
    while the sheet is a draft (staffing.payroll.payroll_line_save: STAFF-2); posts, standard,
    deduction and net come from payroll_generate."""

    worker_name = serializers.CharField(source="worker.name", read_only=True)
    grade = serializers.CharField(read_only=True, help_text=GRADE_HELP)
    grade_display = serializers.CharField(source="get_grade_display", read_only=True)

    class Meta:
        model = m.PayrollLine
        fields = (
            "id",
            "payroll",
            "worker",
            "worker_name",
            "posts",
            "grade",
            "grade_display",
            "reselection_pending",
            "standard",
            "deduction_days",
            "deduction_amount",
            "insurance_personal",
            "insurance_unit",
            "net",
            "note",
            "updated_at",
        )
        read_only_fields = tuple(f for f in fields if f not in LINE_API_EDITABLE)


def _money_field(**kwargs):
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


class PayrollTotalsSerializer(serializers.Serializer):
    """The column sums of a sheet (staffing.payroll.TOTAL_FIELDS)."""

    standard = _money_field(help_text=_("生活补贴合计（元）"))
    deduction_days = _money_field(help_text=_("扣薪天数合计"))
    deduction_amount = _money_field(help_text=_("考勤扣款合计（元）"))
    insurance_personal = _money_field(help_text=_("社保个人部分合计（元）"))
    insurance_unit = _money_field(help_text=_("社保单位部分合计（元）"))
    net = _money_field(help_text=_("实发金额合计（元）"))


def _user_name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


class PayrollSerializer(serializers.ModelSerializer):
    """A monthly sheet with its lines and totals, read-only: it changes only through the
    generate and transition actions (staffing.payroll)."""

    community_name = serializers.CharField(source="community.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    submitted_by_name = serializers.SerializerMethodField()
    approved_by_name = serializers.SerializerMethodField()
    n_lines = serializers.SerializerMethodField(help_text=_("人数"))
    totals = serializers.SerializerMethodField()
    lines = PayrollLineSerializer(many=True, read_only=True)

    class Meta:
        model = m.Payroll
        fields = (
            "id",
            "community",
            "community_name",
            "month",
            "state",
            "state_display",
            "generated_at",
            "submitted_at",
            "submitted_by",
            "submitted_by_name",
            "approved_at",
            "approved_by",
            "approved_by_name",
            "locked_at",
            "returned_reason",
            "note",
            "n_lines",
            "totals",
            "lines",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_submitted_by_name(self, payroll) -> str | None:
        return _user_name(payroll.submitted_by)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_approved_by_name(self, payroll) -> str | None:
        return _user_name(payroll.approved_by)

    def get_n_lines(self, payroll) -> int:
        return len(payroll.lines.all())  # prefetched by the viewset

    @extend_schema_field(PayrollTotalsSerializer)
    def get_totals(self, payroll):
        lines = payroll.lines.all()
        sums = {
            name: sum((getattr(line, name) for line in lines), Decimal("0"))
            for name in TOTAL_FIELDS
        }
        return PayrollTotalsSerializer(sums).data


class PayrollGenerateSerializer(ScopedRelatedFieldsMixin, serializers.Serializer):
    """STAFF-2: which sheet to make or refresh. Another community's id "does not exist"."""

    community = serializers.PrimaryKeyRelatedField(
        queryset=Community.objects.all(), help_text=_("社区")
    )
    month = serializers.DateField(
        input_formats=["%Y-%m", api_settings.DATE_INPUT_FORMATS[0]],
        help_text=_("月份：YYYY-MM 或该月任一日期（YYYY-MM-DD）；不得晚于本月"),
    )


class PayrollReturnSerializer(serializers.Serializer):
    """STAFF-2: the street's reason for sending a submitted sheet back to the community."""

    reason = serializers.CharField(max_length=2000, help_text=_("退回意见（必填）"))


class WageGapQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=dt.MAXYEAR - 1,
        help_text=_("补贴标准年度，默认今年；与上一年度社会平均工资比较"),
    )
    community = serializers.IntegerField(
        required=False, min_value=1, help_text=_("只看该社区（可不填）")
    )


class WageGapRowSerializer(serializers.Serializer):
    """STAFF-2 (004 三(二)2): one standard of one community against last year's average wage
    of its street, with next year's standard under the profile's catch-up percentage."""

    year = serializers.SerializerMethodField(help_text=_("补贴标准年度"))
    average_year = serializers.SerializerMethodField(help_text=_("社会平均工资年度（上一年度）"))
    community = serializers.IntegerField(source="community.pk")
    community_name = serializers.CharField(source="community.name")
    street_name = serializers.CharField(source="community.street.name")
    grade = serializers.CharField(help_text=GRADE_HELP)
    grade_display = serializers.CharField(source="grade_label")
    standard = _money_field(help_text=_("月补贴标准（元）"))
    average_wage = _money_field(
        source="average.monthly_amount",
        allow_null=True,
        help_text=_("上年度社会平均工资（元/月）；未登记为 null"),
    )
    average_source = serializers.CharField(
        source="average.source", read_only=True, allow_null=True, help_text=_("社平工资发布文件")
    )
    gap = _money_field(allow_null=True, help_text=_("差距（元）"))
    pct = serializers.IntegerField(help_text=_("年缩小比例（%）"))
    next_standard = _money_field(allow_null=True, help_text=_("下一年度计划标准（元）"))
    raise_by = _money_field(allow_null=True, help_text=_("增加（元）"))

    # The report's years, from the context (staffing.api.WageGapViewSet).
    def get_year(self, row) -> int:
        return self.context["report"].year

    def get_average_year(self, row) -> int:
        return self.context["report"].average_year
