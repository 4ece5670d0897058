"""The working-day calendar (RULES ATT: "Working days follow China's statutory holidays and
make-up working days").

Three sources, strongest first:

1. the street's own exceptions (CalendarException rows: an extra holiday or an extra working
   day), which override everything below;
2. the `chinesecalendar` package: statutory holidays (法定节假日, incl. the days off moved
   into a holiday block) and make-up working days (调休上班, e.g. a Saturday);
3. for a year the package has no data for (it raises NotImplementedError), Monday to Friday.
   Pages and findings say so (`fallback_years`), and the street adds that year's holidays as
   exceptions once the State Council publishes them.

Everything about a date range is read with one query (the street's exceptions in the range).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

import chinese_calendar
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The package names holidays in English.
HOLIDAY_NAMES = {
    "New Year's Day": gettext_lazy("元旦"),
    "Spring Festival": gettext_lazy("春节"),
    "Tomb-sweeping Day": gettext_lazy("清明节"),
    "Labour Day": gettext_lazy("劳动节"),
    "Dragon Boat Festival": gettext_lazy("端午节"),
    "National Day": gettext_lazy("国庆节"),
    "Mid-autumn Festival": gettext_lazy("中秋节"),
    "Anti-Fascist 70th Day": gettext_lazy("中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"),
}

HALF = Decimal("0.5")
ONE = Decimal("1")


class Source:
    EXCEPTION = "exception"
    STATUTORY = "statutory"
    FALLBACK = "fallback"


class DayInfo(NamedTuple):
    working: bool
    source: str  # Source.*
    note: str  # the exception's reason or the holiday's name, "" otherwise


def _street_id(street) -> int:
    return street if isinstance(street, int) else street.pk


def national(day: dt.date) -> DayInfo:
    """The national calendar for one day: the package's answer, or Monday–Friday for a year
    it has no data for."""
    try:
        working = chinese_calendar.is_workday(day)
    except NotImplementedError:
        return DayInfo(day.weekday() < 5, Source.FALLBACK, "")
    _holiday, name = chinese_calendar.get_holiday_detail(day)
    label = str(HOLIDAY_NAMES.get(name, name or ""))
    note = ""
    if working and day.weekday() >= 5:
        note = _("调休上班（%(name)s）") % {"name": label} if label else _("调休上班")
    elif not working and label:
        note = label
    return DayInfo(working, Source.STATUTORY, note)


def has_national_data(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def fallback_years(start: dt.date, end: dt.date) -> list[int]:
    """The years of [start, end] counted Monday–Friday because the package has no data."""
    return [y for y in range(start.year, end.year + 1) if not has_national_data(y)]


def _dates(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def exceptions_in(street, start: dt.date, end: dt.date) -> dict[dt.date, tuple[bool, str]]:
    """{date: (is_working_day, reason)} of the street's exceptions in [start, end] (one
    query)."""
    from attendance.models import CalendarException

    rows = CalendarException.objects.filter(
        street_id=_street_id(street), date__gte=start, date__lte=end
    ).values_list("date", "is_working_day", "reason")
    return {day: (working, reason) for day, working, reason in rows}


def calendar_days(
    street, start: dt.date, end: dt.date, *, exceptions: dict | None = None
) -> dict[dt.date, DayInfo]:
    """Every day of [start, end] with whether it is a working day and why. `exceptions`
    (from exceptions_in) may be passed to reuse one query for several calls."""
    if exceptions is None:
        exceptions = exceptions_in(street, start, end) if start <= end else {}
    days = {}
    for day in _dates(start, end):
        if day in exceptions:
            working, reason = exceptions[day]
            days[day] = DayInfo(working, Source.EXCEPTION, reason)
        else:
            days[day] = national(day)
    return days


def is_working_day(street, day: dt.date) -> bool:
    """Whether `day` is a working day for the street (its exception, else the statutory
    calendar, else Monday–Friday)."""
    return calendar_days(street, day, day)[day].working


def count_working_days(
    days: dict[dt.date, DayInfo],
    start: dt.date,
    end: dt.date,
    *,
    start_half: bool = False,
    end_half: bool = False,
) -> Decimal:
    """ATT-2: the working days of [start, end] in `days` (from calendar_days), in half days.
    `start_half`: the first day counts from noon (its morning is not included);
    `end_half`: the last day counts until noon. A half only matters on a working day."""
    total = Decimal(0)
    for day in _dates(start, end):
        info = days.get(day)
        if info is None or not info.working:
            continue
        amount = ONE
        if day == start and start_half:
            amount -= HALF
        if day == end and end_half:
            amount -= HALF
        total += max(amount, Decimal(0))
    return total


def working_days(
    street,
    start: dt.date,
    end: dt.date,
    *,
    start_half: bool = False,
    end_half: bool = False,
) -> Decimal:
    """ATT-2: the working days between `start` and `end` (both included) for the street, in
    half days: weekends and statutory holidays are not counted, a make-up Saturday is, the
    street's exceptions override both. One query."""
    if end < start:
        return Decimal(0)
    days = calendar_days(street, start, end)
    return count_working_days(days, start, end, start_half=start_half, end_half=end_half)
