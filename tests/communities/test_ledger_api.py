"""REST API of the ledgers (issue #4): scoped reads (404 for another community), writes
through the services (derived community, Chinese errors with the field), filters mirroring
the portal, masked personal data, fixed query counts at two sizes."""

import datetime as dt

import pytest
from django.urls import reverse

from communities.models import Household, Resident, SpecialTarget
from core.models import Role
from tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    SpecialGroupMemberFactory,
    UnitFactory,
    VolunteerFactory,
    VolunteerServiceFactory,
    special_group_type,
    user_with_role,
    valid_id_number,
)
from tests.helpers import query_count


@pytest.fixture
def api(ab):
    unit_a = UnitFactory(building=BuildingFactory(community=ab["a"], name="2栋"), name="1单元")
    household_a = HouseholdFactory(unit=unit_a, room="101")
    unit_b = UnitFactory(community=ab["b"])
    household_b = HouseholdFactory(unit=unit_b)
    return {
        **ab,
        "unit_a": unit_a,
        "unit_b": unit_b,
        "household_a": household_a,
        "household_b": household_b,
        "resident_a": ResidentFactory(household=household_a, name="张建华"),
        "resident_b": ResidentFactory(household=household_b, name="乙居民"),
    }


@pytest.mark.django_db
def test_create_household_takes_community_and_address_from_the_unit(client, api):
    client.force_login(api["user_a"])
    response = client.post(
        reverse("household-list"),
        {"unit": api["unit_a"].pk, "room": "302", "community": api["b"].pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["community"] == api["a"].pk and body["address"] == "2栋 1单元 302"
    other = client.post(
        reverse("household-list"),
        {"unit": api["unit_b"].pk, "room": "1"},
        content_type="application/json",
    )
    assert other.status_code == 400 and "unit" in other.json()
    assert not Household.objects.filter(room="1").exists()


@pytest.mark.django_db
def test_create_resident_errors_are_chinese_by_the_field(client, api):
    client.force_login(api["user_a"])
    url = reverse("resident-list")
    number = valid_id_number(dt.date(1975, 3, 9), 31)
    bad = client.post(
        url,
        {"household": api["household_a"].pk, "name": "钱多多", "id_number": number[:-1] + "Y"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "18 位" in bad.json()["id_number"][0]
    contradiction = client.post(
        url,
        {
            "household": api["household_a"].pk,
            "name": "钱多多",
            "id_number": number,
            "birth_date": "1975-03-10",
        },
        content_type="application/json",
    )
    assert "不一致" in contradiction.json()["birth_date"][0]
    ok = client.post(
        url,
        {"household": api["household_a"].pk, "name": "钱多多", "id_number": number},
        content_type="application/json",
    )
    assert ok.status_code == 201
    body = ok.json()
    assert body["id_number"] == number[:4] + "*" * 10 + number[-4:]
    assert body["birth_date"] == "1975-03-09" and body["gender"] == "male"
    again = client.post(
        url,
        {"household": api["household_a"].pk, "name": "钱少少", "id_number": number},
        content_type="application/json",
    )
    assert again.status_code == 400 and "已在本社区登记" in again.json()["id_number"][0]


@pytest.mark.django_db
def test_patch_without_id_keeps_it_and_moving_out_keeps_the_row(client, api):
    resident = api["resident_a"]
    client.force_login(api["user_a"])
    url = reverse("resident-detail", args=[resident.pk])
    response = client.patch(url, {"moved_out_on": "2026-01-31"}, content_type="application/json")
    assert response.status_code == 200, response.content
    resident.refresh_from_db()
    assert resident.moved_out_on == dt.date(2026, 1, 31) and resident.id_valid
    assert client.get(url).status_code == 200  # still found by id
    ids = [r["id"] for r in client.get(reverse("resident-list")).json()["results"]]
    assert resident.pk not in ids
    listing = client.get(reverse("resident-list"), {"include_moved_out": "true"}).json()
    assert resident.pk in [r["id"] for r in listing["results"]]


@pytest.mark.django_db
def test_other_communitys_rows_are_404(client, api):
    client.force_login(api["user_a"])
    for name, obj in [
        ("resident", api["resident_b"]),
        ("household", api["household_b"]),
        ("volunteer", VolunteerFactory(community=api["b"])),
        ("specialgroupmember", SpecialGroupMemberFactory(resident=api["resident_b"])),
        ("volunteerservice", VolunteerServiceFactory(community=api["b"])),
    ]:
        url = reverse(f"{name}-detail", args=[obj.pk])
        assert client.get(url).status_code == 404, url
        assert client.patch(url, {"note": "x"}, content_type="application/json").status_code == 404
        assert client.delete(url).status_code == 404
    moved = client.post(
        reverse("resident-list"),
        {"household": api["household_b"].pk, "name": "入侵"},
        content_type="application/json",
    )
    assert moved.status_code == 400
    names = {r["name"] for r in client.get(reverse("resident-list")).json()["results"]}
    assert names == {"张建华"}
    filtered = client.get(reverse("resident-list"), {"community": api["b"].pk}).json()
    assert filtered["results"] == []
    assert not Resident.objects.filter(name="入侵").exists()


@pytest.mark.django_db
def test_resident_filters_mirror_the_portal(client, api):
    SpecialGroupMemberFactory(resident=api["resident_a"])
    far = HouseholdFactory(
        unit=UnitFactory(building=BuildingFactory(community=api["a"], name="10栋"))
    )
    ResidentFactory(household=far, name="李秀英", registration_type="floating")
    client.force_login(api["user_a"])
    url = reverse("resident-list")

    def names(**params):
        return [r["name"] for r in client.get(url, params).json()["results"]]

    assert names() == ["张建华", "李秀英"]  # 2栋 before 10栋
    assert names(q="lxy") == ["李秀英"]
    assert names(group="dibao") == ["张建华"]
    assert names(registration_type="floating") == ["李秀英"]
    assert names(building=far.unit.building_id) == ["李秀英"]
    row = client.get(url, {"group": "dibao"}).json()["results"][0]
    assert row["groups"] == ["低保"] and row["household_address"] == "2栋 1单元 101"


@pytest.mark.django_db
def test_special_targets_need_the_permission_to_write(client, api):
    grid = user_with_role(Role.GRID_WORKER, community=api["a"])
    client.force_login(grid)
    data = {"resident": api["resident_a"].pk, "kind": "correction", "since": "2025-01-01"}
    url = reverse("specialtarget-list")
    assert client.post(url, data, content_type="application/json").status_code == 403
    client.force_login(api["user_a"])
    assert client.post(url, data, content_type="application/json").status_code == 201
    assert SpecialTarget.objects.get().community == api["a"]


@pytest.mark.django_db
def test_special_group_amount_rule_through_the_api(client, api):
    client.force_login(api["user_a"])
    url = reverse("specialgroupmember-list")
    data = {
        "resident": api["resident_a"].pk,
        "group_type": special_group_type("dibao").pk,
        "starts_on": "2025-01-01",
    }
    response = client.post(url, data, content_type="application/json")
    assert response.status_code == 400 and "须登记月保障金额" in str(response.json())
    data["monthly_amount"] = "650.00"
    assert client.post(url, data, content_type="application/json").status_code == 201


@pytest.mark.django_db
def test_volunteer_hours(client, api):
    volunteer = VolunteerFactory(community=api["a"])
    VolunteerServiceFactory(volunteer=volunteer, hours="2.5")
    VolunteerServiceFactory(volunteer=volunteer, hours="3")
    client.force_login(api["user_a"])
    row = client.get(reverse("volunteer-list")).json()["results"][0]
    assert row["total_hours"] == "5.5" and row["n_services"] == 2
    assert row["phone"].startswith("137****")


def _grow(community, n):
    for _ in range(n):
        household = HouseholdFactory(
            unit=UnitFactory(building=BuildingFactory(community=community))
        )
        resident = ResidentFactory(household=household)
        SpecialGroupMemberFactory(resident=resident)
        VolunteerServiceFactory(volunteer=VolunteerFactory(community=community))


@pytest.mark.django_db
def test_api_lists_run_a_fixed_number_of_queries(client, api):
    client.force_login(api["user_a"])
    urls = [
        reverse("resident-list"),
        reverse("resident-list") + "?q=jh&group=dibao",
        reverse("household-list"),
        reverse("specialgroupmember-list"),
        reverse("volunteer-list"),
        reverse("volunteerservice-list"),
    ]
    _grow(api["a"], 2)
    for url in urls:
        client.get(url)
    small = {url: query_count(client, url) for url in urls}
    _grow(api["a"], 15)
    large = {url: query_count(client, url) for url in urls}
    assert large == small


@pytest.mark.django_db
def test_openapi_schema_of_the_ledger_endpoints_has_no_warnings(admin_client):
    """The ledger routes alone (other apps' warnings are theirs), then the whole schema."""
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.routers import DefaultRouter

    from communities.ledger_api import register

    router = DefaultRouter()
    register(router)
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(
        request=None, public=True
    )
    assert not GENERATOR_STATS, (
        dict(GENERATOR_STATS._warn_cache),
        dict(GENERATOR_STATS._error_cache),
    )
    assert "/api/v1/residents/{id}/reveal/" in schema["paths"]
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    for route in (b"/api/v1/residents/", b"/api/v1/households/", b"/api/v1/special-targets/"):
        assert route in response.content


@pytest.mark.django_db
def test_put_of_a_masked_value_read_back_keeps_the_stored_one(client, api):
    resident = api["resident_a"]
    client.force_login(api["user_a"])
    url = reverse("resident-detail", args=[resident.pk])
    body = client.get(url).json()
    body["note"] = "已入户核实"
    response = client.put(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    stored = Resident.objects.get(pk=resident.pk)
    assert stored.id_number == resident.id_number and stored.phone == resident.phone
    assert stored.note == "已入户核实"
