"""Shared pieces of the small ledgers' import tests (test_ledger_imports.py,
test_ledger_imports_volunteers.py): two communities with residents, compounds and an
organisation, the sheets' layouts, and a file -> validated/applied job in one call."""

import datetime as dt
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from communities.models import OrgKind
from core.imports import (
    get_spec,
    import_job_apply,
    import_job_confirm,
    import_job_create,
    import_job_validate,
)
from core.models import ImportState, Role
from tests.factories import (
    CommunityFactory,
    CompoundFactory,
    OrganisationFactory,
    ResidentFactory,
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


@pytest.fixture(name="ab")
def ab_fixture(db):
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


VOLUNTEER_ROWS = [
    ["李梅", "137 0000 0001", "夕阳红志愿服务队", "助老", "2024-03-05", "是"],
    ["周强", "13700000002", None, "理发", "2024/4/1", None],
]
SERVICE_ROWS = [
    ["李梅", "13700000001", "2025-03-05", "社区环境整治", "2.5"],
    ["李梅", "13700000001", "2025-03-06", "助老送餐", "24"],
    ["周强", "13700000002", "2025-03-05", "义务理发", "0.5"],
]


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


def org_row(*cells):
    return [*cells, *([None] * (8 - len(cells)))]


def wait_for(job, states, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job stayed {job.state}")
