"""Public pages: no login, only active communities, fixed query counts."""

import pytest
from django.urls import reverse

from communities.models import OrgKind
from tests.factories import CommunityFactory, MembershipFactory, OrganisationFactory
from tests.helpers import query_count


@pytest.mark.django_db
def test_index_lists_active_communities_without_login(client):
    CommunityFactory(name="开放社区")
    CommunityFactory(name="已撤销社区", is_active=False)
    response = client.get(reverse("public:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "开放社区" in body and "已撤销社区" not in body


@pytest.mark.django_db
def test_community_page_shows_committee_and_hides_inactive(client):
    community = CommunityFactory(name="开放社区", office_hours="周一至周五 8:30-17:00")
    committee = OrganisationFactory(community=community, kind=OrgKind.COMMITTEE)
    MembershipFactory(organisation=committee, person_name="王主任", position="director")
    body = client.get(reverse("public:community", args=[community.pk])).content.decode()
    assert "王主任" in body and "周一至周五" in body
    gone = CommunityFactory(is_active=False)
    assert client.get(reverse("public:community", args=[gone.pk])).status_code == 404
    assert client.get(reverse("public:community", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_public_query_counts_are_fixed(client):
    def grow(n):
        for _ in range(n):
            c = CommunityFactory()
            MembershipFactory(organisation=OrganisationFactory(community=c, kind=OrgKind.COMMITTEE))
        return c

    c = grow(1)
    client.get(reverse("public:index"))
    index, page = reverse("public:index"), reverse("public:community", args=[c.pk])
    small, small_page = query_count(client, index), query_count(client, page)
    grow(10)
    for _ in range(5):
        MembershipFactory(organisation=c.organisations.get(kind=OrgKind.COMMITTEE))
    assert query_count(client, index) == small
    assert query_count(client, page) == small_page
