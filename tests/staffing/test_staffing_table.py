"""The street-wide staffing table (STAFF-1): households, required range, actual, vacancies
by post; scoped, at a fixed query count, exported to Excel."""

import datetime as dt
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.models import Role
from staffing import rules
from staffing.models import Post
from staffing.reports import POST_GROUPS, staffing_table
from tests.factories import CommunityFactory, ResidentsGroupFactory, StreetFactory, user_with_role
from tests.helpers import query_count
from tests.staffing.factories import PostTermFactory, StaffingReasonFactory, WorkerFactory

GROUP_INDEX = {group: i for i, (group, _label) in enumerate(POST_GROUPS)}


def _staff(community, n, post=Post.SERVICE_STAFF, **kwargs):
    for _ in range(n):
        PostTermFactory(worker=WorkerFactory(community=community, **kwargs), post=post)


def _row(user, community):
    table = staffing_table(user=user)
    return next(row for row in table.rows if row.community.pk == community.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "households, low, high",
    [(1999, 5, 7), (2000, 5, 7), (2001, 6, 7), (2100, 6, 7), (2101, 6, 8)],
)
def test_staff1_required_range_in_the_table_at_boundaries(households, low, high):
    community = CommunityFactory(households=households)
    user = user_with_role(Role.STREET_ADMIN, street=community.street)
    row = _row(user, community)
    assert (row.required_low, row.required_high) == (low, high)


@pytest.mark.django_db
def test_actual_counts_current_full_time_workers_and_shortfall():
    community = CommunityFactory(households=2001)  # 6..7
    user = user_with_role(Role.STREET_ADMIN, street=community.street)
    _staff(community, 5)
    _staff(community, 2, is_full_time=False)
    _staff(community, 1, left_on=dt.date(2024, 1, 31))
    row = _row(user, community)
    assert row.actual == 5
    assert row.shortfall == 1 and row.status == "understaffed"
    _staff(community, 1)
    row = _row(user, community)
    assert row.shortfall == 0 and row.status == "ok"


@pytest.mark.django_db
def test_over_quota_needs_a_reason_for_the_year():
    community = CommunityFactory(households=1500)  # 5..5
    user = user_with_role(Role.STREET_ADMIN, street=community.street)
    _staff(community, 6)
    row = _row(user, community)
    assert row.excess == 1 and row.status == "over"
    StaffingReasonFactory(community=community)
    assert _row(user, community).status == "ok"


@pytest.mark.django_db
def test_vacancies_by_post():
    community = CommunityFactory(households=2700)  # ORG-3 committee: ceil(2700/300) = 9
    ResidentsGroupFactory.create_batch(3, community=community)
    user = user_with_role(Role.STREET_ADMIN, street=community.street)
    director = WorkerFactory(community=community)
    PostTermFactory(worker=director, post=Post.COMMITTEE_DIRECTOR)
    PostTermFactory(worker=director, post=Post.PARTY_SECRETARY)  # STAFF-9 cross-appointment
    _staff(community, 4, post=Post.COMMITTEE_MEMBER)
    _staff(community, 1, post=Post.GRID_WORKER)
    # An ended term does not fill a post.
    PostTermFactory(
        worker=WorkerFactory(community=community),
        post=Post.ACCOUNTANT,
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2021, 12, 31),
    )
    cells = _row(user, community).posts
    cell = {group: cells[i] for group, i in GROUP_INDEX.items()}
    assert (cell[Post.PARTY_SECRETARY].actual, cell[Post.PARTY_SECRETARY].vacant) == (1, 0)
    assert (cell[Post.COMMITTEE_DIRECTOR].actual, cell[Post.COMMITTEE_DIRECTOR].vacant) == (1, 0)
    assert (cell["committee"].expected, cell["committee"].actual, cell["committee"].vacant) == (
        9,
        5,
        4,
    )
    assert cell["party_committee"].actual == 1
    assert (cell[Post.ACCOUNTANT].actual, cell[Post.ACCOUNTANT].vacant) == (0, 1)
    assert (cell[Post.GRID_WORKER].expected, cell[Post.GRID_WORKER].vacant) == (3, 2)
    assert cell[Post.SERVICE_STAFF].expected == rules.SERVICE_ROOM_RECRUITS


@pytest.mark.django_db
def test_community_user_sees_only_own_row(ab):
    table = staffing_table(user=ab["user_a"])
    assert [row.community.pk for row in table.rows] == [ab["a"].pk]


@pytest.mark.django_db
def test_admin_table_and_export_are_scoped(client, ab):
    client.force_login(ab["user_a"])
    body = client.get(reverse("admin:staffing_postterm_table")).content.decode()
    assert "甲社区" in body and "乙社区" not in body
    response = client.get(reverse("admin:staffing_postterm_table_export"))
    sheet = load_workbook(BytesIO(response.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["甲社区", "合计"]


@pytest.mark.django_db
def test_export_has_totals_row():
    street = StreetFactory()
    user = user_with_role(Role.STREET_ADMIN, street=street)
    for households in (1000, 2001):
        _staff(CommunityFactory(street=street, households=households), 3)
    from staffing.reports import staffing_table_xlsx

    response = staffing_table_xlsx(staffing_table(user=user))
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("社区", "户数", "应配下限", "应配上限", "实配（专职）")
    assert rows[-1][:5] == ("合计", 3001, 11, 12, 6)


@pytest.mark.django_db
def test_table_query_count_is_fixed(client):
    street = StreetFactory()
    client.force_login(user_with_role(Role.STREET_ADMIN, street=street))
    url = reverse("admin:staffing_postterm_table")

    def grow(n):
        for _ in range(n):
            community = CommunityFactory(street=street, households=2500)
            ResidentsGroupFactory(community=community)
            _staff(community, 3, post=Post.COMMITTEE_MEMBER)
            StaffingReasonFactory(community=community)

    grow(2)
    client.get(url)
    small = query_count(client, url)
    grow(10)
    large = query_count(client, url)
    assert large == small, f"{small} queries at 2 communities, {large} at 12"


@pytest.mark.django_db
def test_grid_worker_has_no_table_in_admin(client):
    community = CommunityFactory()
    client.force_login(user_with_role(Role.GRID_WORKER, community=community))
    response = client.get(reverse("admin:staffing_postterm_table"))
    assert response.status_code in (302, 403)


@pytest.mark.django_db
def test_portal_table_scoped_and_linked_from_home(client, ab):
    client.force_login(ab["user_a"])
    home = client.get(reverse("portal:home")).content.decode()
    assert reverse("staffing:table") in home
    body = client.get(reverse("staffing:table")).content.decode()
    assert "甲社区" in body and "乙社区" not in body
    row = f"{ab['a'].households} 户，应配"
    assert row in body


@pytest.mark.django_db
def test_portal_table_refused_to_grid_worker(client):
    community = CommunityFactory()
    client.force_login(user_with_role(Role.GRID_WORKER, community=community))
    assert client.get(reverse("staffing:table")).status_code == 403
    assert reverse("staffing:table") not in client.get(reverse("portal:home")).content.decode()


@pytest.mark.django_db
def test_portal_table_query_count_is_fixed(client):
    street = StreetFactory()
    client.force_login(user_with_role(Role.STREET_ADMIN, street=street))
    url = reverse("staffing:table")

    def grow(n):
        for _ in range(n):
            community = CommunityFactory(street=street, households=2500)
            _staff(community, 3, post=Post.COMMITTEE_MEMBER)

    grow(2)
    client.get(url)
    small = query_count(client, url)
    grow(10)
    assert query_count(client, url) == small
