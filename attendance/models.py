"""Attendance (考勤, 003 十三): the working-day calendar's local exceptions, office hours, the
daily register (ATT-1), leave (ATT-2), criticisms and cases (ATT-3/ATT-4) and the monthly
sheet (ATT-5)."""

import datetime as dt

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import TimeStampedModel


@audited
class CalendarException(TimeStampedModel):
    """A street's own exception to the national calendar (RULES ATT: working days follow
    China's statutory holidays and make-up working days): an extra holiday (e.g. a local
    festival, a day off ordered by the district) or an extra working day. It overrides the
    `chinesecalendar` package for that street, also in years the package has no data for.

    Street data, not one community's: reads are filtered by street and writes checked
    against the street roles in attendance.services (core.scoping knows community rows)."""

    scope_path = None

    street = models.ForeignKey(
        "communities.Street",
        on_delete=models.CASCADE,
        related_name="calendar_exceptions",
        verbose_name=_("街道"),
    )
    date = models.DateField(_("日期"))
    is_working_day = models.BooleanField(
        _("工作日"),
        help_text=_("勾选：当天上班（调休上班）；不勾选：当天放假（本地增加的假日）"),
    )
    reason = models.CharField(_("原因"), max_length=200)

    class Meta:
        verbose_name = _("本地工作日调整")
        verbose_name_plural = _("本地工作日调整")
        ordering = ["street_id", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "date"],
                name="att_calendar_one_per_street_day",
                violation_error_message=_("该街道这一天已有调整"),
            ),
        ]

    def __str__(self):
        kind = _("上班") if self.is_working_day else _("放假")
        return f"{self.street} {self.date} {kind}"


# ATT-1: the office hours the register is measured against. The seeds name no hours; a
# community without a row uses these (a system default, like 21.75 pay days).
DEFAULT_START = dt.time(8, 30)
DEFAULT_MIDDAY = dt.time(12, 0)
DEFAULT_END = dt.time(17, 0)


@audited
class OfficeHours(TimeStampedModel):
    """A community's office hours (办公时间): lateness and early departure (ATT-3) are
    measured against them. `midday` splits the day for half-day leave: a morning off moves
    the expected arrival to midday, an afternoon off the expected departure."""

    community = models.OneToOneField(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="attendance_hours",
        verbose_name=_("社区"),
    )
    start = models.TimeField(_("上班时间"), default=DEFAULT_START)
    midday = models.TimeField(
        _("上下午分界"), default=DEFAULT_MIDDAY, help_text=_("ATT-2：半天假以此为界")
    )
    end = models.TimeField(_("下班时间"), default=DEFAULT_END)

    class Meta:
        verbose_name = _("考勤作息时间")
        verbose_name_plural = _("考勤作息时间")
        ordering = ["community_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("midday")) & Q(midday__lt=F("end")),
                name="att_hours_ordered",
                violation_error_message=_("[ATT-1] 应满足：上班时间 < 上下午分界 < 下班时间"),
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.start:%H:%M}—{self.end:%H:%M}"


@audited
class AttendanceRecord(TimeStampedModel):
    """One worker's day in the attendance register (考勤登记簿, ATT-1, 003 十三(一)). The
    worker signs in and out on the portal (the server's clock); the designated clerk
    corrects an entry with a reason (pghistory keeps every version). The office hours in
    force are fixed on the row when it is made, so a later change of hours does not turn a
    past day late. Lateness, early departure and absence are derived (attendance.rules)."""

    parent_field = "worker"

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="attendance_records",
        verbose_name=_("社区"),
    )
    worker = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.PROTECT,
        related_name="attendance_records",
        verbose_name=_("社区工作者"),
    )
    date = models.DateField(_("日期"))
    sign_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    sign_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    expected_start = models.TimeField(_("应到时间"), default=DEFAULT_START)
    midday = models.TimeField(_("上下午分界"), default=DEFAULT_MIDDAY)
    expected_end = models.TimeField(_("应退时间"), default=DEFAULT_END)
    corrected_at = models.DateTimeField(_("更正时间"), null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("更正人"),
    )
    correction_reason = models.CharField(
        _("更正原因"), max_length=200, blank=True, help_text=_("ATT-1：考勤员更正须写明原因")
    )

    class Meta:
        verbose_name = _("考勤登记")
        verbose_name_plural = _("考勤登记")
        ordering = ["-date", "community_id", "worker_id"]
        indexes = [models.Index(fields=["community", "date"], name="att_record_community_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "date"],
                name="att_record_one_per_worker_day",
                violation_error_message=_("[ATT-1] 该工作人员当天已有考勤记录"),
            ),
            models.CheckConstraint(
                condition=Q(sign_out_at__isnull=True)
                | (Q(sign_in_at__isnull=False) & Q(sign_out_at__gte=F("sign_in_at"))),
                name="att_record_out_after_in",
                violation_error_message=_("[ATT-1] 签退时间须晚于签到时间"),
            ),
            models.CheckConstraint(
                condition=Q(corrected_at__isnull=True) | ~Q(correction_reason=""),
                name="att_record_correction_has_reason",
                violation_error_message=_("[ATT-1] 更正考勤须写明原因"),
            ),
        ]

    def __str__(self):
        return f"{self.worker} {self.date}"


class LeaveType(models.TextChoices):
    PERSONAL = "personal", _("事假")
    SICK = "sick", _("病假")
    OTHER = "other", _("其他")


class LeaveState(models.TextChoices):
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已批准")
    FILED = "filed", _("已批准并备案")
    REJECTED = "rejected", _("未批准")
    WITHDRAWN = "withdrawn", _("已撤回")


class LeaveStep(models.TextChoices):
    """ATT-2 (003 十三(三)): who approves, in the order of Leave.steps."""

    DIRECTOR = "director", _("居委会主任审批")
    CHIEF = "chief", _("街道社会事务管理科科长审批")
    DEPUTY = "deputy", _("街道主管主任审核")


# Leave that excuses the days it covers and counts for deductions (ATT-2).
LEAVE_GRANTED = (LeaveState.APPROVED, LeaveState.FILED)
# Leave a new request may not overlap.
LEAVE_LIVE = (LeaveState.PENDING, LeaveState.APPROVED, LeaveState.FILED)


def leave_upload_to(instance, filename):
    return f"attendance/leave/{instance.community_id}/{filename}"


@audited
class Leave(TimeStampedModel):
    """A worker's leave request (ATT-2, 003 十三(二)(三)): dates with half days, counted in
    working days of the street's calendar. The route (steps), the written-request duty and
    whether pay is deducted are fixed when it is requested, from the profile then in force;
    it moves only through attendance.services (leave_request, leave_decide, leave_withdraw),
    each under a row lock."""

    parent_field = "worker"

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="leaves",
        verbose_name=_("社区"),
    )
    worker = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.PROTECT,
        related_name="leaves",
        verbose_name=_("请假人"),
    )
    leave_type = models.CharField(_("请假类别"), max_length=20, choices=LeaveType.choices)
    start_date = models.DateField(_("开始日期"))
    start_half = models.BooleanField(_("从下午开始"), default=False)
    end_date = models.DateField(_("结束日期"))
    end_half = models.BooleanField(_("到上午结束"), default=False)
    days = models.DecimalField(
        _("请假天数（工作日）"),
        max_digits=5,
        decimal_places=1,
        help_text=_("ATT-2：按工作日计算，节假日、周末不计，调休上班日计入"),
    )
    reason = models.TextField(_("请假事由"))
    attachment = models.FileField(
        _("请假条"),
        upload_to=leave_upload_to,
        blank=True,
        help_text=_("ATT-2：003 十三(三) 超过三天以上的要写请假条（PDF、JPG、PNG，不超过 5 MB）"),
    )
    steps = models.JSONField(
        _("审批流程"), default=list, help_text=_("ATT-2：提交时按参数方案确定，之后不变")
    )
    current_step = models.CharField(
        _("待办环节"), max_length=20, choices=LeaveStep.choices, blank=True
    )
    state = models.CharField(
        _("状态"), max_length=20, choices=LeaveState.choices, default=LeaveState.PENDING
    )
    deducts = models.BooleanField(
        _("按天扣薪"), default=False, help_text=_("ATT-2：按天计算扣当月工资（提交时确定）")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申请人账号"),
    )
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("请假")
        verbose_name_plural = _("请假")
        ordering = ["-start_date", "-pk"]
        indexes = [
            models.Index(fields=["worker", "start_date"], name="att_leave_worker_start"),
            models.Index(fields=["community", "state"], name="att_leave_community_state"),
        ]
        permissions = [
            ("director_approve_leave", _("审批请假（居委会主任）")),
            ("chief_approve_leave", _("审批请假（街道社会事务管理科科长）")),
            ("deputy_review_leave", _("审核请假（街道主管主任）")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="att_leave_end_after_start",
                violation_error_message=_("[ATT-2] 结束日期不能早于开始日期"),
            ),
            models.CheckConstraint(
                condition=Q(days__gt=0),
                name="att_leave_days_positive",
                violation_error_message=_("[ATT-2] 所选日期没有工作日"),
            ),
            models.CheckConstraint(
                condition=~Q(state="pending") | ~Q(current_step=""),
                name="att_leave_pending_has_step",
                violation_error_message=_("[ATT-2] 审批中的请假须有待办环节"),
            ),
        ]

    def __str__(self):
        return _("%(worker)s %(start)s 至 %(end)s %(type)s") % {
            "worker": self.worker,
            "start": self.start_date,
            "end": self.end_date,
            "type": self.get_leave_type_display(),
        }

    @property
    def is_granted(self) -> bool:
        return self.state in LEAVE_GRANTED


class Decision(models.TextChoices):
    APPROVE = "approve", _("同意")
    REJECT = "reject", _("不同意")


@audited
class LeaveApproval(models.Model):
    """One step's decision on a leave (ATT-2), by a named person, once per step."""

    scope_path = "leave__community"

    leave = models.ForeignKey(
        Leave, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("请假")
    )
    step = models.CharField(_("环节"), max_length=20, choices=LeaveStep.choices)
    decision = models.CharField(_("意见"), max_length=10, choices=Decision.choices)
    comment = models.CharField(_("批注"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("请假审批")
        verbose_name_plural = _("请假审批")
        ordering = ["leave_id", "decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["leave", "step"],
                name="att_leave_one_decision_per_step",
                violation_error_message=_("[ATT-2] 该环节已审批"),
            ),
        ]

    def __str__(self):
        return f"{self.leave} {self.get_step_display()} {self.get_decision_display()}"


@audited
class Criticism(TimeStampedModel):
    """A recorded criticism (批评教育) of a worker's lateness or early departures (ATT-3, 003
    十三(四) 经批评教育仍不改正的): the condition for the ATT-3 deduction."""

    parent_field = "worker"

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="attendance_criticisms",
        verbose_name=_("社区"),
    )
    worker = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.PROTECT,
        related_name="attendance_criticisms",
        verbose_name=_("社区工作者"),
    )
    date = models.DateField(_("批评日期"))
    note = models.TextField(_("批评教育内容"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )

    class Meta:
        verbose_name = _("批评教育记录")
        verbose_name_plural = _("批评教育记录")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["worker", "date"], name="att_criticism_worker_date")]

    def __str__(self):
        return f"{self.worker} {self.date}"


class CaseKind(models.TextChoices):
    """What a case asks of people (never an automatic sanction)."""

    LATE_RESIGNATION = "late_resignation", _("累计迟到早退，按自动辞职处理（待街道确认）")
    ABSENCE_RESIGNATION = "absence_resignation", _("无故旷工，按自动辞职处理（待街道确认）")
    SELF_CRITICISM = "self_criticism", _("无故旷工，须写出书面检查")


class CaseState(models.TextChoices):
    OPEN = "open", _("待处理")
    CONFIRMED = "confirmed", _("街道已确认")
    DISMISSED = "dismissed", _("街道不予认定")
    SUBMITTED = "submitted", _("已提交书面检查")


CASE_RULE = {
    CaseKind.LATE_RESIGNATION: "ATT-3",
    CaseKind.ABSENCE_RESIGNATION: "ATT-4",
    CaseKind.SELF_CRITICISM: "ATT-4",
}
RESIGNATION_KINDS = (CaseKind.LATE_RESIGNATION, CaseKind.ABSENCE_RESIGNATION)


def case_upload_to(instance, filename):
    return f"attendance/cases/{instance.community_id}/{filename}"


@audited
class AttendanceCase(TimeStampedModel):
    """An ATT-3/ATT-4 consequence found by the daily sweep, one per worker, kind and counting
    window (`period`): "treated as resignation" for the street to confirm or dismiss with a
    reason (003 十三(四) 按自动辞职处理; RULES: never an automatic dismissal; confirming
    records the street's decision, the departure itself is then recorded in staffing), or
    the written self-criticism the worker owes after a day's absence (当事人要写出书面检查)."""

    parent_field = "worker"

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="attendance_cases",
        verbose_name=_("社区"),
    )
    worker = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.PROTECT,
        related_name="attendance_cases",
        verbose_name=_("社区工作者"),
    )
    kind = models.CharField(_("类别"), max_length=30, choices=CaseKind.choices)
    rule_id = models.CharField(_("规则编号"), max_length=20)
    period = models.CharField(_("统计期"), max_length=20, help_text=_("如 2026-11 或 2026"))
    facts = models.TextField(_("认定事实"))
    state = models.CharField(
        _("状态"), max_length=20, choices=CaseState.choices, default=CaseState.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_reason = models.TextField(_("处理意见"), blank=True)
    statement = models.TextField(_("书面检查"), blank=True)
    statement_file = models.FileField(
        _("书面检查附件"),
        upload_to=case_upload_to,
        blank=True,
        help_text=_("PDF、JPG、PNG，不超过 5 MB"),
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("考勤处理事项")
        verbose_name_plural = _("考勤处理事项")
        ordering = ["state", "-created_at", "-pk"]
        permissions = [("decide_attendancecase", _("确认或不予认定“按自动辞职处理”（街道）"))]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "kind", "period"],
                name="att_case_one_per_worker_kind_period",
                violation_error_message=_("该事项已存在"),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["confirmed", "dismissed"]) | ~Q(decision_reason=""),
                name="att_case_decision_has_reason",
                violation_error_message=_("[ATT-3] 街道确认或不予认定须写明理由"),
            ),
        ]
        indexes = [models.Index(fields=["community", "state"], name="att_case_community_state")]

    def __str__(self):
        return f"{self.worker} {self.get_kind_display()} {self.period}"


class SheetState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已报街道")


@audited
class MonthlySheet(TimeStampedModel):
    """The monthly attendance sheet (月考勤登记表, ATT-5, 003 十三(六)): the 考勤表 grid of one
    community and month as generated from the register, signed in the system by the
    committee director and the clerk, stamped, and submitted to the street's social-affairs
    section before the month ends. Signatures attest the grid they were given: regenerating
    a draft clears them. A submitted sheet never changes (database trigger)."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="attendance_sheets",
        verbose_name=_("社区"),
    )
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    state = models.CharField(
        _("状态"), max_length=20, choices=SheetState.choices, default=SheetState.DRAFT
    )
    data = models.JSONField(_("考勤表内容"), default=dict, help_text=_("生成时的考勤表"))
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    clerk_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("考勤员签字"),
    )
    clerk_signed_at = models.DateTimeField(_("考勤员签字时间"), null=True, blank=True)
    director_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("主任签字"),
    )
    director_signed_at = models.DateTimeField(_("主任签字时间"), null=True, blank=True)
    stamped = models.BooleanField(
        _("已加盖社区印章"), default=False, help_text=_("ATT-5：003 十三(六) 加盖社区印章")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("报送人"),
    )
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("月考勤表")
        verbose_name_plural = _("月考勤表")
        ordering = ["-month", "community_id"]
        permissions = [
            ("sign_clerk_monthlysheet", _("月考勤表考勤员签字")),
            ("sign_director_monthlysheet", _("月考勤表主任签字")),
            ("submit_monthlysheet", _("月考勤表报街道")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "month"],
                name="att_sheet_one_per_community_month",
                violation_error_message=_("[ATT-5] 该社区本月考勤表已存在"),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="att_sheet_month_first_day",
                violation_error_message=_("月份须为该月 1 日"),
            ),
            models.CheckConstraint(
                condition=~Q(state="submitted")
                | (
                    Q(clerk_signed_by__isnull=False)
                    & Q(director_signed_by__isnull=False)
                    & Q(stamped=True)
                    & Q(submitted_at__isnull=False)
                ),
                name="att_sheet_submitted_signed_stamped",
                violation_error_message=_("[ATT-5] 报街道前须经主任和考勤员签字并加盖印章"),
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="att_sheet_submitted_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__state="submitted"),
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.month:%Y-%m}"
