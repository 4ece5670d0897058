"""The books (issue #6): cash deposits and withdrawals (FIN-11), the monthly
reconciliation and its street review (FIN-11/FIN-7), and the quarterly statement
(FIN-7): generate from the journals, review and stamp (street supervision committee),
publish (after the stamp, stamp date ≤ posting date), correct (a new version)."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from communities.models import Community
from core.errors import RuleViolation
from core.scoping import can
from core.services import require
from finance import rules
from finance.models import (
    Book,
    Direction,
    EntryKind,
    MonthlyReconciliation,
    QuarterlyStatement,
    StatementState,
)
from finance.selectors import book_balances, statement_totals
from finance.services.common import (
    check_amount,
    check_not_future,
    journal_add,
    lock_books,
    require_account,
    require_covered,
    require_in_scope,
    require_street,
    street_perm,
)

# --- cash deposits and withdrawals ------------------------------------------------------------


@transaction.atomic
def cash_move(
    *, user, community: Community, withdraw: bool, amount, on: dt.date | None = None, note=""
):
    """Cash drawn from the bank (withdraw) or paid into it: two journal lines, one per book,
    that leave the total unchanged and never take a book below zero."""
    require_in_scope(user, community.pk)
    require(user, "finance.add_journalentry", community)
    amount = check_amount(amount)
    on = check_not_future(on, "on")
    require_account(community.pk)
    lock_books(community.pk)
    source, target = (Book.BANK, Book.CASH) if withdraw else (Book.CASH, Book.BANK)
    require_covered(community.pk, source, amount)
    summary = (_("提取现金") if withdraw else _("现金存入银行")) + (f" {note}" if note else "")
    entries = []
    for book, direction in ((source, Direction.OUT), (target, Direction.IN)):
        entries.append(
            journal_add(
                user=user,
                community_id=community.pk,
                book=book,
                entry_date=on,
                kind=EntryKind.INTERNAL,
                direction=direction,
                amount=amount,
                summary=summary[:200],
            )
        )
    return entries


# --- monthly reconciliation -------------------------------------------------------------------


@transaction.atomic
def reconciliation_record(
    *,
    user,
    community: Community,
    month: dt.date,
    counted_cash,
    bank_statement,
    explanation: str = "",
) -> MonthlyReconciliation:
    """FIN-11 (003 十四(二) 帐款相符): the month-end book balances (computed from the journals)
    against the cash counted and the bank statement; differences are kept and reported as
    findings (finance.checks). Recorded again until the street has reviewed it."""
    month = rules.month_first(month)
    if month > rules.month_first(timezone.localdate()):
        raise ValidationError({"month": _("不能对尚未开始的月份对账")})
    probe = MonthlyReconciliation(community=community)
    require(user, "finance.add_monthlyreconciliation", probe)
    lock_books(community.pk)
    balances = book_balances(community.pk, rules.month_end(month))
    counted = Decimal(str(counted_cash))
    statement = Decimal(str(bank_statement))
    for name, value in (("counted_cash", counted), ("bank_statement", statement)):
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError({name: _("金额最多保留两位小数（精确到分）")})
    if counted < 0:
        raise ValidationError({"counted_cash": _("库存现金不能为负数")})
    cash_diff, bank_diff = rules.reconciliation_differences(
        balances["cash"], counted, balances["bank"], statement
    )
    if (cash_diff or bank_diff) and not (explanation or "").strip():
        raise RuleViolation(
            "FIN-11",
            _("账实不符（现金差额 %(cash)s 元，银行差额 %(bank)s 元），请填写差异说明")
            % {"cash": cash_diff, "bank": bank_diff},
            field="explanation",
        )
    row = (
        MonthlyReconciliation.objects.select_for_update()
        .filter(community=community, month=month)
        .first()
    )
    if row is not None and row.reviewed_at is not None:
        raise ValidationError(_("本月对账已经街道监管会审核，不能再修改"))
    row = row or MonthlyReconciliation(community=community, month=month)
    row.book_cash, row.counted_cash, row.cash_difference = balances["cash"], counted, cash_diff
    row.book_bank, row.bank_statement, row.bank_difference = balances["bank"], statement, bank_diff
    row.explanation = (explanation or "").strip()
    row.reconciled_by, row.reconciled_at = user, timezone.now()
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def reconciliation_review(*, user, reconciliation: MonthlyReconciliation, comment: str = ""):
    """FIN-7 (003 十四(七) 每月审核社区账务): the street supervision committee's monthly review."""
    row = MonthlyReconciliation.objects.select_related("community").filter(pk=reconciliation.pk)
    row = row.first()
    if row is None:
        raise Http404
    require_street(user, "finance.review_monthlyreconciliation", row.community)
    row = MonthlyReconciliation.objects.select_for_update().get(pk=row.pk)
    if row.reviewed_at is not None:
        raise ValidationError(_("本月对账已审核"))
    row.reviewed_by, row.reviewed_at = user, timezone.now()
    row.review_comment = (comment or "").strip()
    row.save()
    return row


# --- quarterly statement ----------------------------------------------------------------------


def _figures(statement: QuarterlyStatement, totals: dict) -> None:
    statement.totals = totals
    statement.opening_balance = Decimal(totals["opening"])
    statement.income_total = Decimal(totals["income_total"])
    statement.expense_total = Decimal(totals["expense_total"])
    statement.closing_balance = Decimal(totals["closing"])


def _check_quarter(year: int, quarter: int) -> None:
    if quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": _("季度应为 1—4")})
    _first, last = rules.quarter_bounds(year, quarter)
    if last > timezone.localdate():
        raise ValidationError({"quarter": _("该季度尚未结束，不能编制财务公开表")})


@transaction.atomic
def statement_generate(*, user, community: Community, year: int, quarter: int):
    """Make, or refresh while still a draft, the quarter's statement from the journals.
    Refused once a version has been stamped or published: a published statement is
    corrected by statement_correct."""
    _check_quarter(year, quarter)
    probe = QuarterlyStatement(community=community)
    require(user, "finance.add_quarterlystatement", probe)
    lock_books(community.pk)
    latest = (
        QuarterlyStatement.objects.select_for_update()
        .filter(community=community, year=year, quarter=quarter)
        .order_by("-version")
        .first()
    )
    if latest is not None and latest.state != StatementState.DRAFT:
        raise RuleViolation(
            "FIN-7",
            _("该季度财务公开表已%(state)s，如需更正请生成更正版本")
            % {"state": latest.get_state_display()},
        )
    statement = latest or QuarterlyStatement(community=community, year=year, quarter=quarter)
    _figures(statement, statement_totals(community.pk, year, quarter))
    statement.generated_at, statement.generated_by = timezone.now(), user
    if statement.supersedes_id:
        statement.diff = rules.statement_diff(statement.supersedes.totals, statement.totals)
    statement.full_clean(exclude=["state"])
    statement.save()
    return statement


def _locked_statement(user, statement: QuarterlyStatement) -> QuarterlyStatement:
    current = QuarterlyStatement.objects.filter(pk=statement.pk).only("pk", "community_id")
    current = current.first()
    if current is None:
        raise Http404
    require(user, "finance.view_quarterlystatement", current)
    return (
        QuarterlyStatement.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=statement.pk)
    )


@transaction.atomic
def statement_stamp(*, user, statement: QuarterlyStatement, stamped_on: dt.date | None = None):
    """FIN-7 (003 十四(七) 上墙公布前必须进行审核签章): the street supervision committee
    reviews and stamps a draft."""
    statement = _locked_statement(user, statement)
    if not street_perm(user, "finance.stamp_quarterlystatement", statement.community.street_id):
        raise PermissionDenied(_("财务公开表须由街道监管会审核签章"))
    stamped_on = check_not_future(stamped_on, "stamped_on")
    if stamped_on < timezone.localtime(statement.generated_at).date():
        raise ValidationError({"stamped_on": _("签章日期不能早于编制日期")})
    try:
        statement.stamp(by=user, on=stamped_on)
    except TransitionNotAllowed:
        raise RuleViolation(
            "FIN-7",
            _("只有草稿状态的财务公开表可以审核签章（当前：%(state)s）")
            % {"state": statement.get_state_display()},
        ) from None
    statement.save()
    return statement


@transaction.atomic
def statement_publish(*, user, statement: QuarterlyStatement, published_on: dt.date | None = None):
    """Post the stamped statement (the community's heads). The stamp date is on or before
    the posting date (FIN-7); from here the statement never changes."""
    statement = _locked_statement(user, statement)
    if not can(user, "finance.publish_quarterlystatement", statement):
        raise PermissionDenied(_("您没有公布财务公开表的权限"))
    published_on = check_not_future(published_on, "published_on")
    if statement.state != StatementState.STAMPED:
        raise RuleViolation(
            "FIN-7",
            _("财务公开表须经街道监管会审核签章后才能公布（当前：%(state)s）")
            % {"state": statement.get_state_display()},
        )
    if not rules.stamp_precedes_publication(statement.stamped_on, published_on):
        raise RuleViolation(
            "FIN-7",
            _("公布日期（%(pub)s）不能早于签章日期（%(stamp)s）")
            % {"pub": published_on, "stamp": statement.stamped_on},
            field="published_on",
        )
    statement.publish(by=user, on=published_on)
    statement.save()
    return statement


@transaction.atomic
def statement_correct(*, user, statement: QuarterlyStatement, reason: str) -> QuarterlyStatement:
    """A correction of a published statement: a new version, regenerated from the journals,
    that supersedes it and keeps what changed (`diff`); it is stamped and published anew.
    The published version itself is never changed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"correction_reason": _("请填写更正原因")})
    original = _locked_statement(user, statement)
    require(user, "finance.add_quarterlystatement", original)
    if original.state != StatementState.PUBLISHED:
        raise RuleViolation("FIN-7", _("只有已公布的财务公开表需要更正；草稿可直接重新生成"))
    if QuarterlyStatement.objects.filter(supersedes=original).exists():
        raise RuleViolation("FIN-7", _("该版本已有更正版本"))
    lock_books(original.community_id)
    top = QuarterlyStatement.objects.filter(
        community_id=original.community_id, year=original.year, quarter=original.quarter
    ).aggregate(v=Max("version"))["v"]
    correction = QuarterlyStatement(
        community_id=original.community_id,
        year=original.year,
        quarter=original.quarter,
        version=(top or 0) + 1,
        supersedes=original,
        correction_reason=reason,
        generated_at=timezone.now(),
        generated_by=user,
    )
    _figures(correction, statement_totals(original.community_id, original.year, original.quarter))
    correction.diff = rules.statement_diff(original.totals, correction.totals)
    correction.full_clean(exclude=["state"])
    correction.save()
    return correction


__all__ = [
    "cash_move",
    "reconciliation_record",
    "reconciliation_review",
    "statement_correct",
    "statement_generate",
    "statement_publish",
    "statement_stamp",
]
