"""Login: every page but the public ones needs it; repeated failures lock the account."""

import pytest
from django.urls import reverse

from core.models import Role
from tests.factories import CommunityFactory, user_with_role

PASSWORD = "pass12345!x"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/admin/", "/portal/", "/api/v1/communities/", "/admin/core/compliancefinding/matrix/"],
)
def test_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code in (302, 401, 403)
    if response.status_code == 302:
        assert "login" in response["Location"]


@pytest.mark.django_db
def test_public_pages_need_no_login(client):
    assert client.get("/public/").status_code == 200
    assert client.get("/healthz/").status_code == 200


@pytest.mark.django_db
def test_lockout_after_five_failures_even_with_the_right_password(client):
    user = user_with_role(Role.STREET_ADMIN, street=CommunityFactory().street)
    url = reverse("admin:login")
    for _ in range(5):
        response = client.post(url, {"username": user.username, "password": "wrong"})
        assert response.status_code in (200, 403, 429)
    locked = client.post(url, {"username": user.username, "password": PASSWORD})
    assert locked.status_code in (403, 429)
    assert "锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_four_failures_then_the_right_password_logs_in(client):
    user = user_with_role(Role.STREET_ADMIN, street=CommunityFactory().street)
    url = reverse("admin:login")
    for _ in range(4):
        client.post(url, {"username": user.username, "password": "wrong"})
    response = client.post(
        url, {"username": user.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
