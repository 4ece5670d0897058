"""STAFF reminders (issue #5): the sweep makes one Reminder row per kind, subject and period
for STAFF-4 term expiry, STAFF-6 training, STAFF-7 handover deadlines and STAFF-10 党性体检,
closes it when the duty is met, and is idempotent under retries and two beats (also through
a real Celery worker)."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Reminder, ReminderStatus, Role, TaskHeartbeat
from core.schedules import BEAT_SCHEDULE, MAX_INTERVAL_HOURS
from staffing.models import HandoverOutcome, PartyCheckup, Post, TrainingRecord
from staffing.reminders import (
    KIND_CHECKUP,
    KIND_HANDOVER,
    KIND_TERM_EXPIRY,
    KIND_TRAINING,
    KINDS,
    checkups_expected_in_half,
    half_year,
    reminders_sweep,
    training_period,
)
from staffing.rules import TERM_EXPIRY_NOTICE_DAYS, years_before
from staffing.services import handover_record, term_reselect, worker_row_save
from tests.factories import CommunityFactory, PolicyProfileFactory, user_with_role
from tests.staffing.factories import (
    HandoverFactory,
    PartyCheckupFactory,
    PostTermFactory,
    TrainingRecordFactory,
    WorkerFactory,
)

DAY = dt.timedelta(days=1)


@pytest.fixture
def today():
    return timezone.localdate()


def _open(kind, **filters):
    return Reminder.objects.filter(kind=kind, status=ReminderStatus.OPEN, **filters)


def _term(community, post, today, **kwargs):
    """A current term; the worker trained and checked up, so only what a test sets is due."""
    kwargs.setdefault("starts_on", today - dt.timedelta(days=1000))
    return PostTermFactory(community=community, post=post, **kwargs)


def _trained(worker, today, hours="20.0"):
    TrainingRecordFactory(worker=worker, date=today, hours=Decimal(hours))


def _checked_up(worker, today, n=1):
    _, start, _ = half_year(today)
    for _i in range(n):
        PartyCheckupFactory(worker=worker, date=start)


# --- pure helpers -------------------------------------------------------------------------


def test_half_year_labels_and_bounds():
    assert half_year(dt.date(2026, 6, 30)) == ("2026-H1", dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert half_year(dt.date(2026, 7, 1)) == ("2026-H2", dt.date(2026, 7, 1), dt.date(2026, 12, 31))


@pytest.mark.parametrize("per_year, h1, h2", [(1, 1, 0), (2, 1, 1), (3, 2, 1), (4, 2, 2)])
def test_staff10_checkups_spread_over_the_two_halves(per_year, h1, h2):
    assert checkups_expected_in_half(per_year, dt.date(2026, 3, 1)) == h1
    assert checkups_expected_in_half(per_year, dt.date(2026, 9, 1)) == h2


def test_staff6_training_period_is_the_year_or_the_cycle_years():
    class Profile:
        training_cycle_years_members = 2

    day = dt.date(2026, 5, 15)
    assert training_period({Post.COMMITTEE_DIRECTOR}, day, Profile) == "2026"
    assert training_period({Post.COMMITTEE_MEMBER}, day, Profile) == "2024-2026"
    # The rolling cycle start moves daily; the period must not.
    assert training_period({Post.COMMITTEE_MEMBER}, day + DAY, Profile) == "2024-2026"
    assert training_period({Post.GRID_WORKER}, day, Profile) is None


def test_sweep_is_in_the_beat_schedule_with_an_interval():
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert "staffing.tasks.reminders_sweep" in tasks
    assert MAX_INTERVAL_HOURS["staffing.tasks.reminders_sweep"] == 26


# --- STAFF-4 --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff4_term_ending_in_60_days_reminded_61_not(today):
    community = CommunityFactory()
    within = _term(
        community, Post.SERVICE_STAFF, today, ends_on=today + dt.timedelta(TERM_EXPIRY_NOTICE_DAYS)
    )
    _term(
        community,
        Post.SERVICE_STAFF,
        today,
        ends_on=today + dt.timedelta(TERM_EXPIRY_NOTICE_DAYS + 1),
    )
    reminders_sweep(today=today)
    reminder = Reminder.objects.get(kind=KIND_TERM_EXPIRY)
    assert reminder.subject == f"term:{within.pk}"
    assert reminder.period == within.ends_on.isoformat()
    assert reminder.due_on == within.ends_on
    assert (reminder.rule_id, reminder.community, reminder.worker) == (
        "STAFF-4",
        community,
        within.worker,
    )
    assert reminder.status == ReminderStatus.OPEN
    assert within.worker.name in reminder.title


@pytest.mark.django_db
def test_staff4_term_of_a_worker_who_left_or_of_an_abolished_community_not_reminded(today):
    left = WorkerFactory(left_on=today - DAY)
    _term(left.community, Post.SERVICE_STAFF, today, worker=left, ends_on=today + DAY)
    abolished = CommunityFactory(is_active=False)
    _term(abolished, Post.SERVICE_STAFF, today, ends_on=today + DAY)
    reminders_sweep(today=today)
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_staff4_stays_open_after_the_end_and_closes_once_reselection_recorded(today):
    term = _term(CommunityFactory(), Post.SERVICE_STAFF, today, ends_on=today)
    reminders_sweep(today=today - DAY)
    assert _open(KIND_TERM_EXPIRY).count() == 1
    reminders_sweep(today=today)  # the last day: still due
    assert _open(KIND_TERM_EXPIRY).count() == 1
    user = user_with_role(Role.COMMITTEE_DIRECTOR, community=term.community)
    term_reselect(user=user, term=term, reappointed=False, decided_on=today)
    result = reminders_sweep(today=today)
    assert result[KIND_TERM_EXPIRY]["closed"] == 1
    reminder = Reminder.objects.get(kind=KIND_TERM_EXPIRY)
    assert reminder.status == ReminderStatus.DONE and reminder.closed_at is not None


@pytest.mark.django_db
def test_staff4_term_ended_without_decision_keeps_its_reminder_open(today):
    term = _term(CommunityFactory(), Post.SERVICE_STAFF, today, ends_on=today)
    reminders_sweep(today=today)
    reminders_sweep(today=today + dt.timedelta(days=40))  # ended, no decision yet
    assert _open(KIND_TERM_EXPIRY, subject=f"term:{term.pk}").count() == 1


# --- STAFF-7 --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff7_handover_deadline_in_7_days_reminded_8_not_passed_reminded(today):
    community = CommunityFactory()
    in7 = HandoverFactory(community=community, deadline=today + dt.timedelta(days=7))
    HandoverFactory(community=community, deadline=today + dt.timedelta(days=8))
    passed = HandoverFactory(community=community, deadline=today - DAY)
    HandoverFactory(
        community=community,
        deadline=today - DAY,
        outcome=HandoverOutcome.LATE,
        completed_on=today,
    )
    reminders_sweep(today=today)
    rows = {r.subject: r for r in Reminder.objects.filter(kind=KIND_HANDOVER)}
    assert set(rows) == {f"handover:{in7.pk}", f"handover:{passed.pk}"}
    assert rows[f"handover:{in7.pk}"].period == in7.deadline.isoformat()
    assert rows[f"handover:{in7.pk}"].due_on == in7.deadline
    assert rows[f"handover:{passed.pk}"].rule_id == "STAFF-7"
    assert "逾期" in rows[f"handover:{passed.pk}"].title


@pytest.mark.django_db
def test_staff7_handover_reminder_closed_when_the_outcome_is_recorded(today):
    handover = HandoverFactory(deadline=today + DAY)
    reminders_sweep(today=today)
    assert _open(KIND_HANDOVER).count() == 1
    user = user_with_role(Role.COMMITTEE_DIRECTOR, community=handover.community)
    handover_record(user=user, handover=handover, outcome=HandoverOutcome.COMPLETED, on=today)
    reminders_sweep(today=today)
    assert not _open(KIND_HANDOVER).exists()
    assert Reminder.objects.get(kind=KIND_HANDOVER).status == ReminderStatus.DONE


# --- STAFF-6 --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff6_training_due_vs_trained(today):
    community = CommunityFactory()
    due = _term(community, Post.COMMITTEE_DIRECTOR, today).worker
    trained = _term(community, Post.PARTY_SECRETARY, today).worker
    _trained(trained, today)
    _checked_up(trained, today)
    reminders_sweep(today=today)
    reminder = Reminder.objects.get(kind=KIND_TRAINING)
    assert reminder.subject == f"worker:{due.pk}"
    assert reminder.period == str(today.year)
    assert (reminder.rule_id, reminder.worker, reminder.community) == ("STAFF-6", due, community)


@pytest.mark.django_db
def test_staff6_hours_threshold_comes_from_the_profile(today):
    profile = PolicyProfileFactory(code="hours-10", training_hours_min=10)
    community = CommunityFactory(profile=profile)
    director = _term(community, Post.COMMITTEE_DIRECTOR, today).worker
    _trained(director, today, hours="10.0")
    other = CommunityFactory()  # the default profile: 20 hours
    director_b = _term(other, Post.COMMITTEE_DIRECTOR, today).worker
    _trained(director_b, today, hours="10.0")
    reminders_sweep(today=today)
    assert list(Reminder.objects.filter(kind=KIND_TRAINING).values_list("subject", flat=True)) == [
        f"worker:{director_b.pk}"
    ]


@pytest.mark.django_db
def test_staff6_member_cycle_period_and_closing_when_trained(today):
    community = CommunityFactory()
    member = _term(community, Post.COMMITTEE_MEMBER, today).worker
    TrainingRecordFactory(worker=member, date=years_before(today, 3))  # outside the cycle
    reminders_sweep(today=today)
    reminder = Reminder.objects.get(kind=KIND_TRAINING)
    cycle_years = community.profile.training_cycle_years_members
    assert reminder.period == f"{years_before(today, cycle_years).year}-{today.year}"
    user = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    worker_row_save(
        user=user,
        instance=TrainingRecord(worker=member, course="培训", date=today, hours=Decimal("20.0")),
    )
    reminders_sweep(today=today)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.DONE


@pytest.mark.django_db
def test_staff6_holder_of_no_training_post_and_worker_who_left_not_reminded(today):
    community = CommunityFactory()
    _term(community, Post.GRID_WORKER, today)
    left = WorkerFactory(community=community, left_on=today - DAY)
    _term(community, Post.COMMITTEE_DIRECTOR, today, worker=left)
    reminders_sweep(today=today)
    assert not Reminder.objects.filter(kind=KIND_TRAINING).exists()


# --- STAFF-10 -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff10_one_vs_two_checkups_this_half_with_four_a_year(today):
    profile = PolicyProfileFactory(code="checkups-4", party_checkups_per_year=4)
    community = CommunityFactory(profile=profile)
    one = _term(community, Post.PARTY_MEMBER, today).worker
    two = _term(community, Post.PARTY_MEMBER, today).worker
    for worker in (one, two):
        _trained(worker, today)
    _checked_up(one, today, n=1)
    _checked_up(two, today, n=2)
    # A checkup of the previous half does not count for this one.
    _, start, _ = half_year(today)
    PartyCheckupFactory(worker=one, date=start - DAY)
    reminders_sweep(today=today)
    reminder = Reminder.objects.get(kind=KIND_CHECKUP)
    assert reminder.subject == f"worker:{one.pk}"
    assert reminder.period == half_year(today)[0]
    assert reminder.due_on == half_year(today)[2]
    assert reminder.rule_id == "STAFF-10"


@pytest.mark.django_db
def test_staff10_default_profile_one_per_half_and_closed_when_recorded(today):
    community = CommunityFactory()  # default profile: 2 a year, one per half
    none = _term(community, Post.PARTY_SECRETARY, today).worker
    done = _term(community, Post.PARTY_DEPUTY_SECRETARY, today).worker
    outsider = _term(community, Post.COMMITTEE_MEMBER, today).worker  # not a party post
    for worker in (none, done, outsider):
        _trained(worker, today)
    _checked_up(done, today, n=1)
    reminders_sweep(today=today)
    assert list(_open(KIND_CHECKUP).values_list("subject", flat=True)) == [f"worker:{none.pk}"]
    user = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    worker_row_save(user=user, instance=PartyCheckup(worker=none, date=today, result="合格"))
    reminders_sweep(today=today)
    assert not _open(KIND_CHECKUP).exists()


@pytest.mark.django_db
def test_staff10_second_half_is_a_new_period(today):
    community = CommunityFactory()
    worker = _term(community, Post.PARTY_SECRETARY, dt.date(2026, 1, 1)).worker
    TrainingRecordFactory(worker=worker, date=dt.date(2026, 6, 1))
    reminders_sweep(today=dt.date(2026, 6, 30))
    reminders_sweep(today=dt.date(2026, 7, 1))
    rows = dict(Reminder.objects.filter(kind=KIND_CHECKUP).values_list("period", "status"))
    # The first half is over: its reminder is closed, the second half has its own.
    assert rows == {"2026-H1": ReminderStatus.DONE, "2026-H2": ReminderStatus.OPEN}


# --- idempotence, closing by hand, query count ----------------------------------------------


def _one_of_each(community, today):
    """Data that makes one reminder of every kind due in `community`."""
    term = _term(community, Post.PARTY_SECRETARY, today, ends_on=today + dt.timedelta(days=30))
    HandoverFactory(community=community, deadline=today + DAY)
    return term.worker


@pytest.mark.django_db
def test_sweep_twice_creates_nothing_new(today):
    community = CommunityFactory()
    _one_of_each(community, today)
    first = reminders_sweep(today=today)
    assert {kind: first[kind]["due"] for kind in KINDS} == dict.fromkeys(KINDS, 1)
    rows = list(Reminder.objects.order_by("pk").values_list("pk", "kind", "status", "created_at"))
    assert len(rows) == 4
    second = reminders_sweep(today=today)
    assert all(second[kind]["closed"] == 0 for kind in KINDS)
    assert (
        list(Reminder.objects.order_by("pk").values_list("pk", "kind", "status", "created_at"))
        == rows
    )


@pytest.mark.django_db
def test_reminder_closed_by_hand_is_not_reopened_by_the_sweep(today):
    from core.reminders import reminder_close

    community = CommunityFactory()
    _one_of_each(community, today)
    reminders_sweep(today=today)
    reminder = Reminder.objects.get(kind=KIND_TRAINING)
    user = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    reminder_close(user=user, reminder=reminder)
    reminders_sweep(today=today)
    assert Reminder.objects.filter(kind=KIND_TRAINING).count() == 1
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.DONE


def _grow(n, today):
    for _ in range(n):
        community = CommunityFactory()
        for _i in range(3):
            _one_of_each(community, today)
            _term(community, Post.COMMITTEE_MEMBER, today)
            worker = _term(community, Post.PARTY_MEMBER, today).worker
            _trained(worker, today)
            _checked_up(worker, today)


@pytest.mark.django_db
def test_sweep_query_count_is_fixed_whatever_the_number_of_workers(today):
    _grow(1, today)
    with CaptureQueriesContext(connection) as small:
        reminders_sweep(today=today)
    _grow(6, today)
    with CaptureQueriesContext(connection) as large:
        result = reminders_sweep(today=today)
    # 7 communities x 3 x (an untrained secretary and an untrained committee member)
    assert result[KIND_TRAINING]["due"] == 7 * 3 * 2
    assert Reminder.objects.count() == 7 * 3 * 5
    assert len(large.captured_queries) == len(small.captured_queries)
    # profiles, terms, holders, trainings, handovers, checkups; insert; one close per kind
    assert len(large.captured_queries) <= 6 + 1 + len(KINDS) + 2  # + savepoint/release


# --- concurrency: two sweeps at the same moment ---------------------------------------------


def _unique_keys_hold():
    dupes = (
        Reminder.objects.values("kind", "subject", "period").annotate(n=Count("id")).filter(n__gt=1)
    )
    return not dupes.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_make_one_row_per_key_and_neither_fails(today):
    """The first sweep holds its transaction open after inserting; the second then blocks on
    the unique index, and finds the rows there when the first commits (ON CONFLICT DO
    NOTHING): no duplicate, no IntegrityError."""
    community = CommunityFactory()
    _one_of_each(community, today)
    inserted, release = threading.Event(), threading.Event()
    errors, results = [], []

    def first():
        try:
            with transaction.atomic():
                results.append(reminders_sweep(today=today))
                inserted.set()
                release.wait(timeout=20)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            inserted.set()
            connection.close()

    def second():
        try:
            results.append(reminders_sweep(today=today))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    t1 = threading.Thread(target=first)
    t1.start()
    assert inserted.wait(timeout=20)
    t2 = threading.Thread(target=second)
    t2.start()
    time.sleep(0.5)
    assert t2.is_alive(), "the second sweep should wait for the first one's rows"
    release.set()
    t1.join(30)
    t2.join(30)
    assert errors == []
    assert len(results) == 2
    assert Reminder.objects.count() == len(KINDS)
    assert _unique_keys_hold()


# --- through a real Celery worker -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sweep_through_a_real_celery_worker_twice_and_two_at_once(celery_worker_process, today):
    from staffing.tasks import reminders_sweep as task

    communities = CommunityFactory.create_batch(2)
    for community in communities:
        _one_of_each(community, today)
    kwargs = {"run_date": today.isoformat()}
    first = task.apply_async(kwargs=kwargs, queue=celery_worker_process).get(timeout=90)
    rows = set(Reminder.objects.values_list("pk", "kind", "subject", "period"))
    assert {kind: first[kind]["due"] for kind in KINDS} == dict.fromkeys(KINDS, 2)
    assert len(rows) == 2 * len(KINDS)
    # A retry, then two beats at once.
    task.apply_async(kwargs=kwargs, queue=celery_worker_process).get(timeout=90)
    pending = [task.apply_async(kwargs=kwargs, queue=celery_worker_process) for _ in range(2)]
    for result in pending:
        result.get(timeout=90)
    assert set(Reminder.objects.values_list("pk", "kind", "subject", "period")) == rows
    assert _unique_keys_hold()
    assert not Reminder.objects.exclude(status=ReminderStatus.OPEN).exists()
    beat = TaskHeartbeat.objects.get(task_name="staffing.tasks.reminders_sweep")
    assert beat.runs >= 4
    assert beat.last_success_at is not None and beat.last_error_at is None
