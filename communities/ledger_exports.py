"""Excel out of the ledgers (issue #4): what the current filter shows, scoped to the user,
masked unless the user holds reveal_personal there AND asked for full values, every text
cell formula-escaped (core.exports.safe_cell), streamed (openpyxl write-only, rows read with
values_list().iterator(), never model instances), and every export of personal data logged.

`resident_export` writes to any file-like object, so a Celery task can call it for a large
export as well as a view; `resident_export_response` is the view's wrapper (a temporary file
sent with FileResponse: memory stays flat whatever the number of rows). Above
settings.LEDGER_EXPORT_SYNC_MAX_ROWS rows (`resident_export_count`) the portal and the admin
queue the export instead (communities.ledger_jobs: an ExportJob written by a Celery task and
downloaded by its owner from 我的导出). benchmarks/bench_export.py: 100,000 rows at a flat
peak RSS of about 90 MiB.
"""

import tempfile

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from communities import rules
from communities.ledger_selectors import (
    RESIDENT_ORDER,
    permitted,
    resident_filter,
    with_group_names,
    with_review_flags,
)
from communities.ledger_services import REVEAL_PERM, personal_data_log
from communities.models import (
    PersonalDataAction,
    RegistrationType,
    Relation,
    Resident,
)
from core.exports import XLSX, safe_cell, xlsx_response
from core.middleware import client_ip
from core.scoping import scope_for

CHUNK = 2000

_FILTER_LABELS = {
    "community_id": "社区",
    "q": "搜索",
    "group": "特殊群体",
    "residents_group": "居民小组",
    "building": "楼栋",
    "unit": "单元",
    "registration_type": "户籍类型",
    "include_moved_out": "含已迁出",
    "moved_out": "仅已迁出",
    "duplicate": "待核查（他社区亦登记）",
    "no_id": "无有效身份证号",
    "include_ended": "含已终止",
    "community": "社区",
    "e": "筛选参数有误",
}


def filters_text(filters: dict) -> str:
    """The filters of an export as the log shows them (which filter, issue #4)."""
    parts = [
        f"{_FILTER_LABELS.get(k, k)}={v}"
        for k, v in sorted(filters.items())
        if v not in (None, "", False)
    ]
    return "; ".join(parts) or _("无筛选")


def _reveal_communities(user) -> set[int] | None:
    """Communities where the user may see full values (None: everywhere)."""
    scope = scope_for(user)
    if scope.everything:
        return None
    return {cid for cid, perms in scope.perms_by_community.items() if REVEAL_PERM in perms}


# --- shared by every ledger's export (also communities.ledger_exports_more) ----------------


def reveal_scope(user, reveal: bool) -> set[int] | None:
    """Communities whose rows an export asked to `reveal` shows in full (None: all);
    PermissionDenied when full values are asked without reveal_personal anywhere."""
    revealable = _reveal_communities(user)
    if reveal and revealable is not None and not revealable:
        raise PermissionDenied(_("您没有查看完整身份证号和电话的权限"))
    return revealable


def header_cells(sheet, headers) -> list:
    """The header row of a write-only sheet, in bold."""
    bold = Font(bold=True)
    cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(text)))
        cell.font = bold
        cells.append(cell)
    return cells


def export_logged(*, user, model: str, per_community: dict, filters: str, fields, ip=None):
    """One PersonalDataLog row per community exported (action export): the filter as text,
    the number of rows and the personal fields written in full (none when masked).
    `per_community` maps a community id to [rows, revealed?]."""
    for community_id, (n, full) in per_community.items():
        personal_data_log(
            user=user,
            action=PersonalDataAction.EXPORT,
            model=model,
            community_id=community_id,
            fields=tuple(fields) if full else (),
            filters=filters,
            rows=n,
            ip=ip,
        )


def file_response(write, *, name: str) -> FileResponse:
    """An export as a download: `write(stream)` fills a temporary file first, which is
    then streamed (memory stays flat whatever the number of rows)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
    try:
        write(handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)


def _headers():
    return [
        _("社区"),
        _("地址"),
        _("姓名"),
        _("性别"),
        _("出生日期"),
        _("年龄段"),
        _("身份证号"),
        _("联系电话"),
        _("与户主关系"),
        _("户籍类型"),
        _("特殊群体"),
        _("迁入日期"),
        _("迁出日期"),
        _("核查"),
    ]


def resident_export_count(*, user, filters: dict) -> int:
    """How many rows resident_export would write (decides a background export)."""
    residents = permitted(Resident.objects.all(), user, "communities.view_resident")
    return resident_filter(residents, **filters).count()


def resident_export(*, user, filters: dict, reveal: bool = False, stream, ip=None) -> int:
    """Write the residents selected by `filters` (ledger_selectors.resident_filter's
    keywords) to `stream` as an .xlsx workbook; return the number of rows. Full ID numbers
    and phones only when `reveal` and only for communities where the user holds
    reveal_personal; PermissionDenied when asked without the permission anywhere. One
    PersonalDataLog row per community exported (action export, filters, rows)."""
    revealable = reveal_scope(user, reveal)
    today = timezone.localdate()
    residents = permitted(Resident.objects.all(), user, "communities.view_resident")
    residents = with_review_flags(resident_filter(residents, today=today, **filters))
    rows = (
        with_group_names(residents, today)
        .order_by(*RESIDENT_ORDER)
        .values_list(
            "community_id",
            "community__name",
            "household__address",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "phone",
            "relation",
            "registration_type",
            "group_names",
            "moved_in_on",
            "moved_out_on",
            "duplicate_elsewhere",
            "registered_elsewhere",
            "id_valid",
        )
    )
    genders = {"male": _("男"), "female": _("女")}
    relations = dict(Relation.choices)
    registrations = dict(RegistrationType.choices)
    flags = (
        _("他社区亦有在册登记，待核查"),
        _("人户分离（他社区亦登记）"),
        _("无有效身份证号"),
    )

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("居民台帐"))
    sheet.append(header_cells(sheet, _headers()))
    per_community: dict[int, list] = {}  # id -> [rows, revealed?]
    count = 0
    for (
        community_id,
        community,
        address,
        name,
        gender,
        birth,
        id_number,
        phone,
        relation,
        registration,
        group_names,
        moved_in,
        moved_out,
        duplicate,
        elsewhere,
        id_valid,
    ) in rows.iterator(chunk_size=CHUNK):
        full = reveal and (revealable is None or community_id in revealable)
        stat = per_community.setdefault(community_id, [0, full])
        stat[0] += 1
        if duplicate:
            flag = flags[0]
        elif elsewhere:
            flag = flags[1]
        elif moved_out is None and not id_valid:
            flag = flags[2]
        else:
            flag = ""
        sheet.append(
            [
                safe_cell(community),
                safe_cell(address),
                safe_cell(name),
                genders.get(gender, ""),
                birth,
                rules.age_group(birth, today),
                safe_cell(id_number if full else rules.mask_id(id_number)),
                safe_cell(phone if full else rules.mask_phone(phone)),
                str(relations.get(relation, relation)),
                str(registrations.get(registration, registration)),
                safe_cell(group_names or ""),
                moved_in,
                moved_out,
                flag,
            ]
        )
        count += 1
    wb.save(stream)
    export_logged(
        user=user,
        model="resident",
        per_community=per_community,
        filters=filters_text(filters),
        fields=("id_number", "phone"),
        ip=ip,
    )
    return count


def resident_export_response(request, *, filters: dict, reveal: bool = False):
    """The export as a download: written to a temporary file first, then streamed."""
    name = _("居民台帐_%(day)s.xlsx") % {"day": f"{timezone.localdate():%Y%m%d}"}
    return file_response(
        lambda stream: resident_export(
            user=request.user, filters=filters, reveal=reveal, stream=stream, ip=client_ip(request)
        ),
        name=name,
    )


def coverage_xlsx(report):
    """The coverage report: one row per unit, then totals per community and street-wide."""
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("台帐覆盖情况"))
    headers = [
        _("社区"),
        _("楼栋"),
        _("单元"),
        _("应登记户数"),
        _("已登记户数"),
        _("差额"),
        _("无居民的住户"),
        _("在册居民"),
        _("无有效身份证号"),
        _("他社区亦登记待核查"),
        _("说明"),
    ]
    sheet.append(header_cells(sheet, headers))

    def counts_cells(c):
        return [
            c.expected,
            c.registered,
            c.missing,
            c.empty_households,
            c.residents,
            c.without_id,
            c.duplicates,
        ]

    for community in report.communities:
        name = safe_cell(community.community.name)
        for building in community.buildings:
            if not building.units:
                sheet.append(
                    [name, safe_cell(building.building.name), "", *counts_cells(building.counts)]
                    + [_("楼栋未登记单元")]
                )
            for unit in building.units:
                note = ""
                if unit.is_empty:
                    note = _("未登记住户")
                elif unit.is_short:
                    note = _("少登记 %(n)s 户") % {"n": unit.counts.missing}
                sheet.append(
                    [
                        name,
                        safe_cell(building.building.name),
                        safe_cell(unit.unit.name),
                        *counts_cells(unit.counts),
                        note,
                    ]
                )
        sheet.append([name, _("社区合计"), "", *counts_cells(community.counts), ""])
    sheet.append([_("全街道"), _("合计"), "", *counts_cells(report.counts), ""])
    return xlsx_response(wb, f"台帐覆盖情况_{report.day:%Y%m%d}.xlsx")
