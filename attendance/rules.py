"""Pure predicates and calculations of the ATT rules (no DB writes, no queries), one per rule,
each citing its seed (003 十三 社区考勤管理制度). The numbers come from the community's
PolicyProfile, never a literal here.

Boundaries (RULES: 以上/以下/以内 include the number, 超过 excludes it):
- ATT-2 "1天之内" → days ≤ leave_director_max_days; "超过三天以上" → days > leave_street_over_days.
- ATT-3 "超过三次" → times > late_times_threshold; "累计迟到(早退)超过五天" → days > late_resign_days.
- ATT-4 "旷工1天" → the first whole day (≥ 1); "旷工2天" → days ≥ absence_resign_days.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core.models import CountWindow, LeaveMidApprover

ZERO = Decimal("0")
HALF = Decimal("0.5")
ONE = Decimal("1")
CENT = Decimal("0.01")

AM, PM = "am", "pm"


def fmt_days(value) -> str:
    """3.00 → "3", 1.50 → "1.5" (days in messages)."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- ATT-1: the day in the register ----------------------------------------------------------


def is_late(sign_in: dt.time, expected_start: dt.time) -> bool:
    """ATT-3 迟到: signed in after the expected start (on the minute is in time)."""
    return sign_in.replace(second=0, microsecond=0) > expected_start


def is_early(sign_out: dt.time, expected_end: dt.time) -> bool:
    """ATT-3 早退: signed out before the expected end."""
    return sign_out < expected_end


@dataclass(frozen=True)
class RecordFacts:
    """What the register holds for one worker and day, in local time."""

    sign_in: dt.time | None
    sign_out: dt.time | None
    expected_start: dt.time
    midday: dt.time
    expected_end: dt.time


@dataclass(frozen=True)
class DayMark:
    """One cell of the 考勤表: the derived state of one worker on one day."""

    working: bool = True
    in_service: bool = True
    pending: bool = False  # today or later: not judged yet
    leave: Decimal = ZERO  # 0, 0.5 or 1 day of approved leave
    present: bool = False
    late: bool = False
    early: bool = False
    absent: Decimal = ZERO  # 0, 0.5 or 1 day of unexcused absence (ATT-4)

    @property
    def symbol(self) -> str:
        """√ present, 迟 late, 早 early, 假 leave, 旷 absent, 休 rest day; a half day of leave
        shows 假 with what happened in the other half."""
        if not self.in_service:
            return ""
        if not self.working:
            return "休"
        if self.leave >= ONE:
            return "假"
        parts = []
        if self.leave:
            parts.append("假")
        if self.absent:
            parts.append("旷")
        if self.late:
            parts.append("迟")
        if self.early:
            parts.append("早")
        if self.present and not (self.late or self.early):
            parts.append("√")
        return "".join(parts)

    @property
    def late_early_times(self) -> int:
        """ATT-3: a late arrival and an early departure on one day are two times."""
        return int(self.late) + int(self.early)


def day_mark(
    *,
    day: dt.date,
    today: dt.date,
    working: bool,
    in_service: bool,
    leave_halves: frozenset[str] = frozenset(),
    record: RecordFacts | None = None,
) -> DayMark:
    """ATT-1/3/4 for one worker and day.

    - Not in service (before hiring, after leaving): an empty cell.
    - A rest day (weekend, statutory holiday, the street's extra holiday): 休.
    - Approved leave covers a whole day: 假; half a day moves the expected arrival (morning
      off) or departure (afternoon off) to the midday line.
    - Signed in: present; late if after the expected start; early if signed out before the
      expected end, or, on a past day, never signed out (the clerk corrects a forgotten
      sign-out with a reason).
    - No sign-in on a past working day: absent for the part not on leave (ATT-4 无故旷工:
      "without approved leave"). Today and later days are pending."""
    if not in_service:
        return DayMark(in_service=False)
    if not working:
        return DayMark(working=False)
    leave = HALF * len(leave_halves & {AM, PM})
    if leave >= ONE:
        return DayMark(leave=ONE)
    pending = day >= today
    if record is None or record.sign_in is None:
        if pending:
            return DayMark(pending=True, leave=leave)
        return DayMark(leave=leave, absent=ONE - leave)
    start = record.midday if AM in leave_halves else record.expected_start
    end = record.midday if PM in leave_halves else record.expected_end
    late = is_late(record.sign_in, start)
    # A past day never signed out counts as an early departure until the clerk corrects it.
    early = is_early(record.sign_out, end) if record.sign_out is not None else not pending
    return DayMark(pending=pending, leave=leave, present=True, late=late, early=early)


def in_service_on(hired_on: dt.date | None, left_on: dt.date | None, day: dt.date) -> bool:
    """A worker counts in the register from the hiring day to the leaving day (both included;
    an unknown hiring date counts from the start)."""
    return (hired_on is None or hired_on <= day) and (left_on is None or left_on >= day)


# --- months and windows ----------------------------------------------------------------------


def month_first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=pycalendar.monthrange(day.year, day.month)[1])


def window_bounds(window: str, day: dt.date) -> tuple[dt.date, dt.date, str]:
    """The counting window of ATT-3/ATT-4 that holds `day`: (first, last, label). The seed
    names no window; the profile says month (default for the 3 times and the absences) or
    year (default for the 5 days of lateness)."""
    if window == CountWindow.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), f"{day.year}"
    return month_first(day), month_end(day), f"{day:%Y-%m}"


# --- ATT-2: leave ----------------------------------------------------------------------------

STEP_DIRECTOR = "director"  # 社区居委会主任
STEP_CHIEF = "chief"  # 街道办事处社会事务管理科科长
STEP_DEPUTY = "deputy"  # 街道办事处主管主任（分管副主任）


def leave_route(days: Decimal, profile, *, requester_is_director: bool = False) -> tuple[str, ...]:
    """ATT-2 (003 十三(三)) [param]: who approves a leave of `days` working days, in order.

    - days ≤ leave_director_max_days ("1天之内"): the committee director;
    - days > leave_street_over_days ("超过三天以上"): the street's social-affairs section
      chief approves, the deputy director in charge reviews, then it is filed;
    - in between (the seed is silent): profile.leave_mid_approver, the director by default,
      else the street's two steps.
    The director's own leave cannot be approved by the director: the street's section chief
    takes the director's step (the section receives the community's attendance, 十三(六))."""
    if days > profile.leave_street_over_days:
        return (STEP_CHIEF, STEP_DEPUTY)
    if days <= profile.leave_director_max_days:
        steps = (STEP_DIRECTOR,)
    elif profile.leave_mid_approver == LeaveMidApprover.STREET:
        steps = (STEP_CHIEF, STEP_DEPUTY)
    else:
        steps = (STEP_DIRECTOR,)
    if requester_is_director and steps == (STEP_DIRECTOR,):
        return (STEP_CHIEF,)
    return steps


def needs_written_request(days: Decimal, profile) -> bool:
    """ATT-2 (003 十三(三) 超过三天以上的要写请假条): a written request is attached."""
    return days > profile.leave_street_over_days


def leave_deducts(days: Decimal, profile) -> bool:
    """ATT-2 (按天计算扣当月工资): leave over leave_street_over_days is deducted per day; shorter
    leave only where the profile says so (leave_short_deducts_pay, default no)."""
    return days > profile.leave_street_over_days or bool(profile.leave_short_deducts_pay)


def daily_pay(monthly: Decimal, profile) -> Decimal:
    """ATT-2: daily pay = monthly subsidy / pay_days_per_month (21.75, the national 月计薪天数
    convention; not a seed number)."""
    return Decimal(monthly) / Decimal(profile.pay_days_per_month)


def deduction_amount(days: Decimal, monthly: Decimal, profile) -> Decimal:
    """ATT-2/ATT-3: days × monthly subsidy / pay days, to the cent (half up), never more than
    the month's subsidy."""
    amount = (Decimal(days) * Decimal(monthly) / Decimal(profile.pay_days_per_month)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    return min(amount, Decimal(monthly).quantize(CENT))


def half_slots(start: dt.date, start_half: bool, end: dt.date, end_half: bool) -> tuple[int, int]:
    """A leave as a closed range of half-day slots (morning = even, afternoon = odd), for the
    overlap test: a morning off and an afternoon off on the same day do not overlap."""
    first = start.toordinal() * 2 + (1 if start_half else 0)
    last = end.toordinal() * 2 + (0 if end_half else 1)
    return first, last


def leave_overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """ATT-2: two leaves share a half day."""
    return a[0] <= b[1] and b[0] <= a[1]


def halves_on(
    day: dt.date, start: dt.date, start_half: bool, end: dt.date, end_half: bool
) -> frozenset[str]:
    """The halves of `day` a leave covers (empty outside it)."""
    if day < start or day > end:
        return frozenset()
    halves = {AM, PM}
    if day == start and start_half:
        halves.discard(AM)
    if day == end and end_half:
        halves.discard(PM)
    return frozenset(halves)


def leave_dates_problem(start, start_half, end, end_half) -> str | None:
    """Why a leave's dates are impossible, or None."""
    if start is None or end is None:
        return None
    if end < start:
        return _("结束日期不能早于开始日期")
    if start == end and start_half and end_half:
        return _("同一天不能既从下午开始又在上午结束")
    return None


# --- ATT-3 / ATT-4: lateness and absence -----------------------------------------------------


@dataclass(frozen=True)
class WindowCounts:
    """ATT-3/ATT-4 counts of one worker over a counting window (past days only)."""

    times: int = 0  # late arrivals + early departures
    times_after_criticism: int = 0  # of those, on days after the first recorded criticism
    late_days: int = 0  # days with a late arrival or an early departure
    absent_days: Decimal = ZERO  # unexcused absence, in half days


def window_counts(marks, *, first_criticism: dt.date | None = None) -> WindowCounts:
    """Sum (date, DayMark) pairs of one worker into WindowCounts."""
    times = after = late_days = 0
    absent = ZERO
    for day, mark in marks:
        n = mark.late_early_times
        times += n
        if first_criticism is not None and day > first_criticism:
            after += n
        late_days += 1 if n else 0
        absent += mark.absent
    return WindowCounts(times, after, late_days, absent)


def late_deduction_due(times: int, times_after_criticism: int, profile) -> bool:
    """ATT-3 (003 十三(四) 迟到或早退超过三次，经批评教育仍不改正的，扣发三天当月工资): more
    than late_times_threshold late arrivals or early departures in the window, and at least
    one more after a criticism recorded in the window (仍不改正)."""
    return times > profile.late_times_threshold and times_after_criticism > 0


def late_deduction_in_month(marks, criticised, month: dt.date, profile) -> Decimal:
    """ATT-3: the days deducted in `month` (profile.late_deduct_days or 0), from the worker's
    marks {date: DayMark} (covering at least the window up to the month's end) and the dates
    of recorded criticisms. With a monthly window (the default) the month is judged on its
    own; with a yearly one, the deduction falls in the month in which the year-to-date count
    first meets the rule, so it is deducted once a year."""
    first, last = month_first(month), month_end(month)
    window_first, _end, _label = window_bounds(profile.late_times_window, first)

    def due(upto: dt.date) -> bool:
        counts = window_counts(
            ((d, m) for d, m in marks.items() if window_first <= d <= upto),
            first_criticism=min((c for c in criticised if window_first <= c <= upto), default=None),
        )
        return late_deduction_due(counts.times, counts.times_after_criticism, profile)

    if not due(last):
        return ZERO
    if window_first < first and due(first - dt.timedelta(days=1)):
        return ZERO  # a yearly window: already deducted in an earlier month
    return Decimal(profile.late_deduct_days)


def leave_days_in(spans, days, first: dt.date, last: dt.date) -> Decimal:
    """ATT-2: the working days of leave `spans` [(start, start_half, end, end_half)] inside
    [first, last], from a calendar `days` {date: DayInfo} covering that range (a half day
    counts only on the leave's own first or last day)."""
    total = ZERO
    for start, start_half, end, end_half in spans:
        lo, hi = max(start, first), min(end, last)
        if lo > hi:
            continue
        for day in _dates(lo, hi):
            info = days.get(day)
            if info is None or not info.working:
                continue
            amount = ONE
            if day == start and start_half:
                amount -= HALF
            if day == end and end_half:
                amount -= HALF
            total += amount
    return total


def _dates(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def late_resignation_due(late_days: int, profile) -> bool:
    """ATT-3 (累计迟到(早退)超过五天的，按自动辞职处理): late or early on more than
    late_resign_days days in the window (a year by default). "迟到了五天" counts days on
    which the worker was late, as the seed contrasts it with the "三次" (times) before."""
    return Decimal(late_days) > profile.late_resign_days


def self_criticism_due(absent_days: Decimal) -> bool:
    """ATT-4 (无故旷工1天，当事人要写出书面检查): a whole day of unexcused absence."""
    return absent_days >= ONE


def absence_resignation_due(absent_days: Decimal, profile) -> bool:
    """ATT-4 (无故旷工2天的，按自动辞职处理): absence_resign_days days of unexcused absence in
    the window (a month by default). 以上 reading: exactly 2 days is treated as resignation."""
    return Decimal(absent_days) >= profile.absence_resign_days


# --- ATT-2: the written request ----------------------------------------------------------------

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
_EXTENSIONS = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "png": "png"}


def attachment_problem(name: str, size: int, head: bytes) -> str | None:
    """Why an uploaded 请假条 is refused, or None: at most MAX_ATTACHMENT_BYTES, a PDF, JPEG
    or PNG whose name and first bytes agree (a renamed program or a PNG called .pdf is
    refused)."""
    if size > MAX_ATTACHMENT_BYTES:
        return _("文件过大（%(size)s MB），不能超过 %(max)s MB") % {
            "size": round(size / 1024 / 1024, 1),
            "max": MAX_ATTACHMENT_BYTES // 1024 // 1024,
        }
    if size == 0:
        return _("文件是空的")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = _EXTENSIONS.get(ext)
    actual = next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)
    if expected is None or actual != expected:
        return _("请假条只能是 PDF、JPG 或 PNG 文件，且文件内容须与扩展名一致")
    return None
