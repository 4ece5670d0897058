"""ATT-5 monthly sheet (003 十三(六)): the 考勤表 grid generated per community, signed by the
director and the clerk (two people), stamped, submitted to the street before month end and
frozen; reminders before, an overdue finding after; Excel export. ATT-6 yearly statistics."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pgtrigger
import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from attendance.checks import monthly_sheet, working_calendar
from attendance.exports import sheet_xlsx
from attendance.models import MonthlySheet, SheetState
from attendance.reminders import KIND_SHEET, SHEET_NOTICE_DAYS, reminders_sweep
from attendance.services import record_correct
from attendance.sheets import (
    month_grid,
    sheet_generate,
    sheet_sign,
    sheet_submit,
    submitted_on_time,
    yearly_stats,
)
from core.errors import RuleViolation
from core.models import FindingStatus, Reminder, ReminderStatus, Role
from tests.attendance.factories import AttendanceRecordFactory, at
from tests.factories import CommunityFactory, user_with_role
from tests.staffing.factories import WorkerFactory

D = dt.date
NOV = D(2024, 11, 1)


@pytest.fixture
def s(db):
    community = CommunityFactory()
    worker = WorkerFactory(community=community, name="张三", hired_on=NOV)
    AttendanceRecordFactory(worker=worker, date=D(2024, 11, 1))
    AttendanceRecordFactory(worker=worker, date=D(2024, 11, 4), sign_in_at=at(D(2024, 11, 4), 9))
    return {
        "community": community,
        "worker": worker,
        "clerk": user_with_role(Role.ATTENDANCE_CLERK, community=community),
        "director": user_with_role(Role.COMMITTEE_DIRECTOR, community=community),
    }


def _signed(s):
    sheet = sheet_generate(user=s["clerk"], community=s["community"], month=NOV)
    sheet = sheet_sign(user=s["clerk"], sheet=sheet, as_="clerk")
    return sheet_sign(user=s["director"], sheet=sheet, as_="director")


@pytest.mark.django_db
def test_att5_generated_grid_has_the_familiar_symbols(s):
    sheet = sheet_generate(user=s["clerk"], community=s["community"], month=NOV)
    assert len(sheet.data["days"]) == 30
    row = sheet.data["rows"][0]
    assert row["name"] == "张三"
    cells = dict(zip(sheet.data["days"], row["cells"], strict=True))
    assert cells["2024-11-01"] == "√"
    assert cells["2024-11-02"] == "休"  # Saturday
    assert cells["2024-11-04"] == "迟"
    assert cells["2024-11-05"] == "旷"
    assert row["totals"] == {
        "working": 21,
        "present": 2,
        "late": 1,
        "early": 0,
        "leave": "0",
        "absent": "19",
    }


@pytest.mark.django_db
def test_att5_generate_twice_is_one_sheet_and_changed_data_clears_signatures(s):
    sheet = _signed(s)
    again = sheet_generate(user=s["clerk"], community=s["community"], month=NOV)
    assert again.pk == sheet.pk and again.director_signed_by == s["director"]
    AttendanceRecordFactory(worker=s["worker"], date=D(2024, 11, 5))
    again = sheet_generate(user=s["clerk"], community=s["community"], month=NOV)
    assert again.clerk_signed_by is None and again.director_signed_by is None
    assert MonthlySheet.objects.count() == 1


@pytest.mark.django_db
def test_att5_two_different_people_sign(s):
    sheet = sheet_generate(user=s["clerk"], community=s["community"], month=NOV)
    from core.services import role_assign

    role_assign(by=None, user=s["director"], role=Role.ATTENDANCE_CLERK, community=s["community"])
    sheet = sheet_sign(user=s["director"], sheet=sheet, as_="director")
    with pytest.raises(RuleViolation, match="两人"):
        sheet_sign(user=s["director"], sheet=sheet, as_="clerk")
    with pytest.raises(RuleViolation, match="重复"):
        sheet_sign(user=s["director"], sheet=sheet, as_="director")


@pytest.mark.django_db
def test_att5_submit_needs_both_signatures_and_the_stamp_then_frozen(s):
    sheet = sheet_generate(user=s["clerk"], community=s["community"], month=NOV)
    sheet = sheet_sign(user=s["clerk"], sheet=sheet, as_="clerk")
    with pytest.raises(RuleViolation, match="共同签字"):
        sheet_submit(user=s["director"], sheet=sheet, stamped=True)
    sheet = sheet_sign(user=s["director"], sheet=sheet, as_="director")
    with pytest.raises(RuleViolation, match="印章"):
        sheet_submit(user=s["director"], sheet=sheet, stamped=False)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        sheet_submit(user=s["clerk"], sheet=sheet, stamped=True)
    sheet = sheet_submit(user=s["director"], sheet=sheet, stamped=True)
    assert sheet.state == SheetState.SUBMITTED
    with pytest.raises(RuleViolation, match="已报街道"):
        sheet_generate(user=s["clerk"], community=s["community"], month=NOV)
    with pytest.raises(RuleViolation) as err:
        record_correct(
            user=s["clerk"],
            worker=s["worker"],
            day=D(2024, 11, 5),
            sign_in_at=dt.time(8),
            sign_out_at=dt.time(17),
            reason="补登",
        )
    assert err.value.rule_id == "ATT-5"
    # The database refuses any change of a submitted sheet, whatever the path.
    with pytest.raises(DatabaseError), transaction.atomic():
        MonthlySheet.objects.filter(pk=sheet.pk).update(stamped=False)


@pytest.mark.django_db
def test_att5_future_month_refused_and_other_roles_cannot_generate(s):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(RuleViolation, match="尚未开始"):
        sheet_generate(
            user=s["clerk"],
            community=s["community"],
            month=timezone.localdate() + dt.timedelta(days=40),
        )
    with pytest.raises(PermissionDenied):
        sheet_generate(
            user=user_with_role(Role.GRID_WORKER, community=s["community"]),
            community=s["community"],
            month=NOV,
        )
    with pytest.raises(Http404):
        sheet_generate(
            user=user_with_role(Role.ATTENDANCE_CLERK), community=s["community"], month=NOV
        )


@pytest.mark.django_db
def test_att5_on_time_is_by_the_months_last_day(s):
    sheet = _signed(s)
    sheet = sheet_submit(user=s["director"], sheet=sheet, stamped=True)
    for submitted, on_time in [(D(2024, 11, 30), True), (D(2024, 12, 1), False)]:
        sheet.submitted_at = at(submitted, 23, 59) if on_time else at(submitted, 0, 1)
        assert submitted_on_time(sheet) is on_time


# --- the finding and the reminders ----------------------------------------------------------------


def _last_month():
    today = timezone.localdate()
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@pytest.mark.django_db
def test_att5_finding_missing_late_and_on_time(s):
    month = _last_month()
    community = s["community"]
    WorkerFactory(community=community, hired_on=month)
    assert monthly_sheet(community, community.profile).status == FindingStatus.VIOLATION
    sheet = sheet_generate(user=s["clerk"], community=community, month=month)
    sheet = sheet_sign(user=s["clerk"], sheet=sheet, as_="clerk")
    sheet = sheet_sign(user=s["director"], sheet=sheet, as_="director")
    sheet_submit(user=s["director"], sheet=sheet, stamped=True)  # now, after the month
    assert monthly_sheet(community, community.profile).status == FindingStatus.WARNING
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    # As if submitted on the month's last day (past the immutability trigger, for the test).
    with pgtrigger.ignore("attendance.MonthlySheet:att_sheet_submitted_immutable"):
        MonthlySheet.objects.filter(pk=sheet.pk).update(submitted_at=at(end, 18))
    assert monthly_sheet(community, community.profile).status == FindingStatus.OK


@pytest.mark.django_db
def test_att1_calendar_finding_says_when_it_falls_back(s, monkeypatch):
    from attendance import checks

    community = s["community"]
    monkeypatch.setattr(checks.calendar, "has_national_data", lambda year: False)
    result = working_calendar(community, community.profile)
    assert result.status == FindingStatus.WARNING and "周一至周五" in result.message
    monkeypatch.setattr(checks.calendar, "has_national_data", lambda year: True)
    assert working_calendar(community, community.profile).status == FindingStatus.OK


@pytest.mark.django_db
def test_att5_reminder_from_5_days_before_month_end_once_and_closed_when_submitted(s):
    community = s["community"]
    day_before = D(2024, 11, 30) - dt.timedelta(days=SHEET_NOTICE_DAYS + 1)
    # Last month (October) submitted, so only November's duty is looked at.
    october = MonthlySheet.objects.create(
        community=community,
        month=D(2024, 10, 1),
        state=SheetState.SUBMITTED,
        clerk_signed_by=s["clerk"],
        director_signed_by=s["director"],
        stamped=True,
        submitted_at=at(D(2024, 10, 30), 10),
    )
    assert october.pk
    assert reminders_sweep(today=day_before)["due"] == 0
    first_day = day_before + dt.timedelta(days=1)
    reminders_sweep(today=first_day)
    reminders_sweep(today=first_day)
    reminder = Reminder.objects.get(kind=KIND_SHEET)
    assert (reminder.rule_id, reminder.period, reminder.due_on) == (
        "ATT-5",
        "2024-11",
        D(2024, 11, 30),
    )
    sheet = sheet_submit(user=s["director"], sheet=_signed(s), stamped=True)
    assert sheet.state == SheetState.SUBMITTED
    reminders_sweep(today=D(2024, 11, 29))
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.DONE


@pytest.mark.django_db
def test_att5_last_months_unsubmitted_sheet_stays_reminded_as_overdue(s):
    reminders_sweep(today=D(2024, 12, 2))
    reminder = Reminder.objects.get(kind=KIND_SHEET)
    assert reminder.period == "2024-11" and "逾期" in reminder.title


# --- Excel ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_att5_excel_export_is_the_grid(s):
    sheet = _signed(s)
    response = sheet_xlsx(sheet)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert "月考勤登记表" in rows[0][0]
    assert rows[1][:4] == ("序号", "姓名", 1, 2)
    assert rows[2][2] == "五"  # 1 November 2024 was a Friday
    assert rows[3][:5] == (1, "张三", "√", "休", "休")
    assert any(r[0] == "主任签字" and r[1] != "未签字" for r in rows if r)


@pytest.mark.django_db
def test_att5_excel_formula_injection_escaped(s):
    s["worker"].name = "=HYPERLINK(1)"
    s["worker"].save()
    response = sheet_xlsx(sheet_generate(user=s["clerk"], community=s["community"], month=NOV))
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[3][1] == "'=HYPERLINK(1)"


# --- query counts and ATT-6 ----------------------------------------------------------------------


def _grow(community, n):
    for _i in range(n):
        worker = WorkerFactory(community=community, hired_on=NOV)
        AttendanceRecordFactory(worker=worker, date=D(2024, 11, 1))


@pytest.mark.django_db
def test_att5_month_grid_query_count_is_fixed(s):
    with CaptureQueriesContext(connection) as small:
        month_grid(s["community"], NOV)
    _grow(s["community"], 8)
    with CaptureQueriesContext(connection) as large:
        grid = month_grid(s["community"], NOV)
    assert len(grid.rows) == 9
    assert len(large.captured_queries) == len(small.captured_queries) == 4


@pytest.mark.django_db
def test_att6_yearly_statistics_and_fixed_query_count(s):
    today = D(2024, 12, 31)
    with CaptureQueriesContext(connection) as small:
        _grid, rows = yearly_stats(s["community"], 2024, today=today)
    assert rows[0].totals["late"] == 1 and rows[0].totals["present"] == 2
    assert rows[0].deduction_days == Decimal(0)
    _grow(s["community"], 6)
    with CaptureQueriesContext(connection) as large:
        _grid, rows = yearly_stats(s["community"], 2024, today=today)
    assert len(rows) == 7
    assert len(large.captured_queries) == len(small.captured_queries)
