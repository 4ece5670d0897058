"""Money coming in and its plan: the street-managed account (FIN-1/FIN-2), the yearly
working fund (FIN-1), incomes (FIN-5/8/10), the budget (FIN-6) and the street's allowance
standards (FIN-9). Written only through finance.services."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.audit import audited
from core.models import FundingBasis, TimeStampedModel
from finance.models.choices import (
    AllowanceKind,
    BudgetState,
    ExpenseCategory,
    IncomeKind,
    PaymentMethod,
    money,
)


@audited
class Account(TimeStampedModel):
    """The one bank account of a community, managed by the street (居账街管, 002 四(二);
    FIN-2: no other account may be recorded as the community's, no 小金库)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="finance_accounts", verbose_name=_("社区")
    )
    bank_name = models.CharField(_("开户银行"), max_length=100)
    account_name = models.CharField(_("账户名称"), max_length=100)
    account_no = models.CharField(
        _("账号"),
        max_length=34,
        validators=[RegexValidator(r"^[0-9A-Za-z]{6,34}$", _("账号应为 6—34 位数字或字母"))],
    )
    opened_on = models.DateField(_("开户日期"), null=True, blank=True)
    managed_by = models.CharField(
        _("街道经管人"), max_length=50, blank=True, help_text=_("FIN-1：居账街管")
    )

    class Meta:
        verbose_name = _("社区账户（街道代管）")
        verbose_name_plural = _("社区账户（街道代管）")
        ordering = ["community_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community"],
                name="finance_one_account_per_community",
                violation_error_message=_(
                    "[FIN-2] 每个社区只能登记一个由街道代管的账户，不得另设账户（000 第十四条）"
                ),
            ),
        ]

    def __str__(self):
        return f"{self.community} · {self.bank_name} {self.account_no_masked}"

    @property
    def account_no_masked(self) -> str:
        """Lists show only the last four characters."""
        tail = self.account_no[-4:]
        return f"****{tail}"


@audited
class FundingAllocation(TimeStampedModel):
    """FIN-1 (001 第三十一条；002 四(二)): the yearly working fund of one community, computed
    from its profile (finance.rules.yearly_funding) and recorded as two incomes (city and
    street share)."""

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="funding_allocations",
        verbose_name=_("社区"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    basis = models.CharField(_("经费口径"), max_length=30, choices=FundingBasis.choices)
    households = models.PositiveIntegerField(_("核定户数"))
    standard = money(_("经费标准（元）"))
    total = money(_("全年工作经费（元）"), _("FIN-1：按方案口径计算"))
    city_share = money(_("市级承担（元）"))
    street_share = money(_("街道承担（元）"))
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("拨付登记人"),
    )
    received_on = models.DateField(_("到账日期"))

    class Meta:
        verbose_name = _("年度工作经费")
        verbose_name_plural = _("年度工作经费")
        ordering = ["-year", "community_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year"],
                name="finance_one_funding_per_year",
                violation_error_message=_("[FIN-1] 该社区本年度工作经费已登记"),
            ),
            models.CheckConstraint(
                condition=Q(total=F("city_share") + F("street_share")),
                name="finance_funding_shares_sum",
                violation_error_message=_("[FIN-1] 市级与街道承担部分之和应等于全年经费"),
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.year} {self.total}"


@audited
class Budget(TimeStampedModel):
    """FIN-6 (003 十四(六)): the yearly budget, drafted by the community and approved at the
    start of the year; claims are submitted only against an approved budget."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="budgets", verbose_name=_("社区")
    )
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=BudgetState.choices, default=BudgetState.DRAFT
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("批准人"),
    )
    note = models.TextField(_("编制说明"), blank=True)

    class Meta:
        verbose_name = _("年度预算")
        verbose_name_plural = _("年度预算")
        ordering = ["-year", "community_id"]
        permissions = [("approve_budget", _("批准年度预算"))]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year"],
                name="finance_one_budget_per_year",
                violation_error_message=_("[FIN-6] 该社区本年度预算已存在"),
            ),
            models.CheckConstraint(
                condition=Q(state=BudgetState.DRAFT) | Q(approved_at__isnull=False),
                name="finance_budget_approved_has_time",
                violation_error_message=_("[FIN-6] 已批准的预算须有批准时间"),
            ),
        ]

    def __str__(self):
        return _("%(community)s %(year)s 年预算") % {"community": self.community, "year": self.year}


@audited
class BudgetLine(TimeStampedModel):
    """One line of a budget: a category and its amount. The year-end variance explanation
    (FIN-6: 决算并对执行情况进行分析) is written here."""

    parent_field = "budget"

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="budget_lines", verbose_name=_("社区")
    )
    budget = models.ForeignKey(
        Budget, on_delete=models.CASCADE, related_name="lines", verbose_name=_("预算")
    )
    category = models.CharField(_("支出类别"), max_length=20, choices=ExpenseCategory.choices)
    name = models.CharField(_("预算项目"), max_length=100)
    amount = money(_("预算金额（元）"))
    explanation = models.TextField(
        _("执行偏差说明"),
        blank=True,
        help_text=_("FIN-6：决算时执行偏差超过方案比例须说明"),
    )

    class Meta:
        verbose_name = _("预算项目")
        verbose_name_plural = _("预算项目")
        ordering = ["budget_id", "category", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "category", "name"],
                name="finance_budget_line_unique",
                violation_error_message=_("该预算已有同类别同名项目"),
            ),
        ]

    def __str__(self):
        return f"{self.budget.year} {self.get_category_display()} · {self.name}"


@audited
class AllowanceStandard(TimeStampedModel):
    """FIN-9 (003 十四(五)): an allowance standard set by the street for a year; communities
    may not pay above it. Street data: changed by street roles of that street only."""

    scope_path = None  # street data; finance.selectors filters it by the user's streets

    street = models.ForeignKey(
        "communities.Street",
        on_delete=models.PROTECT,
        related_name="allowance_standards",
        verbose_name=_("街道"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("补贴项目"), max_length=20, choices=AllowanceKind.choices)
    amount = money(_("标准（元/人·月）"), _("FIN-9：街道制定的标准，社区不得擅自提高"))
    source = models.CharField(_("依据文件"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("补贴标准（街道）")
        verbose_name_plural = _("补贴标准（街道）")
        ordering = ["-year", "street_id", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "year", "kind"],
                name="finance_one_allowance_standard",
                violation_error_message=_("[FIN-9] 该街道本年度已有此项补贴标准"),
            ),
        ]

    def __str__(self):
        return f"{self.street} {self.year} {self.get_kind_display()} {self.amount}"


@audited
class Income(TimeStampedModel):
    """Money received (FIN-5 全额入账、专款专用; FIN-8 service fees; FIN-10 fund-raising). Each
    income makes one journal entry (FIN-11); it is never edited afterwards."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="incomes", verbose_name=_("社区")
    )
    kind = models.CharField(_("收入类型"), max_length=20, choices=IncomeKind.choices)
    amount = money(_("金额（元）"), _("FIN-5：全额入账"))
    document_amount = money(
        _("来款凭证金额（元）"),
        _("FIN-5：补助、捐赠须按来款凭证金额全额入账"),
        null=True,
        blank=True,
    )
    received_on = models.DateField(_("收款日期"))
    method = models.CharField(_("收款方式"), max_length=10, choices=PaymentMethod.choices)
    source = models.CharField(_("来源（付款单位或个人）"), max_length=200)
    document_no = models.CharField(_("票据号"), max_length=60, blank=True)
    earmark_category = models.CharField(
        _("限定用途"),
        max_length=20,
        choices=ExpenseCategory.choices,
        blank=True,
        help_text=_("FIN-5：补助、捐赠专款专用，只能用于此类支出"),
    )
    earmark_purpose = models.CharField(_("用途说明"), max_length=200, blank=True)
    resolution_ref = models.CharField(
        _("居民（代表）会议决议文号"),
        max_length=100,
        blank=True,
        help_text=_("FIN-8：有偿服务收费、FIN-10：公益募集须有居民代表会议决议"),
    )
    allocation = models.ForeignKey(
        FundingAllocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incomes",
        verbose_name=_("年度工作经费"),
    )
    paid_service = models.ForeignKey(
        "finance.PaidService",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incomes",
        verbose_name=_("有偿服务项目"),
        help_text=_("FIN-8：服务收费所属的有偿服务项目"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("收入")
        verbose_name_plural = _("收入")
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["community", "received_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="finance_income_positive",
                violation_error_message=_("金额必须大于 0"),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["service_fee", "fund_raising"]) | ~Q(resolution_ref=""),
                name="finance_income_resolution",
                violation_error_message=_(
                    "[FIN-10] 服务收费和公益募集须填写居民（代表）会议决议文号"
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["subsidy", "donation"]) | ~Q(earmark_category=""),
                name="finance_income_earmark",
                violation_error_message=_("[FIN-5] 补助、捐赠须注明限定用途（专款专用）"),
            ),
            models.CheckConstraint(
                condition=~Q(kind="service_fee") | ~Q(earmark_category="staff_welfare"),
                name="finance_fee_not_welfare",
                violation_error_message=_("[FIN-8] 服务收费不得用于社区工作人员福利"),
            ),
        ]

    def __str__(self):
        return f"{self.received_on} {self.get_kind_display()} {self.amount}"

    @property
    def is_earmarked(self) -> bool:
        return bool(self.earmark_category)


ZERO = Decimal("0.00")
