"""DISC-2 quarterly disclosure reminders (one per community, category and quarter; idempotent
under retries and two beats, also through a real Celery worker), DISC-4 question deadlines,
and the overdue findings of the compliance report."""

import datetime as dt
import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from affairs_disclosure import rules, services
from affairs_disclosure.checks import disclosure_findings
from affairs_disclosure.models import Category, QuestionKind
from affairs_disclosure.reminders import (
    KIND_DISCLOSURE,
    KIND_QUESTION,
    disclosure_sweep,
    subject_of,
)
from core.models import ComplianceFinding, FindingStatus, Reminder, ReminderStatus, TaskHeartbeat
from core.schedules import BEAT_SCHEDULE, MAX_INTERVAL_HOURS
from core.services import compliance_run
from tests.affairs_disclosure.conftest import last_quarter
from tests.factories import CommunityFactory, DisclosureItemFactory, PolicyProfileFactory

DAY = dt.timedelta(days=1)
Q2_END = dt.date(2026, 6, 30)
WINDOW = Q2_END - dt.timedelta(days=15)  # default profile: 15 days


def _open(**filters):
    return Reminder.objects.filter(kind=KIND_DISCLOSURE, status=ReminderStatus.OPEN, **filters)


def _unique_keys_hold():
    return not (
        Reminder.objects.values("kind", "subject", "period").annotate(n=Count("id")).filter(n__gt=1)
    ).exists()


def test_sweep_is_in_the_beat_schedule_with_an_interval():
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert "affairs_disclosure.tasks.disclosure_sweep" in tasks
    assert MAX_INTERVAL_HOURS["affairs_disclosure.tasks.disclosure_sweep"] == 26


@pytest.mark.django_db
def test_disc2_reminders_start_reminder_days_before_the_quarter_end(db):
    community = CommunityFactory()
    disclosure_sweep(today=WINDOW - DAY)
    assert not _open().exists()
    result = disclosure_sweep(today=WINDOW)
    assert result[KIND_DISCLOSURE]["due"] == len(rules.REQUIRED_CATEGORIES)
    rows = {r.subject: r for r in _open()}
    assert set(rows) == {subject_of(community.pk, c) for c in rules.REQUIRED_CATEGORIES}
    finance = rows[subject_of(community.pk, Category.FINANCE)]
    assert (finance.period, finance.due_on, finance.rule_id) == ("2026-Q2", Q2_END, "DISC-2")
    assert "财务收支" in finance.title and finance.community == community


@pytest.mark.django_db
def test_disc2_reminder_days_come_from_the_profile(db):
    profile = PolicyProfileFactory(code="remind-5", disclosure_reminder_days=5)
    early = CommunityFactory(profile=profile)
    normal = CommunityFactory()
    disclosure_sweep(today=Q2_END - dt.timedelta(days=6))
    assert set(_open().values_list("community_id", flat=True)) == {normal.pk}
    disclosure_sweep(today=Q2_END - dt.timedelta(days=5))
    assert set(_open().values_list("community_id", flat=True)) == {normal.pk, early.pk}


@pytest.mark.django_db
def test_disc2_published_categories_are_not_reminded_and_met_ones_close(db):
    community = CommunityFactory()
    DisclosureItemFactory(
        community=community,
        category=Category.DUTIES,
        year=2026,
        quarter=2,
        published=True,
        published_on=WINDOW - DAY,
    )
    disclosure_sweep(today=WINDOW)
    assert subject_of(community.pk, Category.DUTIES) not in set(
        _open().values_list("subject", flat=True)
    )
    # The Q1 statement posted in Q2 is Q2's financial publication.
    DisclosureItemFactory(
        community=community,
        category=Category.FINANCE,
        year=2026,
        quarter=1,
        published=True,
        published_on=WINDOW,
    )
    result = disclosure_sweep(today=WINDOW + DAY)
    assert result[KIND_DISCLOSURE]["closed"] == 1
    closed = Reminder.objects.get(subject=subject_of(community.pk, Category.FINANCE))
    assert closed.status == ReminderStatus.DONE and closed.closed_by is None


@pytest.mark.django_db
def test_disc2_reminder_stays_open_after_the_deadline_until_remedied(db):
    community = CommunityFactory()
    disclosure_sweep(today=Q2_END)
    disclosure_sweep(today=Q2_END + dt.timedelta(days=10))  # Q3 has no window yet
    assert _open(period="2026-Q2").count() == len(rules.REQUIRED_CATEGORIES)
    DisclosureItemFactory(
        community=community,
        category=Category.DIBAO,
        year=2026,
        quarter=2,
        published=True,
        published_on=Q2_END + dt.timedelta(days=11),
    )
    disclosure_sweep(today=Q2_END + dt.timedelta(days=12))
    assert not _open(subject=subject_of(community.pk, Category.DIBAO)).exists()
    assert _open(period="2026-Q2").count() == len(rules.REQUIRED_CATEGORIES) - 1


@pytest.mark.django_db
def test_disc2_abolished_communities_are_not_reminded(db):
    CommunityFactory(is_active=False)
    disclosure_sweep(today=WINDOW)
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_sweep_twice_creates_nothing_new_and_query_count_is_fixed(db):
    CommunityFactory()
    disclosure_sweep(today=WINDOW)
    rows = list(Reminder.objects.order_by("pk").values_list("pk", "subject", "period", "status"))
    with CaptureQueriesContext(connection) as small:
        second = disclosure_sweep(today=WINDOW)
    assert second[KIND_DISCLOSURE]["closed"] == 0
    assert (
        list(Reminder.objects.order_by("pk").values_list("pk", "subject", "period", "status"))
        == rows
    )
    for _ in range(8):
        c = CommunityFactory()
        DisclosureItemFactory(
            community=c,
            category=Category.DUTIES,
            year=2026,
            quarter=2,
            published=True,
            published_on=WINDOW,
        )
    with CaptureQueriesContext(connection) as large:
        disclosure_sweep(today=WINDOW)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert Reminder.objects.count() == len(rules.REQUIRED_CATEGORIES) + 8 * (
        len(rules.REQUIRED_CATEGORIES) - 1
    )
    assert _unique_keys_hold()


@pytest.mark.django_db
def test_disc4_question_reminded_near_its_deadline_and_closed_when_answered(disc):
    item = disc.published()
    question, _ = services.question_submit(
        item=item,
        kind=QuestionKind.COMPLAINT,
        body="楼道灯坏了很久没人修",
        contact="",
        token=uuid.uuid4(),
    )
    disclosure_sweep(today=question.due_on - dt.timedelta(days=4))
    assert not Reminder.objects.filter(kind=KIND_QUESTION).exists()
    disclosure_sweep(today=question.due_on - dt.timedelta(days=3))
    reminder = Reminder.objects.get(kind=KIND_QUESTION)
    assert reminder.subject == f"question:{question.pk}" and reminder.rule_id == "DISC-4"
    services.question_reply(user=disc.director, question=question, reply="已安排维修")
    disclosure_sweep(today=question.due_on)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.DONE


# --- compliance (overdue findings) -------------------------------------------------------------


def _finding(community, code="disc2-quarterly-disclosure"):
    return ComplianceFinding.objects.get(community=community, check_code=code)


@pytest.mark.django_db
def test_disc2_overdue_finding_after_the_deadline(db):
    year, quarter = last_quarter()
    first, last = rules.quarter_bounds(year, quarter)
    on_time, late, missing = CommunityFactory(), CommunityFactory(), CommunityFactory()
    for category in rules.REQUIRED_CATEGORIES:
        DisclosureItemFactory(
            community=on_time,
            category=category,
            year=year,
            quarter=quarter,
            published=True,
            published_on=last,
        )
        DisclosureItemFactory(
            community=late,
            category=category,
            year=year,
            quarter=quarter,
            published=True,
            published_on=min(last + DAY, timezone.localdate()),
        )
    DisclosureItemFactory(
        community=missing,
        category=Category.FINANCE,
        year=year,
        quarter=quarter,
        published=True,
        published_on=first,
    )
    compliance_run(community_ids=[on_time.pk, late.pk, missing.pk])
    assert _finding(on_time).status == FindingStatus.OK
    assert _finding(late).status == FindingStatus.WARNING and "逾期公布" in _finding(late).message
    found = _finding(missing)
    assert found.status == FindingStatus.VIOLATION and found.rule_id == "DISC-2"
    assert "逾期未公开" in found.message and "财务收支" not in found.message
    assert "低保" in found.message or "最低生活保障" in found.message
    assert found.params["disclosure_interval_months"] == "3"


@pytest.mark.django_db
def test_disc2_findings_read_a_fixed_number_of_queries(db):
    community = CommunityFactory()
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as small:
        disclosure_findings(community, community.profile, today)
    year, quarter = last_quarter()
    for category in Category.values:
        if category != Category.MONTHLY:
            DisclosureItemFactory(
                community=community, category=category, year=year, quarter=quarter, published=True
            )
    with CaptureQueriesContext(connection) as large:
        disclosure_findings(community, community.profile, today)
    assert len(small.captured_queries) == len(large.captured_queries) == 1


@pytest.mark.django_db
def test_disc4_overdue_question_is_a_finding(disc):
    from affairs_disclosure.models import ResidentQuestion

    item = disc.published()
    question, _ = services.question_submit(
        item=item,
        kind=QuestionKind.QUESTION,
        body="请问何时公布低保名单？",
        contact="",
        token=uuid.uuid4(),
    )
    compliance_run(community_ids=[disc.community.pk])
    assert _finding(disc.community, "disc4-question-replies").status == FindingStatus.OK
    ResidentQuestion.objects.filter(pk=question.pk).update(due_on=timezone.localdate() - DAY)
    compliance_run(community_ids=[disc.community.pk])
    found = _finding(disc.community, "disc4-question-replies")
    assert found.status == FindingStatus.VIOLATION and f"#{question.pk}" in found.message


# --- concurrency and the real worker -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_make_one_row_per_key_and_neither_fails(db):
    CommunityFactory.create_batch(2)
    inserted, release = threading.Event(), threading.Event()
    errors, results = [], []

    def first():
        try:
            with transaction.atomic():
                results.append(disclosure_sweep(today=WINDOW))
                inserted.set()
                release.wait(timeout=20)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            inserted.set()
            connection.close()

    def second():
        try:
            results.append(disclosure_sweep(today=WINDOW))
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
    assert errors == [] and len(results) == 2
    assert Reminder.objects.count() == 2 * len(rules.REQUIRED_CATEGORIES)
    assert _unique_keys_hold()


@pytest.mark.django_db(transaction=True)
def test_sweep_through_a_real_celery_worker_twice_and_two_at_once(celery_worker_process):
    from affairs_disclosure.tasks import disclosure_sweep as task

    communities = CommunityFactory.create_batch(2)
    kwargs = {"run_date": WINDOW.isoformat()}
    first = task.apply_async(kwargs=kwargs, queue=celery_worker_process).get(timeout=90)
    assert first[KIND_DISCLOSURE]["due"] == 2 * len(rules.REQUIRED_CATEGORIES)
    rows = set(Reminder.objects.values_list("pk", "community_id", "subject", "period"))
    assert len(rows) == 2 * len(rules.REQUIRED_CATEGORIES)
    assert {r[1] for r in rows} == {c.pk for c in communities}
    # A retry, then two beats at once.
    task.apply_async(kwargs=kwargs, queue=celery_worker_process).get(timeout=90)
    pending = [task.apply_async(kwargs=kwargs, queue=celery_worker_process) for _ in range(2)]
    for result in pending:
        result.get(timeout=90)
    assert set(Reminder.objects.values_list("pk", "community_id", "subject", "period")) == rows
    assert _unique_keys_hold()
    assert not Reminder.objects.exclude(status=ReminderStatus.OPEN).exists()
    beat = TaskHeartbeat.objects.get(task_name="affairs_disclosure.tasks.disclosure_sweep")
    assert beat.runs >= 4 and beat.last_success_at is not None and beat.last_error_at is None
