"""DISC compliance checks (issue #7), registered in core.compliance. Reported, never
blocked: a required disclosure missing or late after its block's deadline (DISC-2), and
residents' questions not answered within their deadline (DISC-4). One query each per
community."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from affairs_disclosure import rules
from affairs_disclosure.models import Category, QuestionState, ResidentQuestion
from affairs_disclosure.reminders import block_title
from affairs_disclosure.selectors import published_facts
from core.compliance import Result, register

MAX_LISTED = 5


def disclosure_findings(community, profile, today):
    """(missing, late, block) for the last block whose deadline has passed (DISC-2,
    rules.block_status): the required categories published neither within the block nor
    later about it, and those only published after its last day."""
    interval = profile.disclosure_interval_months
    block = rules.previous_block(rules.block_of(today, interval), interval)
    facts = published_facts([community.pk], [block])
    missing, late = [], []
    for category in rules.REQUIRED_CATEGORIES:
        status, _day = rules.block_status(block, facts.get((community.pk, category), ()), today)
        if status == rules.MISSING:
            missing.append(category)
        elif status == rules.LATE:
            late.append(category)
    return missing, late, block


def _labels(categories) -> str:
    return "、".join(str(Category(c).label) for c in categories)


@register(
    "disc2-quarterly-disclosure",
    rule_id="DISC-2",
    title=gettext_lazy("居务公开按季度公布"),
    citation="003 四(三)；003 四(二)",
    params=("disclosure_interval_months", "disclosure_reminder_days"),
)
def quarterly_disclosure(community, profile):
    """The last ended block's required disclosures (rules.REQUIRED_CATEGORIES) were
    published on or before its last day."""
    missing, late, block = disclosure_findings(community, profile, timezone.localdate())
    values = {"period": block_title(block), "due": block.last}
    if missing:
        return Result.violation(
            _("%(period)s逾期未公开（应于 %(due)s 前公布）：%(items)s")
            % {**values, "items": _labels(missing)}
        )
    if late:
        return Result.warning(
            _("%(period)s逾期公布（应于 %(due)s 前公布）：%(items)s")
            % {**values, "items": _labels(late)}
        )
    return Result.ok(_("%(period)s应公开事项均已按时公布") % values)


@register(
    "disc4-question-replies",
    rule_id="DISC-4",
    title=gettext_lazy("居民意见按期答复"),
    citation="003 四(四)(五)",
)
def question_replies(community, profile):
    """Residents' questions still open after their deadline (each question's due_on, set from
    the profile's question_reply_days when it arrived)."""
    overdue = list(
        ResidentQuestion.objects.filter(
            community=community, state=QuestionState.OPEN, due_on__lt=timezone.localdate()
        )
        .order_by("due_on", "pk")
        .values_list("pk", "due_on")[: MAX_LISTED + 1]
    )
    if overdue:
        items = "、".join(f"#{pk}（{due}）" for pk, due in overdue[:MAX_LISTED])
        if len(overdue) > MAX_LISTED:
            items += _("等")
        return Result.violation(
            _("居民意见超过 %(n)s 日未答复：%(items)s")
            % {"n": profile.question_reply_days, "items": items}
        )
    return Result.ok(_("居民意见均在期限内答复"))
