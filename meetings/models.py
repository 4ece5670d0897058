"""Meetings (会议, 003 三、六): the residents' representative assembly with its roster, sittings,
check-in, quorum and votes (MEET-1/2), and the committee's regular meetings with attendance,
minutes, the 大事记 and meeting discipline (MEET-3/4/5)."""

import pgtrigger
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import TimeStampedModel


@audited
class AssemblyQuota(TimeStampedModel):
    """The number of representative seats (居民代表名额) of a community's assembly. Used only
    when the profile counts vacant seats (MEET-1 assembly_count_vacant_seats): the base of
    the quorum is then the larger of this number and the representatives seated."""

    community = models.OneToOneField(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="assembly_quota",
        verbose_name=_("社区"),
    )
    seats = models.PositiveIntegerField(
        _("居民代表名额"),
        validators=[MinValueValidator(1)],
        help_text=_("MEET-1：参数方案规定空缺席位计入代表总数时使用"),
    )

    class Meta:
        verbose_name = _("居民代表名额")
        verbose_name_plural = _("居民代表名额")
        constraints = [
            models.CheckConstraint(
                condition=Q(seats__gte=1),
                name="meet_quota_positive",
                violation_error_message=_("[MEET-1] 居民代表名额至少为 1"),
            )
        ]

    def __str__(self):
        return f"{self.community} {self.seats}"


class SittingKind(models.TextChoices):
    REGULAR = "regular", _("例会（每半年）")
    EXTRAORDINARY = "extraordinary", _("临时会议")


class SittingBasis(models.TextChoices):
    """MEET-1 (003 三(三)): why an extraordinary sitting is convened."""

    NONE = "", _("（例会）")
    PARTY_COMMITTEE = "party_committee", _("社区党组织和社区居委会认为有必要")
    PROPOSAL = "proposal", _("五分之一以上居民代表提议")


class SittingState(models.TextChoices):
    CONVENED = "convened", _("已召集")
    OPEN = "open", _("开会中")
    CLOSED = "closed", _("已闭会")
    CANCELLED = "cancelled", _("已取消")


# MEET-1: the facts fixed when a sitting is convened (database trigger): how it counts.
SITTING_FIXED = (
    "community",
    "kind",
    "basis",
    "representatives_total",
    "count_vacant_seats",
    "quota_seats",
    "proposers",
    "profile",
)


@audited
class Sitting(TimeStampedModel):
    """One sitting of the residents' representative assembly (居民代表会议, MEET-1, 003 三(三)),
    convened by the committee. The representatives' roster (SittingSeat rows) and the base of
    the quorum (`representatives_total`, N) are fixed when it is convened: a later change of
    the profile or of the roster does not change how this sitting counts."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="sittings",
        verbose_name=_("社区"),
    )
    kind = models.CharField(_("会议类别"), max_length=20, choices=SittingKind.choices)
    basis = models.CharField(
        _("召开依据"), max_length=20, choices=SittingBasis.choices, blank=True, default=""
    )
    decision_note = models.CharField(
        _("决定记录"),
        max_length=200,
        blank=True,
        help_text=_("MEET-1：党组织和居委会决定召开的，写明决定的会议和日期"),
    )
    title = models.CharField(_("会议名称"), max_length=200)
    scheduled_at = models.DateTimeField(_("召开时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    state = models.CharField(
        _("状态"), max_length=20, choices=SittingState.choices, default=SittingState.CONVENED
    )
    representatives_total = models.PositiveIntegerField(
        _("居民代表总数（N）"),
        help_text=_("MEET-1：召集时确定；过半数出席方为有效"),
    )
    count_vacant_seats = models.BooleanField(
        _("空缺席位计入总数"), help_text=_("召集时参数方案的规定")
    )
    quota_seats = models.PositiveIntegerField(_("代表名额"), null=True, blank=True)
    proposers = models.PositiveIntegerField(
        _("提议代表人数"), default=0, help_text=_("MEET-1：五分之一以上居民代表提议")
    )
    profile = models.ForeignKey(
        "core.PolicyProfile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("召集时的参数方案"),
    )
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("召集人"),
    )
    opened_at = models.DateTimeField(_("开会时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("闭会时间"), null=True, blank=True)
    recorder = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
        help_text=_("MEET-4：会议记录须由专人负责"),
    )
    minutes = models.TextField(_("会议记录"), blank=True)

    class Meta:
        verbose_name = _("居民代表会议")
        verbose_name_plural = _("居民代表会议")
        ordering = ["-scheduled_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "scheduled_at"], name="meet_sitting_comm_at"),
            models.Index(fields=["state", "scheduled_at"], name="meet_sitting_state_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="regular") & Q(basis=""))
                | (Q(kind="extraordinary") & ~Q(basis="")),
                name="meet_sitting_basis_matches_kind",
                violation_error_message=_("[MEET-1] 临时会议须写明召开依据，例会不需要"),
            ),
            models.CheckConstraint(
                condition=~Q(basis="proposal") | Q(proposers__gte=1),
                name="meet_sitting_proposal_has_proposers",
                violation_error_message=_("[MEET-1] 代表提议召开的须有提议代表"),
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | (Q(recorder__isnull=False) & ~Q(minutes="")),
                name="meet_sitting_closed_has_minutes",
                violation_error_message=_("[MEET-4] 闭会须有记录人和会议记录"),
            ),
        ]
        triggers = [
            pgtrigger.ReadOnly(name="meet_sitting_fixed_when_convened", fields=list(SITTING_FIXED)),
            pgtrigger.Protect(
                name="meet_sitting_closed_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__state="closed"),
            ),
        ]

    def __str__(self):
        return f"{self.title}（{self.scheduled_at:%Y-%m-%d}）"


@audited
class SittingSeat(models.Model):
    """A representative on a sitting's roster, fixed when it is convened (the assembly
    organisation's current representative seats then): the confirmation of attendance
    before the sitting (for the quorum check), the proposal signature of an extraordinary
    sitting, and the check-in at the sitting."""

    scope_path = "sitting__community"

    sitting = models.ForeignKey(
        Sitting, on_delete=models.CASCADE, related_name="seats", verbose_name=_("会议")
    )
    membership = models.ForeignKey(
        "communities.Membership",
        on_delete=models.PROTECT,
        related_name="sitting_seats",
        verbose_name=_("居民代表"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    proposer = models.BooleanField(_("提议召开"), default=False)
    confirmed = models.BooleanField(
        _("确认出席"), default=False, help_text=_("会前确认，用于法定人数预检")
    )
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("参会居民代表")
        verbose_name_plural = _("参会居民代表")
        ordering = ["sitting_id", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sitting", "membership"],
                name="meet_seat_one_per_sitting",
                violation_error_message=_("该代表已在本次会议名单中"),
            )
        ]
        triggers = [
            pgtrigger.ReadOnly(name="meet_seat_roster_fixed", fields=["sitting", "membership"]),
            pgtrigger.Protect(name="meet_seat_not_deleted", operation=pgtrigger.Delete),
        ]

    def __str__(self):
        return self.name


class MotionKind(models.TextChoices):
    """MEET-2 (003 三(二)): what the assembly decides."""

    RESOLUTION = "resolution", _("决议、决定事项")
    CHARTER = "charter", _("自治章程、居民公约")
    PLAN = "plan", _("工作计划")
    WORK_REPORT = "work_report", _("居委会工作报告")
    EVALUATION = "evaluation", _("评议居委会工作")
    ELECTION = "election", _("选举、罢免、补选")
    OTHER = "other", _("其他")


class MotionState(models.TextChoices):
    DRAFT = "draft", _("待表决")
    VOTING = "voting", _("表决中")
    CLOSED = "closed", _("表决结束")


@audited
class Motion(TimeStampedModel):
    """A motion put to a sitting (MEET-1/2). When voting opens the number present (a) is fixed
    on it; a resolution passes with more than 2/3 of those present in favour (3y > 2a).
    While voting, nothing of it changes but the closing; once closed it never changes
    (database triggers)."""

    scope_path = "sitting__community"

    sitting = models.ForeignKey(
        Sitting, on_delete=models.PROTECT, related_name="motions", verbose_name=_("会议")
    )
    number = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(
        _("事项类别"), max_length=20, choices=MotionKind.choices, default=MotionKind.RESOLUTION
    )
    title = models.CharField(_("表决事项"), max_length=200)
    text = models.TextField(_("内容"), blank=True)
    state = models.CharField(
        _("状态"), max_length=20, choices=MotionState.choices, default=MotionState.DRAFT
    )
    opened_at = models.DateTimeField(_("开始表决"), null=True, blank=True)
    present_at_open = models.PositiveIntegerField(
        _("表决时出席代表数（a）"), null=True, blank=True, help_text=_("MEET-1：开始表决时确定")
    )
    closed_at = models.DateTimeField(_("表决结束"), null=True, blank=True)
    votes_for = models.PositiveIntegerField(_("赞成"), default=0)
    votes_against = models.PositiveIntegerField(_("反对"), default=0)
    votes_abstain = models.PositiveIntegerField(_("弃权"), default=0)
    passed = models.BooleanField(_("通过"), null=True, blank=True)

    class Meta:
        verbose_name = _("表决事项")
        verbose_name_plural = _("表决事项")
        ordering = ["sitting_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["sitting", "number"],
                name="meet_motion_number_unique",
                violation_error_message=_("序号重复"),
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(present_at_open__isnull=False),
                name="meet_motion_voting_has_present",
                violation_error_message=_("[MEET-1] 开始表决须确定出席人数"),
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(passed__isnull=False),
                name="meet_motion_closed_has_result",
                violation_error_message=_("[MEET-1] 表决结束须有结果"),
            ),
            models.CheckConstraint(
                condition=Q(present_at_open__isnull=True)
                | Q(present_at_open__gte=F("votes_for") + F("votes_against") + F("votes_abstain")),
                name="meet_motion_votes_within_present",
                violation_error_message=_("[MEET-1] 票数不能超过出席人数"),
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="meet_motion_closed_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__state="closed"),
            ),
            pgtrigger.Protect(
                name="meet_motion_fixed_while_voting",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__state="voting")
                & (
                    pgtrigger.Q(old__present_at_open__df=pgtrigger.F("new__present_at_open"))
                    | pgtrigger.Q(old__opened_at__df=pgtrigger.F("new__opened_at"))
                    | pgtrigger.Q(old__title__df=pgtrigger.F("new__title"))
                    | pgtrigger.Q(old__text__df=pgtrigger.F("new__text"))
                    | pgtrigger.Q(old__kind__df=pgtrigger.F("new__kind"))
                    | pgtrigger.Q(old__sitting_id__df=pgtrigger.F("new__sitting_id"))
                    | pgtrigger.Q(new__state="draft")
                ),
            ),
            pgtrigger.Protect(
                name="meet_motion_voted_not_deleted",
                operation=pgtrigger.Delete,
                condition=~pgtrigger.Q(old__state="draft"),
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class VoteChoice(models.TextChoices):
    FOR = "for", _("赞成")
    AGAINST = "against", _("反对")
    ABSTAIN = "abstain", _("弃权")


@audited
class Vote(models.Model):
    """One representative's vote on a motion: once, by a representative present when voting
    opened, never changed (database trigger)."""

    scope_path = "motion__sitting__community"

    motion = models.ForeignKey(
        Motion, on_delete=models.PROTECT, related_name="votes", verbose_name=_("表决事项")
    )
    seat = models.ForeignKey(
        SittingSeat, on_delete=models.PROTECT, related_name="votes", verbose_name=_("居民代表")
    )
    choice = models.CharField(_("表决意见"), max_length=10, choices=VoteChoice.choices)
    cast_at = models.DateTimeField(_("表决时间"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )

    class Meta:
        verbose_name = _("表决票")
        verbose_name_plural = _("表决票")
        ordering = ["motion_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["motion", "seat"],
                name="meet_vote_once",
                violation_error_message=_("[MEET-1] 该代表已表决"),
            )
        ]
        triggers = [
            pgtrigger.Protect(
                name="meet_vote_immutable", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self):
        return f"{self.motion} {self.seat} {self.get_choice_display()}"


# --- MEET-3/4/5: the committee's regular meetings ---------------------------------------------


class MeetingKind(models.TextChoices):
    """MEET-3 (003 六; 003 二(九)): the regular meetings."""

    MORNING = "morning", _("每日早会")
    WEEKLY = "weekly", _("每周工作会议")
    MONTHLY = "monthly", _("每月全体成员会议")
    GROUP_LEADERS = "group_leaders", _("居民小组长会议")
    OTHER = "other", _("其他会议")


@audited
class Meeting(TimeStampedModel):
    """One regular meeting (MEET-3) with its minutes kept by a named recorder (MEET-4,
    003 六(五) 例会要有专门记录，专人负责保管)."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("社区"),
    )
    kind = models.CharField(_("会议类别"), max_length=20, choices=MeetingKind.choices)
    date = models.DateField(_("日期"))
    topic = models.CharField(_("议题"), max_length=200)
    chair = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("主持人"),
    )
    recorder = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
        help_text=_("MEET-4：会议记录须由专人负责"),
    )
    minutes = models.TextField(_("会议记录"), help_text=_("MEET-4：每次例会须有记录"))

    class Meta:
        verbose_name = _("例会")
        verbose_name_plural = _("例会")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["community", "date"], name="meet_meeting_comm_date")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("出席")
    LATE = "late", _("迟到")
    EXCUSED = "excused", _("请假")
    ABSENT = "absent", _("无故缺席")


@audited
class MeetingAttendance(models.Model):
    """Who attended a regular meeting (MEET-3; MEET-5 不得无故缺席)."""

    scope_path = "meeting__community"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("会议")
    )
    worker = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.PROTECT,
        related_name="meeting_attendance",
        verbose_name=_("社区工作者"),
    )
    status = models.CharField(_("出席情况"), max_length=10, choices=AttendanceStatus.choices)

    class Meta:
        verbose_name = _("例会出席")
        verbose_name_plural = _("例会出席")
        ordering = ["meeting_id", "worker__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "worker"],
                name="meet_attendance_once",
                violation_error_message=_("该工作人员已登记"),
            )
        ]

    def __str__(self):
        return f"{self.meeting} {self.worker} {self.get_status_display()}"


class Measure(models.TextChoices):
    """MEET-5 (003 六(四) 通过提示、警告、批评等方式告诫)."""

    REMINDER = "reminder", _("提示")
    WARNING = "warning", _("警告")
    CRITICISM = "criticism", _("批评")


@audited
class DisciplineRecord(TimeStampedModel):
    """MEET-5 (003 六(四)): an unexcused absence from a regular meeting, with the measure
    (reminder, then warning, then criticism, by the count in the year) and the appraisal year
    it counts in (与绩效考核挂钩, ATT-6 yearly statistics)."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="discipline_records",
        verbose_name=_("社区"),
    )
    worker = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.PROTECT,
        related_name="discipline_records",
        verbose_name=_("社区工作者"),
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="discipline", verbose_name=_("会议")
    )
    measure = models.CharField(_("告诫方式"), max_length=20, choices=Measure.choices)
    appraisal_year = models.PositiveIntegerField(_("计入考核年度"))

    class Meta:
        verbose_name = _("会议纪律记录")
        verbose_name_plural = _("会议纪律记录")
        ordering = ["-meeting__date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "worker"],
                name="meet_discipline_once",
                violation_error_message=_("该缺席已记录"),
            )
        ]

    def __str__(self):
        return f"{self.worker} {self.meeting} {self.get_measure_display()}"


@audited
class ChronicleEntry(TimeStampedModel):
    """The community's 大事记 (MEET-4, 003 六(五) 大型活动或主要工作记入大事记)."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="major_events",
        verbose_name=_("社区"),
    )
    date = models.DateField(_("日期"))
    title = models.CharField(_("事项"), max_length=200)
    description = models.TextField(_("内容"), blank=True)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="major_events",
        verbose_name=_("相关例会"),
    )
    sitting = models.ForeignKey(
        Sitting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="major_events",
        verbose_name=_("相关居民代表会议"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )

    class Meta:
        verbose_name = _("大事记")
        verbose_name_plural = _("大事记")
        ordering = ["-date", "-pk"]

    def __str__(self):
        return f"{self.date} {self.title}"


# MEET-2 work plans live in their own module (this one is long); imported for the app registry.
from meetings.workplans import PlanKind, WorkPlan  # noqa: E402, F401
