"""STAFF-1 quota and STAFF-8 incompatible posts as pure rules, at their boundaries."""

import pytest

from core.models import PolicyProfile
from staffing import rules
from staffing.models import Post


def profile(**kw):
    values = {
        "households_per_worker_low": 300,
        "households_per_worker_high": 400,
        "min_workers": 5,
        "separate_accountant_cashier": True,
    }
    values.update(kw)
    return PolicyProfile(**values)


@pytest.mark.parametrize(
    "households, low",
    [(0, 5), (1, 5), (1999, 5), (2000, 5), (2001, 6), (4000, 10), (4001, 11)],
)
def test_staff1_lower_bound_at_400_per_worker_with_minimum_5(households, low):
    assert rules.required_range(households, profile())[0] == low


@pytest.mark.parametrize("households, high", [(1499, 5), (1500, 5), (1501, 6), (3000, 10)])
def test_staff1_upper_bound_at_300_per_worker(households, high):
    assert rules.required_range(households, profile())[1] == high


@pytest.mark.parametrize(
    "workers, households, under, over",
    [
        (4, 1999, True, False),
        (5, 1999, False, False),
        (5, 2000, False, False),
        (5, 2001, True, False),
        (6, 2001, False, False),
        (6, 1500, False, True),
        (6, 1501, False, False),
    ],
)
def test_staff1_understaffed_and_over_quota(workers, households, under, over):
    p = profile()
    assert rules.is_understaffed(workers, households, p) is under
    assert rules.is_over_quota(workers, households, p) is over


def test_staff1_follows_the_profile():
    p = profile(min_workers=3, households_per_worker_high=500, households_per_worker_low=250)
    assert rules.required_range(100, p) == (3, 3)
    assert rules.required_range(2501, p) == (6, 11)


HEADS = [Post.PARTY_SECRETARY, Post.COMMITTEE_DIRECTOR]
MONEY = [Post.ACCOUNTANT, Post.CASHIER]


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("money", MONEY)
@pytest.mark.parametrize("separate", [True, False])
def test_staff8_heads_never_handle_money_in_either_order(head, money, separate):
    p = profile(separate_accountant_cashier=separate)
    assert rules.incompatible([head], money, p)
    assert rules.incompatible([money], head, p)


@pytest.mark.parametrize("separate, refused", [(True, True), (False, False)])
def test_staff8_accountant_and_cashier_follow_the_profile(separate, refused):
    p = profile(separate_accountant_cashier=separate)
    assert rules.incompatible([Post.ACCOUNTANT], Post.CASHIER, p) is refused
    assert rules.incompatible([Post.CASHIER], Post.ACCOUNTANT, p) is refused


@pytest.mark.parametrize(
    "held, new",
    [
        ([Post.PARTY_SECRETARY], Post.COMMITTEE_DIRECTOR),  # 一肩挑
        ([Post.COMMITTEE_DIRECTOR], Post.OWNERS_COMMITTEE_MEMBER),
        ([Post.PARTY_MEMBER, Post.COMMITTEE_MEMBER], Post.ACCOUNTANT),
        ([Post.PARTY_DEPUTY_SECRETARY], Post.CASHIER),
        ([Post.GRID_WORKER, Post.SERVICE_STAFF], Post.COMMITTEE_DEPUTY_DIRECTOR),
        ([], Post.ACCOUNTANT),
    ],
)
def test_staff9_cross_appointments_are_compatible(held, new):
    assert not rules.incompatible(held, new, profile())


def test_staff4_expiry_window_is_inclusive():
    import datetime as dt

    today = dt.date(2026, 1, 1)
    assert rules.expires_soon(today, today)
    assert rules.expires_soon(today + dt.timedelta(days=60), today)
    assert not rules.expires_soon(today + dt.timedelta(days=61), today)
    assert not rules.expires_soon(None, today)
