"""Pure predicates and calculations of the STAFF rules (no DB writes, no queries)."""

import datetime as dt
import math
from collections.abc import Iterable

from staffing.models import Post

# STAFF-4: how far ahead an expiring term is listed (a system parameter, not a seed number).
TERM_EXPIRY_NOTICE_DAYS = 60
TERM_EXPIRY_NOTICE_DAYS_DELTA = dt.timedelta(days=TERM_EXPIRY_NOTICE_DAYS)

# STAFF-8 (003 十四(一)): the heads of the community may not handle its money.
HEAD_POSTS = frozenset({Post.PARTY_SECRETARY, Post.COMMITTEE_DIRECTOR})
MONEY_POSTS = frozenset({Post.ACCOUNTANT, Post.CASHIER})


def required_range(households: int, profile) -> tuple[int, int]:
    """STAFF-1 (000 第十条 每 300—400 户配备 1 人；不少于 5 人): the number of full-time
    workers expected, as (low, high): low = max(min, ceil(H / high_per_worker)),
    high = max(min, ceil(H / low_per_worker))."""
    households = max(households or 0, 0)
    low = max(profile.min_workers, math.ceil(households / profile.households_per_worker_high))
    high = max(profile.min_workers, math.ceil(households / profile.households_per_worker_low))
    return low, high


def is_understaffed(workers: int, households: int, profile) -> bool:
    """STAFF-1: fewer workers than the lower bound."""
    return workers < required_range(households, profile)[0]


def is_over_quota(workers: int, households: int, profile) -> bool:
    """STAFF-1: more workers than the upper bound ("原则上": allowed with a recorded reason)."""
    return workers > required_range(households, profile)[1]


def _pair_incompatible(a: str, b: str, profile) -> bool:
    if (a in HEAD_POSTS and b in MONEY_POSTS) or (b in HEAD_POSTS and a in MONEY_POSTS):
        return True  # 003 十四(一): a hard ban
    # 003 十四(一)(二): accountant and cashier are separate people where the profile says so.
    return bool(profile.separate_accountant_cashier and {a, b} == set(MONEY_POSTS))


def conflicting_post(posts_a: Iterable[str], post_b: str, profile) -> str | None:
    """STAFF-8: the first post of `posts_a` that one person may not hold together with
    `post_b`, or None (STAFF-9: every other combination is allowed)."""
    for post in posts_a:
        if _pair_incompatible(post, post_b, profile):
            return post
    return None


def incompatible(posts_a: Iterable[str], post_b: str, profile) -> bool:
    """STAFF-8 (003 十四(一)(二)): whether a person holding `posts_a` may not also hold
    `post_b`: the party secretary or committee director as accountant or cashier, and,
    with profile.separate_accountant_cashier, accountant together with cashier."""
    return conflicting_post(posts_a, post_b, profile) is not None


def overlaps(start_a: dt.date, end_a: dt.date | None, start_b: dt.date, end_b: dt.date | None):
    """Two closed date ranges (an open end is 'until further notice') share a day."""
    return (end_b is None or start_a <= end_b) and (end_a is None or start_b <= end_a)


def expires_soon(ends_on: dt.date | None, today: dt.date) -> bool:
    """STAFF-4: a current term that ends within the notice window (today included)."""
    return ends_on is not None and today <= ends_on <= today + TERM_EXPIRY_NOTICE_DAYS_DELTA
