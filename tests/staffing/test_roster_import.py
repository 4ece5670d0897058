"""The roster import (staffing.imports.RosterSpec) and export: preview counts, apply,
re-import unchanged with nothing written, updates without duplicates, STAFF-4/STAFF-8 refused
with their rule id, export -> import unchanged, the admin's 导入/导出."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core.imports import (
    get_spec,
    import_job_apply,
    import_job_confirm,
    import_job_create,
    import_job_validate,
)
from core.models import ImportJob, ImportState, Role
from staffing.models import Post, PostTerm, PostTermEvent, Worker, WorkerEvent
from tests.factories import CommunityFactory, StreetFactory, user_with_role
from tests.staffing.factories import PostTermFactory, WorkerFactory

D = dt.date
HEADERS = ["姓名", "性别", "联系电话", "人员来源", "是否专职", "入职日期", "职务", "任期开始"]
HEADERS += ["任期届满", "产生方式"]


def row(name="张三", post="居委会委员", start="2021-01-01", end=None, **kw):
    values = {
        "姓名": name,
        "性别": kw.get("gender", "女"),
        "联系电话": kw.get("phone", "13800000001"),
        "人员来源": kw.get("source", "公开招聘（高校毕业生）"),
        "是否专职": kw.get("full_time", "是"),
        "入职日期": kw.get("hired", "2020-03-01"),
        "职务": post,
        "任期开始": start,
        "任期届满": end,
        "产生方式": kw.get("selection", "选举产生"),
    }
    return [values[h] for h in HEADERS]


GOOD = [
    row("张三", "居委会主任", "2021-01-01", "2025-12-31"),
    row("张三", "党组织委员", "2021-01-01"),
    row("李四", "网格员", "2022-05-01", phone="13900000002", gender="男", full_time="否"),
]


def xlsx(rows, headers=HEADERS, title="花名册") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def a(ab):
    return ab["a"]


@pytest.fixture
def director(ab):
    return ab["user_a"]


def validated(user, community, data):
    job = import_job_create(
        user=user,
        spec=get_spec("roster"),
        community=community,
        upload=SimpleUploadedFile("花名册.xlsx", data),
    )
    import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    return job


def applied(user, community, data):
    job = validated(user, community, data)
    assert job.can_confirm, job.errors
    assert import_job_confirm(user=user, job=job)
    assert import_job_apply(job_id=job.pk) == ImportState.DONE, ImportJob.objects.get(pk=job.pk)
    job.refresh_from_db()
    return job


def counts(job):
    return {
        "new": job.rows_new,
        "updated": job.rows_updated,
        "unchanged": job.rows_unchanged,
        "invalid": job.rows_invalid,
    }


def snapshot():
    return (
        Worker.objects.count(),
        PostTerm.objects.count(),
        WorkerEvent.objects.count(),
        PostTermEvent.objects.count(),
    )


@pytest.mark.django_db
def test_good_file_previews_counts_then_applies(a, director):
    job = validated(director, a, xlsx(GOOD))
    assert job.state == ImportState.VALIDATED
    assert counts(job) == {"new": 3, "updated": 0, "unchanged": 0, "invalid": 0}
    assert (job.rows_total, job.rows_done) == (3, 3)
    assert not Worker.objects.exists()  # the preview wrote nothing
    assert not WorkerEvent.objects.exists()
    job = applied(director, a, xlsx(GOOD))
    assert job.state == ImportState.DONE and job.finished_at
    zhang = Worker.objects.get(community=a, name="张三")
    assert (zhang.gender, zhang.phone, zhang.source, zhang.is_full_time, zhang.hired_on) == (
        "female",
        "13800000001",
        "recruited_graduate",
        True,
        D(2020, 3, 1),
    )
    assert set(zhang.terms.values_list("post", "starts_on", "ends_on")) == {
        (Post.COMMITTEE_DIRECTOR, D(2021, 1, 1), D(2025, 12, 31)),
        (Post.PARTY_MEMBER, D(2021, 1, 1), None),
    }
    li = Worker.objects.get(name="李四")
    assert li.is_full_time is False and li.gender == "male"
    assert li.terms.get().community == a


@pytest.mark.django_db
def test_reimport_of_the_same_file_is_all_unchanged_and_writes_nothing(a, director):
    applied(director, a, xlsx(GOOD))
    before = snapshot()
    job = applied(director, a, xlsx(GOOD))
    assert counts(job) == {"new": 0, "updated": 0, "unchanged": 3, "invalid": 0}
    assert snapshot() == before  # rows and pghistory events


@pytest.mark.django_db
def test_matched_rows_are_updated_never_duplicated(a, director):
    applied(director, a, xlsx(GOOD))
    changed = [
        row("张三", "居委会主任", "2021-01-01", "2026-06-30"),  # term end changed
        row("张三", "党组织委员", "2021-01-01"),
        row("李四", "网格员", "2022-05-01", phone="13900000002", gender="男", full_time="是"),
    ]
    events = PostTermEvent.objects.count()
    job = applied(director, a, xlsx(changed))
    assert counts(job) == {"new": 0, "updated": 2, "unchanged": 1, "invalid": 0}
    assert Worker.objects.count() == 2 and PostTerm.objects.count() == 3
    assert Worker.objects.get(name="李四").is_full_time is True
    term = PostTerm.objects.get(post=Post.COMMITTEE_DIRECTOR)
    assert term.ends_on == D(2026, 6, 30)
    assert PostTermEvent.objects.count() == events + 1


@pytest.mark.django_db
def test_blank_cells_keep_existing_values(a, director):
    WorkerFactory(
        community=a, name="王五", phone="13700000000", gender="male", hired_on=D(2019, 1, 1)
    )
    blank = [["王五", None, "13700000000", None, None, None, None, None, None, None]]
    job = applied(director, a, xlsx(blank))
    assert counts(job)["unchanged"] == 1
    assert Worker.objects.get(name="王五").hired_on == D(2019, 1, 1)


@pytest.mark.django_db
def test_invalid_rows_are_reported_and_nothing_is_written(a, director):
    bad = [
        GOOD[0],
        row("", "居委会委员"),  # name missing
        row("赵六", "居委会秘书"),  # not a post
        row("钱七", "居委会委员", "2024-05-01", "2024-01-01"),  # STAFF-4 end before start
        row("孙八", "居委会委员", None),  # post without start
    ]
    job = validated(director, a, xlsx(bad))
    assert counts(job) == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 4}
    found = {(e["row"], e["column"]) for e in job.errors}
    assert found == {(3, "姓名"), (4, "职务"), (5, "任期届满"), (6, "任期开始")}
    assert all(e["sheet"] == "花名册" and e["reason"] for e in job.errors)
    by_row = {e["row"]: e for e in job.errors}
    assert by_row[4]["value"] == "居委会秘书" and "不是可选值" in by_row[4]["reason"]
    assert "STAFF-4" in by_row[5]["reason"]
    assert not job.can_confirm
    assert import_job_confirm(user=director, job=job) is False
    assert snapshot() == (0, 0, 0, 0)


@pytest.mark.django_db
def test_staff8_pair_in_the_file_is_refused_with_its_rule_id(a, director, client):
    rows = [
        row("张三", "居委会主任", "2021-01-01"),
        row("张三", "会计", "2022-01-01"),
    ]
    job = validated(director, a, xlsx(rows))
    assert counts(job) == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    [error] = job.errors
    assert (error["row"], error["column"], error["value"]) == (3, "职务", "会计")
    assert "[STAFF-8]" in error["reason"] and "不得兼任会计" in error["reason"]
    client.force_login(director)
    report = client.get(reverse("portal:import_errors", args=[job.pk]))
    cells = list(load_workbook(io.BytesIO(report.content)).active.iter_rows(values_only=True))
    assert "[STAFF-8]" in cells[1][4]
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_staff8_against_a_post_already_held_is_refused(a, director):
    worker = WorkerFactory(community=a, name="张三", phone="13800000001")
    PostTermFactory(worker=worker, post=Post.PARTY_SECRETARY, starts_on=D(2020, 1, 1))
    job = validated(director, a, xlsx([row("张三", "出纳", "2023-01-01")]))
    assert job.rows_invalid == 1 and "[STAFF-8]" in job.errors[0]["reason"]


@pytest.mark.django_db
def test_staff4_overlapping_terms_in_one_post_refused(a, director):
    rows = [
        row("张三", "网格员", "2021-01-01", "2023-12-31"),
        row("张三", "网格员", "2023-06-01"),
    ]
    job = validated(director, a, xlsx(rows))
    assert job.rows_invalid == 1
    error = job.errors[0]
    assert error["row"] == 3 and error["column"] == "任期开始" and "[STAFF-4]" in error["reason"]


@pytest.mark.django_db
def test_duplicate_and_inconsistent_rows_refused(a, director):
    rows = [
        GOOD[0],
        GOOD[0],
        row("张三", "网格员", "2021-01-01", gender="男"),
    ]
    job = validated(director, a, xlsx(rows))
    reasons = {e["row"]: e["reason"] for e in job.errors}
    assert reasons[3] == "与第 2 行重复"
    assert reasons[4] == "与第 2 行同一人员的“性别”不一致"


@pytest.mark.django_db
def test_a_second_post_of_a_new_worker_in_the_same_file_uses_the_same_worker(a, director):
    job = applied(director, a, xlsx(GOOD[:2]))
    assert counts(job)["new"] == 2
    assert Worker.objects.filter(name="张三").count() == 1


@pytest.mark.django_db
def test_export_then_reimport_is_unchanged(client, a, director):
    worker = WorkerFactory(community=a, name="=SUM(1)", phone="+8613800000000", gender="")
    PostTermFactory(worker=worker, post=Post.GRID_WORKER, starts_on=D(2021, 1, 1))
    PostTermFactory(
        worker=worker, post=Post.COMMITTEE_MEMBER, starts_on=D(2020, 1, 1), ends_on=D(2022, 1, 1)
    )
    WorkerFactory(community=a, name="无职务")
    left = WorkerFactory(community=a, name="已离职", left_on=D(2023, 1, 1))
    WorkerFactory(community=CommunityFactory(), name="别的社区")
    client.force_login(director)
    response = client.get(reverse("portal:import_export", args=["roster"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["花名册"]
    names = [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["'=SUM(1)", "'=SUM(1)", "无职务"]  # formula-escaped, scoped
    assert left.name not in names
    before = snapshot()
    job = applied(director, a, response.content)
    assert counts(job) == {"new": 0, "updated": 0, "unchanged": 3, "invalid": 0}
    assert snapshot() == before


@pytest.mark.django_db
def test_admin_changelist_offers_import_and_export(client, a, director):
    client.force_login(director)
    body = client.get(reverse("admin:staffing_worker_changelist")).content.decode()
    assert reverse("admin:staffing_worker_import") in body
    assert reverse("admin:staffing_worker_export") in body
    page = client.get(reverse("admin:staffing_worker_import"))
    assert page.status_code == 200
    choices = dict(page.context["form"].fields["community"].choices)
    assert str(a.pk) in choices and "all" in choices and len(choices) == 2
    template = client.get(reverse("admin:staffing_worker_template"))
    assert load_workbook(io.BytesIO(template.content)).sheetnames[0] == "花名册"


@pytest.mark.django_db
def test_admin_street_wide_import_by_community_column(client):
    street = StreetFactory()
    east, west = (
        CommunityFactory(street=street, name="东社区"),
        CommunityFactory(street=street, name="西社区"),
    )
    CommunityFactory(name="外街道社区")
    admin_user = user_with_role(Role.STREET_ADMIN, street=street)
    client.force_login(admin_user)
    rows = [
        ["东社区", *row("张三")],
        ["西社区", *row("李四", phone="13900000002")],
        ["外街道社区", *row("王五", phone="13700000003")],
        [None, *row("赵六", phone="13600000004")],
    ]
    response = client.post(
        reverse("admin:staffing_worker_import"),
        {
            "community": "all",
            "file": SimpleUploadedFile("all.xlsx", xlsx(rows, ["社区", *HEADERS])),
        },
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:staffing_worker_import_job", args=[job.pk])
    assert job.community is None
    import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    assert counts(job) == {"new": 2, "updated": 0, "unchanged": 0, "invalid": 2}
    reasons = {e["row"]: e["reason"] for e in job.errors}
    assert "不存在或不在您的管理范围内" in reasons[4] and "全街道导入须填写社区" in reasons[5]
    page = client.get(reverse("admin:staffing_worker_import_job", args=[job.pk]))
    assert page.status_code == 200 and "下载错误报告" in page.content.decode()
    assert west and east


@pytest.mark.django_db
def test_admin_export_is_scoped_and_filtered_by_community(client, ab, director):
    WorkerFactory(community=ab["a"], name="甲的人")
    WorkerFactory(community=ab["b"], name="乙的人")
    client.force_login(director)
    response = client.get(reverse("admin:staffing_worker_export"))
    names = [
        r[1]
        for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(
            min_row=2, values_only=True
        )
    ]
    assert names == ["甲的人"]
    url = reverse("admin:staffing_worker_export") + f"?community={ab['b'].pk}"
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_worker_list_links_roster_export_and_import_by_permission(client):
    community = CommunityFactory()
    url = reverse("staffing:workers", args=[community.pk])
    upload = reverse("portal:import_upload", args=["roster"])
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=community))
    body = client.get(url).content.decode()
    assert upload in body and reverse("portal:import_export", args=["roster"]) in body
    client.force_login(user_with_role(Role.MEMBER, community=community))
    assert f'href="{upload}"' not in client.get(url).content.decode()
