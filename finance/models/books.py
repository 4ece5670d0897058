"""The books (FIN-11): cash and bank journals generated from incomes and payments, the
monthly reconciliation (FIN-11, reviewed monthly by the street supervision committee, FIN-7)
and the quarterly financial statement (FIN-7, DISC-3)."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from communities.models import Community
from core.audit import audited
from finance.models.accounts import Income
from finance.models.choices import (
    Book,
    Direction,
    EntryKind,
    ExpenseCategory,
    IncomeKind,
    StatementState,
    money,
    signed_money,
)
from finance.models.claims import Payment

User = settings.AUTH_USER_MODEL


@audited
class JournalEntry(models.Model):
    """One line of the cash or bank journal. Made only by finance.services together with the
    income or payment it records (or a cash deposit/withdrawal, two lines); append-only: a
    database trigger refuses updates and deletes."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="journal_entries", verbose_name=_("社区")
    )
    book = models.CharField(_("账簿"), max_length=10, choices=Book.choices)
    entry_date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=10, choices=EntryKind.choices)
    direction = models.CharField(_("方向"), max_length=5, choices=Direction.choices)
    amount = money(_("金额（元）"))
    income_kind = models.CharField(
        _("收入类型"), max_length=20, choices=IncomeKind.choices, blank=True
    )
    category = models.CharField(
        _("支出类别"), max_length=20, choices=ExpenseCategory.choices, blank=True
    )
    earmark_category = models.CharField(
        _("专项资金用途"),
        max_length=20,
        choices=ExpenseCategory.choices,
        blank=True,
        help_text=_("FIN-5：专项资金的收入及其支出"),
    )
    summary = models.CharField(_("摘要"), max_length=200)
    counterparty = models.CharField(_("对方单位或个人"), max_length=200, blank=True)
    income = models.OneToOneField(
        Income,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entry",
        verbose_name=_("收入"),
    )
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entry",
        verbose_name=_("付款"),
    )
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("记账人")
    )
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("日记账分录")
        verbose_name_plural = _("日记账分录")
        ordering = ["community_id", "book", "entry_date", "pk"]
        indexes = [
            models.Index(fields=["community", "book", "entry_date"], name="finance_journal_book"),
            models.Index(fields=["community", "entry_date"], name="finance_journal_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="finance_journal_positive",
                violation_error_message=_("金额必须大于 0"),
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="income", direction="in", income__isnull=False, payment__isnull=True)
                    | Q(kind="expense", direction="out", payment__isnull=False, income__isnull=True)
                    | Q(kind="internal", income__isnull=True, payment__isnull=True)
                ),
                name="finance_journal_source",
                violation_error_message=_("[FIN-11] 分录须由收入、付款或现金存取生成"),
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="finance_journal_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self):
        return f"{self.get_book_display()} {self.entry_date} {self.summary} {self.amount}"

    @property
    def signed_amount(self):
        return self.amount if self.direction == Direction.IN else -self.amount


@audited
class MonthlyReconciliation(models.Model):
    """FIN-11 账款相符 for one month: the book balances at month end against the cash counted
    and the bank statement; FIN-7: reviewed by the street supervision committee."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="reconciliations", verbose_name=_("社区")
    )
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    book_cash = signed_money(_("现金账面余额（元）"))
    counted_cash = signed_money(_("库存现金实点（元）"))
    cash_difference = signed_money(_("现金差额（元）"), _("实点 − 账面"))
    book_bank = signed_money(_("银行账面余额（元）"))
    bank_statement = signed_money(_("银行对账单余额（元）"))
    bank_difference = signed_money(_("银行差额（元）"), _("对账单 − 账面"))
    explanation = models.TextField(_("差异说明"), blank=True)
    reconciled_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("对账人")
    )
    reconciled_at = models.DateTimeField(_("对账时间"))
    reviewed_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("监管会审核人"),
    )
    reviewed_at = models.DateTimeField(_("监管会审核时间"), null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("月度对账")
        verbose_name_plural = _("月度对账")
        ordering = ["-month", "community_id"]
        permissions = [("review_monthlyreconciliation", _("月度账务审核（监管会，FIN-7）"))]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "month"],
                name="finance_one_reconciliation_per_month",
                violation_error_message=_("该社区本月已对账"),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="finance_reconciliation_month_first",
                violation_error_message=_("月份须为该月 1 日"),
            ),
            models.CheckConstraint(
                condition=Q(cash_difference=F("counted_cash") - F("book_cash"))
                & Q(bank_difference=F("bank_statement") - F("book_bank")),
                name="finance_reconciliation_differences",
                violation_error_message=_("[FIN-11] 差额计算不一致"),
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.month:%Y-%m}"

    @property
    def has_difference(self) -> bool:
        return bool(self.cash_difference) or bool(self.bank_difference)


@audited
class QuarterlyStatement(FSMModelMixin, models.Model):
    """FIN-7 / DISC-3 (003 十四(七)): the quarterly financial statement, generated from the
    journals; reviewed and stamped by the street supervision committee before it is posted
    (stamp date ≤ posting date); published versions never change (a database trigger refuses
    it). A correction is a new version that `supersedes` the published one and keeps the
    difference in `diff`."""

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="quarterly_statements",
        verbose_name=_("社区"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(
        _("季度"),
        choices=[(1, _("第一季度")), (2, _("第二季度")), (3, _("第三季度")), (4, _("第四季度"))],
    )
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    state = FSMField(
        _("状态"),
        max_length=20,
        choices=StatementState.choices,
        default=StatementState.DRAFT,
        protected=True,
    )
    opening_balance = signed_money(_("期初余额（元）"))
    income_total = signed_money(_("本期收入（元）"))
    expense_total = signed_money(_("本期支出（元）"))
    closing_balance = signed_money(_("期末余额（元）"))
    totals = models.JSONField(
        _("明细"), default=dict, help_text=_("按收入类型、支出类别、专项资金和账簿的合计")
    )
    generated_at = models.DateTimeField(_("生成时间"))
    generated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("编制人")
    )
    stamped_on = models.DateField(_("签章日期"), null=True, blank=True)
    stamped_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("监管会审核签章人"),
    )
    published_on = models.DateField(_("公布日期"), null=True, blank=True)
    published_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("公布人"),
    )
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("更正的版本"),
    )
    correction_reason = models.TextField(_("更正原因"), blank=True)
    diff = models.JSONField(
        _("与原版本的差异"), default=dict, blank=True, help_text=_("项目：[原值, 新值]")
    )

    class Meta:
        verbose_name = _("季度财务公开表")
        verbose_name_plural = _("季度财务公开表")
        ordering = ["-year", "-quarter", "community_id", "-version"]
        permissions = [
            ("stamp_quarterlystatement", _("季度财务公开表审核签章（监管会，FIN-7）")),
            ("publish_quarterlystatement", _("公布季度财务公开表")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "quarter", "version"],
                name="finance_statement_version_unique",
                violation_error_message=_("该季度此版本的财务公开表已存在"),
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4),
                name="finance_statement_quarter_range",
                violation_error_message=_("季度应为 1—4"),
            ),
            models.CheckConstraint(
                condition=Q(published_on__isnull=True)
                | (Q(stamped_on__isnull=False) & Q(stamped_on__lte=F("published_on"))),
                name="finance_statement_stamped_before_published",
                violation_error_message=_("[FIN-7] 签章日期须在公布日期当日或之前"),
            ),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_on__isnull=False),
                name="finance_statement_published_has_date",
                violation_error_message=_("[FIN-7] 已公布的公开表须有公布日期"),
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="finance_statement_published_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__state="published"),
            ),
        ]

    def __str__(self):
        text = _("%(community)s %(year)s 年第 %(q)s 季度财务公开表") % {
            "community": self.community,
            "year": self.year,
            "q": self.quarter,
        }
        return text if self.version == 1 else f"{text}（v{self.version}）"

    # --- transitions (called only by finance.services, under the row lock) --------------------

    @transition(field=state, source=StatementState.DRAFT, target=StatementState.STAMPED)
    def stamp(self, *, by, on):
        self.stamped_by = by
        self.stamped_on = on

    @transition(field=state, source=StatementState.STAMPED, target=StatementState.PUBLISHED)
    def publish(self, *, by, on):
        self.published_by = by
        self.published_on = on
