"""Pure predicates of the MEET rules (no DB writes, no queries), each citing its seed.

MEET-1 (003 三(三) 每半年召开一次…五分之一以上的居民代表提议…须有过半数以上居民代表参加方为
有效…须经超过三分之二以上的与会代表通过方可生效), in integers (RULES MEET-1), with N
representatives, p proposers, a present and y in favour:

    extraordinary sitting on a proposal:   5p ≥ N      (以上 includes 1/5 itself)
    quorum:                                2a > N      (过半数: exactly 1/2 is not enough)
    a resolution passes:                   3y > 2a     (超过三分之二: exactly 2/3 does not pass)
"""

from __future__ import annotations

import calendar
import datetime as dt


def representatives_total(seated: int, quota: int | None, count_vacant: bool) -> int:
    """MEET-1 [param assembly_count_vacant_seats, default no]: the base N of the quorum:
    the representatives seated, or, when vacant seats count and a number of seats is set,
    the larger of the seats and those seated."""
    if count_vacant and quota:
        return max(quota, seated)
    return seated


def proposal_sufficient(proposers: int, total: int) -> bool:
    """MEET-1: at least one fifth of the representatives propose (5p ≥ N), at least one."""
    return proposers >= 1 and 5 * proposers >= total


def has_quorum(present: int, total: int) -> bool:
    """MEET-1: more than half of all representatives present (2a > N)."""
    return total > 0 and 2 * present > total


def quorum_needed(total: int) -> int:
    """MEET-1: the smallest number present that makes a quorum (⌊N/2⌋ + 1)."""
    return total // 2 + 1


def passes(votes_for: int, present: int) -> bool:
    """MEET-1: more than two thirds of those present in favour (3y > 2a)."""
    return present > 0 and 3 * votes_for > 2 * present


def votes_needed(present: int) -> int:
    """MEET-1: the smallest number in favour that passes (⌊2a/3⌋ + 1)."""
    return 2 * present // 3 + 1


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def regular_due(last_held: dt.date | None, interval_months: int) -> dt.date | None:
    """MEET-1 [param assembly_interval_months, default 6] (每半年召开一次): the date by which the
    next regular sitting is due; None when none was ever recorded."""
    if last_held is None:
        return None
    return add_months(last_held, interval_months)


def discipline_measure(nth_in_year: int) -> str:
    """MEET-5 (003 六(四) 提示、警告、批评): the first unexcused absence of the year a reminder,
    the second a warning, from the third a criticism."""
    from meetings.models import Measure

    if nth_in_year <= 1:
        return Measure.REMINDER
    if nth_in_year == 2:
        return Measure.WARNING
    return Measure.CRITICISM
