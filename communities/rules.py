"""Pure predicates and calculations of the ORG rules (no DB writes, no queries)."""

import math
from decimal import Decimal

from communities.models import AreaType, FacilityCategory, RoomType
from core.models import FacilityChecklist


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def expected_committee_size(households: int, profile) -> int:
    """ORG-3 (001 第十条): about one member per N households within [min, max]:
    clamp(ceil(H / N), min, max)."""
    return clamp(
        math.ceil(households / profile.committee_households_per_member),
        profile.committee_min,
        profile.committee_max,
    )


def committee_size_ok(size: int, profile) -> bool:
    """ORG-3: the committee has min..max members (以上/以下 include the bounds)."""
    return profile.committee_min <= size <= profile.committee_max


def party_committee_size_ok(size: int, profile) -> bool:
    """ORG-2 (001 第八条): 5–9 members."""
    return profile.party_committee_min <= size <= profile.party_committee_max


def must_form_committee(occupancy_pct: int | None, profile) -> bool:
    """ORG-3 (001 第十一条; 004 二(一)2): a new area forms its committee once occupancy
    reaches (达到, inclusive) the profile's percentage."""
    return occupancy_pct is not None and occupancy_pct >= profile.new_area_occupancy_pct


def households_within_standard(households: int, profile) -> bool:
    """ORG-6 (001 第三条): a community is about N households; 'about' is the profile's
    tolerance, inclusive at both ends."""
    standard = profile.community_households_standard
    delta = Decimal(standard) * Decimal(profile.community_households_tolerance_pct) / 100
    return Decimal(standard) - delta <= households <= Decimal(standard) + delta


def office_area_minimum(area_type: str, profile) -> Decimal:
    """ORG-12 (001 第二十七条): ≥300 m² in new areas, ≥150 m² in old communities."""
    return profile.office_area_min_new if area_type == AreaType.NEW else profile.office_area_min_old


def property_room_minimum(floor_area: Decimal | None, profile) -> Decimal:
    """ORG-12 (001 第三十条): ≥ 3‰ of floor area and ≥ 100 m²."""
    permille = (floor_area or Decimal(0)) * Decimal(profile.property_room_permille) / 1000
    return max(profile.property_room_min_area, permille.quantize(Decimal("0.01")))


# The 002 四(六) checklist: 五室、三站、两栏、一校、一场所 — each item a room type.
CHECKLIST_5322 = (
    RoomType.OFFICE,
    RoomType.POLICE,
    RoomType.ACTIVITY,
    RoomType.LIBRARY,
    RoomType.CONVENIENCE,
    RoomType.FAMILY_PLANNING_STATION,
    RoomType.HEALTH_STATION,
    RoomType.REHAB_STATION,
    RoomType.AFFAIRS_BOARD,
    RoomType.SCIENCE_BOARD,
    RoomType.SCHOOL,
    RoomType.FITNESS,
)
# The 004 二(二)2 target: 18室1厅1站6栏 — counts by category (the seed names no rooms).
CHECKLIST_18161 = {
    FacilityCategory.ROOM: 18,
    FacilityCategory.HALL: 1,
    FacilityCategory.STATION: 1,
    FacilityCategory.BOARD: 6,
}


def checklist_gaps(room_types: list[str], categories: list[str], checklist: str) -> list[str]:
    """What the profile's facility checklist still misses, as display labels."""
    if checklist == FacilityChecklist.FIVE_THREE_TWO:
        have = set(room_types)
        return [str(RoomType(t).label) for t in CHECKLIST_5322 if t not in have]
    gaps = []
    for category, needed in CHECKLIST_18161.items():
        count = sum(1 for c in categories if c == category)
        if count < needed:
            gaps.append(f"{FacilityCategory(category).label} {count}/{needed}")
    return gaps
