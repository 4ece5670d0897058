"""FIN rules as pure functions, at their boundaries (RULES.md: 以上/以下 include the number)."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from core.models import FundingBasis
from finance import rules
from finance.models import ApprovalStep, ExpenseCategory, IncomeKind

D = Decimal
DIRECTOR, STREET, COLLECTIVE = ApprovalStep.DIRECTOR, ApprovalStep.STREET, ApprovalStep.COLLECTIVE


def profile(**values):
    base = {
        "approval_street_from": D("300"),
        "approval_collective_from": D("1000"),
        "cash_limit": D("1000"),
        "split_window_days": 30,
        "budget_variance_explain_pct": 10,
        "funding_basis": FundingBasis.PER_1000_HOUSEHOLDS,
        "funding_amount": D("20000"),
        "funding_city_share_pct": 50,
    }
    base.update(values)
    return SimpleNamespace(**base)


@pytest.mark.parametrize(
    "amount, steps",
    [
        ("0.01", (DIRECTOR,)),
        ("299.99", (DIRECTOR,)),
        ("300.00", (DIRECTOR, STREET)),
        ("300.01", (DIRECTOR, STREET)),
        ("999.99", (DIRECTOR, STREET)),
        ("1000.00", (DIRECTOR, STREET, COLLECTIVE)),
        ("1000.01", (DIRECTOR, STREET, COLLECTIVE)),
    ],
)
def test_fin3_tiers_at_default_boundaries(amount, steps):
    assert rules.required_approvals(D(amount), profile()) == steps


@pytest.mark.parametrize(
    "amount, steps",
    [
        ("499.99", (DIRECTOR,)),
        ("500.00", (DIRECTOR, STREET)),
        ("1999.99", (DIRECTOR, STREET)),
        ("2000.00", (DIRECTOR, STREET, COLLECTIVE)),
        ("2000.01", (DIRECTOR, STREET, COLLECTIVE)),
    ],
)
def test_fin3_tiers_at_a_profiles_own_boundaries(amount, steps):
    p = profile(approval_street_from=D("500"), approval_collective_from=D("2000"))
    assert rules.required_approvals(D(amount), p) == steps


def test_fin3_equal_boundaries_need_both_steps_at_once():
    p = profile(approval_street_from=D("800"), approval_collective_from=D("800"))
    assert rules.required_approvals(D("799.99"), p) == (DIRECTOR,)
    assert rules.required_approvals(D("800.00"), p) == (DIRECTOR, STREET, COLLECTIVE)


@pytest.mark.parametrize(
    "amount, transfer", [("999.99", False), ("1000.00", True), ("1000.01", True)]
)
def test_fin4_transfer_from_the_limit_included(amount, transfer):
    assert rules.needs_transfer(D(amount), profile()) is transfer


def test_fin4_a_profiles_own_limit():
    p = profile(cash_limit=D("500"))
    assert not rules.needs_transfer(D("499.99"), p)
    assert rules.needs_transfer(D("500.00"), p)


@pytest.mark.parametrize(
    "amount, problem",
    [
        ("0", "not_positive"),
        ("-1.00", "not_positive"),
        ("0.001", "decimals"),
        ("12.345", "decimals"),
        ("0.01", None),
        ("10000000000.00", "too_large"),
        (None, "missing"),
    ],
)
def test_amount_problems(amount, problem):
    assert rules.amount_problem(None if amount is None else D(amount)) == problem


def test_large_amount_confirmation_only_above_one_million():
    assert not rules.needs_large_confirmation(D("1000000.00"))
    assert rules.needs_large_confirmation(D("1000000.01"))


def test_fin1_per_1000_households_prorated_and_split_in_half():
    f = rules.yearly_funding(3000, profile())
    assert (f.total, f.city, f.street) == (D("60000.00"), D("30000.00"), D("30000.00"))
    f = rules.yearly_funding(1234, profile())
    assert f.total == D("24680.00") and f.city + f.street == f.total
    # Prorating never rounds below the minimum: 20000 × 1 / 1000 = 20 exactly; 1/3 rounds up.
    f = rules.yearly_funding(1, profile(funding_amount=D("1")))
    assert f.total == D("0.01")


def test_fin1_per_community_ignores_households_and_uses_the_share():
    p = profile(funding_basis=FundingBasis.PER_COMMUNITY, funding_city_share_pct=60)
    f = rules.yearly_funding(9000, p)
    assert (f.total, f.city, f.street) == (D("20000.00"), D("12000.00"), D("8000.00"))
    assert rules.funding_shortfall(D("19999.99"), 9000, p) == D("0.01")
    assert rules.funding_shortfall(D("20000.00"), 9000, p) == 0


def _fact(pk, amount, day, claimant=1, payee="文具店", purpose="办公用品"):
    return rules.ClaimFact(pk, claimant, payee, purpose, D(amount), dt.date(2025, 3, day))


def test_fin3_split_detected_when_the_sum_crosses_a_tier():
    claims = [_fact(1, "200", 1), _fact(2, "150", 10, claimant=2)]  # same payee and purpose
    groups = rules.split_groups(claims, profile())
    assert len(groups) == 1
    assert groups[0].claim_ids == (1, 2) and groups[0].total == D("350")
    assert groups[0].key == "payee" and groups[0].steps == (DIRECTOR, STREET)


def test_fin3_split_not_flagged_below_the_tier_or_for_other_purposes():
    assert not rules.split_groups([_fact(1, "100", 1), _fact(2, "199.99", 2)], profile())
    assert not rules.split_groups(
        [_fact(1, "200", 1), _fact(2, "200", 2, payee="另一家", purpose="活动")], profile()
    )
    # Each already needed the street: the sum adds no step below the collective tier.
    assert not rules.split_groups([_fact(1, "300", 1), _fact(2, "300", 2)], profile())


def test_fin3_split_window_includes_its_last_day():
    p = profile(split_window_days=30)
    inside = [
        rules.ClaimFact(1, 1, "甲", "办公用品", D("200"), dt.date(2025, 1, 1)),
        rules.ClaimFact(2, 1, "乙", "办公用品", D("200"), dt.date(2025, 1, 31)),
    ]
    assert len(rules.split_groups(inside, p)) == 1
    outside = [inside[0], rules.ClaimFact(2, 1, "乙", "办公用品", D("200"), dt.date(2025, 2, 1))]
    assert not rules.split_groups(outside, p)


def test_fin3_split_groups_are_maximal():
    claims = [_fact(i, "100", i) for i in range(1, 5)]  # 400 within the window
    groups = rules.split_groups(claims, profile())
    assert [g.claim_ids for g in groups] == [(1, 2, 3, 4)]


@pytest.mark.parametrize(
    "budget, actual, needs",
    [
        ("1000", "1100", False),  # exactly 10%: not 超过
        ("1000", "1100.01", True),
        ("1000", "899.99", True),
        ("1000", "900", False),
        ("0", "0", False),
        ("0", "1", True),
    ],
)
def test_fin6_variance_explanation_above_the_threshold(budget, actual, needs):
    assert rules.variance_needs_explanation(D(budget), D(actual), profile()) is needs


def test_fin6_over_budget():
    assert not rules.over_budget(D("100"), D("100"))
    assert rules.over_budget(D("100"), D("100.01"))


def test_fin5_earmark_and_fin8_and_fin10():
    assert rules.earmark_allows("", ExpenseCategory.OFFICE)
    assert rules.earmark_allows(ExpenseCategory.RELIEF, ExpenseCategory.RELIEF)
    assert not rules.earmark_allows(ExpenseCategory.RELIEF, ExpenseCategory.OFFICE)
    assert not rules.service_fee_use_allowed(ExpenseCategory.STAFF_WELFARE)
    assert rules.service_fee_use_allowed(ExpenseCategory.CONSTRUCTION)
    assert rules.needs_resolution(IncomeKind.FUND_RAISING)
    assert rules.needs_resolution(IncomeKind.SERVICE_FEE)
    assert not rules.needs_resolution(IncomeKind.DONATION)
    assert rules.needs_earmark(IncomeKind.DONATION) and rules.needs_earmark(IncomeKind.SUBSIDY)
    assert rules.recorded_in_full(D("500"), D("500"))
    assert not rules.recorded_in_full(D("450"), D("500"))


def test_fin9_allowance_cap():
    assert rules.allowance_within_standard(D("600.00"), D("200"), 3)
    assert not rules.allowance_within_standard(D("600.01"), D("200"), 3)


def test_fin7_stamp_on_or_before_publication():
    day = dt.date(2025, 4, 5)
    assert rules.stamp_precedes_publication(day, day)
    assert not rules.stamp_precedes_publication(day + dt.timedelta(days=1), day)
    assert not rules.stamp_precedes_publication(None, day)


def test_quarters():
    assert rules.quarter_bounds(2025, 1) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert rules.quarter_bounds(2025, 4) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert rules.last_ended_quarter(dt.date(2025, 2, 1)) == (2024, 4)
    assert rules.last_ended_quarter(dt.date(2025, 7, 1)) == (2025, 2)


def test_statement_diff_names_what_changed():
    old = {"income_total": "10.00", "expense": {"office": "5.00"}}
    new = {"income_total": "12.00", "expense": {"office": "5.00", "relief": "1.00"}}
    assert rules.statement_diff(old, new) == {
        "expense.relief": [None, "1.00"],
        "income_total": ["10.00", "12.00"],
    }


@pytest.mark.parametrize(
    "name, head, expected",
    [
        ("a.jpg", b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        ("a.JPEG", b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        ("a.png", b"\x89PNG\r\n\x1a\nrest", "image/png"),
        ("a.pdf", b"%PDF-1.7", "application/pdf"),
        ("a.pdf", b"\x89PNG\r\n\x1a\nrest", None),  # content and name disagree
        ("a.exe", b"MZ", None),
        ("a.png", b"MZ\x90\x00", None),  # renamed program
        ("noext", b"%PDF-1.7", None),
    ],
)
def test_attachment_sniffing(name, head, expected):
    assert rules.sniff_attachment(name, head) == expected
