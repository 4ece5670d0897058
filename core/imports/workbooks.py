"""The workbooks of an import spec: the template (also the layout of exports, so an export
re-imports as "unchanged") and the error report of a job. openpyxl in write-only mode,
every text through core.exports.safe_cell."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.exports import safe_cell
from core.imports.spec import DATE, TEXT, TYPE_LABELS, ImportSpec

DATE_FORMAT = "yyyy-mm-dd"
BOLD = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E1")
OPTIONAL_FILL = PatternFill("solid", fgColor="EEF0F2")
WRAP = Alignment(wrap_text=True, vertical="top")


def _cell(sheet, value, *, font=None, fill=None, number_format=None, wrap=False):
    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if number_format:
        cell.number_format = number_format
    if wrap:
        cell.alignment = WRAP
    return cell


def ledger_workbook(
    spec: ImportSpec, rows: Iterable[dict] = (), extra: Sequence[tuple[str, str]] = ()
) -> Workbook:
    """The data sheet (Chinese headers, required ones shaded red, dropdowns for choice and
    yes/no columns, date and text formats), a hidden sheet with the dropdowns' entries and the
    "说明" sheet. `rows` (dicts by column key, Python values) fill the data sheet: the
    template has none, an export has the current records. `extra` (key, header) columns
    follow the spec's: facts an export shows that an import ignores (unknown headers are
    skipped), so the file still re-imports unchanged."""
    wb = Workbook(write_only=True)
    data = wb.create_sheet(str(spec.sheet_name))
    options = wb.create_sheet(_("选项"))
    options.sheet_state = "hidden"
    last_row = spec.row_limit() + 1
    lists = []
    for j, column in enumerate(spec.columns):
        letter = get_column_letter(j + 1)
        dim = data.column_dimensions[letter]
        dim.width = column.width
        if column.type == DATE:
            dim.number_format = DATE_FORMAT
        elif column.type == TEXT:
            dim.number_format = "@"  # phone numbers and ids stay text when typed
        labels = column.labels()
        if labels:
            lists.append(labels)
            opt = get_column_letter(len(lists))
            validation = DataValidation(
                type="list",
                formula1=f"'{options.title}'!${opt}$1:${opt}${len(labels)}",
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle=str(column.header)[:32],
                error=_("请从下拉列表中选择"),
                showInputMessage=bool(column.help),
                promptTitle=str(column.header)[:32],
                prompt=str(column.help)[:250],
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            data.data_validations.append(validation)
        elif column.type == DATE:
            validation = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="1",
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle=str(column.header)[:32],
                error=_("请填写日期，如 2024-01-31"),
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            data.data_validations.append(validation)
    data.freeze_panes = "A2"
    data.append(
        [
            _cell(
                data, str(c.header), font=BOLD, fill=REQUIRED_FILL if c.required else OPTIONAL_FILL
            )
            for c in spec.columns
        ]
        + [_cell(data, str(header), font=BOLD) for _key, header in extra]
    )
    for values in rows:
        data.append(
            [_value_cell(data, c, values.get(c.key)) for c in spec.columns]
            + [_plain_cell(data, values.get(key)) for key, _header in extra]
        )
    for i in range(max((len(labels) for labels in lists), default=0)):
        options.append([labels[i] if i < len(labels) else None for labels in lists])
    _notes_sheet(wb, spec)
    return wb


def _value_cell(sheet, column, value):
    value = column.to_cell(value)
    if isinstance(value, dt.date):
        return _cell(sheet, value, number_format=DATE_FORMAT)
    return safe_cell(value)


def _plain_cell(sheet, value):
    if isinstance(value, dt.date):
        return _cell(sheet, value, number_format=DATE_FORMAT)
    return safe_cell(value)


def _notes_sheet(wb, spec: ImportSpec) -> None:
    notes = wb.create_sheet(_("说明"))
    for letter, width in zip("ABCDEF", (16, 8, 20, 40, 18, 60), strict=True):
        notes.column_dimensions[letter].width = width
    notes.append([_cell(notes, _("%(title)s 导入说明") % {"title": spec.title}, font=BOLD)])
    notes.append(
        [
            _("在“%(sheet)s”工作表中每行填写一条记录，表头不要改动；红色表头为必填列。")
            % {"sheet": spec.sheet_name}
        ]
    )
    notes.append([])
    notes.append(
        [
            _cell(notes, h, font=BOLD)
            for h in (_("列名"), _("必填"), _("类型"), _("可选值"), _("示例"), _("说明"))
        ]
    )
    for c in spec.columns:
        notes.append(
            [
                str(c.header),
                _("是") if c.required else _("否"),
                str(TYPE_LABELS[c.type]),
                _cell(notes, "、".join(c.labels()), wrap=True),
                _value_cell(notes, c, c.example),
                _cell(notes, str(c.help), wrap=True),
            ]
        )
    notes.append([])
    notes.append([_cell(notes, _("示例行（仅供参考，请勿复制到数据表）"), font=BOLD)])
    notes.append([_cell(notes, str(c.header), font=BOLD) for c in spec.columns])
    notes.append([_value_cell(notes, c, c.example) for c in spec.columns])
    if spec.rules:
        notes.append([])
        notes.append([_cell(notes, _("适用的规则（导入时与手工录入同样检查）"), font=BOLD)])
        for rule_id, text in spec.rules:
            notes.append([rule_id, None, _cell(notes, str(text), wrap=True)])
    notes.append([])
    notes.append([_cell(notes, _("导入须知"), font=BOLD)])
    general = (
        *spec.notes,
        _("先上传校验，全部行无误后确认导入；导入要么全部成功，要么一条都不写入。"),
        _("同一文件重复导入不会产生重复记录：没有变化的行显示为“无变化”。"),
        _("单元格不能含公式，请填写数值（可复制后“选择性粘贴→数值”）。"),
        _("文件须为 .xlsx 格式，不超过 %(mb)s MB、%(rows)s 行；不接受 .xls、.xlsm 和加密文件。")
        % {
            "mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
            "rows": spec.row_limit(),
        },
    )
    for line in general:
        notes.append([_cell(notes, "· " + str(line))])


REPORT_HEADERS = (
    gettext_lazy("工作表"),
    gettext_lazy("行号"),
    gettext_lazy("列"),
    gettext_lazy("值"),
    gettext_lazy("原因"),
)


def error_report(job) -> Workbook:
    """Every recorded error of a job: sheet, row, column, value, reason."""
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("错误报告"))
    for letter, width in zip("ABCDE", (14, 8, 14, 24, 70), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([_cell(sheet, str(h), font=BOLD) for h in REPORT_HEADERS])
    if job.message and not job.errors:
        sheet.append(["", None, "", "", safe_cell(job.message)])
    for e in job.errors:
        sheet.append(
            [
                safe_cell(e.get("sheet", "")),
                e.get("row"),
                safe_cell(e.get("column", "")),
                safe_cell(_text(e.get("value"))),
                safe_cell(e.get("reason", "")),
            ]
        )
    if job.error_count > len(job.errors):
        sheet.append(
            [
                "",
                None,
                "",
                "",
                _("另有 %(n)s 条错误未列出，请先改正以上错误后重新上传")
                % {"n": job.error_count - len(job.errors)},
            ]
        )
    return wb


def _text(value) -> str:
    return "" if value is None else str(value)
