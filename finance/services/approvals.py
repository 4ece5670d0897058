"""Expense claims (issue #6), the approvers' and the cashier's side: approve or reject the
director's and the street principal's steps, the supervision committee's collective review
(members present and their votes), and payment by the cashier (FIN-3/FIN-4/FIN-11).

Every decision re-reads the claim under a row lock (select_for_update, claims._locked) after
checking that the user may see it, so two approvers at once produce exactly one transition:
the second waits for the first to commit, then finds the step decided and is refused."""

from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.models import Role, RoleAssignment
from core.scoping import can
from finance.models import (
    BOOK_OF_METHOD,
    ApprovalRecord,
    ApprovalStep,
    Decision,
    Direction,
    EntryKind,
    ExpenseClaim,
    Payment,
    PaymentMethod,
    ReviewVote,
)
from finance.services.claims import STEP_PERMS, _locked, _transition
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

# A collective review (集体研究审核) needs at least this many members present: one person
# is not a collective. Not a seed number; RULES.md FIN-3 names only "集体研究".
COLLECTIVE_MIN_PRESENT = 2


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
    "COLLECTIVE_MIN_PRESENT",
    "claim_approve",
    "claim_pay",
    "claim_reject",
    "claim_review_collective",
    "may_decide",
    "supervision_members",
]
