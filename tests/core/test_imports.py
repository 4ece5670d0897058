"""The Excel import framework (core.imports): template, cell parsing, hostile files refused
with a Chinese message before anything is stored, scoping of jobs, double confirm, cancel,
all-or-nothing apply, the task path through a real Celery worker, list query counts."""

import datetime as dt
import io
import os
import re
import struct
import threading
import time
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core.errors import RuleViolation
from core.imports import (
    BOOL,
    CHOICE,
    DATE,
    DECIMAL,
    INT,
    TEXT,
    CellError,
    Column,
    FileRejected,
    get_spec,
    import_job_apply,
    import_job_cancel,
    import_job_confirm,
    import_job_create,
    import_job_validate,
    open_sheet,
)
from core.models import ImportJob, ImportState, Role
from core.scoping import scoped
from staffing.models import Gender, Post, PostTerm, Worker
from tests.factories import CommunityFactory, StreetFactory, UserFactory, user_with_role
from tests.helpers import query_count

HEADERS = ["姓名", "性别", "联系电话", "人员来源", "是否专职", "入职日期", "职务", "任期开始"]
HEADERS += ["任期届满", "产生方式"]
ROW = ["张三", "女", "13800000001", "其他", "是", "2020-01-01", "居委会委员", "2021-01-01"]
ROW += [None, "选举产生"]


def xlsx(rows=(ROW,), headers=HEADERS, title="花名册") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    if headers is not None:
        ws.append(headers)
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def people(n, start=0):
    return [
        [f"人员{i}", "男", f"1390000{i:04d}", "其他", "是", "2020-01-01", "网格员", "2021-01-01"]
        + [None, "选举产生"]
        for i in range(start, start + n)
    ]


def upload(data, name="花名册.xlsx"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def roster():
    return get_spec("roster")


@pytest.fixture
def a_user(ab):
    return ab["user_a"]


def _create(user, community, data, name="花名册.xlsx"):
    return import_job_create(
        user=user, spec=get_spec("roster"), community=community, upload=upload(data, name)
    )


def _validated(user, community, data):
    job = _create(user, community, data)
    import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    return job


# --- template ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_template_has_headers_dropdowns_and_notes_sheet(client, a_user):
    client.force_login(a_user)
    response = client.get(reverse("portal:import_template", args=["roster"]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["花名册", "选项", "说明"]
    assert wb["选项"].sheet_state == "hidden"
    data = wb["花名册"]
    headers = [c.value for c in data[1]]
    assert headers == ["社区", *HEADERS]
    lists = {
        headers[next(iter(dv.sqref.ranges)).min_col - 1]: dv.formula1
        for dv in data.data_validations.dataValidation
        if dv.type == "list"
    }
    assert set(lists) == {"性别", "人员来源", "是否专职", "职务", "产生方式"}
    options = wb["选项"]
    column = lists["职务"].split("!")[1].split(":")[0].replace("$", "")[0]
    posts = [c.value for c in options[column] if c.value]
    assert posts == [str(label) for label in Post.labels]
    assert data.max_row == 1  # no example data in the data sheet: it would be imported
    notes = [" ".join(str(v) for v in row if v) for row in wb["说明"].iter_rows(values_only=True)]
    text = "\n".join(notes)
    assert "STAFF-8" in text and "STAFF-4" in text
    assert "联系电话" in text and "示例行" in text and "张三" in text


@pytest.mark.django_db
def test_template_needs_the_import_permission(client, ab):
    client.force_login(user_with_role(Role.GRID_WORKER, community=ab["a"]))
    assert client.get(reverse("portal:import_template", args=["roster"])).status_code == 403
    assert client.get(reverse("portal:import_upload", args=["roster"])).status_code == 403
    assert client.get(reverse("portal:import_upload", args=["nothing"])).status_code == 404


# --- cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        (dt.date(2024, 1, 31), dt.date(2024, 1, 31)),
        (dt.datetime(2024, 1, 31, 0, 0), dt.date(2024, 1, 31)),
        ("2024-01-31", dt.date(2024, 1, 31)),
        ("2024/1/31", dt.date(2024, 1, 31)),
        ("2024.1.31", dt.date(2024, 1, 31)),
        ("2024年1月31日", dt.date(2024, 1, 31)),
        ("20240131", dt.date(2024, 1, 31)),
        (20240131.0, dt.date(2024, 1, 31)),
        ("", None),
    ],
)
def test_date_cells_in_accepted_formats(raw, expected):
    assert Column("d", "日期", DATE).parse(raw) == expected


@pytest.mark.parametrize("raw", ["01/31/2024", "31.01.2024", "2024-13-01", "2024-02-30", "明天"])
def test_date_cells_in_wrong_formats_refused(raw):
    with pytest.raises(CellError, match="日期"):
        Column("d", "日期", DATE).parse(raw)


def test_excel_serial_number_is_not_guessed_as_a_date():
    with pytest.raises(CellError, match="日期格式不正确"):
        Column("d", "日期", DATE).parse(45321.0)


@pytest.mark.parametrize(
    "column, raw, expected",
    [
        (Column("n", "人数", INT), "12", 12),
        (Column("n", "人数", INT), " 1,234 ", 1234),
        (Column("n", "人数", INT), 12.0, 12),
        (Column("n", "人数", INT), "12.0", 12),
        (Column("m", "金额", DECIMAL, decimal_places=2), "1,234.50", Decimal("1234.50")),
        (Column("m", "金额", DECIMAL, decimal_places=2), 0.1, Decimal("0.1")),
        (Column("t", "电话", TEXT), 13800000000.0, "13800000000"),
        (Column("t", "姓名", TEXT), "  '=HYPERLINK(1)  ", "=HYPERLINK(1)"),
        (Column("t", "姓名", TEXT), "'李四", "'李四"),
        (Column("g", "性别", CHOICE, choices=Gender), "女", "female"),
        (Column("g", "性别", CHOICE, choices=Gender), "female", "female"),
        (Column("g", "性别", CHOICE, choices=Gender), " 男 ", "male"),
        (Column("b", "专职", BOOL), "是", True),
        (Column("b", "专职", BOOL), "否", False),
        (Column("b", "专职", BOOL), True, True),
        (Column("b", "专职", BOOL), 0.0, False),
    ],
)
def test_cells_are_read_as_their_column_type(column, raw, expected):
    assert column.parse(raw) == expected


@pytest.mark.parametrize(
    "column, raw, reason",
    [
        (Column("n", "人数", INT), "十二", "应为整数"),
        (Column("n", "人数", INT), "12.5", "应为整数"),
        (Column("m", "金额", DECIMAL, decimal_places=2), "1.005", "最多保留 2 位小数"),
        (Column("m", "金额", DECIMAL), "NaN", "应为数字"),
        (Column("m", "金额", DECIMAL), True, "应为数字"),
        (Column("g", "性别", CHOICE, choices=Gender), "未知", "不是可选值，应为：男、女"),
        (Column("b", "专职", BOOL), "也许", "应填“是”或“否”"),
        (Column("t", "姓名", TEXT, required=True), "  ", "必填项不能为空"),
        (Column("t", "姓名", TEXT, max_length=3), "欧阳娜娜", "不能超过 3 个字符"),
    ],
)
def test_bad_cells_refused_with_a_chinese_reason(column, raw, reason):
    with pytest.raises(CellError, match=reason):
        column.parse(raw)


# --- hostile and bad files -------------------------------------------------------------------


def _retype_as_macro_workbook(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
                assert b"macroEnabled" in content
            target.writestr(info.filename, content)
        target.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def _bomb(size=20 * 1024 * 1024) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("[Content_Types].xml", b"<Types/>")
        target.writestr("xl/worksheets/sheet1.xml", b"\x00" * size)
    return out.getvalue()


def _lying_bomb() -> bytes:
    """A member that declares 100 bytes and inflates to 2 MB of incompressible data: no
    ratio gives it away, only the true size (the header's is not trusted)."""
    size = 2 * 1024 * 1024
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("[Content_Types].xml", b"<Types/>")
        target.writestr("xl/worksheets/sheet1.xml", os.urandom(size))
    data = bytearray(out.getvalue())
    real = struct.pack("<I", size)
    fake = struct.pack("<I", 100)
    start = data.find(b"xl/worksheets/sheet1.xml")
    local = data.rfind(b"PK\x03\x04", 0, start)
    data[local + 22 : local + 26] = fake
    central = data.rfind(b"PK\x01\x02")  # the last central entry: the sheet's
    assert data[central + 24 : central + 28] == real
    data[central + 24 : central + 28] = fake
    return bytes(data)


def _with_doctype(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/workbook.xml":
                content = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + content
            target.writestr(info.filename, content)
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HOSTILE = {
    "random bytes": (lambda: os.urandom(4096), "不是 Excel 工作簿（.xlsx）"),
    "text renamed": (lambda: "姓名,性别\n张三,女\n".encode(), "改了扩展名"),
    "legacy xls": (lambda: OLE + b"\x00" * 2048, "旧版 Excel 文件（.xls）"),
    "encrypted": (
        lambda: OLE + b"\x00" * 512 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512,
        "设置了打开密码",
    ),
    "macro workbook": (lambda: _retype_as_macro_workbook(xlsx()), "启用宏的工作簿（.xlsm）"),
    "zip bomb": (_bomb, "疑似压缩炸弹"),
    "lying zip header": (_lying_bomb, "疑似压缩炸弹"),
    "doctype": (lambda: _with_doctype(xlsx()), "不安全的 XML"),
    "broken zip": (lambda: b"PK\x03\x04" + os.urandom(300), "已损坏"),
    "empty file": (lambda: b"", "文件为空"),
    "missing header": (
        lambda: xlsx(headers=[h for h in HEADERS if h != "联系电话"], rows=[ROW[:2] + ROW[3:]]),
        "缺少列：联系电话",
    ),
    "empty sheet": (lambda: xlsx(rows=(), headers=None), "是空的"),
    "header only": (lambda: xlsx(rows=()), "只有表头，没有数据行"),
    "duplicate column": (lambda: xlsx(headers=[*HEADERS, "姓名"]), "重复的列：姓名"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_and_bad_files_refused_in_chinese_and_nothing_stored(client, ab, case):
    make, message = HOSTILE[case]
    client.force_login(ab["user_a"])
    response = client.post(
        reverse("portal:import_upload", args=["roster"]),
        {"community": ab["a"].pk, "file": upload(make(), name="x.xlsx")},
    )
    assert response.status_code == 200
    assert message in response.content.decode(), case
    assert not ImportJob.objects.exists()
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_oversize_upload_refused_before_it_is_read(client, ab, settings):
    settings.IMPORT_MAX_BYTES = 2000
    client.force_login(ab["user_a"])
    data = xlsx(people(50))
    assert len(data) > 2000
    response = client.post(
        reverse("portal:import_upload", args=["roster"]),
        {"community": ab["a"].pk, "file": upload(data)},
    )
    assert "文件过大" in response.content.decode()
    assert not ImportJob.objects.exists()
    with pytest.raises(FileRejected, match="文件过大"):
        _create(ab["user_a"], ab["a"], data)


@pytest.mark.django_db
def test_too_many_rows_refused(ab, settings):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(FileRejected, match="数据行数超过上限（3 行）"):
        _create(ab["user_a"], ab["a"], xlsx(people(4)))
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_far_away_cell_is_one_more_row_and_a_wide_sheet_is_refused(ab, roster, settings):
    """The reader streams rows, so a cell far below the table costs one row, not the
    rectangle up to it; a column past IMPORT_MAX_COLUMNS is refused before any row is read."""
    settings.IMPORT_MAX_ROWS = 100
    wb = load_workbook(io.BytesIO(xlsx()))
    wb.active["B100000"] = "女"
    buffer = io.BytesIO()
    wb.save(buffer)
    sheet = open_sheet(buffer.getvalue(), roster)
    assert [(r.number, r.raw["gender"]) for r in sheet.rows()] == [(2, "女"), (100000, "女")]
    wb = load_workbook(io.BytesIO(xlsx()))
    wb.active["ZZ2"] = "x"
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(FileRejected, match="列数超过上限"):
        open_sheet(buffer.getvalue(), roster)


@pytest.mark.django_db
def test_formula_cells_are_refused_row_by_row(ab):
    rows = [ROW, ['=A1&"x"', *ROW[1:]]]
    job = _validated(ab["user_a"], ab["a"], xlsx(rows))
    assert (job.state, job.rows_new, job.rows_invalid) == (ImportState.VALIDATED, 1, 1)
    [error] = job.errors
    assert (error["row"], error["column"]) == (3, "姓名")
    assert "公式" in error["reason"]
    assert not job.can_confirm


@pytest.mark.django_db
def test_headers_match_without_spaces_and_required_marks_and_sheet_by_position(ab, roster):
    headers = [f" {h} *" if h == "姓名" else h.replace("任期", "任期 ") for h in HEADERS]
    sheet = open_sheet(xlsx(headers=headers, title="Sheet1"), roster)
    assert sheet.name == "Sheet1" and sheet.data_rows == 1


@pytest.mark.django_db
def test_table_away_from_a1_reports_the_sheet_row_and_column(ab, roster):
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    for i, header in enumerate(HEADERS):
        ws.cell(row=3, column=3 + i, value=header)
    for r, values in ((4, ROW), (6, ["李四", "未知", *ROW[2:]])):
        for i, value in enumerate(values):
            ws.cell(row=r, column=3 + i, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    sheet = open_sheet(buffer.getvalue(), roster)
    assert (sheet.header_row, sheet.data_rows, sheet.letter("name")) == (3, 2, "C")
    assert [(r.number, r.raw["name"]) for r in sheet.rows()] == [(4, "张三"), (6, "李四")]
    job = _validated(ab["user_a"], ab["a"], buffer.getvalue())
    [error] = job.errors
    assert (error["row"], error["column"], error["letter"], error["value"]) == (
        6,
        "性别",
        "D",
        "未知",
    )


# --- the error report ------------------------------------------------------------------------


@pytest.mark.django_db
def test_error_report_lists_sheet_row_column_value_reason(client, ab):
    bad = [["李四", "不男不女", "1", "其他", "是", "2020-13-01", "居委会委员", "2021-01-01"]]
    job = _validated(ab["user_a"], ab["a"], xlsx([ROW, bad[0] + [None, None]]))
    assert job.rows_invalid == 1
    client.force_login(ab["user_a"])
    response = client.get(reverse("portal:import_errors", args=[job.pk]))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行号", "列", "值", "原因")
    by_column = {r[2]: r for r in rows[1:]}
    assert by_column["性别"][:4] == ("花名册", 3, "性别", "不男不女")
    assert "不是可选值" in by_column["性别"][4]
    assert by_column["入职日期"][1] == 3 and "不是有效日期" in by_column["入职日期"][4]


# --- scoping --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_user_of_a_cannot_see_confirm_cancel_or_download_a_job_of_b(client, ab):
    user_b = user_with_role(Role.COMMITTEE_DIRECTOR, community=ab["b"])
    job = _validated(user_b, ab["b"], xlsx())
    client.force_login(ab["user_a"])
    for name in ("job", "status", "errors"):
        assert client.get(reverse(f"portal:import_{name}", args=[job.pk])).status_code == 404
    for name in ("confirm", "cancel"):
        assert client.post(reverse(f"portal:import_{name}", args=[job.pk])).status_code == 404
    assert "乙社区" not in client.get(reverse("portal:import_list")).content.decode()
    job.refresh_from_db()
    assert job.state == ImportState.VALIDATED and job.confirmed_by is None
    admin_url = reverse("admin:staffing_worker_import_job", args=[job.pk])
    assert client.get(admin_url).status_code == 404
    client.force_login(user_b)
    assert client.get(reverse("portal:import_job", args=[job.pk])).status_code == 200


@pytest.mark.django_db
def test_cannot_upload_into_another_community(client, ab):
    client.force_login(ab["user_a"])
    response = client.post(
        reverse("portal:import_upload", args=["roster"]),
        {"community": ab["b"].pk, "file": upload(xlsx())},
    )
    assert response.status_code == 200 and "community" in response.context["form"].errors
    assert not ImportJob.objects.exists()
    from django.http import Http404

    with pytest.raises(Http404):
        _create(ab["user_a"], ab["b"], xlsx())


@pytest.mark.django_db
def test_community_column_cannot_reach_another_community(ab):
    rows = [["乙社区", *ROW]]
    job = _validated(ab["user_a"], ab["a"], xlsx(rows, headers=["社区", *HEADERS]))
    assert job.rows_invalid == 1
    assert "本次导入只能导入到“甲社区”" in job.errors[0]["reason"]
    street_wide = _validated(ab["user_a"], None, xlsx(rows, headers=["社区", *HEADERS]))
    assert street_wide.rows_invalid == 1
    assert street_wide.errors[0]["column"] == "社区"
    assert "不存在或不在您的管理范围内" in street_wide.errors[0]["reason"]
    assert not Worker.objects.filter(community=ab["b"]).exists()


@pytest.mark.django_db
def test_street_wide_job_visible_only_to_its_creator(client):
    street = StreetFactory()
    CommunityFactory(street=street, name="东社区")
    creator = user_with_role(Role.STREET_ADMIN, street=street)
    colleague = user_with_role(Role.STREET_ADMIN, street=street)
    job = _validated(creator, None, xlsx([["东社区", *ROW]], headers=["社区", *HEADERS]))
    assert job.rows_new == 1
    client.force_login(colleague)
    assert client.get(reverse("portal:import_job", args=[job.pk])).status_code == 404
    client.force_login(creator)
    assert client.get(reverse("portal:import_job", args=[job.pk])).status_code == 200
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("portal:import_job", args=[job.pk])).status_code == 200


@pytest.mark.django_db
def test_scoped_hides_other_communities_and_street_wide_jobs(ab):
    user_b = user_with_role(Role.COMMITTEE_DIRECTOR, community=ab["b"])
    mine = _create(ab["user_a"], ab["a"], xlsx())
    _create(user_b, ab["b"], xlsx())
    _create(ab["user_a"], None, xlsx())
    assert list(scoped(ImportJob.objects.all(), ab["user_a"])) == [mine]


# --- confirm, apply, cancel ---------------------------------------------------------------


@pytest.mark.django_db
def test_repeated_confirm_applies_once(client, ab, django_capture_on_commit_callbacks):
    job = _validated(ab["user_a"], ab["a"], xlsx())
    client.force_login(ab["user_a"])
    url = reverse("portal:import_confirm", args=[job.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        first = client.post(url, follow=True)
        second = client.post(url, follow=True)
    assert "已确认，正在导入" in first.content.decode()
    assert "未重复执行" in second.content.decode()
    assert len(callbacks) == 1  # one apply task enqueued
    assert import_job_apply(job_id=job.pk) == ImportState.DONE
    assert import_job_apply(job_id=job.pk) == ImportState.DONE  # a redelivered message
    assert Worker.objects.count() == 1 and PostTerm.objects.count() == 1
    assert client.get(reverse("portal:import_confirm", args=[job.pk])).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_confirms_claim_once(ab):
    job = _validated(ab["user_a"], ab["a"], xlsx())
    barrier, results = threading.Barrier(2), []

    def confirm():
        try:
            barrier.wait()
            results.append(import_job_confirm(user=ab["user_a"], job=job))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    assert ImportJob.objects.get(pk=job.pk).state == ImportState.APPLYING


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_people_applied_at_once_create_them_once(ab):
    jobs = [_validated(ab["user_a"], ab["a"], xlsx(people(20))) for _ in range(2)]
    assert [j.rows_new for j in jobs] == [20, 20]  # neither applied yet
    for job in jobs:
        assert import_job_confirm(user=ab["user_a"], job=job)
    barrier, states = threading.Barrier(2), []

    def apply(job):
        try:
            barrier.wait()
            states.append(import_job_apply(job_id=job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=apply, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert states == [ImportState.DONE, ImportState.DONE]
    assert Worker.objects.count() == 20 and PostTerm.objects.count() == 20
    outcomes = sorted((j.rows_new, j.rows_unchanged) for j in ImportJob.objects.all())
    assert outcomes == [(0, 20), (20, 0)]


@pytest.mark.django_db
def test_confirm_refused_while_rows_are_invalid(ab):
    job = _validated(ab["user_a"], ab["a"], xlsx([ROW, ["", *ROW[1:]]]))
    assert job.rows_invalid == 1
    assert import_job_confirm(user=ab["user_a"], job=job) is False
    assert import_job_apply(job_id=job.pk) == ImportState.VALIDATED
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_cancel_before_apply_writes_nothing(ab):
    job = _validated(ab["user_a"], ab["a"], xlsx())
    assert import_job_confirm(user=ab["user_a"], job=job)
    assert import_job_cancel(user=ab["user_a"], job=job)
    assert import_job_apply(job_id=job.pk) == ImportState.CANCELLED
    assert not Worker.objects.exists()
    assert import_job_cancel(user=ab["user_a"], job=job) is False  # already over


@pytest.mark.django_db(transaction=True)
def test_cancel_during_apply_rolls_everything_back(ab, settings, monkeypatch):
    settings.IMPORT_PROGRESS_EVERY = 1
    job = _validated(ab["user_a"], ab["a"], xlsx(people(5)))
    assert job.rows_new == 5
    import_job_confirm(user=ab["user_a"], job=job)
    spec = get_spec("roster")
    original = type(spec).apply_row

    def apply_row(self, ctx, row):
        if row.number == 3:  # another user cancels from their own connection, mid-apply

            def cancel():
                import_job_cancel(user=ab["user_a"], job=job)
                connection.close()

            thread = threading.Thread(target=cancel)
            thread.start()
            thread.join()
        return original(self, ctx, row)

    monkeypatch.setattr(type(spec), "apply_row", apply_row)
    assert import_job_apply(job_id=job.pk) == ImportState.CANCELLED
    assert not Worker.objects.exists() and not PostTerm.objects.exists()
    job.refresh_from_db()
    assert job.state == ImportState.CANCELLED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "failure, message",
    [
        (RuleViolation("STAFF-8", "同期担任居委会主任，不得兼任会计"), "数据在校验后有变化"),
        (RuntimeError("disk full"), "内部错误"),
    ],
)
def test_a_failure_mid_apply_rolls_back_every_row(ab, monkeypatch, failure, message):
    job = _validated(ab["user_a"], ab["a"], xlsx(people(5)))
    assert import_job_confirm(user=ab["user_a"], job=job)
    import staffing.imports

    original, calls = staffing.imports.post_term_save, []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise failure
        return original(**kwargs)

    monkeypatch.setattr(staffing.imports, "post_term_save", flaky)
    assert import_job_apply(job_id=job.pk) == ImportState.FAILED
    assert len(calls) >= 4
    assert not Worker.objects.exists() and not PostTerm.objects.exists()
    job.refresh_from_db()
    assert job.state == ImportState.FAILED and message in job.message
    if isinstance(failure, RuleViolation):
        assert "[STAFF-8]" in job.errors[0]["reason"] and job.errors[0]["row"] == 5


# --- the task path: a real worker ------------------------------------------------------------


def _wait_for(job, states, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job stayed {job.state}")


@pytest.mark.django_db(transaction=True)
def test_upload_validate_confirm_apply_through_a_real_celery_worker(
    client, settings, celery_worker_process
):
    settings.IMPORT_QUEUE = celery_worker_process
    community = CommunityFactory(name="丙社区")
    user = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    client.force_login(user)
    response = client.post(
        reverse("portal:import_upload", args=["roster"]),
        {"community": community.pk, "file": upload(xlsx(people(30)))},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/")
    job = _wait_for(job, {ImportState.VALIDATED, ImportState.FAILED})
    assert (job.state, job.rows_new, job.rows_invalid, job.rows_done) == ("validated", 30, 0, 30)
    assert not Worker.objects.exists()  # validation wrote nothing
    status = client.get(reverse("portal:import_status", args=[job.pk])).json()
    assert status["state"] == "validated" and status["new"] == 30 and status["percent"] == 100
    client.post(reverse("portal:import_confirm", args=[job.pk]))
    job = _wait_for(job, {ImportState.DONE, ImportState.FAILED})
    assert job.state == ImportState.DONE and job.rows_per_second
    assert Worker.objects.filter(community=community).count() == 30
    # The same file again: the worker finds every row unchanged.
    again = _create(user, community, xlsx(people(30)))
    from core.tasks import import_validate

    assert import_validate.apply_async(args=[again.pk], queue=celery_worker_process).get(
        timeout=90
    ) in (ImportState.VALIDATED,)
    again.refresh_from_db()
    assert (again.rows_unchanged, again.rows_new, again.rows_updated) == (30, 0, 0)


# --- lists -----------------------------------------------------------------------------------


def _jobs(user, community, n):
    for i in range(n):
        ImportJob.objects.create(
            kind="roster",
            community=community,
            created_by=user,
            file_name=f"花名册{i}.xlsx",
            content=b"x",
            sha256="0" * 64,
            rows_total=3,
            rows_new=3,
            state=ImportState.DONE,
        )


@pytest.mark.django_db
def test_job_list_query_count_is_fixed(client):
    street = StreetFactory()
    communities = CommunityFactory.create_batch(2, street=street)
    user = user_with_role(Role.STREET_ADMIN, street=street)
    client.force_login(user)
    url = reverse("portal:import_list")
    for c in communities:
        _jobs(user, c, 2)
    client.get(url)
    small = query_count(client, url)
    for c in communities:
        _jobs(user, c, 20)
    assert query_count(client, url) == small
    admin_url = reverse("admin:staffing_worker_import")
    client.get(admin_url)
    small = query_count(client, admin_url)
    _jobs(user, communities[0], 15)
    assert query_count(client, admin_url) == small


# --- the streaming reader (core.imports.reader) ---------------------------------------------

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def package(
    sheet: str, shared: str | None = None, styles: str | None = None, pr: str = ""
) -> bytes:
    """A workbook written by hand, in the forms Excel, WPS and LibreOffice use (shared
    strings, styles, rich text) rather than openpyxl's."""
    types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/></Types>'
    )
    rels = [f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>']
    if shared is not None:
        rels.append(
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        )
    if styles is not None:
        rels.append(f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>')
    parts = {
        "[Content_Types].xml": types,
        "_rels/.rels": f'<Relationships xmlns="{PACKAGE_REL}"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL}">{pr}<sheets>'
        '<sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PACKAGE_REL}">{"".join(rels)}</Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    if styles is not None:
        parts["xl/styles.xml"] = styles
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, text in parts.items():
            target.writestr(
                name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text
            )
    return out.getvalue()


SHARED = (
    f'<sst xmlns="{MAIN_NS}" count="9" uniqueCount="9">'
    "<si><t>姓名</t></si><si><t>性别</t></si><si><t>入职日期</t></si><si><t>任期开始</t></si>"
    '<si><t>张三</t><phoneticPr fontId="1" type="noConversion"/></si>'
    '<si><r><rPr><b/></rPr><t>李</t></r><r><t xml:space="preserve">四 </t></r>'
    '<rPh sb="0" eb="1"><t>リ</t></rPh></si>'
    "<si><t>王&amp;五 &lt;甲&gt; &#x4E59;</t></si>"
    "<si><t>女</t></si><si><t/></si>"
    "</sst>"
)
STYLES = (
    f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="1">'
    '<numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
    '</numFmts><cellXfs count="4">'
    '<xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/><xf numFmtId="2"/>'
    "</cellXfs></styleSheet>"
)


def _sheet(rows: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    if prefix:
        rows = re.sub(r"<(/?)(row|c|v|f|is|t|r)\b", rf"<\1{p}\2", rows)
    ns = f'xmlns:{prefix}="{MAIN_NS}"' if prefix else f'xmlns="{MAIN_NS}"'
    ns += ' xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"'
    return f"<{p}worksheet {ns}><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>"


HEADER_ROW = (
    '<row r="1">'
    + "".join(
        f'<c r="{letter}1" t="inlineStr"><is><t>{header}</t></is></c>'
        for letter, header in zip("ABCDEFGHIJ", HEADERS, strict=True)
    )
    + "</row>"
)  # A 姓名, B 性别, F 入职日期, H 任期开始
EXCEL_ROWS = (
    HEADER_ROW
    + '<row r="2" spans="1:8"><c r="A2" t="s"><v>4</v></c><c r="B2" s="0" t="s"><v>7</v></c>'
    '<c r="F2" s="1"><v>45322</v></c><c r="H2" s="2"><v>44197</v></c></row>'
    '<row r="3" x14ac:dyDescent="0.25"><c r="A3" t="s"><v>5</v></c>'
    '<c r="F3" s="3"><v>45322</v></c><c r="H3" t="str"><f>TODAY()</f><v>2024-01-31</v></c></row>'
    '<row r="4"/><row r="5"><c r="A5" t="s"><v>6</v></c><c r="B5" t="s"><v>8</v></c>'
    '<c r="F5" t="inlineStr"><is><t>2024年1月31日</t></is></c><c r="H5" t="b"><v>1</v></c></row>'
)


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "x"])
def test_reader_reads_shared_and_rich_strings_styles_dates_and_formulas(roster, prefix):
    """Excel's forms: shared strings (rich text without the phonetic guide, entities),
    date styles (built-in 14 and a custom 年月日 format) against a plain number style,
    formulas flagged with their cached value; the same through defusedxml when the sheet
    uses prefixed names."""
    data = package(_sheet(EXCEL_ROWS, prefix), SHARED, STYLES)
    sheet = open_sheet(data, roster)
    rows = [
        (
            r.number,
            r.raw["name"],
            r.raw["gender"],
            r.raw["hired_on"],
            r.raw["starts_on"],
            r.formulas,
        )
        for r in sheet.rows()
    ]
    assert rows == [
        (2, "张三", "女", dt.date(2024, 1, 31), dt.date(2021, 1, 1), frozenset()),
        (3, "李四 ", None, 45322, "2024-01-31", frozenset({"starts_on"})),
        (5, "王&五 <甲> 乙", "", "2024年1月31日", True, frozenset()),
    ]


@pytest.mark.django_db
def test_reader_uses_the_1904_date_system_when_the_workbook_says_so(roster):
    rows = (
        HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>4</v></c><c r="F2" s="1"><v>43860</v></c></row>'
    )
    sheet = open_sheet(
        package(_sheet(rows), SHARED, STYLES, pr='<workbookPr date1904="1"/>'), roster
    )
    assert [r.raw["hired_on"] for r in sheet.rows()] == [dt.date(2024, 1, 31)]


@pytest.mark.django_db
def test_reader_parses_an_unusual_row_properly_and_refuses_undefined_entities(roster):
    odd = (
        HEADER_ROW
        + '<row r="2"><c r="A2" t="inlineStr" cm="1"><is><r><t>赵</t></r><r><t>六</t></r></is></c>'
        "<!-- a comment --></row>"
    )
    sheet = open_sheet(package(_sheet(odd), SHARED), roster)
    assert [r.raw["name"] for r in sheet.rows()] == ["赵六"]
    bad = HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>&bogus;</t></is></c></row>'
    sheet = open_sheet(package(_sheet(bad), SHARED), roster)
    with pytest.raises(FileRejected, match="已损坏"):
        list(sheet.rows())


@pytest.mark.django_db
def test_reader_refuses_a_dtd_deep_in_the_sheet(roster):
    padding = "<!--" + "x" * 5000 + "-->"
    sheet = f'<?xml version="1.0"?>{padding}<!DOCTYPE x [<!ENTITY a "b">]>' + _sheet(HEADER_ROW)
    data = package(sheet, SHARED)
    with pytest.raises(FileRejected, match="不安全的 XML"):
        open_sheet(data, roster)
