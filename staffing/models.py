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


# ---------------------------------------------------------------------------------------------
# STAFF-2 subsidies (002 四(二); 004 三(二)2; FIN-9 003 十四(五)): the monthly payroll sheet, the
# street's average-wage and social-insurance data, and the wage-gap report's inputs.


class SubsidyGrade(models.TextChoices):
    """STAFF-2 (002 四(二)): the three monthly standards of the profile. Which post takes
    which standard is staffing.rules.SUBSIDY_GRADE_OF_POST."""

    SECRETARY = "secretary", _("书记标准")
    DEPUTY = "deputy", _("副书记（主任）标准")
    MEMBER = "member", _("成员标准")


class PayrollState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已报街道")
    APPROVED = "approved", _("街道已审批")
    LOCKED = "locked", _("已发放归档")


# STAFF-2: states in which a sheet is never changed again (approved by the street).
PAYROLL_FROZEN = frozenset({PayrollState.APPROVED, PayrollState.LOCKED})


def _amount(verbose, help_text=""):
    return models.DecimalField(
        verbose,
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text=help_text,
        validators=[MinValueValidator(0)],
    )


@audited
class AverageWage(TimeStampedModel):
    """Last year's local average wage (上年度当地社会平均工资) as published for a street's area:
    the floor of 004 三(二)2 for the subsidy standard (STAFF-2 wage-gap report).

    Street data, not one community's: reads are filtered by street and writes checked
    against the street roles in staffing.payroll (core.scoping knows community rows only)."""

    scope_path = None

    street = models.ForeignKey(
        "communities.Street",
        on_delete=models.PROTECT,
        related_name="average_wages",
        verbose_name=_("街道"),
    )
    year = models.PositiveIntegerField(
        _("统计年度"),
        validators=[MinValueValidator(2000)],
        help_text=_("STAFF-2：004 三(二)2 与“上年度”社平工资比较，报告年度的上一年"),
    )
    monthly_amount = models.DecimalField(
        _("月平均工资（元）"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("STAFF-2：004 三(二)2 生活补贴原则上不低于上年度当地社会平均工资"),
    )
    source = models.CharField(
        _("发布文件"), max_length=200, help_text=_("统计部门或人社部门公布的文件名称、文号")
    )

    class Meta:
        verbose_name = _("上年度社会平均工资")
        verbose_name_plural = _("上年度社会平均工资")
        ordering = ["street_id", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "year"],
                name="averagewage_one_per_street_year",
                violation_error_message=_("该街道本年度社会平均工资已登记"),
            ),
            models.CheckConstraint(
                condition=Q(monthly_amount__gt=0),
                name="averagewage_amount_positive",
                violation_error_message=_("[STAFF-2] 月平均工资必须大于 0"),
            ),
        ]

    def __str__(self):
        return f"{self.street} {self.year}：{self.monthly_amount}"


@audited
class InsuranceRate(TimeStampedModel):
    """The street's social-insurance contribution rates for a year (002 四(二) 按规定交纳基本
    养老、医疗等社会保险; 004 三(二)2 按规定参加基本社会保险). A new payroll line takes its
    personal and unit parts from here (base × rate); they stay editable while the sheet is a
    draft. No row: the parts start at 0 and are entered by hand."""

    scope_path = None  # street data: see AverageWage

    street = models.ForeignKey(
        "communities.Street",
        on_delete=models.PROTECT,
        related_name="insurance_rates",
        verbose_name=_("街道"),
    )
    year = models.PositiveIntegerField(_("年度"), validators=[MinValueValidator(2000)])
    base = models.DecimalField(
        _("缴费基数（元/月）"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("不填则以每人当月生活补贴标准为缴费基数"),
    )
    personal_pct = models.DecimalField(
        _("个人缴费比例（%）"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("养老、医疗、失业等个人部分合计"),
    )
    unit_pct = models.DecimalField(
        _("单位缴费比例（%）"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("养老、医疗、失业、工伤等单位部分合计"),
    )
    source = models.CharField(_("依据文件"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("社会保险缴费标准")
        verbose_name_plural = _("社会保险缴费标准")
        ordering = ["street_id", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "year"],
                name="insurancerate_one_per_street_year",
                violation_error_message=_("该街道本年度社会保险缴费标准已登记"),
            ),
            models.CheckConstraint(
                condition=Q(personal_pct__lte=100) & Q(unit_pct__lte=100),
                name="insurancerate_pct_le_100",
                violation_error_message=_("缴费比例不得超过 100%"),
            ),
        ]

    def __str__(self):
        return f"{self.street} {self.year}"


@audited
class Payroll(TimeStampedModel):
    """The monthly subsidy sheet of one community (STAFF-2, 002 四(二)). Made and refreshed
    by staffing.payroll.payroll_generate; draft → submitted (community heads) → approved
    (street) → locked (paid and filed). Approved and locked sheets never change."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="payrolls", verbose_name=_("社区")
    )
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    state = models.CharField(
        _("状态"),
        max_length=20,
        choices=PayrollState.choices,
        default=PayrollState.DRAFT,
        help_text=_("STAFF-2：街道审批后不得再更改"),
    )
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上报人"),
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    locked_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    returned_reason = models.TextField(_("退回意见"), blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("生活补贴发放表")
        verbose_name_plural = _("生活补贴发放表")
        ordering = ["-month", "community_id"]
        permissions = [
            ("submit_payroll", _("上报生活补贴发放表")),
            ("approve_payroll", _("审批生活补贴发放表（街道）")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "month"],
                name="payroll_one_per_community_month",
                violation_error_message=_("该社区本月生活补贴发放表已存在"),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="payroll_month_first_day",
                violation_error_message=_("月份须为该月 1 日"),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["approved", "locked"]) | Q(approved_at__isnull=False),
                name="payroll_approved_has_time",
                violation_error_message=_("[STAFF-2] 已审批的发放表须有审批时间"),
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.month:%Y-%m}"

    @property
    def is_frozen(self) -> bool:
        return self.state in PAYROLL_FROZEN


@audited
class PayrollLine(TimeStampedModel):
    """One worker on one monthly sheet: one standard per person (STAFF-2/STAFF-9), the
    attendance deduction (ATT-2, fed by staffing.payroll.payroll_deductions_for), social
    insurance and the net amount. Changed only through staffing.payroll while a draft."""

    scope_path = "payroll__community"

    payroll = models.ForeignKey(
        Payroll, on_delete=models.CASCADE, related_name="lines", verbose_name=_("发放表")
    )
    worker = models.ForeignKey(
        Worker,
        on_delete=models.PROTECT,
        related_name="payroll_lines",
        verbose_name=_("社区工作者"),
    )
    posts = models.CharField(_("当月职务"), max_length=300, blank=True)
    grade = models.CharField(
        _("适用标准"),
        max_length=20,
        choices=SubsidyGrade.choices,
        help_text=_("STAFF-2：一人多职的按最高一项标准，不累加"),
    )
    reselection_pending = models.BooleanField(
        _("换届结果未登记"),
        default=False,
        help_text=_("STAFF-4：任期已届满、尚未登记换届结果，暂按原职务发放"),
    )
    standard = _amount(_("生活补贴（元）"), _("STAFF-2/FIN-9：不得高于街道（参数方案）规定的标准"))
    deduction_days = models.DecimalField(
        _("扣薪天数"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("ATT-2/ATT-3：由考勤结果计算"),
    )
    deduction_amount = _amount(_("考勤扣款（元）"), _("ATT-2：日工资 = 月补贴 ÷ 月计薪天数"))
    insurance_personal = _amount(_("社保个人部分（元）"), _("从生活补贴中代扣"))
    insurance_unit = _amount(_("社保单位部分（元）"), _("由街道承担，不从生活补贴中扣除"))
    net = models.DecimalField(
        _("实发金额（元）"),
        max_digits=12,
        decimal_places=2,
        help_text=_("生活补贴 − 考勤扣款 − 社保个人部分"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("发放明细")
        verbose_name_plural = _("发放明细")
        ordering = ["payroll_id", "worker__name", "worker_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payroll", "worker"],
                name="payrollline_one_per_worker",
                violation_error_message=_("该社区工作者已在本月发放表中"),
            ),
            models.CheckConstraint(
                condition=Q(net=F("standard") - F("deduction_amount") - F("insurance_personal")),
                name="payrollline_net_formula",
                violation_error_message=_("实发金额应为生活补贴 − 考勤扣款 − 社保个人部分"),
            ),
            models.CheckConstraint(
                condition=Q(net__gte=0),
                name="payrollline_net_not_negative",
                violation_error_message=_("扣款与社保个人部分合计不得超过生活补贴"),
            ),
        ]

    def __str__(self):
        return f"{self.payroll} {self.worker}"
