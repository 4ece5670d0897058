"""Meetings in the worker portal, the admin and the API: convening, check-in (several on one
page), quorum refusal at exactly half, votes by representatives as themselves and refused for
non-representatives, cross-community 404 everywhere, the sittings list at a fixed query
count."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import Role
from meetings.models import MeetingKind, Motion, MotionState, Sitting, SittingSeat, Vote
from meetings.services import motion_add, motion_open_voting
from tests.factories import CommunityFactory, UserFactory, user_with_role
from tests.helpers import query_count
from tests.meetings.factories import assembly, convened, in_session
from tests.staffing.factories import WorkerFactory


def _token(response):
    return re.search(r'name="token" value="([0-9a-f-]+)"', response.content.decode()).group(1)


@pytest.fixture
def s(db):
    a, b = CommunityFactory(), CommunityFactory()
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=a)
    reps = assembly(a, 4, with_users=True)
    return {"a": a, "b": b, "director": director, "reps": reps}


@pytest.mark.django_db
def test_meet1_portal_convene_check_in_vote_and_quorum(client, s):
    client.force_login(s["director"])
    url = reverse("meetings:convene", args=[s["a"].pk])
    token = _token(client.get(url))
    when = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url, {"token": token, "kind": "regular", "title": "例会", "scheduled_at": when}
    )
    sitting = Sitting.objects.get()
    assert response.status_code == 302 and sitting.representatives_total == 4
    page_url = reverse("meetings:sitting", args=[sitting.pk])
    token = _token(client.get(page_url))
    client.post(reverse("meetings:sitting_action", args=[sitting.pk, "open"]), {"token": token})
    seats = list(sitting.seats.order_by("pk"))
    token = _token(client.get(page_url))
    for seat in seats[:2]:  # two buttons of one page, one token: both count
        client.post(reverse("meetings:seat_action", args=[seat.pk, "check-in"]), {"token": token})
    assert SittingSeat.objects.filter(checked_in_at__isnull=False).count() == 2
    motion = motion_add(user=s["director"], sitting=sitting, title="议题")
    token = _token(client.get(page_url))
    response = client.post(
        reverse("meetings:motion_action", args=[motion.pk, "open"]), {"token": token}, follow=True
    )
    assert "未超过居民代表总数 4 人的半数" in response.content.decode()
    assert Motion.objects.get(pk=motion.pk).state == MotionState.DRAFT
    client.post(reverse("meetings:seat_action", args=[seats[2].pk, "check-in"]), {"token": token})
    client.post(reverse("meetings:motion_action", args=[motion.pk, "open"]), {"token": token})
    assert Motion.objects.get(pk=motion.pk).state == MotionState.VOTING
    # A representative votes as themselves; a stranger is refused.
    rep = seats[0].membership.user
    client.force_login(rep)
    page = client.get(page_url)
    assert page.status_code == 200
    client.post(
        reverse("meetings:vote", args=[motion.pk]), {"token": _token(page), "choice": "for"}
    )
    assert Vote.objects.get().seat == seats[0]
    client.force_login(UserFactory())
    assert client.get(page_url).status_code == 404
    assert (
        client.post(reverse("meetings:vote", args=[motion.pk]), {"choice": "for"}).status_code
        == 404
    )
    assert Vote.objects.count() == 1


@pytest.mark.django_db
def test_meet1_api_quorum_and_non_representative_refused(s):
    sitting, director = convened(s["a"], director=s["director"])
    sitting, seats = in_session(sitting, director, 2)  # 2 of 4: exactly half
    motion = motion_add(user=director, sitting=sitting, title="议题")
    api = APIClient()
    api.force_authenticate(director)
    response = api.post(f"/api/v1/motions/{motion.pk}/open-voting/")
    assert response.status_code == 400 and response.json()["code"] == "MEET-1"
    assert api.get(f"/api/v1/sittings/{sitting.pk}/").json()["quorum_reached"] is False
    api.post(f"/api/v1/sittings/{sitting.pk}/check-in/", {"seat": seats[2].pk}, format="json")
    assert api.post(f"/api/v1/motions/{motion.pk}/open-voting/").status_code == 200
    member = user_with_role(Role.MEMBER, community=s["a"])  # sees it, sits on no seat
    api.force_authenticate(member)
    refused = api.post(f"/api/v1/motions/{motion.pk}/vote/", {"choice": "for"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "MEET-1"
    api.force_authenticate(seats[1].membership.user)
    ok = api.post(f"/api/v1/motions/{motion.pk}/vote/", {"choice": "against"}, format="json")
    assert ok.status_code == 201
    twice = api.post(f"/api/v1/motions/{motion.pk}/vote/", {"choice": "for"}, format="json")
    assert twice.status_code == 400 and twice.json()["code"] == "MEET-1"
    assert Vote.objects.count() == 1


@pytest.mark.django_db
def test_meet_cross_community_is_404_on_portal_admin_and_api(client, s):
    sitting_b, director_b = convened(s["b"], 3)
    sitting_b, seats_b = in_session(sitting_b, director_b, 3)
    motion_b = motion_open_voting(
        user=director_b, motion=motion_add(user=director_b, sitting=sitting_b, title="乙议题")
    )
    client.force_login(s["director"])
    for url in (
        reverse("meetings:community", args=[s["b"].pk]),
        reverse("meetings:convene", args=[s["b"].pk]),
        reverse("meetings:sitting", args=[sitting_b.pk]),
        reverse("meetings:meeting_new", args=[s["b"].pk]),
        reverse("meetings:events", args=[s["b"].pk]),
        reverse("admin:meetings_sitting_change", args=[sitting_b.pk]),
        reverse("admin:meetings_motion_change", args=[motion_b.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("meetings:seat_action", args=[seats_b[0].pk, "confirm"]),
        reverse("meetings:motion_action", args=[motion_b.pk, "close"]),
        reverse("meetings:vote", args=[motion_b.pk]),
    ):
        assert client.post(url, {"choice": "for"}).status_code == 404, url
    api = APIClient()
    api.force_authenticate(s["director"])
    assert api.get(f"/api/v1/sittings/{sitting_b.pk}/").status_code == 404
    assert api.post(f"/api/v1/motions/{motion_b.pk}/close/").status_code == 404
    vote = api.post(
        f"/api/v1/motions/{motion_b.pk}/vote/",
        {"choice": "for", "seat": seats_b[0].pk},
        format="json",
    )
    assert vote.status_code == 404
    assert Motion.objects.get(pk=motion_b.pk).state == MotionState.VOTING
    assert not Vote.objects.exists()


@pytest.mark.django_db
def test_meet3_portal_meeting_with_attendance(client, s):
    worker, absent = WorkerFactory(community=s["a"]), WorkerFactory(community=s["a"])
    client.force_login(s["director"])
    url = reverse("meetings:meeting_new", args=[s["a"].pk])
    token = _token(client.get(url))
    response = client.post(
        url,
        {
            "token": token,
            "kind": MeetingKind.WEEKLY,
            "date": "2024-11-18",
            "topic": "本周工作",
            "recorder": worker.pk,
            "minutes": "布置工作",
            f"w{worker.pk}": "present",
            f"w{absent.pk}": "absent",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "提示" in page and absent.name in page


@pytest.mark.django_db
def test_meet1_sittings_list_page_query_count_is_fixed(client, s):
    client.force_login(s["director"])
    url = reverse("meetings:community", args=[s["a"].pk])
    convened(s["a"], director=s["director"])
    client.get(url)
    small = query_count(client, url)
    for _i in range(6):
        convened(s["a"], director=s["director"])
    assert query_count(client, url) == small


@pytest.mark.django_db
def test_meet_admin_lists_load(client, s):
    convened(s["a"], director=s["director"])
    client.force_login(s["director"])
    for name in ("sitting", "motion", "vote", "meeting", "chronicleentry", "disciplinerecord"):
        assert client.get(reverse(f"admin:meetings_{name}_changelist")).status_code == 200, name
