"""What the finance services share: permission helpers (street roles, separation of
duties), money validation, the per-community journal lock and journal writes."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.models import RoleAssignment
from core.scoping import scope_for
from finance import rules
from finance.models import Account, Book, Direction, JournalEntry
from finance.selectors import BOOKKEEPING_ROLES

ZERO = Decimal("0.00")


# --- who may --------------------------------------------------------------------------------


def street_perm(user, perm: str, street_id: int | None) -> bool:
    """Whether `user` holds `perm` through a *street* role of that street (never through a
    community role): FIN-3's street and collective steps, FIN-7 stamping are the street's."""
    scope = scope_for(user)
    if scope.everything:
        return True
    return street_id is not None and perm in scope.perms_by_street.get(street_id, frozenset())


def require_in_scope(user, community_id: int | None) -> None:
    """Another community's rows do not exist for the user (404)."""
    scope = scope_for(user)
    if scope.everything:
        return
    if community_id is None or community_id not in scope.community_ids:
        raise Http404


def require_street(user, perm: str, community) -> None:
    require_in_scope(user, community.pk)
    if not street_perm(user, perm, community.street_id):
        raise PermissionDenied(_("您没有执行此操作的权限（须由街道办理）"))


def holds_bookkeeping_post(user, community_id: int) -> bool:
    """The user is the community's accountant or cashier: by role, or by a current post in
    staffing (Post.ACCOUNTANT / Post.CASHIER held by the worker linked to the login)."""
    if RoleAssignment.objects.filter(
        user=user, community_id=community_id, role__in=BOOKKEEPING_ROLES
    ).exists():
        return True
    from staffing.models import Post, PostTerm

    today = timezone.localdate()
    return (
        PostTerm.objects.filter(
            community_id=community_id,
            worker__user=user,
            post__in=(Post.ACCOUNTANT, Post.CASHIER),
            starts_on__lte=today,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .exists()
    )


# --- money ------------------------------------------------------------------------------------


def amount_messages():
    return {
        "missing": _("请填写金额"),
        "invalid": _("金额格式不正确"),
        "not_positive": _("金额必须大于 0"),
        "decimals": _("金额最多保留两位小数（精确到分）"),
        "too_large": _("金额超出允许范围"),
    }


def check_amount(amount, field: str = "amount") -> Decimal:
    """A positive amount in yuan with at most two decimals, or a Chinese error on `field`."""
    try:
        value = None if amount in (None, "") else Decimal(str(amount))
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    problem = rules.amount_problem(value)
    if problem:
        raise ValidationError({field: amount_messages()[problem]})
    return value


def check_not_future(day: dt.date | None, field: str) -> dt.date:
    today = timezone.localdate()
    if day is None:
        return today
    if day > today:
        raise ValidationError({field: _("日期不能晚于今天")})
    return day


# --- the books ------------------------------------------------------------------------------


def lock_books(community_id: int) -> None:
    """One writer of a community's journals at a time (balances are checked before a
    payment): a transaction-level advisory lock, released at commit, that touches no row
    other apps use."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [6, community_id])


def book_balance(community_id: int, book: str, upto: dt.date | None = None) -> Decimal:
    """The balance of one journal (all entries, or up to and including `upto`)."""
    qs = JournalEntry.objects.filter(community_id=community_id, book=book)
    if upto is not None:
        qs = qs.filter(entry_date__lte=upto)
    sums = qs.aggregate(
        ins=Sum("amount", filter=Q(direction=Direction.IN)),
        outs=Sum("amount", filter=Q(direction=Direction.OUT)),
    )
    return (sums["ins"] or ZERO) - (sums["outs"] or ZERO)


def require_account(community_id: int) -> None:
    """FIN-1/FIN-2: money moves through the bank only in the street-managed account."""
    if not Account.objects.filter(community_id=community_id).exists():
        raise RuleViolation(
            "FIN-2",
            _("本社区尚未登记由街道代管的银行账户（居账街管），不能办理转账收付"),
        )


def journal_add(*, user, community_id: int, book: str, **fields) -> JournalEntry:
    """Append one journal line (the caller holds lock_books)."""
    entry = JournalEntry(community_id=community_id, book=book, created_by=user, **fields)
    entry.full_clean(exclude=["income", "payment"], validate_unique=False)
    entry.save()
    return entry


def require_covered(community_id: int, book: str, amount: Decimal) -> None:
    """FIN-11 账实相符: a journal never goes below zero (no money paid that is not there)."""
    balance = book_balance(community_id, book)
    if balance < amount:
        raise RuleViolation(
            "FIN-11",
            _("%(book)s余额 %(balance)s 元，不足以支付 %(amount)s 元")
            % {"book": Book(book).label, "balance": balance, "amount": amount},
        )
