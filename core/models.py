"""What every app shares: the time-stamped base, policy profiles, roles, findings, heartbeats."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audit import audited


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


def _pos(default, verbose, help_text, *, minimum=0, maximum=None):
    validators = [MinValueValidator(minimum)]
    if maximum is not None:
        validators.append(MaxValueValidator(maximum))
    return models.PositiveIntegerField(
        verbose, default=default, help_text=help_text, validators=validators
    )


def _money(default, verbose, help_text):
    return models.DecimalField(
        verbose,
        max_digits=12,
        decimal_places=2,
        default=Decimal(default),
        help_text=help_text,
        validators=[MinValueValidator(Decimal("0"))],
    )


def _days(default, verbose, help_text):
    return models.DecimalField(
        verbose,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        help_text=help_text,
        validators=[MinValueValidator(Decimal("0"))],
    )


class ServiceRoomHead(models.TextChoices):
    PARTY_SECRETARY = "party_secretary", _("社区党组织书记兼任（002 四(二)）")
    COMMITTEE_DIRECTOR = "committee_director", _("居委会主任兼任（003 五(二)）")


class FacilityChecklist(models.TextChoices):
    FIVE_THREE_TWO = "5r3s2b1s1p", _("五室三站两栏一校一场所（002 四(六)）")
    EIGHTEEN_ONE = "18r1h1s6b", _("18室1厅1站6栏（004 二(二)2）")


class FundingBasis(models.TextChoices):
    PER_COMMUNITY = "per_community", _("每社区每年（002 四(二)）")
    PER_1000_HOUSEHOLDS = "per_1000_households", _("每千户每年，按户数折算（001 第三十一条）")


class CountWindow(models.TextChoices):
    MONTH = "month", _("自然月")
    YEAR = "year", _("自然年")


class LeaveMidApprover(models.TextChoices):
    DIRECTOR = "director", _("居委会主任审批")
    STREET = "street", _("报街道审批")


@audited
class PolicyProfile(TimeStampedModel):
    """Every number the seeds disagree on ([param] in RULES.md), with its citation.

    A street assigns a profile to its communities. Each field's help_text names the rule id
    and the seed article; the compliance report shows the value next to each finding and
    every finding stores the values that applied when it was made.
    """

    scope_path = None  # shared by communities, not community data

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    source = models.CharField(
        _("依据"), max_length=200, blank=True, help_text=_("预设方案对应的文件")
    )
    description = models.TextField(_("说明"), blank=True)
    is_preset = models.BooleanField(_("系统预设"), default=False)

    # ORG — organisation
    service_room_head = models.CharField(
        _("社区服务室（中心）负责人"),
        max_length=30,
        choices=ServiceRoomHead.choices,
        default=ServiceRoomHead.PARTY_SECRETARY,
        help_text=_("ORG-1：002 四(二) 由党组织书记兼任；003 五(二) 由居委会主任兼任"),
    )
    party_committee_min = _pos(
        5, _("党组织委员会最少人数"), _("ORG-2：001 第八条 5—9 人"), minimum=1
    )
    party_committee_max = _pos(
        9, _("党组织委员会最多人数"), _("ORG-2：001 第八条 5—9 人"), minimum=1
    )
    committee_households_per_member = _pos(
        300, _("居委会每名成员对应户数"), _("ORG-3：001 第十条 约每 300 户 1 人"), minimum=1
    )
    committee_min = _pos(5, _("居委会最少成员数"), _("ORG-3：001 第十条 5—9 人"), minimum=1)
    committee_max = _pos(9, _("居委会最多成员数"), _("ORG-3：001 第十条 5—9 人"), minimum=1)
    new_area_occupancy_pct = _pos(
        50,
        _("新建小区组建居委会入住率（%）"),
        _("ORG-3：001 第十一条；004 二(一)2 入住率达到 50%"),
        maximum=100,
    )
    residents_group_households = _pos(
        100, _("居民小组参考户数"), _("ORG-5：002 五 约 100 户一个居民小组"), minimum=1
    )
    community_households_standard = _pos(
        3000, _("社区规模标准户数"), _("ORG-6：001 第三条；004 二(一)2 约 3000 户"), minimum=1
    )
    community_households_tolerance_pct = _pos(
        50,
        _("社区规模允许偏差（%）"),
        _("ORG-6：原文为“约”，偏差超过此比例记为提示（本系统参数，非原文数字）"),
        maximum=100,
    )
    office_area_min_new = _money(
        "300", _("新建小区办公用房下限（㎡）"), _("ORG-12：001 第二十七条 不少于 300 平方米")
    )
    office_area_min_old = _money(
        "150", _("老社区办公用房下限（㎡）"), _("ORG-12：001 第二十七条 不少于 150 平方米")
    )
    service_area_min = _money(
        "900", _("服务设施参考面积（㎡）"), _("ORG-12：001 第二十七条 约 900 平方米")
    )
    property_room_permille = _pos(
        3, _("物业服务用房比例（‰）"), _("ORG-12：001 第三十条 不低于总建筑面积 3‰")
    )
    property_room_min_area = _money(
        "100", _("物业服务用房下限（㎡）"), _("ORG-12：001 第三十条 不少于 100 平方米")
    )
    developer_handover_months = _pos(
        1, _("开发商移交社区用房期限（月）"), _("ORG-12：001 第二十八、二十九条 入住后 1 个月内")
    )
    facility_checklist = models.CharField(
        _("功能用房清单"),
        max_length=20,
        choices=FacilityChecklist.choices,
        default=FacilityChecklist.FIVE_THREE_TWO,
        help_text=_("ORG-12：002 四(六) 或 004 二(二)2"),
    )
    ledger_review_days = _pos(
        365,
        _("台帐复核周期（天）"),
        _("ORG-13：000 第十二条(五)；003 十一(三) 动态管理，超期未复核记为提示"),
        minimum=1,
    )

    # STAFF — staffing
    households_per_worker_low = _pos(
        300, _("每名社工对应户数下限"), _("STAFF-1：000 第十条 每 300—400 户配备 1 人"), minimum=1
    )
    households_per_worker_high = _pos(
        400, _("每名社工对应户数上限"), _("STAFF-1：000 第十条 每 300—400 户配备 1 人"), minimum=1
    )
    min_workers = _pos(5, _("社区工作者最少人数"), _("STAFF-1：000 第十条；002 四(二) 不少于 5 人"))
    subsidy_secretary = _money("1200", _("书记月补贴（元）"), _("STAFF-2：002 四(二) 1200 元"))
    subsidy_deputy = _money(
        "1100", _("副书记（主任）月补贴（元）"), _("STAFF-2：002 四(二) 1100 元")
    )
    subsidy_member = _money("1000", _("委员月补贴（元）"), _("STAFF-2：002 四(二) 1000 元"))
    wage_catchup_pct = _pos(
        10,
        _("与上年社平工资差距年缩小比例（%）"),
        _("STAFF-2：004 三(二)2 每年缩小 10%—20%，默认取下限"),
        minimum=10,
        maximum=20,
    )
    training_hours_min = _pos(
        20, _("培训学时下限"), _("STAFF-6：004 二(六)2 不少于 20 学时（按应训周期合计）")
    )
    training_cycle_years_members = _pos(
        2,
        _("其他成员培训周期（年）"),
        _("STAFF-6：004 二(六)2 其他成员每 2 年至少 1 次"),
        minimum=1,
    )
    separate_accountant_cashier = models.BooleanField(
        _("会计、出纳须分设"),
        default=True,
        help_text=_("STAFF-8：003 十四(一)(二) 有条件的社区会计、出纳分设"),
    )
    party_checkups_per_year = _pos(
        2, _("党性体检每年次数"), _("STAFF-10：000 第八条(六) 每年两次"), minimum=1
    )

    # FIN — finance
    funding_basis = models.CharField(
        _("工作经费口径"),
        max_length=30,
        choices=FundingBasis.choices,
        default=FundingBasis.PER_1000_HOUSEHOLDS,
        help_text=_("FIN-1：001 第三十一条 每千户 2 万元；002 四(二) 每社区 2 万元"),
    )
    funding_amount = _money(
        "20000", _("工作经费标准（元/年）"), _("FIN-1：001 第三十一条；002 四(二)")
    )
    funding_city_share_pct = _pos(
        50, _("市级承担比例（%）"), _("FIN-1：002 四(二) 市、街道各承担一半"), maximum=100
    )
    approval_street_from = _money(
        "300", _("须街道负责人会签起点（元）"), _("FIN-3：003 十四(四) 300 元（含）以上")
    )
    approval_collective_from = _money(
        "1000", _("须监督小组集体审议起点（元）"), _("FIN-3：003 十四(四) 1000 元（含）以上")
    )
    cash_limit = _money(
        "1000", _("禁止现金支付起点（元）"), _("FIN-4：003 十四(二) 一千元以上不得使用现金")
    )
    split_window_days = _pos(
        30, _("拆分报销识别窗口（天）"), _("FIN-3：拆单规避审批的识别窗口（本系统参数）"), minimum=1
    )
    budget_variance_explain_pct = _pos(
        10, _("预算执行偏差须说明比例（%）"), _("FIN-6：003 十四(六)（本系统参数）")
    )

    # DISC — affairs disclosure
    disclosure_interval_months = _pos(
        3, _("居务公开周期（月）"), _("DISC-2：003 四(三) 原则上每季度末公布一次"), minimum=1
    )
    disclosure_reminder_days = _pos(
        15, _("居务公开提前提醒（天）"), _("DISC-2：季度末前提醒天数（本系统参数）")
    )
    question_reply_days = _pos(
        15,
        _("居民意见答复期限（天）"),
        _("DISC-4：003 四(四) 及时查处并公布结果，未定期限；默认 15 天（本系统参数）"),
        minimum=1,
    )

    # MEET — meetings
    assembly_interval_months = _pos(
        6, _("居民代表会议召开周期（月）"), _("MEET-1：003 三(三) 每半年召开一次"), minimum=1
    )
    assembly_count_vacant_seats = models.BooleanField(
        _("出缺席位计入代表总数"),
        default=False,
        help_text=_("MEET-1：003 三(三) 法定人数基数是否包含空缺席位"),
    )
    committee_report_interval_months = _pos(
        6, _("居委会向居民会议报告工作周期（月）"), _("MEET-2：003 二(四)；000 第九条"), minimum=1
    )

    # ATT — attendance
    leave_director_max_days = _days(
        "1", _("主任审批请假天数上限"), _("ATT-2：003 十三(三) 一天以内由主任审批")
    )
    leave_street_over_days = _days(
        "3", _("超过此天数报街道审批"), _("ATT-2：003 十三(三) 超过三天以上报街道")
    )
    leave_mid_approver = models.CharField(
        _("1—3 天请假审批"),
        max_length=20,
        choices=LeaveMidApprover.choices,
        default=LeaveMidApprover.DIRECTOR,
        help_text=_("ATT-2：原文未规定 1—3 天，默认主任审批"),
    )
    leave_short_deducts_pay = models.BooleanField(
        _("三天以内请假也扣薪"), default=False, help_text=_("ATT-2：原文仅对三天以上按天扣薪")
    )
    pay_days_per_month = _days(
        "21.75", _("月计薪天数"), _("ATT-2：全国月计薪天数 21.75（非原文数字）")
    )
    late_times_threshold = _pos(
        3, _("迟到早退次数阈值"), _("ATT-3：003 十三(四) 超过 3 次"), minimum=1
    )
    late_times_window = models.CharField(
        _("迟到早退次数统计期"),
        max_length=10,
        choices=CountWindow.choices,
        default=CountWindow.MONTH,
        help_text=_("ATT-3：原文未规定统计期，默认自然月"),
    )
    late_deduct_days = _days("3", _("迟到早退扣薪天数"), _("ATT-3：003 十三(四) 扣 3 天工资"))
    late_resign_days = _days(
        "5", _("累计迟到视同辞职天数"), _("ATT-3：003 十三(四) 累计迟到超过 5 天")
    )
    late_resign_window = models.CharField(
        _("累计迟到统计期"),
        max_length=10,
        choices=CountWindow.choices,
        default=CountWindow.YEAR,
        help_text=_("ATT-3：原文未规定统计期，默认自然年"),
    )
    absence_resign_days = _days("2", _("无故旷工视同辞职天数"), _("ATT-4：003 十三(四) 旷工 2 天"))
    absence_window = models.CharField(
        _("旷工累计统计期"),
        max_length=10,
        choices=CountWindow.choices,
        default=CountWindow.MONTH,
        help_text=_("ATT-4：默认一个月内累计"),
    )

    class Meta:
        verbose_name = _("政策参数方案")
        verbose_name_plural = _("政策参数方案")
        ordering = ["-is_preset", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(party_committee_min__lte=F("party_committee_max")),
                name="profile_party_min_le_max",
                violation_error_message=_("[ORG-2] 党组织委员会最少人数不得大于最多人数"),
            ),
            models.CheckConstraint(
                condition=Q(committee_min__lte=F("committee_max")),
                name="profile_committee_min_le_max",
                violation_error_message=_("[ORG-3] 居委会最少成员数不得大于最多成员数"),
            ),
            models.CheckConstraint(
                condition=Q(households_per_worker_low__lte=F("households_per_worker_high")),
                name="profile_worker_low_le_high",
                violation_error_message=_("[STAFF-1] 每名社工对应户数下限不得大于上限"),
            ),
            models.CheckConstraint(
                condition=Q(approval_street_from__lte=F("approval_collective_from")),
                name="profile_fin3_tiers_ordered",
                violation_error_message=_("[FIN-3] 街道会签起点不得高于集体审议起点"),
            ),
            models.CheckConstraint(
                condition=Q(leave_director_max_days__lte=F("leave_street_over_days")),
                name="profile_att2_tiers_ordered",
                violation_error_message=_("[ATT-2] 主任审批上限不得超过报街道审批的天数"),
            ),
            models.CheckConstraint(
                condition=Q(wage_catchup_pct__gte=10, wage_catchup_pct__lte=20),
                name="profile_staff2_catchup_10_20",
                violation_error_message=_("[STAFF-2] 差距年缩小比例应在 10%—20% 之间"),
            ),
            models.CheckConstraint(
                condition=Q(pay_days_per_month__gt=0),
                name="profile_pay_days_positive",
                violation_error_message=_("[ATT-2] 月计薪天数必须大于 0"),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        pairs = [
            ("party_committee_min", "party_committee_max", "ORG-2"),
            ("committee_min", "committee_max", "ORG-3"),
            ("households_per_worker_low", "households_per_worker_high", "STAFF-1"),
            ("approval_street_from", "approval_collective_from", "FIN-3"),
            ("leave_director_max_days", "leave_street_over_days", "ATT-2"),
        ]
        for low, high, rule in pairs:
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                errors[low] = _("[%(rule)s] %(low)s（%(lo)s）不得大于%(high)s（%(hi)s）") % {
                    "rule": rule,
                    "low": self._meta.get_field(low).verbose_name,
                    "high": self._meta.get_field(high).verbose_name,
                    "lo": lo,
                    "hi": hi,
                }
        if errors:
            raise ValidationError(errors)

    @classmethod
    def param_fields(cls):
        """The [param] fields, in declaration order (everything but identity and time stamps)."""
        skip = {"id", "code", "name", "source", "description", "is_preset"}
        skip |= {"created_at", "updated_at"}
        return [f for f in cls._meta.concrete_fields if f.name not in skip]

    def snapshot(self, names=None) -> dict:
        """The values that apply now, JSON-ready: stored on every finding made under them."""
        fields = self.param_fields()
        if names is not None:
            fields = [f for f in fields if f.name in set(names)]
        return {f.name: str(getattr(self, f.name)) for f in fields}


class Role(models.TextChoices):
    # Street roles: they see every community of their street.
    STREET_ADMIN = "street_admin", _("街道管理员")
    SOCIAL_AFFAIRS_CHIEF = "social_affairs_chief", _("社会事务科科长")
    DEPUTY_DIRECTOR = "deputy_director", _("分管副主任")
    STREET_PRINCIPAL = "street_principal", _("街道主要负责人")
    SUPERVISION_MEMBER = "supervision_member", _("监管会成员")
    # Community roles: they see only their own community.
    PARTY_SECRETARY = "party_secretary", _("社区党组织书记")
    COMMITTEE_DIRECTOR = "committee_director", _("居委会主任")
    DEPUTY = "deputy", _("副主任（副书记）")
    MEMBER = "member", _("居委会委员")
    ACCOUNTANT = "accountant", _("会计")
    CASHIER = "cashier", _("出纳")
    ATTENDANCE_CLERK = "attendance_clerk", _("考勤员")
    GRID_WORKER = "grid_worker", _("网格员")


STREET_ROLES = frozenset(
    {
        Role.STREET_ADMIN,
        Role.SOCIAL_AFFAIRS_CHIEF,
        Role.DEPUTY_DIRECTOR,
        Role.STREET_PRINCIPAL,
        Role.SUPERVISION_MEMBER,
    }
)
COMMUNITY_ROLES = frozenset(set(Role) - STREET_ROLES)


@audited
class RoleAssignment(TimeStampedModel):
    """A user's role at a street or in one community. The access grant itself is a
    django-guardian object permission on that Street or Community (core.services)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("用户"),
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    street = models.ForeignKey(
        "communities.Street",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("街道"),
    )
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("社区"),
    )

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=sorted(r.value for r in STREET_ROLES),
                        street__isnull=False,
                        community__isnull=True,
                    )
                    | Q(
                        role__in=sorted(r.value for r in COMMUNITY_ROLES),
                        street__isnull=True,
                        community__isnull=False,
                    )
                ),
                name="roleassignment_scope_matches_role",
                violation_error_message=_("街道角色须指定街道，社区角色须指定社区"),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "street"],
                condition=Q(street__isnull=False),
                name="uniq_street_role",
                violation_error_message=_("该用户在此街道已有此角色"),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "community"],
                condition=Q(community__isnull=False),
                name="uniq_community_role",
                violation_error_message=_("该用户在此社区已有此角色"),
            ),
        ]

    def __str__(self):
        where = self.street or self.community
        return f"{self.user} · {self.get_role_display()} · {where}"

    def clean(self):
        if self.role in STREET_ROLES and (not self.street_id or self.community_id):
            raise ValidationError({"street": _("街道角色须指定街道，且不能指定社区")})
        if self.role in COMMUNITY_ROLES and (not self.community_id or self.street_id):
            raise ValidationError({"community": _("社区角色须指定社区，且不能指定街道")})


class FindingStatus(models.TextChoices):
    OK = "ok", _("符合")
    WARNING = "warning", _("提示")
    VIOLATION = "violation", _("不符合")


class ComplianceFinding(models.Model):
    """One result of one check, for one community, on one day (idempotent nightly run)."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="findings",
        verbose_name=_("社区"),
    )
    check_code = models.CharField(_("检查项"), max_length=60)
    rule_id = models.CharField(_("规则编号"), max_length=20, db_index=True)
    run_date = models.DateField(_("检查日期"), db_index=True)
    status = models.CharField(_("结论"), max_length=10, choices=FindingStatus.choices)
    message = models.TextField(_("说明"))
    citation = models.CharField(_("依据"), max_length=200)
    profile = models.ForeignKey(
        PolicyProfile, on_delete=models.PROTECT, related_name="+", verbose_name=_("参数方案")
    )
    params = models.JSONField(_("适用参数"), default=dict, help_text=_("检查时适用的参数值"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("合规检查结果")
        verbose_name_plural = _("合规检查结果")
        ordering = ["-run_date", "community_id", "check_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["check_code", "community", "run_date"], name="uniq_finding_per_day"
            )
        ]
        indexes = [models.Index(fields=["community", "run_date"])]

    def __str__(self):
        return f"{self.rule_id} {self.community} {self.run_date}: {self.get_status_display()}"


class TaskHeartbeat(models.Model):
    """Last successful run of each periodic task, so a dead beat shows in the admin."""

    scope_path = None

    task_name = models.CharField(_("任务"), max_length=200, unique=True)
    last_started_at = models.DateTimeField(_("最近开始"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("最近成功"), null=True, blank=True)
    last_error_at = models.DateTimeField(_("最近失败"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    runs = models.PositiveIntegerField(_("成功次数"), default=0)

    class Meta:
        verbose_name = _("定时任务心跳")
        verbose_name_plural = _("定时任务心跳")
        ordering = ["task_name"]

    def __str__(self):
        return self.task_name


class ReminderStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已办结")


@audited
class Reminder(models.Model):
    """A due reminder created by a periodic sweep (CONVENTIONS: Tasks): one row per rule,
    subject and period, so a retried task or a second beat never creates a second one.

    `subject` names what it is about ("term:12", "worker:7", "community:3"); `period` the
    cycle it belongs to ("2026", "2026-H2", "2026-Q4", "2026-12-31"). The sweep that made it
    closes it (status done) when the duty is met."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("社区"),
    )
    kind = models.CharField(_("提醒类型"), max_length=60, db_index=True)
    rule_id = models.CharField(_("规则编号"), max_length=20, db_index=True)
    subject = models.CharField(_("对象"), max_length=60)
    period = models.CharField(_("周期"), max_length=20)
    title = models.CharField(_("标题"), max_length=200)
    message = models.TextField(_("说明"), blank=True)
    due_on = models.DateField(_("办理期限"), null=True, blank=True)
    worker = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name=_("社区工作者"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.OPEN
    )
    created_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("办结人"),
        help_text=_("为空表示履职后由定时任务自动办结"),
    )

    class Meta:
        verbose_name = _("待办提醒")
        verbose_name_plural = _("待办提醒")
        ordering = ["status", "due_on", "-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject", "period"],
                name="uniq_reminder_per_rule_subject_period",
                violation_error_message=_("该提醒已存在"),
            )
        ]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self):
        return f"[{self.rule_id}] {self.title}"


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    VALIDATING = "validating", _("校验中")
    VALIDATED = "validated", _("已校验，待确认")
    APPLYING = "applying", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


# States in which a job still runs or waits: the ones a cancel applies to.
IMPORT_OPEN_STATES = (
    ImportState.UPLOADED,
    ImportState.VALIDATING,
    ImportState.VALIDATED,
    ImportState.APPLYING,
)


class ImportJob(models.Model):
    """One Excel import (core.imports): the uploaded file, the validation of every row, the
    user's confirmation and the all-or-nothing apply through the app's services.

    The file is kept in the row (at most settings.IMPORT_MAX_BYTES) so the web process and
    the Celery worker read the same bytes without a shared disk, and the job and its file
    are written in one transaction. A job without a community is a street-wide import:
    scoped() hides it from everyone but superusers; core.imports shows it to its creator."""

    kind = models.CharField(_("导入类型"), max_length=40)
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="import_jobs",
        verbose_name=_("社区"),
        help_text=_("为空表示全街道导入（按表格中的“社区”列）"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="import_jobs",
        verbose_name=_("上传人"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    file_name = models.CharField(_("原文件名"), max_length=255)
    content = models.BinaryField(_("文件内容"), editable=False)
    size = models.PositiveIntegerField(_("文件大小（字节）"), default=0)
    sha256 = models.CharField(_("文件摘要（SHA-256）"), max_length=64, db_index=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_new = models.PositiveIntegerField(_("新增"), default=0)
    rows_updated = models.PositiveIntegerField(_("更新"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("无变化"), default=0)
    rows_invalid = models.PositiveIntegerField(_("有误"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理"), default=0)
    rows_per_second = models.FloatField(_("每秒行数"), null=True, blank=True)
    errors = models.JSONField(
        _("错误明细"), default=list, blank=True, help_text=_("最多保存 IMPORT_MAX_ERRORS 条")
    )
    error_count = models.PositiveIntegerField(_("错误条数"), default=0)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "-created_at"], name="importjob_community_created"),
            models.Index(fields=["created_by", "-created_at"], name="importjob_user_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    rows_total__gte=F("rows_new")
                    + F("rows_updated")
                    + F("rows_unchanged")
                    + F("rows_invalid")
                ),
                name="importjob_counts_within_total",
            ),
        ]

    def __str__(self):
        return f"{self.file_name}（{self.get_state_display()}）"

    @property
    def is_open(self) -> bool:
        return self.state in IMPORT_OPEN_STATES

    @property
    def can_confirm(self) -> bool:
        return self.state == ImportState.VALIDATED and self.rows_invalid == 0


# Generic typed slots of the staging table (core.imports.bulk.Stage maps a spec's names to
# them): text t0.., dates d0.., integers n0.., booleans b0...
IMPORT_STAGING_SLOTS = {"text": ("t", 24), "date": ("d", 8), "int": ("n", 8), "bool": ("b", 8)}


class ImportStagingRow(models.Model):
    """One row of a bulk import (core.imports.bulk) between its validation and its apply:
    the values the spec derived from the file, in the typed slots its `staging` names.

    Scratch data: the table is UNLOGGED (core/migrations/0006), written with COPY by the
    validation, read by the SQL of the check and the apply, and emptied for the job when it
    ends (done, failed, cancelled) or is validated again."""

    pk = models.CompositePrimaryKey("job_id", "row_no")
    job_id = models.BigIntegerField(_("导入任务"))
    row_no = models.PositiveIntegerField(_("行号"))

    class Meta:
        verbose_name = _("导入暂存行")
        verbose_name_plural = _("导入暂存行")

    def __str__(self):
        return f"{self.job_id}:{self.row_no}"


for _kind, (_prefix, _count) in IMPORT_STAGING_SLOTS.items():
    for _i in range(_count):
        _field = {
            "text": models.TextField,
            "date": models.DateField,
            "int": models.BigIntegerField,
            "bool": models.BooleanField,
        }[_kind](null=True, blank=True)
        ImportStagingRow.add_to_class(f"{_prefix}{_i}", _field)
del _kind, _prefix, _count, _i, _field
