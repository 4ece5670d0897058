"""Admin lists run a fixed number of queries whatever the row count (two sizes each)."""

import pytest
from django.urls import reverse

from core.models import Role
from core.services import compliance_run
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


def _grow(street, n):
    for _ in range(n):
        community = CommunityFactory(street=street)
        org = OrganisationFactory(community=community)
        MembershipFactory.create_batch(2, organisation=org)
        FacilityFactory(community=community)
        UnitFactory(building=BuildingFactory(community=community), community=community)
    compliance_run()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name",
    [
        "admin:communities_community_changelist",
        "admin:communities_organisation_changelist",
        "admin:communities_membership_changelist",
        "admin:communities_facility_changelist",
        "admin:communities_unit_changelist",
        "admin:communities_building_changelist",
        "admin:core_compliancefinding_changelist",
        "admin:core_compliancefinding_matrix",
    ],
)
def test_admin_list_query_count_is_fixed(client, url_name):
    street = StreetFactory()
    user = user_with_role(Role.STREET_ADMIN, street=street)
    client.force_login(user)
    url = reverse(url_name)
    _grow(street, 2)
    client.get(url)  # warm process-wide caches (content types) before counting
    small = query_count(client, url)
    _grow(street, 12)
    large = query_count(client, url)
    assert large == small, f"{url}: {small} queries at 2 communities, {large} at 14"
