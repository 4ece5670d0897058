"""MEET-2 work plans (003 二(二) 主任负责拟定年度、季度、月份工作计划; 三(二) 审议工作计划): the
period normalised to its first day at the quarter and month boundaries, one plan per period,
an approving resolution only a passed plan motion of the same community, the compliance check
for this year's, quarter's and month's plans, portal list/form and admin, cross-community."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import RuleViolation
from core.models import FindingStatus, Role
from meetings.checks import work_plans
from meetings.models import MotionKind
from meetings.plans import missing_plans, workplan_save
from meetings.services import motion_add, motion_close, motion_open_voting, vote_cast
from meetings.workplans import PlanKind, WorkPlan, period_label, period_start
from tests.factories import CommunityFactory, user_with_role
from tests.meetings.factories import convened, in_session

D = dt.date


@pytest.mark.parametrize(
    "kind, day, start",
    [
        (PlanKind.YEARLY, D(2026, 12, 31), D(2026, 1, 1)),
        (PlanKind.QUARTERLY, D(2026, 3, 31), D(2026, 1, 1)),
        (PlanKind.QUARTERLY, D(2026, 4, 1), D(2026, 4, 1)),
        (PlanKind.QUARTERLY, D(2026, 12, 31), D(2026, 10, 1)),
        (PlanKind.MONTHLY, D(2026, 2, 28), D(2026, 2, 1)),
    ],
)
def test_meet2_period_start_at_boundaries(kind, day, start):
    assert period_start(kind, day) == start


def test_meet2_period_labels():
    assert period_label(PlanKind.QUARTERLY, D(2026, 10, 1)) == "2026年第4季度"
    assert period_label(PlanKind.MONTHLY, D(2026, 2, 1)) == "2026年2月"


@pytest.fixture
def s(db):
    a, b = CommunityFactory(), CommunityFactory()
    return {
        "a": a,
        "b": b,
        "director": user_with_role(Role.COMMITTEE_DIRECTOR, community=a),
        "member": user_with_role(Role.MEMBER, community=a),
        "director_b": user_with_role(Role.COMMITTEE_DIRECTOR, community=b),
    }


def _plan(s, kind=PlanKind.MONTHLY, day=None, **kwargs):
    plan = WorkPlan(
        community=kwargs.pop("community", s["a"]),
        kind=kind,
        period_start=day or timezone.localdate(),
        title=kwargs.pop("title", "工作计划"),
        body="一、……",
        **kwargs,
    )
    return workplan_save(user=s["director"], instance=plan)


def test_meet2_director_drafts_one_plan_per_period(s):
    plan = _plan(s, day=D(2026, 11, 23))
    assert plan.period_start == D(2026, 11, 1) and plan.drafted_by == s["director"]
    with pytest.raises(RuleViolation) as exc:
        _plan(s, day=D(2026, 11, 2))
    assert "该期工作计划已存在" in " ".join(exc.value.messages)
    assert WorkPlan.objects.count() == 1


def test_meet2_member_cannot_draft(s):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        workplan_save(
            user=s["member"],
            instance=WorkPlan(
                community=s["a"], kind=PlanKind.YEARLY, period_start=D(2026, 1, 1), title="x"
            ),
        )


def _plan_motion(community, director, passed, n=3):
    sitting, _ = convened(community, n, director=director)
    sitting, seats = in_session(sitting, director, 3)
    motion = motion_add(user=director, sitting=sitting, title="年度工作计划", kind=MotionKind.PLAN)
    motion_open_voting(user=director, motion=motion)
    for seat in seats[: 3 if passed else 2]:
        vote_cast(user=director, motion=motion, choice="for", seat=seat)
    return motion_close(user=director, motion=motion)


def test_meet2_approval_only_by_a_passed_plan_motion_of_the_community(s):
    failed = _plan_motion(s["a"], s["director"], passed=False)  # 2 of 3: not > 2/3
    assert not failed.passed
    with pytest.raises(RuleViolation, match="未获通过"):
        _plan(s, PlanKind.YEARLY, approved_by=failed)
    other = _plan_motion(s["b"], s["director_b"], passed=True)
    with pytest.raises(RuleViolation, match="本社区"):
        _plan(s, PlanKind.YEARLY, approved_by=other)
    passed = _plan_motion(s["a"], s["director"], passed=True, n=None)  # the same 3 seats
    assert _plan(s, PlanKind.YEARLY, approved_by=passed).approved_by == passed


def test_meet2_check_current_year_quarter_month(s):
    profile = s["a"].profile
    result = work_plans(s["a"], profile)
    assert result.status == FindingStatus.WARNING
    assert "年度工作计划" in result.message and "月份工作计划" in result.message
    _plan(s, PlanKind.YEARLY)
    _plan(s, PlanKind.QUARTERLY)
    assert [k for k, _start in missing_plans(s["a"].pk)] == [PlanKind.MONTHLY]
    _plan(s, PlanKind.MONTHLY)
    assert work_plans(s["a"], profile).status == FindingStatus.OK
    # Last month's plan does not count for this month.
    today = timezone.localdate()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    assert missing_plans(s["a"].pk, today=last_month)[-1][0] == PlanKind.MONTHLY


def test_meet2_check_message_lists_the_missing_plans_in_english(s):
    from django.utils import translation

    today = timezone.localdate()
    with translation.override("en"):
        message = work_plans(s["a"], s["a"].profile).message
    assert message.startswith("Not yet drafted: ")
    parts = message.removeprefix("Not yet drafted: ").split(", ")
    assert len(parts) == 3  # year, quarter, month: one item each, comma-separated
    assert parts[0].startswith(f"{today.year} ")  # period and kind apart, not "2026Yearly"
    assert "、" not in message


def _token(response):
    return re.search(r'name="token" value="([0-9a-f-]+)"', response.content.decode()).group(1)


def test_meet2_portal_list_and_form(client, s):
    url = reverse("meetings:plans", args=[s["a"].pk])
    client.force_login(s["director"])
    page = client.get(url)
    assert page.status_code == 200 and "尚未拟定" in page.content.decode()
    data = {
        "token": _token(page),
        "kind": PlanKind.QUARTERLY,
        "period": timezone.localdate().isoformat(),
        "title": "第四季度工作计划",
        "body": "一、冬季安全检查",
    }
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code in (200, 302)  # the same token: saved once
    assert WorkPlan.objects.count() == 1
    data["token"] = _token(client.get(url))
    response = client.post(url, data)
    assert "该期工作计划已存在" in response.content.decode()
    assert "第四季度工作计划" in client.get(url).content.decode()
    client.force_login(s["member"])
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403
    client.force_login(s["director_b"])
    assert client.get(url).status_code == 404
    assert WorkPlan.objects.count() == 1


def test_meet2_admin_drafts_through_the_service(client, s):
    client.force_login(s["director"])
    response = client.post(
        reverse("admin:meetings_workplan_add"),
        {
            "community": s["a"].pk,
            "kind": PlanKind.YEARLY,
            "period_start": "2026-06-15",
            "title": "2026年度工作计划",
            "body": "……",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = WorkPlan.objects.get()
    assert plan.period_start == D(2026, 1, 1) and plan.drafted_by == s["director"]
    client.force_login(s["director_b"])
    url = reverse("admin:meetings_workplan_change", args=[plan.pk])
    assert client.get(url).status_code == 404
