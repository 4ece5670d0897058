"""Coverage report and ORG-13 checks (issue #4: 清查不漏幢、摸底不漏户、造册不漏人):
households registered vs. expected per unit, empty units and buildings, residents without a
valid ID, duplicates elsewhere; per community and street-wide; fixed query count; the
compliance checks org13-coverage, org13-review and org13-duplicates."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.checks import ledger_coverage, ledger_duplicates, ledger_review
from communities.ledger_selectors import coverage_report
from communities.models import Community, Household, RegistrationType, Resident
from core.models import FindingStatus, Role
from tests.communities.test_ledger_privacy import xlsx_rows
from tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    UnitFactory,
    user_with_role,
)


@pytest.fixture
def grid(ab):
    a, b = ab["a"], ab["b"]
    full = UnitFactory(
        building=BuildingFactory(community=a, name="1栋"), name="1单元", households=2
    )
    short = UnitFactory(building=full.building, name="2单元", households=3)
    empty = UnitFactory(
        building=BuildingFactory(community=a, name="2栋"), name="1单元", households=4
    )
    BuildingFactory(community=a, name="3栋")  # no units at all
    h1, h2 = HouseholdFactory(unit=full), HouseholdFactory(unit=full)
    h3 = HouseholdFactory(unit=short)
    HouseholdFactory(unit=short, moved_out_on=dt.date(2025, 1, 1))  # moved out: not counted
    ResidentFactory(household=h1, name="甲一")
    no_id = ResidentFactory(household=h1, name="甲二", id_number="")
    twin = ResidentFactory(household=h2, name="甲三")
    separated = ResidentFactory(
        household=h3, name="甲四", registration_type=RegistrationType.SEPARATED
    )
    unit_b = UnitFactory(community=b, households=1)
    ResidentFactory(household=HouseholdFactory(unit=unit_b), id_number=twin.id_number)
    ResidentFactory(
        household=HouseholdFactory(unit=unit_b, room="9"), id_number=separated.id_number
    )
    return {**ab, "full": full, "short": short, "empty": empty, "no_id": no_id}


@pytest.mark.django_db
def test_coverage_per_unit_building_and_community(grid):
    report = coverage_report(user=grid["user_a"])
    assert [c.community for c in report.communities] == [grid["a"]]  # only in scope
    community = report.communities[0]
    rows = {(b.building.name, u.unit.name): u.counts for b in community.buildings for u in b.units}
    full, short, empty = rows[("1栋", "1单元")], rows[("1栋", "2单元")], rows[("2栋", "1单元")]
    assert (full.expected, full.registered, full.missing) == (2, 2, 0)
    assert (full.residents, full.without_id, full.duplicates) == (3, 1, 1)
    assert (short.expected, short.registered, short.missing, short.empty_households) == (3, 1, 2, 0)
    assert short.duplicates == 0  # 人户分离: registered elsewhere legitimately
    assert (empty.registered, empty.missing, empty.empty_units) == (0, 4, 1)
    buildings = {b.building.name: b for b in community.buildings}
    assert buildings["3栋"].units == [] and buildings["3栋"].is_empty
    assert buildings["2栋"].is_empty and not buildings["1栋"].is_empty
    totals = community.counts
    assert (totals.expected, totals.registered, totals.missing) == (9, 3, 6)
    assert (totals.empty_buildings, totals.empty_units, totals.short_units) == (2, 1, 2)
    assert (totals.residents, totals.without_id, totals.duplicates) == (4, 1, 1)
    assert report.counts.registered == totals.registered


@pytest.mark.django_db
def test_street_admin_sees_every_community_and_street_totals(grid):
    Community.objects.filter(pk=grid["b"].pk).update(street=grid["a"].street)
    street_admin = user_with_role(Role.STREET_ADMIN, street=grid["a"].street)
    report = coverage_report(user=street_admin)
    names = {c.community.name for c in report.communities}
    assert names >= {"甲社区", "乙社区"}
    b = next(c for c in report.communities if c.community == grid["b"])
    assert b.counts.duplicates == 1  # the other side of the duplicate
    assert report.counts.registered == sum(c.counts.registered for c in report.communities)
    assert report.counts.duplicates == 2


def _grow(community, n):
    for _ in range(n):
        unit = UnitFactory(building=BuildingFactory(community=community), households=5)
        ResidentFactory(household=HouseholdFactory(unit=unit))
        UnitFactory(building=unit.building)


@pytest.mark.django_db
def test_coverage_query_count_is_fixed(grid):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            coverage_report(user=grid["user_a"])
        return len(ctx.captured_queries)

    coverage_report(user=grid["user_a"])
    small = count()
    _grow(grid["a"], 12)
    assert count() == small <= 7


@pytest.mark.django_db
def test_coverage_pages_and_export(client, grid):
    client.force_login(grid["user_a"])
    body = client.get(reverse("ledgers:coverage", args=[grid["a"].pk])).content.decode()
    assert "已登记 3 / 应登记 9 户，差 6 户" in body and "楼栋未登记单元" in body
    admin = client.get(reverse("admin:communities_household_coverage")).content.decode()
    assert "甲社区" in admin and "乙社区" not in admin
    export = client.get(reverse("admin:communities_household_coverage_export"))
    rows = xlsx_rows(export)
    assert rows[-1][:6] == ["全街道", "合计", None, 9, 3, 6]
    assert client.get(reverse("ledgers:coverage", args=[grid["b"].pk])).status_code == 404


# --- checks -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_org13_coverage_check(grid):
    result = ledger_coverage(grid["a"], grid["a"].profile)
    assert result.status == FindingStatus.WARNING
    assert "2 个单元登记户数少于网格户数，共少 6 户" in result.message
    assert "1 名在册居民无有效身份证号" in result.message


@pytest.mark.django_db
def test_org13_coverage_ok_when_complete(ab):
    unit = UnitFactory(community=ab["a"], households=1)
    ResidentFactory(household=HouseholdFactory(unit=unit))
    assert ledger_coverage(ab["a"], ab["a"].profile).status == FindingStatus.OK


@pytest.mark.django_db
def test_org13_duplicates_check_ignores_separated(grid):
    result = ledger_duplicates(grid["a"], grid["a"].profile)
    assert result.status == FindingStatus.WARNING and "1 名" in result.message


@pytest.mark.django_db
def test_org13_review_boundary(ab):
    profile = ab["a"].profile
    days = profile.ledger_review_days
    today = timezone.localdate()
    resident = ResidentFactory(community=ab["a"])
    Household.objects.update(reviewed_on=today)
    Resident.objects.update(reviewed_on=today - dt.timedelta(days=days))
    assert ledger_review(ab["a"], profile).status == FindingStatus.OK
    Resident.objects.update(reviewed_on=today - dt.timedelta(days=days + 1))
    result = ledger_review(ab["a"], profile)
    assert result.status == FindingStatus.WARNING
    assert f"0 户住户、1 名居民超过 {days} 天未复核" in result.message
    # never reviewed: the creation date counts
    Resident.objects.update(reviewed_on=None)
    assert ledger_review(ab["a"], profile).status == FindingStatus.OK
    old = timezone.now() - dt.timedelta(days=days + 1)
    Resident.objects.filter(pk=resident.pk).update(created_at=old)
    assert ledger_review(ab["a"], profile).status == FindingStatus.WARNING
