"""Public pages (/public/): no login, only active communities and published items, 404 for
anything else whatever the URL, a cache invalidated on publication, fixed query counts, the
QR poster."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from affairs_disclosure import public_cache, services
from affairs_disclosure.models import Category
from communities.models import OrgKind
from tests.factories import (
    CommunityFactory,
    DisclosureItemFactory,
    MembershipFactory,
    OrganisationFactory,
)
from tests.helpers import query_count

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


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
def test_index_query_count_is_fixed(client):
    def grow(n):
        for _ in range(n):
            c = CommunityFactory()
            MembershipFactory(organisation=OrganisationFactory(community=c, kind=OrgKind.COMMITTEE))

    grow(1)
    index = reverse("public:index")
    small = query_count(client, index)
    grow(10)
    assert query_count(client, index) == small


def _years_of_items(community, years, start=2020):
    """Published items of every category for `years` years of quarters (monthly releases
    for each month), with a correction now and then."""
    for year in range(start, start + years):
        for quarter in (1, 2, 3, 4):
            for category in Category.values:
                if category == Category.MONTHLY:
                    for month in range(3 * quarter - 2, 3 * quarter + 1):
                        DisclosureItemFactory(
                            community=community,
                            category=category,
                            year=year,
                            quarter=quarter,
                            month=month,
                            published=True,
                        )
                    continue
                item = DisclosureItemFactory(
                    community=community,
                    category=category,
                    year=year,
                    quarter=quarter,
                    published=True,
                )
                if category == Category.FINANCE and quarter == 2:
                    DisclosureItemFactory(
                        community=community,
                        category=category,
                        year=year,
                        quarter=quarter,
                        version=2,
                        supersedes=item,
                        published=True,
                    )


def _page_queries(client, url):
    """(queries on a cache miss, queries on a hit)."""
    cache.clear()
    public_cache.local_clear()
    miss = query_count(client, url)
    hit = query_count(client, url)
    return miss, hit


@pytest.mark.django_db
def test_community_page_query_count_is_fixed_at_two_sizes(client):
    community = CommunityFactory()
    MembershipFactory(organisation=OrganisationFactory(community=community, kind=OrgKind.COMMITTEE))
    _years_of_items(community, 1)
    url = reverse("public:community", args=[community.pk])
    small = _page_queries(client, url)
    _years_of_items(community, 4, start=2021)
    for _ in range(5):
        MembershipFactory(organisation=community.organisations.get(kind=OrgKind.COMMITTEE))
    large = _page_queries(client, url)
    assert large == small
    assert large[1] == 0  # a cached page reads no table
    assert large[0] <= 6


@pytest.mark.django_db
def test_item_page_query_count_is_fixed(disc, client):
    item = disc.published()
    url = reverse("public:item", args=[disc.community.pk, item.pk])
    small = query_count(client, url)
    import uuid

    from affairs_disclosure.models import QuestionKind

    for n in range(6):
        question, _created = services.question_submit(
            item=item,
            kind=QuestionKind.QUESTION,
            body=f"问题内容第{n}条",
            contact="",
            token=uuid.uuid4(),
        )
        services.question_reply(user=disc.director, question=question, reply=f"答复{n}")
    correction = services.item_correct(user=disc.director, item=item, reason="更正")
    disc.published(correction)
    assert query_count(client, url) == small


@pytest.mark.django_db
def test_a_newly_published_item_appears_at_once(disc, client):
    url = reverse("public:community", args=[disc.community.pk])
    first = disc.published(title="第一条公开")
    assert "第一条公开" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as hit:
        client.get(url)
    assert len(hit.captured_queries) == 0  # served from the cache
    item = disc.draft(title="刚刚公布的事项")
    assert "刚刚公布的事项" not in client.get(url).content.decode()
    disc.published(item)
    assert "刚刚公布的事项" in client.get(url).content.decode()
    services.item_archive(user=disc.director, item=first)
    page = client.get(url).content.decode()
    current = page.split('id="current"', 1)[1].split("</section>", 1)[0]
    assert "第一条公开" not in current
    history = reverse("public:history", args=[disc.community.pk, first.year])
    year_page = client.get(history).content.decode()
    assert "第一条公开" in year_page and "已归档" in year_page


@pytest.mark.django_db
def test_only_published_items_appear_and_every_other_id_is_404(disc, client):
    draft = disc.draft(title="草稿事项")
    approved = disc.approved(disc.draft(title="已核准未公布"))
    published = disc.published(title="已公布事项")
    sibling = DisclosureItemFactory(community=disc.other, published=True, title="明月公开")
    foreign = DisclosureItemFactory(community=disc.foreign, published=True, title="外街公开")
    c = disc.community.pk
    for pk in (draft.pk, approved.pk, sibling.pk, foreign.pk, 999999):
        assert client.get(reverse("public:item", args=[c, pk])).status_code == 404
    assert client.get(reverse("public:item", args=[c, published.pk])).status_code == 200
    # Right item, wrong community or street in the URL: 404 too.
    for other in (disc.other.pk, disc.foreign.pk):
        assert client.get(reverse("public:item", args=[other, published.pk])).status_code == 404
    assert client.get(reverse("public:item", args=[disc.foreign.pk, foreign.pk])).status_code == 200
    page = client.get(reverse("public:community", args=[c])).content.decode()
    assert "已公布事项" in page
    assert not any(t in page for t in ("草稿事项", "已核准未公布", "明月公开", "外街公开"))
    # An abolished community's items are gone too.
    disc.community.is_active = False
    disc.community.save(update_fields=["is_active"])
    assert client.get(reverse("public:item", args=[c, published.pk])).status_code == 404
    assert client.get(reverse("public:community", args=[c])).status_code == 404


@pytest.mark.django_db
def test_attachments_are_public_only_with_their_published_item(disc, client):
    item = disc.draft()
    attachment = services.attachment_add(
        user=disc.director, item=item, upload=SimpleUploadedFile("照片.png", PNG)
    )
    url = reverse("public:attachment", args=[disc.community.pk, attachment.pk])
    assert client.get(url).status_code == 404
    disc.published(item)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG
    wrong = reverse("public:attachment", args=[disc.other.pk, attachment.pk])
    assert client.get(wrong).status_code == 404


@pytest.mark.django_db
def test_qr_poster_is_an_a4_page_with_the_name_and_the_public_url(disc, client):
    response = client.get(reverse("public:poster", args=[disc.community.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    public_url = "http://testserver" + reverse("public:community", args=[disc.community.pk])
    assert "阳光社区" in body and public_url in body
    assert "<svg" in body and "@page { size: A4" in body and "@media print" in body
    assert client.get(reverse("public:poster", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_qr_poster_uses_the_configured_public_address(disc, client, settings):
    settings.PUBLIC_BASE_URL = "https://gov.example.cn/"
    body = client.get(reverse("public:poster", args=[disc.community.pk])).content.decode()
    assert f"https://gov.example.cn/public/c/{disc.community.pk}/" in body


@pytest.mark.django_db
def test_committee_changes_and_abolition_reach_the_cached_page(disc, client):
    url = reverse("public:community", args=[disc.community.pk])
    committee = OrganisationFactory(community=disc.community, kind=OrgKind.COMMITTEE)
    assert "新任委员" not in client.get(url).content.decode()
    member = MembershipFactory(organisation=committee, person_name="新任委员", position="member")
    assert "新任委员" in client.get(url).content.decode()
    member.delete()
    assert "新任委员" not in client.get(url).content.decode()
    disc.community.office_hours = "周六 9:00-12:00"
    disc.community.save()
    assert "周六 9:00-12:00" in client.get(url).content.decode()
    disc.community.is_active = False
    disc.community.save()
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_each_visitor_gets_their_own_csrf_token_on_a_cached_page(disc, client):
    from django.test import Client

    url = reverse("public:community", args=[disc.community.pk])
    first = client.get(url)
    other = Client().get(url)
    assert public_cache.CSRF_PLACEHOLDER not in first.content.decode()
    assert "csrftoken" in first.cookies and "csrftoken" in other.cookies
    assert first.cookies["csrftoken"].value != other.cookies["csrftoken"].value
    # The language form of the cached page works for the second visitor.
    csrf_client = Client(enforce_csrf_checks=True)
    page = csrf_client.get(url)
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = csrf_client.post(
        reverse("set_language"), {"language": "en", "next": url, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_history_by_year_and_quarter(client):
    community = CommunityFactory()
    _years_of_items(community, 2, start=2023)
    hidden = DisclosureItemFactory(community=community, year=2023, quarter=2, title="未公布事项")
    page = client.get(reverse("public:community", args=[community.pk])).content.decode()
    history = reverse("public:history", args=[community.pk, 2023])
    assert history in page and reverse("public:history", args=[community.pk, 2024]) in page
    year_page = client.get(history).content.decode()
    assert "2023 年第 4 季度" in year_page and "2023 年第 1 季度" in year_page
    assert hidden.title not in year_page
    assert "已更正" in year_page  # the Q2 financial items were corrected
    assert client.get(reverse("public:history", args=[999999, 2023])).status_code == 404
    cache.clear()
    public_cache.local_clear()
    small = query_count(client, history)
    _years_of_items(community, 1, start=2023)  # twice as many items that year
    cache.clear()
    public_cache.local_clear()
    assert query_count(client, history) == small
