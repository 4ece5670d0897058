"""Generated drafts: the quarterly financial disclosure from the finance chapter's statement
(FIN-7: only a statement the street supervision committee has stamped), and the 低保 /
regular relief lists from the ledgers (DISC-1(4)(6)).

The lists carry only the masked name, the household size and the amount (MCA
最低生活保障审核确认办法 第二十四条; 社会救助暂行办法 第六十一条): the query reads no
other column of the resident, so an ID number, phone, address or bank account cannot reach
the draft. Generating again refreshes the period's draft (its approvals withdrawn); once the
period's item is approved or published a correction is the way to change it."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from affairs_disclosure import rules
from affairs_disclosure.models import (
    Category,
    Channel,
    DisclosureApproval,
    DisclosureItem,
    ItemState,
    Source,
)
from affairs_disclosure.services.common import lock_community, perm, require_perm
from core.errors import RuleViolation

ZERO = Decimal("0.00")


# --- finance (FIN-7) ------------------------------------------------------------------------


def latest_statement(statement):
    """The newest stamped or published version of the statement's quarter (a correction of
    the statement in finance supersedes the version the item was made from)."""
    from finance.models import QuarterlyStatement, StatementState

    latest = (
        QuarterlyStatement.objects.filter(
            community_id=statement.community_id,
            year=statement.year,
            quarter=statement.quarter,
            state__in=[StatementState.STAMPED, StatementState.PUBLISHED],
        )
        .order_by("-version")
        .first()
    )
    return latest or statement


def _label(choices, key) -> str:
    try:
        return str(choices(key).label)
    except ValueError:
        return str(key)


def statement_content(statement) -> tuple[str, str, list]:
    """(title, body, tables) of the financial disclosure of a stamped statement: the
    income and expense table with its totals, the book balances, the earmarked funds and,
    when the community received any, in-kind donations by earmark (FIN-5, 003 十四(三))."""
    from finance.models import Book, ExpenseCategory, IncomeKind

    totals = statement.totals or {}
    values = {
        "year": statement.year,
        "q": statement.quarter,
        "v": statement.version,
        "stamped": statement.stamped_on or "—",
    }
    title = _("%(year)s 年第 %(q)s 季度居委会财务收支公开") % values
    period = totals.get("period") or ["", ""]
    body = _(
        "本表根据 %(year)s 年第 %(q)s 季度财务公开表（第 %(v)s 版）编制，该表已于 %(stamped)s "
        "经街道社区资产与财务监管会审核签章。统计期间：%(first)s 至 %(last)s。"
    ) % {**values, "first": period[0], "last": period[1]}
    rows = [[_("期初余额"), totals.get("opening", "0.00")]]
    for key, amount in (totals.get("income") or {}).items():
        rows.append([_("收入：%(name)s") % {"name": _label(IncomeKind, key)}, amount])
    rows.append([_("本期收入合计"), totals.get("income_total", "0.00")])
    for key, amount in (totals.get("expense") or {}).items():
        rows.append([_("支出：%(name)s") % {"name": _label(ExpenseCategory, key)}, amount])
    rows.append([_("本期支出合计"), totals.get("expense_total", "0.00")])
    rows.append([_("期末余额"), totals.get("closing", "0.00")])
    tables = [{"title": _("收支情况"), "columns": [_("项目"), _("金额（元）")], "rows": rows}]
    books = totals.get("books") or {}
    if books:
        tables.append(
            {
                "title": _("账户余额"),
                "columns": [_("账簿"), _("期末余额（元）")],
                "rows": [[_label(Book, k), v] for k, v in books.items()],
            }
        )
    earmarked = totals.get("earmarked") or {}
    if earmarked:
        tables.append(
            {
                "title": _("专项资金（专款专用）"),
                "columns": [_("类别"), _("累计收到（元）"), _("累计支出（元）"), _("结余（元）")],
                "rows": [
                    [
                        _label(ExpenseCategory, k),
                        v.get("received", "0.00"),
                        v.get("spent", "0.00"),
                        v.get("remaining", "0.00"),
                    ]
                    for k, v in earmarked.items()
                ],
            }
        )
    in_kind = totals.get("in_kind") or {}
    if in_kind:  # FIN-5: goods at their estimated value, not money, so not in the balances
        tables.append(
            {
                "title": _("实物捐赠（按估价）"),
                "columns": [_("类别"), _("累计接收（元）"), _("累计发放（元）"), _("结余（元）")],
                "rows": [
                    [
                        _label(ExpenseCategory, k),
                        v.get("received", "0.00"),
                        v.get("distributed", "0.00"),
                        v.get("remaining", "0.00"),
                    ]
                    for k, v in in_kind.items()
                ],
            }
        )
    return str(title), str(body), tables


def draft_store(*, latest, fresh, content, refused: str, keep_unchanged=False, **fields):
    """The one way a generated draft is written (every source: statement, ledger lists,
    assembly results, paid-service fees). `latest` is the source's current item (locked by
    the caller), `fresh` the unsaved new draft used when there is none. Refused (DISC-3,
    `refused` formatted with the state and category) once `latest` is no longer a draft.
    Otherwise its content is replaced and its approvals withdrawn, since they approved
    other content; with `keep_unchanged` an identical regeneration returns it untouched.
    `fields` are set on the item as well (e.g. the source statement)."""
    title, body, tables = content
    if latest is not None and latest.state != ItemState.DRAFT:
        raise RuleViolation(
            "DISC-3",
            refused
            % {"category": latest.get_category_display(), "state": latest.get_state_display()},
        )
    if latest is not None:
        if keep_unchanged and (latest.title, latest.body, latest.tables) == (title, body, tables):
            return latest
        DisclosureApproval.objects.filter(item=latest).delete()
        item = latest
    else:
        item = fresh
    item.title, item.body, item.tables = title, body, tables
    for name, value in fields.items():
        setattr(item, name, value)
    problem = rules.tables_problem(item.tables)
    if problem:
        raise ValidationError({"tables": problem})
    item.full_clean()
    item.save()
    return item


def _upsert_draft(*, user, community_id, category, year, quarter, source, content, statement=None):
    """The period's generated draft, refreshed, or a new one. Refused when the period's
    latest generated item is already approved, stamped or published."""
    latest = (
        DisclosureItem.objects.select_for_update()
        .filter(
            community_id=community_id,
            category=category,
            year=year,
            quarter=quarter,
            month__isnull=True,
            source=source,
        )
        .exclude(state=ItemState.ARCHIVED)
        .order_by("-version", "-pk")
        .first()
    )
    fresh = DisclosureItem(
        community_id=community_id,
        category=category,
        year=year,
        quarter=quarter,
        source=source,
        created_by=user,
        channels=[Channel.BOARD],
        state=ItemState.DRAFT,
    )
    return draft_store(
        latest=latest,
        fresh=fresh,
        content=content,
        refused=_(
            "该期“%(category)s”已%(state)s，不能重新生成；如需更正请在已公布的事项上生成更正版本"
        ),
        source_statement=statement,
    )


@transaction.atomic
def item_generate_finance(*, user, statement) -> DisclosureItem:
    """FIN-7 / DISC-1(2): the quarter's financial disclosure draft from a statement the
    street supervision committee has stamped (or published), with its totals table."""
    from finance.models import QuarterlyStatement, StatementState

    probe = DisclosureItem(community_id=statement.community_id, category=Category.FINANCE)
    require_perm(user, perm("add"), probe)
    lock_community(statement.community_id)
    statement = QuarterlyStatement.objects.get(pk=statement.pk)
    if statement.state not in (StatementState.STAMPED, StatementState.PUBLISHED):
        raise RuleViolation(
            "FIN-7",
            _("季度财务公开表须经街道监管会审核签章后才能生成公开稿（当前：%(state)s）")
            % {"state": statement.get_state_display()},
        )
    statement = latest_statement(statement)
    return _upsert_draft(
        user=user,
        community_id=statement.community_id,
        category=Category.FINANCE,
        year=statement.year,
        quarter=statement.quarter,
        source=Source.STATEMENT,
        content=statement_content(statement),
        statement=statement,
    )


# --- 低保 and relief lists (DISC-1(4)(6)) -------------------------------------------------------


def list_rows(community, category: str, first: dt.date, last: dt.date) -> list[tuple]:
    """(group name, masked name, household size, monthly amount) of the residents in the
    list's special groups at any time of the period. Reads only the name of each resident."""
    from communities.models import SpecialGroupMember

    codes = rules.LIST_GROUP_CODES[category]
    rows = (
        SpecialGroupMember.objects.filter(
            community_id=community.pk, group_type__code__in=codes, starts_on__lte=last
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .filter(
            Q(group_type__profile__isnull=True) | Q(group_type__profile_id=community.profile_id)
        )
        .filter(Q(resident__moved_out_on__isnull=True) | Q(resident__moved_out_on__gte=first))
        .order_by("group_type__sort_order", "resident__name_initials", "pk")
        .values_list("group_type__name", "resident__name", "household_size", "monthly_amount")
    )
    return [
        (group, rules.mask_name(name), size, amount if amount is not None else ZERO)
        for group, name, size, amount in rows
    ]


def list_content(community, category: str, year: int, quarter: int) -> tuple[str, str, list]:
    first, last = rules.quarter_bounds(year, quarter)
    values = {"year": year, "q": quarter, "category": Category(category).label}
    title = _("%(year)s 年第 %(q)s 季度%(category)s公示") % values
    body = _(
        "依照《最低生活保障审核确认办法》第二十四条和《社会救助暂行办法》第六十一条，"
        "名单仅公开姓名（部分隐去）、保障人口和月保障金额。对名单有异议的，可在本页留言，"
        "或到社区居委会反映。统计期间：%(first)s 至 %(last)s。"
    ) % {"first": first, "last": last}
    by_group: dict[str, list] = {}
    for group, masked, size, amount in list_rows(community, category, first, last):
        by_group.setdefault(group, []).append((masked, size, amount))
    columns = [_("序号"), _("姓名"), _("保障人口"), _("月保障金额（元）")]
    tables = []
    for group, members in by_group.items():
        rows = [
            [n, masked, size if size is not None else "—", str(amount)]
            for n, (masked, size, amount) in enumerate(members, start=1)
        ]
        people = sum(size or 0 for _m, size, _a in members)
        total = sum((amount for _m, _s, amount in members), ZERO)
        rows.append([_("合计"), _("%(n)s 条") % {"n": len(members)}, people, str(total)])
        tables.append({"title": str(group), "columns": [str(c) for c in columns], "rows": rows})
    if not tables:
        body += str(_("本期无保障对象。"))
    return str(title), str(body), tables


@transaction.atomic
def item_generate_list(*, user, community, category: str, year: int, quarter: int):
    """The quarter's 低保 (or regular relief) list as a draft, from the ledgers."""
    if category not in rules.LIST_GROUP_CODES:
        raise ValidationError({"category": _("该类别不能由台帐生成")})
    if quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": _("季度应为 1—4")})
    probe = DisclosureItem(community_id=community.pk, category=category)
    require_perm(user, perm("add"), probe)
    first, _last = rules.quarter_bounds(year, quarter)
    if first > timezone.localdate():
        raise ValidationError({"quarter": _("该季度尚未开始")})
    lock_community(community.pk)
    return _upsert_draft(
        user=user,
        community_id=community.pk,
        category=category,
        year=year,
        quarter=quarter,
        source=Source.LEDGER,
        content=list_content(community, category, year, quarter),
    )
