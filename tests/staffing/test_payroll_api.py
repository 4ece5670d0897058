"""STAFF-2 through the REST API: payrolls/ (scoped list and retrieve with lines and totals,
filters), generate and the transitions with the right roles, payroll-lines/ edits while a
draft only, the Excel export, the wage-gap report; another community's sheet is 404 on
every URL; fixed query counts."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from core.models import Role
from staffing.models import AverageWage, InsuranceRate, Payroll, PayrollLine, PayrollState, Post
from staffing.payroll import payroll_approve, payroll_generate, payroll_submit
from tests.factories import CommunityFactory, StreetFactory, user_with_role
from tests.helpers import query_count
from tests.staffing.factories import PostTermFactory, WorkerFactory

D = dt.date
JAN, FEB = D(2025, 1, 1), D(2025, 2, 1)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def api():
    return APIClient()


def _worker(community, *posts, name=None):
    worker = WorkerFactory(community=community, **({"name": name} if name else {}))
    for post in posts:
        PostTermFactory(worker=worker, post=post, starts_on=D(2024, 1, 1))
    return worker


def _director(community):
    return user_with_role(Role.COMMITTEE_DIRECTOR, community=community)


def _principal(community):
    return user_with_role(Role.STREET_PRINCIPAL, street=community.street)


def _name(user):
    return user.get_full_name() or user.get_username()


def _fresh(api, user):
    """Authenticate a fresh copy of `user`: the scope is cached on the user object, and
    communities made since would not be in it."""
    user = type(user).objects.get(pk=user.pk)
    api.force_authenticate(user)
    return user


def _sheet(community, month=JAN, *, state=PayrollState.DRAFT):
    """A sheet of `community` in `state`, moved there through the services."""
    director = _director(community)
    payroll = payroll_generate(user=director, community=community, month=month)
    if state in (PayrollState.SUBMITTED, PayrollState.APPROVED):
        payroll = payroll_submit(user=director, payroll=payroll)
    if state == PayrollState.APPROVED:
        payroll = payroll_approve(user=_principal(community), payroll=payroll)
    return payroll


@pytest.fixture
def sheets(ab):
    """A committee member and a party secretary in A, one member in B; a January draft each."""
    _worker(ab["a"], Post.COMMITTEE_MEMBER, name="甲委员")
    _worker(ab["a"], Post.PARTY_SECRETARY, Post.COMMITTEE_DIRECTOR, name="甲书记")
    _worker(ab["b"], Post.COMMITTEE_MEMBER, name="乙委员")
    return {"a": _sheet(ab["a"]), "b": _sheet(ab["b"])}


# --- reads --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff2_api_list_holds_own_sheets_with_lines_and_totals(api, ab, sheets):
    api.force_authenticate(ab["user_a"])
    response = api.get("/api/v1/payrolls/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [sheets["a"].pk]
    sheet = rows[0]
    assert sheet["community_name"] == "甲社区" and sheet["month"] == "2025-01-01"
    assert sheet["state"] == "draft" and sheet["state_display"] == "草稿"
    assert sheet["n_lines"] == 2
    assert [line["worker_name"] for line in sheet["lines"]] == ["甲书记", "甲委员"]
    secretary = sheet["lines"][0]
    assert secretary["grade"] == "secretary" and secretary["posts"] == "党组织书记、居委会主任"
    lines = PayrollLine.objects.filter(payroll=sheets["a"])
    assert Decimal(sheet["totals"]["standard"]) == sum(line.standard for line in lines)
    assert Decimal(sheet["totals"]["net"]) == sum(line.net for line in lines)
    detail = api.get(f"/api/v1/payrolls/{sheets['a'].pk}/").json()
    assert detail["lines"] == sheet["lines"] and detail["totals"] == sheet["totals"]


@pytest.mark.django_db
def test_staff2_api_filters_community_month_state(api, ab, sheets):
    february = _sheet(ab["a"], FEB, state=PayrollState.SUBMITTED)
    api.force_authenticate(ab["user_a"])

    def ids(query):
        response = api.get(f"/api/v1/payrolls/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [february.pk, sheets["a"].pk]  # newest month first
    assert ids("month=2025-01") == [sheets["a"].pk]
    assert ids("month=2025-02-17") == [february.pk]
    assert ids("state=submitted") == [february.pk]
    assert ids("state=draft&month=2025-02") == []
    assert ids(f"community={ab['a'].pk}&year=2025") == [february.pk, sheets["a"].pk]
    assert ids(f"community={ab['b'].pk}") == []
    assert api.get("/api/v1/payrolls/?month=2025-13").status_code == 400


# --- generate and the transitions ---------------------------------------------------------


@pytest.mark.django_db
def test_staff2_api_generate_submit_approve_lock_with_the_right_roles(api, ab):
    community = ab["a"]
    worker = _worker(community, Post.COMMITTEE_MEMBER)
    director, principal = ab["user_a"], _principal(community)
    api.force_authenticate(director)
    body = {"community": community.pk, "month": "2025-01"}
    created = api.post("/api/v1/payrolls/generate/", body, format="json")
    assert created.status_code == 201, created.json()
    sheet = created.json()
    assert sheet["month"] == "2025-01-01" and sheet["state"] == "draft"
    assert [line["worker"] for line in sheet["lines"]] == [worker.pk]
    again = api.post("/api/v1/payrolls/generate/", {**body, "month": "2025-01-20"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == sheet["id"]
    assert Payroll.objects.count() == 1

    url = f"/api/v1/payrolls/{sheet['id']}"
    assert api.post(f"{url}/approve/").status_code == 403  # a community role never approves
    submitted = api.post(f"{url}/submit/")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "submitted"
    assert submitted.json()["submitted_by_name"] == _name(director)
    assert submitted.json()["submitted_at"]
    assert api.post(f"{url}/approve/").status_code == 403
    assert api.post(f"{url}/lock/").status_code == 403
    assert api.post(f"{url}/return/", {"reason": "自己退回"}, format="json").status_code == 403
    assert Payroll.objects.get().state == PayrollState.SUBMITTED

    api.force_authenticate(principal)
    approved = api.post(f"{url}/approve/")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"
    assert approved.json()["approved_by_name"] == _name(principal)
    again = api.post(f"{url}/approve/")
    assert again.status_code == 400 and again.json()["code"] == "STAFF-2"
    locked = api.post(f"{url}/lock/")
    assert locked.status_code == 200 and locked.json()["state"] == "locked"
    assert locked.json()["locked_at"]


@pytest.mark.django_db
def test_staff2_api_deputy_and_member_cannot_submit(api, ab, sheets):
    url = f"/api/v1/payrolls/{sheets['a'].pk}/submit/"
    for role in (Role.DEPUTY, Role.MEMBER):
        api.force_authenticate(user_with_role(role, community=ab["a"]))
        assert api.post(url).status_code == 403, role
    member = user_with_role(Role.MEMBER, community=ab["a"])
    api.force_authenticate(member)
    body = {"community": ab["a"].pk, "month": "2025-02"}
    assert api.post("/api/v1/payrolls/generate/", body, format="json").status_code == 403
    line = sheets["a"].lines.first()
    patch = api.patch(f"/api/v1/payroll-lines/{line.pk}/", {"note": "x"}, format="json")
    assert patch.status_code == 403
    assert Payroll.objects.get(pk=sheets["a"].pk).state == PayrollState.DRAFT
    assert not Payroll.objects.filter(month=FEB).exists()


@pytest.mark.django_db
def test_staff2_api_street_returns_with_a_reason_only(api, ab, sheets):
    payroll_submit(user=ab["user_a"], payroll=sheets["a"])
    api.force_authenticate(_principal(ab["a"]))
    url = f"/api/v1/payrolls/{sheets['a'].pk}/return/"
    for body in ({}, {"reason": "   "}):
        response = api.post(url, body, format="json")
        assert response.status_code == 400 and "reason" in response.json()
    assert Payroll.objects.get(pk=sheets["a"].pk).state == PayrollState.SUBMITTED
    response = api.post(url, {"reason": "社保基数有误，请核对"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "draft"
    assert response.json()["returned_reason"] == "社保基数有误，请核对"
    assert response.json()["submitted_at"] is None


@pytest.mark.django_db
def test_staff2_api_future_month_refused(api, ab):
    _worker(ab["a"], Post.COMMITTEE_MEMBER)
    api.force_authenticate(ab["user_a"])
    response = api.post(
        "/api/v1/payrolls/generate/", {"community": ab["a"].pk, "month": "2999-01"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "STAFF-2"
    assert "month" in response.json()
    assert not Payroll.objects.exists()


# --- lines --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff2_api_line_patch_on_a_draft_goes_through_the_service(api, ab, sheets):
    line = PayrollLine.objects.get(payroll=sheets["a"], worker__name="甲委员")
    api.force_authenticate(ab["user_a"])
    url = f"/api/v1/payroll-lines/{line.pk}/"
    response = api.patch(
        url,
        {"insurance_personal": "105.00", "insurance_unit": "168.00", "note": "补缴", "net": "1"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["insurance_personal"] == "105.00" and body["note"] == "补缴"
    assert Decimal(body["net"]) == line.standard - Decimal("105.00")
    line.refresh_from_db()
    assert line.insurance_unit == Decimal("168.00") and line.net == line.standard - 105
    # The standard is not written through the API; an amount above it is refused (STAFF-2).
    api.patch(url, {"standard": "1.00"}, format="json")
    line.refresh_from_db()
    assert line.standard > Decimal("1.00")
    too_much = str(line.standard + Decimal("0.01"))
    refused = api.patch(url, {"insurance_personal": too_much}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "STAFF-2"
    negative = api.patch(url, {"insurance_unit": "-1"}, format="json")
    assert negative.status_code == 400 and "insurance_unit" in negative.json()
    line.refresh_from_db()
    assert line.insurance_personal == Decimal("105.00") and line.insurance_unit == Decimal("168")


@pytest.mark.django_db
@pytest.mark.parametrize("state", [PayrollState.SUBMITTED, PayrollState.APPROVED])
def test_staff2_api_submitted_or_approved_sheet_refuses_edits_with_code(api, ab, state):
    _worker(ab["a"], Post.COMMITTEE_MEMBER)
    payroll = _sheet(ab["a"], state=state)
    line = payroll.lines.get()
    api.force_authenticate(ab["user_a"])
    response = api.patch(
        f"/api/v1/payroll-lines/{line.pk}/", {"insurance_personal": "1.00"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "STAFF-2"
    generate = api.post(
        "/api/v1/payrolls/generate/", {"community": ab["a"].pk, "month": "2025-01"}, format="json"
    )
    assert generate.status_code == 400 and generate.json()["code"] == "STAFF-2"
    submit = api.post(f"/api/v1/payrolls/{payroll.pk}/submit/")
    assert submit.status_code == 400 and submit.json()["code"] == "STAFF-2"
    if state == PayrollState.APPROVED:
        assert "不得再更改" in str(response.json())
        api.force_authenticate(_principal(ab["a"]))
        back = api.post(f"/api/v1/payrolls/{payroll.pk}/return/", {"reason": "x"}, format="json")
        assert back.status_code == 400 and back.json()["code"] == "STAFF-2"
    line.refresh_from_db()
    assert line.insurance_personal == Decimal("0.00")
    assert Payroll.objects.get(pk=payroll.pk).state == state


# --- scoping ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff2_api_other_communitys_sheet_is_404_everywhere(api, ab, sheets):
    payroll_b = sheets["b"]
    payroll_submit(user=_director(ab["b"]), payroll=payroll_b)
    line_b = payroll_b.lines.get()
    # A community role of A, and a street role of A's street (B is on another street).
    for user in (ab["user_a"], _principal(ab["a"])):
        api.force_authenticate(user)
        url = f"/api/v1/payrolls/{payroll_b.pk}"
        assert payroll_b.pk not in [r["id"] for r in api.get("/api/v1/payrolls/").json()["results"]]
        assert api.get(f"{url}/").status_code == 404
        assert api.get(f"{url}/export/").status_code == 404
        for name in ("submit", "approve", "lock"):
            assert api.post(f"{url}/{name}/").status_code == 404, name
        assert api.post(f"{url}/return/", {"reason": "x"}, format="json").status_code == 404
        line_url = f"/api/v1/payroll-lines/{line_b.pk}/"
        assert api.get(line_url).status_code == 404
        assert api.patch(line_url, {"note": "越权"}, format="json").status_code == 404
    api.force_authenticate(ab["user_a"])
    refused = api.post(
        "/api/v1/payrolls/generate/", {"community": ab["b"].pk, "month": "2025-02"}, format="json"
    )
    assert refused.status_code == 400 and "community" in refused.json()
    payroll_b.refresh_from_db()
    line_b.refresh_from_db()
    assert payroll_b.state == PayrollState.SUBMITTED and line_b.note == ""
    assert not Payroll.objects.filter(month=FEB).exists()


@pytest.mark.django_db
def test_staff2_api_anonymous_gets_nothing(api, sheets):
    assert api.get("/api/v1/payrolls/").status_code in (401, 403)
    assert api.post(f"/api/v1/payrolls/{sheets['a'].pk}/submit/").status_code in (401, 403)
    assert api.get("/api/v1/wage-gap/").status_code in (401, 403)


# --- export -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff2_api_export_is_xlsx_with_rows_and_totals(api, ab):
    _worker(ab["a"], Post.PARTY_SECRETARY, name="=HYPERLINK(1)")
    _worker(ab["a"], Post.COMMITTEE_MEMBER, name="张三")
    InsuranceRate.objects.create(
        street=ab["a"].street, year=2025, personal_pct=Decimal("10"), unit_pct=Decimal("16")
    )
    payroll = _sheet(ab["a"])
    api.force_authenticate(user_with_role(Role.MEMBER, community=ab["a"]))  # viewing suffices
    response = api.get(f"/api/v1/payrolls/{payroll.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert "甲社区 2025-01" in rows[0][0]
    assert rows[1][1] == "姓名" and rows[1][9] == "实发金额（元）"
    assert {r[1] for r in rows[2:-1]} == {"'=HYPERLINK(1)", "张三"}
    totals = api.get(f"/api/v1/payrolls/{payroll.pk}/").json()["totals"]
    total = rows[-1]
    assert total[0] == "合计"
    assert Decimal(str(total[4])) == Decimal(totals["standard"])
    assert Decimal(str(total[7])) == Decimal(totals["insurance_personal"])
    assert Decimal(str(total[8])) == Decimal(totals["insurance_unit"])
    assert Decimal(str(total[9])) == Decimal(totals["net"])
    assert Decimal(totals["insurance_personal"]) > 0


# --- the wage-gap report ------------------------------------------------------------------


@pytest.mark.django_db
def test_staff2_api_wage_gap_report_rows_scoped_and_validated(api, ab):
    AverageWage.objects.create(street=ab["a"].street, year=2025, monthly_amount=Decimal("6000"))
    api.force_authenticate(user_with_role(Role.MEMBER, community=ab["a"]))
    response = api.get("/api/v1/wage-gap/?year=2026")
    assert response.status_code == 200, response.json()
    rows = response.json()
    assert {row["community"] for row in rows} == {ab["a"].pk}
    assert [row["grade"] for row in rows] == ["secretary", "deputy", "member"]
    profile = ab["a"].profile
    member = rows[2]
    assert member["year"] == 2026 and member["average_year"] == 2025
    assert Decimal(member["standard"]) == profile.subsidy_member
    assert Decimal(member["average_wage"]) == Decimal("6000.00")
    assert Decimal(member["gap"]) == Decimal("6000.00") - profile.subsidy_member
    assert Decimal(member["next_standard"]) > profile.subsidy_member
    no_average = api.get("/api/v1/wage-gap/?year=2030").json()
    assert no_average[0]["average_wage"] is None and no_average[0]["gap"] is None
    assert api.get(f"/api/v1/wage-gap/?year=2026&community={ab['b'].pk}").json() == []
    assert api.get("/api/v1/wage-gap/?year=x").status_code == 400
    assert api.get("/api/v1/wage-gap/?year=1999").status_code == 400
    api.force_authenticate(user_with_role(Role.GRID_WORKER, community=ab["a"]))
    assert api.get("/api/v1/wage-gap/").status_code == 403


# --- query counts -------------------------------------------------------------------------


def _grow(street, communities, workers, months=(JAN, FEB)):
    for _ in range(communities):
        community = CommunityFactory(street=street)
        for _ in range(workers):
            _worker(community, Post.COMMITTEE_MEMBER)
        director = _director(community)
        for month in months:
            payroll = payroll_generate(user=director, community=community, month=month)
        payroll_submit(user=director, payroll=payroll)  # a submitter to show


@pytest.mark.django_db
def test_staff2_api_list_query_count_is_fixed(api):
    street = StreetFactory()
    user = user_with_role(Role.STREET_PRINCIPAL, street=street)
    url = "/api/v1/payrolls/"
    _grow(street, 2, 2)
    _fresh(api, user)
    api.get(url)
    small = query_count(api, url)
    _grow(street, 6, 4)
    _fresh(api, user)
    api.get(url)
    large = query_count(api, url)
    body = api.get(url).json()
    # 2 communities × 2 months × 2 workers, then 6 × 2 × 4 more.
    assert body["count"] == 16
    assert sum(row["n_lines"] for row in body["results"]) == 8 + 48
    assert large == small, f"{small} queries at 4 sheets, {large} at 16"


@pytest.mark.django_db
def test_staff2_api_retrieve_query_count_is_fixed(api, ab):
    def sheet(community, n):
        for _ in range(n):
            _worker(community, Post.COMMITTEE_MEMBER)
        return _sheet(community, state=PayrollState.SUBMITTED)

    small, large = sheet(ab["a"], 2), sheet(CommunityFactory(street=ab["a"].street), 12)
    api.force_authenticate(_principal(ab["a"]))
    api.get(f"/api/v1/payrolls/{small.pk}/")
    n_small = query_count(api, f"/api/v1/payrolls/{small.pk}/")
    n_large = query_count(api, f"/api/v1/payrolls/{large.pk}/")
    assert n_large == n_small, f"{n_small} queries at 2 lines, {n_large} at 12"


@pytest.mark.django_db
def test_openapi_schema_has_the_payroll_endpoints_and_no_warnings(admin_client):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    for path in (
        b"/api/v1/payrolls/",
        b"/api/v1/payrolls/generate/",
        b"/api/v1/payrolls/{id}/submit/",
        b"/api/v1/payrolls/{id}/approve/",
        b"/api/v1/payrolls/{id}/return/",
        b"/api/v1/payrolls/{id}/lock/",
        b"/api/v1/payrolls/{id}/export/",
        b"/api/v1/payroll-lines/{id}/",
        b"/api/v1/wage-gap/",
    ):
        assert path in response.content, path
    assert not GENERATOR_STATS, (
        dict(GENERATOR_STATS._warn_cache),
        dict(GENERATOR_STATS._error_cache),
    )
