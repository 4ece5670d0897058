"""The volunteers', service hours' and organisations' imports (communities.
ledger_imports_volunteers, ledger_imports_units; issue #4 "Excel in"): preview counts,
apply through the services, re-import unchanged, matched instead of duplicated, bad and
boundary values refused with row and column and nothing written. Templates, entries,
scoping and the Celery run of every spec are in test_ledger_imports.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.models import (
    Organisation,
    OrganisationEvent,
    OrgKind,
    Volunteer,
    VolunteerEvent,
    VolunteerService,
)
from core.imports import import_job_confirm
from core.models import Role
from tests.communities.ledger_import_helpers import (  # noqa: F401  (ab: the fixture)
    ORG_ROWS,
    SERVICE_ROWS,
    VOLUNTEER_ROWS,
    ab_fixture,
    applied,
    counts,
    org_row,
    reasons,
    validated,
)
from tests.factories import VolunteerFactory, user_with_role


# --- volunteers and service hours ---------------------------------------------------------
@pytest.mark.django_db
def test_volunteers_and_service_hours_preview_apply_and_reimport_unchanged(ab):
    job = validated(ab, "volunteers", VOLUNTEER_ROWS)
    assert counts(job) == (2, 0, 0, 0) and not Volunteer.objects.exists()
    applied(ab, "volunteers", VOLUNTEER_ROWS)
    li = Volunteer.objects.get(name="李梅")
    assert (li.phone, li.organisation, li.community, li.is_active) == (
        "13700000001",
        ab["org"],
        ab["a"],
        True,
    )
    assert Volunteer.objects.get(name="周强").registered_on == dt.date(2024, 4, 1)
    events = VolunteerEvent.objects.count()
    assert counts(applied(ab, "volunteers", VOLUNTEER_ROWS)) == (0, 0, 2, 0)
    assert VolunteerEvent.objects.count() == events
    changed = [["李梅", "13700000001", None, "助老、理发", None, "否"]]
    assert counts(applied(ab, "volunteers", changed)) == (0, 1, 0, 0)
    li.refresh_from_db()
    assert (li.skills, li.is_active, li.organisation) == ("助老、理发", False, ab["org"])

    assert counts(applied(ab, "volunteer_services", SERVICE_ROWS)) == (3, 0, 0, 0)
    assert VolunteerService.objects.filter(volunteer=li).count() == 2
    assert counts(applied(ab, "volunteer_services", SERVICE_ROWS)) == (0, 0, 3, 0)
    rows = [list(r) for r in SERVICE_ROWS]
    rows[0][4] = "3"
    assert counts(applied(ab, "volunteer_services", rows)) == (0, 1, 2, 0)
    assert VolunteerService.objects.get(activity="社区环境整治").hours == Decimal("3.0")
    assert VolunteerService.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad, column, reason",
    [
        (["孙新", "13700000009", None, None, None, None], "注册日期", "须填写注册日期"),
        (["孙新", None, "不存在的组织", None, "2024-01-01", None], "所属社会组织", "没有名为"),
        (["孙新", None, None, None, "2024-01-01", "也许"], "是否在册", "是"),
        (["孙新", None, None, None, "01/02/2024", None], "注册日期", "日期格式不正确"),
        (["", "13700000009", None, None, "2024-01-01", None], "姓名", "必填项不能为空"),
    ],
)
def test_volunteer_bad_values_are_refused_with_row_and_column(ab, bad, column, reason):
    job = validated(ab, "volunteers", [VOLUNTEER_ROWS[0], bad])
    assert counts(job) == (1, 0, 0, 1)
    row, header, message = reasons(job)[0]
    assert (row, header) == (3, column) and reason in message, message
    assert not import_job_confirm(user=ab["user"], job=job)
    assert not Volunteer.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hours, date, column, reason",
    [
        ("0", "2025-03-07", "服务时长（小时）", "大于 0 且不超过 24"),
        ("24.1", "2025-03-07", "服务时长（小时）", "大于 0 且不超过 24"),
        ("-1", "2025-03-07", "服务时长（小时）", "大于或等于"),
        ("1.25", "2025-03-07", "服务时长（小时）", "1 位小数"),
        ("2", "tomorrow", "服务日期", "不能晚于今天"),
    ],
)
def test_service_hours_boundaries_are_refused_with_row_and_column(ab, hours, date, column, reason):
    VolunteerFactory(community=ab["a"], name="李梅", phone="13700000001")
    if date == "tomorrow":
        date = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    rows = [SERVICE_ROWS[0], ["李梅", "13700000001", date, "助老", hours]]
    job = validated(ab, "volunteer_services", rows)
    assert counts(job) == (1, 0, 0, 1)
    row, header, message = reasons(job)[0]
    assert (row, header) == (3, column) and reason in message, message
    assert not import_job_confirm(user=ab["user"], job=job)
    assert not VolunteerService.objects.exists()


@pytest.mark.django_db
def test_service_hours_of_an_unregistered_volunteer_are_refused(ab):
    job = validated(ab, "volunteer_services", SERVICE_ROWS[:1])
    assert reasons(job) == [(2, "姓名", reasons(job)[0][2])]
    assert "没有登记该志愿者" in reasons(job)[0][2]


# --- resident units and social organisations --------------------------------------------------
@pytest.mark.django_db
def test_organisations_preview_apply_match_by_name_and_reimport_unchanged(ab):
    rows = [org_row(*r) for r in ORG_ROWS]
    job = validated(ab, "organisations", rows)
    assert counts(job) == (2, 1, 0, 0)
    applied(ab, "organisations", rows)
    unit = Organisation.objects.get(name="市第二医院社区服务站")
    assert (unit.kind, unit.compound, unit.community) == (
        OrgKind.RESIDENT_UNIT,
        ab["compound"],
        ab["a"],
    )
    ab["org"].refresh_from_db()
    assert (ab["org"].registration_no, ab["org"].contact_person) == ("SH-009", "刘芳")
    assert Organisation.objects.filter(name="夕阳红志愿服务队").count() == 1
    events = OrganisationEvent.objects.count()
    assert counts(applied(ab, "organisations", rows)) == (0, 0, 3, 0)
    assert OrganisationEvent.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad, column, reason",
    [
        (org_row("某业委会", "业主委员会"), "类别", "不是可选值"),
        (org_row("某单位", "驻社区单位", "乙小区"), "所在小区", "没有名为"),
        (org_row("长" * 151, "驻社区单位"), "名称", "不能超过 150 个字符"),
        (org_row("某单位", None), "类别", "必填项不能为空"),
        (org_row("某单位", "驻社区单位", None, "2018-02-30"), "成立（登记）日期", "不是有效日期"),
    ],
)
def test_organisation_bad_values_are_refused_with_row_and_column(ab, bad, column, reason):
    job = validated(ab, "organisations", [org_row(*ORG_ROWS[0]), bad])
    assert counts(job) == (1, 0, 0, 1)
    row, header, message = reasons(job)[0]
    assert (row, header) == (3, column) and reason in message, message
    assert not import_job_confirm(user=ab["user"], job=job)
    assert not Organisation.objects.filter(name="市第二医院社区服务站").exists()


@pytest.mark.django_db
def test_volunteer_service_admin_list_runs_a_fixed_number_of_queries(client, ab):
    from tests.factories import VolunteerServiceFactory
    from tests.helpers import query_count

    client.force_login(user_with_role(Role.STREET_ADMIN, street=ab["a"].street))
    url = reverse("admin:communities_volunteerservice_changelist")
    VolunteerServiceFactory.create_batch(2, community=ab["a"])
    client.get(url)
    small = query_count(client, url)
    VolunteerServiceFactory.create_batch(20, community=ab["b"])
    assert query_count(client, url) == small
