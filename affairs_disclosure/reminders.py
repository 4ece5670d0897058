"""The DISC reminder sweep (issue #7): due duties become core.Reminder rows, one per kind,
subject and period (core.reminders: INSERT ... ON CONFLICT DO NOTHING), and are closed when
the duty is met.

- disc2-disclosure (DISC-2, 003 四(三)): from `profile.disclosure_reminder_days` days before
  the last day of each disclosure block (`profile.disclosure_interval_months`, the quarter by
  default) every active community gets one reminder per required category (rules.
  REQUIRED_CATEGORIES) with nothing published within the block yet (rules.block_status).
  Subject "community:<id>:<category>", period the block's label ("2026-Q2"). Open until an
  item of that category is published within the block or, late, about it — also after the
  deadline, when the compliance report carries the overdue finding (checks.py).
- disc4-question (DISC-4, 003 四(四)): an open resident's question whose deadline is within
  QUESTION_NOTICE_DAYS or has passed; closed when it is answered or closed.

Reads four queries whatever the number of communities; writes one INSERT and one UPDATE per
kind."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from affairs_disclosure import rules
from affairs_disclosure.models import Category, QuestionState, ResidentQuestion
from affairs_disclosure.selectors import published_facts
from communities.models import Community
from core.models import Reminder, ReminderStatus
from core.reminders import reminder_build, reminders_close, reminders_upsert

KIND_DISCLOSURE = "disc2-disclosure"
KIND_QUESTION = "disc4-question"
KINDS = (KIND_DISCLOSURE, KIND_QUESTION)
# DISC-4: how many days before its deadline an unanswered question is reminded (a system
# parameter like staffing.reminders.HANDOVER_NOTICE_DAYS).
QUESTION_NOTICE_DAYS = 3


def subject_of(community_id: int, category: str) -> str:
    return f"community:{community_id}:{category}"


def category_of(subject: str) -> tuple[int, str] | None:
    parts = subject.split(":")
    if len(parts) != 3 or parts[0] != "community" or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


def block_title(block: rules.Block) -> str:
    if "-Q" in block.label:
        year, q = block.label.split("-Q")
        return _("%(year)s 年第 %(q)s 季度") % {"year": year, "q": q}
    return _("%(first)s 至 %(last)s") % {"first": block.first, "last": block.last}


def due_disclosures(today: dt.date) -> tuple[list[Reminder], set[tuple[str, str]]]:
    """DISC-2: the reminders due today and the (subject, period) keys to keep open."""
    communities = {
        c.pk: c.profile
        for c in Community.objects.filter(is_active=True)
        .select_related("profile")
        .only(
            "id",
            "profile__id",
            "profile__disclosure_interval_months",
            "profile__disclosure_reminder_days",
        )
    }
    windows = {}
    for community_id, profile in communities.items():
        block = rules.block_of(today, profile.disclosure_interval_months)
        if rules.reminder_due(today, block, profile.disclosure_reminder_days):
            windows[community_id] = block
    open_rows = []
    for subject, period, due_on in Reminder.objects.filter(
        kind=KIND_DISCLOSURE, status=ReminderStatus.OPEN
    ).values_list("subject", "period", "due_on"):
        parsed = category_of(subject)
        if parsed and parsed[0] in communities and due_on is not None:
            block = rules.block_of(due_on, communities[parsed[0]].disclosure_interval_months)
            open_rows.append((subject, period, parsed[0], parsed[1], block))
    community_ids = set(windows) | {row[2] for row in open_rows}
    facts = published_facts(community_ids, [*windows.values(), *(row[4] for row in open_rows)])
    create, keep = [], set()
    for community_id, block in sorted(windows.items()):
        for category in rules.REQUIRED_CATEGORIES:
            status, _day = rules.block_status(block, facts.get((community_id, category), ()), today)
            if rules.is_met(status):
                continue
            subject = subject_of(community_id, category)
            keep.add((subject, block.label))
            values = {
                "period": block_title(block),
                "category": Category(category).label,
                "due": block.last,
            }
            create.append(
                reminder_build(
                    community_id=community_id,
                    kind=KIND_DISCLOSURE,
                    rule_id="DISC-2",
                    subject=subject,
                    period=block.label,
                    title=_("%(period)s“%(category)s”尚未公开") % values,
                    message=_(
                        "DISC-2（003 四(三)）：居务公开原则上每季度末公布一次，应于 %(due)s 前经"
                        "社区党组织和居委会成员核准（财务公开须经街道监管会审核签章）后公布。"
                    )
                    % values,
                    due_on=block.last,
                )
            )
    for subject, period, community_id, category, block in open_rows:
        status, _day = rules.block_status(block, facts.get((community_id, category), ()), today)
        if not rules.is_met(status):
            keep.add((subject, period))
    return create, keep


def due_questions(today: dt.date) -> list[Reminder]:
    """DISC-4: open questions due within QUESTION_NOTICE_DAYS or overdue."""
    horizon = today + dt.timedelta(days=QUESTION_NOTICE_DAYS)
    rows = (
        ResidentQuestion.objects.filter(
            state=QuestionState.OPEN, due_on__lte=horizon, community__is_active=True
        )
        .order_by("pk")
        .values_list("pk", "community_id", "item__title", "due_on")
    )
    create = []
    for pk, community_id, title, due_on in rows:
        values = {"n": pk, "title": title, "due": due_on}
        if due_on < today:
            text = _("居民意见 #%(n)s 已超过答复期限（%(due)s）") % values
        else:
            text = _("居民意见 #%(n)s 应于 %(due)s 前答复") % values
        create.append(
            reminder_build(
                community_id=community_id,
                kind=KIND_QUESTION,
                rule_id="DISC-4",
                subject=f"question:{pk}",
                period=due_on.isoformat(),
                title=text,
                message=_(
                    "DISC-4（003 四(四)）：对居民反映的问题要及时查处并公布调查处理结果。"
                    "事项：%(title)s"
                )
                % values,
                due_on=due_on,
            )
        )
    return create


@transaction.atomic
def disclosure_sweep(*, today: dt.date | None = None) -> dict[str, dict[str, int]]:
    """Create the due DISC reminders that do not exist yet and close those whose duty is
    met. Idempotent: a second run (or a concurrent one) creates and closes nothing more."""
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        disclosures, keep = due_disclosures(today)
        questions = due_questions(today)
    reminders_upsert([*disclosures, *questions])
    return {
        KIND_DISCLOSURE: {
            "due": len(disclosures),
            "closed": reminders_close(kind=KIND_DISCLOSURE, keep_subjects_periods=keep),
        },
        KIND_QUESTION: {
            "due": len(questions),
            "closed": reminders_close(
                kind=KIND_QUESTION,
                keep_subjects_periods={(r.subject, r.period) for r in questions},
            ),
        },
    }
