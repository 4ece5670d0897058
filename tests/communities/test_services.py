"""Registry writes through the services: rules refused with their id, nothing saved."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from communities.models import (
    AccessStatus,
    CheckResult,
    Community,
    Facility,
    Membership,
    OrgKind,
    UseStatus,
)
from communities.services import registry_save
from core.errors import RuleViolation
from core.models import Role
from tests.factories import (
    AccessCheckFactory,
    AccessRecordFactory,
    CommunityFactory,
    FacilityFactory,
    MembershipFactory,
    OrganisationFactory,
    user_with_role,
)


def _seat(org, name="新委员"):
    return Membership(organisation=org, person_name=name, position="member")


@pytest.mark.django_db
@pytest.mark.parametrize("kind, rule", [(OrgKind.COMMITTEE, "ORG-3"), (OrgKind.PARTY, "ORG-2")])
def test_org2_org3_ninth_seat_allowed_tenth_refused(kind, rule):
    org = OrganisationFactory(kind=kind)
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=org.community)
    MembershipFactory.create_batch(8, organisation=org)
    registry_save(user=director, instance=_seat(org, "第九人"))
    with pytest.raises(RuleViolation) as err:
        registry_save(user=director, instance=_seat(org, "第十人"))
    assert err.value.rule_id == rule
    assert "最多 9 人" in err.value.messages[0]
    assert Membership.objects.filter(organisation=org, ended_on__isnull=True).count() == 9


@pytest.mark.django_db
def test_org3_former_members_do_not_count_and_a_departed_seat_can_be_recorded():
    org = OrganisationFactory(kind=OrgKind.COMMITTEE)
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=org.community)
    MembershipFactory.create_batch(9, organisation=org)
    former = _seat(org, "已离任")
    former.started_on = "2020-01-01"
    former.ended_on = "2023-01-01"
    registry_save(user=director, instance=former)  # not a current seat: allowed
    assert Membership.objects.filter(organisation=org).count() == 10


@pytest.mark.django_db
def test_org3_cap_follows_the_community_profile():
    org = OrganisationFactory(kind=OrgKind.COMMITTEE)
    profile = org.community.profile
    profile.pk = None
    profile.code, profile.name, profile.is_preset = "small", "小社区方案", False
    profile.committee_min, profile.committee_max = 3, 5
    profile.save()
    Community.objects.filter(pk=org.community_id).update(profile=profile)
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=org.community)
    MembershipFactory.create_batch(5, organisation=org)
    with pytest.raises(RuleViolation, match="最多 5 人"):
        registry_save(user=director, instance=_seat(org))


@pytest.mark.django_db(transaction=True)
def test_org3_two_concurrent_additions_of_the_last_seat_only_one_wins():
    org = OrganisationFactory(kind=OrgKind.COMMITTEE)
    MembershipFactory.create_batch(8, organisation=org)
    users = [user_with_role(Role.COMMITTEE_DIRECTOR, community=org.community) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def add(user, name):
        try:
            barrier.wait(timeout=10)
            registry_save(user=user, instance=_seat(org, name))
            outcomes.append("saved")
        except RuleViolation:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(u, f"并发{i}")) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["refused", "saved"]
    assert Membership.objects.filter(organisation=org, ended_on__isnull=True).count() == 9


@pytest.mark.django_db
@pytest.mark.parametrize("status", [UseStatus.RENTED, UseStatus.SOLD, UseStatus.MORTGAGED])
def test_org12_public_service_room_cannot_be_rented_or_sold(status):
    facility = FacilityFactory(is_public_service=True)
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=facility.community)
    facility.use_status = status
    with pytest.raises(ValidationError, match="ORG-12"):
        registry_save(user=director, instance=facility)
    facility.refresh_from_db()
    assert facility.use_status == UseStatus.IN_USE


@pytest.mark.django_db
def test_org12_non_public_room_may_be_rented():
    facility = FacilityFactory(is_public_service=False)
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=facility.community)
    facility.use_status = UseStatus.RENTED
    registry_save(user=director, instance=facility)
    assert Facility.objects.get(pk=facility.pk).use_status == UseStatus.RENTED


@pytest.mark.django_db
@pytest.mark.parametrize("area", ["0", "-1", "0.00"])
def test_facility_area_must_be_positive(area):
    facility = FacilityFactory()
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=facility.community)
    facility.area = Decimal(area)
    with pytest.raises(ValidationError):
        registry_save(user=director, instance=facility)


@pytest.mark.django_db
def test_negative_households_refused():
    community = CommunityFactory()
    admin = user_with_role(Role.STREET_ADMIN, street=community.street)
    community.households = -1
    with pytest.raises(ValidationError) as err:
        registry_save(user=admin, instance=community)
    assert "households" in err.value.message_dict


@pytest.mark.django_db
def test_duplicate_community_name_in_one_street_refused_in_chinese():
    a = CommunityFactory(name="幸福社区")
    admin = user_with_role(Role.STREET_ADMIN, street=a.street)
    twin = Community(street=a.street, name="幸福社区", households=2000, profile=a.profile)
    with pytest.raises(ValidationError, match="同一街道下已有同名社区"):
        registry_save(user=admin, instance=twin)
    other_street = CommunityFactory(name="幸福社区")  # another street: allowed
    assert other_street.pk


@pytest.mark.django_db
def test_community_director_cannot_create_a_community():
    community = CommunityFactory()
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    new = Community(
        street=community.street, name="新社区", households=100, profile=community.profile
    )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        registry_save(user=director, instance=new)
    assert not Community.objects.filter(name="新社区").exists()


@pytest.mark.django_db
def test_org11_failed_rectification_revokes_access():
    access = AccessRecordFactory()
    admin = user_with_role(Role.STREET_ADMIN, street=access.community.street)
    check = AccessCheckFactory.build(access=access, community=access.community, year=2025)
    check.result = CheckResult.RECTIFY
    check.rectify_by = "2026-03-31"
    registry_save(user=admin, instance=check)
    access.refresh_from_db()
    assert access.status == AccessStatus.RECTIFYING
    final = AccessCheckFactory.build(access=access, community=access.community, year=2026)
    final.result = CheckResult.FAIL
    registry_save(user=admin, instance=final)
    access.refresh_from_db()
    assert access.status == AccessStatus.REVOKED
    assert "ORG-11" in access.revoke_reason


@pytest.mark.django_db
def test_unit_under_another_communitys_building_takes_that_community_only_if_in_scope():
    from django.http import Http404

    from communities.models import Unit
    from tests.factories import BuildingFactory

    building_b = BuildingFactory()
    user_a = user_with_role(Role.COMMITTEE_DIRECTOR, community=CommunityFactory())
    unit = Unit(
        building=building_b, name="1单元", community=user_a.role_assignments.get().community
    )
    with pytest.raises(Http404):
        registry_save(user=user_a, instance=unit)
    assert not Unit.objects.filter(name="1单元", building=building_b).exists()
