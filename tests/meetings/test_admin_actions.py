"""Sittings and motions acted on in the admin (core.admin_actions over meetings.services):
open, cancel, close with minutes and a named recorder (MEET-1/MEET-4), voting opened only with
a quorum and closed with the tally (MEET-1). Errors are admin messages, nothing changes; the
street sees its communities' sittings but the committee runs them; another community's or
street's rows are 404."""

import pytest
from django.urls import reverse

from core.models import Role
from meetings.models import Motion, MotionState, Sitting, SittingState
from meetings.services import motion_add, seat_check_in, vote_cast
from tests.factories import CommunityFactory, user_with_role
from tests.meetings.factories import convened, in_session
from tests.staffing.factories import WorkerFactory


@pytest.fixture
def s(db):
    a, b = CommunityFactory(name="甲社区"), CommunityFactory(name="乙社区")
    sitting, director = convened(a, 4)
    return {
        "a": a,
        "b": b,
        "sitting": sitting,
        "director": director,
        "recorder": WorkerFactory(community=a, name="记录员"),
        "director_b": user_with_role(Role.COMMITTEE_DIRECTOR, community=b),
        "street_a": user_with_role(Role.STREET_ADMIN, street=a.street),
        "street_b": user_with_role(Role.STREET_ADMIN, street=b.street),
    }


def _do(model, pk, action):
    return reverse(f"admin:meetings_{model}_do", args=[pk, action])


def _messages(response):
    return " ".join(str(m) for m in response.context["messages"])


def test_meet1_admin_open_vote_and_close_with_minutes(client, s):
    sitting = s["sitting"]
    client.force_login(s["director"])
    page = client.get(reverse("admin:meetings_sitting_change", args=[sitting.pk]))
    assert _do("sitting", sitting.pk, "open") in page.content.decode()
    client.post(_do("sitting", sitting.pk, "open"))
    assert Sitting.objects.get(pk=sitting.pk).state == SittingState.OPEN
    seats = list(sitting.seats.order_by("pk"))
    motion = motion_add(user=s["director"], sitting=sitting, title="年度工作计划")
    # Two of four present: exactly half is no quorum, voting refused with the rule's message.
    for seat in seats[:2]:
        seat_check_in(user=s["director"], seat=seat)
    response = client.post(_do("motion", motion.pk, "open_voting"), follow=True)
    assert "未超过居民代表总数 4 人的半数" in _messages(response)
    assert Motion.objects.get(pk=motion.pk).state == MotionState.DRAFT
    seat_check_in(user=s["director"], seat=seats[2])
    client.post(_do("motion", motion.pk, "open_voting"))
    assert Motion.objects.get(pk=motion.pk).state == MotionState.VOTING
    # Closing the sitting while a motion is being voted is refused.
    data = {"recorder": s["recorder"].pk, "minutes": "会议审议通过年度工作计划。"}
    response = client.post(_do("sitting", sitting.pk, "close"), data, follow=True)
    assert "尚有事项正在表决" in _messages(response)
    for seat in seats[:3]:
        vote_cast(user=s["director"], motion=motion, choice="for", seat=seat)
    client.post(_do("motion", motion.pk, "close_voting"))
    motion.refresh_from_db()
    assert motion.state == MotionState.CLOSED and motion.passed
    response = client.post(_do("sitting", sitting.pk, "close"), {"recorder": "", "minutes": ""})
    assert response.context["form"].errors  # a named recorder and minutes are required
    client.post(_do("sitting", sitting.pk, "close"), data)
    sitting.refresh_from_db()
    assert sitting.state == SittingState.CLOSED and sitting.recorder == s["recorder"]


def test_meet4_admin_recorder_from_another_community_not_offered(client, s):
    sitting, _seats = in_session(s["sitting"], s["director"], 3)
    other = WorkerFactory(community=s["b"])
    client.force_login(s["director"])
    data = {"recorder": other.pk, "minutes": "记录"}
    response = client.post(_do("sitting", sitting.pk, "close"), data)
    assert "recorder" in response.context["form"].errors
    assert Sitting.objects.get(pk=sitting.pk).state == SittingState.OPEN


def test_meet1_admin_cancel_only_before_it_begins(client, s):
    client.force_login(s["director"])
    client.post(_do("sitting", s["sitting"].pk, "cancel"))
    assert Sitting.objects.get(pk=s["sitting"].pk).state == SittingState.CANCELLED
    response = client.post(_do("sitting", s["sitting"].pk, "open"), follow=True)
    assert "不能开会" in _messages(response)


def test_meet_admin_street_views_but_the_committee_runs_the_sitting(client, s):
    client.force_login(s["street_a"])
    assert client.get(reverse("admin:meetings_sitting_changelist")).status_code == 200
    page = client.get(reverse("admin:meetings_sitting_change", args=[s["sitting"].pk]))
    assert page.status_code == 200
    response = client.post(_do("sitting", s["sitting"].pk, "cancel"), follow=True)
    assert "没有执行此操作的权限" in _messages(response)
    assert Sitting.objects.get(pk=s["sitting"].pk).state == SittingState.CONVENED


def test_meet_admin_other_community_or_street_is_404(client, s):
    sitting, _seats = in_session(s["sitting"], s["director"], 3)
    motion = motion_add(user=s["director"], sitting=sitting, title="议题")
    for user in (s["director_b"], s["street_b"]):
        client.force_login(user)
        assert client.get(_do("sitting", sitting.pk, "close")).status_code == 404
        for action in ("open", "cancel", "close"):
            data = {"recorder": s["recorder"].pk, "minutes": "x"}
            assert client.post(_do("sitting", sitting.pk, action), data).status_code == 404
        assert client.post(_do("motion", motion.pk, "open_voting")).status_code == 404
    assert Sitting.objects.get(pk=sitting.pk).state == SittingState.OPEN
    assert Motion.objects.get(pk=motion.pk).state == MotionState.DRAFT
