"""STAFF-2 in the worker portal: the community's sheets linked from the worker list, the sheet
page (lines, totals, state, who submitted and approved), generate and submit by permission
through staffing.payroll (PRG, a double submit moves the sheet once), the Excel export;
another community's sheet is 404 on every URL; fixed query counts."""

import datetime as dt
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import Role
from staffing import rules
from staffing.models import InsuranceRate, Payroll, PayrollLine, PayrollState, Post
from staffing.payroll import payroll_approve, payroll_generate, payroll_return, payroll_submit
from tests.factories import CommunityFactory, user_with_role
from tests.helpers import query_count
from tests.staffing.factories import PostTermFactory, WorkerFactory

D = dt.date
JAN, FEB, MAR = D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)


def _worker(community, *posts, name=None):
    worker = WorkerFactory(community=community, **({"name": name} if name else {}))
    for post in posts:
        PostTermFactory(worker=worker, post=post, starts_on=D(2024, 1, 1))
    return worker


def _director(community):
    return user_with_role(Role.COMMITTEE_DIRECTOR, community=community)


def _principal(community):
    return user_with_role(Role.STREET_PRINCIPAL, street=community.street)


def _tokens(response) -> list[str]:
    return re.findall(r'name="token" value="([0-9a-f-]+)"', response.content.decode())


def _this_month():
    return rules.month_first(timezone.localdate())


@pytest.fixture
def sheets(ab):
    _worker(ab["a"], Post.COMMITTEE_MEMBER, name="甲委员")
    _worker(ab["a"], Post.PARTY_SECRETARY, name="甲书记")
    _worker(ab["b"], Post.COMMITTEE_MEMBER, name="乙委员")
    return {
        "a": payroll_generate(user=ab["user_a"], community=ab["a"], month=JAN),
        "b": payroll_generate(user=_director(ab["b"]), community=ab["b"], month=JAN),
    }


# --- pages --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_worker_list_links_to_the_payroll_sheets(client, ab):
    client.force_login(ab["user_a"])
    body = client.get(reverse("staffing:workers", args=[ab["a"].pk])).content.decode()
    assert reverse("staffing:payrolls", args=[ab["a"].pk]) in body


@pytest.mark.django_db
def test_sheets_list_shows_month_state_and_totals(client, ab, sheets):
    february = payroll_generate(user=ab["user_a"], community=ab["a"], month=FEB)
    payroll_submit(user=ab["user_a"], payroll=february)
    client.force_login(ab["user_a"])
    response = client.get(reverse("staffing:payrolls", args=[ab["a"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("2025-02") < body.index("2025-01")  # newest first
    assert "已报街道" in body and "草稿" in body
    total = sum(PayrollLine.objects.filter(payroll=sheets["a"]).values_list("net", flat=True))
    assert str(total) in body
    assert reverse("staffing:payroll", args=[sheets["a"].pk]) in body
    assert 'name="viewport"' in body and "overflow-x:auto" in body
    assert "乙社区" not in body


@pytest.mark.django_db
def test_sheet_page_shows_lines_totals_state_and_buttons_by_permission(client, ab, sheets):
    InsuranceRate.objects.create(
        street=ab["a"].street, year=2025, personal_pct=Decimal("10"), unit_pct=Decimal("16")
    )
    payroll = payroll_generate(user=ab["user_a"], community=ab["a"], month=FEB)
    url = reverse("staffing:payroll", args=[payroll.pk])
    submit = reverse("staffing:payroll_submit", args=[payroll.pk])
    generate = reverse("staffing:payroll_generate", args=[ab["a"].pk])
    export = reverse("staffing:payroll_export", args=[payroll.pk])
    client.force_login(ab["user_a"])
    response = client.get(url)
    body = response.content.decode()
    assert "甲委员" in body and "甲书记" in body and "乙委员" not in body
    assert "党组织书记" in body and "草稿" in body and "overflow-x:auto" in body
    totals = response.context["totals"]
    lines = PayrollLine.objects.filter(payroll=payroll)
    assert totals["net"] == sum(line.net for line in lines)
    assert totals["insurance_personal"] > 0
    for value in (totals["standard"], totals["insurance_personal"], totals["net"]):
        assert f">{value}<" in body
    assert submit in body and generate in body and export in body
    assert len(_tokens(response)) == 2  # generate and submit, each its own token

    # A deputy may regenerate a draft but not submit it; a member only reads and exports.
    client.force_login(user_with_role(Role.DEPUTY, community=ab["a"]))
    body = client.get(url).content.decode()
    assert generate in body and submit not in body and export in body
    client.force_login(user_with_role(Role.MEMBER, community=ab["a"]))
    body = client.get(url).content.decode()
    assert generate not in body and submit not in body and export in body


@pytest.mark.django_db
def test_sheet_page_shows_who_submitted_and_approved_and_freezes(client, ab, sheets):
    payroll = payroll_submit(user=ab["user_a"], payroll=sheets["a"])
    url = reverse("staffing:payroll", args=[payroll.pk])
    principal = _principal(ab["a"])
    client.force_login(principal)
    body = client.get(url).content.decode()
    assert "已报街道" in body and "等待街道审批" in body
    assert reverse("admin:staffing_payroll_change", args=[payroll.pk]) in body
    assert ab["user_a"].get_full_name() in body
    payroll_approve(user=principal, payroll=payroll)
    client.force_login(ab["user_a"])
    response = client.get(url)
    body = response.content.decode()
    assert "街道已审批" in body and "不得再更改" in body
    assert principal.get_full_name() in body and ab["user_a"].get_full_name() in body
    assert _tokens(response) == []  # no generate, no submit
    assert reverse("staffing:payroll_submit", args=[payroll.pk]) not in body


@pytest.mark.django_db
def test_returned_sheet_shows_the_streets_reason(client, ab, sheets):
    payroll = payroll_submit(user=ab["user_a"], payroll=sheets["a"])
    payroll_return(user=_principal(ab["a"]), payroll=payroll, reason="社保基数有误")
    client.force_login(ab["user_a"])
    body = client.get(reverse("staffing:payroll", args=[payroll.pk])).content.decode()
    assert "街道退回意见" in body and "社保基数有误" in body and "草稿" in body


# --- generate and submit ------------------------------------------------------------------


@pytest.mark.django_db
def test_generate_this_months_draft_once_on_a_double_submit(client, ab):
    _worker(ab["a"], Post.COMMITTEE_MEMBER, name="甲委员")
    client.force_login(ab["user_a"])
    listing = reverse("staffing:payrolls", args=[ab["a"].pk])
    page = client.get(listing)
    body = page.content.decode()
    month = _this_month()
    assert f'value="{month:%Y-%m}"' in body and f"生成 {month:%Y-%m} 发放表" in body
    data = {"token": _tokens(page)[0], "period": f"{month:%Y-%m}"}
    url = reverse("staffing:payroll_generate", args=[ab["a"].pk])
    first = client.post(url, data)
    payroll = Payroll.objects.get()
    generated_at = payroll.generated_at
    assert first.status_code == 302
    assert first["Location"] == reverse("staffing:payroll", args=[payroll.pk])
    assert payroll.month == month and payroll.lines.count() == 1
    second = client.post(url, data)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    payroll.refresh_from_db()
    assert Payroll.objects.count() == 1 and payroll.generated_at == generated_at
    page = client.get(second["Location"]).content.decode()
    assert "已生成" in page and "未重复生成" in page
    # A fresh button regenerates the draft (the sheet stays one).
    fresh = client.get(listing)
    assert f"重新生成 {month:%Y-%m} 发放表" in fresh.content.decode()
    again = client.post(url, {"token": _tokens(fresh)[0], "period": f"{month:%Y-%m}"})
    assert again.status_code == 302
    payroll.refresh_from_db()
    assert Payroll.objects.count() == 1 and payroll.generated_at > generated_at


@pytest.mark.django_db
def test_generate_refused_for_a_future_month_and_without_token(client, ab):
    client.force_login(ab["user_a"])
    url = reverse("staffing:payroll_generate", args=[ab["a"].pk])
    token = _tokens(client.get(reverse("staffing:payrolls", args=[ab["a"].pk])))[0]
    response = client.post(url, {"token": token, "period": "2999-01"}, follow=True)
    assert "不能生成尚未开始月份的发放表" in response.content.decode()
    response = client.post(url, {"period": "2025-01"}, follow=True)
    assert "表单已失效" in response.content.decode()
    assert not Payroll.objects.exists()


@pytest.mark.django_db
def test_submit_once_on_a_double_submit(client, ab, sheets):
    client.force_login(ab["user_a"])
    url = reverse("staffing:payroll", args=[sheets["a"].pk])
    submit = reverse("staffing:payroll_submit", args=[sheets["a"].pk])
    page = client.get(url)
    assert submit in page.content.decode()
    data = {"token": _tokens(page)[1]}
    first = client.post(submit, data)
    assert first.status_code == 302 and first["Location"] == url
    payroll = Payroll.objects.get(pk=sheets["a"].pk)
    assert payroll.state == PayrollState.SUBMITTED and payroll.submitted_by == ab["user_a"]
    submitted_at = payroll.submitted_at
    second = client.post(submit, data)
    assert second.status_code == 302 and second["Location"] == url
    payroll.refresh_from_db()
    assert payroll.state == PayrollState.SUBMITTED and payroll.submitted_at == submitted_at
    body = client.get(url).content.decode()
    assert "已上报街道审批" in body and "未重复上报" in body
    assert "只有草稿状态" not in body  # the second POST never reached the service


@pytest.mark.django_db
def test_submit_refused_for_roles_without_the_permission(client, ab, sheets):
    url = reverse("staffing:payroll", args=[sheets["a"].pk])
    submit = reverse("staffing:payroll_submit", args=[sheets["a"].pk])
    generate = reverse("staffing:payroll_generate", args=[ab["a"].pk])
    client.force_login(ab["user_a"])
    token = _tokens(client.get(url))[1]
    for role in (Role.DEPUTY, Role.MEMBER):
        client.force_login(user_with_role(role, community=ab["a"]))
        assert client.post(submit, {"token": token}).status_code == 403, role
    assert client.post(generate, {"token": token, "period": "2025-02"}).status_code == 403
    assert client.get(submit).status_code == 405  # POST only
    grid = user_with_role(Role.GRID_WORKER, community=ab["a"])
    client.force_login(grid)
    assert client.get(url).status_code == 403
    assert client.get(reverse("staffing:payrolls", args=[ab["a"].pk])).status_code == 403
    assert Payroll.objects.get(pk=sheets["a"].pk).state == PayrollState.DRAFT
    assert not Payroll.objects.filter(month=FEB).exists()


# --- scoping ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_other_communitys_sheets_are_404_on_every_url(client, ab, sheets):
    payroll_b = sheets["b"]
    client.force_login(ab["user_a"])
    token = _tokens(client.get(reverse("staffing:payroll", args=[sheets["a"].pk])))[1]
    for url in (
        reverse("staffing:payrolls", args=[ab["b"].pk]),
        reverse("staffing:payroll", args=[payroll_b.pk]),
        reverse("staffing:payroll_export", args=[payroll_b.pk]),
        reverse("staffing:payroll", args=[999999]),
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (reverse("staffing:payroll_submit", args=[payroll_b.pk]), {"token": token}),
        (
            reverse("staffing:payroll_generate", args=[ab["b"].pk]),
            {"token": token, "period": "2025-02"},
        ),
    ):
        assert client.post(url, data).status_code == 404, url
    payroll_b.refresh_from_db()
    assert payroll_b.state == PayrollState.DRAFT
    assert not Payroll.objects.filter(month=FEB).exists()
    # The token was not spent on the refused POSTs: A's own submit still goes through.
    submit_a = reverse("staffing:payroll_submit", args=[sheets["a"].pk])
    assert client.post(submit_a, {"token": token}).status_code == 302
    assert Payroll.objects.get(pk=sheets["a"].pk).state == PayrollState.SUBMITTED


# --- export -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_is_xlsx_with_the_sheets_totals(client, ab, sheets):
    client.force_login(user_with_role(Role.MEMBER, community=ab["a"]))
    response = client.get(reverse("staffing:payroll_export", args=[sheets["a"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert {r[1] for r in rows[2:-1]} == {"甲委员", "甲书记"}
    lines = PayrollLine.objects.filter(payroll=sheets["a"])
    assert rows[-1][0] == "合计"
    assert Decimal(str(rows[-1][4])) == sum(line.standard for line in lines)
    assert Decimal(str(rows[-1][9])) == sum(line.net for line in lines)


# --- query counts -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("state", [PayrollState.DRAFT, PayrollState.APPROVED])
def test_sheet_page_query_count_is_fixed(client, state):
    def sheet(n):
        community = CommunityFactory()
        for _ in range(n):
            _worker(community, Post.COMMITTEE_MEMBER)
        director = _director(community)
        payroll = payroll_generate(user=director, community=community, month=JAN)
        if state == PayrollState.APPROVED:
            payroll_submit(user=director, payroll=payroll)
            payroll_approve(user=_principal(community), payroll=payroll)
        return director, payroll

    counts = []
    for n in (2, 12):
        director, payroll = sheet(n)
        client.force_login(director)
        url = reverse("staffing:payroll", args=[payroll.pk])
        client.get(url)
        counts.append(query_count(client, url))
    assert counts[0] == counts[1], f"{counts[0]} queries at 2 lines, {counts[1]} at 12"


@pytest.mark.django_db
def test_sheets_list_query_count_is_fixed(client, ab):
    community = ab["a"]
    client.force_login(ab["user_a"])
    url = reverse("staffing:payrolls", args=[community.pk])
    months = iter([D(2024, m, 1) for m in range(1, 13)] + [JAN, FEB, MAR])

    def grow(sheets, workers):
        for _ in range(workers):
            _worker(community, Post.COMMITTEE_MEMBER)
        for _ in range(sheets):
            payroll_generate(user=ab["user_a"], community=community, month=next(months))

    grow(2, 2)
    client.get(url)
    small = query_count(client, url)
    grow(10, 5)
    assert len(client.get(url).context["page"].object_list) == 12
    large = query_count(client, url)
    assert large == small, f"{small} queries at 2 sheets, {large} at 12"
