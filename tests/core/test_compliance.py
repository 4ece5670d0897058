"""Compliance registry, nightly run (idempotent), findings with the parameters that applied,
and the same run through a real Celery worker on the real Redis."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from communities.models import OrgKind, RoomType
from core.compliance import checks
from core.models import ComplianceFinding, FindingStatus, PolicyProfile, TaskHeartbeat
from core.services import compliance_run
from tests.factories import (
    CommunityFactory,
    FacilityFactory,
    MembershipFactory,
    OrganisationFactory,
)


def finding(community, code):
    return ComplianceFinding.objects.get(community=community, check_code=code)


def test_registry_has_the_org_checks_with_rule_ids_and_citations():
    codes = {c.code: c for c in checks()}
    for code in (
        "org2-party-size",
        "org3-committee-size",
        "org4-subcommittees",
        "org5-grid-leaders",
        "org6-households",
        "org12-office-area",
        "org12-checklist",
    ):
        assert code in codes
        assert codes[code].rule_id.startswith("ORG-")
        assert codes[code].citation


@pytest.mark.django_db
@pytest.mark.parametrize(
    "members, status",
    [(4, FindingStatus.VIOLATION), (5, FindingStatus.OK), (9, FindingStatus.OK)],
)
def test_org2_party_size_finding_at_boundaries(members, status):
    org = OrganisationFactory(kind=OrgKind.PARTY)
    MembershipFactory.create_batch(members, organisation=org)
    compliance_run(community_ids=[org.community_id])
    assert finding(org.community, "org2-party-size").status == status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "households, members, status",
    [
        (1500, 5, FindingStatus.OK),  # expected 5
        (1501, 5, FindingStatus.WARNING),  # expected 6
        (1501, 6, FindingStatus.OK),
        (3000, 9, FindingStatus.OK),  # cap binds
        (3000, 4, FindingStatus.VIOLATION),  # below 5
    ],
)
def test_org3_committee_size_finding(households, members, status):
    community = CommunityFactory(households=households)
    org = OrganisationFactory(community=community, kind=OrgKind.COMMITTEE)
    MembershipFactory.create_batch(members, organisation=org)
    compliance_run(community_ids=[community.pk])
    assert finding(community, "org3-committee-size").status == status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "area_type, area, status",
    [
        ("old", "149.99", FindingStatus.VIOLATION),
        ("old", "150.00", FindingStatus.OK),
        ("new", "299.99", FindingStatus.VIOLATION),
        ("new", "300.00", FindingStatus.OK),
    ],
)
def test_org12_office_area_finding_at_boundaries(area_type, area, status):
    community = CommunityFactory(area_type=area_type)
    FacilityFactory(community=community, room_type=RoomType.OFFICE, area=Decimal(area))
    compliance_run(community_ids=[community.pk])
    f = finding(community, "org12-office-area")
    assert f.status == status
    assert f.params == {"office_area_min_new": "300.00", "office_area_min_old": "150.00"}


@pytest.mark.django_db
def test_finding_keeps_the_value_that_applied_when_made():
    community = CommunityFactory()
    FacilityFactory(community=community, room_type=RoomType.OFFICE, area=Decimal("160"))
    day1, day2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
    compliance_run(community_ids=[community.pk], run_date=day1)
    profile = PolicyProfile.objects.create(code="strict", name="严格方案", office_area_min_old=200)
    community.profile = profile
    community.save()
    compliance_run(community_ids=[community.pk], run_date=day2)
    first = ComplianceFinding.objects.get(
        community=community, check_code="org12-office-area", run_date=day1
    )
    second = ComplianceFinding.objects.get(
        community=community, check_code="org12-office-area", run_date=day2
    )
    assert (first.status, first.params["office_area_min_old"]) == ("ok", "150.00")
    assert (second.status, second.params["office_area_min_old"]) == ("violation", "200.00")
    assert second.profile == profile


@pytest.mark.django_db
def test_compliance_run_is_idempotent_per_day():
    communities = CommunityFactory.create_batch(3)
    ids = [c.pk for c in communities]
    n1 = compliance_run(community_ids=ids)
    n2 = compliance_run(community_ids=ids)
    assert n1 == n2 == 3 * len(checks())
    assert ComplianceFinding.objects.filter(community__in=ids).count() == n1


@pytest.mark.django_db(transaction=True)
def test_nightly_task_through_a_real_celery_worker_twice(celery_worker_process):
    from core.tasks import compliance_nightly

    communities = CommunityFactory.create_batch(2)
    ids = [c.pk for c in communities]
    day = timezone.localdate().isoformat()
    first = compliance_nightly.apply_async(
        kwargs={"community_ids": ids, "run_date": day}, queue=celery_worker_process
    ).get(timeout=90)
    second = compliance_nightly.apply_async(
        kwargs={"community_ids": ids, "run_date": day}, queue=celery_worker_process
    ).get(timeout=90)
    assert first == second == 2 * len(checks())
    assert ComplianceFinding.objects.filter(community__in=ids).count() == first
    beat = TaskHeartbeat.objects.get(task_name="core.tasks.compliance_nightly")
    assert beat.runs >= 2
    assert beat.last_success_at is not None


@pytest.mark.django_db
def test_schedule_status_flags_a_dead_beat():
    from core.admin import schedule_status

    now = timezone.now()
    rows = {r["task"]: r for r in schedule_status(now)}
    assert rows["core.tasks.compliance_nightly"]["overdue"] is True  # never ran
    TaskHeartbeat.objects.create(
        task_name="core.tasks.compliance_nightly", last_success_at=now - dt.timedelta(hours=25)
    )

    def nightly():
        return {r["task"]: r for r in schedule_status(now)}["core.tasks.compliance_nightly"]

    assert nightly()["overdue"] is False
    TaskHeartbeat.objects.update(last_success_at=now - dt.timedelta(hours=27))
    assert nightly()["overdue"] is True


@pytest.mark.django_db
def test_failed_task_records_the_error_and_no_success():
    from core.tasks import heartbeat

    @heartbeat
    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        broken()
    beat = TaskHeartbeat.objects.get(task_name=f"{__name__}.broken")
    assert beat.last_success_at is None
    assert "boom" in beat.last_error


@pytest.mark.django_db
def test_org1_structure_and_org8_compounds():
    from tests.factories import CompoundFactory

    community = CommunityFactory()
    for kind in (OrgKind.PARTY, OrgKind.COMMITTEE, OrgKind.ASSEMBLY):
        OrganisationFactory(community=community, kind=kind)
    compound = CompoundFactory(community=community, has_professional_property=False)
    compliance_run(community_ids=[community.pk])
    structure = finding(community, "org1-structure")
    assert structure.status == FindingStatus.VIOLATION and "议事会" in structure.message
    compounds = finding(community, "org8-compounds")
    assert compounds.status == FindingStatus.WARNING
    assert "未选举业主委员会" in compounds.message and "未指定专人" in compounds.message
    OrganisationFactory(community=community, kind=OrgKind.COUNCIL)
    OrganisationFactory(community=community, kind=OrgKind.OWNERS_COMMITTEE, compound=compound)
    compound.property_manager_name = "周管理"
    compound.save()
    compliance_run(community_ids=[community.pk])
    assert finding(community, "org1-structure").status == FindingStatus.OK
    assert finding(community, "org8-compounds").status == FindingStatus.OK
