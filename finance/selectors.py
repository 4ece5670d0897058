"""Reads of the finance chapter, always through core.scoping.scoped (issue #6).

Lists run a fixed number of queries whatever their size: related rows are joined
(select_related) or aggregated in the database (annotations, window functions)."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from core.models import Role
from core.scoping import scope_for, scoped
from finance import rules
from finance.models import (
    DEAD_STATES,
    AllowanceStandard,
    ApprovalStep,
    Budget,
    BudgetLine,
    ClaimState,
    Direction,
    EntryKind,
    ExpenseClaim,
    JournalEntry,
    Payment,
    QuarterlyStatement,
)

ZERO = Decimal("0.00")
# The accountant and the cashier keep the money and the books; they never approve a claim
# (003 十四(一) 明确区分负责人、会计、出纳人员的职责).
BOOKKEEPING_ROLES = (Role.ACCOUNTANT, Role.CASHIER)
MONEY = DecimalField(max_digits=14, decimal_places=2)

STEP_PERMS = {
    ApprovalStep.DIRECTOR: "finance.director_approve_expenseclaim",
    ApprovalStep.STREET: "finance.street_approve_expenseclaim",
    ApprovalStep.COLLECTIVE: "finance.collective_review_expenseclaim",
}


# --- claims ---------------------------------------------------------------------------------


def claim_rows(*, user):
    """Claims the user may see, with what a list shows joined in (one query)."""
    return scoped(
        ExpenseClaim.objects.select_related(
            "community", "claimant", "budget_line", "budget_line__budget"
        ),
        user,
    )


def claim_get(*, user, pk) -> ExpenseClaim:
    return get_object_or_404(
        claim_rows(user=user).select_related("community__street", "community__profile"), pk=pk
    )


def my_claims(*, user):
    return claim_rows(user=user).filter(claimant=user).order_by("-created_at", "-pk")


def claim_detail(claim: ExpenseClaim) -> dict:
    """Attachments, approvals with their votes, payments of one claim (four queries)."""
    approvals = list(
        claim.approvals.select_related("user").prefetch_related("votes__member").order_by("at")
    )
    return {
        "attachments": list(claim.attachments.order_by("pk")),
        "approvals": approvals,
        "payments": list(claim.payments.select_related("paid_by").order_by("paid_on", "pk")),
    }


@dataclass(frozen=True)
class InboxScope:
    """Where the user decides which step: community ids (director), street ids (street,
    collective), and the communities where they keep the books (never approve there)."""

    director: frozenset[int] = frozenset()
    street: frozenset[int] = frozenset()
    collective: frozenset[int] = frozenset()
    bookkeeping: frozenset[int] = frozenset()
    everything: bool = False

    @property
    def empty(self) -> bool:
        return not (self.everything or self.director or self.street or self.collective)


def inbox_scope(user) -> InboxScope:
    """One query (the user's bookkeeping roles) besides the cached scope."""
    from core.models import RoleAssignment

    scope = scope_for(user)
    if scope.everything:
        return InboxScope(everything=True)
    director = frozenset(
        cid
        for cid, perms in scope.perms_by_community.items()
        if STEP_PERMS[ApprovalStep.DIRECTOR] in perms
    )
    street = frozenset(
        sid
        for sid, perms in scope.perms_by_street.items()
        if STEP_PERMS[ApprovalStep.STREET] in perms
    )
    collective = frozenset(
        sid
        for sid, perms in scope.perms_by_street.items()
        if STEP_PERMS[ApprovalStep.COLLECTIVE] in perms
    )
    bookkeeping = frozenset(
        RoleAssignment.objects.filter(user=user, role__in=BOOKKEEPING_ROLES).values_list(
            "community_id", flat=True
        )
    )
    return InboxScope(director, street, collective, bookkeeping)


def approval_inbox(*, user):
    """Claims waiting for a step the user decides, across every community they cover,
    oldest first; never their own, never where they keep the books (FIN-3). A queryset:
    counted and paged in the database (a fixed number of queries); the inbox pages and the
    API narrow it with finance.inbox_filters.InboxFilter."""
    where = inbox_scope(user)
    qs = claim_rows(user=user)
    if where.empty:
        return qs.none()
    if where.everything:
        waiting = (
            Q(state=ClaimState.SUBMITTED)
            | Q(state=ClaimState.DIRECTOR_APPROVED, needs_street_approval=True)
            | Q(state=ClaimState.STREET_APPROVED, needs_collective_review=True)
        )
    else:
        waiting = Q(pk__in=[])
        if where.director:
            waiting |= Q(state=ClaimState.SUBMITTED, community_id__in=where.director)
        if where.street:
            waiting |= Q(
                state=ClaimState.DIRECTOR_APPROVED,
                needs_street_approval=True,
                community__street_id__in=where.street,
            )
        if where.collective:
            waiting |= Q(
                state=ClaimState.STREET_APPROVED,
                needs_collective_review=True,
                community__street_id__in=where.collective,
            )
    qs = qs.filter(waiting).exclude(claimant=user)
    if where.bookkeeping:
        qs = qs.exclude(community_id__in=where.bookkeeping)
    return qs.order_by("submitted_at", "pk")


def payment_queue(*, user, community_id: int | None = None):
    """Fully approved claims not yet paid in full, in the communities where the user pays
    (the cashier), with the amount already paid (one query)."""
    scope = scope_for(user)
    perm = "finance.pay_expenseclaim"
    qs = claim_rows(user=user)
    if not scope.everything:
        communities = [c for c, perms in scope.perms_by_community.items() if perm in perms]
        qs = qs.filter(community_id__in=communities)
    fully_approved = (
        Q(state=ClaimState.COLLECTIVE_REVIEWED)
        | Q(state=ClaimState.STREET_APPROVED, needs_collective_review=False)
        | Q(state=ClaimState.DIRECTOR_APPROVED, needs_street_approval=False)
    )
    paid = (
        Payment.objects.filter(claim=OuterRef("pk"))
        .values("claim")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    qs = qs.filter(fully_approved).exclude(claimant=user)
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    return qs.annotate(paid=Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO))).order_by(
        "submitted_at", "pk"
    )


# --- journals -------------------------------------------------------------------------------


@dataclass
class Journal:
    community: object
    book: str
    date_from: dt.date | None
    date_to: dt.date | None
    opening: Decimal
    rows: object  # queryset annotated with balance, debit, credit
    totals: dict = field(default_factory=dict)


def _signed():
    return Case(
        When(direction=Direction.IN, then=F("amount")),
        default=-F("amount"),
        output_field=MONEY,
    )


def journal(
    *, community, book: str, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> Journal:
    """FIN-11: the cash or bank journal of one community (the caller checked the user may
    see it): opening balance, every line with its running balance (a window function), and
    the period's totals. Three queries whatever the number of lines."""
    base = JournalEntry.objects.filter(community=community, book=book)
    opening = ZERO
    if date_from is not None:
        before = base.filter(entry_date__lt=date_from).aggregate(total=Sum(_signed()))
        opening = before["total"] or ZERO
    rows = base
    if date_from is not None:
        rows = rows.filter(entry_date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(entry_date__lte=date_to)
    totals = rows.aggregate(
        debit=Sum("amount", filter=Q(direction=Direction.IN)),
        credit=Sum("amount", filter=Q(direction=Direction.OUT)),
    )
    totals = {k: v or ZERO for k, v in totals.items()}
    totals["closing"] = opening + totals["debit"] - totals["credit"]
    rows = (
        rows.select_related("created_by")
        .annotate(
            balance=Window(Sum(_signed()), order_by=[F("entry_date").asc(), F("pk").asc()])
            + Value(opening, output_field=MONEY),
            debit=Case(When(direction=Direction.IN, then=F("amount")), default=None),
            credit=Case(When(direction=Direction.OUT, then=F("amount")), default=None),
        )
        .order_by("entry_date", "pk")
    )
    return Journal(community, book, date_from, date_to, opening, rows, totals)


def book_balances(community_id: int, upto: dt.date) -> dict[str, Decimal]:
    """Both journals' balances at the end of `upto` (one query)."""
    sums = JournalEntry.objects.filter(community_id=community_id, entry_date__lte=upto).aggregate(
        cash=Sum(_signed(), filter=Q(book="cash")),
        bank=Sum(_signed(), filter=Q(book="bank")),
    )
    return {k: v or ZERO for k, v in sums.items()}


# --- budget execution (FIN-6) ---------------------------------------------------------------


def budget_lines_with_execution(budget_ids):
    """Lines of the given budgets with what was committed (claims submitted or approved, not
    yet paid in full) and spent (payments), by subqueries: one query."""
    committed = (
        ExpenseClaim.objects.filter(budget_line=OuterRef("pk"))
        .exclude(state__in=(*DEAD_STATES, ClaimState.PAID))
        .values("budget_line")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    spent = (
        Payment.objects.filter(claim__budget_line=OuterRef("pk"))
        .values("claim__budget_line")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        BudgetLine.objects.filter(budget_id__in=budget_ids)
        .select_related("budget", "community", "community__profile")
        .annotate(
            committed=Coalesce(Subquery(committed, output_field=MONEY), Value(ZERO)),
            spent=Coalesce(Subquery(spent, output_field=MONEY), Value(ZERO)),
        )
        .order_by("community__name", "budget__year", "category", "name")
    )


@dataclass(frozen=True)
class ExecutionRow:
    line: BudgetLine
    committed: Decimal
    spent: Decimal

    @property
    def budgeted(self) -> Decimal:
        return self.line.amount

    @property
    def variance(self) -> Decimal:
        return self.spent - self.line.amount

    @property
    def variance_pct(self):
        return rules.variance_pct(self.line.amount, self.spent)

    @property
    def over_budget(self) -> bool:
        return rules.over_budget(self.line.amount, self.spent + self.committed)

    @property
    def needs_explanation(self) -> bool:
        return rules.variance_needs_explanation(
            self.line.amount, self.spent, self.line.community.profile
        )


def budget_execution(*, user, year: int | None = None, community_id: int | None = None):
    """FIN-6: every line of the budgets the user may see with budget, committed, spent,
    variance and whether an explanation is due (two queries)."""
    budgets = scoped(Budget.objects.all(), user)
    if year is not None:
        budgets = budgets.filter(year=year)
    if community_id is not None:
        budgets = budgets.filter(community_id=community_id)
    ids = list(budgets.values_list("pk", flat=True))
    return [
        ExecutionRow(line, line.committed, line.spent) for line in budget_lines_with_execution(ids)
    ]


# --- quarterly statement (FIN-7) -------------------------------------------------------------


def statement_totals(community_id: int, year: int, quarter: int) -> dict:
    """FIN-7 / DISC-1(2): the quarter's figures from the journals — opening balance, income
    by kind, expense by category, closing balance per book, earmarked funds received and
    spent up to the quarter's end, and (key "in_kind", when there are any) in-kind donations
    by earmark at their estimated value. Amounts as strings (JSON). Five queries."""
    first, last = rules.quarter_bounds(year, quarter)
    entries = JournalEntry.objects.filter(community_id=community_id)
    opening = entries.filter(entry_date__lt=first).aggregate(total=Sum(_signed()))["total"]
    opening = opening or ZERO
    income, expense = {}, {}
    for kind, income_kind, category, total in (
        entries.filter(entry_date__gte=first, entry_date__lte=last)
        .exclude(kind=EntryKind.INTERNAL)
        .values_list("kind", "income_kind", "category")
        .annotate(total=Sum("amount"))
        .order_by("kind", "income_kind", "category")
    ):
        if kind == EntryKind.INCOME:
            income[income_kind] = income.get(income_kind, ZERO) + total
        else:
            expense[category] = expense.get(category, ZERO) + total
    income_total = sum(income.values(), ZERO)
    expense_total = sum(expense.values(), ZERO)
    books = book_balances(community_id, last)
    earmarked = {}
    for category, kind, total in (
        entries.filter(entry_date__lte=last)
        .exclude(earmark_category="")
        .values_list("earmark_category", "kind")
        .annotate(total=Sum("amount"))
        .order_by("earmark_category", "kind")
    ):
        item = earmarked.setdefault(category, {"received": ZERO, "spent": ZERO})
        item["received" if kind == EntryKind.INCOME else "spent"] += total
    for item in earmarked.values():
        item["remaining"] = item["received"] - item["spent"]

    def s(value):
        return str(Decimal(value).quantize(Decimal("0.01")))

    from finance.register_selectors import in_kind_earmarked

    in_kind = in_kind_earmarked(community_id, last)
    extra = {}
    if in_kind:  # FIN-5 goods, at their estimated value; not money, so not in the balance
        extra["in_kind"] = {
            k: {name: s(v) for name, v in item.items()} for k, item in sorted(in_kind.items())
        }
    return {
        "period": [first.isoformat(), last.isoformat()],
        "opening": s(opening),
        "income": {k: s(v) for k, v in sorted(income.items())},
        "expense": {k: s(v) for k, v in sorted(expense.items())},
        "income_total": s(income_total),
        "expense_total": s(expense_total),
        "closing": s(opening + income_total - expense_total),
        "books": {k: s(v) for k, v in sorted(books.items())},
        "earmarked": {
            k: {name: s(v) for name, v in item.items()} for k, item in sorted(earmarked.items())
        },
        **extra,
    }


def statement_rows(*, user):
    return scoped(
        QuarterlyStatement.objects.select_related(
            "community", "generated_by", "stamped_by", "published_by", "supersedes"
        ),
        user,
    )


def statement_get(*, user, pk) -> QuarterlyStatement:
    return get_object_or_404(statement_rows(user=user), pk=pk)


# --- street data ----------------------------------------------------------------------------


def allowance_standard_list(*, user):
    qs = AllowanceStandard.objects.select_related("street")
    scope = scope_for(user)
    if scope.everything:
        return qs
    return qs.filter(street_id__in=scope.street_ids)
