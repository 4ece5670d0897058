"""MEET-3/4/5 (003 六): regular meetings with attendance and minutes by a named recorder, the
大事记, unexcused absence → reminder, warning, criticism linked to appraisal; the MEET checks."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from core.errors import RuleViolation
from core.models import FindingStatus, Role
from meetings.checks import discipline, regular_assembly, regular_meetings, work_report
from meetings.models import (
    AttendanceStatus,
    ChronicleEntry,
    DisciplineRecord,
    Measure,
    MeetingKind,
)
from meetings.selectors import discipline_counts
from meetings.services import meeting_record
from tests.factories import CommunityFactory, user_with_role
from tests.staffing.factories import WorkerFactory


@pytest.fixture
def s(db):
    community = CommunityFactory()
    return {
        "community": community,
        "director": user_with_role(Role.COMMITTEE_DIRECTOR, community=community),
        "recorder": WorkerFactory(community=community),
        "late": WorkerFactory(community=community),
        "absent": WorkerFactory(community=community),
    }


def _record(s, day, absent=True, **kwargs):
    attendance = {
        s["recorder"].pk: AttendanceStatus.PRESENT,
        s["late"].pk: AttendanceStatus.LATE,
        s["absent"].pk: AttendanceStatus.ABSENT if absent else AttendanceStatus.EXCUSED,
    }
    return meeting_record(
        user=kwargs.pop("user", s["director"]),
        community=s["community"],
        kind=kwargs.pop("kind", MeetingKind.WEEKLY),
        date=day,
        topic="本周工作安排",
        recorder=kwargs.pop("recorder", s["recorder"]),
        minutes=kwargs.pop("minutes", "总结上周工作，布置本周任务"),
        attendance=attendance,
        **kwargs,
    )


@pytest.mark.django_db
def test_meet5_unexcused_absence_reminder_then_warning_then_criticism(s):
    measures = []
    for day in (dt.date(2024, 3, 4), dt.date(2024, 3, 11), dt.date(2024, 3, 18)):
        meeting = _record(s, day)
        measures.append(DisciplineRecord.objects.get(meeting=meeting).measure)
    assert measures == [Measure.REMINDER, Measure.WARNING, Measure.CRITICISM]
    # A new year starts again; excused absence and lateness are no breach.
    meeting = _record(s, dt.date(2025, 1, 6))
    assert DisciplineRecord.objects.get(meeting=meeting).measure == Measure.REMINDER
    _record(s, dt.date(2025, 1, 13), absent=False)
    assert discipline_counts(s["community"].pk, 2024) == {s["absent"].pk: 3}
    assert discipline_counts(s["community"].pk, 2025) == {s["absent"].pk: 1}


@pytest.mark.django_db
def test_meet4_minutes_and_a_recorder_of_the_community_required(s):
    with pytest.raises(RuleViolation, match="会议记录"):
        _record(s, dt.date(2024, 3, 4), minutes="  ")
    with pytest.raises(RuleViolation, match="本社区"):
        _record(s, dt.date(2024, 3, 4), recorder=WorkerFactory())
    with pytest.raises(RuleViolation, match="晚于今天"):
        _record(s, timezone.localdate() + dt.timedelta(days=1))


@pytest.mark.django_db
def test_meet3_attendance_only_of_the_communitys_workers(s):
    with pytest.raises(RuleViolation, match="非本社区"):
        meeting_record(
            user=s["director"],
            community=s["community"],
            kind=MeetingKind.MORNING,
            date=dt.date(2024, 3, 4),
            topic="早会",
            recorder=s["recorder"],
            minutes="布置当日工作",
            attendance={WorkerFactory().pk: AttendanceStatus.PRESENT},
        )


@pytest.mark.django_db
def test_meet3_permissions_and_scope(s):
    with pytest.raises(PermissionDenied):
        _record(
            s, dt.date(2024, 3, 4), user=user_with_role(Role.GRID_WORKER, community=s["community"])
        )
    with pytest.raises(Http404):
        _record(s, dt.date(2024, 3, 4), user=user_with_role(Role.COMMITTEE_DIRECTOR))


@pytest.mark.django_db
def test_meet4_major_event_recorded_with_the_meeting(s):
    meeting = _record(s, dt.date(2024, 3, 4), major_event="启动老旧小区改造")
    event = ChronicleEntry.objects.get()
    assert event.meeting == meeting and event.title == "启动老旧小区改造"


@pytest.mark.django_db
def test_meet_checks(s):
    community, profile = s["community"], s["community"].profile
    assert regular_assembly(community, profile).status == FindingStatus.WARNING  # never held
    assert work_report(community, profile).status == FindingStatus.WARNING
    assert regular_meetings(community, profile).status == FindingStatus.WARNING
    today = timezone.localdate()
    last_monday = today - dt.timedelta(days=today.weekday() + 7)
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=3)
    _record(s, last_monday, absent=False)
    _record(s, last_month, absent=False, kind=MeetingKind.MONTHLY)
    assert regular_meetings(community, profile).status == FindingStatus.OK
    assert discipline(community, profile).status == FindingStatus.OK
    _record(s, today)
    assert discipline(community, profile).status == FindingStatus.WARNING
