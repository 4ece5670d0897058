"""Attendance in the worker portal, the admin and the API: one-tap sign-in (twice refused,
never for another worker), the leave form (mobile, one-time token), the clerk's correction,
approvals, the monthly sheet buttons and export; cross-community 404 everywhere; fixed query
counts at two sizes for the register, the leave inbox and the monthly sheet."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from attendance.models import AttendanceRecord, Leave, LeaveState, LeaveType, MonthlySheet
from attendance.services import leave_request
from attendance.sheets import sheet_generate
from core.models import Role
from tests.attendance.factories import AttendanceRecordFactory
from tests.factories import CommunityFactory, UserFactory, user_with_role
from tests.helpers import query_count
from tests.staffing.factories import WorkerFactory

D = dt.date
NOV = D(2024, 11, 1)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def s(db):
    a, b = CommunityFactory(name="甲社区"), CommunityFactory(name="乙社区")
    user = UserFactory()
    worker = WorkerFactory(community=a, user=user, name="李四")
    RoleAssignment = __import__("core.services", fromlist=["role_assign"]).role_assign
    RoleAssignment(by=None, user=user, role=Role.MEMBER, community=a)
    other = WorkerFactory(community=a, name="王五")
    worker_b = WorkerFactory(community=b, user=UserFactory(), name="乙工作者")
    return {
        "a": a,
        "b": b,
        "user": user,
        "worker": worker,
        "other": other,
        "worker_b": worker_b,
        "director": user_with_role(Role.COMMITTEE_DIRECTOR, community=a),
        "clerk": user_with_role(Role.ATTENDANCE_CLERK, community=a),
        "director_b": user_with_role(Role.COMMITTEE_DIRECTOR, community=b),
    }


def _token(response):
    return re.search(r'name="token" value="([0-9a-f-]+)"', response.content.decode()).group(1)


# --- one-tap sign-in -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_att1_portal_sign_in_one_tap_twice_refused(client, s):
    client.force_login(s["user"])
    page = client.get(reverse("attendance:me"))
    assert page.status_code == 200 and "签到" in page.content.decode()
    token = _token(page)
    response = client.post(reverse("attendance:sign", args=["in"]), {"token": token}, follow=True)
    assert "签到成功" in response.content.decode()
    assert AttendanceRecord.objects.get().worker == s["worker"]
    # The same tap again (same token): nothing saved, no error page.
    again = client.post(reverse("attendance:sign", args=["in"]), {"token": token}, follow=True)
    assert "已经提交过" in again.content.decode()
    # A fresh form: refused by ATT-1.
    fresh = _token(client.get(reverse("attendance:me")))
    refused = client.post(reverse("attendance:sign", args=["in"]), {"token": fresh}, follow=True)
    assert "不能重复签到" in refused.content.decode()
    assert AttendanceRecord.objects.count() == 1


@pytest.mark.django_db
def test_att1_portal_cannot_sign_in_for_another_worker(client, s):
    client.force_login(s["user"])
    token = _token(client.get(reverse("attendance:me")))
    client.post(
        reverse("attendance:sign", args=["in"]),
        {"token": token, "worker": s["other"].pk, "worker_id": s["worker_b"].pk},
    )
    assert list(AttendanceRecord.objects.values_list("worker_id", flat=True)) == [s["worker"].pk]


@pytest.mark.django_db
def test_att1_api_sign_in_is_the_users_own_and_twice_refused(s):
    api = APIClient()
    api.force_authenticate(s["user"])
    url = "/api/v1/attendance-records/sign-in/"
    response = api.post(url, {"worker": s["other"].pk}, format="json")
    assert response.status_code == 201 and response.json()["worker"] == s["worker"].pk
    response = api.post(url, {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "ATT-1"
    assert AttendanceRecord.objects.count() == 1
    # A user without a linked worker: refused with the rule's code.
    api.force_authenticate(s["director"])
    assert api.post(url, {}, format="json").json()["code"] == "ATT-1"


@pytest.mark.django_db
def test_att1_sign_in_page_and_leave_form_are_mobile_first(client, s):
    client.force_login(s["user"])
    for url in (reverse("attendance:me"), reverse("attendance:leave_new")):
        body = client.get(url).content.decode()
        assert 'name="viewport" content="width=device-width, initial-scale=1"' in body
        assert "min-width" not in body  # nothing wider than a 360 px screen
        assert 'class="primary block"' in body  # one full-width button
    body = client.get(reverse("attendance:leave_new")).content.decode()
    assert 'type="date"' in body and 'accept=".pdf,.jpg,.jpeg,.png"' in body


# --- leave --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_att2_portal_leave_request_once_and_approved_by_the_director(client, s):
    client.force_login(s["user"])
    token = _token(client.get(reverse("attendance:leave_new")))
    data = {
        "token": token,
        "leave_type": LeaveType.PERSONAL,
        "start_date": "2024-11-18",
        "end_date": "2024-11-19",
        "end_half": "on",
        "reason": "家中有事",
    }
    response = client.post(reverse("attendance:leave_new"), data)
    leave = Leave.objects.get()
    assert response.status_code == 302 and leave.days == 1.5 and leave.current_step == "director"
    client.post(reverse("attendance:leave_new"), data)  # double submit
    assert Leave.objects.count() == 1
    client.force_login(s["director"])
    page = client.get(reverse("attendance:leave", args=[leave.pk]))
    client.post(
        reverse("attendance:leave_decide", args=[leave.pk]),
        {"token": _token(page), "decision": "approve"},
    )
    leave.refresh_from_db()
    assert leave.state == LeaveState.APPROVED


@pytest.mark.django_db
def test_att2_portal_leave_errors_next_to_the_field(client, s):
    client.force_login(s["user"])
    token = _token(client.get(reverse("attendance:leave_new")))
    response = client.post(
        reverse("attendance:leave_new"),
        {
            "token": token,
            "leave_type": LeaveType.PERSONAL,
            "start_date": "2024-11-18",
            "end_date": "2024-11-21",
            "end_half": "on",
            "reason": "探亲",
            "attachment": SimpleUploadedFile("a.exe", b"MZ\x90"),
        },
    )
    body = response.content.decode()
    assert (
        response.status_code == 200 and "只能是 PDF" in body and 'id="id_attachment-error"' in body
    )
    assert not Leave.objects.exists()


@pytest.mark.django_db
def test_att2_api_leave_create_overlap_and_decide(s):
    api = APIClient()
    api.force_authenticate(s["user"])
    body = {
        "leave_type": "sick",
        "start_date": "2024-11-18",
        "end_date": "2024-11-18",
        "reason": "看病",
    }
    response = api.post("/api/v1/leaves/", body, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    overlap = api.post("/api/v1/leaves/", body, format="json")
    assert overlap.status_code == 400 and overlap.json()["code"] == "ATT-2"
    own = api.post(f"/api/v1/leaves/{pk}/decide/", {"decision": "approve"}, format="json")
    assert own.status_code in (400, 403)
    api.force_authenticate(s["director"])
    assert api.get("/api/v1/leaves/inbox/").json()["count"] == 1
    done = api.post(f"/api/v1/leaves/{pk}/decide/", {"decision": "approve"}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "approved"


# --- the clerk's register -------------------------------------------------------------------------


@pytest.mark.django_db
def test_att1_portal_clerk_corrects_with_reason(client, s):
    client.force_login(s["clerk"])
    url = reverse("attendance:correct", args=[s["a"].pk, s["other"].pk, "2024-11-18"])
    token = _token(client.get(url))
    response = client.post(url, {"token": token, "sign_in_at": "08:10", "correction_reason": ""})
    assert response.status_code == 200 and not AttendanceRecord.objects.exists()
    response = client.post(
        url,
        {
            "token": token,
            "sign_in_at": "08:10",
            "sign_out_at": "17:00",
            "correction_reason": "漏签",
        },
    )
    assert response.status_code == 302
    record = AttendanceRecord.objects.get()
    assert record.correction_reason == "漏签" and record.corrected_by == s["clerk"]


@pytest.mark.django_db
def test_att5_portal_sheet_generate_sign_submit_and_export(client, s):
    url = reverse("attendance:sheet", args=[s["a"].pk, 2024, 11])
    client.force_login(s["clerk"])
    token = _token(client.get(url))
    client.post(reverse("attendance:sheet_generate", args=[s["a"].pk, 2024, 11]), {"token": token})
    sheet = MonthlySheet.objects.get()
    client.post(reverse("attendance:sheet_action", args=[sheet.pk, "sign_clerk"]), {"token": token})
    client.force_login(s["director"])
    token = _token(client.get(url))
    client.post(
        reverse("attendance:sheet_action", args=[sheet.pk, "sign_director"]), {"token": token}
    )
    token = _token(client.get(url))
    client.post(
        reverse("attendance:sheet_action", args=[sheet.pk, "submit"]),
        {"token": token, "stamped": "on"},
    )
    sheet.refresh_from_db()
    assert sheet.state == "submitted"
    export = client.get(reverse("attendance:sheet_export", args=[sheet.pk]))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd")


# --- cross-community: 404 on every path ---------------------------------------------------------------


@pytest.mark.django_db
def test_att_cross_community_is_404_on_portal_admin_api_and_export(client, s):
    b = s["b"]
    AttendanceRecordFactory(worker=s["worker_b"], date=NOV)
    leave_b = leave_request(
        user=s["worker_b"].user,
        leave_type=LeaveType.SICK,
        start_date=D(2024, 11, 18),
        end_date=D(2024, 11, 18),
        reason="病",
    )
    sheet_b = sheet_generate(
        user=user_with_role(Role.ATTENDANCE_CLERK, community=b), community=b, month=NOV
    )
    record_b = AttendanceRecord.objects.get(worker=s["worker_b"])
    client.force_login(s["director"])
    portal = [
        reverse("attendance:register", args=[b.pk]),
        reverse("attendance:correct", args=[b.pk, s["worker_b"].pk, "2024-11-01"]),
        reverse("attendance:sheet", args=[b.pk, 2024, 11]),
        reverse("attendance:sheet_export", args=[sheet_b.pk]),
        reverse("attendance:stats", args=[b.pk, 2024]),
        reverse("attendance:leave", args=[leave_b.pk]),
        reverse("attendance:leave_attachment", args=[leave_b.pk]),
        reverse("attendance:criticism_new", args=[s["worker_b"].pk]),
        reverse("admin:attendance_attendancerecord_change", args=[record_b.pk]),
        reverse("admin:attendance_leave_change", args=[leave_b.pk]),
        reverse("admin:attendance_monthlysheet_change", args=[sheet_b.pk]),
    ]
    for url in portal:
        assert client.get(url).status_code == 404, url
    api = APIClient()
    api.force_authenticate(s["director"])
    for url in (
        f"/api/v1/leaves/{leave_b.pk}/",
        f"/api/v1/attendance-records/{record_b.pk}/",
        f"/api/v1/attendance-sheets/{sheet_b.pk}/",
        f"/api/v1/attendance-sheets/{sheet_b.pk}/export/",
    ):
        assert api.get(url).status_code == 404, url
    decide = api.post(
        f"/api/v1/leaves/{leave_b.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert decide.status_code == 404
    assert leave_b.approvals.count() == 0
    listed = api.get("/api/v1/attendance-records/").json()
    assert listed["count"] == 0


# --- query counts at two sizes --------------------------------------------------------------------------


def _grow(community, n, day):
    for _i in range(n):
        worker = WorkerFactory(community=community, hired_on=D(2020, 1, 1))
        AttendanceRecordFactory(worker=worker, date=day)


@pytest.mark.django_db
def test_att1_register_page_query_count_is_fixed(client, s):
    day = D(2024, 11, 18)
    client.force_login(s["clerk"])
    url = reverse("attendance:register", args=[s["a"].pk]) + f"?date={day.isoformat()}"
    _grow(s["a"], 2, day)
    client.get(url)
    small = query_count(client, url)
    _grow(s["a"], 12, day)
    assert query_count(client, url) == small


@pytest.mark.django_db
def test_att5_sheet_page_query_count_is_fixed(client, s):
    client.force_login(s["director"])
    url = reverse("attendance:sheet", args=[s["a"].pk, 2024, 11])
    _grow(s["a"], 2, D(2024, 11, 18))
    client.get(url)
    small = query_count(client, url)
    _grow(s["a"], 12, D(2024, 11, 19))
    assert query_count(client, url) == small
    sheet_generate(user=s["clerk"], community=s["a"], month=NOV)
    client.get(url)
    stored = query_count(client, url)
    _grow(s["a"], 5, D(2024, 11, 20))
    sheet_generate(user=s["clerk"], community=s["a"], month=NOV)
    assert query_count(client, url) == stored


@pytest.mark.django_db
def test_att2_leave_inbox_query_count_is_fixed(client, s):
    client.force_login(s["director"])
    url = reverse("attendance:inbox")

    def grow(n):
        for _i in range(n):
            user = UserFactory()
            WorkerFactory(community=s["a"], user=user, hired_on=D(2020, 1, 1))
            leave_request(
                user=user,
                leave_type=LeaveType.PERSONAL,
                start_date=D(2024, 11, 18),
                end_date=D(2024, 11, 18),
                reason="事",
            )

    grow(2)
    client.get(url)
    small = query_count(client, url)
    grow(10)
    body = client.get(url).content.decode()
    assert body.count("attendance/leave/") >= 12
    assert query_count(client, url) == small


@pytest.mark.django_db
def test_att_admin_lists_load(client, s):
    client.force_login(s["director"])
    for name in ("attendancerecord", "leave", "monthlysheet", "attendancecase", "criticism"):
        assert client.get(reverse(f"admin:attendance_{name}_changelist")).status_code == 200, name
    today = timezone.localdate()
    assert today
