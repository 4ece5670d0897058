"""Pure predicates and calculations of the STAFF rules (no DB writes, no queries)."""

import calendar
import datetime as dt
import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal

from django.utils.translation import gettext as _

from staffing.models import HandoverOutcome, Post, SubsidyGrade

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


# STAFF-6 (004 二(六)2): who trains every calendar year, who every N years.
YEARLY_TRAINING_POSTS = HEAD_POSTS
CYCLE_TRAINING_POSTS = frozenset(
    {
        Post.PARTY_DEPUTY_SECRETARY,
        Post.PARTY_MEMBER,
        Post.COMMITTEE_DEPUTY_DIRECTOR,
        Post.COMMITTEE_MEMBER,
    }
)
# STAFF-10 (000 第八条(六)): the holders of party posts whose 党性体检 is counted.
PARTY_POSTS = frozenset({Post.PARTY_SECRETARY, Post.PARTY_DEPUTY_SECRETARY, Post.PARTY_MEMBER})

# STAFF-6 (003 七(四) 每周集中学习): the window looked at, one session a week expected.
WEEKLY_STUDY_WEEKS = 4
WEEKLY_STUDY_WINDOW = dt.timedelta(weeks=WEEKLY_STUDY_WEEKS)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def training_since(posts: Iterable[str], today: dt.date, profile) -> dt.date | None:
    """STAFF-6 (004 二(六)2): the first day of the person's required training cycle, or None
    when no post they hold carries the duty. Party secretary and committee director: the
    current calendar year; other committee and party members: the last
    `profile.training_cycle_years_members` years, today included."""
    posts = set(posts)
    if posts & YEARLY_TRAINING_POSTS:
        return dt.date(today.year, 1, 1)
    if posts & CYCLE_TRAINING_POSTS:
        return years_before(today, profile.training_cycle_years_members)
    return None


def training_totals(trainings, since: dt.date, today: dt.date) -> tuple[int, Decimal]:
    """Attended trainings between `since` and `today` (both included): (count, hours).
    `trainings` holds (date, hours, attended) rows."""
    count, hours = 0, Decimal(0)
    for day, row_hours, attended in trainings:
        if attended and since <= day <= today:
            count += 1
            hours += row_hours
    return count, hours


def training_due(posts: Iterable[str], trainings, today: dt.date, profile) -> bool:
    """STAFF-6: the person still owes training: no attended training in their cycle, or
    fewer than `profile.training_hours_min` hours summed over it."""
    since = training_since(posts, today, profile)
    if since is None:
        return False
    count, hours = training_totals(trainings, since, today)
    return count == 0 or hours < profile.training_hours_min


def needs_party_checkups(checkups: int, profile) -> bool:
    """STAFF-10 (000 第八条(六) 每年两次): fewer checkups in a year than the profile asks."""
    return checkups < profile.party_checkups_per_year


def too_few_study_sessions(sessions: int) -> bool:
    """STAFF-6 (003 七(四)): fewer collective studies in the window than one a week."""
    return sessions < WEEKLY_STUDY_WEEKS


def worked_whole_year(hired_on: dt.date | None, left_on: dt.date | None, year: int) -> bool:
    """STAFF-5: a worker in service from 1 January to 31 December of `year` (an unknown hire
    date is not assumed to be before it)."""
    return (
        hired_on is not None
        and hired_on <= dt.date(year, 1, 1)
        and (left_on is None or left_on >= dt.date(year, 12, 31))
    )


# STAFF-4: a term with no re-selection decision this long after its end is reported.
RESELECTION_OVERDUE_DAYS = 30


def reselection_open(ends_on: dt.date | None, day: dt.date) -> bool:
    """STAFF-4 (002 四(二) 届满换届): a re-selection may be recorded on `day` for a term that
    has ended or ends within the notice window (TERM_EXPIRY_NOTICE_DAYS, `day` included)."""
    return ends_on is not None and ends_on <= day + TERM_EXPIRY_NOTICE_DAYS_DELTA


def reselection_overdue(ends_on: dt.date | None, reappointed, today: dt.date) -> bool:
    """STAFF-4: a term ended more than RESELECTION_OVERDUE_DAYS ago without a decision."""
    return (
        reappointed is None
        and ends_on is not None
        and ends_on < today - dt.timedelta(days=RESELECTION_OVERDUE_DAYS)
    )


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def subsidy_ends_on(term) -> dt.date | None:
    """STAFF-4 (002 四(二) 届满未续任的，补贴和待遇相应终止): for a term not re-appointed, the
    last day of the month of its end (the subsidy stops from the following month); None
    when re-appointed or not yet decided."""
    if term.reappointed is False and term.ends_on is not None:
        return month_end(term.ends_on)
    return None


def missing_handover_items(handover) -> list[str]:
    """STAFF-7 (000 第十八条): the names of the checklist items not yet handed over."""
    items = (
        ("finance_done", _("财务")),
        ("archives_done", _("档案")),
        ("seals_done", _("印章")),
    )
    return [label for field, label in items if not getattr(handover, field)]


def handover_outcome(requested: str, on: dt.date, deadline: dt.date) -> str:
    """STAFF-7: a completed handover after the deadline is late (criticism)."""
    if requested == HandoverOutcome.COMPLETED and on > deadline:
        return HandoverOutcome.LATE
    return requested


def withholds_bonus(outcome: str) -> bool:
    """STAFF-7 (000 第十八条): refusal after the deadline, or altered, damaged or lost
    archives and seals: the year's performance bonus is withheld."""
    return outcome in (HandoverOutcome.REFUSED, HandoverOutcome.LOST)


# ORG-2 (001 第八条) / ORG-3 (001 第十条): posts that take a seat on the party committee or
# the residents' committee, whose size is capped by the profile.
PARTY_COMMITTEE_POSTS = PARTY_POSTS
RESIDENTS_COMMITTEE_POSTS = frozenset(
    {Post.COMMITTEE_DIRECTOR, Post.COMMITTEE_DEPUTY_DIRECTOR, Post.COMMITTEE_MEMBER}
)


def committee_of(post: str) -> str | None:
    """The capped body a post sits on: "ORG-2" (party committee), "ORG-3" (residents'
    committee) or None."""
    if post in PARTY_COMMITTEE_POSTS:
        return "ORG-2"
    if post in RESIDENTS_COMMITTEE_POSTS:
        return "ORG-3"
    return None


def committee_cap(rule_id: str, profile) -> int:
    """ORG-2 / ORG-3: the profile's maximum number of members."""
    return profile.party_committee_max if rule_id == "ORG-2" else profile.committee_max


def peak_holders(terms, start: dt.date, end: dt.date | None) -> int:
    """The largest number of distinct people holding a seat on one day between `start` and
    `end` (an open end: until further notice). `terms` holds (person, starts_on, ends_on).
    Seats change only on a start day, so the peak is on `start` or on a start inside the
    range."""
    days = {start} | {s for _p, s, _e in terms if s > start and (end is None or s <= end)}
    peak = 0
    for day in days:
        people = {p for p, s, e in terms if s <= day and (e is None or day <= e)}
        peak = max(peak, len(people))
    return peak


# The street-wide staffing table (issue #5, STAFF-1): the posts each community is expected
# to fill. Single-holder posts from ORG-1 / STAFF-2 (002 四(二): 书记 1 名) and 003 十四(一)
# (会计、出纳); the service room's recruits from STAFF-3 (002 四(二): 每个社区 3 名).
SERVICE_ROOM_RECRUITS = 3


def expected_posts(households: int, residents_groups: int, profile) -> dict[str, int]:
    """The number of people each post group needs in a community. Groups: single posts by
    their Post value, and "committee" (ORG-3: clamp(ceil(H/300), 5, 9) members incl. the
    director), "party_committee" (ORG-2: at least the profile's minimum), "grid" (ORG-5: one
    网格员 per residents' group)."""
    from communities.rules import expected_committee_size

    return {
        Post.PARTY_SECRETARY: 1,
        "party_committee": profile.party_committee_min,
        Post.COMMITTEE_DIRECTOR: 1,
        "committee": expected_committee_size(households, profile),
        Post.ACCOUNTANT: 1,
        Post.CASHIER: 1,
        Post.SERVICE_STAFF: SERVICE_ROOM_RECRUITS,
        Post.GRID_WORKER: residents_groups,
    }


def post_group_members(group: str) -> frozenset[str]:
    """The posts whose holders count for a group of expected_posts()."""
    if group == "committee":
        return RESIDENTS_COMMITTEE_POSTS
    if group == "party_committee":
        return PARTY_COMMITTEE_POSTS
    return frozenset({group})


def vacancies(expected: int, actual: int) -> int:
    """Posts to fill: never negative (over-filling is reported by STAFF-1, not here)."""
    return max(expected - actual, 0)


# ---------------------------------------------------------------------------------------------
# STAFF-2 subsidies (002 四(二); 004 三(二)2) and FIN-9 (003 十四(五)).

CENT = Decimal("0.01")

# STAFF-2 (002 四(二) 书记每月1200元，副书记（主任）每月1100元，成员每月1000元): which post takes
# which standard of the profile.
# - The party secretary (书记, or the interim head) takes the secretary standard.
# - "副书记（主任）" is one post of the five: the deputy secretary, who in 002's structure is the
#   residents' committee director. Both the party deputy secretary and the committee director
#   take the deputy standard.
# - The committee's deputy director is not one of 002's five posts (secretary 1, deputy
#   secretary 1, members 3); below the director everyone is a "成员", so the deputy director
#   takes the member standard. Reading the bracket more widely would raise a standard the
#   seed does not name, which FIN-9 (003 十四(五) 不得擅自提高标准) forbids.
# - Party committee and residents' committee members take the member standard.
SUBSIDY_GRADE_OF_POST = {
    Post.PARTY_SECRETARY: SubsidyGrade.SECRETARY,
    Post.PARTY_DEPUTY_SECRETARY: SubsidyGrade.DEPUTY,
    Post.COMMITTEE_DIRECTOR: SubsidyGrade.DEPUTY,
    Post.COMMITTEE_DEPUTY_DIRECTOR: SubsidyGrade.MEMBER,
    Post.PARTY_MEMBER: SubsidyGrade.MEMBER,
    Post.COMMITTEE_MEMBER: SubsidyGrade.MEMBER,
}
# Posts 002's table does not name but whose full-time holders are 专职社区工作者 of 002 四(二)
# (the recruits "一般安排在社区服务室工作"; 已建社区 "需招聘补足的，按新建社区办法执行"): the
# lowest standard of the new-community method, the member standard, and only for full-time
# workers. Owners' committee seats (业主委员会) are owners' self-government, not a paid post.
STAFF_POSTS_AT_MEMBER_GRADE = frozenset(
    {Post.SERVICE_STAFF, Post.GRID_WORKER, Post.ACCOUNTANT, Post.CASHIER}
)


def grade_standard(grade: str, profile) -> Decimal:
    """STAFF-2: the profile's monthly standard of a grade (a street-set number, FIN-9)."""
    return {
        SubsidyGrade.SECRETARY: profile.subsidy_secretary,
        SubsidyGrade.DEPUTY: profile.subsidy_deputy,
        SubsidyGrade.MEMBER: profile.subsidy_member,
    }[grade]


def post_grade(post: str, *, full_time: bool) -> str | None:
    """STAFF-2: the standard one post carries, or None (not a subsidised post)."""
    if post in SUBSIDY_GRADE_OF_POST:
        return SUBSIDY_GRADE_OF_POST[post]
    if full_time and post in STAFF_POSTS_AT_MEMBER_GRADE:
        return SubsidyGrade.MEMBER
    return None


def subsidy_grade(posts: Iterable[str], profile, *, full_time: bool) -> str | None:
    """STAFF-2 with STAFF-9: a person holding several posts gets the highest one standard,
    never the sum. 002 四(二) gives one 生活补助 per person per month; cross-appointment
    (e.g. the secretary also director, 一肩挑) is encouraged (004 二(六)1) and is not paid
    twice; adding standards would raise what the street set (FIN-9). "Highest" compares the
    profile's amounts, so a profile with unusual numbers still pays the best one."""
    grades = {g for g in (post_grade(p, full_time=full_time) for p in posts) if g is not None}
    if not grades:
        return None
    order = list(SubsidyGrade.values)
    return max(grades, key=lambda g: (grade_standard(g, profile), -order.index(g)))


def exceeds_standard(amount: Decimal, grade: str, profile) -> bool:
    """STAFF-2 / FIN-9 (003 十四(五) 不得擅自提高标准): a line above the profile's standard for
    its grade. Equal is allowed; one cent more is not."""
    return amount > grade_standard(grade, profile)


def money(value) -> Decimal:
    """Yuan to the cent, half up (the rounding of every payroll amount)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def payroll_net(standard: Decimal, deduction: Decimal, insurance_personal: Decimal) -> Decimal:
    """STAFF-2: what is paid out: the standard less the attendance deduction and the
    worker's own part of social insurance (the unit part is the street's cost)."""
    return money(money(standard) - money(deduction) - money(insurance_personal))


def insurance_part(base: Decimal, pct: Decimal) -> Decimal:
    """002 四(二) 按规定交纳社会保险: one part of the contribution, base × pct %, to the cent."""
    return money(Decimal(base) * Decimal(pct) / 100)


def month_first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def term_subsidised_in(term, month: dt.date) -> bool:
    """STAFF-4 (002 四(二) 未被选聘和任用的，其生活补助、福利待遇相应终止): whether a term carries
    a subsidy for `month` (its first day).

    - a term running on any day of the month: yes (a whole month, no proration);
    - ended before the month and not re-appointed: no; the subsidy ends with the month of
      the end (subsidy_ends_on);
    - ended before the month and re-appointed: the following term carries it;
    - ended before the month with no decision recorded yet: yes. 002 ends the subsidy for
      those *not re-selected*; until the re-selection the holder stays in post (换届前原班子
      继续履职), and the street, not the worker, decides when it happens. The payroll line is
      flagged (reselection_pending) and the STAFF-4 re-selection check reports the term
      30 days after its end, so it is not paid unnoticed."""
    first, last = month_first(month), month_end(month)
    if term.starts_on > last:
        return False
    if term.ends_on is None or term.ends_on >= first:
        return True
    ends = subsidy_ends_on(term)
    if ends is not None:
        return ends >= first
    return term.reappointed is None


def reselection_pending_in(term, month: dt.date) -> bool:
    """STAFF-4: paid for `month` only because the re-selection is not recorded yet."""
    return (
        term.ends_on is not None and term.ends_on < month_first(month) and term.reappointed is None
    )


def wage_gap(standard: Decimal, average: Decimal) -> Decimal:
    """STAFF-2 (004 三(二)2 不低于上年度当地社会平均工资): how far the standard is below last
    year's average monthly wage; 0 when it is not below."""
    return max(Decimal(average) - Decimal(standard), Decimal(0))


def next_year_standard(standard: Decimal, average: Decimal, pct: int) -> Decimal:
    """STAFF-2 (004 三(二)2 每年按不低于差额部分10—20%的增长比例，逐步达到规定要求): next
    year's standard = current + gap × pct % (profile.wage_catchup_pct), never above the
    average, unchanged when there is no gap. The raise is rounded *up* to the cent: the seed
    sets a minimum ("不低于"), and rounding half up could pay less than it (a gap of 0.04 at
    10% would otherwise never close)."""
    gap = wage_gap(standard, average)
    if gap == 0:
        return Decimal(standard)
    raise_by = (gap * Decimal(pct) / 100).quantize(CENT, rounding=ROUND_UP)
    return min(Decimal(standard) + raise_by, Decimal(average))


# STAFF-2: the day of the month by which last month's sheet should be approved by the street
# (a system parameter set in issue #5, not a seed number).
PAYROLL_APPROVAL_DAY = 10


def previous_month(day: dt.date) -> dt.date:
    """The first day of the month before `day`'s."""
    return month_first(month_first(day) - dt.timedelta(days=1))


def payroll_approval_overdue(approved: bool, today: dt.date) -> bool:
    """STAFF-2: last month's sheet is still not approved after PAYROLL_APPROVAL_DAY (the
    day itself is in time)."""
    return not approved and today.day > PAYROLL_APPROVAL_DAY
