"""Paid courses and activities in the service rooms (FIN-8, 003 十八(四)(五)): each needs a
residents' representative assembly resolution, has a standard fee and preferential rates for
vulnerable groups (never above the standard), and its fees — recorded as SERVICE_FEE incomes
linked to it — go to community construction and are disclosed regularly. Written only
through finance.services.paid."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.audit import audited
from core.models import TimeStampedModel
from finance.models.choices import ExpenseCategory, money

User = settings.AUTH_USER_MODEL


class PaidServiceKind(models.TextChoices):
    COURSE = "course", _("培训课程")
    ACTIVITY = "activity", _("文体活动")
    SERVICE = "service", _("便民服务项目")


@audited
class PaidService(TimeStampedModel):
    """A paid course, activity or service (FIN-8)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="paid_services", verbose_name=_("社区")
    )
    name = models.CharField(_("项目名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=PaidServiceKind.choices)
    facility = models.ForeignKey(
        "communities.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="paid_services",
        verbose_name=_("服务用房"),
    )
    resolution_ref = models.CharField(
        _("居民代表会议决议文号"),
        max_length=100,
        help_text=_("FIN-8：003 十八(五) 经社区居民代表会议议定"),
    )
    standard_fee = money(_("收费标准（元）"))
    fee_unit = models.CharField(_("计费单位"), max_length=20, help_text=_("如：次、月、期"))
    use_of_fees = models.CharField(
        _("收费用途"),
        max_length=20,
        choices=ExpenseCategory.choices,
        default=ExpenseCategory.CONSTRUCTION,
        help_text=_("FIN-8：必须用于社区建设，不得为社区工作人员搞福利"),
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("有偿服务项目")
        verbose_name_plural = _("有偿服务项目")
        ordering = ["community_id", "-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(resolution_ref=""),
                name="finance_paid_service_resolution",
                violation_error_message=_("[FIN-8] 有偿服务须填写居民代表会议决议文号"),
            ),
            models.CheckConstraint(
                condition=~Q(use_of_fees="staff_welfare"),
                name="finance_paid_service_not_welfare",
                violation_error_message=_("[FIN-8] 服务收费不得用于社区工作人员福利"),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="finance_paid_service_dates",
                violation_error_message=_("结束日期不能早于开始日期"),
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.standard_fee}元/{self.fee_unit}）"


@audited
class PaidServiceRate(TimeStampedModel):
    """FIN-8 (003 十八(四) 对弱势人群给予优惠照顾): the preferential fee of one vulnerable
    group (a special-group type of the ledgers), never above the standard fee."""

    parent_field = "service"

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="paid_service_rates",
        verbose_name=_("社区"),
    )
    service = models.ForeignKey(
        PaidService, on_delete=models.CASCADE, related_name="rates", verbose_name=_("有偿服务项目")
    )
    group = models.ForeignKey(
        "communities.SpecialGroupType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("优惠对象"),
    )
    fee = money(_("优惠收费（元）"), _("FIN-8：不得高于收费标准"))

    class Meta:
        verbose_name = _("优惠收费标准")
        verbose_name_plural = _("优惠收费标准")
        ordering = ["service_id", "fee", "group_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "group"],
                name="finance_paid_rate_unique",
                violation_error_message=_("该项目已有此群体的优惠标准"),
            ),
        ]

    def __str__(self):
        return f"{self.group} {self.fee}"
