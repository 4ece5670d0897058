"""Expense claims through finance.services: FIN-3 tiers fixed at submission, FIN-4 cash
limit, who may approve, double approval, payment, bad input (issue #6)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from core.errors import RuleViolation
from core.models import PolicyProfile, Role
from finance import services
from finance.models import (
    ApprovalRecord,
    ClaimAttachment,
    ClaimState,
    ExpenseCategory,
    ExpenseClaim,
    Income,
    IncomeKind,
    JournalEntry,
    Payment,
    PaymentMethod,
)
from tests.factories import CommunityFactory, user_with_role
from tests.finance.conftest import _income, make_fin
from tests.finance.factories import (
    JPEG,
    AllowanceStandardFactory,
    BudgetLineFactory,
    ExpenseClaimFactory,
    pdf,
    today,
)

D = Decimal
STEPS = {
    "director": ("director",),
    "street": ("director", "street"),
    "collective": ("director", "street", "collective"),
}


def _messages(exc) -> str:
    return " ".join(exc.value.messages)


# --- FIN-3 -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount, steps",
    [
        ("299.99", "director"),
        ("300.00", "street"),
        ("999.99", "street"),
        ("1000.00", "collective"),
        ("1000.01", "collective"),
    ],
)
def test_fin3_steps_fixed_at_submission_at_the_default_boundaries(fin, amount, steps):
    claim = fin.submitted(amount)
    assert claim.state == ClaimState.SUBMITTED
    assert claim.required_steps == STEPS[steps]
    assert claim.steps_params["approval_street_from"] == "300.00"


def _profile(**values):
    n = PolicyProfile.objects.count()
    profile = PolicyProfile.objects.create(code=f"fin{n}", name=f"财务方案{n}", **values)
    return profile


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount, steps",
    [
        ("499.99", "director"),
        ("500.00", "street"),
        ("1999.99", "street"),
        ("2000.00", "collective"),
        ("2000.01", "collective"),
    ],
)
def test_fin3_steps_at_a_profiles_own_boundaries(amount, steps):
    profile = _profile(
        approval_street_from=D("500"), approval_collective_from=D("2000"), cash_limit=D("2000")
    )
    fin = make_fin(CommunityFactory(profile=profile))
    claim = fin.submitted(amount)
    assert claim.required_steps == STEPS[steps]


@pytest.mark.django_db
def test_fin3_profile_change_after_submission_does_not_change_the_claim(fin):
    claim = fin.submitted("500.00")
    profile = fin.community.profile
    if profile.is_preset:  # presets are shared: give the community its own copy first
        profile = _profile()
        fin.community.profile = profile
        fin.community.save()
    profile.approval_street_from = D("800")
    profile.approval_collective_from = D("900")
    profile.cash_limit = D("400")
    profile.save()
    claim = services.claim_approve(user=fin.director, claim=claim, step="director")
    assert claim.state == ClaimState.DIRECTOR_APPROVED
    assert claim.required_steps == STEPS["street"]  # still the street step, never collective
    assert not claim.is_fully_approved
    claim = services.claim_approve(user=fin.principal, claim=claim, step="street")
    assert claim.is_fully_approved
    # FIN-4 uses the cash limit fixed at submission (1000): 500 may still be paid in cash.
    payment = services.claim_pay(user=fin.cashier, claim=claim, method=PaymentMethod.CASH)
    assert payment.amount == D("500.00")
    claim.refresh_from_db()
    assert claim.state == ClaimState.PAID


@pytest.mark.django_db
def test_fin3_full_chain_with_collective_review_and_votes(fin):
    claim = fin.submitted("1500.00")
    claim = services.claim_approve(user=fin.director, claim=claim, step="director")
    claim = services.claim_approve(user=fin.principal, claim=claim, step="street")
    votes = {
        fin.members[0].pk: "approve",
        fin.members[1].pk: "approve",
        fin.members[2].pk: "reject",
    }
    claim = services.claim_review_collective(
        user=fin.members[0], claim=claim, votes=votes, comment="同意报销"
    )
    assert claim.state == ClaimState.COLLECTIVE_REVIEWED and claim.is_fully_approved
    record = ApprovalRecord.objects.get(claim=claim, step="collective")
    assert record.decision == "approve"
    assert sorted(record.votes.values_list("member_id", "decision")) == sorted(votes.items())
    assert claim.director_approved_by == fin.director and claim.street_approved_by == fin.principal
    assert claim.collective_reviewed_by == fin.members[0] and claim.collective_reviewed_at


@pytest.mark.django_db
def test_fin3_collective_review_without_a_majority_rejects(fin):
    claim = fin.submitted("1000.00")
    claim = services.claim_approve(user=fin.director, claim=claim, step="director")
    claim = services.claim_approve(user=fin.principal, claim=claim, step="street")
    votes = {fin.members[0].pk: "approve", fin.members[1].pk: "reject"}  # 1 of 2: not 过半数
    claim = services.claim_review_collective(user=fin.members[0], claim=claim, votes=votes)
    assert claim.state == ClaimState.REJECTED
    assert "集体审议未通过" in claim.reject_reason


@pytest.mark.django_db
def test_fin3_collective_review_needs_two_members_present_of_the_street(fin):
    claim = fin.approved("999.99")  # street step only
    assert claim.is_fully_approved
    claim = fin.submitted("1200.00")
    claim = services.claim_approve(user=fin.director, claim=claim, step="director")
    claim = services.claim_approve(user=fin.principal, claim=claim, step="street")
    with pytest.raises(ValidationError) as err:
        services.claim_review_collective(
            user=fin.members[0], claim=claim, votes={fin.members[0].pk: "approve"}
        )
    assert "至少 2 名成员" in _messages(err)
    with pytest.raises(ValidationError) as err:
        services.claim_review_collective(
            user=fin.members[0],
            claim=claim,
            votes={fin.members[0].pk: "approve", fin.director.pk: "approve"},
        )
    assert "监管会成员" in _messages(err)
    claim.refresh_from_db()
    assert claim.state == ClaimState.STREET_APPROVED
    assert not ApprovalRecord.objects.filter(claim=claim, step="collective").exists()


@pytest.mark.django_db
def test_fin3_reject_at_the_street_step_with_a_reason(fin):
    claim = fin.submitted("600.00")
    claim = services.claim_approve(user=fin.director, claim=claim, step="director")
    with pytest.raises(ValidationError):
        services.claim_reject(user=fin.principal, claim=claim, step="street", reason=" ")
    claim = services.claim_reject(
        user=fin.principal, claim=claim, step="street", reason="超出预算范围"
    )
    assert claim.state == ClaimState.REJECTED and claim.rejected_by == fin.principal
    with pytest.raises(RuleViolation):
        services.claim_pay(user=fin.cashier, claim=claim)


# --- who may approve -------------------------------------------------------------------------


@pytest.mark.django_db
def test_fin3_self_approval_refused(fin):
    claim = fin.submitted("100.00", claimant=fin.director)
    with pytest.raises(RuleViolation) as err:
        services.claim_approve(user=fin.director, claim=claim, step="director")
    assert "不得审批本人" in _messages(err)
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED and not claim.approvals.exists()


@pytest.mark.django_db
def test_fin3_cashier_approval_refused_even_with_a_director_role(fin):
    claim = fin.submitted("100.00")
    with pytest.raises(RuleViolation) as err:
        services.claim_approve(user=fin.cashier, claim=claim, step="director")
    assert "会计、出纳不得审批" in _messages(err)
    both = user_with_role(Role.COMMITTEE_DIRECTOR, community=fin.community)
    from core.services import role_assign

    role_assign(by=None, user=both, role=Role.ACCOUNTANT, community=fin.community)
    with pytest.raises(RuleViolation):
        services.claim_approve(user=both, claim=claim, step="director")
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED


@pytest.mark.django_db
def test_fin3_cashier_post_in_staffing_also_bars_approval(fin):
    from staffing.models import Post
    from tests.staffing.factories import PostTermFactory, WorkerFactory

    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=fin.community)
    worker = WorkerFactory(community=fin.community, user=director)
    PostTermFactory(worker=worker, post=Post.CASHIER)
    claim = fin.submitted("100.00")
    with pytest.raises(RuleViolation):
        services.claim_approve(user=director, claim=claim, step="director")


@pytest.mark.django_db
def test_fin3_wrong_role_for_a_step_refused(fin):
    claim = fin.submitted("500.00")
    with pytest.raises(PermissionDenied):
        services.claim_approve(user=fin.principal, claim=claim, step="director")
    member = user_with_role(Role.MEMBER, community=fin.community)
    with pytest.raises(PermissionDenied):
        services.claim_approve(user=member, claim=claim, step="director")
    claim = services.claim_approve(user=fin.director, claim=claim, step="director")
    # A community role never signs for the street.
    with pytest.raises(PermissionDenied):
        services.claim_approve(user=fin.director, claim=claim, step="street")
    other_street = user_with_role(Role.STREET_PRINCIPAL)
    with pytest.raises(Http404):
        services.claim_approve(user=other_street, claim=claim, step="street")


@pytest.mark.django_db
def test_fin3_approving_twice_refused(fin):
    claim = fin.submitted("100.00")
    services.claim_approve(user=fin.director, claim=claim, step="director")
    with pytest.raises(RuleViolation) as err:
        services.claim_approve(user=fin.director, claim=claim, step="director")
    assert "不能重复审批" in _messages(err)
    assert ApprovalRecord.objects.filter(claim=claim).count() == 1


@pytest.mark.django_db
def test_fin3_one_person_never_signs_two_steps(fin):
    from core.services import role_assign

    role_assign(
        by=None, user=fin.principal, role=Role.SUPERVISION_MEMBER, street=fin.community.street
    )
    claim = fin.submitted("1000.00")
    claim = services.claim_approve(user=fin.director, claim=claim, step="director")
    claim = services.claim_approve(user=fin.principal, claim=claim, step="street")
    with pytest.raises(RuleViolation) as err:
        services.claim_review_collective(
            user=fin.principal,
            claim=claim,
            votes={fin.principal.pk: "approve", fin.members[0].pk: "approve"},
        )
    assert "两个环节" in _messages(err)


@pytest.mark.django_db(transaction=True)
def test_fin3_two_concurrent_approvers_only_one_transition():
    fin = make_fin()
    second = user_with_role(Role.COMMITTEE_DIRECTOR, community=fin.community)
    claim = fin.submitted("100.00")
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(user):
        try:
            barrier.wait(timeout=10)
            services.claim_approve(user=user, claim=ExpenseClaim(pk=claim.pk), step="director")
            outcomes.append(("approved", user.pk))
        except RuleViolation:
            outcomes.append(("refused", user.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (fin.director, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(o for o, _u in outcomes) == ["approved", "refused"]
    claim.refresh_from_db()
    winner = next(u for o, u in outcomes if o == "approved")
    assert claim.state == ClaimState.DIRECTOR_APPROVED and claim.director_approved_by_id == winner
    assert ApprovalRecord.objects.filter(claim=claim).count() == 1


@pytest.mark.django_db(transaction=True)
def test_fin3_two_concurrent_cashier_payments_pay_once():
    fin = make_fin()
    claim = fin.approved("200.00")
    second = user_with_role(Role.CASHIER, community=fin.community)
    barrier = threading.Barrier(2)
    outcomes = []

    def pay(user):
        try:
            barrier.wait(timeout=10)
            services.claim_pay(user=user, claim=ExpenseClaim(pk=claim.pk))
            outcomes.append("paid")
        except RuleViolation:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(u,)) for u in (fin.cashier, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["paid", "refused"]
    assert Payment.objects.filter(claim=claim).count() == 1
    assert JournalEntry.objects.filter(payment__claim=claim).count() == 1


# --- FIN-4 and payment -------------------------------------------------------------------------


@pytest.mark.django_db
def test_fin4_cash_at_999_99_allowed_and_paid_from_the_cash_journal(fin):
    claim = fin.approved("999.99", method=PaymentMethod.CASH)
    payment = services.claim_pay(user=fin.cashier, claim=claim)
    assert payment.method == PaymentMethod.CASH
    entry = payment.journal_entry
    assert entry.book == "cash" and entry.direction == "out" and entry.amount == D("999.99")
    assert entry.category == ExpenseCategory.OFFICE


@pytest.mark.django_db
def test_fin4_cash_at_1000_refused_with_the_limit_in_the_message(fin):
    with pytest.raises(RuleViolation) as err:
        fin.claim("1000.00", method=PaymentMethod.CASH)
    assert err.value.rule_id == "FIN-4"
    assert "1000.00元以上的支出不得使用现金" in _messages(err)
    assert not ExpenseClaim.objects.exists()
    claim = fin.approved("1000.00")
    with pytest.raises(RuleViolation) as err:
        services.claim_pay(user=fin.cashier, claim=claim, method=PaymentMethod.CASH)
    assert err.value.rule_id == "FIN-4"
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_paying_an_unapproved_claim_refused(fin):
    claim = fin.submitted("400.00")
    with pytest.raises(RuleViolation) as err:
        services.claim_pay(user=fin.cashier, claim=claim)
    assert "尚未完成全部审批" in _messages(err)
    claim = services.claim_approve(user=fin.director, claim=claim, step="director")
    with pytest.raises(RuleViolation):  # the street step is still missing
        services.claim_pay(user=fin.cashier, claim=claim)
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_only_the_cashier_pays(fin):
    claim = fin.approved("100.00")
    for user in (fin.director, fin.accountant, fin.worker):
        with pytest.raises(PermissionDenied):
            services.claim_pay(user=user, claim=claim)


@pytest.mark.django_db
def test_payments_never_exceed_the_claim(fin):
    claim = fin.approved("500.00")
    services.claim_pay(user=fin.cashier, claim=claim, amount="200.00")
    claim.refresh_from_db()
    assert claim.state == ClaimState.STREET_APPROVED  # partly paid
    with pytest.raises(RuleViolation) as err:
        services.claim_pay(user=fin.cashier, claim=claim, amount="300.01")
    assert "超过报销金额" in _messages(err)
    services.claim_pay(user=fin.cashier, claim=claim, amount="300.00")
    claim.refresh_from_db()
    assert claim.state == ClaimState.PAID and claim.paid_at
    assert sum(p.amount for p in claim.payments.all()) == D("500.00")
    with pytest.raises(RuleViolation):
        services.claim_pay(user=fin.cashier, claim=claim, amount="0.01")


@pytest.mark.django_db
def test_fin11_a_journal_never_goes_below_zero(fin):
    claim = fin.approved("800.00", method=PaymentMethod.CASH)  # 5000 in the cash box
    services.claim_pay(user=fin.cashier, claim=claim)
    claim = fin.approved("999.00", method=PaymentMethod.CASH)
    services.cash_move(user=fin.cashier, community=fin.community, withdraw=False, amount="4000")
    with pytest.raises(RuleViolation) as err:
        services.claim_pay(user=fin.cashier, claim=claim)
    assert err.value.rule_id == "FIN-11"


@pytest.mark.django_db
def test_journal_entries_cannot_be_changed_or_deleted(fin):
    from django.db import DatabaseError, transaction

    entry = JournalEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(amount=D("1.00"))
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).delete()


# --- drafts, edits, bad input ------------------------------------------------------------------


@pytest.mark.django_db
def test_edit_after_submission_refused(fin):
    claim = fin.submitted("100.00")
    claim.amount = D("50.00")
    with pytest.raises(RuleViolation) as err:
        services.claim_save(user=fin.worker, instance=claim)
    assert "不能再修改" in _messages(err)
    with pytest.raises(RuleViolation):
        services.attachment_add(user=fin.worker, claim=claim, upload=pdf())
    claim.refresh_from_db()
    assert claim.amount == D("100.00") and claim.attachments.count() == 1


@pytest.mark.django_db
def test_only_the_claimant_edits_a_draft(fin):
    claim = fin.claim("100.00")
    claim.purpose = "改了用途"
    with pytest.raises(PermissionDenied):
        services.claim_save(user=fin.director, instance=claim)
    claim.refresh_from_db()
    assert claim.purpose != "改了用途"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount, message",
    [
        ("-1.00", "金额必须大于 0"),
        ("0", "金额必须大于 0"),
        ("0.00", "金额必须大于 0"),
        ("12.345", "最多保留两位小数"),
    ],
)
def test_bad_amounts_give_chinese_errors_and_save_nothing(fin, amount, message):
    with pytest.raises(ValidationError) as err:
        fin.claim(amount)
    assert message in _messages(err)
    assert "amount" in err.value.message_dict
    assert not ExpenseClaim.objects.exists() and not ClaimAttachment.objects.exists()


@pytest.mark.django_db
def test_above_one_million_needs_a_second_confirmation(fin):
    with pytest.raises(ValidationError) as err:
        fin.claim("1000000.01")
    assert "二次确认" in _messages(err)
    assert not ExpenseClaim.objects.exists()
    assert fin.claim("1000000.00").pk  # 超过 excludes the number itself
    assert fin.claim("1000000.01", large_amount_confirmed=True).pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, content, message",
    [
        ("发票.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "不能超过 5 MB"),
        ("发票.exe", b"MZ\x90\x00", "不是有效的"),
        ("发票.pdf", b"MZ\x90\x00 not a pdf", "不是有效的"),
        ("发票.png", JPEG, "不是有效的"),
    ],
)
def test_bad_attachments_refused_and_nothing_saved(fin, name, content, message):
    claim = ExpenseClaimFactory.build(
        community=fin.community, claimant=fin.worker, budget_line=fin.line
    )
    with pytest.raises(ValidationError) as err:
        services.claim_save(user=fin.worker, instance=claim, files=[pdf(name, content)])
    assert message in _messages(err)
    assert not ExpenseClaim.objects.exists() and not ClaimAttachment.objects.exists()


@pytest.mark.django_db
def test_attachment_of_exactly_5_mb_accepted(fin):
    content = b"%PDF-" + b"0" * (5 * 1024 * 1024 - 5)
    claim = ExpenseClaimFactory.build(
        community=fin.community, claimant=fin.worker, budget_line=fin.line
    )
    claim = services.claim_save(user=fin.worker, instance=claim, files=[pdf("a.pdf", content)])
    assert claim.attachments.get().size == 5 * 1024 * 1024


@pytest.mark.django_db
def test_submission_needs_an_invoice(fin):
    claim = ExpenseClaimFactory.build(
        community=fin.community, claimant=fin.worker, budget_line=fin.line
    )
    claim = services.claim_save(user=fin.worker, instance=claim)
    with pytest.raises(RuleViolation) as err:
        services.claim_submit(user=fin.worker, claim=claim)
    assert err.value.rule_id == "FIN-11"


@pytest.mark.django_db
def test_budget_line_of_another_community_refused(fin):
    other = BudgetLineFactory()
    with pytest.raises(RuleViolation) as err:
        fin.claim("100.00", budget_line=other)
    assert err.value.rule_id == "FIN-6" and "不属于本社区" in _messages(err)
    assert not ExpenseClaim.objects.exists()


@pytest.mark.django_db
def test_submission_needs_an_approved_budget(fin):
    fin.line.budget.state = "draft"
    fin.line.budget.save()
    claim = fin.claim("100.00")
    with pytest.raises(RuleViolation) as err:
        services.claim_submit(user=fin.worker, claim=claim)
    assert err.value.rule_id == "FIN-6" and "预算尚未批准" in _messages(err)
    claim.refresh_from_db()
    assert claim.state == ClaimState.DRAFT


@pytest.mark.django_db
def test_withdraw_before_approval_only(fin):
    claim = fin.submitted("100.00")
    claim = services.claim_withdraw(user=fin.worker, claim=claim)
    assert claim.state == ClaimState.WITHDRAWN and claim.withdrawn_at
    claim = fin.approved("100.00")
    with pytest.raises(RuleViolation):
        services.claim_withdraw(user=fin.worker, claim=claim)


@pytest.mark.django_db
def test_another_communitys_claim_is_missing(fin):
    other = make_fin(CommunityFactory(name="乙社区"))
    claim_b = other.submitted("100.00")
    with pytest.raises(Http404):
        services.claim_approve(user=fin.director, claim=claim_b, step="director")
    with pytest.raises(Http404):
        services.claim_pay(user=fin.cashier, claim=claim_b)
    claim_b.amount = D("1.00")
    with pytest.raises(Http404):
        services.claim_save(user=fin.worker, instance=claim_b)


# --- FIN-5 / FIN-8 / FIN-9 on claims -------------------------------------------------------------


def _earmarked(fin, kind=IncomeKind.DONATION, category=ExpenseCategory.RELIEF, amount="1000"):
    income = _income(
        fin.community,
        amount,
        kind,
        today(),
        earmark_category=category,
        document_amount=D(amount),
        resolution_ref="居代会〔2025〕1号" if kind == IncomeKind.SERVICE_FEE else "",
    )
    return services.income_record(user=fin.accountant, instance=income)


@pytest.mark.django_db
def test_fin5_earmarked_fund_only_for_its_purpose_and_amount(fin):
    donation = _earmarked(fin)
    with pytest.raises(RuleViolation) as err:
        fin.claim("100.00", funded_by=donation)  # office line, relief earmark
    assert err.value.rule_id == "FIN-5" and "专款专用" in _messages(err)
    relief = BudgetLineFactory(budget=fin.line.budget, category=ExpenseCategory.RELIEF)
    fin.submitted("800.00", budget_line=relief, funded_by=donation)
    claim = fin.claim("200.01", budget_line=relief, funded_by=donation)
    with pytest.raises(RuleViolation) as err:
        services.claim_submit(user=fin.worker, claim=claim)
    assert err.value.rule_id == "FIN-5" and "可用余额" in _messages(err)


@pytest.mark.django_db
def test_fin8_service_fees_never_pay_staff_welfare(fin):
    fees = _earmarked(fin, IncomeKind.SERVICE_FEE, ExpenseCategory.CONSTRUCTION)
    with pytest.raises(RuleViolation) as err:
        fin.claim("100.00", budget_line=fin.welfare_line, funded_by=fees)
    assert err.value.rule_id in ("FIN-5", "FIN-8")
    general_fees = _income(
        fin.community, "300", IncomeKind.SERVICE_FEE, today(), resolution_ref="居代会〔2025〕2号"
    )
    general_fees = services.income_record(user=fin.accountant, instance=general_fees)
    with pytest.raises(RuleViolation) as err:
        fin.claim("100.00", budget_line=fin.welfare_line, funded_by=general_fees)
    assert err.value.rule_id == "FIN-8" and "不得用于社区工作人员福利" in _messages(err)


@pytest.mark.django_db
def test_fin9_allowance_not_above_the_street_standard(fin):
    standard = AllowanceStandardFactory(street=fin.community.street, amount=D("200.00"))
    line = BudgetLineFactory(budget=fin.line.budget, category=ExpenseCategory.ALLOWANCE)
    with pytest.raises(RuleViolation) as err:
        fin.claim("100.00", budget_line=line)
    assert err.value.rule_id == "FIN-9"
    with pytest.raises(RuleViolation) as err:
        fin.claim("600.01", budget_line=line, allowance_standard=standard, allowance_units=3)
    assert err.value.rule_id == "FIN-9" and "不得擅自提高标准" in _messages(err)
    claim = fin.claim("600.00", budget_line=line, allowance_standard=standard, allowance_units=3)
    assert claim.pk
    other_street = AllowanceStandardFactory()
    with pytest.raises(RuleViolation):
        fin.claim("100.00", budget_line=line, allowance_standard=other_street)


@pytest.mark.django_db
def test_transitions_are_audited(fin):
    from finance.models import ExpenseClaimEvent

    claim = fin.approved("100.00")
    states = list(
        ExpenseClaimEvent.objects.filter(pgh_obj=claim)
        .order_by("pgh_id")
        .values_list("state", flat=True)
    )
    assert states == ["draft", "submitted", "director_approved"]
    assert Income.objects.count() >= 1
