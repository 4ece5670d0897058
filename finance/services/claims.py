"""Expense claims (issue #6): create and edit while a draft, submit (FIN-3 steps fixed,
FIN-4/5/6/8/9 checked), approve or reject step by step, the collective review, withdraw,
pay (cashier), invoices.

Every transition re-reads the claim under a row lock (select_for_update) after checking
that the user may see it, so two approvers at once produce exactly one transition: the
second waits for the first to commit, then finds the step decided and is refused. The
django-fsm transition methods on ExpenseClaim are called only from here.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from core.errors import RuleViolation
from core.models import Role, RoleAssignment
from core.scoping import can
from core.services import require
from finance import rules
from finance.models import (
    ATTACHMENT_EXTENSIONS,
    ATTACHMENT_MAX_BYTES,
    BOOK_OF_METHOD,
    DEAD_STATES,
    STATE_BEFORE_STEP,
    AllowanceKind,
    ApprovalRecord,
    ApprovalStep,
    AttachmentKind,
    BudgetState,
    ClaimAttachment,
    ClaimState,
    Decision,
    Direction,
    EntryKind,
    ExpenseCategory,
    ExpenseClaim,
    Income,
    IncomeKind,
    Payment,
    PaymentMethod,
    ReviewVote,
)
from finance.services.common import (
    ZERO,
    check_amount,
    check_not_future,
    holds_bookkeeping_post,
    journal_add,
    lock_books,
    require_account,
    require_covered,
    street_perm,
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
# A collective review (集体研究审核) needs at least this many members present: one person
# is not a collective. Not a seed number; RULES.md FIN-3 names only "集体研究".
COLLECTIVE_MIN_PRESENT = 2

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


# --- approvals --------------------------------------------------------------------------------


def _check_approver(user, claim: ExpenseClaim, step: str) -> None:
    """FIN-3: who may decide `step` of `claim`."""
    if claim.claimant_id == user.pk:
        raise RuleViolation("FIN-3", _("不得审批本人提交的报销单"))
    if holds_bookkeeping_post(user, claim.community_id):
        raise RuleViolation(
            "FIN-3",
            _("会计、出纳不得审批报销单（003 十四(一) 负责人、会计、出纳职责分离）"),
        )
    perm = STEP_PERMS[step]
    if step == ApprovalStep.DIRECTOR:
        allowed = can(user, perm, claim)
    else:
        allowed = street_perm(user, perm, claim.community.street_id)
    if not allowed:
        raise PermissionDenied(
            _("您没有“%(step)s”环节的审批权限") % {"step": ApprovalStep(step).label}
        )
    if claim.approvals.filter(user=user).exclude(step=step).exists():
        raise RuleViolation("FIN-3", _("同一人不能审批同一报销单的两个环节"))


def _check_waiting(claim: ExpenseClaim, step: str) -> None:
    if claim.next_step != step:
        if claim.approvals.filter(step=step).exists():
            raise RuleViolation(
                "FIN-3",
                _("该报销单的“%(step)s”已经办理，不能重复审批")
                % {"step": ApprovalStep(step).label},
            )
        raise RuleViolation(
            "FIN-3",
            _("该报销单当前不在“%(step)s”环节（当前：%(state)s）")
            % {"step": ApprovalStep(step).label, "state": claim.get_state_display()},
        )


TRANSITION_OF_STEP = {
    ApprovalStep.DIRECTOR: "approve_director",
    ApprovalStep.STREET: "approve_street",
}


@transaction.atomic
def claim_approve(*, user, claim: ExpenseClaim, step: str, comment: str = "") -> ExpenseClaim:
    """Approve the director's or the street principal's step (the step the user saw, so a
    second click or a second approver is refused rather than approving the next step)."""
    if step not in TRANSITION_OF_STEP:
        raise ValidationError(_("集体审议请填写出席成员及表决意见"))
    claim = _locked(user, claim)
    _check_approver(user, claim, step)
    _check_waiting(claim, step)
    now = timezone.now()
    ApprovalRecord.objects.create(
        claim=claim, step=step, decision=Decision.APPROVE, user=user, comment=comment, at=now
    )
    _transition(claim, TRANSITION_OF_STEP[step], by=user, at=now)
    claim.save()
    return claim


@transaction.atomic
def claim_reject(*, user, claim: ExpenseClaim, step: str, reason: str) -> ExpenseClaim:
    """Reject at the director's or the street principal's step, with the reason."""
    if step not in TRANSITION_OF_STEP:
        raise ValidationError(_("集体审议请填写出席成员及表决意见"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写驳回理由")})
    claim = _locked(user, claim)
    _check_approver(user, claim, step)
    _check_waiting(claim, step)
    now = timezone.now()
    ApprovalRecord.objects.create(
        claim=claim, step=step, decision=Decision.REJECT, user=user, comment=reason, at=now
    )
    _transition(claim, "reject", by=user, at=now, reason=reason)
    claim.save()
    return claim


def supervision_members(street_id: int):
    """The users holding the supervision-committee role at a street (FIN-3 collective step)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            role_assignments__role=Role.SUPERVISION_MEMBER, role_assignments__street_id=street_id
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@transaction.atomic
def claim_review_collective(
    *, user, claim: ExpenseClaim, votes: Mapping[int, str], comment: str = ""
) -> ExpenseClaim:
    """FIN-3 collective review (003 十四(四) 集体研究审核), recorded by a supervision member who
    was present: the members present (`votes`: user id → approve/reject) and their votes.
    More than half in favour (过半数) approves; otherwise the claim is rejected."""
    claim = _locked(user, claim)
    step = ApprovalStep.COLLECTIVE
    _check_approver(user, claim, step)
    _check_waiting(claim, step)
    votes = {int(k): v for k, v in votes.items()}
    if user.pk not in votes:
        raise ValidationError({"votes": _("记录人须为出席成员")})
    if len(votes) < COLLECTIVE_MIN_PRESENT:
        raise ValidationError(
            {"votes": _("集体审议须至少 %(n)s 名成员出席") % {"n": COLLECTIVE_MIN_PRESENT}}
        )
    if any(v not in Decision.values for v in votes.values()):
        raise ValidationError({"votes": _("表决意见应为同意或不同意")})
    if claim.claimant_id in votes:
        raise RuleViolation("FIN-3", _("报销人不得参加本人报销单的集体审议"))
    members = set(
        RoleAssignment.objects.filter(
            role=Role.SUPERVISION_MEMBER, street_id=claim.community.street_id, user_id__in=votes
        ).values_list("user_id", flat=True)
    )
    if set(votes) - members:
        raise ValidationError({"votes": _("出席人员须为本街道监管会成员")})
    approvals = sum(1 for v in votes.values() if v == Decision.APPROVE)
    approved = approvals * 2 > len(votes)
    now = timezone.now()
    record = ApprovalRecord.objects.create(
        claim=claim,
        step=step,
        decision=Decision.APPROVE if approved else Decision.REJECT,
        user=user,
        comment=comment,
        at=now,
    )
    ReviewVote.objects.bulk_create(
        ReviewVote(record=record, member_id=member, decision=decision)
        for member, decision in sorted(votes.items())
    )
    if approved:
        _transition(claim, "review_collective", by=user, at=now)
    else:
        reason = comment.strip() or _(
            "监督小组集体审议未通过（同意 %(yes)s 人，出席 %(n)s 人）"
        ) % {"yes": approvals, "n": len(votes)}
        _transition(claim, "reject", by=user, at=now, reason=reason)
    claim.save()
    return claim


def may_decide(user, claim: ExpenseClaim) -> bool:
    """Whether the user could decide the step the claim waits for (for buttons; the service
    checks again)."""
    step = claim.next_step
    if step is None or claim.claimant_id == user.pk:
        return False
    if step == ApprovalStep.DIRECTOR:
        return can(user, STEP_PERMS[step], claim)
    return street_perm(user, STEP_PERMS[step], claim.community.street_id)


# --- payment ----------------------------------------------------------------------------------


@transaction.atomic
def claim_pay(
    *,
    user,
    claim: ExpenseClaim,
    amount=None,
    method: str | None = None,
    paid_on=None,
    reference: str = "",
) -> Payment:
    """The cashier pays a fully approved claim (in one or more payments, never more than its
    amount), by transfer from the cash limit fixed at submission (FIN-4); the payment makes
    its journal line (FIN-11). The last payment marks the claim paid."""
    claim = _locked(user, claim)
    if not can(user, "finance.pay_expenseclaim", claim):
        raise PermissionDenied(_("只有本社区出纳可以付款"))
    if claim.claimant_id == user.pk:
        raise ValidationError(_("出纳不得为本人的报销单付款"))
    if not claim.is_fully_approved:
        raise RuleViolation(
            "FIN-3",
            _("报销单尚未完成全部审批（当前：%(state)s），不能付款")
            % {"state": claim.get_state_display()},
        )
    method = method or claim.payment_method
    if method not in PaymentMethod.values:
        raise ValidationError({"method": _("支付方式不正确")})
    limit = Decimal(claim.steps_params.get("cash_limit", claim.community.profile.cash_limit))
    if method == PaymentMethod.CASH and claim.amount >= limit:
        raise RuleViolation(
            "FIN-4",
            _("%(limit)s元以上的支出不得使用现金，应转账支付（003 十四(二)）") % {"limit": limit},
            field="method",
        )
    lock_books(claim.community_id)
    paid = claim.payments.aggregate(total=Sum("amount"))["total"] or ZERO
    amount = claim.amount - paid if amount in (None, "") else check_amount(amount)
    if paid + amount > claim.amount:
        raise RuleViolation(
            "FIN-11",
            _("付款合计 %(total)s 元将超过报销金额 %(amount)s 元（已付 %(paid)s 元）")
            % {"total": paid + amount, "amount": claim.amount, "paid": paid},
            field="amount",
        )
    paid_on = check_not_future(paid_on, "paid_on")
    book = BOOK_OF_METHOD[method]
    if method == PaymentMethod.TRANSFER:
        require_account(claim.community_id)
    require_covered(claim.community_id, book, amount)
    payment = Payment(
        community_id=claim.community_id,
        claim=claim,
        amount=amount,
        method=method,
        paid_on=paid_on,
        paid_by=user,
        reference=reference or "",
    )
    payment.full_clean()
    payment.save()
    journal_add(
        user=user,
        community_id=claim.community_id,
        book=book,
        entry_date=paid_on,
        kind=EntryKind.EXPENSE,
        direction=Direction.OUT,
        amount=amount,
        category=claim.category,
        earmark_category=claim.funded_by.earmark_category if claim.funded_by_id else "",
        summary=(_("报销 #%(pk)s %(purpose)s") % {"pk": claim.pk, "purpose": claim.purpose})[:200],
        counterparty=claim.payee,
        payment=payment,
    )
    if paid + amount == claim.amount:
        _transition(claim, "mark_paid", at=timezone.now())
        claim.save()
    return payment


__all__ = [
    "CLAIM_FIELDS",
    "COLLECTIVE_MIN_PRESENT",
    "STATE_BEFORE_STEP",
    "attachment_add",
    "attachment_delete",
    "check_upload",
    "claim_approve",
    "claim_pay",
    "claim_reject",
    "claim_review_collective",
    "claim_save",
    "claim_submit",
    "claim_validate",
    "claim_withdraw",
    "may_decide",
    "supervision_members",
]
