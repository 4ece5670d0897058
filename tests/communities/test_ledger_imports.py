"""The small ledgers' Excel imports (issue #4 "Excel in", communities.ledger_imports*):
special-group memberships, volunteers, volunteer service hours, resident units and social
organisations. On real PostgreSQL: templates (headers, dropdowns, example row, notes sheet),
preview counts -> confirm -> rows written through the services, the same file again all
unchanged, boundary and bad values refused in Chinese with row and column and nothing
written, cross-community refusals, the admin and portal entries, and one import through a
real Celery worker."""

import datetime as dt
import io
import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from communities.models import (
    Organisation,
    OrganisationEvent,
    OrgKind,
    SpecialGroupMember,
    SpecialGroupMemberEvent,
    Volunteer,
    VolunteerEvent,
    VolunteerService,
)
from core.imports import (
    get_spec,
    import_job_apply,
    import_job_confirm,
    import_job_create,
    import_job_validate,
)
from core.models import ImportJob, ImportState, Role
from tests.factories import (
    CommunityFactory,
    CompoundFactory,
    OrganisationFactory,
    ResidentFactory,
    SpecialGroupMemberFactory,
    VolunteerFactory,
    special_group_types,
    user_with_role,
    valid_id_number,
)

SHEETS = {
    "special_groups": "特殊群体",
    "volunteers": "志愿者",
    "volunteer_services": "服务记录",
    "organisations": "单位和组织",
}
HEADERS = {
    "special_groups": [
        "身份证号",
        "姓名",
        "类别",
        "起始日期",
        "终止日期",
        "等级",
        "月保障金额（元）",
        "保障人口",
        "备注",
    ],
    "volunteers": ["姓名", "联系电话", "所属社会组织", "服务特长", "注册日期", "是否在册"],
    "volunteer_services": ["姓名", "联系电话", "服务日期", "服务内容", "服务时长（小时）"],
    "organisations": [
        "名称",
        "类别",
        "所在小区",
        "成立（登记）日期",
        "登记（备案）号",
        "联系人",
        "联系电话",
        "备注",
    ],
}
DROPDOWNS = {
    "special_groups": {"类别", "等级"},
    "volunteers": {"是否在册"},
    "volunteer_services": set(),
    "organisations": {"类别"},
}
ADMIN = {
    "special_groups": "communities_specialgroupmember",
    "volunteers": "communities_volunteer",
    "volunteer_services": "communities_volunteerservice",
    "organisations": "communities_organisation",
}


def years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return day + dt.timedelta(days=days)


OLD_ID = valid_id_number(years_ago(80), 11)  # 80 today: 高龄 boundary, accepted
YOUNG_ID = valid_id_number(years_ago(80, days=1), 13)  # 80 tomorrow: still 79
POOR_ID = valid_id_number(dt.date(1970, 5, 6), 22)
DISABLED_ID = valid_id_number(dt.date(1985, 9, 9), 31)
B_ID = valid_id_number(dt.date(1960, 1, 2), 41)
BAD_CHECK = "1" if DISABLED_ID[-1] != "1" else "2"


@pytest.fixture
def ab(db):
    """Communities A and B of one street, the committee director of each, residents in A (a
    man of exactly 80, one of 79, two others) and one in B, a compound and a social
    organisation in A, a compound in B."""
    special_group_types()
    a = CommunityFactory(name="甲社区")
    b = CommunityFactory(name="乙社区", street=a.street)
    residents = {
        "old": ResidentFactory(community=a, name="张老", id_number=OLD_ID),
        "young": ResidentFactory(community=a, name="李小", id_number=YOUNG_ID),
        "poor": ResidentFactory(community=a, name="王低", id_number=POOR_ID),
        "disabled": ResidentFactory(community=a, name="赵残", id_number=DISABLED_ID),
        "b": ResidentFactory(community=b, name="钱乙", id_number=B_ID),
    }
    return {
        "a": a,
        "b": b,
        "user": user_with_role(Role.COMMITTEE_DIRECTOR, community=a),
        "user_b": user_with_role(Role.COMMITTEE_DIRECTOR, community=b),
        "residents": residents,
        "compound": CompoundFactory(community=a, name="幸福小区"),
        "b_compound": CompoundFactory(community=b, name="乙小区"),
        "org": OrganisationFactory(community=a, name="夕阳红志愿服务队", kind=OrgKind.SOCIAL_ORG),
    }


def xlsx(kind, rows, headers=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEETS[kind]
    ws.append(headers or HEADERS[kind])
    for values in rows:
        ws.append(list(values))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(data):
    return SimpleUploadedFile("台帐.xlsx", data, content_type="application/octet-stream")


def validated(ab, kind, rows, user=None, community=None):
    job = import_job_create(
        user=user or ab["user"],
        spec=get_spec(kind),
        community=community or ab["a"],
        upload=upload(xlsx(kind, rows)),
    )
    import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    return job


def applied(ab, kind, rows, user=None, community=None):
    job = validated(ab, kind, rows, user=user, community=community)
    assert job.can_confirm, (job.state, job.message, job.errors)
    assert import_job_confirm(user=user or ab["user"], job=job)
    assert import_job_apply(job_id=job.pk) == ImportState.DONE
    job.refresh_from_db()
    return job


def counts(job):
    return (job.rows_new, job.rows_updated, job.rows_unchanged, job.rows_invalid)


def reasons(job):
    return [(e["row"], e["column"], e["reason"]) for e in job.errors]


# --- templates and entries ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(SHEETS))
def test_template_has_chinese_headers_dropdowns_example_row_and_notes(client, ab, kind):
    client.force_login(ab["user"])
    response = client.get(reverse("portal:import_template", args=[kind]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [SHEETS[kind], "选项", "说明"]
    data = wb[SHEETS[kind]]
    headers = [c.value for c in data[1]]
    assert headers == HEADERS[kind] and data.max_row == 1
    lists = {
        headers[next(iter(dv.sqref.ranges)).min_col - 1]
        for dv in data.data_validations.dataValidation
        if dv.type == "list"
    }
    assert lists == DROPDOWNS[kind]
    notes = list(wb["说明"].iter_rows(values_only=True))
    text = "\n".join(" ".join(str(v) for v in r if v is not None) for r in notes)
    assert str(get_spec(kind).title) in text and "ORG-" in text
    example = next(i for i, r in enumerate(notes) if r[0] and "示例行" in str(r[0]))
    assert list(notes[example + 1][: len(headers)]) == headers
    assert any(v not in (None, "") for v in notes[example + 2])  # the example row itself
    if kind == "special_groups":
        options = {v for r in wb["选项"].iter_rows(values_only=True) for v in r if v}
        assert {"低保", "残疾人", "高龄老人", "一级"} <= options


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(SHEETS))
def test_admin_changelist_offers_import_and_template(client, ab, kind):
    client.force_login(user_with_role(Role.STREET_ADMIN, street=ab["a"].street))
    changelist = client.get(reverse(f"admin:{ADMIN[kind]}_changelist"))
    assert changelist.status_code == 200
    assert reverse(f"admin:{ADMIN[kind]}_import") in changelist.content.decode()
    assert client.get(reverse(f"admin:{ADMIN[kind]}_import")).status_code == 200
    template = client.get(reverse(f"admin:{ADMIN[kind]}_template"))
    assert load_workbook(io.BytesIO(template.content)).sheetnames[0] == SHEETS[kind]


@pytest.mark.django_db
def test_portal_ledger_pages_link_the_imports_by_permission(client, ab):
    a = ab["a"]
    pages = {
        reverse("ledgers:special_groups", args=[a.pk]): ["special_groups"],
        reverse("ledgers:volunteers", args=[a.pk]): ["volunteers", "volunteer_services"],
        reverse("portal:community", args=[a.pk]): ["organisations"],
    }
    client.force_login(ab["user"])
    for page, kinds in pages.items():
        body = client.get(page).content.decode()
        for kind in kinds:
            assert reverse("portal:import_upload", args=[kind]) in body, (page, kind)
    client.force_login(user_with_role(Role.MEMBER, community=a))  # reads, may not import
    for page, kinds in pages.items():
        body = client.get(page).content.decode()
        for kind in kinds:
            assert reverse("portal:import_upload", args=[kind]) not in body


# --- special groups -------------------------------------------------------------------------

GROUP_ROWS = [
    [POOR_ID, "王低", "低保", "2024-01-01", None, None, "650.00", 2, None],
    [DISABLED_ID, "", "残疾人", "2023-05-01", None, "二级", None, None, "肢体"],
    [OLD_ID, "张老", "elderly_80", "2025-01-01", None, None, None, None, None],
]


@pytest.mark.django_db
def test_special_groups_preview_apply_and_reimport_unchanged(ab):
    job = validated(ab, "special_groups", GROUP_ROWS)
    assert (job.state, *counts(job)) == ("validated", 3, 0, 0, 0)
    assert not SpecialGroupMember.objects.exists()  # the validation wrote nothing
    job = applied(ab, "special_groups", GROUP_ROWS)
    assert counts(job) == (3, 0, 0, 0)
    poor = SpecialGroupMember.objects.get(resident=ab["residents"]["poor"])
    assert (poor.group_type.code, poor.monthly_amount, poor.household_size) == (
        "dibao",
        Decimal("650.00"),
        2,
    )
    assert poor.community == ab["a"] and poor.starts_on == dt.date(2024, 1, 1)
    disabled = SpecialGroupMember.objects.get(resident=ab["residents"]["disabled"])
    assert (disabled.grade, disabled.note) == ("2", "肢体")
    events = SpecialGroupMemberEvent.objects.count()
    again = applied(ab, "special_groups", GROUP_ROWS)
    assert counts(again) == (0, 0, 3, 0)
    assert SpecialGroupMember.objects.count() == 3
    assert SpecialGroupMemberEvent.objects.count() == events  # nothing written


@pytest.mark.django_db
def test_special_groups_update_the_matched_or_open_membership_instead_of_duplicating(ab):
    existing = SpecialGroupMemberFactory(resident=ab["residents"]["poor"], community=ab["a"])
    rows = [
        [POOR_ID, None, "低保", "2024-01-01", None, None, "700", None, None],  # same start
        [DISABLED_ID, None, "残疾人", "2023-05-01", None, "一级", None, None, None],
    ]
    SpecialGroupMemberFactory(
        resident=ab["residents"]["disabled"],
        community=ab["a"],
        group_type=special_group_types()["disabled"],
        starts_on=dt.date(2023, 6, 1),  # open, typed differently in the file
    )
    job = applied(ab, "special_groups", rows)
    assert counts(job) == (0, 2, 0, 0)
    existing.refresh_from_db()
    assert existing.monthly_amount == Decimal("700.00")
    disabled = SpecialGroupMember.objects.get(resident=ab["residents"]["disabled"])
    assert (disabled.starts_on, disabled.grade) == (dt.date(2023, 5, 1), "1")
    # Ending the membership through the file.
    ended = [[POOR_ID, None, "低保", "2024-01-01", "2025-06-30", None, None, None, None]]
    assert counts(applied(ab, "special_groups", ended)) == (0, 1, 0, 0)
    existing.refresh_from_db()
    assert existing.ends_on == dt.date(2025, 6, 30)
    assert SpecialGroupMember.objects.count() == 2


GOOD_GROUP = GROUP_ROWS[0]


def _group(**cells):
    keys = ["id", "name", "group", "starts", "ends", "grade", "amount", "size", "note"]
    values = dict(zip(keys, GROUP_ROWS[1], strict=True))
    values.update(cells)
    return [values[k] for k in keys]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad, column, reason",
    [
        (_group(group="低保", grade=None, amount="-0.01"), "月保障金额（元）", "大于或等于"),
        (_group(group="低保", grade=None, amount="650.005"), "月保障金额（元）", "2 位小数"),
        (_group(group="低保", grade=None, amount=None), "月保障金额（元）", "须登记月保障金额"),
        (_group(amount="100"), "月保障金额（元）", "不登记金额"),
        (_group(grade=None), "等级", "须登记等级"),
        (_group(grade="五级"), "等级", "不是可选值"),
        (_group(ends="2023-04-30"), "终止日期", "不能早于起始日期"),
        (_group(starts="2023-13-01"), "起始日期", "不是有效日期"),
        (_group(starts=None), "起始日期", "必填项不能为空"),
        (_group(group="贫困户"), "类别", "不是本社区的特殊群体类别"),
        (_group(id=YOUNG_ID, group="高龄老人", grade=None), "类别", "须年满 80 周岁"),
        (_group(id=B_ID), "身份证号", "本社区居民台帐中没有"),
        (_group(id=DISABLED_ID[:-1] + BAD_CHECK), "身份证号", "校验码不正确"),
        (_group(id=DISABLED_ID[:4] + "**********" + DISABLED_ID[-4:]), "身份证号", "脱敏"),
        (_group(name="赵四"), "姓名", "不一致"),
        (_group(size=-1), "保障人口", "大于或等于"),
    ],
)
def test_special_groups_bad_values_are_refused_with_row_and_column(ab, bad, column, reason):
    job = validated(ab, "special_groups", [GOOD_GROUP, bad])
    assert counts(job) == (1, 0, 0, 1)
    assert len(job.errors) == 1, job.errors
    row, header, message = reasons(job)[0]
    assert (row, header) == (3, column) and reason in message, message
    assert not import_job_confirm(user=ab["user"], job=job)
    assert not SpecialGroupMember.objects.exists()


@pytest.mark.django_db
def test_special_groups_boundaries_that_are_accepted(ab):
    rows = [
        _group(id=OLD_ID, name="张老", group="高龄老人", grade=None),  # 80 today
        _group(id=POOR_ID, name="王低", group="低保", grade=None, amount="0"),
        _group(starts="2023-05-01", ends="2023-05-01"),  # ends on the day it starts
    ]
    assert counts(applied(ab, "special_groups", rows)) == (3, 0, 0, 0)


@pytest.mark.django_db
def test_special_groups_error_report_names_sheet_row_column_value_and_reason(client, ab):
    job = validated(ab, "special_groups", [GOOD_GROUP, _group(amount="100")])
    client.force_login(ab["user"])
    response = client.get(reverse("portal:import_errors", args=[job.pk]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行号", "列", "值", "原因")
    assert rows[1][:3] == ("特殊群体", 3, "月保障金额（元）") and "不登记金额" in rows[1][4]


# --- volunteers and service hours ---------------------------------------------------------

VOLUNTEER_ROWS = [
    ["李梅", "137 0000 0001", "夕阳红志愿服务队", "助老", "2024-03-05", "是"],
    ["周强", "13700000002", None, "理发", "2024/4/1", None],
]
SERVICE_ROWS = [
    ["李梅", "13700000001", "2025-03-05", "社区环境整治", "2.5"],
    ["李梅", "13700000001", "2025-03-06", "助老送餐", "24"],
    ["周强", "13700000002", "2025-03-05", "义务理发", "0.5"],
]


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

ORG_ROWS = [
    [
        "市第二医院社区服务站",
        "驻社区单位",
        "幸福小区",
        "2018-06-01",
        "JG-001",
        "王强",
        "0431-88880000",
    ],
    ["夕阳红志愿服务队", "社区社会组织", None, None, "SH-009", "刘芳", None],  # the existing one
    ["书香读书会", "social_org", None, "2021/9/1", None, None, None],
]


def _org(*cells):
    return [*cells, *([None] * (8 - len(cells)))]


@pytest.mark.django_db
def test_organisations_preview_apply_match_by_name_and_reimport_unchanged(ab):
    rows = [_org(*r) for r in ORG_ROWS]
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
        (_org("某业委会", "业主委员会"), "类别", "不是可选值"),
        (_org("某单位", "驻社区单位", "乙小区"), "所在小区", "没有名为"),
        (_org("长" * 151, "驻社区单位"), "名称", "不能超过 150 个字符"),
        (_org("某单位", None), "类别", "必填项不能为空"),
        (_org("某单位", "驻社区单位", None, "2018-02-30"), "成立（登记）日期", "不是有效日期"),
    ],
)
def test_organisation_bad_values_are_refused_with_row_and_column(ab, bad, column, reason):
    job = validated(ab, "organisations", [_org(*ORG_ROWS[0]), bad])
    assert counts(job) == (1, 0, 0, 1)
    row, header, message = reasons(job)[0]
    assert (row, header) == (3, column) and reason in message, message
    assert not import_job_confirm(user=ab["user"], job=job)
    assert not Organisation.objects.filter(name="市第二医院社区服务站").exists()


# --- scoping ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(SHEETS))
def test_a_user_of_a_cannot_import_into_b(client, ab, kind):
    with pytest.raises(Http404):
        import_job_create(
            user=ab["user"],
            spec=get_spec(kind),
            community=ab["b"],
            upload=upload(xlsx(kind, [[None] * len(HEADERS[kind])])),
        )
    client.force_login(ab["user"])
    response = client.post(
        reverse("portal:import_upload", args=[kind]),
        {"community": ab["b"].pk, "file": upload(xlsx(kind, [["x"] * len(HEADERS[kind])]))},
    )
    assert "community" in response.context["form"].errors
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_rows_of_community_b_are_never_matched_from_a(client, ab):
    b_member = SpecialGroupMemberFactory(resident=ab["residents"]["b"], community=ab["b"])
    b_volunteer = VolunteerFactory(community=ab["b"], name="李梅", phone="13700000001")
    b_org = OrganisationFactory(community=ab["b"], name="书香读书会", kind=OrgKind.SOCIAL_ORG)
    # B's resident by ID number: refused, B's membership untouched.
    job = validated(ab, "special_groups", [[B_ID, None, "低保", "2024-01-01", None, None, "1"]])
    assert "本社区居民台帐中没有" in reasons(job)[0][2] and job.rows_invalid == 1
    # The same volunteer and organisation names in A are new records of A.
    assert counts(applied(ab, "volunteers", VOLUNTEER_ROWS[:1])) == (1, 0, 0, 0)
    assert counts(applied(ab, "organisations", [_org(*ORG_ROWS[2])])) == (1, 0, 0, 0)
    # Hours of B's volunteer cannot be imported into A by name and phone either.
    services = validated(
        ab, "volunteer_services", [["钱乙", b_volunteer.phone, "2025-03-05", "助老", "1"]]
    )
    assert services.rows_invalid == 1
    for obj in (b_member, b_volunteer, b_org):
        before = obj.updated_at
        obj.refresh_from_db()
        assert obj.updated_at == before and obj.community == ab["b"]
    assert b_member.monthly_amount == Decimal("650.00")
    assert Volunteer.objects.filter(community=ab["b"]).count() == 1
    # A's user cannot see or confirm B's job.
    job_b = validated(ab, "volunteers", VOLUNTEER_ROWS[1:], user=ab["user_b"], community=ab["b"])
    assert job_b.rows_new == 1
    client.force_login(ab["user"])
    assert client.get(reverse("portal:import_job", args=[job_b.pk])).status_code == 404
    assert client.post(reverse("portal:import_confirm", args=[job_b.pk])).status_code == 404
    job_b.refresh_from_db()
    assert job_b.state == ImportState.VALIDATED and job_b.confirmed_by is None


# --- the task path: a real worker -----------------------------------------------------------------


def _wait_for(job, states, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job stayed {job.state}")


@pytest.mark.django_db(transaction=True)
def test_special_groups_import_through_a_real_celery_worker(
    client, ab, settings, celery_worker_process
):
    settings.IMPORT_QUEUE = celery_worker_process
    client.force_login(ab["user"])
    response = client.post(
        reverse("portal:import_upload", args=["special_groups"]),
        {"community": ab["a"].pk, "file": upload(xlsx("special_groups", GROUP_ROWS))},
    )
    assert response.status_code == 302
    job = _wait_for(ImportJob.objects.get(), {ImportState.VALIDATED, ImportState.FAILED})
    assert (job.state, *counts(job)) == ("validated", 3, 0, 0, 0), job.errors
    assert not SpecialGroupMember.objects.exists()
    client.post(reverse("portal:import_confirm", args=[job.pk]))
    job = _wait_for(job, {ImportState.DONE, ImportState.FAILED})
    assert job.state == ImportState.DONE, job.message
    assert SpecialGroupMember.objects.filter(community=ab["a"]).count() == 3


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
