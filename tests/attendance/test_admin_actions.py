"""Street and community staff acting in the admin (core.admin_actions): leave decided at
the step the user holds (ATT-2), "treated as resignation" cases confirmed or dismissed with a
reason (ATT-3/4), the monthly sheet generated, signed and submitted stamped (ATT-5). The pages
call the services: a refused rule is an admin error message in Chinese and nothing changes;
another street's or community's row is a 404."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attendance.models import (
    AttendanceCase,
    CaseKind,
    CaseState,
    Leave,
    LeaveState,
    LeaveStep,
    LeaveType,
    MonthlySheet,
    SheetState,
)
from attendance.services import leave_request
from attendance.sheets import sheet_generate, sheet_sign
from core.models import Role
from tests.factories import CommunityFactory, UserFactory, user_with_role
from tests.staffing.factories import WorkerFactory

D = dt.date
MON = D(2024, 11, 18)
NOV = D(2024, 11, 1)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _side(community):
    user = UserFactory()
    worker = WorkerFactory(community=community, user=user)
    return {
        "community": community,
        "user": user,
        "worker": worker,
        "director": user_with_role(Role.COMMITTEE_DIRECTOR, community=community),
        "clerk": user_with_role(Role.ATTENDANCE_CLERK, community=community),
        "chief": user_with_role(Role.SOCIAL_AFFAIRS_CHIEF, street=community.street),
        "deputy": user_with_role(Role.DEPUTY_DIRECTOR, street=community.street),
    }


@pytest.fixture
def s(db):
    # Two communities of two streets: A and B.
    return {
        "a": _side(CommunityFactory(name="甲社区")),
        "b": _side(CommunityFactory(name="乙社区")),
    }


def _leave(side, end=MON, **kwargs):
    attachment = SimpleUploadedFile("请假条.pdf", PDF, content_type="application/pdf")
    return leave_request(
        user=side["user"],
        leave_type=LeaveType.PERSONAL,
        start_date=MON,
        end_date=end,
        reason="家中有事",
        attachment=attachment if end > MON else None,
        **kwargs,
    )


def _do(model, pk, action):
    return reverse(f"admin:attendance_{model}_do", args=[pk, action])


def _messages(response):
    return [str(m) for m in response.context["messages"]]


# --- ATT-2 leave ----------------------------------------------------------------------------------


def test_att2_admin_director_approves_short_leave(client, s):
    leave = _leave(s["a"])
    client.force_login(s["a"]["director"])
    page = client.get(reverse("admin:attendance_leave_change", args=[leave.pk]))
    assert _do("leave", leave.pk, "approve") in page.content.decode()
    assert client.get(_do("leave", leave.pk, "approve")).status_code == 200
    response = client.post(_do("leave", leave.pk, "approve"), {"reason": ""}, follow=True)
    assert "已同意" in " ".join(_messages(response))
    assert Leave.objects.get(pk=leave.pk).state == LeaveState.APPROVED


def test_att2_admin_refusal_needs_a_reason_nothing_changed(client, s):
    leave = _leave(s["a"])
    client.force_login(s["a"]["director"])
    response = client.post(_do("leave", leave.pk, "refuse"), {"reason": ""})
    assert response.status_code == 200  # the form again, with the field's error
    assert response.context["form"].errors
    assert Leave.objects.get(pk=leave.pk).state == LeaveState.PENDING
    client.post(_do("leave", leave.pk, "refuse"), {"reason": "工作安排不开"})
    leave.refresh_from_db()
    assert leave.state == LeaveState.REJECTED
    assert leave.approvals.get().comment == "工作安排不开"


def test_att2_admin_long_leave_chief_then_deputy_of_the_street(client, s):
    leave = _leave(s["a"], end=D(2024, 11, 21))  # 4 working days: the street's steps
    assert leave.current_step == LeaveStep.CHIEF
    # The community director does not hold the street's step: an error, nothing changed.
    client.force_login(s["a"]["director"])
    response = client.post(_do("leave", leave.pk, "approve"), {"reason": ""}, follow=True)
    assert "环节的审批人" in " ".join(_messages(response))
    assert leave.approvals.count() == 0
    client.force_login(s["a"]["chief"])
    client.post(_do("leave", leave.pk, "approve"), {"reason": "同意"})
    assert Leave.objects.get(pk=leave.pk).current_step == LeaveStep.DEPUTY
    # The same person cannot take the second step.
    response = client.post(_do("leave", leave.pk, "approve"), {"reason": ""}, follow=True)
    assert "环节的审批人" in " ".join(_messages(response))
    client.force_login(s["a"]["deputy"])
    client.post(_do("leave", leave.pk, "approve"), {"reason": ""})
    assert Leave.objects.get(pk=leave.pk).state == LeaveState.FILED


def test_att2_admin_other_street_or_community_is_404(client, s):
    leave = _leave(s["a"], end=D(2024, 11, 21))
    for user in (s["b"]["chief"], s["b"]["deputy"], s["b"]["director"]):
        client.force_login(user)
        assert client.get(_do("leave", leave.pk, "approve")).status_code == 404
        assert client.post(_do("leave", leave.pk, "approve"), {"reason": ""}).status_code == 404
        assert client.post(_do("leave", leave.pk, "refuse"), {"reason": "x"}).status_code == 404
    assert leave.approvals.count() == 0
    assert Leave.objects.get(pk=leave.pk).state == LeaveState.PENDING


def test_att2_admin_bulk_approve_only_in_scope(client, s):
    mine, theirs = _leave(s["a"]), _leave(s["b"])
    client.force_login(s["a"]["director"])
    client.post(
        reverse("admin:attendance_leave_changelist"),
        {"action": "approve_current_step", "_selected_action": [mine.pk, theirs.pk]},
    )
    assert Leave.objects.get(pk=mine.pk).state == LeaveState.APPROVED
    assert Leave.objects.get(pk=theirs.pk).state == LeaveState.PENDING


# --- ATT-3/4 cases ----------------------------------------------------------------------------------


def _case(side, kind=CaseKind.ABSENCE_RESIGNATION):
    return AttendanceCase.objects.create(
        community=side["community"],
        worker=side["worker"],
        kind=kind,
        rule_id="ATT-4",
        period="2024-11",
        facts="11月无故旷工2天",
    )


def test_att4_admin_street_confirms_with_reason_once(client, s):
    case = _case(s["a"])
    client.force_login(s["a"]["chief"])
    response = client.post(_do("attendancecase", case.pk, "confirm"), {"reason": ""})
    assert response.context["form"].errors
    assert AttendanceCase.objects.get(pk=case.pk).state == CaseState.OPEN
    client.post(_do("attendancecase", case.pk, "confirm"), {"reason": "经核实属实"})
    case.refresh_from_db()
    assert (case.state, case.decision_reason) == (CaseState.CONFIRMED, "经核实属实")
    client.force_login(s["a"]["deputy"])
    response = client.post(
        _do("attendancecase", case.pk, "dismiss"), {"reason": "改判"}, follow=True
    )
    assert "该事项已处理" in " ".join(_messages(response))
    assert AttendanceCase.objects.get(pk=case.pk).state == CaseState.CONFIRMED


def test_att3_admin_dismissed_by_the_street_not_by_the_community(client, s):
    case = _case(s["a"], CaseKind.LATE_RESIGNATION)
    client.force_login(s["a"]["director"])
    response = client.post(
        _do("attendancecase", case.pk, "dismiss"), {"reason": "情有可原"}, follow=True
    )
    assert "须由街道确认" in " ".join(_messages(response))
    assert AttendanceCase.objects.get(pk=case.pk).state == CaseState.OPEN
    client.force_login(s["a"]["deputy"])
    client.post(_do("attendancecase", case.pk, "dismiss"), {"reason": "情有可原"})
    assert AttendanceCase.objects.get(pk=case.pk).state == CaseState.DISMISSED


def test_att4_admin_other_street_cannot_decide(client, s):
    case = _case(s["a"])
    client.force_login(s["b"]["chief"])
    assert client.get(_do("attendancecase", case.pk, "confirm")).status_code == 404
    response = client.post(_do("attendancecase", case.pk, "confirm"), {"reason": "越权"})
    assert response.status_code == 404
    assert AttendanceCase.objects.get(pk=case.pk).state == CaseState.OPEN


# --- ATT-5 monthly sheet ------------------------------------------------------------------------------


def test_att5_admin_generate_sign_stamp_submit(client, s):
    a = s["a"]
    sheet = sheet_generate(user=a["clerk"], community=a["community"], month=NOV)
    client.force_login(a["director"])
    client.post(_do("monthlysheet", sheet.pk, "generate"))
    # The director cannot sign as the clerk (no grant): an error, nothing changed.
    response = client.post(_do("monthlysheet", sheet.pk, "sign_clerk"), follow=True)
    assert "您没有执行此操作的权限" in " ".join(_messages(response))
    assert MonthlySheet.objects.get(pk=sheet.pk).clerk_signed_by is None
    # The clerk is a portal-only login: signs there (the same service).
    client.force_login(a["clerk"])
    assert client.get(_do("monthlysheet", sheet.pk, "sign_clerk")).status_code == 302  # login
    sheet_sign(user=a["clerk"], sheet=sheet, as_="clerk")
    client.force_login(a["director"])
    client.post(_do("monthlysheet", sheet.pk, "sign_director"))
    response = client.post(_do("monthlysheet", sheet.pk, "submit"), {})
    assert response.context["form"].errors  # the stamp must be confirmed
    client.post(_do("monthlysheet", sheet.pk, "submit"), {"stamped": "on"})
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SUBMITTED and sheet.stamped
    # Frozen: regenerating is refused with the rule's message.
    response = client.post(_do("monthlysheet", sheet.pk, "generate"), follow=True)
    assert "已报街道，不能再更改" in " ".join(_messages(response))


def test_att5_admin_submit_unsigned_refused(client, s):
    a = s["a"]
    sheet = sheet_generate(user=a["clerk"], community=a["community"], month=NOV)
    client.force_login(a["director"])
    response = client.post(_do("monthlysheet", sheet.pk, "submit"), {"stamped": "on"}, follow=True)
    assert "须经主任和考勤员共同签字" in " ".join(_messages(response))
    assert MonthlySheet.objects.get(pk=sheet.pk).state == SheetState.DRAFT


def test_att5_admin_other_community_sheet_is_404(client, s):
    b = s["b"]
    sheet = sheet_generate(user=b["clerk"], community=b["community"], month=NOV)
    for user in (s["a"]["director"], s["a"]["chief"]):
        client.force_login(user)
        for action in ("generate", "sign_clerk", "sign_director", "submit"):
            assert client.post(_do("monthlysheet", sheet.pk, action)).status_code == 404
    sheet.refresh_from_db()
    assert sheet.clerk_signed_by is None and sheet.director_signed_by is None


def test_att_admin_unknown_action_is_404(client, s):
    leave = _leave(s["a"])
    client.force_login(s["a"]["director"])
    assert client.get(_do("leave", leave.pk, "delete")).status_code == 404
