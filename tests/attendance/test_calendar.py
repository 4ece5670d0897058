"""The working-day calendar (RULES ATT, ATT-2 leave in working days): statutory holidays and
make-up working days from `chinesecalendar`, the street's exceptions over them, and
Monday–Friday for a year the package has no data for."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from attendance import calendar
from attendance.models import CalendarException
from attendance.services import calendar_exception_save
from core.models import Role
from tests.factories import StreetFactory, user_with_role

D = dt.date


@pytest.fixture
def street(db):
    return StreetFactory()


@pytest.mark.django_db
def test_make_up_saturday_counts_as_a_working_day(street):
    # 2024-10-12 (Saturday) was worked in lieu of the National Day holiday.
    assert calendar.is_working_day(street, D(2024, 10, 12))
    info = calendar.calendar_days(street, D(2024, 10, 12), D(2024, 10, 12))[D(2024, 10, 12)]
    assert info.source == calendar.Source.STATUTORY
    assert "调休上班" in info.note
    # An ordinary Saturday is not.
    assert not calendar.is_working_day(street, D(2024, 10, 19))


@pytest.mark.django_db
def test_statutory_holiday_is_not_a_working_day(street):
    # 2024-10-01 (Tuesday) National Day; 2024-10-07 (Monday) a moved day off.
    assert not calendar.is_working_day(street, D(2024, 10, 1))
    assert not calendar.is_working_day(street, D(2024, 10, 7))
    info = calendar.national(D(2024, 10, 1))
    assert info.note == "国庆节"


@pytest.mark.django_db
def test_leave_across_a_weekend_counts_only_working_days(street):
    # Thursday 2024-11-14 to Tuesday 2024-11-19: Thu, Fri, Mon, Tue.
    assert calendar.working_days(street, D(2024, 11, 14), D(2024, 11, 19)) == Decimal("4")


@pytest.mark.django_db
def test_leave_across_the_national_day_block_counts_the_make_up_days(street):
    # 2024-09-27 (Fri) to 2024-10-12 (Sat): 27, 29 (make-up Sunday), 30, 8, 9, 10, 11, 12.
    assert calendar.working_days(street, D(2024, 9, 27), D(2024, 10, 12)) == Decimal("8")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start, end, start_half, end_half, days",
    [
        (D(2024, 11, 18), D(2024, 11, 18), False, False, "1"),
        (D(2024, 11, 18), D(2024, 11, 18), True, False, "0.5"),
        (D(2024, 11, 18), D(2024, 11, 18), False, True, "0.5"),
        (D(2024, 11, 18), D(2024, 11, 19), True, False, "1.5"),
        (D(2024, 11, 18), D(2024, 11, 21), False, True, "3.5"),
        (D(2024, 11, 15), D(2024, 11, 18), True, True, "1"),  # Fri pm + Mon am
        (D(2024, 11, 16), D(2024, 11, 17), True, True, "0"),  # a weekend's halves
    ],
)
def test_half_days_count_on_working_days_only(street, start, end, start_half, end_half, days):
    got = calendar.working_days(street, start, end, start_half=start_half, end_half=end_half)
    assert got == Decimal(days)


@pytest.mark.django_db
def test_street_exceptions_override_the_package(street):
    other = StreetFactory()
    CalendarException.objects.create(
        street=street, date=D(2024, 11, 18), is_working_day=False, reason="区政府通知放假"
    )
    CalendarException.objects.create(
        street=street, date=D(2024, 11, 16), is_working_day=True, reason="防汛值班"
    )
    assert not calendar.is_working_day(street, D(2024, 11, 18))
    assert calendar.is_working_day(street, D(2024, 11, 16))
    assert calendar.is_working_day(other, D(2024, 11, 18))  # another street: unchanged
    # Mon 18 off, Sat 16 on: Fri 15, Sat 16, Tue 19.
    assert calendar.working_days(street, D(2024, 11, 15), D(2024, 11, 19)) == Decimal("3")
    info = calendar.calendar_days(street, D(2024, 11, 18), D(2024, 11, 18))[D(2024, 11, 18)]
    assert info == calendar.DayInfo(False, calendar.Source.EXCEPTION, "区政府通知放假")


@pytest.mark.django_db
def test_year_without_package_data_falls_back_to_monday_to_friday(street):
    year = 2099
    assert not calendar.has_national_data(year)
    assert calendar.fallback_years(D(2026, 12, 1), D(year, 1, 1))[-1] == year
    monday = D(year, 1, 5)
    assert monday.weekday() == 0
    info = calendar.national(monday)
    assert info.working and info.source == calendar.Source.FALLBACK
    assert not calendar.is_working_day(street, monday + dt.timedelta(days=5))  # Saturday
    # The street adds that year's holidays itself; they override the fallback.
    CalendarException.objects.create(
        street=street, date=D(year, 1, 1), is_working_day=False, reason="元旦"
    )
    assert calendar.working_days(street, D(year, 1, 1), D(year, 1, 9)) == Decimal("6")


@pytest.mark.django_db
def test_a_range_is_one_query(street):
    with CaptureQueriesContext(connection) as ctx:
        calendar.working_days(street, D(2024, 1, 1), D(2024, 12, 31))
    assert len(ctx.captured_queries) == 1


@pytest.mark.django_db
def test_only_the_streets_own_roles_add_exceptions(street):
    admin = user_with_role(Role.STREET_ADMIN, street=street)
    other_admin = user_with_role(Role.STREET_ADMIN, street=StreetFactory())
    director = user_with_role(Role.COMMITTEE_DIRECTOR)
    row = CalendarException(street=street, date=D(2024, 11, 18), is_working_day=False, reason="x")
    with pytest.raises(Http404):
        calendar_exception_save(user=other_admin, instance=row)
    director_street = director.role_assignments.get().community.street
    with pytest.raises(PermissionDenied):
        calendar_exception_save(
            user=director,
            instance=CalendarException(
                street=director_street, date=D(2024, 11, 18), is_working_day=False, reason="x"
            ),
        )
    calendar_exception_save(user=admin, instance=row)
    assert CalendarException.objects.filter(street=street).count() == 1
