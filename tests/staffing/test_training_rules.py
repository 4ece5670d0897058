"""STAFF-5/6/10 as pure rules, at their boundaries (no database)."""

import datetime as dt
from decimal import Decimal

import pytest

from core.models import PolicyProfile
from staffing import rules
from staffing.models import Post

D = dt.date
TODAY = D(2025, 6, 15)
SECRETARY = {Post.PARTY_SECRETARY}
MEMBER = {Post.COMMITTEE_MEMBER}


def profile(**kw):
    return PolicyProfile(**kw)


def trained(day, hours="20.0", attended=True):
    return (day, Decimal(hours), attended)


def test_staff6_profile_defaults_are_the_seed_numbers():
    p = profile()
    assert (p.training_hours_min, p.training_cycle_years_members) == (20, 2)
    assert p.party_checkups_per_year == 2


@pytest.mark.parametrize("hours, due", [("19.9", True), ("20.0", False), ("20.1", False)])
def test_staff6_hours_at_20_boundary(hours, due):
    assert rules.training_due(SECRETARY, [trained(D(2025, 3, 1), hours)], TODAY, profile()) is due


def test_staff6_hours_summed_over_the_cycle():
    rows = [trained(D(2024, 1, 10), "9.9"), trained(D(2025, 1, 10), "10.0")]
    assert rules.training_due(MEMBER, rows, TODAY, profile()) is True
    rows.append(trained(D(2025, 2, 1), "0.1"))
    assert rules.training_due(MEMBER, rows, TODAY, profile()) is False


@pytest.mark.parametrize(
    "day, due",
    [
        (rules.years_before(TODAY, 1) - dt.timedelta(days=364), False),  # 1 year 364 days ago
        (rules.years_before(TODAY, 2), False),  # exactly 2 years ago: first day of the cycle
        (rules.years_before(TODAY, 2) - dt.timedelta(days=1), True),  # 2 years + 1 day ago
    ],
)
def test_staff6_member_trained_within_two_years(day, due):
    assert rules.training_due(MEMBER, [trained(day)], TODAY, profile()) is due


def test_staff6_member_cycle_follows_the_profile():
    day = rules.years_before(TODAY, 1) - dt.timedelta(days=1)
    assert rules.training_due(MEMBER, [trained(day)], TODAY, profile()) is False
    one_year = profile(training_cycle_years_members=1)
    assert rules.training_due(MEMBER, [trained(day)], TODAY, one_year) is True


@pytest.mark.parametrize("posts", [SECRETARY, {Post.COMMITTEE_DIRECTOR}])
def test_staff6_head_trained_last_year_but_not_this_year_is_due(posts):
    rows = [trained(D(2024, 12, 31), "40.0")]
    assert rules.training_due(posts, rows, TODAY, profile()) is True
    assert rules.training_due(posts, [trained(D(2025, 1, 1))], TODAY, profile()) is False


def test_staff6_head_post_wins_over_member_post():
    posts = {Post.PARTY_SECRETARY, Post.COMMITTEE_MEMBER}
    assert rules.training_since(posts, TODAY, profile()) == D(2025, 1, 1)


def test_staff6_unattended_and_future_trainings_do_not_count():
    assert rules.training_due(SECRETARY, [trained(D(2025, 3, 1), attended=False)], TODAY, profile())
    assert rules.training_due(SECRETARY, [trained(D(2025, 7, 1))], TODAY, profile())


@pytest.mark.parametrize("posts", [set(), {Post.ACCOUNTANT}, {Post.GRID_WORKER}])
def test_staff6_posts_without_the_duty_are_never_due(posts):
    assert rules.training_since(posts, TODAY, profile()) is None
    assert rules.training_due(posts, [], TODAY, profile()) is False


def test_years_before_29_february():
    assert rules.years_before(D(2024, 2, 29), 2) == D(2022, 2, 28)


@pytest.mark.parametrize("n, short", [(0, True), (1, True), (2, False), (3, False)])
def test_staff10_checkups_per_year(n, short):
    assert rules.needs_party_checkups(n, profile()) is short


@pytest.mark.parametrize("n, few", [(3, True), (4, False)])
def test_staff6_weekly_study_four_in_four_weeks(n, few):
    assert rules.WEEKLY_STUDY_WEEKS == 4
    assert rules.too_few_study_sessions(n) is few


@pytest.mark.parametrize(
    "hired, left, whole",
    [
        (D(2024, 1, 1), None, True),
        (D(2024, 1, 2), None, False),
        (D(2020, 1, 1), D(2024, 12, 31), True),
        (D(2020, 1, 1), D(2024, 12, 30), False),
        (None, None, False),
    ],
)
def test_staff5_worked_whole_year(hired, left, whole):
    assert rules.worked_whole_year(hired, left, 2024) is whole
