"""FIN compliance checks (issue #6), registered in core.compliance. Reported, never blocked:
split claims (FIN-3), over-budget lines (FIN-6), reconciliation differences (FIN-11), a
statement not published after its quarter (FIN-7), working fund below FIN-1, the receipt
register (FIN-11: numbers skipped, receipts not booked, incomes without a receipt). Each
reads a fixed number of queries per community."""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.compliance import Result, register
from finance import rules
from finance.models import (
    DEAD_STATES,
    Budget,
    BudgetState,
    ExpenseClaim,
    Income,
    IncomeKind,
    MonthlyReconciliation,
    QuarterlyStatement,
    StatementState,
)
from finance.selectors import budget_lines_with_execution

ZERO = Decimal("0.00")
MAX_LISTED = 5


def _listed(items) -> str:
    items = list(items)
    text = "；".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        text += _("等 %(n)s 项") % {"n": len(items)}
    return text


@register(
    "fin3-split-claims",
    rule_id="FIN-3",
    title=gettext_lazy("疑似拆分报销规避审批"),
    citation="003 十四(四)",
    params=("approval_street_from", "approval_collective_from", "split_window_days"),
)
def split_claims(community, profile):
    """Claims of this year (and the window before it) by the same claimant or to the same
    payee for the same purpose whose sum within the window needs a higher tier: a warning
    to the street (rules.split_groups), never a block."""
    today = timezone.localdate()
    since = today.replace(month=1, day=1) - dt.timedelta(days=profile.split_window_days)
    facts = [
        rules.ClaimFact(pk, claimant, payee, purpose, amount, day)
        for pk, claimant, payee, purpose, amount, day in ExpenseClaim.objects.filter(
            community=community, expense_date__gte=since
        )
        .exclude(state__in=DEAD_STATES)
        .values_list("pk", "claimant_id", "payee", "purpose", "amount", "expense_date")
    ]
    groups = rules.split_groups(facts, profile)
    if not groups:
        return Result.ok(_("未发现拆分报销"))
    return Result.warning(
        _("疑似拆分报销：%(items)s")
        % {
            "items": _listed(
                _("“%(purpose)s”报销单 %(ids)s 合计 %(total)s 元，合并应经%(n)s级审批")
                % {
                    "purpose": g.purpose,
                    "ids": "、".join(f"#{pk}" for pk in g.claim_ids),
                    "total": g.total,
                    "n": len(g.steps),
                }
                for g in groups
            )
        }
    )


@register(
    "fin6-budget",
    rule_id="FIN-6",
    title=gettext_lazy("年度预算及执行"),
    citation="003 十四(四)(六)",
    params=("budget_variance_explain_pct",),
)
def budget_execution(community, profile):
    """This year's budget approved; no line spent or committed beyond its amount; last year's
    lines with a variance above the threshold explained (final accounts)."""
    year = timezone.localdate().year
    budgets = {
        b.year: b for b in Budget.objects.filter(community=community, year__in=(year - 1, year))
    }
    current = budgets.get(year)
    if current is None or current.state != BudgetState.APPROVED:
        return Result.warning(_("%(year)s 年度预算尚未编制或批准") % {"year": year})
    lines = list(budget_lines_with_execution([b.pk for b in budgets.values()]))
    over = [
        _("%(name)s 预算 %(budget)s 元，已支出及在批 %(used)s 元")
        % {"name": line.name, "budget": line.amount, "used": line.spent + line.committed}
        for line in lines
        if line.budget.year == year and rules.over_budget(line.amount, line.spent + line.committed)
    ]
    unexplained = [
        _("%(year)s 年 %(name)s 执行偏差未说明") % {"year": line.budget.year, "name": line.name}
        for line in lines
        if line.budget.year == year - 1
        and not line.explanation.strip()
        and rules.variance_needs_explanation(line.amount, line.spent, profile)
    ]
    if over:
        return Result.warning(_("超预算：%(items)s") % {"items": _listed(over + unexplained)})
    if unexplained:
        return Result.warning(_listed(unexplained))
    return Result.ok(_("%(year)s 年度预算已批准，各项目均在预算内") % {"year": year})


@register(
    "fin11-reconciliation",
    rule_id="FIN-11",
    title=gettext_lazy("月度对账账实相符"),
    citation="003 十四(二)",
)
def reconciliation(community, profile):
    """Last month reconciled, and the latest reconciliation without differences."""
    today = timezone.localdate()
    last_month = rules.month_first(rules.month_first(today) - dt.timedelta(days=1))
    latest = MonthlyReconciliation.objects.filter(community=community).order_by("-month").first()
    if latest is not None and latest.has_difference:
        return Result.violation(
            _("%(month)s 对账不符：现金差额 %(cash)s 元，银行差额 %(bank)s 元")
            % {
                "month": f"{latest.month:%Y-%m}",
                "cash": latest.cash_difference,
                "bank": latest.bank_difference,
            }
        )
    if latest is None or latest.month < last_month:
        return Result.warning(_("%(month)s 尚未对账") % {"month": f"{last_month:%Y-%m}"})
    return Result.ok(_("%(month)s 账实相符") % {"month": f"{latest.month:%Y-%m}"})


@register(
    "fin7-statement",
    rule_id="FIN-7",
    title=gettext_lazy("季度财务公开"),
    citation="003 十四(七)；003 四(三)",
)
def statement_published(community, profile):
    """The last ended quarter's statement stamped by the supervision committee and
    published (DISC-2: due at the quarter's end)."""
    year, quarter = rules.last_ended_quarter(timezone.localdate())
    states = set(
        QuarterlyStatement.objects.filter(
            community=community, year=year, quarter=quarter
        ).values_list("state", flat=True)
    )
    values = {"year": year, "q": quarter}
    if StatementState.PUBLISHED in states:
        return Result.ok(_("%(year)s 年第 %(q)s 季度财务公开表已审核签章并公布") % values)
    if StatementState.STAMPED in states:
        return Result.warning(_("%(year)s 年第 %(q)s 季度财务公开表已签章，尚未公布") % values)
    return Result.warning(_("%(year)s 年第 %(q)s 季度财务公开表尚未经监管会审核签章公布") % values)


@register(
    "fin1-funding",
    rule_id="FIN-1",
    title=gettext_lazy("社区工作经费"),
    citation="001 第三十一条；002 四(二)",
    params=("funding_basis", "funding_amount", "funding_city_share_pct"),
)
def funding(community, profile):
    """The working fund received this year against the profile's minimum."""
    year = timezone.localdate().year
    received = (
        Income.objects.filter(
            community=community, kind=IncomeKind.WORKING_FUND, received_on__year=year
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    required = rules.yearly_funding(community.households, profile).total
    values = {"year": year, "got": received, "need": required}
    if received < required:
        return Result.warning(
            _("%(year)s 年工作经费到账 %(got)s 元，低于标准 %(need)s 元") % values
        )
    return Result.ok(_("%(year)s 年工作经费到账 %(got)s 元，不低于标准 %(need)s 元") % values)


@register(
    "fin11-receipts",
    rule_id="FIN-11",
    title=gettext_lazy("票据收、缴、存"),
    citation="003 十四(二)",
)
def receipts(community, profile):
    """The receipt-form register: numbers below a batch's highest used number that are
    neither used nor handed in (unaccounted for: a violation); issued receipts not linked
    to a booked income, and incomes the community receipts itself (rules.needs_receipt)
    without one since the register started (warnings). Five queries."""
    from finance.models import Receipt, ReceiptBatch, ReceiptState
    from finance.register_selectors import incomes_without_receipt, register_gaps

    start = (
        ReceiptBatch.objects.filter(community=community)
        .order_by("received_on")
        .values_list("received_on", flat=True)
        .first()
    )
    if start is None:
        if incomes_without_receipt(community.pk).exists():
            return Result.warning(_("尚未登记领用的收款票据，收入未开具收据（票据收、缴、存）"))
        return Result.ok(_("尚无须开具收据的收入"))
    gaps = [
        _("%(batch)s 有 %(n)s 个号码未使用也未作废或缴销") % {"batch": batch, "n": n}
        for batch, n in register_gaps(community.pk)
    ]
    unbooked = [
        r.batch.label(r.number)
        for r in Receipt.objects.filter(
            community=community, state=ReceiptState.ISSUED, income__isnull=True
        )
        .select_related("batch")
        .order_by("batch_id", "number")
    ]
    missing = [
        _("%(day)s %(source)s %(amount)s 元")
        % {"day": i.received_on, "source": i.source, "amount": i.amount}
        for i in incomes_without_receipt(community.pk, since=start)
    ]
    parts = []
    if gaps:
        parts.append(_("票号不连续：%(items)s") % {"items": _listed(gaps)})
    if unbooked:
        parts.append(_("收据未对应入账：%(items)s") % {"items": _listed(unbooked)})
    if missing:
        parts.append(_("收入未开具收据：%(items)s") % {"items": _listed(missing)})
    if gaps:
        return Result.violation("；".join(parts))
    if parts:
        return Result.warning("；".join(parts))
    return Result.ok(_("票据号码连续，收据与收入相符"))
