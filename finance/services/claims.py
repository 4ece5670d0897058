"""Expense claims (issue #6), the claimant's side: create and edit while a draft, invoices,
submit (FIN-3 steps fixed, FIN-4/5/6/8/9 checked), withdraw. The approvers' and the
cashier's side is in finance/services/approvals.py.

Every transition re-reads the claim under a row lock (select_for_update) after checking
that the user may see it, so two approvers at once produce exactly one transition: the
second waits for the first to commit, then finds the step decided and is refused. The
django-fsm transition methods on ExpenseClaim are called only from here.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from core.errors import RuleViolation
from core.services import require
from finance import rules
from finance.models import (
    ATTACHMENT_EXTENSIONS,
    ATTACHMENT_MAX_BYTES,
    DEAD_STATES,
    AllowanceKind,
    ApprovalStep,
    AttachmentKind,
    BudgetState,
    ClaimAttachment,
    ClaimState,
    ExpenseCategory,
    ExpenseClaim,
    Income,
    IncomeKind,
    PaymentMethod,
)
from finance.services.common import (
    ZERO,
    check_amount,
)

# The fields a claimant fills in; the rest is derived or set by the transitions.
CLAIM_FIELDS = (
    "payee",
    "purpose",
    "amount",
    "expense_date",
    "budget_line",
    "payment_method",
    "funded_by",
    "allowance_standard",
    "allowance_units",
    "large_amount_confirmed",
    "note",
)

STEP_PERMS = {
    ApprovalStep.DIRECTOR: "finance.director_approve_expenseclaim",
    ApprovalStep.STREET: "finance.street_approve_expenseclaim",
    ApprovalStep.COLLECTIVE: "finance.collective_review_expenseclaim",
}


# --- locking --------------------------------------------------------------------------------


def _locked(user, claim: ExpenseClaim) -> ExpenseClaim:
    """The claim re-read under a row lock, after checking the user may see it (another
    community's claim: 404)."""
    current = ExpenseClaim.objects.filter(pk=claim.pk).only("pk", "community_id").first()
    if current is None:
        raise Http404
    require(user, "finance.view_expenseclaim", current)
    return (
        ExpenseClaim.objects.select_for_update(of=("self",))
        .select_related("community__street", "community__profile", "budget_line__budget")
        .get(pk=claim.pk)
    )


def _transition(claim: ExpenseClaim, name: str, **kwargs) -> None:
    try:
        getattr(claim, name)(**kwargs)
    except TransitionNotAllowed:
        raise RuleViolation(
            "FIN-3",
            _("报销单当前状态为“%(state)s”，不能执行此操作") % {"state": claim.get_state_display()},
        ) from None


# --- validation of the claim's content --------------------------------------------------------


def _validate_content(claim: ExpenseClaim) -> None:
    """What a claim must satisfy while a draft and again at submission."""
    amount = check_amount(claim.amount)
    line = claim.budget_line
    if line is None:
        raise ValidationError({"budget_line": _("请选择预算项目")})
    if line.community_id != claim.community_id:
        raise RuleViolation("FIN-6", _("预算项目不属于本社区"), field="budget_line")
    claim.category = line.category
    if rules.needs_large_confirmation(amount) and not claim.large_amount_confirmed:
        raise ValidationError(
            {
                "large_amount_confirmed": _(
                    "金额 %(amount)s 元超过 100 万元，请核对后勾选“已二次确认大额”"
                )
                % {"amount": amount}
            }
        )
    profile = claim.community.profile
    if claim.payment_method == PaymentMethod.CASH and rules.needs_transfer(amount, profile):
        raise RuleViolation(
            "FIN-4",
            _("%(limit)s元以上的支出不得使用现金，应转账支付（003 十四(二)）")
            % {"limit": profile.cash_limit},
            field="payment_method",
        )
    fund = claim.funded_by
    if fund is not None:
        if fund.community_id != claim.community_id:
            raise RuleViolation("FIN-5", _("专项资金不属于本社区"), field="funded_by")
        if not rules.earmark_allows(fund.earmark_category, claim.category):
            raise RuleViolation(
                "FIN-5",
                _("该专项资金限定用于“%(purpose)s”，不能用于“%(category)s”（专款专用）")
                % {
                    "purpose": ExpenseCategory(fund.earmark_category).label,
                    "category": ExpenseCategory(claim.category).label,
                },
                field="funded_by",
            )
        if fund.kind == IncomeKind.SERVICE_FEE and not rules.service_fee_use_allowed(
            claim.category
        ):
            raise RuleViolation(
                "FIN-8",
                _("服务收费必须用于社区建设，不得用于社区工作人员福利（003 十八(五)）"),
                field="funded_by",
            )
    if claim.category == ExpenseCategory.ALLOWANCE:
        _check_allowance(claim, amount)
    elif claim.allowance_standard_id:
        raise ValidationError({"allowance_standard": _("只有补贴类支出需要选择补贴标准")})


def _check_allowance(claim: ExpenseClaim, amount: Decimal) -> None:
    """FIN-9 (003 十四(五)): at most the street's standard × persons·months."""
    standard = claim.allowance_standard
    if standard is None:
        raise RuleViolation(
            "FIN-9", _("补贴类支出须选择街道制定的补贴标准"), field="allowance_standard"
        )
    if standard.street_id != claim.community.street_id:
        raise RuleViolation("FIN-9", _("补贴标准不是本街道制定的"), field="allowance_standard")
    if claim.expense_date and standard.year != claim.expense_date.year:
        raise RuleViolation(
            "FIN-9",
            _("补贴标准年度（%(year)s）与支出日期不符") % {"year": standard.year},
            field="allowance_standard",
        )
    units = claim.allowance_units or 1
    if not rules.allowance_within_standard(amount, standard.amount, units):
        raise RuleViolation(
            "FIN-9",
            _(
                "%(kind)s %(amount)s 元超过街道标准 %(standard)s 元 × %(units)s 人·月"
                " = %(cap)s 元，社区不得擅自提高标准"
            )
            % {
                "kind": AllowanceKind(standard.kind).label,
                "amount": amount,
                "standard": standard.amount,
                "units": units,
                "cap": rules.allowance_cap(standard.amount, units),
            },
            field="amount",
        )


def claim_validate(*, user, instance: ExpenseClaim) -> None:
    """The checks of claim_save without writing (admin and portal forms)."""
    if instance.pk is not None:
        current = ExpenseClaim.objects.filter(pk=instance.pk).first()
        if current is not None and current.state != ClaimState.DRAFT:
            raise _not_draft(current)
    if instance.community_id is None:
        raise ValidationError({"community": _("请选择社区")})
    _validate_content(instance)


def _not_draft(claim: ExpenseClaim) -> RuleViolation:
    return RuleViolation(
        "FIN-3",
        _("报销单已提交（当前：%(state)s），不能再修改") % {"state": claim.get_state_display()},
    )


# --- create, edit, attachments ----------------------------------------------------------------


@transaction.atomic
def claim_save(*, user, instance: ExpenseClaim, files: Iterable = ()) -> ExpenseClaim:
    """Create a draft claim (the user is the claimant) or change one's own draft; upload its
    invoices. Refused once submitted. All or nothing: a bad invoice saves nothing."""
    if instance.pk is None:
        require(user, "finance.add_expenseclaim", instance)
        instance.claimant = user
        claim = instance
    else:
        claim = _locked(user, instance)
        require(user, "finance.change_expenseclaim", claim)
        if claim.claimant_id != user.pk:
            raise PermissionDenied(_("只能修改本人的报销单"))
        if claim.state != ClaimState.DRAFT:
            raise _not_draft(claim)
        for name in CLAIM_FIELDS:
            setattr(claim, name, getattr(instance, name))
    _validate_content(claim)
    claim.full_clean(exclude=["claimant", "state"])
    claim.save()
    instance.pk, instance.category = claim.pk, claim.category
    for upload in files:
        attachment_add(user=user, claim=claim, upload=upload)
    return claim


def check_upload(upload) -> str:
    """Type and size of an invoice file: .jpg/.jpeg/.png/.pdf whose content agrees, at most
    5 MB. Returns the content type; raises a Chinese ValidationError on `file`."""
    name = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", 0) or 0
    if size <= 0:
        raise ValidationError({"file": _("文件为空")})
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("文件“%(name)s”过大（%(size)s MB），每个文件不能超过 5 MB")
                % {"name": name, "size": round(size / 1024 / 1024, 1)}
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = rules.sniff_attachment(name, head)
    if content_type is None:
        raise ValidationError(
            {
                "file": _("文件“%(name)s”不是有效的 %(types)s 文件")
                % {"name": name, "types": "/".join(ATTACHMENT_EXTENSIONS).upper()}
            }
        )
    return content_type


@transaction.atomic
def attachment_add(
    *, user, claim: ExpenseClaim, upload, kind: str = AttachmentKind.INVOICE
) -> ClaimAttachment:
    """Attach an invoice or receipt to one's own draft claim."""
    claim = _locked(user, claim)
    require(user, "finance.add_claimattachment", claim)
    if claim.claimant_id != user.pk:
        raise PermissionDenied(_("只能为本人的报销单上传凭证"))
    if claim.state != ClaimState.DRAFT:
        raise _not_draft(claim)
    content_type = check_upload(upload)
    original = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:200]
    ext = original.rsplit(".", 1)[-1].lower()
    attachment = ClaimAttachment(
        claim=claim,
        kind=kind,
        original_name=original,
        content_type=content_type,
        size=upload.size,
        uploaded_by=user,
    )
    # The stored name is ours (no user-chosen path or extension beyond the checked one).
    attachment.file.save(f"{timezone.now():%Y%m%d%H%M%S%f}.{ext}", upload, save=False)
    attachment.full_clean(exclude=["file"])
    attachment.save()
    return attachment


@transaction.atomic
def attachment_delete(*, user, instance: ClaimAttachment) -> None:
    claim = _locked(user, instance.claim)
    if claim.claimant_id != user.pk:
        raise PermissionDenied(_("只能删除本人报销单的凭证"))
    if claim.state != ClaimState.DRAFT:
        raise _not_draft(claim)
    instance.file.delete(save=False)
    instance.delete()


# --- submission -------------------------------------------------------------------------------


def _earmark_committed(fund: Income, *, exclude_pk: int | None) -> Decimal:
    qs = ExpenseClaim.objects.filter(funded_by=fund).exclude(state__in=DEAD_STATES)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(total=Sum("amount"))["total"] or ZERO


@transaction.atomic
def claim_submit(*, user, claim: ExpenseClaim) -> ExpenseClaim:
    """Draft → submitted, by the claimant. The FIN-3 steps are computed from the amount and
    the community's profile now and fixed on the claim."""
    claim = _locked(user, claim)
    if claim.claimant_id != user.pk:
        raise PermissionDenied(_("只能提交本人的报销单"))
    if claim.state != ClaimState.DRAFT:
        raise RuleViolation(
            "FIN-3",
            _("只有草稿状态的报销单可以提交（当前：%(state)s）")
            % {"state": claim.get_state_display()},
        )
    _validate_content(claim)
    budget = claim.budget_line.budget
    if budget.state != BudgetState.APPROVED:
        raise RuleViolation(
            "FIN-6",
            _("%(year)s 年预算尚未批准，不能提交报销（003 十四(六)）") % {"year": budget.year},
            field="budget_line",
        )
    if claim.expense_date.year != budget.year:
        raise RuleViolation(
            "FIN-6",
            _("支出日期不在预算年度（%(year)s 年）内") % {"year": budget.year},
            field="expense_date",
        )
    if not claim.attachments.exists():
        raise RuleViolation("FIN-11", _("请上传发票或收据后再提交（账证相符）"), field="file")
    if claim.funded_by_id:
        fund = Income.objects.select_for_update().get(pk=claim.funded_by_id)
        committed = _earmark_committed(fund, exclude_pk=claim.pk)
        if committed + claim.amount > fund.amount:
            raise RuleViolation(
                "FIN-5",
                _("专项资金“%(fund)s”可用余额 %(left)s 元，不足 %(amount)s 元")
                % {"fund": fund, "left": fund.amount - committed, "amount": claim.amount},
                field="funded_by",
            )
    profile = claim.community.profile
    steps = rules.required_approvals(claim.amount, profile)
    _transition(
        claim,
        "submit",
        at=timezone.now(),
        needs_street=ApprovalStep.STREET in steps,
        needs_collective=ApprovalStep.COLLECTIVE in steps,
        params=rules.tier_params(profile),
    )
    claim.save()
    return claim


@transaction.atomic
def claim_withdraw(*, user, claim: ExpenseClaim) -> ExpenseClaim:
    """A draft, or a submitted claim nobody has approved yet, is withdrawn by its claimant."""
    claim = _locked(user, claim)
    if claim.claimant_id != user.pk:
        raise PermissionDenied(_("只能撤回本人的报销单"))
    _transition(claim, "withdraw", at=timezone.now())
    claim.save()
    return claim


__all__ = [
    "CLAIM_FIELDS",
    "attachment_add",
    "attachment_delete",
    "check_upload",
    "claim_save",
    "claim_submit",
    "claim_validate",
    "claim_withdraw",
]
