"""The residents ledger import (communities.imports.ResidentSpec, issue #4 "Excel in"), on
real PostgreSQL: the template, counts and apply with the derived facts, re-import changing
nothing (no row, no audit event), updates instead of duplicates, every hostile file of the
issue refused with a Chinese reason and nothing written, all-or-nothing apply (cancel,
failure and conflict mid-apply), scoping, the admin and portal entries, and a run through
a real Celery worker."""

import datetime as dt
import io
import os
import threading
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from communities.models import Household, HouseholdEvent, Resident, ResidentEvent
from core.imports import (
    FileRejected,
    get_spec,
    import_job_apply,
    import_job_cancel,
    import_job_confirm,
    import_job_create,
    import_job_validate,
)
from core.imports.jobs import can_import
from core.models import ImportJob, ImportStagingRow, ImportState, Role
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    CompoundFactory,
    HouseholdFactory,
    ResidentFactory,
    UnitFactory,
    user_with_role,
    valid_id_number,
)

HEADERS = ["小区", "楼栋", "单元", "室号", "姓名", "身份证号", "性别", "出生日期", "与户主关系"]
HEADERS += ["联系电话", "户籍类型", "迁入日期"]
ID_1 = valid_id_number(dt.date(1950, 3, 1), 11)  # a man born 1950-03-01
ID_2 = valid_id_number(dt.date(1952, 7, 9), 22)  # a woman
ID_3 = valid_id_number(dt.date(2001, 12, 30), 33)


def row(address=("幸福小区", "3栋", "2单元", "301"), name="张建国", id_number=ID_1, **cells):
    values = {
        "gender": None,
        "birth": None,
        "relation": "户主",
        "phone": "13800000001",
        "registration": "户籍",
        "moved_in": "2020-05-01",
    }
    values.update(cells)
    return [
        *address,
        name,
        id_number,
        values["gender"],
        values["birth"],
        values["relation"],
        values["phone"],
        values["registration"],
        values["moved_in"],
    ]


GOOD = [
    row(),
    row(name="李秀英", id_number=ID_2, relation="配偶", phone="13800000002"),
    row(name="张小明", id_number="", relation="子女", phone="", birth="2015-06-01", gender="男"),
    row(address=("", "5栋", "1单元", "101"), name="王芳", id_number=ID_3, phone="0431-8888 1234"),
]


def xlsx(rows=GOOD, headers=HEADERS, title="居民", edit=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for values in rows:
        ws.append(list(values))
    if edit:
        edit(ws)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(data, name="居民.xlsx"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def grid(db):
    """Community A (its grid: 幸福小区 3栋 2单元, and 5栋 1单元 outside any compound), community
    B of the same street (乙小区 9栋 1单元), A's committee director."""
    a = CommunityFactory(name="甲社区")
    b = CommunityFactory(name="乙社区", street=a.street)
    compound = CompoundFactory(community=a, name="幸福小区")
    unit = UnitFactory(
        community=a,
        name="2单元",
        building=BuildingFactory(community=a, name="3栋", compound=compound),
    )
    loose = UnitFactory(
        community=a, name="1单元", building=BuildingFactory(community=a, name="5栋")
    )
    b_compound = CompoundFactory(community=b, name="乙小区")
    b_unit = UnitFactory(
        community=b,
        name="1单元",
        building=BuildingFactory(community=b, name="9栋", compound=b_compound),
    )
    return {
        "a": a,
        "b": b,
        "unit": unit,
        "loose": loose,
        "b_unit": b_unit,
        "user": user_with_role(Role.COMMITTEE_DIRECTOR, community=a),
    }


def create(grid, data, community=None, user=None):
    return import_job_create(
        user=user or grid["user"],
        spec=get_spec("residents"),
        community=community or grid["a"],
        upload=upload(data),
    )


def validated(grid, data, **kwargs):
    job = create(grid, data, **kwargs)
    import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    return job


def applied(grid, data):
    job = validated(grid, data)
    assert job.can_confirm, (job.state, job.message, job.errors)
    assert import_job_confirm(user=grid["user"], job=job)
    assert import_job_apply(job_id=job.pk) == ImportState.DONE
    job.refresh_from_db()
    return job


def reasons(job) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["reason"]) for e in job.errors]


# --- template ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_template_has_headers_dropdowns_notes_and_no_data(client, grid):
    client.force_login(grid["user"])
    response = client.get(reverse("portal:import_template", args=["residents"]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["居民", "选项", "说明"]
    data = wb["居民"]
    headers = [c.value for c in data[1]]
    assert headers == [*HEADERS[:4], *HEADERS[4:], "迁出日期"]
    assert data.max_row == 1
    lists = {
        headers[next(iter(dv.sqref.ranges)).min_col - 1]
        for dv in data.data_validations.dataValidation
        if dv.type == "list"
    }
    assert lists == {"性别", "与户主关系", "户籍类型"}
    dates = {
        headers[next(iter(dv.sqref.ranges)).min_col - 1]
        for dv in data.data_validations.dataValidation
        if dv.type == "date"
    }
    assert dates == {"出生日期", "迁入日期", "迁出日期"}
    text = "\n".join(
        " ".join(str(v) for v in r if v) for r in wb["说明"].iter_rows(values_only=True)
    )
    assert "ORG-13" in text and "2024年1月31日" in text and "身份证号" in text
    assert "100000 行" in text  # the ledger's own row limit


# --- a good file ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_good_file_counts_then_apply_writes_households_and_residents_with_derived_facts(grid):
    job = validated(grid, xlsx())
    assert (job.state, job.rows_total, job.rows_new, job.rows_invalid) == ("validated", 4, 4, 0)
    assert not Resident.objects.exists() and not Household.objects.exists()
    assert ImportStagingRow.objects.filter(job_id=job.pk).count() == 4
    assert import_job_confirm(user=grid["user"], job=job)
    assert import_job_apply(job_id=job.pk) == ImportState.DONE
    job.refresh_from_db()
    assert (job.rows_new, job.rows_updated, job.rows_unchanged, job.rows_done) == (4, 0, 0, 4)
    assert not ImportStagingRow.objects.filter(job_id=job.pk).exists()
    homes = {h.address: h for h in Household.objects.filter(community=grid["a"])}
    assert set(homes) == {"幸福小区 3栋 2单元 301", "5栋 1单元 101"}
    father = Resident.objects.get(id_number=ID_1)
    assert (father.birth_date, father.gender, father.id_valid, father.id_tail) == (
        dt.date(1950, 3, 1),
        "male",
        True,
        ID_1[-4:],
    )
    assert father.household == homes["幸福小区 3栋 2单元 301"]
    assert father.community == grid["a"] and father.name_initials == "zjg"
    assert father.address_order == homes["幸福小区 3栋 2单元 301"].address_order
    assert father.moved_in_on == dt.date(2020, 5, 1) and father.relation == "head"
    mother = Resident.objects.get(id_number=ID_2)
    assert (mother.gender, mother.relation, mother.phone_tail) == ("female", "spouse", "0002")
    child = Resident.objects.get(name="张小明")
    assert (child.id_number, child.id_valid, child.birth_date, child.gender) == (
        "",
        False,
        dt.date(2015, 6, 1),
        "male",
    )
    assert Resident.objects.get(name="王芳").phone == "0431-88881234"
    # Audited, with the import in the context of every event.
    events = ResidentEvent.objects.filter(pgh_obj_id=father.pk)
    assert [e.pgh_label for e in events] == ["insert"]
    assert events[0].pgh_context.metadata["import_job"] == job.pk


@pytest.mark.django_db
def test_reimport_of_the_same_file_is_all_unchanged_and_writes_nothing(grid):
    applied(grid, xlsx())
    counts = (
        Resident.objects.count(),
        Household.objects.count(),
        ResidentEvent.objects.count(),
        HouseholdEvent.objects.count(),
    )
    again = validated(grid, xlsx())
    assert (again.rows_new, again.rows_updated, again.rows_unchanged, again.rows_invalid) == (
        0,
        0,
        4,
        0,
    )
    assert import_job_confirm(user=grid["user"], job=again)
    assert import_job_apply(job_id=again.pk) == ImportState.DONE
    again.refresh_from_db()
    assert (again.state, again.rows_unchanged) == ("done", 4)
    assert counts == (
        Resident.objects.count(),
        Household.objects.count(),
        ResidentEvent.objects.count(),
        HouseholdEvent.objects.count(),
    )


@pytest.mark.django_db
def test_changed_rows_update_the_matched_residents_instead_of_duplicating(grid):
    applied(grid, xlsx())
    rows = [list(r) for r in GOOD]
    rows[0][9] = "13900000009"  # 张建国's phone (matched by ID number)
    rows[2][8] = "孙子女"  # 张小明's relation (no ID number: matched by address and name)
    rows[3][4] = "王芳芳"  # a corrected name (matched by ID number)
    job = applied(grid, xlsx(rows))
    assert (job.rows_new, job.rows_updated, job.rows_unchanged) == (0, 3, 1)
    assert Resident.objects.count() == 4
    father = Resident.objects.get(id_number=ID_1)
    assert (father.phone, father.phone_tail) == ("13900000009", "0009")
    assert Resident.objects.get(name="张小明").relation == "grandchild"
    assert Resident.objects.get(id_number=ID_3).name == "王芳芳"
    assert ResidentEvent.objects.filter(pgh_obj_id=father.pk, pgh_label="update").count() == 1
    untouched = Resident.objects.get(id_number=ID_2)
    assert not ResidentEvent.objects.filter(pgh_obj_id=untouched.pk, pgh_label="update").exists()


@pytest.mark.django_db
def test_a_resident_registered_by_hand_is_matched_by_id_number_and_moved(grid):
    home = HouseholdFactory(unit=grid["loose"], room="909")
    existing = ResidentFactory(household=home, id_number=ID_1, name="张建国", phone="")
    job = applied(grid, xlsx([row()]))
    assert (job.rows_new, job.rows_updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.household.address == "幸福小区 3栋 2单元 301"
    assert existing.phone == "13800000001"
    assert Resident.objects.filter(id_number=ID_1).count() == 1


@pytest.mark.django_db
def test_blank_cells_keep_the_stored_values(grid):
    applied(grid, xlsx())
    rows = [row(phone=None, registration=None, moved_in=None, relation=None)]
    job = applied(grid, xlsx(rows))
    assert (job.rows_updated, job.rows_unchanged) == (0, 1)
    father = Resident.objects.get(id_number=ID_1)
    assert (father.phone, father.moved_in_on, father.relation) == (
        "13800000001",
        dt.date(2020, 5, 1),
        "head",
    )


# --- rows refused by the rules of resident_save ------------------------------------------------


@pytest.mark.django_db
def test_rules_of_resident_save_refuse_rows_with_their_reasons(grid):
    rows = [
        row(),
        row(name="李四", id_number=ID_2[:-1] + ("0" if ID_2[-1] != "0" else "1")),  # check digit
        row(name="王五", id_number=ID_3, birth="2001-01-01"),  # contradicts the ID number
        row(name="赵六", id_number="", phone="12"),
        row(name="", id_number=""),
        row(name="钱七", id_number="", moved_in="2024-01-01"),
    ]
    headers = [*HEADERS, "迁出日期"]
    for r in rows:
        r.append(None)
    rows[5][-1] = "2023-01-01"
    job = validated(grid, xlsx(rows, headers=headers))
    assert (job.rows_new, job.rows_invalid) == (1, 5)
    found = reasons(job)
    assert (3, "身份证号", "身份证号校验码不正确") in found
    assert any(r == 4 and c == "出生日期" and "不一致" in m for r, c, m in found)
    assert any(r == 5 and c == "联系电话" for r, c, _m in found)
    assert (6, "姓名", "必填项不能为空") in found
    assert (7, "迁出日期", "迁出日期不能早于迁入日期") in found
    assert not job.can_confirm


@pytest.mark.django_db
def test_duplicate_id_numbers_in_the_file_are_refused_with_both_row_numbers(grid):
    rows = [row(), row(address=("", "5栋", "1单元", "102"), name="张建国"), row(id_number=ID_2)]
    job = validated(grid, xlsx(rows))
    assert (job.rows_new, job.rows_invalid) == (1, 2)
    first, second = reasons(job)
    assert first[:2] == (2, "身份证号") and "第 3 行与第 2 行是同一身份证号" in first[2]
    assert second[:2] == (3, "身份证号") and "第 2 行与第 3 行是同一身份证号" in second[2]


@pytest.mark.django_db
def test_two_rows_of_one_person_without_id_in_one_household_are_refused(grid):
    rows = [row(name="张三", id_number=""), row(name="张三", id_number="", phone="13700000000")]
    job = validated(grid, xlsx(rows))
    assert job.rows_invalid == 2
    assert all("同名居民" in m for _r, _c, m in reasons(job))


# --- hostile files ------------------------------------------------------------------------------


def _retyped(data: bytes, old: bytes, new: bytes, extra=()) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "[Content_Types].xml":
                content = content.replace(old, new)
            target.writestr(info.filename, content)
        for name, content in extra:
            target.writestr(name, content)
    return out.getvalue()


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("[Content_Types].xml", b"<Types/>")
        target.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))
    return out.getvalue()


def _merged_header(ws):
    ws.merge_cells("A1:B1")


def _merged_data(ws):
    ws.merge_cells("A2:A3")


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
HOSTILE = {
    "not an xlsx": (lambda: os.urandom(2048), "不是 Excel 工作簿（.xlsx）"),
    "csv renamed": (lambda: "姓名,身份证号\n张三,1\n".encode(), "改了扩展名"),
    "legacy xls": (lambda: OLE + b"\x00" * 2048, "旧版 Excel 文件（.xls）"),
    "password": (
        lambda: OLE + b"\x00" * 512 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64,
        "设置了打开密码",
    ),
    "xlsm": (
        lambda: _retyped(
            xlsx(),
            MAIN,
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            [("xl/vbaProject.bin", b"\x00" * 64)],
        ),
        "启用宏的工作簿（.xlsm）",
    ),
    "zip bomb": (_bomb, "疑似压缩炸弹"),
    "merged header": (lambda: xlsx(edit=_merged_header), "表头有合并单元格（A1:B1）"),
    "merged data": (lambda: xlsx(edit=_merged_data), "数据区有合并单元格（A2:A3）"),
    "missing column": (
        lambda: xlsx(headers=[h for h in HEADERS if h != "身份证号"]),
        "缺少列：身份证号",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_in_chinese_and_nothing_is_stored(client, grid, case):
    make, message = HOSTILE[case]
    client.force_login(grid["user"])
    response = client.post(
        reverse("portal:import_upload", args=["residents"]),
        {"community": grid["a"].pk, "file": upload(make(), name="居民.xlsx")},
    )
    assert response.status_code == 200
    assert message in response.content.decode(), case
    assert not ImportJob.objects.exists()
    assert not Resident.objects.exists() and not Household.objects.exists()


@pytest.mark.django_db
def test_more_rows_than_the_ledger_limit_are_refused(grid, settings):
    settings.IMPORT_MAX_LEDGER_ROWS = 3
    with pytest.raises(FileRejected, match="数据行数超过上限（3 行）"):
        create(grid, xlsx())
    assert not ImportJob.objects.exists()
    settings.IMPORT_MAX_LEDGER_ROWS = 4
    assert validated(grid, xlsx()).rows_new == 4


@pytest.mark.django_db
def test_formulas_where_values_are_expected_are_refused_row_by_row(grid):
    rows = [row(), row(name='=CONCAT("李","四")', id_number=ID_2)]
    job = validated(grid, xlsx(rows))
    assert (job.rows_new, job.rows_invalid) == (1, 1)
    [(number, column, reason)] = reasons(job)
    assert (number, column) == (3, "姓名") and "公式" in reason


@pytest.mark.django_db
def test_dates_as_text_in_the_common_formats_are_read_and_others_refused(grid):
    accepted = ["2024-01-31", "2024/1/31", "2024.1.31", "2024年1月31日", "20240131"]
    rows = [
        row(
            address=("", "5栋", "1单元", f"{i + 1}01"), name=f"居民{i}", id_number="", moved_in=text
        )
        for i, text in enumerate(accepted)
    ]
    refused = ["31/01/2024", "2024-02-30", "明年", "1/31"]
    rows += [
        row(address=("", "5栋", "1单元", f"9{i}1"), name=f"错误{i}", id_number="", moved_in=text)
        for i, text in enumerate(refused)
    ]
    job = validated(grid, xlsx(rows))
    assert (job.rows_new, job.rows_invalid) == (5, 4)
    assert [(r, c) for r, c, _m in reasons(job)] == [
        (7, "迁入日期"),
        (8, "迁入日期"),
        (9, "迁入日期"),
        (10, "迁入日期"),
    ]
    assert all("日期" in m for _r, _c, m in reasons(job))
    applied_job = applied(grid, xlsx(rows[:5]))
    assert applied_job.rows_new == 5
    assert set(Resident.objects.values_list("moved_in_on", flat=True)) == {dt.date(2024, 1, 31)}


@pytest.mark.django_db
def test_dates_stored_as_excel_dates_are_read_as_dates(grid):
    rows = [
        row(id_number="", name="周一", birth=dt.date(1980, 2, 29), moved_in=dt.datetime(2021, 3, 4))
    ]
    job = applied(grid, xlsx(rows))
    assert job.rows_new == 1
    person = Resident.objects.get(name="周一")
    assert (person.birth_date, person.moved_in_on) == (dt.date(1980, 2, 29), dt.date(2021, 3, 4))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "stored", [220104195003010110, 2.20104195003011e17, "2.20104195003011E+17"]
)
def test_id_numbers_excel_stored_as_numbers_are_refused_not_guessed(grid, stored):
    job = validated(grid, xlsx([row(id_number=stored)]))
    assert job.rows_invalid == 1
    [(number, column, reason)] = reasons(job)
    assert (number, column) == (2, "身份证号") and "存成了数字" in reason
    assert not ImportStagingRow.objects.filter(job_id=job.pk).exists()


@pytest.mark.django_db
def test_masked_id_numbers_from_an_export_are_refused(grid):
    job = validated(grid, xlsx([row(id_number=ID_1[:4] + "*" * 10 + ID_1[-4:])]))
    assert any("已脱敏" in m for _r, _c, m in reasons(job))


@pytest.mark.django_db
def test_another_communitys_address_and_unknown_addresses_are_refused(grid):
    rows = [
        row(),
        row(address=("乙小区", "9栋", "1单元", "101"), name="外人", id_number=ID_2),
        row(address=("幸福小区", "8栋", "2单元", "101"), name="无址", id_number=ID_3),
    ]
    job = validated(grid, xlsx(rows))
    assert (job.rows_new, job.rows_invalid) == (1, 2)
    found = reasons(job)
    assert found[0][0] == 3 and "属于本街道的其他社区" in found[0][2] and "甲社区" in found[0][2]
    assert found[1][0] == 4 and "不在本社区的网格中" in found[1][2]
    assert not Household.objects.filter(community=grid["b"]).exists()


@pytest.mark.django_db
def test_grid_names_compare_without_spaces_and_full_width_forms(grid):
    job = validated(grid, xlsx([row(address=("幸福 小区", "３栋", "2 单元", "３０１"))]))
    assert job.rows_new == 1, job.errors


# --- all or nothing -----------------------------------------------------------------------------


def _many(n):
    return [
        row(address=("", "5栋", "1单元", f"{i + 1}"), name=f"居民{i}", id_number="", phone="")
        for i in range(n)
    ]


@pytest.mark.django_db(transaction=True)
def test_cancel_during_apply_writes_nothing(grid, settings, monkeypatch):
    import communities.imports

    monkeypatch.setattr(communities.imports, "APPLY_BATCH", 2)
    job = validated(grid, xlsx(_many(7)))
    assert job.rows_new == 7
    assert import_job_confirm(user=grid["user"], job=job)
    spec_class = type(get_spec("residents"))
    original = spec_class.bulk_apply

    def bulk_apply(self, ctx, stage, progress):
        def cancelling(done):
            if done >= 2:  # another user cancels from their own connection, mid-apply

                def cancel():
                    import_job_cancel(user=grid["user"], job=ImportJob.objects.get(pk=job.pk))
                    connection.close()

                thread = threading.Thread(target=cancel)
                thread.start()
                thread.join()
            progress(done)

        return original(self, ctx, stage, cancelling)

    monkeypatch.setattr(spec_class, "bulk_apply", bulk_apply)
    assert import_job_apply(job_id=job.pk) == ImportState.CANCELLED
    assert not Resident.objects.exists() and not Household.objects.exists()
    assert not ImportStagingRow.objects.exists()
    job.refresh_from_db()
    assert job.state == ImportState.CANCELLED


@pytest.mark.django_db
def test_a_failure_mid_apply_rolls_back_every_row(grid, monkeypatch):
    import communities.imports

    monkeypatch.setattr(communities.imports, "APPLY_BATCH", 2)
    job = validated(grid, xlsx(_many(5)))
    assert import_job_confirm(user=grid["user"], job=job)
    spec_class = type(get_spec("residents"))
    original = spec_class.bulk_apply

    def bulk_apply(self, ctx, stage, progress):
        def failing(done):
            assert Resident.objects.count() == done  # really written, in the transaction
            if done >= 4:
                raise RuntimeError("disk full")
            progress(done)

        return original(self, ctx, stage, failing)

    monkeypatch.setattr(spec_class, "bulk_apply", bulk_apply)
    assert import_job_apply(job_id=job.pk) == ImportState.FAILED
    job.refresh_from_db()
    assert job.state == ImportState.FAILED and "内部错误" in job.message
    assert not Resident.objects.exists() and not Household.objects.exists()
    assert not ImportStagingRow.objects.filter(job_id=job.pk).exists()


@pytest.mark.django_db
def test_data_changed_since_the_validation_fails_the_apply_with_nothing_written(grid):
    home = HouseholdFactory(unit=grid["unit"], room="301")
    ResidentFactory(household=home, name="张三", id_number="")
    job = validated(grid, xlsx([row(name="李四", id_number=ID_2), row(name="张三", id_number="")]))
    assert (job.rows_new, job.rows_unchanged, job.rows_updated) == (1, 0, 1)
    assert import_job_confirm(user=grid["user"], job=job)
    # Meanwhile a second 张三 without an ID number is registered in that household.
    ResidentFactory(household=home, name="张三", id_number="")
    assert import_job_apply(job_id=job.pk) == ImportState.FAILED
    job.refresh_from_db()
    assert "数据在校验后有变化" in job.message
    assert any(r == 3 and "无法确定是哪一位" in m for r, _c, m in reasons(job))
    assert not Resident.objects.filter(name="李四").exists()
    assert Resident.objects.count() == 2


# --- scoping and the entries ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_of_a_cannot_import_into_b_or_see_bs_job(client, grid):
    with pytest.raises(Http404):
        create(grid, xlsx(), community=grid["b"])
    user_b = user_with_role(Role.COMMITTEE_DIRECTOR, community=grid["b"])
    job_b = validated(
        grid, xlsx([row(address=("乙小区", "9栋", "1单元", "1"))]), community=grid["b"], user=user_b
    )
    assert job_b.rows_new == 1
    client.force_login(grid["user"])
    for name in ("job", "status", "errors"):
        assert client.get(reverse(f"portal:import_{name}", args=[job_b.pk])).status_code == 404
    for name in ("confirm", "cancel"):
        assert client.post(reverse(f"portal:import_{name}", args=[job_b.pk])).status_code == 404
    admin_job = reverse("admin:communities_resident_import_job", args=[job_b.pk])
    assert client.get(admin_job).status_code == 404
    response = client.post(
        reverse("portal:import_upload", args=["residents"]),
        {"community": grid["b"].pk, "file": upload(xlsx())},
    )
    assert "community" in response.context["form"].errors
    job_b.refresh_from_db()
    assert job_b.state == ImportState.VALIDATED and job_b.confirmed_by is None


@pytest.mark.django_db
def test_no_street_wide_import_of_the_ledger(grid):
    street_admin = user_with_role(Role.STREET_ADMIN, street=grid["a"].street)
    spec = get_spec("residents")
    assert can_import(street_admin, spec, grid["a"])
    assert not can_import(street_admin, spec, None)
    grid_worker = user_with_role(Role.GRID_WORKER, community=grid["a"])
    assert can_import(grid_worker, spec, grid["a"])
    member = user_with_role(Role.MEMBER, community=grid["a"])
    assert not can_import(member, spec, grid["a"])


@pytest.mark.django_db
def test_admin_and_portal_lead_to_the_import(client, grid):
    admin_user = user_with_role(Role.STREET_ADMIN, street=grid["a"].street)
    client.force_login(admin_user)
    changelist = client.get(reverse("admin:communities_resident_changelist")).content.decode()
    upload_url = reverse("admin:communities_resident_import")
    assert upload_url in changelist and "台帐覆盖情况" in changelist  # both lists' buttons
    page = client.get(upload_url)
    assert page.status_code == 200 and "全街道" not in page.content.decode()
    response = client.post(upload_url, {"community": grid["a"].pk, "file": upload(xlsx())})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:communities_resident_import_job", args=[job.pk])
    template = client.get(reverse("admin:communities_resident_template"))
    assert load_workbook(io.BytesIO(template.content)).sheetnames[0] == "居民"
    client.force_login(grid["user"])
    portal = client.get(reverse("ledgers:residents", args=[grid["a"].pk])).content.decode()
    assert reverse("portal:import_upload", args=["residents"]) in portal


@pytest.mark.django_db
def test_error_report_lists_sheet_row_column_value_and_reason(client, grid):
    job = validated(grid, xlsx([row(), row(name="李四", id_number="1234")]))
    client.force_login(grid["user"])
    response = client.get(reverse("portal:import_errors", args=[job.pk]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行号", "列", "值", "原因")
    assert rows[1][:4] == ("居民", 3, "身份证号", "1234")
    assert "18 位" in rows[1][4]


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
    client, grid, settings, celery_worker_process
):
    settings.IMPORT_QUEUE = celery_worker_process
    client.force_login(grid["user"])
    response = client.post(
        reverse("portal:import_upload", args=["residents"]),
        {"community": grid["a"].pk, "file": upload(xlsx())},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    job = _wait_for(job, {ImportState.VALIDATED, ImportState.FAILED})
    assert (job.state, job.rows_new, job.rows_invalid, job.rows_done) == ("validated", 4, 0, 4)
    assert not Resident.objects.exists()
    client.post(reverse("portal:import_confirm", args=[job.pk]))
    job = _wait_for(job, {ImportState.DONE, ImportState.FAILED})
    assert job.state == ImportState.DONE, job.message
    assert Resident.objects.filter(community=grid["a"]).count() == 4
    assert not ImportStagingRow.objects.exists()
