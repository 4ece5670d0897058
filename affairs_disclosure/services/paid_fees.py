"""Generated drafts of the fees of paid services (FIN-8, 003 十八(四)(五): paid courses and
activities in the service rooms "定期向居民公开收支使用情况"): per quarter, each course or
activity that ran in it with its assembly resolution, standard fee, preferential rates for
vulnerable groups, the fees collected and where they go, from finance's
`register_selectors.paid_service_disclosure`.

The fees are community income, so the draft is of category "finance" (DISC-1(2)) and, like
the statement, needs the street supervision committee's stamp before it is posted (FIN-7,
DISC-3). The tables name groups (低保家庭, 残疾人家庭), never a resident: the selector reads
no payer, recipient or resident column. One draft per community and quarter (a partial
unique index on source "paid_fees" besides the per-community advisory lock): generating
again returns the same draft, refreshed if the figures changed; once it is approved,
stamped or published a correction is the way to change it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from affairs_disclosure import rules
from affairs_disclosure.models import Category, Channel, DisclosureItem, ItemState, Source
from affairs_disclosure.services.common import lock_community, perm, require_perm
from affairs_disclosure.services.generate import draft_store


def _cell(value):
    """Table cells as JSON text (the selector's labels may be lazy translations)."""
    return "" if value is None else str(value)


def paid_fees_content(community, year: int, quarter: int) -> tuple[str, str, list]:
    """(title, body, tables) of the quarter's disclosure of paid services' fees; tables is
    empty when no paid course or activity ran in the quarter."""
    from finance.register_selectors import paid_service_disclosure

    first, last = rules.quarter_bounds(year, quarter)
    tables = [
        {
            "title": _cell(table["title"]),
            "columns": [_cell(c) for c in table["columns"]],
            "rows": [[_cell(c) for c in row] for row in table["rows"]],
        }
        for table in paid_service_disclosure(community.pk, first, last)
    ]
    title = _("%(year)s 年第 %(q)s 季度有偿服务收费公开") % {"year": year, "q": quarter}
    body = _(
        "依照居务公开制度，社区服务用房开展的有偿服务项目须经居民代表会议讨论决定，"
        "对低保、残疾人等困难群体实行优惠，收费用于社区建设，不得用于工作人员福利，"
        "并定期向居民公开收支使用情况。本表列出统计期间开展的项目、收费标准、优惠标准和"
        "本期收费。统计期间：%(first)s 至 %(last)s。对收费有疑问的，可在本页留言，"
        "或到社区居委会反映。"
    ) % {"first": first, "last": last}
    return str(title), str(body), tables


@transaction.atomic
def item_generate_paid_fees(*, user, community, year: int, quarter: int) -> DisclosureItem:
    """FIN-8 / DISC-1(2): the quarter's draft of paid services' fees. Idempotent: the
    quarter's draft is returned (and refreshed) instead of a second one; refused (DISC-3)
    once that item is approved, stamped, published or archived."""
    if quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": _("季度应为 1—4")})
    probe = DisclosureItem(community_id=community.pk, category=Category.FINANCE)
    require_perm(user, perm("add"), probe)
    first, _last = rules.quarter_bounds(year, quarter)
    if first > timezone.localdate():
        raise ValidationError({"quarter": _("该季度尚未开始")})
    lock_community(community.pk)
    title, body, tables = paid_fees_content(community, year, quarter)
    if not tables:
        raise ValidationError({"quarter": _("该季度没有开展有偿服务项目，无需生成收费公开")})
    latest = (
        DisclosureItem.objects.select_for_update()
        .filter(community_id=community.pk, year=year, quarter=quarter, source=Source.PAID_FEES)
        .order_by("-version", "-pk")
        .first()
    )
    fresh = DisclosureItem(
        community_id=community.pk,
        category=Category.FINANCE,
        year=year,
        quarter=quarter,
        source=Source.PAID_FEES,
        created_by=user,
        channels=[Channel.BOARD],
        state=ItemState.DRAFT,
    )
    return draft_store(
        latest=latest,
        fresh=fresh,
        content=(title, body, tables),
        refused=_(
            "该季度的有偿服务收费公开已%(state)s，不能重新生成；如需更正请在已公布的事项上生成更正版本"
        ),
        keep_unchanged=True,
    )
