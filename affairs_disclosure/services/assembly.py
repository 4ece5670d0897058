"""Generated drafts from the residents' representative assembly (DISC-1(3) 居民代表会议决议
事项, 003 四(二)3): a closed sitting's results — each motion voted on, with the votes for,
against and abstaining, those present when voting opened (a) of the representatives (N), and
whether it passed (MEET-1, 003 三(三): 3y > 2a) — as a draft of category "resolutions".

Results are immutable once a motion is closed (meetings' database triggers), so the draft is
true as long as the sitting is. One draft per sitting (a partial unique index on
`source_sitting` besides the per-community advisory lock): generating again returns the same
draft, refreshed if its content was edited; once it is approved or published a correction is
the way to change it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from affairs_disclosure import rules
from affairs_disclosure.models import Category, Channel, DisclosureItem, ItemState, Source
from affairs_disclosure.services.common import lock_community, perm, require_perm
from affairs_disclosure.services.generate import draft_store
from core.errors import RuleViolation


def _closed_motions(sitting):
    from meetings.models import Motion, MotionState

    return list(
        Motion.objects.filter(sitting_id=sitting.pk, state=MotionState.CLOSED).order_by("number")
    )


def sitting_day(sitting):
    """The day the sitting's results were made (its closing; the scheduled day before)."""
    return timezone.localdate(sitting.closed_at or sitting.scheduled_at)


def assembly_content(sitting, motions) -> tuple[str, str, list]:
    """(title, body, tables) of the disclosure of a closed sitting's results."""
    from meetings.models import MotionKind

    day = sitting_day(sitting)
    passed = sum(1 for m in motions if m.passed)
    title = _("%(date)s居民代表会议表决结果公开（%(name)s）") % {
        "date": day.strftime("%Y-%m-%d"),
        "name": sitting.title,
    }
    body = _(
        "%(date)s召开的“%(name)s”应到居民代表 %(total)s 人。依照居民代表会议制度，"
        "过半数居民代表出席方为有效，决议须经出席代表三分之二以上同意方为通过。"
        "本次会议共表决 %(n)s 项，通过 %(passed)s 项，未通过 %(failed)s 项。"
        "对决议事项有疑问的，可在本页留言，或到社区居委会反映。"
    ) % {
        "date": day.strftime("%Y-%m-%d"),
        "name": sitting.title,
        "total": sitting.representatives_total,
        "n": len(motions),
        "passed": passed,
        "failed": len(motions) - passed,
    }
    columns = [
        _("序号"),
        _("表决事项"),
        _("类别"),
        _("出席/应到"),
        _("赞成"),
        _("反对"),
        _("弃权"),
        _("结果"),
    ]
    kinds = dict(MotionKind.choices)
    rows = [
        [
            m.number,
            m.title,
            str(kinds.get(m.kind, m.kind)),
            f"{m.present_at_open or 0}/{sitting.representatives_total}",
            m.votes_for,
            m.votes_against,
            m.votes_abstain,
            str(_("通过") if m.passed else _("未通过")),
        ]
        for m in motions
    ]
    tables = [{"title": str(_("表决结果")), "columns": [str(c) for c in columns], "rows": rows}]
    return str(title)[:200], str(body), tables


@transaction.atomic
def item_generate_assembly(*, user, sitting) -> DisclosureItem:
    """DISC-1(3): the disclosure draft of a closed sitting's results, in the quarter it
    closed. Idempotent: the sitting's draft is returned (and refreshed) instead of a second
    one; refused once that item is approved, stamped, published or archived."""
    from meetings.models import Sitting, SittingState

    probe = DisclosureItem(community_id=sitting.community_id, category=Category.RESOLUTIONS)
    require_perm(user, perm("add"), probe)
    lock_community(sitting.community_id)
    sitting = Sitting.objects.get(pk=sitting.pk)
    if sitting.state != SittingState.CLOSED:
        raise RuleViolation(
            "MEET-1",
            _("会议闭会后才能生成决议公开稿（当前：%(state)s）")
            % {"state": sitting.get_state_display()},
        )
    motions = _closed_motions(sitting)
    if not motions:
        raise ValidationError({"sitting": _("该次会议没有已表决的事项")})
    title, body, tables = assembly_content(sitting, motions)
    latest = (
        DisclosureItem.objects.select_for_update()
        .filter(source_sitting=sitting)
        .order_by("-version", "-pk")
        .first()
    )
    day = sitting_day(sitting)
    fresh = DisclosureItem(
        community_id=sitting.community_id,
        category=Category.RESOLUTIONS,
        year=day.year,
        quarter=rules.quarter_of_month(day.month),
        source=Source.ASSEMBLY,
        source_sitting=sitting,
        created_by=user,
        channels=[Channel.BOARD],
        state=ItemState.DRAFT,
    )
    return draft_store(
        latest=latest,
        fresh=fresh,
        content=(title, body, tables),
        refused=_(
            "该次会议的决议公开已%(state)s，不能重新生成；如需更正请在已公布的事项上生成更正版本"
        ),
        keep_unchanged=True,
    )
