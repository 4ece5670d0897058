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


def _category(code: str) -> str:
    return str(ExpenseCategory(code).label) if code in ExpenseCategory.values else code


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
    in_kind = totals.get("in_kind", {})
    if in_kind:  # FIN-5 goods at their estimated value
        sheet.append(_bold(sheet, [_("实物捐赠（估价）"), _("累计接收"), _("累计发放"), _("结余")]))
        for category, item in in_kind.items():
            sheet.append(
                [
                    _category(category),
                    Decimal(item["received"]),
                    Decimal(item["distributed"]),
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


def receipt_register_xlsx(batches, lines_of):
    """FIN-11 票据收、缴、存: a summary sheet (each batch: range, received, issued, voided,
    handed in, stock) and a register sheet with every number and what happened to it.
    `batches` come from register_selectors.batch_rows (scoped); `lines_of(batch)` gives
    its register lines."""
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(_("票据收缴存"))
    summary.append(
        _bold(
            summary,
            [
                _("社区"),
                _("起始号码"),
                _("终止号码"),
                _("领用日期"),
                _("领用自"),
                _("领用数"),
                _("已开具"),
                _("已作废"),
                _("已缴销"),
                _("库存"),
            ],
        )
    )
    batches = list(batches)
    for b in batches:
        summary.append(
            [
                safe_cell(b.community.name),
                b.label(b.first_no),
                b.label(b.last_no),
                b.received_on,
                safe_cell(b.source),
                b.size,
                b.issued,
                b.voided,
                b.handed_in,
                b.stock,
            ]
        )
    register = wb.create_sheet(_("票据使用登记"))
    register.append(
        _bold(
            register,
            [
                _("社区"),
                _("票号"),
                _("状态"),
                _("日期"),
                _("交款单位或个人"),
                _("金额"),
                _("收款事由"),
                _("对应收入"),
                _("作废原因"),
                _("缴交至"),
            ],
        )
    )
    for b in batches:
        for line in lines_of(b):
            r, h = line.receipt, line.hand_in
            register.append(
                [
                    safe_cell(b.community.name),
                    line.label,
                    line.state_label,
                    (r.issued_on if r else h.handed_on if h else None),
                    safe_cell(r.payer) if r else "",
                    r.amount if r else None,
                    safe_cell(r.purpose) if r else "",
                    (str(r.income) if r and r.income_id else ""),
                    safe_cell(r.void_reason) if r else "",
                    safe_cell(h.handed_to) if h else "",
                ]
            )
    return xlsx_response(wb, "票据收缴存登记.xlsx")
