"""The registry API: scoped reads, writes through the services, bad input, query counts."""

import pytest
from rest_framework.test import APIClient

from communities.models import Facility, Membership, OrgKind, Unit
from core.models import Role
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    FacilityFactory,
    MembershipFactory,
    OrganisationFactory,
    StreetFactory,
    UnitFactory,
    user_with_role,
)
from tests.helpers import query_count


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
def test_anonymous_gets_nothing(api, ab):
    assert api.get("/api/v1/facilities/").status_code in (401, 403)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", ["facilities", "communities", "findings", "organisations", "units", "memberships"]
)
def test_list_is_scoped(api, ab, route):
    from core.services import compliance_run

    compliance_run()
    OrganisationFactory(community=ab["b"])
    UnitFactory(building=BuildingFactory(community=ab["b"]))
    MembershipFactory(organisation=OrganisationFactory(community=ab["b"]))
    api.force_authenticate(ab["user_a"])
    response = api.get(f"/api/v1/{route}/")
    assert response.status_code == 200
    rows = response.json()["results"]
    for row in rows:
        community = row.get("community", row.get("id"))
        assert community == ab["a"].pk, row


@pytest.mark.django_db
def test_guessed_id_of_other_community_is_404_and_nothing_changes(api, ab):
    api.force_authenticate(ab["user_a"])
    url = f"/api/v1/facilities/{ab['fac_b'].pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"name": "被篡改"}, format="json").status_code == 404
    assert api.put(url, {"name": "x"}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    assert api.get(f"/api/v1/communities/{ab['b'].pk}/").status_code == 404
    ab["fac_b"].refresh_from_db()
    assert ab["fac_b"].name == "乙活动室"


@pytest.mark.django_db
def test_other_communitys_id_in_payload_is_refused(api, ab):
    api.force_authenticate(ab["user_a"])
    response = api.post(
        "/api/v1/facilities/",
        {"name": "偷加", "community": ab["b"].pk, "room_type": "activity", "area": "10"},
        format="json",
    )
    assert response.status_code == 400
    assert "community" in response.json()
    assert "对象不存在" in str(response.json()["community"])
    building_b = BuildingFactory(community=ab["b"])
    response = api.post(
        "/api/v1/units/", {"building": building_b.pk, "name": "9单元"}, format="json"
    )
    assert response.status_code == 400 and "building" in response.json()
    moved = api.patch(
        f"/api/v1/facilities/{ab['fac_a'].pk}/", {"community": ab["b"].pk}, format="json"
    )
    assert moved.status_code == 400
    assert not Facility.objects.filter(name="偷加").exists()
    assert not Unit.objects.filter(name="9单元").exists()
    assert Facility.objects.get(pk=ab["fac_a"].pk).community == ab["a"]


@pytest.mark.django_db
def test_api_write_goes_through_the_org3_rule(api, ab):
    org = OrganisationFactory(community=ab["a"], kind=OrgKind.COMMITTEE)
    MembershipFactory.create_batch(9, organisation=org)
    api.force_authenticate(ab["user_a"])
    response = api.post(
        "/api/v1/memberships/",
        {"organisation": org.pk, "person_name": "第十人", "position": "member"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "ORG-3"
    assert "最多 9 人" in str(body["organisation"])
    assert Membership.objects.filter(organisation=org).count() == 9


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        ({"area": "abc"}, "area"),
        ({"area": "-3"}, "area"),
        ({"room_type": "palace"}, "room_type"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_facility_input_is_400_with_the_field(api, ab, payload, field):
    api.force_authenticate(ab["user_a"])
    data = {"name": "会议室", "community": ab["a"].pk, "room_type": "activity", "area": "20"}
    data.update(payload)
    response = api.post("/api/v1/facilities/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Facility.objects.filter(name="会议室").exists()


@pytest.mark.django_db
def test_public_room_rented_refused_by_api(api, ab):
    api.force_authenticate(ab["user_a"])
    response = api.patch(
        f"/api/v1/facilities/{ab['fac_a'].pk}/",
        {"use_status": "rented", "is_public_service": True},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "ORG-12"
    ab["fac_a"].refresh_from_db()
    assert ab["fac_a"].use_status == "in_use"


@pytest.mark.django_db
def test_read_only_role_cannot_write_in_own_community(api, ab):
    member = user_with_role(Role.MEMBER, community=ab["a"])
    api.force_authenticate(member)
    url = f"/api/v1/facilities/{ab['fac_a'].pk}/"
    assert api.get(url).status_code == 200
    assert api.patch(url, {"name": "改名"}, format="json").status_code == 403
    assert api.delete(url).status_code == 403
    ab["fac_a"].refresh_from_db()
    assert ab["fac_a"].name == "甲活动室"


@pytest.mark.django_db
def test_negative_households_via_api(api):
    street = StreetFactory()
    admin = user_with_role(Role.STREET_ADMIN, street=street)
    api.force_authenticate(admin)
    response = api.post(
        "/api/v1/communities/",
        {
            "street": street.pk,
            "name": "新社区",
            "households": -1,
            "profile": street.default_profile_id,
        },
        format="json",
    )
    assert response.status_code == 400 and "households" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", ["communities", "facilities", "memberships", "units", "organisations", "findings"]
)
def test_api_list_query_count_is_fixed(api, route):
    from core.services import compliance_run

    street = StreetFactory()
    admin = user_with_role(Role.STREET_ADMIN, street=street)
    api.force_authenticate(admin)

    def grow(n):
        for _ in range(n):
            c = CommunityFactory(street=street)
            FacilityFactory(community=c)
            MembershipFactory(organisation=OrganisationFactory(community=c))
            UnitFactory(building=BuildingFactory(community=c))
        compliance_run()

    grow(2)
    api.get(f"/api/v1/{route}/")
    small = query_count(api, f"/api/v1/{route}/")
    grow(10)
    large = query_count(api, f"/api/v1/{route}/")
    assert small == large


@pytest.mark.django_db
def test_openapi_schema_renders(admin_client):
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/facilities/" in response.content
