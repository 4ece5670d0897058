"""Excel exports of staffing (openpyxl write-only, core.exports helpers): the monthly payroll
sheet and the STAFF-2 wage-gap report. Callers pass rows already scoped to the user
(staffing.payroll selectors). The roster export reads through core.scoping itself."""

from collections.abc import Iterator

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.exports import safe_cell, xlsx_response
from core.imports import get_spec, ledger_workbook
from core.scoping import scoped
from staffing.models import PostTerm, Worker
from staffing.payroll import payroll_lines, payroll_totals

BOLD = Font(bold=True)


def _bold_row(sheet, values):
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=safe_cell(value))
        cell.font = BOLD
        cells.append(cell)
    return cells


def payroll_headers() -> list[str]:
    return [
        _("序号"),
        _("姓名"),
        _("当月职务"),
        _("适用标准"),
        _("生活补贴（元）"),
        _("扣薪天数"),
        _("考勤扣款（元）"),
        _("社保个人部分（元）"),
        _("社保单位部分（元）"),
        _("实发金额（元）"),
        _("备注"),
    ]


def payroll_xlsx(payroll):
    """One sheet: a title line, the Chinese headers, one row per worker, a totals row.
    Text from users (names, posts, notes) is formula-escaped (core.exports.safe_cell)."""
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("生活补贴发放表"))
    sheet.append(
        _bold_row(
            sheet,
            [
                _("%(community)s %(month)s 社区工作者生活补贴发放表（%(state)s）")
                % {
                    "community": payroll.community.name,
                    "month": f"{payroll.month:%Y-%m}",
                    "state": payroll.get_state_display(),
                }
            ],
        )
    )
    sheet.append(_bold_row(sheet, payroll_headers()))
    for i, line in enumerate(payroll_lines(payroll), start=1):
        note = line.note
        if line.reselection_pending:
            note = "；".join(filter(None, [_("任期届满，换届结果未登记"), note]))
        sheet.append(
            [
                i,
                safe_cell(line.worker.name),
                safe_cell(line.posts),
                line.get_grade_display(),
                line.standard,
                line.deduction_days,
                line.deduction_amount,
                line.insurance_personal,
                line.insurance_unit,
                line.net,
                safe_cell(note),
            ]
        )
    totals = payroll_totals(payroll)
    sheet.append(
        _bold_row(
            sheet,
            [
                _("合计"),
                "",
                "",
                "",
                totals["standard"],
                totals["deduction_days"],
                totals["deduction_amount"],
                totals["insurance_personal"],
                totals["insurance_unit"],
                totals["net"],
                "",
            ],
        )
    )
    return xlsx_response(wb, f"生活补贴发放表_{payroll.community.name}_{payroll.month:%Y%m}.xlsx")


def wage_gap_headers(report) -> list[str]:
    return [
        _("街道"),
        _("社区"),
        _("适用标准"),
        _("%(year)s 年月补贴标准（元）") % {"year": report.year},
        _("%(year)s 年社会平均工资（元/月）") % {"year": report.average_year},
        _("差距（元）"),
        _("年缩小比例（%）"),
        _("%(year)s 年计划标准（元）") % {"year": report.year + 1},
        _("增加（元）"),
        _("社平工资发布文件"),
    ]


def wage_gap_xlsx(report):
    """The STAFF-2 wage-gap report (004 三(二)2), one row per community and standard."""
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("生活补贴与社平工资差距"))
    sheet.append(_bold_row(sheet, wage_gap_headers(report)))
    for row in report.rows:
        sheet.append(
            [
                safe_cell(row.community.street.name),
                safe_cell(row.community.name),
                row.grade_label,
                row.standard,
                row.average.monthly_amount if row.average else _("未登记"),
                row.gap,
                row.pct,
                row.next_standard,
                row.raise_by,
                safe_cell(row.average.source) if row.average else "",
            ]
        )
    return xlsx_response(wb, f"生活补贴差距报告_{report.year}.xlsx")


# --- the roster, in the import layout (staffing.imports.RosterSpec): a roster exported and
# imported again is all "unchanged".


def roster_rows(*, user, community=None) -> Iterator[dict]:
    """One dict per term (a worker without terms: one row without a post) of the workers
    who have not left, in the communities `user` may see. Read in chunks: memory stays flat
    at any size."""
    today = timezone.localdate()
    workers = scoped(Worker.objects.all(), user).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=today)
    )
    if community is not None:
        workers = workers.filter(community=community)
    workers = (
        workers.select_related("community")
        .prefetch_related(
            Prefetch("terms", queryset=PostTerm.objects.order_by("starts_on", "post", "pk"))
        )
        .order_by("community__name", "name", "pk")
    )
    for worker in workers.iterator(chunk_size=500):
        person = {
            "community": worker.community.name,
            "name": worker.name,
            "gender": worker.gender,
            "phone": worker.phone,
            "source": worker.source,
            "is_full_time": worker.is_full_time,
            "hired_on": worker.hired_on,
        }
        terms = list(worker.terms.all())
        if not terms:
            yield person
        for term in terms:
            yield {
                **person,
                "post": term.post,
                "starts_on": term.starts_on,
                "ends_on": term.ends_on,
                "selection": term.selection,
            }


def roster_xlsx(*, user, community=None):
    spec = get_spec("roster")
    workbook = ledger_workbook(spec, roster_rows(user=user, community=community))
    suffix = f"_{community.name}" if community is not None else ""
    return xlsx_response(workbook, f"{spec.title}{suffix}_{timezone.localdate():%Y%m%d}.xlsx")
