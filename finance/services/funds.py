"""Money in and its plan (issue #6): the street-managed account (FIN-1/FIN-2), the yearly
working fund (FIN-1), incomes (FIN-5/FIN-8/FIN-10), the budget (FIN-6) and the street's
allowance standards (FIN-9)."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community
from core.errors import RuleViolation
from core.scoping import scope_for
from core.services import instance_save, require
from finance import rules
from finance.models import (
    BOOK_OF_METHOD,
    AllowanceStandard,
    Budget,
    BudgetLine,
    BudgetState,
    Direction,
    EntryKind,
    FundingAllocation,
    Income,
    IncomeKind,
    PaymentMethod,
)
from finance.services.common import (
    check_amount,
    check_not_future,
    journal_add,
    lock_books,
    require_account,
    require_street,
    street_perm,
)

# --- the account ------------------------------------------------------------------------------


def account_save(*, user, instance):
    """FIN-1/FIN-2: the street registers the one account of a community (the unique
    constraint refuses a second one with the rule's message)."""
    return instance_save(user=user, instance=instance)


# --- FIN-1 funding ----------------------------------------------------------------------------


@transaction.atomic
def funding_allocate(
    *, user, community: Community, year: int, received_on: dt.date | None = None
) -> FundingAllocation:
    """Record the year's working fund of a community, computed from its profile
    (rules.yearly_funding), as two incomes into the bank journal: the city's and the
    street's share. By the street (finance.add_fundingallocation through a street role);
    once per community and year."""
    community = Community.objects.select_related("profile", "street").get(pk=community.pk)
    require_street(user, "finance.add_fundingallocation", community)
    received_on = check_not_future(received_on, "received_on")
    if received_on.year != year:
        raise ValidationError({"received_on": _("到账日期应在经费所属年度内")})
    require_account(community.pk)
    lock_books(community.pk)
    if FundingAllocation.objects.filter(community=community, year=year).exists():
        raise RuleViolation(
            "FIN-1",
            _("%(community)s %(year)s 年工作经费已登记") % {"community": community, "year": year},
        )
    profile = community.profile
    funding = rules.yearly_funding(community.households, profile)
    allocation = FundingAllocation(
        community=community,
        year=year,
        basis=profile.funding_basis,
        households=community.households,
        standard=profile.funding_amount,
        total=funding.total,
        city_share=funding.city,
        street_share=funding.street,
        allocated_by=user,
        received_on=received_on,
    )
    allocation.full_clean()
    allocation.save()
    for share, source in ((funding.city, _("市级财政")), (funding.street, _("街道办事处"))):
        if share <= 0:
            continue
        income = Income(
            community=community,
            kind=IncomeKind.WORKING_FUND,
            amount=share,
            received_on=received_on,
            method=PaymentMethod.TRANSFER,
            source=source,
            allocation=allocation,
            recorded_by=user,
            note=_("%(year)s 年工作经费（FIN-1）") % {"year": year},
        )
        income.full_clean()
        income.save()
        _journal_for_income(user, income)
    return allocation


# --- incomes (FIN-5/FIN-8/FIN-10) ---------------------------------------------------------------


def _check_paid_service(income: Income) -> None:
    """FIN-8: a fee of a paid service is a SERVICE_FEE income of the same community and
    carries the service's assembly resolution unless another is given."""
    service = income.paid_service
    if service.community_id != income.community_id:
        raise ValidationError({"paid_service": _("有偿服务项目不属于本社区")})
    if income.kind != IncomeKind.SERVICE_FEE:
        raise ValidationError({"kind": _("有偿服务项目的收入应登记为“服务收费”")})
    if not (income.resolution_ref or "").strip():
        income.resolution_ref = service.resolution_ref
    if not income.earmark_category:
        income.earmark_category = service.use_of_fees


def _check_income(income: Income) -> None:
    check_amount(income.amount)
    if income.paid_service_id:
        _check_paid_service(income)
    kind = income.kind
    if rules.needs_earmark(kind) and not income.earmark_category:
        raise RuleViolation(
            "FIN-5",
            _("补助、捐赠应注明限定用途，专款专用（003 十四(三)）"),
            field="earmark_category",
        )
    if rules.needs_earmark(kind):
        if income.document_amount is None:
            raise RuleViolation(
                "FIN-5", _("请填写来款凭证金额（全额入账）"), field="document_amount"
            )
        if not rules.recorded_in_full(income.amount, income.document_amount):
            raise RuleViolation(
                "FIN-5",
                _("入账金额 %(amount)s 元与来款凭证金额 %(doc)s 元不符，补助、捐赠应全额入账")
                % {"amount": income.amount, "doc": income.document_amount},
                field="amount",
            )
    if kind == IncomeKind.FUND_RAISING and not income.resolution_ref.strip():
        raise RuleViolation(
            "FIN-10",
            _("公益募集须经居民（代表）会议决定，请填写决议文号（001 第三十二条）"),
            field="resolution_ref",
        )
    if kind == IncomeKind.SERVICE_FEE:
        if not income.resolution_ref.strip():
            raise RuleViolation(
                "FIN-8",
                _("有偿服务收费须经居民代表会议议定，请填写决议文号（003 十八(五)）"),
                field="resolution_ref",
            )
        if not rules.service_fee_use_allowed(income.earmark_category):
            raise RuleViolation(
                "FIN-8",
                _("服务收费必须用于社区建设，不得用于社区工作人员福利（003 十八(五)）"),
                field="earmark_category",
            )
    if kind == IncomeKind.WORKING_FUND:
        raise ValidationError({"kind": _("工作经费请通过“年度工作经费拨付”登记")})


def income_validate(*, user, instance: Income) -> None:
    """The checks of income_record without writing (forms)."""
    if instance.pk is not None:
        raise ValidationError(_("收入登记后不能修改；如有错误请登记更正分录"))
    _check_income(instance)


def _journal_for_income(user, income: Income) -> None:
    journal_add(
        user=user,
        community_id=income.community_id,
        book=BOOK_OF_METHOD[income.method],
        entry_date=income.received_on,
        kind=EntryKind.INCOME,
        direction=Direction.IN,
        amount=income.amount,
        income_kind=income.kind,
        earmark_category=income.earmark_category,
        summary=(f"{income.get_kind_display()} {income.earmark_purpose or income.note}")[:200],
        counterparty=income.source,
        income=income,
    )


@transaction.atomic
def income_record(*, user, instance: Income) -> Income:
    """Record money received, in full, with its journal line; never edited afterwards."""
    if instance.pk is not None:
        raise ValidationError(_("收入登记后不能修改；如有错误请登记更正分录"))
    require(user, "finance.add_income", instance)
    instance.recorded_by = user
    instance.received_on = check_not_future(instance.received_on, "received_on")
    _check_income(instance)
    if instance.method == PaymentMethod.TRANSFER:
        require_account(instance.community_id)
    instance.full_clean()
    lock_books(instance.community_id)
    instance.save()
    _journal_for_income(user, instance)
    return instance


# --- FIN-6 budget -----------------------------------------------------------------------------


def _require_draft(budget: Budget) -> None:
    if budget.state != BudgetState.DRAFT:
        raise RuleViolation("FIN-6", _("预算已批准，不能再修改预算项目和金额"))


@transaction.atomic
def budget_save(*, user, instance: Budget, lines=None) -> Budget:
    """Create or change a draft budget; `lines` (optional) is a list of dicts with category,
    name and amount that replaces the draft's lines."""
    if instance.pk is not None:
        current = Budget.objects.select_for_update().filter(pk=instance.pk).first()
        if current is None:
            raise Http404
        require(user, "finance.change_budget", current)
        _require_draft(current)
        if current.community_id != instance.community_id or current.year != instance.year:
            raise ValidationError(_("预算的社区和年度不能修改"))
        current.note = instance.note
        instance = current
    else:
        require(user, "finance.add_budget", instance)
    instance.full_clean()
    instance.save()
    if lines is not None:
        instance.lines.all().delete()
        for data in lines:
            line = BudgetLine(budget=instance, community_id=instance.community_id, **data)
            line.full_clean()
            line.save()
    return instance


def budget_line_validate(*, user, instance: BudgetLine) -> None:
    budget = instance.budget
    if instance.pk is None:
        _require_draft(budget)
        return
    current = BudgetLine.objects.filter(pk=instance.pk).first()
    if current is None:
        return
    changed = any(
        getattr(current, f) != getattr(instance, f) for f in ("category", "name", "amount")
    )
    if changed:
        _require_draft(budget)


@transaction.atomic
def budget_line_save(*, user, instance: BudgetLine) -> BudgetLine:
    """A line of a draft budget; after approval only its variance explanation (FIN-6 决算
    分析) may change."""
    budget = Budget.objects.select_for_update().get(pk=instance.budget_id)
    instance.community_id = budget.community_id
    require(user, f"finance.{'change' if instance.pk else 'add'}_budgetline", instance)
    budget_line_validate(user=user, instance=instance)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def budget_line_delete(*, user, instance: BudgetLine) -> None:
    budget = Budget.objects.select_for_update().get(pk=instance.budget_id)
    require(user, "finance.delete_budgetline", instance)
    _require_draft(budget)
    if instance.claims.exists():
        raise ValidationError(_("已有报销单使用该预算项目，不能删除"))
    instance.delete()


@transaction.atomic
def budget_delete(*, user, instance: Budget) -> None:
    budget = Budget.objects.select_for_update().get(pk=instance.pk)
    require(user, "finance.delete_budget", budget)
    _require_draft(budget)
    if BudgetLine.objects.filter(budget=budget, claims__isnull=False).exists():
        raise ValidationError(_("已有报销单使用该预算，不能删除"))
    budget.delete()


@transaction.atomic
def budget_approve(*, user, budget: Budget) -> Budget:
    """FIN-6 (003 十四(六) 年初制定预算): draft → approved, by the street principal (FIN-2
    三级联管审核). From here claims may be submitted against its lines."""
    current = Budget.objects.filter(pk=budget.pk).select_related("community").first()
    if current is None:
        raise Http404
    require_street(user, "finance.approve_budget", current.community)
    budget = Budget.objects.select_for_update().get(pk=budget.pk)
    _require_draft(budget)
    if not budget.lines.exists():
        raise RuleViolation("FIN-6", _("预算没有任何项目，不能批准"))
    budget.state = BudgetState.APPROVED
    budget.approved_at = timezone.now()
    budget.approved_by = user
    budget.save()
    return budget


@transaction.atomic
def budget_line_explain(*, user, line: BudgetLine, explanation: str) -> BudgetLine:
    """FIN-6 final accounts: the written analysis of a line's execution."""
    line = BudgetLine.objects.select_for_update().get(pk=line.pk)
    require(user, "finance.change_budgetline", line)
    line.explanation = (explanation or "").strip()
    line.save(update_fields=["explanation", "updated_at"])
    return line


# --- FIN-9 allowance standards (street data) ---------------------------------------------------


def _require_street_data(user, action: str, street_id: int | None) -> None:
    scope = scope_for(user)
    if scope.everything:
        return
    if street_id is None or street_id not in scope.street_ids:
        raise Http404
    if not street_perm(user, f"finance.{action}_allowancestandard", street_id):
        raise PermissionDenied(_("补贴标准由街道制定"))


@transaction.atomic
def allowance_standard_save(*, user, instance: AllowanceStandard) -> AllowanceStandard:
    if instance.pk:
        old = AllowanceStandard.objects.filter(pk=instance.pk).values_list("street_id", flat=True)
        old_street = old.first()
        if old_street is not None and old_street != instance.street_id:
            _require_street_data(user, "change", old_street)
    _require_street_data(user, "change" if instance.pk else "add", instance.street_id)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def allowance_standard_delete(*, user, instance: AllowanceStandard) -> None:
    _require_street_data(user, "delete", instance.street_id)
    if instance.claims.exists():
        raise ValidationError(_("已有报销单使用该标准，不能删除"))
    instance.delete()


def allowance_standard_validate(*, user, instance) -> None:
    """Nothing beyond the model's validation; the grant is checked on save."""


__all__ = [
    "account_save",
    "allowance_standard_delete",
    "allowance_standard_save",
    "allowance_standard_validate",
    "budget_approve",
    "budget_delete",
    "budget_line_delete",
    "budget_line_explain",
    "budget_line_save",
    "budget_line_validate",
    "budget_save",
    "funding_allocate",
    "income_record",
    "income_validate",
]
