"""The small ledgers' Excel imports (issue #4 "Excel in", communities.ledger_imports*), on
real PostgreSQL: for every spec (special groups, volunteers, service hours, resident units
and social organisations) the template (headers, dropdowns, example row, notes sheet), the
admin and portal entries and the cross-community refusals; the special groups' preview
counts -> confirm -> rows written through the services, the same file again all unchanged,
boundary and bad values refused in Chinese with row and column and nothing written; and one
import through a real Celery worker. The other specs' rows: test_ledger_imports_volunteers."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse
from openpyxl import load_workbook

from communities.models import (
    OrgKind,
    SpecialGroupMember,
    SpecialGroupMemberEvent,
    Volunteer,
)
from core.imports import (
    get_spec,
    import_job_confirm,
    import_job_create,
)
from core.models import ImportJob, ImportState, Role
from tests.communities.ledger_import_helpers import (  # noqa: F401  (ab: the fixture)
    ADMIN,
    B_ID,
    BAD_CHECK,
    DISABLED_ID,
    DROPDOWNS,
    HEADERS,
    OLD_ID,
    ORG_ROWS,
    POOR_ID,
    SHEETS,
    VOLUNTEER_ROWS,
    YOUNG_ID,
    ab_fixture,
    applied,
    counts,
    org_row,
    reasons,
    upload,
    validated,
    wait_for,
    xlsx,
)
from tests.factories import (
    OrganisationFactory,
    SpecialGroupMemberFactory,
    VolunteerFactory,
    special_group_types,
    user_with_role,
)

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
    assert counts(applied(ab, "organisations", [org_row(*ORG_ROWS[2])])) == (1, 0, 0, 0)
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
    job = wait_for(ImportJob.objects.get(), {ImportState.VALIDATED, ImportState.FAILED})
    assert (job.state, *counts(job)) == ("validated", 3, 0, 0, 0), job.errors
    assert not SpecialGroupMember.objects.exists()
    client.post(reverse("portal:import_confirm", args=[job.pk]))
    job = wait_for(job, {ImportState.DONE, ImportState.FAILED})
    assert job.state == ImportState.DONE, job.message
    assert SpecialGroupMember.objects.filter(community=ab["a"]).count() == 3
