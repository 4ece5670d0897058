"""The attendance daily sweep (ATT-3/ATT-4 cases, ATT-5 monthly-sheet reminders) in the beat
schedule and through a real Celery worker, run twice and twice at once: one row each."""

import datetime as dt

import pytest
from django.db.models import Count

from attendance.models import AttendanceCase
from attendance.reminders import KIND_SHEET
from core.models import Reminder, TaskHeartbeat
from core.schedules import BEAT_SCHEDULE, MAX_INTERVAL_HOURS
from tests.attendance.factories import AttendanceRecordFactory
from tests.factories import CommunityFactory
from tests.staffing.factories import WorkerFactory

D = dt.date


def test_daily_sweep_is_in_the_beat_schedule_with_an_interval():
    assert "attendance.tasks.daily_sweep" in {e["task"] for e in BEAT_SCHEDULE.values()}
    assert MAX_INTERVAL_HOURS["attendance.tasks.daily_sweep"] == 26


@pytest.mark.django_db(transaction=True)
def test_daily_sweep_through_a_real_celery_worker_twice(celery_worker_process):
    from attendance.tasks import daily_sweep

    communities = CommunityFactory.create_batch(2)
    for community in communities:
        worker = WorkerFactory(community=community, hired_on=D(2024, 11, 18))
        # Monday and Friday present, Tuesday to Thursday absent: 3 days.
        for day in (D(2024, 11, 18), D(2024, 11, 22)):
            AttendanceRecordFactory(worker=worker, date=day)
    kwargs = {"run_date": "2024-11-26"}  # within 5 days of 30 November
    first = daily_sweep.apply_async(kwargs=kwargs, queue=celery_worker_process).get(timeout=90)
    assert first["reminders"]["due"] == 2 and first["cases"]["created"] == 4
    reminders = set(Reminder.objects.filter(kind=KIND_SHEET).values_list("pk", "subject", "period"))
    cases = set(AttendanceCase.objects.values_list("pk", "kind", "period"))
    assert {r[2] for r in reminders} == {"2024-11"} and len(reminders) == 2
    daily_sweep.apply_async(kwargs=kwargs, queue=celery_worker_process).get(timeout=90)
    pending = [
        daily_sweep.apply_async(kwargs=kwargs, queue=celery_worker_process) for _ in range(2)
    ]
    for result in pending:
        result.get(timeout=90)
    assert set(Reminder.objects.filter(kind=KIND_SHEET).values_list("pk", "subject", "period")) == (
        reminders
    )
    assert set(AttendanceCase.objects.values_list("pk", "kind", "period")) == cases
    dupes = (
        Reminder.objects.values("kind", "subject", "period").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not dupes.exists()
    beat = TaskHeartbeat.objects.get(task_name="attendance.tasks.daily_sweep")
    assert beat.runs >= 4 and beat.last_error_at is None
