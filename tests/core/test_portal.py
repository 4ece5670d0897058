"""Worker portal: scoped pages, 404 for other communities, fixed query counts."""

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
    user_with_role,
)
from tests.helpers import query_count


@pytest.fixture
def ab(db):
    a, b = CommunityFactory(name="甲社区"), CommunityFactory(name="乙社区")
    compliance_run()
    return {"a": a, "b": b, "user_a": user_with_role(Role.MEMBER, community=a)}


@pytest.mark.django_db
def test_home_lists_only_own_community(client, ab):
    client.force_login(ab["user_a"])
    body = client.get(reverse("portal:home")).content.decode()
    assert "甲社区" in body and "乙社区" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["portal:community", "portal:findings"])
def test_other_community_pages_are_404(client, ab, name):
    client.force_login(ab["user_a"])
    assert client.get(reverse(name, args=[ab["a"].pk])).status_code == 200
    assert client.get(reverse(name, args=[ab["b"].pk])).status_code == 404
    assert client.get(reverse(name, args=[999999])).status_code == 404


@pytest.mark.django_db
def test_portal_pages_are_mobile_ready(client, ab):
    client.force_login(ab["user_a"])
    body = client.get(reverse("portal:home")).content.decode()
    assert 'name="viewport"' in body and "width=device-width" in body


@pytest.mark.django_db
def test_logout_needs_post(client, ab):
    client.force_login(ab["user_a"])
    assert client.get(reverse("portal:logout")).status_code == 405
    client.post(reverse("portal:logout"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_community_page_query_count_is_fixed(client, ab):
    community = ab["a"]
    client.force_login(ab["user_a"])
    url = reverse("portal:community", args=[community.pk])

    def grow(n):
        for _ in range(n):
            MembershipFactory(organisation=OrganisationFactory(community=community))
            FacilityFactory(community=community)
            BuildingFactory(community=community)
        compliance_run(community_ids=[community.pk])

    grow(1)
    client.get(url)
    small = query_count(client, url)
    grow(8)
    assert query_count(client, url) == small
