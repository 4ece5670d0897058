"""Public pages: no login, only active communities, fixed query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import OrgKind
from tests.factories import CommunityFactory, MembershipFactory, OrganisationFactory


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
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("public:index"))
    with CaptureQueriesContext(connection) as small_page:
        client.get(reverse("public:community", args=[c.pk]))
    grow(10)
    for _ in range(5):
        MembershipFactory(organisation=c.organisations.get(kind=OrgKind.COMMITTEE))
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("public:index"))
    with CaptureQueriesContext(connection) as large_page:
        client.get(reverse("public:community", args=[c.pk]))
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(small_page.captured_queries) == len(large_page.captured_queries)
