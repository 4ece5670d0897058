"""STAFF findings in the compliance registry: quota, incompatible posts, expiring terms."""

import datetime as dt

import pytest
from django.utils import timezone

from core.compliance import checks
from core.models import ComplianceFinding, FindingStatus
from core.services import compliance_run
from staffing.models import Post
from tests.factories import CommunityFactory
from tests.staffing.factories import PostTermFactory, StaffingReasonFactory, WorkerFactory


def finding(community, code):
    return ComplianceFinding.objects.get(community=community, check_code=code)


def test_registry_has_the_staff_checks():
    codes = {c.code: c for c in checks()}
    for code, rule in (
        ("staff1-quota", "STAFF-1"),
        ("staff8-incompatible", "STAFF-8"),
        ("staff4-terms-expiring", "STAFF-4"),
    ):
        assert codes[code].rule_id == rule
        assert codes[code].citation


@pytest.mark.django_db
@pytest.mark.parametrize(
    "households, workers, status",
    [
        (1999, 4, FindingStatus.WARNING),  # needs 5
        (1999, 5, FindingStatus.OK),
        (2000, 5, FindingStatus.OK),
        (2001, 5, FindingStatus.WARNING),  # needs 6
        (2001, 6, FindingStatus.OK),
        (1500, 6, FindingStatus.WARNING),  # above max(5, ceil(1500/300)) = 5, no reason
        (1501, 6, FindingStatus.OK),
    ],
)
def test_staff1_quota_finding_at_boundaries(households, workers, status):
    community = CommunityFactory(households=households)
    WorkerFactory.create_batch(workers, community=community)
    compliance_run(community_ids=[community.pk])
    f = finding(community, "staff1-quota")
    assert f.status == status
    assert f.params == {
        "households_per_worker_low": "300",
        "households_per_worker_high": "400",
        "min_workers": "5",
    }


@pytest.mark.django_db
def test_staff1_only_current_full_time_workers_count():
    community = CommunityFactory(households=1000)
    WorkerFactory.create_batch(4, community=community)
    WorkerFactory(community=community, is_full_time=False)
    WorkerFactory(community=community, left_on=dt.date(2024, 1, 1))
    compliance_run(community_ids=[community.pk])
    f = finding(community, "staff1-quota")
    assert f.status == FindingStatus.WARNING
    assert "4 人" in f.message and "配备不足" in f.message


@pytest.mark.django_db
def test_staff1_over_quota_with_a_reason_this_year_is_ok():
    community = CommunityFactory(households=1000)
    WorkerFactory.create_batch(6, community=community)
    StaffingReasonFactory(community=community)
    compliance_run(community_ids=[community.pk])
    f = finding(community, "staff1-quota")
    assert f.status == FindingStatus.OK
    assert "已登记本年度超配说明" in f.message


@pytest.mark.django_db
def test_staff8_existing_incompatible_posts_found():
    community = CommunityFactory()
    worker = WorkerFactory(community=community, name="李四")
    # Saved past the service (an import, or before the profile changed): re-checked nightly.
    PostTermFactory(worker=worker, post=Post.COMMITTEE_DIRECTOR)
    PostTermFactory(worker=worker, post=Post.CASHIER)
    other = WorkerFactory(community=community)
    PostTermFactory(worker=other, post=Post.PARTY_SECRETARY)
    PostTermFactory(worker=other, post=Post.COMMITTEE_DIRECTOR)
    compliance_run(community_ids=[community.pk])
    f = finding(community, "staff8-incompatible")
    assert f.status == FindingStatus.VIOLATION
    assert "李四" in f.message and "出纳" in f.message
    assert other.name not in f.message


@pytest.mark.django_db
def test_staff8_ended_terms_are_not_current():
    community = CommunityFactory()
    worker = WorkerFactory(community=community)
    PostTermFactory(
        worker=worker,
        post=Post.COMMITTEE_DIRECTOR,
        starts_on=dt.date(2015, 1, 1),
        ends_on=dt.date(2020, 12, 31),
    )
    PostTermFactory(worker=worker, post=Post.CASHIER)
    compliance_run(community_ids=[community.pk])
    assert finding(community, "staff8-incompatible").status == FindingStatus.OK


@pytest.mark.django_db
@pytest.mark.parametrize("days, status", [(60, FindingStatus.WARNING), (61, FindingStatus.OK)])
def test_staff4_term_expiring_within_60_days_listed(days, status):
    community = CommunityFactory()
    worker = WorkerFactory(community=community, name="王五")
    today = timezone.localdate()
    PostTermFactory(
        worker=worker,
        post=Post.COMMITTEE_DIRECTOR,
        starts_on=today - dt.timedelta(days=1000),
        ends_on=today + dt.timedelta(days=days),
    )
    compliance_run(community_ids=[community.pk])
    f = finding(community, "staff4-terms-expiring")
    assert f.status == status
    if status == FindingStatus.WARNING:
        assert "王五" in f.message and "居委会主任" in f.message
