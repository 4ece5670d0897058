"""Community workers (社区工作者), the posts they hold and their terms (STAFF-1/3/4/8/9)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.audit import audited
from core.models import TimeStampedModel


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Source(models.TextChoices):
    """STAFF-3 (002 四(二)): where community workers come from."""

    RETAINED = "retained", _("原有留用人员")
    SECONDED_CADRE = "seconded_cadre", _("下派（退居二线）干部")
    RECRUITED_GRADUATE = "recruited_graduate", _("公开招聘（高校毕业生）")
    RECRUITED_VETERAN = "recruited_veteran", _("公开招聘（退役军人）")
    RECRUITED_LAID_OFF = "recruited_laid_off", _("公开招聘（下岗失业人员）")
    OTHER = "other", _("其他")


class Post(models.TextChoices):
    """Posts in the party organisation, the residents' committee, owners' committees and
    the service staff. One person may hold several (STAFF-9) except STAFF-8 pairs."""

    PARTY_SECRETARY = "party_secretary", _("党组织书记")
    PARTY_DEPUTY_SECRETARY = "party_deputy_secretary", _("党组织副书记")
    PARTY_MEMBER = "party_member", _("党组织委员")
    COMMITTEE_DIRECTOR = "committee_director", _("居委会主任")
    COMMITTEE_DEPUTY_DIRECTOR = "committee_deputy_director", _("居委会副主任")
    COMMITTEE_MEMBER = "committee_member", _("居委会委员")
    OWNERS_COMMITTEE_MEMBER = "owners_committee_member", _("业主委员会委员")
    ACCOUNTANT = "accountant", _("会计")
    CASHIER = "cashier", _("出纳")
    SERVICE_STAFF = "service_staff", _("社区服务站（室）工作人员")
    GRID_WORKER = "grid_worker", _("网格员")


class Selection(models.TextChoices):
    """How a term began (STAFF-4: on expiry, re-selection)."""

    ELECTED = "elected", _("选举产生")
    APPOINTED = "appointed", _("任命（委派）")
    RECRUITED = "recruited", _("公开招聘")
    ACTING = "acting", _("代理（临时负责）")
    OTHER = "other", _("其他")


@audited
class Worker(TimeStampedModel):
    """A community worker (社区工作者): a person, optionally with a system login."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="workers", verbose_name=_("社区")
    )
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices, blank=True)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="worker",
        verbose_name=_("系统账号"),
    )
    source = models.CharField(
        _("人员来源"),
        max_length=30,
        choices=Source.choices,
        default=Source.OTHER,
        help_text=_("STAFF-3：002 四(二) 原有留用、下派干部、公开招聘"),
    )
    is_full_time = models.BooleanField(
        _("专职"), default=True, help_text=_("STAFF-1：计入社区工作者配备人数")
    )
    hired_on = models.DateField(_("入职日期"), null=True, blank=True)
    left_on = models.DateField(
        _("离职日期"), null=True, blank=True, help_text=_("STAFF-1：已离职人员不计入配备人数")
    )

    class Meta:
        verbose_name = _("社区工作者")
        verbose_name_plural = _("社区工作者")
        ordering = ["community_id", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(hired_on__isnull=True)
                | Q(left_on__gte=F("hired_on")),
                name="worker_left_after_hired",
                violation_error_message=_("离职日期不能早于入职日期"),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.hired_on and self.left_on and self.left_on < self.hired_on:
            raise ValidationError({"left_on": _("离职日期不能早于入职日期")})


@audited
class PostTerm(TimeStampedModel):
    """One term of one worker in one post (STAFF-4). Several current posts per worker are
    allowed (STAFF-9) unless incompatible (STAFF-8, checked in staffing.services)."""

    parent_field = "worker"

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="post_terms", verbose_name=_("社区")
    )
    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="terms", verbose_name=_("社区工作者")
    )
    post = models.CharField(
        _("职务"),
        max_length=30,
        choices=Post.choices,
        help_text=_("STAFF-8：书记、主任不得兼任会计、出纳；STAFF-9：鼓励交叉任职"),
    )
    starts_on = models.DateField(_("任期开始"))
    ends_on = models.DateField(
        _("任期届满"), null=True, blank=True, help_text=_("STAFF-4：届满前提示换届或续聘")
    )
    selection = models.CharField(
        _("产生方式"), max_length=20, choices=Selection.choices, default=Selection.ELECTED
    )
    reappointed = models.BooleanField(
        _("届满后续任"),
        null=True,
        blank=True,
        help_text=_("STAFF-4：002 四(二) 届满未续任的，补贴和待遇相应终止；只能通过换届登记记录"),
    )
    reselected_on = models.DateField(
        _("换届决定日期"),
        null=True,
        blank=True,
        help_text=_("STAFF-4：记录换届（续任或不再续任）结果的日期"),
    )
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("任职记录")
        verbose_name_plural = _("任职记录")
        ordering = ["community_id", "worker_id", "-starts_on", "id"]
        indexes = [models.Index(fields=["worker", "post"], name="postterm_worker_post")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="postterm_end_after_start",
                violation_error_message=_("[STAFF-4] 任期届满日期不能早于任期开始日期"),
            ),
        ]

    def __str__(self):
        return f"{self.worker}（{self.get_post_display()}）"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("[STAFF-4] 任期届满日期不能早于任期开始日期")})

    def is_current_on(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)


@audited
class StaffingReason(TimeStampedModel):
    """The recorded reason for staffing above the quota in a year (STAFF-1: above
    max(min, ceil(H / low)) "原则上" needs a reason)."""

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="staffing_reasons",
        verbose_name=_("社区"),
    )
    year = models.PositiveIntegerField(_("年度"), validators=[MinValueValidator(2000)])
    reason = models.TextField(
        _("超配原因"), help_text=_("STAFF-1：000 第十条 超出配备标准须说明理由")
    )

    class Meta:
        verbose_name = _("超配说明")
        verbose_name_plural = _("超配说明")
        ordering = ["community_id", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year"],
                name="staffingreason_one_per_year",
                violation_error_message=_("该社区本年度已有超配说明"),
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.year}"


class ExamResult(models.TextChoices):
    """STAFF-6 (003 七(一)): the exam result recorded with each training."""

    PASSED = "pass", _("合格")
    FAILED = "fail", _("不合格")
    NONE = "none", _("未考核")


@audited
class TrainingRecord(TimeStampedModel):
    """One training of one worker (STAFF-6, 003 七(一) 逐人登记参训情况、学时和考核结果)."""

    parent_field = "worker"

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="training_records",
        verbose_name=_("社区"),
    )
    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="trainings", verbose_name=_("社区工作者")
    )
    course = models.CharField(_("培训内容"), max_length=200)
    organiser = models.CharField(_("主办单位"), max_length=200, blank=True)
    date = models.DateField(_("培训日期"), help_text=_("STAFF-6：不得晚于今天"))
    hours = models.DecimalField(
        _("学时"),
        max_digits=5,
        decimal_places=1,
        help_text=_("STAFF-6：004 二(六)2 按应训周期合计不少于 20 学时"),
    )
    attended = models.BooleanField(
        _("实际参训"), default=True, help_text=_("STAFF-6：003 七(一) 只有实际参训的计入学时")
    )
    exam_result = models.CharField(
        _("考核结果"), max_length=10, choices=ExamResult.choices, default=ExamResult.NONE
    )

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        ordering = ["community_id", "-date", "id"]
        indexes = [models.Index(fields=["community", "date"], name="training_community_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0),
                name="training_hours_positive",
                violation_error_message=_("[STAFF-6] 培训学时必须大于 0"),
            ),
        ]

    def __str__(self):
        return f"{self.worker} {self.date} {self.course}"

    def clean(self):
        # Next to the field rather than as the constraint's form-wide error.
        if self.hours is not None and self.hours <= 0:
            raise ValidationError({"hours": _("[STAFF-6] 培训学时必须大于 0")})


@audited
class StudySession(TimeStampedModel):
    """A weekly collective study of the community's workers (STAFF-6, 003 七(四) 每周集中学习，
    有记录)."""

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="study_sessions",
        verbose_name=_("社区"),
    )
    date = models.DateField(_("学习日期"))
    topic = models.CharField(_("学习主题"), max_length=200)
    notes = models.TextField(_("学习记录"), help_text=_("STAFF-6：003 七(四) 集中学习须有记录"))
    attendees = models.PositiveIntegerField(_("参加人数"), default=0)

    class Meta:
        verbose_name = _("集中学习")
        verbose_name_plural = _("集中学习")
        ordering = ["community_id", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "date"],
                name="studysession_one_per_day",
                violation_error_message=_("该社区当天已有集中学习记录"),
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.date} {self.topic}"


class Grade(models.TextChoices):
    """STAFF-5 (002 四(二)): year-end evaluation grades."""

    EXCELLENT = "excellent", _("优秀")
    COMPETENT = "competent", _("称职")
    BASIC = "basic", _("基本称职")
    INCOMPETENT = "incompetent", _("不称职")


@audited
class Evaluation(TimeStampedModel):
    """The year-end evaluation of a full-time worker by residents' representatives, the basis
    of appraisal (STAFF-5, 002 四(二))."""

    parent_field = "worker"

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("社区")
    )
    worker = models.ForeignKey(
        Worker,
        on_delete=models.CASCADE,
        related_name="evaluations",
        verbose_name=_("社区工作者"),
        help_text=_("STAFF-5：仅对专职社区工作者进行年终测评"),
    )
    year = models.PositiveIntegerField(_("年度"), validators=[MinValueValidator(2000)])
    score = models.DecimalField(
        _("测评得分"),
        max_digits=5,
        decimal_places=2,
        help_text=_("STAFF-5：0—100 分"),
    )
    grade = models.CharField(_("测评等次"), max_length=20, choices=Grade.choices)
    evaluators = models.TextField(
        _("测评人员"), help_text=_("STAFF-5：002 四(二) 由居民代表进行测评")
    )

    class Meta:
        verbose_name = _("年终测评")
        verbose_name_plural = _("年终测评")
        ordering = ["community_id", "-year", "worker_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "year"],
                name="evaluation_one_per_year",
                violation_error_message=_("[STAFF-5] 该社区工作者本年度已有测评"),
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100),
                name="evaluation_score_0_100",
                violation_error_message=_("[STAFF-5] 测评得分应在 0—100 分之间"),
            ),
        ]

    def __str__(self):
        return f"{self.worker} {self.year}"


@audited
class PartyCheckup(TimeStampedModel):
    """One 党性体检 of a party member (STAFF-10, 000 第八条(六) 每年两次)."""

    parent_field = "worker"

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="party_checkups", verbose_name=_("社区")
    )
    worker = models.ForeignKey(
        Worker,
        on_delete=models.CASCADE,
        related_name="party_checkups",
        verbose_name=_("社区工作者"),
    )
    date = models.DateField(_("体检日期"), help_text=_("STAFF-10：每年按规定次数开展"))
    result = models.TextField(_("体检结果"))

    class Meta:
        verbose_name = _("党性体检")
        verbose_name_plural = _("党性体检")
        ordering = ["community_id", "-date", "id"]
        indexes = [models.Index(fields=["community", "date"], name="checkup_community_date")]

    def __str__(self):
        return f"{self.worker} {self.date}"


class HandoverOutcome(models.TextChoices):
    """STAFF-7 (000 第十八条): how a departure handover ended."""

    PENDING = "pending", _("待移交")
    COMPLETED = "completed", _("按期移交")
    LATE = "late", _("逾期移交（批评教育）")
    REFUSED = "refused", _("逾期拒不移交")
    LOST = "lost", _("档案、印章涂改、损毁或丢失")


# STAFF-7: outcomes after which a handover is no longer changed.
HANDOVER_FINAL = frozenset(
    {
        HandoverOutcome.COMPLETED,
        HandoverOutcome.LATE,
        HandoverOutcome.REFUSED,
        HandoverOutcome.LOST,
    }
)


@audited
class Handover(TimeStampedModel):
    """The departure handover (离任移交) of finance, archives and seals of one worker,
    supervised by the town discipline commission and party-government office (STAFF-7,
    000 第十八条). The outcome changes only through staffing.services.handover_record."""

    parent_field = "worker"

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("社区")
    )
    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="handovers", verbose_name=_("离任人员")
    )
    deadline = models.DateField(
        _("移交期限"), help_text=_("STAFF-7：无故逾期移交的给予批评，逾期拒不移交的扣发绩效奖金")
    )
    supervisors = models.TextField(
        _("监交人员"),
        default="镇纪委、镇党政办",
        help_text=_("STAFF-7：000 第十八条 由镇纪委、党政办监督移交"),
    )
    finance_done = models.BooleanField(_("财务已移交"), default=False)
    archives_done = models.BooleanField(_("档案已移交"), default=False)
    seals_done = models.BooleanField(_("印章已移交"), default=False)
    completed_on = models.DateField(_("移交完成日期"), null=True, blank=True)
    outcome = models.CharField(
        _("移交结果"),
        max_length=20,
        choices=HandoverOutcome.choices,
        default=HandoverOutcome.PENDING,
        help_text=_("STAFF-7：只能通过移交登记记录，记录后不再变更"),
    )
    bonus_withheld_year = models.PositiveIntegerField(
        _("扣发绩效奖金年度"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2000)],
        help_text=_("STAFF-7：逾期拒不移交或档案、印章涂改、损毁、丢失的，扣发当年绩效奖金"),
    )
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("离任移交")
        verbose_name_plural = _("离任移交")
        ordering = ["community_id", "-deadline", "id"]
        indexes = [models.Index(fields=["community", "outcome"], name="handover_community_outcome")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome__in=["completed", "late"])
                | (
                    Q(completed_on__isnull=False)
                    & Q(finance_done=True)
                    & Q(archives_done=True)
                    & Q(seals_done=True)
                ),
                name="handover_completed_has_date_and_items",
                violation_error_message=_("[STAFF-7] 移交完成须财务、档案、印章均已移交并有日期"),
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["refused", "lost"])
                | Q(bonus_withheld_year__isnull=False),
                name="handover_refused_lost_withholds_bonus",
                violation_error_message=_(
                    "[STAFF-7] 拒不移交或档案、印章丢失的，须扣发当年绩效奖金"
                ),
            ),
        ]

    def __str__(self):
        return f"{self.worker} {self.deadline}"
