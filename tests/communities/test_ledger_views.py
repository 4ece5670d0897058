"""Ledger pages of the worker portal and the admin (issue #4): scoped (404 for another
community on every URL), forms through the services (Chinese errors, PRG, double submit
saves once), search, fixed query counts at two sizes."""

import re

import pytest
from django.urls import reverse

from communities.models import Household, Resident
from core.models import Role
from tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    SpecialGroupMemberFactory,
    UnitFactory,
    VolunteerFactory,
    VolunteerServiceFactory,
    user_with_role,
    valid_id_number,
)
from tests.helpers import query_count


@pytest.fixture
def ledger(ab):
    a, b = ab["a"], ab["b"]
    unit_a = UnitFactory(building=BuildingFactory(community=a, name="3栋"), name="2单元")
    household_a = HouseholdFactory(unit=unit_a, room="301")
    resident_a = ResidentFactory(household=household_a, name="张建华", phone="13812345678")
    household_b = HouseholdFactory(unit=UnitFactory(community=b), room="101")
    resident_b = ResidentFactory(household=household_b, name="乙居民")
    volunteer_b = VolunteerFactory(community=b)
    return {
        **ab,
        "unit_a": unit_a,
        "household_a": household_a,
        "resident_a": resident_a,
        "household_b": household_b,
        "resident_b": resident_b,
        "volunteer_a": VolunteerServiceFactory(volunteer=VolunteerFactory(community=a)).volunteer,
        "volunteer_b": volunteer_b,
    }


def _token(response) -> str:
    match = re.search(r'name="token" value="([0-9a-f-]+)"', response.content.decode())
    assert match, "the form carries a one-time token"
    return match.group(1)


# --- scoping ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_community_page_links_to_the_ledger(client, ledger):
    client.force_login(ledger["user_a"])
    body = client.get(reverse("portal:community", args=[ledger["a"].pk])).content.decode()
    assert reverse("ledgers:residents", args=[ledger["a"].pk]) in body


@pytest.mark.django_db
def test_other_communitys_ledger_is_404_on_every_portal_url(client, ledger):
    client.force_login(ledger["user_a"])
    a, b = ledger["a"].pk, ledger["b"].pk
    own = [
        reverse("ledgers:residents", args=[a]),
        reverse("ledgers:residents_export", args=[a]),
        reverse("ledgers:households", args=[a]),
        reverse("ledgers:household_add", args=[a]),
        reverse("ledgers:coverage", args=[a]),
        reverse("ledgers:volunteers", args=[a]),
        reverse("ledgers:household", args=[ledger["household_a"].pk]),
        reverse("ledgers:household_edit", args=[ledger["household_a"].pk]),
        reverse("ledgers:resident_add", args=[ledger["household_a"].pk]),
        reverse("ledgers:resident", args=[ledger["resident_a"].pk]),
        reverse("ledgers:resident_edit", args=[ledger["resident_a"].pk]),
    ]
    other = [
        reverse("ledgers:residents", args=[b]),
        reverse("ledgers:residents_export", args=[b]),
        reverse("ledgers:households", args=[b]),
        reverse("ledgers:household_add", args=[b]),
        reverse("ledgers:coverage", args=[b]),
        reverse("ledgers:volunteers", args=[b]),
        reverse("ledgers:household", args=[ledger["household_b"].pk]),
        reverse("ledgers:household_edit", args=[ledger["household_b"].pk]),
        reverse("ledgers:household_reveal", args=[ledger["household_b"].pk]),
        reverse("ledgers:resident_add", args=[ledger["household_b"].pk]),
        reverse("ledgers:resident", args=[ledger["resident_b"].pk]),
        reverse("ledgers:resident_edit", args=[ledger["resident_b"].pk]),
        reverse("ledgers:resident_reveal", args=[ledger["resident_b"].pk]),
        reverse("ledgers:resident", args=[999999]),
    ]
    for url in own:
        assert client.get(url).status_code == 200, url
    before = (Household.objects.count(), Resident.objects.count())
    for url in other:
        if not url.endswith("/reveal/"):
            assert client.get(url).status_code == 404, url
        response = client.post(url, {"name": "入侵", "room": "999", "unit": ledger["unit_a"].pk})
        assert response.status_code == 404, url
    assert (Household.objects.count(), Resident.objects.count()) == before
    ledger["resident_b"].refresh_from_db()
    assert ledger["resident_b"].name == "乙居民"


@pytest.mark.django_db
def test_other_communitys_ledger_is_404_in_the_admin(client, ledger):
    client.force_login(ledger["user_a"])
    for name, obj in [
        ("household", ledger["household_b"]),
        ("resident", ledger["resident_b"]),
        ("volunteer", ledger["volunteer_b"]),
        ("specialgroupmember", SpecialGroupMemberFactory(resident=ledger["resident_b"])),
    ]:
        for view in ("change", "delete", "history"):
            url = reverse(f"admin:communities_{name}_{view}", args=[obj.pk])
            assert client.get(url).status_code == 404, url
        url = reverse(f"admin:communities_{name}_change", args=[obj.pk])
        assert client.post(url, {"name": "入侵"}).status_code == 404
    body = client.get(reverse("admin:communities_resident_changelist")).content.decode()
    assert "张建华" in body and "乙居民" not in body
    export = client.get(reverse("admin:communities_resident_xlsx"), {"community": ledger["b"].pk})
    assert export.status_code == 200
    from tests.communities.test_ledger_privacy import xlsx_rows

    assert xlsx_rows(export) == []  # another community's id filters to nothing


# --- lists and search ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["张建", "zjh", "5678", "3栋 2单元"])
def test_resident_list_search(client, ledger, q):
    ResidentFactory(household=ledger["household_a"], name="李秀英", phone="13900000000")
    client.force_login(ledger["user_a"])
    url = reverse("ledgers:residents", args=[ledger["a"].pk])
    body = client.get(url, {"q": q}).content.decode()
    assert "张建华" in body
    if q != "3栋 2单元":
        assert "李秀英" not in body
    assert 'name="viewport"' in body


@pytest.mark.django_db
def test_resident_list_filters_by_group_and_status(client, ledger):
    SpecialGroupMemberFactory(resident=ledger["resident_a"])  # 低保
    moved = ResidentFactory(household=ledger["household_a"], name="迁出者")
    moved.moved_out_on = moved.moved_in_on or moved.birth_date.replace(year=2020)
    moved.save()
    client.force_login(ledger["user_a"])
    url = reverse("ledgers:residents", args=[ledger["a"].pk])
    body = client.get(url).content.decode()
    assert "张建华" in body and "迁出者" not in body and "低保" in body
    assert "迁出者" in client.get(url, {"status": "moved_out"}).content.decode()
    grouped = client.get(url, {"group": "tekun"}).content.decode()
    assert "张建华" not in grouped


def _grow(community, n):
    for i in range(n):
        household = HouseholdFactory(
            unit=UnitFactory(building=BuildingFactory(community=community))
        )
        resident = ResidentFactory(household=household, name=f"居民{i}")
        SpecialGroupMemberFactory(resident=resident)
        ResidentFactory(household=household, id_number="")


@pytest.mark.django_db
def test_resident_list_query_count_is_fixed(client, ledger):
    client.force_login(ledger["user_a"])
    urls = [
        reverse("ledgers:residents", args=[ledger["a"].pk]),
        reverse("ledgers:residents", args=[ledger["a"].pk]) + "?q=jm",
        reverse("ledgers:households", args=[ledger["a"].pk]),
        reverse("ledgers:household", args=[ledger["household_a"].pk]),
        reverse("ledgers:coverage", args=[ledger["a"].pk]),
        reverse("ledgers:volunteers", args=[ledger["a"].pk]),
        reverse("admin:communities_resident_changelist"),
        reverse("admin:communities_resident_changelist") + "?q=jm&group=dibao",
        reverse("admin:communities_household_changelist"),
        reverse("admin:communities_household_coverage"),
        reverse("admin:communities_volunteer_changelist"),
    ]
    _grow(ledger["a"], 2)
    for url in urls:
        client.get(url)  # warm caches (content types, cached counts)
    small = {url: query_count(client, url) for url in urls}
    _grow(ledger["a"], 15)
    for _i in range(3):
        ResidentFactory(household=ledger["household_a"])
        VolunteerServiceFactory(volunteer=VolunteerFactory(community=ledger["a"]))
    large = {url: query_count(client, url) for url in urls}
    assert large == small


# --- forms --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_household_then_resident_prg_and_double_submit_saves_once(client, ledger):
    client.force_login(ledger["user_a"])
    url = reverse("ledgers:household_add", args=[ledger["a"].pk])
    token = _token(client.get(url))
    data = {"token": token, "unit": ledger["unit_a"].pk, "room": "502", "phone": ""}
    first = client.post(url, data)
    household = Household.objects.get(room="502")
    assert first.status_code == 302 and first["Location"] == reverse(
        "ledgers:household", args=[household.pk]
    )
    second = client.post(url, data)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Household.objects.filter(room="502").count() == 1
    assert household.address == "3栋 2单元 502" and household.community == ledger["a"]

    add = reverse("ledgers:resident_add", args=[household.pk])
    token = _token(client.get(add))
    number = valid_id_number(__import__("datetime").date(1961, 7, 1), 21)
    data = {
        "token": token,
        "name": "王大明",
        "id_number": number,
        "relation": "head",
        "registration_type": "huji",
        "phone": "13700001234",
    }
    response = client.post(add, data)
    resident = Resident.objects.get(name="王大明")
    assert response["Location"] == reverse("ledgers:resident", args=[resident.pk])
    client.post(add, data)
    assert Resident.objects.filter(name="王大明").count() == 1
    assert resident.birth_date.year == 1961 and resident.gender == "male"


@pytest.mark.django_db
def test_resident_form_errors_are_chinese_and_by_the_field(client, ledger):
    client.force_login(ledger["user_a"])
    add = reverse("ledgers:resident_add", args=[ledger["household_a"].pk])
    data = {
        "token": _token(client.get(add)),
        "name": "赵错号",
        "id_number": ledger["resident_a"].id_number[:-1] + "0"
        if ledger["resident_a"].id_number[-1] != "0"
        else ledger["resident_a"].id_number[:-1] + "1",
        "relation": "child",
        "registration_type": "huji",
    }
    body = client.post(add, data).content.decode()
    assert "身份证号校验码不正确" in body
    # the same token may be sent again once corrected
    data["id_number"] = ledger["resident_a"].id_number
    body = client.post(add, data).content.decode()
    assert "该身份证号已在本社区登记" in body
    data["id_number"] = ""
    assert client.post(add, data).status_code == 302
    assert Resident.objects.filter(name="赵错号", id_valid=False).exists()


@pytest.mark.django_db
def test_edit_form_never_shows_the_full_id_and_keeps_it_when_blank(client, ledger):
    resident = ledger["resident_a"]
    client.force_login(ledger["user_a"])
    url = reverse("ledgers:resident_edit", args=[resident.pk])
    page = client.get(url)
    body = page.content.decode()
    assert resident.id_number not in body and resident.phone not in body
    assert "2201**********" in body
    data = {
        "token": _token(page),
        "name": "张建华",
        "new_id_number": "",
        "new_phone": "",
        "relation": "head",
        "registration_type": "separated",
    }
    assert client.post(url, data).status_code == 302
    resident.refresh_from_db()
    assert resident.registration_type == "separated"
    assert resident.phone == "13812345678" and resident.id_valid


@pytest.mark.django_db
def test_grid_worker_may_add_but_member_may_not(client, ledger):
    member = user_with_role(Role.MEMBER, community=ledger["a"])
    client.force_login(member)
    assert client.get(reverse("ledgers:residents", args=[ledger["a"].pk])).status_code == 200
    add = reverse("ledgers:household_add", args=[ledger["a"].pk])
    assert client.get(add).status_code == 403
    grid = user_with_role(Role.GRID_WORKER, community=ledger["a"])
    client.force_login(grid)
    assert client.get(add).status_code == 200


@pytest.mark.django_db
def test_volunteers_show_total_hours(client, ledger):
    VolunteerServiceFactory(volunteer=ledger["volunteer_a"], hours="4")
    client.force_login(ledger["user_a"])
    body = client.get(reverse("ledgers:volunteers", args=[ledger["a"].pk])).content.decode()
    assert "6.5" in body


# --- admin forms through the services -------------------------------------------------------


def _inline(prefix, rows=()):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def _resident_post(household, **overrides):
    data = {
        "household": household.pk,
        "name": "孙红梅",
        "id_number": valid_id_number(__import__("datetime").date(1940, 6, 1), 41),
        "gender": "",
        "birth_date": "",
        "relation": "spouse",
        "phone": "13612345678",
        "registration_type": "huji",
        "moved_in_on": "",
        "moved_out_on": "",
        "reviewed_on": "",
        "note": "",
        **_inline("special_groups"),
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_admin_add_household_and_resident_with_a_group_through_the_services(client, ledger):
    from communities.models import SpecialGroupMember
    from tests.factories import special_group_type

    client.force_login(ledger["user_a"])
    response = client.post(
        reverse("admin:communities_household_add"),
        {
            "unit": ledger["unit_a"].pk,
            "room": "1201",
            "phone": "",
            "note": "",
            **_inline("residents"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    household = Household.objects.get(room="1201")
    assert household.address == "3栋 2单元 1201" and household.community == ledger["a"]
    group = special_group_type("elderly_80")
    data = _resident_post(
        household,
        **_inline("special_groups", [{"group_type": group.pk, "starts_on": "2025-01-01"}]),
    )
    response = client.post(reverse("admin:communities_resident_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    resident = Resident.objects.get(name="孙红梅")
    assert resident.community == ledger["a"] and resident.gender == "male"
    member = SpecialGroupMember.objects.get(resident=resident)
    assert member.community == ledger["a"]


@pytest.mark.django_db
def test_admin_resident_errors_by_the_field_and_masked_correction(client, ledger):
    client.force_login(ledger["user_a"])
    bad = _resident_post(ledger["household_a"], id_number="220104194006010401")
    body = client.post(reverse("admin:communities_resident_add"), bad).content.decode()
    assert "身份证号校验码不正确" in body and not Resident.objects.filter(name="孙红梅").exists()
    resident = ledger["resident_a"]
    url = reverse("admin:communities_resident_change", args=[resident.pk])
    data = {
        "household": resident.household_id,
        "name": "张建华",
        "new_id_number": "",
        "new_phone": "",
        "gender": resident.gender,
        "birth_date": resident.birth_date.isoformat(),
        "relation": "head",
        "registration_type": "floating",
        "moved_in_on": "",
        "moved_out_on": "",
        "reviewed_on": "",
        "note": "",
        **_inline("special_groups"),
    }
    assert client.post(url, data).status_code == 302
    resident.refresh_from_db()
    assert resident.registration_type == "floating" and resident.id_valid
    data["new_id_number"] = "12345"
    body = client.post(url, data).content.decode()
    assert "18 位" in body and resident.id_number not in body


@pytest.mark.django_db
def test_admin_mark_reviewed_action(client, ledger):
    client.force_login(ledger["user_a"])
    response = client.post(
        reverse("admin:communities_resident_changelist"),
        {"action": "mark_reviewed", "_selected_action": [ledger["resident_a"].pk]},
    )
    assert response.status_code == 302
    ledger["resident_a"].refresh_from_db()
    assert ledger["resident_a"].reviewed_on is not None


@pytest.mark.django_db
def test_admin_delete_of_a_household_with_residents_is_refused(client, ledger):
    """Residents are history (moving out keeps them): the admin refuses, no server error."""
    client.force_login(ledger["user_a"])
    household = ledger["household_a"]
    url = reverse("admin:communities_household_delete", args=[household.pk])
    response = client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200 and "无法删除" in response.content.decode()
    assert Household.objects.filter(pk=household.pk).exists()
    empty = HouseholdFactory(unit=ledger["unit_a"], room="909")
    response = client.post(
        reverse("admin:communities_household_changelist"),
        {"action": "delete_selected", "post": "yes", "_selected_action": [empty.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not Household.objects.filter(pk=empty.pk).exists()
