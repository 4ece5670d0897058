"""Excel exports shared across apps (openpyxl, write-only so memory stays flat)."""

from io import BytesIO

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """Neutralise spreadsheet formula injection: text starting with = + - @ is stored with a
    leading apostrophe so Excel shows it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def xlsx_response(workbook: Workbook, filename: str) -> HttpResponse:
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def compliance_matrix_xlsx(matrix) -> HttpResponse:
    """Two sheets: the street-wide table (community × check) and every finding in detail
    with its citation and the parameter values that applied."""
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(_("合规总表"))
    bold = Font(bold=True)
    header = [_("社区"), _("街道")] + [f"{c.rule_id} {c.title}" for c in matrix.checks]
    summary.append([_header_cell(summary, h, bold) for h in header])
    for row in matrix.rows:
        summary.append(
            [safe_cell(row.community.name), safe_cell(row.community.street.name)]
            + [f.get_status_display() if f else _("未检查") for f in row.cells]
        )
    detail = wb.create_sheet(_("检查明细"))
    detail.append(
        [
            _header_cell(detail, h, bold)
            for h in [
                _("社区"),
                _("规则编号"),
                _("检查项"),
                _("结论"),
                _("说明"),
                _("依据"),
                _("检查日期"),
                _("参数方案"),
                _("适用参数"),
            ]
        ]
    )
    for row in matrix.rows:
        for check, finding in zip(matrix.checks, row.cells, strict=True):
            if finding is None:
                continue
            detail.append(
                [
                    safe_cell(row.community.name),
                    check.rule_id,
                    check.title,
                    finding.get_status_display(),
                    safe_cell(finding.message),
                    safe_cell(check.citation),
                    finding.run_date,
                    safe_cell(finding.profile.name),
                    "; ".join(f"{k}={v}" for k, v in finding.params.items()),
                ]
            )
    return xlsx_response(wb, f"合规检查_{timezone.localdate():%Y%m%d}.xlsx")


def _header_cell(sheet, value, font):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell
