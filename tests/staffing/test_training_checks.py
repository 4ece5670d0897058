"""STAFF-5/6/10 findings: training cycles and hours, weekly study, 党性体检, evaluations."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.compliance import REGISTRY, checks
from core.models import ComplianceFinding, FindingStatus
from core.services import compliance_run
from staffing import rules
from staffing.models import Post
from tests.factories import CommunityFactory
from tests.staffing.factories import (
    EvaluationFactory,
    PartyCheckupFactory,
    PostTermFactory,
    StudySessionFactory,
    TrainingRecordFactory,
    WorkerFactory,
)

NEW_CHECKS = (
    "staff6-training",
    "staff6-weekly-study",
    "staff10-party-checkup",
    "staff5-evaluation",
)


def finding(community, code):
    return ComplianceFinding.objects.get(community=community, check_code=code)


def run(community, code):
    compliance_run(community_ids=[community.pk])
    return finding(community, code)


def holder(community, post, name="张三", **kw):
    worker = WorkerFactory(community=community, name=name, **kw)
    PostTermFactory(worker=worker, post=post, starts_on=dt.date(2015, 1, 1))
    return worker


def test_registry_has_the_new_staff_checks():
    codes = {c.code: c for c in checks()}
    assert codes["staff6-training"].rule_id == "STAFF-6"
    assert codes["staff6-training"].params == (
        "training_hours_min",
        "training_cycle_years_members",
    )
    assert codes["staff6-weekly-study"].rule_id == "STAFF-6"
    assert codes["staff10-party-checkup"].params == ("party_checkups_per_year",)
    assert codes["staff5-evaluation"].rule_id == "STAFF-5"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hours, status", [("19.9", FindingStatus.VIOLATION), ("20.0", FindingStatus.OK)]
)
def test_staff6_secretary_hours_at_boundary(hours, status):
    community = CommunityFactory()
    worker = holder(community, Post.PARTY_SECRETARY)
    TrainingRecordFactory(worker=worker, hours=Decimal(hours), date=timezone.localdate())
    f = run(community, "staff6-training")
    assert f.status == status
    assert f.params == {"training_hours_min": "20", "training_cycle_years_members": "2"}
    if status == FindingStatus.VIOLATION:
        assert "张三" in f.message and "19.9 学时" in f.message


@pytest.mark.django_db
def test_staff6_secretary_trained_last_year_but_not_this_year_found():
    community = CommunityFactory()
    worker = holder(community, Post.PARTY_SECRETARY)
    last_year = dt.date(timezone.localdate().year - 1, 12, 31)
    TrainingRecordFactory(worker=worker, hours=Decimal("40"), date=last_year)
    f = run(community, "staff6-training")
    assert f.status == FindingStatus.VIOLATION and "张三" in f.message


@pytest.mark.django_db
@pytest.mark.parametrize(
    "extra_days, status", [(364, FindingStatus.OK), (None, FindingStatus.VIOLATION)]
)
def test_staff6_member_within_two_years(extra_days, status):
    community = CommunityFactory()
    worker = holder(community, Post.COMMITTEE_MEMBER)
    today = timezone.localdate()
    if extra_days is None:  # 2 years + 1 day ago
        day = rules.years_before(today, 2) - dt.timedelta(days=1)
    else:  # 1 year 364 days ago
        day = rules.years_before(today, 1) - dt.timedelta(days=extra_days)
    TrainingRecordFactory(worker=worker, date=day)
    assert run(community, "staff6-training").status == status


@pytest.mark.django_db
def test_staff6_unattended_training_and_other_posts():
    community = CommunityFactory()
    worker = holder(community, Post.COMMITTEE_DIRECTOR, name="李主任")
    TrainingRecordFactory(worker=worker, attended=False)
    holder(community, Post.GRID_WORKER, name="网格员甲")  # no training duty
    holder(community, Post.COMMITTEE_MEMBER, name="已离职", left_on=dt.date(2020, 1, 1))
    f = run(community, "staff6-training")
    assert f.status == FindingStatus.VIOLATION
    assert "李主任" in f.message
    assert "网格员甲" not in f.message and "已离职" not in f.message


@pytest.mark.django_db
def test_staff6_training_query_count_is_bounded():
    small, large = CommunityFactory(), CommunityFactory()
    for community, n in ((small, 1), (large, 8)):
        for i in range(n):
            worker = holder(community, Post.COMMITTEE_MEMBER, name=f"成员{i}")
            TrainingRecordFactory.create_batch(2, worker=worker, hours=Decimal("5"))
    counts = []
    for community in (small, large):
        community.profile  # noqa: B018 - loaded before counting, as compliance_run does
        with CaptureQueriesContext(connection) as ctx:
            for code in NEW_CHECKS:
                REGISTRY[code].func(community, community.profile)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
@pytest.mark.parametrize("n, status", [(3, FindingStatus.WARNING), (4, FindingStatus.OK)])
def test_staff6_weekly_study_four_in_four_weeks(n, status):
    community = CommunityFactory()
    today = timezone.localdate()
    for i in range(n):
        StudySessionFactory(community=community, date=today - dt.timedelta(days=7 * i))
    # Exactly 4 weeks ago is outside the window.
    StudySessionFactory(community=community, date=today - dt.timedelta(weeks=4))
    f = run(community, "staff6-weekly-study")
    assert f.status == status
    assert f"{n} 次" in f.message


@pytest.mark.django_db
@pytest.mark.parametrize("n, status", [(1, FindingStatus.WARNING), (2, FindingStatus.OK)])
def test_staff10_checkups_last_year(n, status):
    community = CommunityFactory()
    worker = holder(community, Post.PARTY_MEMBER, name="党员甲")
    year = timezone.localdate().year - 1
    for month in range(1, n + 1):
        PartyCheckupFactory(worker=worker, date=dt.date(year, month * 5, 1))
    PartyCheckupFactory(worker=worker, date=dt.date(year + 1, 1, 1))  # this year: not counted
    holder(community, Post.COMMITTEE_MEMBER, name="非党职务")
    f = run(community, "staff10-party-checkup")
    assert f.status == status
    assert "非党职务" not in f.message
    if status == FindingStatus.WARNING:
        assert "党员甲（1 次）" in f.message


@pytest.mark.django_db
def test_staff5_missing_evaluation_of_last_year_found():
    community = CommunityFactory()
    year = timezone.localdate().year - 1
    WorkerFactory(community=community, name="未测评", hired_on=dt.date(year - 3, 1, 1))
    done = WorkerFactory(community=community, name="已测评", hired_on=dt.date(year - 3, 1, 1))
    EvaluationFactory(worker=done, year=year)
    WorkerFactory(community=community, name="年中入职", hired_on=dt.date(year, 3, 1))
    WorkerFactory(community=community, name="兼职", is_full_time=False)
    WorkerFactory(community=community, name="年中离职", left_on=dt.date(year, 6, 30))
    f = run(community, "staff5-evaluation")
    assert f.status == FindingStatus.WARNING
    assert "未测评" in f.message
    for name in ("已测评", "年中入职", "兼职", "年中离职"):
        assert name not in f.message


@pytest.mark.django_db
def test_staff5_all_evaluated_is_ok():
    community = CommunityFactory()
    worker = WorkerFactory(community=community)
    EvaluationFactory(worker=worker, year=timezone.localdate().year - 1)
    assert run(community, "staff5-evaluation").status == FindingStatus.OK
