"""Excel exports of finance (openpyxl write-only through core.exports): the cash and bank
journals (FIN-11), budget execution (FIN-6) and the quarterly statement (FIN-7). Callers pass
data already scoped to the user (finance.selectors); user text is formula-escaped."""

from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.exports import safe_cell, xlsx_response
from finance.models import Book, ExpenseCategory, IncomeKind

BOLD = Font(bold=True)


def _bold(sheet, values):
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=safe_cell(value))
        cell.font = BOLD
        cells.append(cell)
    return cells


def journal_xlsx(journal):
    """One sheet: title, opening balance, every line with its running balance, totals."""
    wb = Workbook(write_only=True)
    title = str(Book(journal.book).label)
    sheet = wb.create_sheet(title)
    period = "—".join(str(d) for d in (journal.date_from, journal.date_to) if d)
    sheet.append(_bold(sheet, [f"{journal.community.name} {title} {period}"]))
    sheet.append(
        _bold(
            sheet,
            [_("日期"), _("摘要"), _("对方单位或个人"), _("类别"), _("收入"), _("支出"), _("余额")],
        )
    )
    sheet.append(["", _("期初余额"), "", "", None, None, journal.opening])
    for entry in journal.rows.iterator(chunk_size=2000):
        category = entry.get_category_display() or entry.get_income_kind_display()
        sheet.append(
            [
                entry.entry_date,
                safe_cell(entry.summary),
                safe_cell(entry.counterparty),
                category or entry.get_kind_display(),
                entry.debit,
                entry.credit,
                entry.balance,
            ]
        )
    totals = journal.totals
    sheet.append(
        _bold(
            sheet, ["", _("本期合计"), "", "", totals["debit"], totals["credit"], totals["closing"]]
        )
    )
    name = f"{journal.community.name}_{title}.xlsx"
    return xlsx_response(wb, name)


def budget_execution_xlsx(rows, year):
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("预算执行"))
    sheet.append(_bold(sheet, [_("%(year)s 年度预算执行情况") % {"year": year or ""}]))
    sheet.append(
        _bold(
            sheet,
            [
                _("社区"),
                _("年度"),
                _("支出类别"),
                _("预算项目"),
                _("预算金额"),
                _("已支出"),
                _("在批"),
                _("偏差"),
                _("偏差率（%）"),
                _("须说明"),
                _("执行偏差说明"),
            ],
        )
    )
    for row in rows:
        line = row.line
        sheet.append(
            [
                safe_cell(line.community.name),
                line.budget.year,
                line.get_category_display(),
                safe_cell(line.name),
                line.amount,
                row.spent,
                row.committed,
                row.variance,
                row.variance_pct,
                _("是") if row.needs_explanation else "",
                safe_cell(line.explanation),
            ]
        )
    return xlsx_response(wb, f"预算执行_{year or ''}.xlsx")


def statement_xlsx(statement):
    """The statement as posted on the board: income by kind, expense by category, earmarked
    funds, balances, the review stamp and posting dates."""
    totals = statement.totals
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("财务公开表"))
    sheet.append(_bold(sheet, [str(statement)]))
    sheet.append([_("状态"), statement.get_state_display()])
    sheet.append([_("期初余额"), Decimal(totals.get("opening", "0"))])
    sheet.append(_bold(sheet, [_("收入"), _("金额（元）")]))
    for kind, amount in totals.get("income", {}).items():
        sheet.append(
            [str(IncomeKind(kind).label) if kind in IncomeKind.values else kind, Decimal(amount)]
        )
    sheet.append(_bold(sheet, [_("收入合计"), Decimal(totals.get("income_total", "0"))]))
    sheet.append(_bold(sheet, [_("支出"), _("金额（元）")]))
    for category, amount in totals.get("expense", {}).items():
        label = (
            str(ExpenseCategory(category).label) if category in ExpenseCategory.values else category
        )
        sheet.append([label, Decimal(amount)])
    sheet.append(_bold(sheet, [_("支出合计"), Decimal(totals.get("expense_total", "0"))]))
    sheet.append(_bold(sheet, [_("期末余额"), Decimal(totals.get("closing", "0"))]))
    for book, amount in totals.get("books", {}).items():
        sheet.append([str(Book(book).label), Decimal(amount)])
    earmarked = totals.get("earmarked", {})
    if earmarked:
        sheet.append(_bold(sheet, [_("专项资金"), _("累计收到"), _("累计支出"), _("结余")]))
        for category, item in earmarked.items():
            label = (
                str(ExpenseCategory(category).label)
                if category in ExpenseCategory.values
                else category
            )
            sheet.append(
                [
                    label,
                    Decimal(item["received"]),
                    Decimal(item["spent"]),
                    Decimal(item["remaining"]),
                ]
            )
    sheet.append([_("监管会审核签章日期"), statement.stamped_on])
    sheet.append([_("公布日期"), statement.published_on])
    if statement.supersedes_id:
        sheet.append([_("更正原因"), safe_cell(statement.correction_reason)])
        for path, (old, new) in statement.diff.items():
            sheet.append([path, old, new])
    return xlsx_response(
        wb,
        f"{statement.community.name}_{statement.year}Q{statement.quarter}_v{statement.version}.xlsx",
    )
