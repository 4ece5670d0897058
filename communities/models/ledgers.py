"""The community's ledgers (台帐, ORG-13, ORG-9): households at grid unit addresses, their
residents, special groups (特殊群体), special targets (特别对象), volunteers and their service
hours, and the log of every access to personal data.

Facts derived from the ID number (birth date, gender, validity) and the search helpers
(pinyin initials, ID and phone tails, address order) are computed by
communities.ledger_services when a row is written, never typed twice."""

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import TimeStampedModel

__all__ = [
    "DisabilityGrade",
    "EXPORT_OPEN_STATES",
    "ExportJob",
    "ExportKind",
    "ExportState",
    "Household",
    "PersonalDataAction",
    "PersonalDataLog",
    "RegistrationType",
    "Relation",
    "Resident",
    "SpecialGroupMember",
    "SpecialGroupType",
    "SpecialTarget",
    "SpecialTargetKind",
    "Volunteer",
    "VolunteerService",
]


class RegistrationType(models.TextChoices):
    HUJI = "huji", _("户籍")
    FLOATING = "floating", _("流动")
    SEPARATED = "separated", _("人户分离")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDPARENT = "grandparent", _("祖父母")
    GRANDCHILD = "grandchild", _("孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    TENANT = "tenant", _("租住人员")
    OTHER = "other", _("其他")


@audited(level=pghistory.Statement)
class Household(TimeStampedModel):
    """A household (户) at one grid unit address (ORG-5/ORG-13: 摸底不漏户). Moving out keeps
    the row (moved_out_on); a new household may then register at the same address."""

    parent_field = "unit"

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="ledger_households",
        verbose_name=_("社区"),
        db_index=False,  # household_addr_order leads with it: one index less to write
    )
    unit = models.ForeignKey(
        "communities.Unit",
        on_delete=models.PROTECT,
        related_name="household_rows",
        verbose_name=_("单元"),
    )
    room = models.CharField(_("室号"), max_length=20, help_text=_("如 301、1-2"))
    address = models.CharField(_("地址"), max_length=300, editable=False)
    address_order = models.CharField(_("地址排序"), max_length=120, editable=False)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    moved_out_on = models.DateField(_("迁出日期"), null=True, blank=True)
    reviewed_on = models.DateField(
        _("最近复核日期"),
        null=True,
        blank=True,
        help_text=_("ORG-13：超过参数方案的复核周期未复核的记为提示"),
    )
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        ordering = ["community_id", "address_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "room"],
                condition=Q(moved_out_on__isnull=True),
                name="uniq_household_address",
                violation_error_message=_("该地址已登记在住住户，请更新原记录"),
            ),
        ]
        indexes = [
            models.Index(fields=["community", "address_order", "id"], name="household_addr_order"),
        ]

    def __str__(self):
        return self.address or f"{self.unit} {self.room}"


@audited(level=pghistory.Statement)
class Resident(TimeStampedModel):
    """A person registered in a household (造册不漏人). Birth date and gender come from a
    valid ID number; a person whose ID number is registered in another community is flagged
    for review (人户分离 is legitimate, a duplicate is not)."""

    parent_field = "household"

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="residents",
        verbose_name=_("社区"),
        db_index=False,  # the indexes below lead with it: one index less to write
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="residents", verbose_name=_("住户")
    )
    name = models.CharField(_("姓名"), max_length=50)
    name_initials = models.CharField(_("姓名拼音首字母"), max_length=50, editable=False)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    id_valid = models.BooleanField(_("身份证号有效"), default=False, editable=False)
    id_tail = models.CharField(_("身份证号后四位"), max_length=4, blank=True, editable=False)
    gender = models.CharField(
        _("性别"), max_length=10, choices=[("male", _("男")), ("female", _("女"))], blank=True
    )
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    relation = models.CharField(
        _("与户主关系"), max_length=20, choices=Relation.choices, default=Relation.HEAD
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    phone_tail = models.CharField(_("电话后四位"), max_length=4, blank=True, editable=False)
    registration_type = models.CharField(
        _("户籍类型"),
        max_length=20,
        choices=RegistrationType.choices,
        default=RegistrationType.HUJI,
    )
    moved_in_on = models.DateField(_("迁入日期"), null=True, blank=True)
    moved_out_on = models.DateField(
        _("迁出日期"), null=True, blank=True, help_text=_("迁出后保留记录，不再计入在册人口")
    )
    address_order = models.CharField(_("地址排序"), max_length=120, editable=False)
    reviewed_on = models.DateField(_("最近复核日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["community_id", "address_order", "household_id", "id"]
        permissions = [
            ("reveal_personal", _("查看完整身份证号和电话（每次查看均记录）")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "id_number"],
                condition=Q(moved_out_on__isnull=True) & ~Q(id_number=""),
                name="uniq_resident_id_in_community",
                violation_error_message=_("该身份证号已在本社区登记，请更新原记录"),
            ),
            models.CheckConstraint(
                condition=Q(moved_out_on__isnull=True)
                | Q(moved_in_on__isnull=True)
                | Q(moved_out_on__gte=F("moved_in_on")),
                name="resident_out_after_in",
                violation_error_message=_("迁出日期不能早于迁入日期"),
            ),
        ]
        indexes = [
            models.Index(
                fields=["community", "address_order", "household", "id"],
                condition=Q(moved_out_on__isnull=True),
                name="resident_current_addr_order",
            ),
            models.Index(fields=["id_number"], name="resident_id_number"),
            models.Index(fields=["community", "id_tail"], name="resident_id_tail"),
            models.Index(fields=["community", "phone_tail"], name="resident_phone_tail"),
            # Prefix search on pinyin initials (LIKE 'zjh%') must use the index whatever the
            # database collation: varchar_pattern_ops compares bytes.
            models.Index(
                fields=["community", "name_initials"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                condition=Q(moved_out_on__isnull=True),
                name="resident_initials_prefix",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.moved_in_on and self.moved_out_on and self.moved_out_on < self.moved_in_on:
            raise ValidationError({"moved_out_on": _("迁出日期不能早于迁入日期")})


class SpecialGroupType(models.Model):
    """A kind of special group (低保, 特困, 残疾, 高龄, ...) as data: a profile may have its
    own list; rows without a profile apply to every profile."""

    scope_path = None  # shared configuration, like the policy profiles

    profile = models.ForeignKey(
        "core.PolicyProfile",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="special_group_types",
        verbose_name=_("参数方案"),
        help_text=_("为空表示适用于所有参数方案"),
    )
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=50)
    has_amount = models.BooleanField(_("登记金额"), default=False, help_text=_("如低保月保障金"))
    has_grade = models.BooleanField(_("登记等级"), default=False, help_text=_("如残疾等级"))
    min_age = models.PositiveSmallIntegerField(
        _("最低年龄"), null=True, blank=True, help_text=_("如高龄 80 岁以上")
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("特殊群体类别")
        verbose_name_plural = _("特殊群体类别")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "code"],
                name="uniq_special_group_type",
                nulls_distinct=False,
                violation_error_message=_("该参数方案已有此代码的特殊群体类别"),
            )
        ]

    def __str__(self):
        return self.name


class DisabilityGrade(models.TextChoices):
    GRADE_1 = "1", _("一级")
    GRADE_2 = "2", _("二级")
    GRADE_3 = "3", _("三级")
    GRADE_4 = "4", _("四级")


@audited
class SpecialGroupMember(TimeStampedModel):
    """A resident's membership of a special group for a period, with the grade or the
    monthly amount where the group has one."""

    parent_field = "resident"

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="special_group_members",
        verbose_name=_("社区"),
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="special_groups", verbose_name=_("居民")
    )
    group_type = models.ForeignKey(
        SpecialGroupType, on_delete=models.PROTECT, related_name="members", verbose_name=_("类别")
    )
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("终止日期"), null=True, blank=True)
    grade = models.CharField(_("等级"), max_length=10, choices=DisabilityGrade.choices, blank=True)
    monthly_amount = models.DecimalField(
        _("月保障金额（元）"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    household_size = models.PositiveSmallIntegerField(_("保障人口"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("特殊群体")
        verbose_name_plural = _("特殊群体")
        ordering = ["community_id", "group_type__sort_order", "-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="special_group_end_after_start",
                violation_error_message=_("终止日期不能早于起始日期"),
            ),
            models.CheckConstraint(
                condition=Q(monthly_amount__isnull=True) | Q(monthly_amount__gte=0),
                name="special_group_amount_non_negative",
                violation_error_message=_("金额不能为负数"),
            ),
        ]
        indexes = [models.Index(fields=["community", "group_type"], name="special_group_type")]

    def __str__(self):
        return f"{self.resident} · {self.group_type}"

    def clean(self):
        errors = {}
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("终止日期不能早于起始日期")
        group = self.group_type if self.group_type_id else None
        if group is not None:
            if group.has_amount and self.monthly_amount is None:
                errors["monthly_amount"] = _("“%(group)s”须登记月保障金额") % {"group": group}
            if not group.has_amount and self.monthly_amount is not None:
                errors["monthly_amount"] = _("“%(group)s”不登记金额") % {"group": group}
            if group.has_grade and not self.grade:
                errors["grade"] = _("“%(group)s”须登记等级") % {"group": group}
        if errors:
            raise ValidationError(errors)


class SpecialTargetKind(models.TextChoices):
    CORRECTION = "correction", _("社区矫正对象")
    RELEASED = "released", _("刑满释放人员")
    DRUG = "drug", _("社区戒毒康复人员")
    MENTAL = "mental", _("严重精神障碍患者")
    PETITION = "petition", _("重点信访人员")
    OTHER = "other", _("其他")


@audited
class SpecialTarget(TimeStampedModel):
    """特别对象 (ORG-13, 002 五): sensitive. Only roles granted view_specialtarget see these
    rows, and every view is written to PersonalDataLog."""

    parent_field = "resident"

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="special_targets",
        verbose_name=_("社区"),
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="special_targets", verbose_name=_("居民")
    )
    kind = models.CharField(_("类别"), max_length=20, choices=SpecialTargetKind.choices)
    since = models.DateField(_("起始日期"))
    until = models.DateField(_("终止日期"), null=True, blank=True)
    responsible = models.CharField(_("帮教责任人"), max_length=50, blank=True)
    note = models.TextField(_("情况说明"), blank=True)

    class Meta:
        verbose_name = _("特别对象")
        verbose_name_plural = _("特别对象")
        ordering = ["community_id", "kind", "-since", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("since")),
                name="special_target_end_after_start",
                violation_error_message=_("终止日期不能早于起始日期"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


@audited
class Volunteer(TimeStampedModel):
    """A registered volunteer (ORG-9, 004 二(一)4 志愿者注册)."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="volunteers",
        verbose_name=_("社区"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    organisation = models.ForeignKey(
        "communities.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteers",
        verbose_name=_("所属社会组织"),
    )
    skills = models.CharField(_("服务特长"), max_length=200, blank=True)
    registered_on = models.DateField(_("注册日期"))
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["community_id", "name", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        if (
            self.organisation_id
            and self.community_id
            and self.organisation.community_id != self.community_id
        ):
            raise ValidationError({"organisation": _("所选组织不属于该社区")})


@audited
class VolunteerService(TimeStampedModel):
    """Hours of volunteer service (ORG-9)."""

    parent_field = "volunteer"

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="volunteer_services",
        verbose_name=_("社区"),
    )
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="services", verbose_name=_("志愿者")
    )
    date = models.DateField(_("服务日期"))
    activity = models.CharField(_("服务内容"), max_length=200)
    hours = models.DecimalField(
        _("服务时长（小时）"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("志愿服务记录")
        verbose_name_plural = _("志愿服务记录")
        ordering = ["community_id", "-date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24),
                name="volunteer_service_hours_0_24",
                violation_error_message=_("服务时长应大于 0 且不超过 24 小时"),
            ),
        ]

    def __str__(self):
        return f"{self.volunteer} {self.date}"


class PersonalDataAction(models.TextChoices):
    REVEAL = "reveal", _("查看完整信息")
    VIEW_SPECIAL = "view_special", _("查看特别对象")
    EXPORT = "export", _("导出个人信息")


class PersonalDataLog(models.Model):
    """Who saw which personal data, when (reveals, special-target views, exports). Written
    by communities.ledger_services only; never edited."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="personal_data_logs",
        verbose_name=_("社区"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="personal_data_logs",
        verbose_name=_("用户"),
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    action = models.CharField(_("操作"), max_length=20, choices=PersonalDataAction.choices)
    model = models.CharField(_("数据类型"), max_length=60)
    object_id = models.BigIntegerField(_("记录编号"), null=True, blank=True)
    fields = models.CharField(_("字段"), max_length=200, blank=True)
    filters = models.TextField(_("筛选条件"), blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = _("个人信息访问记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["community", "at"], name="personal_log_community_at")]

    def __str__(self):
        return f"{self.user} {self.get_action_display()} {self.model}#{self.object_id or ''}"


class ExportState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")


# States in which a job still waits or runs (the page refreshes itself while one is shown).
EXPORT_OPEN_STATES = (ExportState.QUEUED, ExportState.RUNNING)


class ExportKind(models.TextChoices):
    RESIDENTS = "residents", _("居民台帐")


class ExportJob(models.Model):
    """A large Excel export run in the background (issue #4, Excel out): above
    settings.LEDGER_EXPORT_SYNC_MAX_ROWS rows the portal and the admin queue one, a Celery
    task writes the workbook (communities.ledger_exports, logged in PersonalDataLog like any
    export) and the user who asked downloads it until `expires_at`; a periodic task then
    deletes the file.

    The file is kept in the row, like core.ImportJob's upload: the web process and the
    worker read the same bytes without a shared volume, and the file, its row count and the
    access log are committed together. Not audited: a copy of every file in the event
    table would defeat the expiry. A job without a community is a street-wide export from
    the admin."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("导出人"),
    )
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="export_jobs",
        verbose_name=_("社区"),
        help_text=_("为空表示全街道（按导出人的权限范围）"),
    )
    kind = models.CharField(
        _("导出内容"), max_length=20, choices=ExportKind.choices, default=ExportKind.RESIDENTS
    )
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    reveal = models.BooleanField(
        _("含完整身份证号和电话"),
        default=False,
        help_text=_("仅对导出人有查看完整信息权限的社区生效"),
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=ExportState.choices, default=ExportState.QUEUED
    )
    rows = models.PositiveIntegerField(_("行数"), default=0)
    content = models.BinaryField(_("文件内容"), default=bytes, editable=False)
    size = models.PositiveIntegerField(_("文件大小（字节）"), default=0)
    file_name = models.CharField(_("文件名"), max_length=120, blank=True)
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("下载截止时间"), null=True, blank=True, help_text=_("到期后文件由定时任务删除")
    )

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="exportjob_user_created"),
            models.Index(fields=["state", "expires_at"], name="exportjob_state_expires"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="done") | Q(expires_at__isnull=False),
                name="exportjob_done_expires",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}（{self.get_state_display()}）"

    @property
    def is_open(self) -> bool:
        return self.state in EXPORT_OPEN_STATES
