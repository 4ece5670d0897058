"""Choices of the finance chapter (issue #6), shared by the models, rules and services."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("现金")
    TRANSFER = "transfer", _("银行转账")


class Book(models.TextChoices):
    """FIN-11 (003 十四(二)): the cash journal and the bank journal."""

    CASH = "cash", _("现金日记账")
    BANK = "bank", _("银行存款日记账")


BOOK_OF_METHOD = {PaymentMethod.CASH: Book.CASH, PaymentMethod.TRANSFER: Book.BANK}


class ExpenseCategory(models.TextChoices):
    """Budget lines and spending by category (FIN-6), as in the quarterly statement."""

    OFFICE = "office", _("办公费")
    ACTIVITY = "activity", _("活动经费")
    SERVICE = "service", _("便民服务")
    RELIEF = "relief", _("救助慰问")
    CONSTRUCTION = "construction", _("社区建设与维修")
    ALLOWANCE = "allowance", _("工作补贴（交通、通讯、加班、出差）")
    STAFF_WELFARE = "staff_welfare", _("工作人员福利")
    OTHER = "other", _("其他支出")


class IncomeKind(models.TextChoices):
    WORKING_FUND = "working_fund", _("工作经费")
    SUBSIDY = "subsidy", _("上级补助")
    DONATION = "donation", _("捐赠")
    SERVICE_FEE = "service_fee", _("服务收费")
    FUND_RAISING = "fund_raising", _("公益募集")
    OTHER = "other", _("其他收入")


# FIN-5 (003 十四(三)): subsidies and donations are earmarked (专款专用).
EARMARKED_KINDS = frozenset({IncomeKind.SUBSIDY, IncomeKind.DONATION})
# FIN-8 (003 十八(五)) and FIN-10 (001 第三十二条): need a residents' assembly resolution.
RESOLUTION_KINDS = frozenset({IncomeKind.SERVICE_FEE, IncomeKind.FUND_RAISING})


class ClaimState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待主任审批")
    DIRECTOR_APPROVED = "director_approved", _("主任已审批")
    STREET_APPROVED = "street_approved", _("街道已会签")
    COLLECTIVE_REVIEWED = "collective_reviewed", _("监督小组已审议")
    PAID = "paid", _("已付款")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


# States in which a claim is on its way through the approvals.
PENDING_STATES = (
    ClaimState.SUBMITTED,
    ClaimState.DIRECTOR_APPROVED,
    ClaimState.STREET_APPROVED,
)
# States in which a claim may be fully approved (the last required step reached).
APPROVED_STATES = (
    ClaimState.DIRECTOR_APPROVED,
    ClaimState.STREET_APPROVED,
    ClaimState.COLLECTIVE_REVIEWED,
)
# Claims that no longer count against a budget line or an earmark.
DEAD_STATES = (ClaimState.DRAFT, ClaimState.REJECTED, ClaimState.WITHDRAWN)


class ApprovalStep(models.TextChoices):
    """FIN-3 (003 十四(四)): the cumulative approval tiers."""

    DIRECTOR = "director", _("社区主任审批")
    STREET = "street", _("街道主要负责人会签")
    COLLECTIVE = "collective", _("监督小组集体审议")


# The state a claim reaches when each step approves it.
STATE_AFTER_STEP = {
    ApprovalStep.DIRECTOR: ClaimState.DIRECTOR_APPROVED,
    ApprovalStep.STREET: ClaimState.STREET_APPROVED,
    ApprovalStep.COLLECTIVE: ClaimState.COLLECTIVE_REVIEWED,
}
# The state a claim waits in for each step.
STATE_BEFORE_STEP = {
    ApprovalStep.DIRECTOR: ClaimState.SUBMITTED,
    ApprovalStep.STREET: ClaimState.DIRECTOR_APPROVED,
    ApprovalStep.COLLECTIVE: ClaimState.STREET_APPROVED,
}


class Decision(models.TextChoices):
    APPROVE = "approve", _("同意")
    REJECT = "reject", _("不同意")


class BudgetState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已批准")


class StatementState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    STAMPED = "stamped", _("监管会已审核签章")
    PUBLISHED = "published", _("已公布")


class AllowanceKind(models.TextChoices):
    """FIN-9 (003 十四(五)): allowances whose standards the street sets."""

    TRANSPORT = "transport", _("交通费")
    COMMUNICATION = "communication", _("通讯费")
    OVERTIME = "overtime", _("加班费")
    TRAVEL = "travel", _("出差补贴")
    BONUS = "bonus", _("奖金")


class AttachmentKind(models.TextChoices):
    INVOICE = "invoice", _("发票")
    RECEIPT = "receipt", _("收据")
    OTHER = "other", _("其他凭证")


class EntryKind(models.TextChoices):
    INCOME = "income", _("收入")
    EXPENSE = "expense", _("支出")
    INTERNAL = "internal", _("现金存取（内部划转）")


class Direction(models.TextChoices):
    IN = "in", _("收入（借方）")
    OUT = "out", _("支出（贷方）")


def money(verbose, help_text="", **kwargs):
    """Money: Decimal(12, 2), never negative (a sign is a direction, not a value)."""
    return models.DecimalField(
        verbose,
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
        validators=[MinValueValidator(Decimal("0"))],
        **kwargs,
    )


def signed_money(verbose, help_text="", **kwargs):
    """Balances and differences, which may be negative."""
    return models.DecimalField(
        verbose, max_digits=14, decimal_places=2, help_text=help_text, **kwargs
    )
