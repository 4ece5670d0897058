"""ORG rules at their boundaries (RULES.md: 以上/以下 include the number)."""

from decimal import Decimal

import pytest

from communities import rules
from communities.models import AreaType, FacilityCategory, RoomType
from core.models import FacilityChecklist, PolicyProfile


@pytest.fixture
def profile(db):
    return PolicyProfile.objects.get(code="default")


@pytest.mark.parametrize(
    "households, expected",
    [
        (0, 5),
        (1500, 5),  # 1500/300 = 5
        (1501, 6),  # ceil(5.003)
        (1800, 6),
        (2400, 8),
        (2700, 9),  # 2700/300 = 9
        (2701, 9),  # ceil(9.003) = 10, the cap of 9 binds
        (3000, 9),  # RULES.md: at 3,000 households the cap of 9 binds
        (6000, 9),
    ],
)
def test_org3_expected_committee_size(profile, households, expected):
    assert rules.expected_committee_size(households, profile) == expected


@pytest.mark.parametrize("size, ok", [(4, False), (5, True), (9, True), (10, False)])
def test_org3_committee_size_bounds(profile, size, ok):
    assert rules.committee_size_ok(size, profile) is ok


@pytest.mark.parametrize("size, ok", [(4, False), (5, True), (9, True), (10, False)])
def test_org2_party_committee_bounds(profile, size, ok):
    assert rules.party_committee_size_ok(size, profile) is ok


def test_org2_bounds_follow_the_profile(profile):
    profile.party_committee_min, profile.party_committee_max = 3, 7
    assert rules.party_committee_size_ok(3, profile)
    assert not rules.party_committee_size_ok(8, profile)


@pytest.mark.parametrize("occupancy, must", [(None, False), (49, False), (50, True), (51, True)])
def test_org3_new_area_forms_committee_at_50_percent(profile, occupancy, must):
    assert rules.must_form_committee(occupancy, profile) is must


@pytest.mark.parametrize(
    "households, within",
    [(1499, False), (1500, True), (3000, True), (4500, True), (4501, False)],
)
def test_org6_households_about_3000_with_tolerance(profile, households, within):
    assert rules.households_within_standard(households, profile) is within


@pytest.mark.parametrize(
    "area_type, minimum",
    [(AreaType.OLD, Decimal("150")), (AreaType.NEW, Decimal("300"))],
)
def test_org12_office_minimum_by_area_type(profile, area_type, minimum):
    assert rules.office_area_minimum(area_type, profile) == minimum


@pytest.mark.parametrize(
    "floor_area, minimum",
    [
        (None, Decimal("100")),
        (Decimal("33333"), Decimal("100")),  # 3‰ = 99.999 → 100 m² floor binds
        (Decimal("33334"), Decimal("100.00")),  # 100.002 rounds to 100.00
        (Decimal("50000"), Decimal("150.00")),  # 3‰ binds
    ],
)
def test_org12_property_room_minimum(profile, floor_area, minimum):
    assert rules.property_room_minimum(floor_area, profile) == minimum


def test_org12_checklist_5322_lists_missing_items(profile):
    have = [RoomType.OFFICE, RoomType.POLICE]
    gaps = rules.checklist_gaps(have, [], FacilityChecklist.FIVE_THREE_TWO)
    assert "警务室" not in gaps
    assert "图书阅览室" in gaps
    assert len(gaps) == 10


def test_org12_checklist_18161_counts_categories(profile):
    categories = [FacilityCategory.ROOM] * 17 + [FacilityCategory.HALL, FacilityCategory.STATION]
    categories += [FacilityCategory.BOARD] * 6
    gaps = rules.checklist_gaps([], categories, FacilityChecklist.EIGHTEEN_ONE)
    assert gaps == ["室 17/18"]
    gaps = rules.checklist_gaps([], categories + [FacilityCategory.ROOM], "18r1h1s6b")
    assert gaps == []
