"""Staffing through the admin: scoped lists at a fixed query count, rules next to the field,
another community's worker neither offered nor accepted."""

import pytest
from django.urls import reverse

from core.models import Role
from staffing.models import Post, PostTerm
from tests.factories import CommunityFactory, StreetFactory, user_with_role
from tests.helpers import query_count
from tests.staffing.factories import PostTermFactory, StaffingReasonFactory, WorkerFactory


def _grow(street, n):
    for _ in range(n):
        community = CommunityFactory(street=street)
        for worker in WorkerFactory.create_batch(2, community=community):
            PostTermFactory(worker=worker, post=Post.COMMITTEE_MEMBER)
            PostTermFactory(worker=worker, post=Post.GRID_WORKER)
        StaffingReasonFactory(community=community)


def _errors(response):
    form = response.context["adminform"].form
    return {k: " ".join(v) for k, v in form.errors.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name",
    [
        "admin:staffing_worker_changelist",
        "admin:staffing_postterm_changelist",
        "admin:staffing_staffingreason_changelist",
    ],
)
def test_admin_list_query_count_is_fixed(client, url_name):
    street = StreetFactory()
    client.force_login(user_with_role(Role.STREET_ADMIN, street=street))
    url = reverse(url_name)
    _grow(street, 2)
    client.get(url)
    small = query_count(client, url)
    _grow(street, 12)
    large = query_count(client, url)
    assert large == small, f"{url}: {small} queries at 2 communities, {large} at 14"


@pytest.mark.django_db
def test_worker_list_shows_only_own_community(client, ab):
    WorkerFactory(community=ab["a"], name="甲工作者")
    WorkerFactory(community=ab["b"], name="乙工作者")
    client.force_login(ab["user_a"])
    body = client.get(reverse("admin:staffing_worker_changelist")).content.decode()
    assert "甲工作者" in body and "乙工作者" not in body


@pytest.mark.django_db
def test_staff8_refused_next_to_the_field_in_admin(client):
    worker = WorkerFactory()
    PostTermFactory(worker=worker, post=Post.PARTY_SECRETARY)
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=worker.community))
    response = client.post(
        reverse("admin:staffing_postterm_add"),
        {
            "worker": worker.pk,
            "post": "accountant",
            "starts_on": "2024-01-01",
            "selection": "appointed",
        },
    )
    assert response.status_code == 200
    errors = _errors(response)
    assert "STAFF-8" in errors["post"] and "不得兼任会计" in errors["post"]
    assert PostTerm.objects.filter(worker=worker).count() == 1


@pytest.mark.django_db
def test_end_before_start_refused_in_admin(client):
    worker = WorkerFactory()
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=worker.community))
    response = client.post(
        reverse("admin:staffing_postterm_add"),
        {
            "worker": worker.pk,
            "post": "committee_member",
            "starts_on": "2024-05-01",
            "ends_on": "2024-04-01",
            "selection": "elected",
        },
    )
    assert response.status_code == 200
    assert "任期届满日期不能早于任期开始日期" in _errors(response)["ends_on"]
    assert not PostTerm.objects.exists()


@pytest.mark.django_db
def test_worker_of_another_community_by_id_refused_in_admin(client, ab):
    worker_b = WorkerFactory(community=ab["b"])
    client.force_login(ab["user_a"])
    response = client.post(
        reverse("admin:staffing_postterm_add"),
        {
            "worker": worker_b.pk,
            "post": "committee_member",
            "starts_on": "2024-01-01",
            "selection": "elected",
        },
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in _errors(response)["worker"]
    assert not PostTerm.objects.exists()


@pytest.mark.django_db
def test_term_of_another_community_is_404_in_admin(client, ab):
    term_b = PostTermFactory(worker=WorkerFactory(community=ab["b"]))
    client.force_login(ab["user_a"])
    url = reverse("admin:staffing_postterm_change", args=[term_b.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"worker": term_b.worker_id, "post": "cashier"})
    assert response.status_code == 404
    term_b.refresh_from_db()
    assert term_b.post == Post.COMMITTEE_MEMBER
