"""Money in (FIN-1/5/8/10), budgets (FIN-6), the books (FIN-11) and the quarterly statement
(FIN-7) through finance.services."""

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from core.errors import RuleViolation
from core.models import FundingBasis, PolicyProfile, Role
from finance import rules, services
from finance.models import (
    Account,
    Budget,
    BudgetState,
    ClaimState,
    ExpenseCategory,
    FundingAllocation,
    Income,
    IncomeKind,
    JournalEntry,
    PaymentMethod,
    QuarterlyStatement,
    StatementState,
)
from finance.selectors import journal, statement_totals
from tests.factories import CommunityFactory, user_with_role
from tests.finance.conftest import _income, make_fin
from tests.finance.factories import AccountFactory, BudgetFactory, BudgetLineFactory, today

D = Decimal


def _messages(exc) -> str:
    return " ".join(exc.value.messages)


# --- FIN-1 / FIN-2 -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_fin2_one_account_per_community(fin):
    second = Account(
        community=fin.community,
        bank_name="另一家银行",
        account_name="小金库",
        account_no="12345678",
    )
    with pytest.raises(ValidationError) as err:
        services.account_save(user=fin.street_admin, instance=second)
    assert "[FIN-2]" in _messages(err)
    assert Account.objects.filter(community=fin.community).count() == 1
    assert fin.community.finance_accounts.get().account_no_masked.startswith("****")


@pytest.mark.django_db
def test_fin1_funding_per_1000_households_recorded_as_two_incomes():
    community = CommunityFactory(households=2500)
    AccountFactory(community=community)
    street_admin = user_with_role(Role.STREET_ADMIN, street=community.street)
    year = today().year
    allocation = services.funding_allocate(
        user=street_admin, community=community, year=year, received_on=today()
    )
    assert allocation.basis == FundingBasis.PER_1000_HOUSEHOLDS
    assert allocation.total == D("50000.00")
    assert (allocation.city_share, allocation.street_share) == (D("25000.00"), D("25000.00"))
    incomes = Income.objects.filter(allocation=allocation)
    assert sorted(incomes.values_list("amount", flat=True)) == [D("25000.00")] * 2
    assert all(i.journal_entry.book == "bank" for i in incomes)
    with pytest.raises(RuleViolation) as err:
        services.funding_allocate(user=street_admin, community=community, year=year)
    assert err.value.rule_id == "FIN-1"
    assert FundingAllocation.objects.count() == 1


@pytest.mark.django_db
def test_fin1_funding_per_community_and_only_by_the_street():
    profile = PolicyProfile.objects.create(
        code="percomm", name="每社区", funding_basis=FundingBasis.PER_COMMUNITY
    )
    community = CommunityFactory(households=9000, profile=profile)
    AccountFactory(community=community)
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    with pytest.raises(PermissionDenied):
        services.funding_allocate(user=director, community=community, year=today().year)
    admin = user_with_role(Role.STREET_ADMIN, street=community.street)
    allocation = services.funding_allocate(user=admin, community=community, year=today().year)
    assert allocation.total == D("20000.00")


@pytest.mark.django_db
def test_fin2_no_transfer_without_the_street_managed_account():
    community = CommunityFactory()
    accountant = user_with_role(Role.ACCOUNTANT, community=community)
    income = _income(community, "100", IncomeKind.OTHER, today())
    with pytest.raises(RuleViolation) as err:
        services.income_record(user=accountant, instance=income)
    assert err.value.rule_id == "FIN-2"
    assert not Income.objects.exists()


# --- FIN-5 / FIN-8 / FIN-10 incomes -----------------------------------------------------------


@pytest.mark.django_db
def test_fin5_donation_needs_an_earmark_and_is_recorded_in_full(fin):
    donation = _income(
        fin.community, "1000", IncomeKind.DONATION, today(), document_amount=D("1000")
    )
    with pytest.raises(RuleViolation) as err:
        services.income_record(user=fin.accountant, instance=donation)
    assert err.value.rule_id == "FIN-5" and "专款专用" in _messages(err)
    donation.earmark_category = ExpenseCategory.RELIEF
    donation.amount = D("900")
    with pytest.raises(RuleViolation) as err:
        services.income_record(user=fin.accountant, instance=donation)
    assert err.value.rule_id == "FIN-5" and "全额入账" in _messages(err)
    donation.amount = D("1000")
    before = Income.objects.count()
    donation = services.income_record(user=fin.accountant, instance=donation)
    assert Income.objects.count() == before + 1
    entry = donation.journal_entry
    assert (entry.amount, entry.earmark_category) == (D("1000"), ExpenseCategory.RELIEF)


@pytest.mark.django_db
def test_fin10_fund_raising_needs_an_assembly_resolution(fin):
    raising = _income(fin.community, "3000", IncomeKind.FUND_RAISING, today())
    with pytest.raises(RuleViolation) as err:
        services.income_record(user=fin.accountant, instance=raising)
    assert err.value.rule_id == "FIN-10" and "居民（代表）会议" in _messages(err)
    raising.resolution_ref = "居代会决〔2025〕3号"
    assert services.income_record(user=fin.accountant, instance=raising).pk


@pytest.mark.django_db
def test_fin8_service_fee_needs_a_resolution_and_never_welfare(fin):
    fee = _income(fin.community, "200", IncomeKind.SERVICE_FEE, today())
    with pytest.raises(RuleViolation) as err:
        services.income_record(user=fin.accountant, instance=fee)
    assert err.value.rule_id == "FIN-8"
    fee.resolution_ref = "居代会决〔2025〕4号"
    fee.earmark_category = ExpenseCategory.STAFF_WELFARE
    with pytest.raises(RuleViolation) as err:
        services.income_record(user=fin.accountant, instance=fee)
    assert err.value.rule_id == "FIN-8" and "福利" in _messages(err)
    fee.earmark_category = ""
    assert services.income_record(user=fin.accountant, instance=fee).pk


@pytest.mark.django_db
def test_income_bad_amount_and_future_date(fin):
    for amount, message in (("0", "大于 0"), ("-5", "大于 0"), ("1.005", "两位小数")):
        income = _income(fin.community, amount, IncomeKind.OTHER, today())
        with pytest.raises(ValidationError) as err:
            services.income_record(user=fin.accountant, instance=income)
        assert message in _messages(err)
    income = _income(fin.community, "5", IncomeKind.OTHER, today() + dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.income_record(user=fin.accountant, instance=income)


# --- FIN-6 budget -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_fin6_budget_approved_by_the_street_then_frozen(fin):
    budget = Budget(community=fin.community, year=today().year + 1)
    budget = services.budget_save(
        user=fin.director,
        instance=budget,
        lines=[{"category": ExpenseCategory.OFFICE, "name": "办公用品", "amount": D("1000")}],
    )
    with pytest.raises(PermissionDenied):
        services.budget_approve(user=fin.director, budget=budget)
    budget = services.budget_approve(user=fin.principal, budget=budget)
    assert budget.state == BudgetState.APPROVED and budget.approved_by == fin.principal
    line = budget.lines.get()
    line.amount = D("2000")
    with pytest.raises(RuleViolation):
        services.budget_line_save(user=fin.director, instance=line)
    line.refresh_from_db()
    explained = services.budget_line_explain(user=fin.director, line=line, explanation="物价上涨")
    assert explained.explanation == "物价上涨" and explained.amount == D("1000")


# --- FIN-11 reconciliation ---------------------------------------------------------------------


@pytest.mark.django_db
def test_fin11_reconciliation_differences_need_an_explanation(fin):
    month = today().replace(day=1)
    balances = (
        services.book_balance(fin.community.pk, "cash"),
        services.book_balance(fin.community.pk, "bank"),
    )
    row = services.reconciliation_record(
        user=fin.accountant,
        community=fin.community,
        month=month,
        counted_cash=balances[0],
        bank_statement=balances[1],
    )
    assert not row.has_difference
    with pytest.raises(RuleViolation) as err:
        services.reconciliation_record(
            user=fin.accountant,
            community=fin.community,
            month=month,
            counted_cash=balances[0] - D("10"),
            bank_statement=balances[1],
        )
    assert err.value.rule_id == "FIN-11"
    row = services.reconciliation_record(
        user=fin.accountant,
        community=fin.community,
        month=month,
        counted_cash=balances[0] - D("10"),
        bank_statement=balances[1],
        explanation="待查",
    )
    assert row.cash_difference == D("-10.00") and row.has_difference
    with pytest.raises(PermissionDenied):
        services.reconciliation_review(user=fin.director, reconciliation=row)
    row = services.reconciliation_review(user=fin.members[0], reconciliation=row, comment="已阅")
    assert row.reviewed_by == fin.members[0]
    with pytest.raises(ValidationError):
        services.reconciliation_record(
            user=fin.accountant,
            community=fin.community,
            month=month,
            counted_cash=balances[0],
            bank_statement=balances[1],
        )


# --- FIN-7 quarterly statement ----------------------------------------------------------------


def _quarter():
    year, quarter = rules.last_ended_quarter(today())
    return year, quarter, *rules.quarter_bounds(year, quarter)


def _budget_for(fin, year):
    budget = Budget.objects.filter(community=fin.community, year=year).first()
    return budget or BudgetFactory(community=fin.community, year=year)


def _random_books(fin, rng, *, n_incomes, n_claims, first, last):
    """Incomes and paid claims on random days before, in and after the quarter."""
    span = (last - first).days
    days = [first - dt.timedelta(days=20), *(first + dt.timedelta(days=i) for i in range(span + 1))]
    days = [d for d in days if d <= today()]
    kinds = [IncomeKind.SUBSIDY, IncomeKind.DONATION, IncomeKind.SERVICE_FEE, IncomeKind.OTHER]
    for _ in range(n_incomes):
        kind = rng.choice(kinds)
        amount = D(rng.randint(100, 500000)) / 100
        extra = {}
        if kind in (IncomeKind.SUBSIDY, IncomeKind.DONATION):
            extra = {"earmark_category": ExpenseCategory.RELIEF, "document_amount": amount}
        if kind == IncomeKind.SERVICE_FEE:
            extra = {"resolution_ref": "居代会决〔2025〕9号"}
        method = rng.choice([PaymentMethod.TRANSFER, PaymentMethod.CASH])
        income = _income(fin.community, amount, kind, rng.choice(days), method=method, **extra)
        services.income_record(user=fin.accountant, instance=income)
    lines = {}
    for _ in range(n_claims):
        day = rng.choice(days)
        budget = _budget_for(fin, day.year)
        category = rng.choice([ExpenseCategory.OFFICE, ExpenseCategory.ACTIVITY])
        line = lines.get((budget.pk, category)) or BudgetLineFactory(
            budget=budget, category=category, amount=D("9999999")
        )
        lines[(budget.pk, category)] = line
        amount = D(rng.randint(100, 150000)) / 100
        method = PaymentMethod.CASH if amount < 1000 and rng.random() < 0.5 else "transfer"
        claim = fin.approved(amount, method=method, budget_line=line, expense_date=day)
        services.claim_pay(user=fin.cashier, claim=claim, paid_on=day)


@pytest.mark.django_db
def test_fin7_statement_totals_equal_the_journals_over_generated_data():
    fin = make_fin(money=D("10000000"), cash=D("100000"))
    year, quarter, first, last = _quarter()
    rng = random.Random(20250601)
    _random_books(fin, rng, n_incomes=150, n_claims=120, first=first, last=last)
    statement = services.statement_generate(
        user=fin.accountant, community=fin.community, year=year, quarter=quarter
    )
    income, expense, opening, closing = defaultdict(D), defaultdict(D), D(0), D(0)
    for e in JournalEntry.objects.filter(community=fin.community):
        signed = e.amount if e.direction == "in" else -e.amount
        if e.entry_date < first:
            opening += signed
        if e.entry_date <= last:
            closing += signed
        if first <= e.entry_date <= last and e.kind == "income":
            income[e.income_kind] += e.amount
        if first <= e.entry_date <= last and e.kind == "expense":
            expense[e.category] += e.amount
    assert statement.opening_balance == opening
    assert statement.closing_balance == closing
    assert statement.income_total == sum(income.values())
    assert statement.expense_total == sum(expense.values())
    assert {k: D(v) for k, v in statement.totals["income"].items()} == dict(income)
    assert {k: D(v) for k, v in statement.totals["expense"].items()} == dict(expense)
    books = statement.totals["books"]
    assert D(books["cash"]) + D(books["bank"]) == closing
    # The journals' own period totals (the cash and bank journal pages) agree too.
    cash = journal(community=fin.community, book="cash", date_from=first, date_to=last)
    bank = journal(community=fin.community, book="bank", date_from=first, date_to=last)
    assert cash.opening + bank.opening == opening
    assert cash.totals["closing"] + bank.totals["closing"] == closing
    movements = sum(cash.totals[k] + bank.totals[k] for k in ("debit",)) - sum(
        cash.totals[k] + bank.totals[k] for k in ("credit",)
    )
    assert movements == statement.income_total - statement.expense_total
    last_row = list(cash.rows)[-1]
    assert last_row.balance == cash.totals["closing"]


@pytest.mark.django_db
def test_fin7_stamp_before_publish_and_published_is_immutable(fin):
    year, quarter, first, last = _quarter()
    statement = services.statement_generate(
        user=fin.accountant, community=fin.community, year=year, quarter=quarter
    )
    with pytest.raises(RuleViolation) as err:
        services.statement_publish(user=fin.director, statement=statement)
    assert err.value.rule_id == "FIN-7" and "审核签章后" in _messages(err)
    with pytest.raises(PermissionDenied):
        services.statement_stamp(user=fin.director, statement=statement)
    statement = services.statement_stamp(user=fin.members[0], statement=statement)
    assert statement.state == StatementState.STAMPED and statement.stamped_on == today()
    with pytest.raises(ValidationError):  # the stamp date is today: posting may not precede it
        services.statement_publish(
            user=fin.director, statement=statement, published_on=today() - dt.timedelta(days=1)
        )
    statement = services.statement_publish(user=fin.director, statement=statement)
    assert statement.state == StatementState.PUBLISHED and statement.published_on == today()
    with pytest.raises(RuleViolation):
        services.statement_generate(
            user=fin.accountant, community=fin.community, year=year, quarter=quarter
        )
    with pytest.raises(DatabaseError), transaction.atomic():
        QuarterlyStatement.objects.filter(pk=statement.pk).update(income_total=D("1"))
    with pytest.raises(DatabaseError), transaction.atomic():
        QuarterlyStatement.objects.filter(pk=statement.pk).delete()


@pytest.mark.django_db
def test_fin7_a_correction_is_a_new_version_with_the_difference(fin):
    year, quarter, first, last = _quarter()
    statement = services.statement_generate(
        user=fin.accountant, community=fin.community, year=year, quarter=quarter
    )
    statement = services.statement_stamp(user=fin.members[0], statement=statement)
    statement = services.statement_publish(user=fin.director, statement=statement)
    published = dict(statement.totals)
    late = _income(fin.community, "123.45", IncomeKind.OTHER, last)  # booked late
    services.income_record(user=fin.accountant, instance=late)
    with pytest.raises(ValidationError):
        services.statement_correct(user=fin.accountant, statement=statement, reason=" ")
    correction = services.statement_correct(
        user=fin.accountant, statement=statement, reason="漏记一笔收入"
    )
    assert correction.version == 2 and correction.supersedes == statement
    assert correction.state == StatementState.DRAFT
    assert correction.diff["income.other"][1] == str(
        D(published["income"].get("other", "0")) + D("123.45")
    )
    assert "income_total" in correction.diff
    statement.refresh_from_db()
    assert statement.totals == published and statement.state == StatementState.PUBLISHED
    with pytest.raises(RuleViolation):
        services.statement_correct(user=fin.accountant, statement=statement, reason="再更正")
    correction = services.statement_stamp(user=fin.members[1], statement=correction)
    correction = services.statement_publish(user=fin.director, statement=correction)
    assert correction.state == StatementState.PUBLISHED


@pytest.mark.django_db
def test_fin7_statement_of_an_unfinished_quarter_refused(fin):
    year, quarter = rules.quarter_of(today())
    _first, last = rules.quarter_bounds(year, quarter)
    if last == today():
        pytest.skip("today is the quarter's last day")
    with pytest.raises(ValidationError):
        services.statement_generate(
            user=fin.accountant, community=fin.community, year=year, quarter=quarter
        )


@pytest.mark.django_db
def test_statement_totals_on_an_empty_community():
    community = CommunityFactory()
    totals = statement_totals(community.pk, 2024, 4)
    assert totals["opening"] == totals["closing"] == "0.00"
    assert totals["income"] == {} and totals["earmarked"] == {}


@pytest.mark.django_db
def test_claims_of_a_paid_claim_state(fin):
    claim = fin.approved("100.00")
    services.claim_pay(user=fin.cashier, claim=claim)
    claim.refresh_from_db()
    assert claim.state == ClaimState.PAID
    assert timezone.localdate() >= claim.payments.get().paid_on
