"""The demo street (core.demo, `manage.py seed_demo`) and the login table (`demo_logins`)."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from attendance import models as att
from attendance.cases import cases_sweep
from communities.models import (
    Building,
    Community,
    Facility,
    Membership,
    Organisation,
    ResidentsGroup,
    Street,
    Unit,
)
from core.demo import COMMUNITIES, DEMO_PASSWORD, STREET, STREET_LOGINS, build_demo
from core.models import ComplianceFinding, FindingStatus, Role, RoleAssignment
from core.scoping import scope_for
from meetings import models as meet
from meetings.rules import has_quorum
from meetings.workplans import WorkPlan

pytestmark = pytest.mark.django_db

COUNTED = (
    Street,
    Community,
    Organisation,
    Membership,
    ResidentsGroup,
    Building,
    Unit,
    Facility,
    RoleAssignment,
    ComplianceFinding,
    get_user_model(),
)


def _counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def demo():
    result = build_demo()
    assert result is not None
    return result["street"]


def test_six_communities_of_1500_to_6000_households(demo):
    communities = list(Community.objects.filter(street=demo))
    assert len(communities) == len(COMMUNITIES) == 6
    assert all(1500 <= c.households <= 6000 for c in communities)
    assert {c.profile.code for c in communities} >= {"default", "seed-003-changchun"}


def test_every_role_has_a_demo_login(demo):
    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    assert {"admin", *(u for u, _ in STREET_LOGINS), "c1_director", "c2_grid"} <= usernames
    user = get_user_model().objects.get(username="c1_member")
    assert user.check_password(DEMO_PASSWORD)
    assert not user.is_staff  # portal-only role
    assert get_user_model().objects.get(username="c1_director").is_staff


def test_seeding_twice_changes_nothing(demo):
    before = _counts()
    assert build_demo() is None
    assert _counts() == before


def test_seed_demo_command_is_idempotent():
    call_command("seed_demo", stdout=StringIO())
    before = _counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "演示数据已存在，跳过" in out.getvalue()
    assert _counts() == before


def test_findings_show_ok_warning_and_violation(demo):
    statuses = set(ComplianceFinding.objects.values_list("status", flat=True))
    assert statuses == {FindingStatus.OK, FindingStatus.WARNING, FindingStatus.VIOLATION}
    violations = set(
        ComplianceFinding.objects.filter(status=FindingStatus.VIOLATION).values_list(
            "rule_id", flat=True
        )
    )
    assert {"ORG-2", "ORG-4", "ORG-5", "ORG-12"} <= violations


def test_community_user_sees_only_own_community(demo):
    c1 = Community.objects.get(street=demo, name=COMMUNITIES[0].name)
    c2 = Community.objects.get(street=demo, name=COMMUNITIES[1].name)
    user = get_user_model().objects.get(username="c1_secretary")
    scope = scope_for(user)
    assert c1.pk in scope.community_ids
    assert c2.pk not in scope.community_ids
    street_user = get_user_model().objects.get(username="street_admin")
    assert {c1.pk, c2.pk} <= scope_for(street_user).community_ids


def test_demo_logins_prints_table_and_password(demo):
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert "street_admin" in text and "c2_grid" in text
    assert DEMO_PASSWORD in text
    assert STREET["name"] in text


def _finding(community_name, check_code):
    return ComplianceFinding.objects.get(community__name=community_name, check_code=check_code)


def test_demo_staffing_mostly_in_line_with_the_documented_exceptions(demo):
    """staffing/demo.py: each community's staff within STAFF-1 except the ones listed there;
    every STAFF check passes except the deliberate findings."""
    from staffing.demo import QUIRKS
    from staffing.models import PostTerm, Worker

    assert Worker.objects.filter(community__street=demo).count() > 60
    quota = {c.name: _finding(c.name, "staff1-quota").status for c in COMMUNITIES}
    assert quota == {
        "锦湖社区": FindingStatus.OK,
        "澜苑社区": FindingStatus.WARNING,  # understaffed
        "桐荫社区": FindingStatus.OK,  # over quota with this year's reason
        "松涛社区": FindingStatus.OK,
        "青枫社区": FindingStatus.OK,
        "晓光社区": FindingStatus.WARNING,  # over quota without a reason
    }
    assert _finding("松涛社区", "staff6-training").status == FindingStatus.VIOLATION
    assert _finding("青枫社区", "staff6-weekly-study").status == FindingStatus.WARNING
    assert _finding("晓光社区", "staff7-handover").status != FindingStatus.OK
    assert _finding("锦湖社区", "staff4-terms-expiring").status == FindingStatus.WARNING
    quirky = {spec.name for spec in COMMUNITIES if spec.key in QUIRKS}
    for check in (
        "staff8-incompatible",
        "staff10-party-checkup",
        "staff5-evaluation",
        "org3-roster-terms",
        "org2-roster-terms",
    ):
        statuses = ComplianceFinding.objects.filter(check_code=check).values_list(
            "status", flat=True
        )
        assert set(statuses) == {FindingStatus.OK}, check
    assert quirky  # the list in staffing/demo.py is what this test reads
    # The demo logins are the workers they represent.
    c1_director = get_user_model().objects.get(username="c1_director")
    assert PostTerm.objects.filter(worker__user=c1_director, post="committee_director").exists()


def test_demo_inbox_has_the_expiring_contract_reminder(demo):
    from core.models import Reminder

    assert Reminder.objects.filter(
        community__name="锦湖社区", kind="staff4-term-expiry", status="open"
    ).exists()


def test_demo_payrolls_last_month_approved_this_month_draft(demo):
    from staffing.models import Payroll, PayrollState

    states = sorted(Payroll.objects.values_list("state", flat=True))
    assert states.count(PayrollState.APPROVED) == 6
    assert states.count(PayrollState.DRAFT) == 6
    approved = Payroll.objects.filter(state=PayrollState.APPROVED).first()
    assert approved.lines.count() > 5
    assert not ComplianceFinding.objects.filter(
        check_code="staff2-payroll", status=FindingStatus.VIOLATION
    ).exists()


# --- finance (finance/demo.py) --------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """The demo's claims carry invoices: keep them out of the checkout's .data/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def finance_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """One demo street for the finance tests below (the seed takes a while), built inside a
    transaction that is rolled back after the module; each test runs in a savepoint."""
    from django.db import transaction
    from django.test.utils import override_settings

    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        result = build_demo()
        assert result is not None
        yield result["street"]
        transaction.set_rollback(True)


def _finance_counts():
    from finance import models as f

    return {
        model.__name__: model.objects.count()
        for model in (
            f.Account,
            f.FundingAllocation,
            f.Budget,
            f.BudgetLine,
            f.AllowanceStandard,
            f.Income,
            f.ExpenseClaim,
            f.ClaimAttachment,
            f.ApprovalRecord,
            f.ReviewVote,
            f.Payment,
            f.JournalEntry,
            f.MonthlyReconciliation,
            f.QuarterlyStatement,
        )
    }


def test_demo_finance_rows_in_every_community(finance_demo):
    from django.utils import timezone

    from finance import models as f
    from finance import rules

    today = timezone.localdate()
    year, quarter = rules.last_ended_quarter(today)
    months = max(today.month - 1, 1)
    for community in Community.objects.filter(street=finance_demo).select_related("profile"):
        name = community.name
        assert f.Account.objects.filter(community=community).count() == 1, name
        allocation = f.FundingAllocation.objects.get(community=community, year=today.year)
        assert (
            allocation.total == rules.yearly_funding(community.households, community.profile).total
        )
        assert sum(i.amount for i in allocation.incomes.all()) == allocation.total
        for kind in (f.IncomeKind.SUBSIDY, f.IncomeKind.DONATION):
            income = f.Income.objects.get(community=community, kind=kind)
            assert income.earmark_category and income.document_amount == income.amount
        budget = f.Budget.objects.get(community=community, year=today.year)
        assert budget.state == f.BudgetState.APPROVED
        assert budget.lines.values("category").distinct().count() >= 6
        claims = f.ExpenseClaim.objects.filter(community=community)
        assert 15 <= claims.count() <= 30, name
        states = list(claims.values_list("state", flat=True))
        assert states.count(f.ClaimState.PAID) > len(states) / 2, name
        assert states.count(f.ClaimState.REJECTED) == 1, name
        assert set(states) & set(f.PENDING_STATES), name
        amounts = [c.amount for c in claims]
        assert any(a < 300 for a in amounts) and any(300 <= a < 1000 for a in amounts)
        assert sum(a >= 1000 for a in amounts) >= 3, name
        assert claims.exclude(funded_by=None).exists(), name  # earmarked money spent
        assert f.MonthlyReconciliation.objects.filter(community=community).count() == months
        assert f.QuarterlyStatement.objects.filter(
            community=community, year=year, quarter=quarter, state=f.StatementState.PUBLISHED
        ).exists(), name


def test_demo_finance_claims_followed_fin3_and_fin4(finance_demo):
    """Every paid claim went through the steps its amount needs; 1,000 yuan and more by
    transfer, after the collective review; every submitted claim has its invoice."""
    from finance import models as f

    paid = f.ExpenseClaim.objects.filter(community__street=finance_demo, state=f.ClaimState.PAID)
    for claim in paid.prefetch_related("approvals", "payments", "attachments"):
        steps = {a.step for a in claim.approvals.all() if a.decision == f.Decision.APPROVE}
        assert steps == set(claim.required_steps), claim
        assert sum(p.amount for p in claim.payments.all()) == claim.amount
        if claim.amount >= 1000:
            assert claim.needs_collective_review
            assert {p.method for p in claim.payments.all()} == {f.PaymentMethod.TRANSFER}
        assert claim.attachments.exists()
        assert claim.submitted_at <= claim.paid_at  # the clock ran forward
    methods = set(f.Payment.objects.values_list("method", flat=True))
    assert methods == {f.PaymentMethod.CASH, f.PaymentMethod.TRANSFER}
    assert f.ReviewVote.objects.exists()


def test_demo_inboxes_are_not_empty(finance_demo):
    from finance import selectors

    User = get_user_model()
    for username in ("c1_director", "street_principal", "street_supervisor"):
        user = User.objects.get(username=username)
        assert selectors.approval_inbox(user=user).exists(), username
    c1 = Community.objects.get(street=finance_demo, name=COMMUNITIES[0].name)
    inbox = selectors.approval_inbox(user=User.objects.get(username="c1_director"))
    assert set(inbox.values_list("community_id", flat=True)) == {c1.pk}
    assert selectors.payment_queue(user=User.objects.get(username="c1_cashier")).exists()


def test_demo_published_statements_equal_the_journals(finance_demo):
    from decimal import Decimal

    from django.db.models import Q, Sum

    from finance import models as f
    from finance import rules
    from finance.selectors import statement_totals

    statements = f.QuarterlyStatement.objects.filter(
        community__street=finance_demo, state=f.StatementState.PUBLISHED
    )
    assert statements.count() >= len(COMMUNITIES)
    for statement in statements:
        first, last = rules.quarter_bounds(statement.year, statement.quarter)
        entries = f.JournalEntry.objects.filter(community=statement.community)

        def total(qs, **where):
            return qs.filter(**where).aggregate(t=Sum("amount"))["t"] or Decimal("0.00")

        ins, outs = Q(direction=f.Direction.IN), Q(direction=f.Direction.OUT)
        before = entries.filter(entry_date__lt=first)
        during = entries.filter(entry_date__gte=first, entry_date__lte=last)
        opening = total(before.filter(ins)) - total(before.filter(outs))
        income = total(during, kind=f.EntryKind.INCOME)
        expense = total(during, kind=f.EntryKind.EXPENSE)
        assert statement.opening_balance == opening
        assert statement.income_total == income
        assert statement.expense_total == expense
        assert statement.closing_balance == opening + income - expense
        assert statement.totals == statement_totals(
            statement.community_id, statement.year, statement.quarter
        )
        assert statement.stamped_on <= statement.published_on
    assert statements.filter(expense_total__gt=0).exists()


def test_demo_finance_findings_are_the_documented_ones(finance_demo):
    """finance/demo.py FINDINGS show up in the compliance run; every other FIN check is OK."""
    from finance.demo import FINDINGS

    codes = (
        "fin1-funding",
        "fin3-split-claims",
        "fin6-budget",
        "fin7-statement",
        "fin11-reconciliation",
    )
    expected = {
        "fin3-split-claims": FindingStatus.WARNING,
        "fin11-reconciliation": FindingStatus.VIOLATION,
    }
    keys = {spec.name: spec.key for spec in COMMUNITIES}
    for spec_name, key in keys.items():
        for code in codes:
            status = _finding(spec_name, code).status
            if key in FINDINGS and FINDINGS[key][1] == code:
                assert status == expected[code], (spec_name, code)
            else:
                assert status == FindingStatus.OK, (spec_name, code)
    assert {rule for rule, _code in FINDINGS.values()} == {"FIN-3", "FIN-11"}


def test_demo_finance_seeding_twice_changes_nothing(finance_demo):
    before = _finance_counts()
    assert before["ExpenseClaim"] >= 15 * len(COMMUNITIES)
    assert build_demo() is None
    assert _finance_counts() == before


def test_demo_attendance_register_leave_cases_and_sheets(finance_demo):
    demo = finance_demo  # the module's one demo street (built once)
    """attendance/demo.py: a register with some lateness and one absence (→ the ATT-4
    self-criticism and nothing else), leave across the ATT-2 tiers, last month's sheets."""
    records = att.AttendanceRecord.objects.filter(community__street=demo)
    assert records.count() > 100 * len(COMMUNITIES)
    assert not records.filter(date__gte=timezone.localdate()).exists()  # today is left to try
    cases_sweep()  # today's sweep finds nothing the seed did not already make
    kinds = list(att.AttendanceCase.objects.values_list("kind", flat=True))
    assert kinds == [att.CaseKind.SELF_CRITICISM]
    states = set(att.Leave.objects.values_list("state", flat=True))
    assert states == {
        att.LeaveState.APPROVED,
        att.LeaveState.FILED,
        att.LeaveState.REJECTED,
        att.LeaveState.PENDING,
    }
    steps = set(att.LeaveApproval.objects.values_list("step", flat=True))
    assert {att.LeaveStep.DIRECTOR, att.LeaveStep.CHIEF, att.LeaveStep.DEPUTY} <= steps
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    sheets = att.MonthlySheet.objects.filter(month=last_month)
    submitted = sheets.filter(state=att.SheetState.SUBMITTED)
    assert submitted.count() == 2 and sheets.count() == len(COMMUNITIES)
    assert all(s.clerk_signed_by_id != s.director_signed_by_id and s.stamped for s in submitted)


def test_demo_meetings_sitting_motions_minutes_and_plans(finance_demo):
    demo = finance_demo  # the module's one demo street (built once)
    """meetings/demo.py: a closed assembly sitting with a quorum, one motion passed and one
    failed, regular meetings with minutes, the 大事记, one MEET-5 absence, work plans."""
    sitting = meet.Sitting.objects.get(community__street=demo)
    assert sitting.state == meet.SittingState.CLOSED and sitting.recorder_id and sitting.minutes
    present = sitting.seats.filter(checked_in_at__isnull=False).count()
    assert has_quorum(present, sitting.representatives_total)
    assert sorted(sitting.motions.values_list("passed", flat=True)) == [False, True]
    assert meet.Meeting.objects.filter(community__street=demo).count() == 3 * len(COMMUNITIES)
    assert not meet.Meeting.objects.filter(minutes="").exists()
    assert meet.ChronicleEntry.objects.filter(community__street=demo).count() == 2
    assert meet.DisciplineRecord.objects.count() == 1
    c1 = Community.objects.get(street=demo, name=COMMUNITIES[0].name)
    plans = WorkPlan.objects.filter(community=c1)
    assert plans.count() == 3 and plans.filter(approved_by__passed=True).count() == 1
    assert _finding(COMMUNITIES[0].name, "meet2-work-plans").status == FindingStatus.OK
    assert _finding(COMMUNITIES[1].name, "meet2-work-plans").status == FindingStatus.WARNING
