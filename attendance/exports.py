"""Excel exports of attendance (openpyxl write-only, core.exports helpers): the ATT-5 monthly
sheet as the familiar 考勤表 grid and the ATT-6 yearly statistics. Callers pass rows already
scoped to the user (attendance.sheets selectors)."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from core.exports import safe_cell, xlsx_response

BOLD = Font(bold=True)
CENTER = Alignment(horizontal="center")
WEEKDAYS = "一二三四五六日"


def _row(sheet, values, *, bold=False, center=False):
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=safe_cell(value))
        if bold:
            cell.font = BOLD
        if center:
            cell.alignment = CENTER
        cells.append(cell)
    return cells


def total_headers():
    return [_("应出勤"), _("出勤"), _("迟到"), _("早退"), _("请假"), _("旷工")]


def _signed(user, at):
    if user is None:
        return _("未签字")
    name = user.get_full_name() or user.get_username()
    return f"{name} {timezone.localtime(at):%Y-%m-%d %H:%M}"


def sheet_xlsx(sheet):
    """ATT-5: title, the day numbers with weekdays, one row per worker with the symbols and
    totals, the legend and the two signatures with the submission. Names are formula-escaped
    (core.exports.safe_cell)."""
    data = sheet.data or {}
    days = [dt.date.fromisoformat(d) for d in data.get("days", [])]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("考勤表"))
    ws.append(
        _row(
            ws,
            [
                _("%(community)s %(month)s 月考勤登记表（%(state)s）")
                % {
                    "community": sheet.community.name,
                    "month": f"{sheet.month:%Y-%m}",
                    "state": sheet.get_state_display(),
                }
            ],
            bold=True,
        )
    )
    ws.append(_row(ws, [_("序号"), _("姓名")] + [d.day for d in days] + total_headers(), bold=True))
    ws.append(_row(ws, ["", _("星期")] + [WEEKDAYS[d.weekday()] for d in days], center=True))
    keys = ("working", "present", "late", "early", "leave", "absent")
    for i, row in enumerate(data.get("rows", []), start=1):
        totals = row.get("totals", {})
        ws.append(
            _row(
                ws, [i, row["name"]] + row["cells"] + [totals.get(k, "") for k in keys], center=True
            )
        )
    ws.append([])
    ws.append(
        _row(
            ws,
            [_("图例：√ 出勤　迟 迟到　早 早退　假 请假　旷 旷工　休 休息日（法定节假日、周末）")],
        )
    )
    if data.get("fallback_years"):
        ws.append(
            _row(
                ws,
                [
                    _("注：%(years)s 年系统未内置法定节假日，按周一至周五及街道录入的调整计算")
                    % {"years": "、".join(str(y) for y in data["fallback_years"])}
                ],
            )
        )
    ws.append(
        _row(ws, [_("主任签字"), _signed(sheet.director_signed_by, sheet.director_signed_at)])
    )
    ws.append(_row(ws, [_("考勤员签字"), _signed(sheet.clerk_signed_by, sheet.clerk_signed_at)]))
    ws.append(_row(ws, [_("加盖社区印章"), _("是") if sheet.stamped else _("否")]))
    if sheet.submitted_at:
        submitted = f"{timezone.localtime(sheet.submitted_at):%Y-%m-%d %H:%M}"
        ws.append(_row(ws, [_("报街道时间"), submitted]))
    return xlsx_response(wb, f"考勤表_{sheet.community.name}_{sheet.month:%Y%m}.xlsx")


def yearly_xlsx(community, year, rows):
    """ATT-6: one row per worker with the year's totals, deduction days and cases."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("年度考勤统计"))
    ws.append(
        _row(
            ws,
            [
                _("%(community)s %(year)s 年度考勤统计")
                % {"community": community.name, "year": year}
            ],
            bold=True,
        )
    )
    ws.append(
        _row(
            ws,
            [_("序号"), _("姓名")] + total_headers() + [_("扣薪天数"), _("考勤处理事项")],
            bold=True,
        )
    )
    keys = ("working", "present", "late", "early", "leave", "absent")
    for i, row in enumerate(rows, start=1):
        ws.append(
            _row(
                ws,
                [i, row.worker.name]
                + [row.totals[k] for k in keys]
                + [row.deduction_days, row.cases],
            )
        )
    return xlsx_response(wb, f"年度考勤统计_{community.name}_{year}.xlsx")
