"""Ledger services and selectors (issue #4, ORG-13): derived facts, ID checks, duplicates,
moving out, special groups, volunteers, search and address order."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from communities import ledger_services as ls
from communities.ledger_selectors import household_list, resident_list, volunteer_list
from communities.models import (
    Household,
    RegistrationType,
    Resident,
    SpecialGroupMember,
    VolunteerService,
)
from core.models import Role
from tests.factories import (
    BuildingFactory,
    CompoundFactory,
    HouseholdFactory,
    ResidentFactory,
    UnitFactory,
    VolunteerFactory,
    special_group_type,
    user_with_role,
    valid_id_number,
)

D = dt.date
TODAY = D(2026, 11, 23)
ID_1980 = valid_id_number(D(1980, 5, 17), 11)  # male (11 is odd)
ID_1944 = valid_id_number(D(1944, 2, 29), 22)  # female, 82 years old on TODAY


@pytest.fixture
def grid(ab):
    compound = CompoundFactory(community=ab["a"], name="锦湖苑")
    building = BuildingFactory(community=ab["a"], name="3栋", compound=compound)
    unit = UnitFactory(building=building, name="2单元", households=12)
    return {**ab, "unit": unit, "unit_b": UnitFactory(community=ab["b"])}


def _household(user, unit, room="301", **kw):
    return ls.household_save(user=user, household=Household(unit=unit, room=room, **kw))


def _resident(user, household, **kw):
    values = {"name": "张建华", "id_number": ID_1980, "phone": "138 1234 5678"}
    values.update(kw)
    return ls.resident_save(
        user=user, resident=Resident(household=household, **values), today=TODAY
    )


# --- households ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_household_address_and_community_come_from_the_unit(grid):
    household = Household(unit=grid["unit"], room=" 301 ", community=grid["b"])
    ls.household_save(user=grid["user_a"], household=household)
    household.refresh_from_db()
    assert household.community == grid["a"]  # never from the payload
    assert household.address == "锦湖苑 3栋 2单元 301"
    assert household.room == "301"


@pytest.mark.django_db
def test_household_at_another_communitys_unit_is_404_and_nothing_saved(grid):
    with pytest.raises(Http404):
        _household(grid["user_a"], grid["unit_b"])
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_same_address_twice_refused_in_chinese(grid):
    _household(grid["user_a"], grid["unit"])
    with pytest.raises(ValidationError) as exc:
        _household(grid["user_a"], grid["unit"])
    assert "该地址已登记在住住户" in str(exc.value)


@pytest.mark.django_db
def test_address_change_is_copied_to_residents(grid):
    household = _household(grid["user_a"], grid["unit"], room="301")
    resident = _resident(grid["user_a"], household)
    household.room = "1201"
    ls.household_save(user=grid["user_a"], household=household)
    resident.refresh_from_db()
    assert resident.address_order == household.address_order
    assert household.address.endswith("1201")


@pytest.mark.django_db
def test_household_moving_out_moves_its_residents_out_and_keeps_rows(grid):
    household = _household(grid["user_a"], grid["unit"])
    resident = _resident(grid["user_a"], household)
    household.moved_out_on = D(2026, 6, 1)
    ls.household_save(user=grid["user_a"], household=household)
    resident.refresh_from_db()
    assert resident.moved_out_on == D(2026, 6, 1)
    # a new household may register at the same address
    _household(grid["user_a"], grid["unit"])
    assert Household.objects.filter(unit=grid["unit"], room="301").count() == 2


@pytest.mark.django_db
def test_household_with_residents_cannot_be_deleted(grid):
    household = _household(grid["user_a"], grid["unit"])
    _resident(grid["user_a"], household)
    with pytest.raises(ValidationError) as exc:
        ls.household_delete(user=grid["user_a"], household=household)
    assert "不能删除" in str(exc.value)


# --- residents: facts derived from the ID number ------------------------------------------


@pytest.mark.django_db
def test_resident_facts_derived_from_id_name_and_phone(grid):
    household = _household(grid["user_a"], grid["unit"])
    resident = _resident(grid["user_a"], household, community=grid["b"])
    resident.refresh_from_db()
    assert resident.community == grid["a"]  # from the household
    assert resident.birth_date == D(1980, 5, 17) and resident.gender == "male"
    assert resident.id_valid and resident.id_tail == ID_1980[-4:]
    assert resident.name_initials == "zjh"
    assert resident.phone == "13812345678" and resident.phone_tail == "5678"
    assert resident.address_order == household.address_order


@pytest.mark.django_db
@pytest.mark.parametrize(
    "number, reason",
    [
        ("22010419800517011", "18 位"),
        (ID_1980[:-1] + ("0" if ID_1980[-1] != "0" else "1"), "校验码不正确"),
        (valid_id_number(D(1980, 1, 1), 1, region="999999"), "地区代码不存在"),
    ],
)
def test_invalid_id_is_refused_with_the_reason(grid, number, reason):
    household = _household(grid["user_a"], grid["unit"])
    with pytest.raises(ValidationError) as exc:
        _resident(grid["user_a"], household, id_number=number)
    assert reason in " ".join(exc.value.message_dict["id_number"])
    assert not Resident.objects.exists()


@pytest.mark.django_db
def test_empty_id_is_allowed_and_not_valid(grid):
    household = _household(grid["user_a"], grid["unit"])
    resident = _resident(grid["user_a"], household, id_number="", birth_date=D(1990, 1, 2))
    assert not resident.id_valid and resident.id_tail == ""
    assert resident.birth_date == D(1990, 1, 2)


@pytest.mark.django_db
def test_typed_birth_date_or_gender_contradicting_the_id_is_refused(grid):
    household = _household(grid["user_a"], grid["unit"])
    with pytest.raises(ValidationError) as exc:
        _resident(grid["user_a"], household, birth_date=D(1980, 5, 18), gender="female")
    errors = exc.value.message_dict
    assert "1980-05-17" in errors["birth_date"][0] and "不一致" in errors["birth_date"][0]
    assert "性别与身份证号不一致" in errors["gender"][0]
    # the same values agreeing with the ID are fine
    resident = _resident(grid["user_a"], household, birth_date=D(1980, 5, 17), gender="male")
    assert resident.pk


@pytest.mark.django_db
def test_row_derive_is_pure_and_normalises(django_assert_num_queries):
    with django_assert_num_queries(0):
        cleaned, errors = ls.resident_row_derive(
            {"name": " 李秀英 ", "id_number": ID_1944.lower(), "gender": "女", "phone": "１３９"},
            TODAY,
        )
    assert cleaned["name"] == "李秀英" and cleaned["name_initials"] == "lxy"
    assert cleaned["id_number"] == ID_1944.upper() and cleaned["gender"] == "female"
    assert cleaned["birth_date"] == D(1944, 2, 29)
    assert errors == [("phone", "联系电话格式不正确（应为手机号或带区号的固定电话）")]


# --- duplicates ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_same_id_twice_in_one_community_is_refused(grid):
    household = _household(grid["user_a"], grid["unit"])
    _resident(grid["user_a"], household)
    other = _household(grid["user_a"], grid["unit"], room="302")
    with pytest.raises(ValidationError) as exc:
        _resident(grid["user_a"], other, name="张建")
    message = exc.value.message_dict["id_number"][0]
    assert "该身份证号已在本社区登记" in message and "张建华" in message


@pytest.mark.django_db
def test_unique_constraint_is_the_backstop(grid):
    first = ResidentFactory(household=HouseholdFactory(unit=grid["unit"]), id_number=ID_1980)
    copy = Resident(
        household=first.household, community=first.community, name="x", id_number=ID_1980
    )
    with pytest.raises(ValidationError) as exc:
        copy.validate_constraints()
    assert "该身份证号已在本社区登记" in str(exc.value)


@pytest.mark.django_db
def test_same_id_in_another_community_is_allowed_and_flagged(grid):
    user_b = user_with_role(Role.COMMITTEE_DIRECTOR, community=grid["b"])
    mine = _resident(grid["user_a"], _household(grid["user_a"], grid["unit"]))
    theirs = _resident(user_b, _household(user_b, grid["unit_b"]))
    assert resident_list(user=grid["user_a"]).get(pk=mine.pk).duplicate_elsewhere
    assert resident_list(user=user_b).get(pk=theirs.pk).duplicate_elsewhere
    # 人户分离 on either side: registered elsewhere, but legitimately, not a duplicate
    theirs.registration_type = RegistrationType.SEPARATED
    ls.resident_save(user=user_b, resident=theirs, today=TODAY)
    row = resident_list(user=grid["user_a"]).get(pk=mine.pk)
    assert row.registered_elsewhere and not row.duplicate_elsewhere
    row = resident_list(user=user_b).get(pk=theirs.pk)
    assert row.registered_elsewhere and not row.duplicate_elsewhere


@pytest.mark.django_db
def test_moving_out_keeps_history_and_frees_the_id(grid):
    household = _household(grid["user_a"], grid["unit"])
    resident = _resident(grid["user_a"], household)
    ls.resident_move_out(user=grid["user_a"], resident=resident, day=D(2026, 1, 31))
    assert Resident.objects.filter(pk=resident.pk, moved_out_on=D(2026, 1, 31)).exists()
    again = _resident(grid["user_a"], _household(grid["user_a"], grid["unit"], room="502"))
    assert again.pk != resident.pk
    assert resident_list(user=grid["user_a"]).count() == 1
    assert resident_list(user=grid["user_a"], include_moved_out=True).count() == 2


@pytest.mark.django_db
def test_resident_in_another_communitys_household_is_404(grid):
    theirs = HouseholdFactory(unit=grid["unit_b"])
    with pytest.raises(Http404):
        _resident(grid["user_a"], theirs)
    assert not Resident.objects.exists()


@pytest.mark.django_db
def test_grid_worker_may_not_delete_a_resident(grid):
    grid_worker = user_with_role(Role.GRID_WORKER, community=grid["a"])
    resident = _resident(grid_worker, _household(grid_worker, grid["unit"]))
    with pytest.raises(PermissionDenied):
        ls.resident_delete(user=grid_worker, resident=resident)


# --- special groups -----------------------------------------------------------------------


@pytest.mark.django_db
def test_special_group_rules(grid):
    household = _household(grid["user_a"], grid["unit"])
    young = _resident(grid["user_a"], household)
    old = _resident(grid["user_a"], household, name="李秀英", id_number=ID_1944, phone="")
    elderly = special_group_type("elderly_80")

    def member(resident, group, **kw):
        return ls.special_group_save(
            user=grid["user_a"],
            member=SpecialGroupMember(resident=resident, group_type=group, starts_on=TODAY, **kw),
            today=TODAY,
        )

    with pytest.raises(ValidationError) as exc:
        member(young, elderly)
    assert "须年满 80 周岁" in str(exc.value)
    assert member(old, elderly).community == grid["a"]
    with pytest.raises(ValidationError) as exc:
        member(old, elderly)
    assert "该居民已在" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        member(young, special_group_type("dibao"))
    assert "须登记月保障金额" in str(exc.value)
    member(young, special_group_type("dibao"), monthly_amount=Decimal("650"), household_size=2)
    assert resident_list(user=grid["user_a"], group="dibao").get().pk == young.pk


# --- volunteers ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_volunteer_service_takes_the_volunteers_community_and_hours_add_up(grid):
    volunteer = VolunteerFactory(community=grid["a"])
    for hours in ("2.5", "3"):
        ls.volunteer_service_save(
            user=grid["user_a"],
            service=VolunteerService(
                volunteer=volunteer,
                community=grid["b"],
                date=TODAY,
                activity="助老",
                hours=Decimal(hours),
            ),
        )
    assert set(VolunteerService.objects.values_list("community_id", flat=True)) == {grid["a"].pk}
    row = volunteer_list(user=grid["user_a"]).get()
    assert row.total_hours == Decimal("5.5") and row.n_services == 2
    theirs = VolunteerFactory(community=grid["b"])
    with pytest.raises(Http404):
        ls.volunteer_service_save(
            user=grid["user_a"],
            service=VolunteerService(volunteer=theirs, date=TODAY, activity="x", hours=1),
        )


# --- search and order ---------------------------------------------------------------------


@pytest.fixture
def street_of_residents(ab):
    a = ab["a"]
    b2 = BuildingFactory(community=a, name="2栋", sort_order=0)
    b10 = BuildingFactory(community=a, name="10栋", sort_order=0)
    h10 = HouseholdFactory(unit=UnitFactory(building=b10, name="1单元"), room="101")
    h2 = HouseholdFactory(unit=UnitFactory(building=b2, name="1单元"), room="301")
    people = {
        "zhang": ResidentFactory(household=h10, name="张建华", phone="13800001111"),
        "li": ResidentFactory(
            household=h2, name="李秀英", id_number=valid_id_number(D(1950, 3, 3), 128)
        ),
        "wang": ResidentFactory(household=h2, name="王芳", phone="13912345678"),
    }
    ResidentFactory(community=ab["b"], name="张建国")
    return {**ab, **people}


@pytest.mark.django_db
def test_residents_sorted_by_address_order_2_before_10(street_of_residents):
    names = [r.name for r in resident_list(user=street_of_residents["user_a"])]
    assert names.index("李秀英") < names.index("张建华")
    assert names.index("王芳") < names.index("张建华")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "q, expected",
    [
        ("建华", {"zhang"}),  # name
        ("zjh", {"zhang"}),  # pinyin initials
        ("ZJ", {"zhang"}),
        ("1111", {"zhang"}),  # phone tail
        ("13912345678", {"wang"}),  # full mobile
        ("2栋", {"li", "wang"}),  # address
        ("1单元 301", {"li", "wang"}),
    ],
)
def test_resident_search(street_of_residents, q, expected):
    found = {r.pk for r in resident_list(user=street_of_residents["user_a"], q=q)}
    assert found == {street_of_residents[k].pk for k in expected}


@pytest.mark.django_db
def test_search_by_id_tail_and_full_id(street_of_residents):
    li = street_of_residents["li"]
    user = street_of_residents["user_a"]
    assert [r.pk for r in resident_list(user=user, q=li.id_number[-4:].lower())] == [li.pk]
    assert [r.pk for r in resident_list(user=user, q=li.id_number)] == [li.pk]


@pytest.mark.django_db
def test_household_list_counts_current_residents(street_of_residents):
    rows = list(household_list(user=street_of_residents["user_a"]))
    assert [h.n_residents for h in rows] == [2, 1]  # 2栋 first


@pytest.mark.django_db
def test_correcting_the_id_derives_birth_and_gender_again(grid):
    resident = _resident(grid["user_a"], _household(grid["user_a"], grid["unit"]))
    resident.id_number = ID_1944
    ls.resident_save(user=grid["user_a"], resident=resident, today=TODAY)
    resident.refresh_from_db()
    assert (resident.birth_date, resident.gender) == (D(1944, 2, 29), "female")
