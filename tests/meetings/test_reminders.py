"""MEET-1 reminders: the quorum check before each scheduled sitting (confirmed attendance
against the quorum fixed on the sitting; one reminder per sitting and day, also through a
real Celery worker run twice) and the regular sitting every assembly_interval_months."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Reminder, ReminderStatus, TaskHeartbeat
from core.schedules import BEAT_SCHEDULE, MAX_INTERVAL_HOURS
from meetings.models import SittingState
from meetings.reminders import (
    KIND_QUORUM,
    KIND_REGULAR,
    QUORUM_CHECK_DAYS,
    REGULAR_NOTICE_DAYS,
    quorum_check,
    reminders_sweep,
)
from meetings.services import seat_confirm, sitting_close
from tests.factories import CommunityFactory
from tests.meetings.factories import convened, in_session
from tests.staffing.factories import WorkerFactory


def test_meetings_tasks_are_in_the_beat_schedule():
    tasks = {e["task"] for e in BEAT_SCHEDULE.values()}
    for name in ("meetings.tasks.quorum_check", "meetings.tasks.reminders_sweep"):
        assert name in tasks and MAX_INTERVAL_HOURS[name] == 26


def _confirm(sitting, director, n):
    for seat in list(sitting.seats.order_by("pk"))[:n]:
        seat_confirm(user=director, seat=seat)


@pytest.mark.django_db
@pytest.mark.parametrize("confirmed, short", [(5, True), (6, False)])
def test_meet1_quorum_check_warns_when_confirmed_attendance_is_short(confirmed, short):
    sitting, director = convened(CommunityFactory(), 10)
    _confirm(sitting, director, confirmed)
    result = quorum_check()
    assert result["due"] == int(short)
    rows = Reminder.objects.filter(kind=KIND_QUORUM)
    assert rows.exists() is short
    if short:
        reminder = rows.get()
        assert reminder.subject == f"sitting:{sitting.pk}" and reminder.rule_id == "MEET-1"
        assert reminder.period == timezone.localdate().isoformat()
        assert "至少需 6 人" in reminder.message


@pytest.mark.django_db
def test_meet1_quorum_check_one_per_sitting_and_day_closed_when_met():
    sitting, director = convened(CommunityFactory(), 10)
    now = timezone.now()
    quorum_check(now=now)
    quorum_check(now=now)
    assert Reminder.objects.filter(kind=KIND_QUORUM).count() == 1
    # The next day: a new day's reminder, yesterday's closed.
    quorum_check(now=now + dt.timedelta(days=1))
    assert Reminder.objects.filter(kind=KIND_QUORUM).count() == 2
    assert Reminder.objects.filter(kind=KIND_QUORUM, status=ReminderStatus.OPEN).count() == 1
    _confirm(sitting, director, 6)
    quorum_check(now=now + dt.timedelta(days=1))
    assert not Reminder.objects.filter(kind=KIND_QUORUM, status=ReminderStatus.OPEN).exists()


@pytest.mark.django_db
def test_meet1_quorum_check_only_for_sittings_soon_and_not_yet_held():
    community = CommunityFactory()
    far = timezone.now() + dt.timedelta(days=QUORUM_CHECK_DAYS + 1)
    convened(community, 4, when=far)
    past, director = convened(community, when=timezone.now() - dt.timedelta(hours=1))
    assert quorum_check()["due"] == 0
    assert past.state == SittingState.CONVENED


@pytest.mark.django_db
def test_meet1_quorum_check_query_count_is_fixed():
    convened(CommunityFactory(), 3)
    with CaptureQueriesContext(connection) as small:
        quorum_check()
    for _i in range(4):
        convened(CommunityFactory(), 3)
    with CaptureQueriesContext(connection) as large:
        assert quorum_check()["due"] == 5
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_meet1_quorum_check_through_a_real_celery_worker_twice(celery_worker_process):
    from meetings.tasks import quorum_check as task

    for _i in range(2):
        convened(CommunityFactory(), 5)
    kwargs = {"run_at": timezone.now().isoformat()}
    first = task.apply_async(kwargs=kwargs, queue=celery_worker_process).get(timeout=90)
    assert first["due"] == 2
    rows = set(Reminder.objects.filter(kind=KIND_QUORUM).values_list("pk", "subject", "period"))
    task.apply_async(kwargs=kwargs, queue=celery_worker_process).get(timeout=90)
    pending = [task.apply_async(kwargs=kwargs, queue=celery_worker_process) for _ in range(2)]
    for result in pending:
        result.get(timeout=90)
    assert set(
        Reminder.objects.filter(kind=KIND_QUORUM).values_list("pk", "subject", "period")
    ) == (rows)
    dupes = (
        Reminder.objects.values("kind", "subject", "period").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not dupes.exists()
    beat = TaskHeartbeat.objects.get(task_name="meetings.tasks.quorum_check")
    assert beat.runs >= 4 and beat.last_error_at is None


# --- the regular sitting ---------------------------------------------------------------------------


def _held(community, when):
    sitting, director = convened(community, 3, when=when)
    sitting, _seats = in_session(sitting, director, 3)
    return sitting_close(
        user=director,
        sitting=sitting,
        recorder=WorkerFactory(community=community),
        minutes="会议记录",
    )


@pytest.mark.django_db
def test_meet1_regular_sitting_reminded_30_days_before_due_and_closed_when_convened():
    community = CommunityFactory()
    held = _held(community, timezone.make_aware(dt.datetime(2024, 6, 20, 9)))
    assert held.state == SittingState.CLOSED
    due = dt.date(2024, 12, 20)  # six months later (default profile)
    assert reminders_sweep(today=due - dt.timedelta(days=REGULAR_NOTICE_DAYS + 1))["due"] == 0
    reminders_sweep(today=due - dt.timedelta(days=REGULAR_NOTICE_DAYS))
    reminders_sweep(today=due - dt.timedelta(days=REGULAR_NOTICE_DAYS))
    reminder = Reminder.objects.get(kind=KIND_REGULAR)
    assert (reminder.period, reminder.due_on) == ("2024-12-20", due)
    convened(community, when=timezone.make_aware(dt.datetime(2024, 12, 10, 9)))
    reminders_sweep(today=due - dt.timedelta(days=10))
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.DONE
