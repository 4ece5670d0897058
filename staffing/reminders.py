"""The STAFF reminder sweep (issue #5): due duties of community workers become Reminder rows
(core.reminders), one per kind, subject and period, and are closed when the duty is met.

- staff4-term-expiry (STAFF-4): a current term ends within TERM_EXPIRY_NOTICE_DAYS; open until
  the re-selection is recorded (`reappointed` set), also after the end date has passed.
- staff6-training (STAFF-6): a holder of a post with a training duty has not trained enough in
  their cycle (rules.training_due, the inputs of checks.training).
- staff7-handover (STAFF-7): a pending departure handover whose deadline is within
  HANDOVER_NOTICE_DAYS or has passed; open until the outcome is recorded.
- staff10-checkup (STAFF-10): a holder of a party post with fewer 党性体检 this half-year than
  the community's profile expects (party_checkups_per_year spread over the two halves).

Every community's parameters come from its PolicyProfile. Only active communities; for STAFF-4,
6 and 10 only workers who have not left (left_on empty or after today, as in checks.py). A
handover is about a worker who is leaving, so STAFF-7 does not look at left_on.

The due set of all communities is read in six queries, whatever the number of workers; the
writes are one INSERT ... ON CONFLICT DO NOTHING and one UPDATE per kind.
"""

import datetime as dt
import math
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.models import Community
from core.models import Reminder, ReminderStatus
from core.reminders import reminder_build, reminders_close, reminders_upsert
from staffing import rules
from staffing.models import (
    Handover,
    HandoverOutcome,
    PartyCheckup,
    Post,
    PostTerm,
    TrainingRecord,
)

KIND_TERM_EXPIRY = "staff4-term-expiry"
KIND_TRAINING = "staff6-training"
KIND_HANDOVER = "staff7-handover"
KIND_CHECKUP = "staff10-checkup"
KINDS = (KIND_TERM_EXPIRY, KIND_TRAINING, KIND_HANDOVER, KIND_CHECKUP)

# STAFF-7: how far ahead of its deadline a pending handover is reminded (a system parameter
# like rules.TERM_EXPIRY_NOTICE_DAYS, not a seed number).
HANDOVER_NOTICE_DAYS = 7


# --- pure helpers -------------------------------------------------------------------------


def half_year(day: dt.date) -> tuple[str, dt.date, dt.date]:
    """The half-year of `day`: ("2026-H1", 1 January, 30 June) or ("2026-H2", 1 July,
    31 December)."""
    if day.month <= 6:
        return f"{day.year}-H1", dt.date(day.year, 1, 1), dt.date(day.year, 6, 30)
    return f"{day.year}-H2", dt.date(day.year, 7, 1), dt.date(day.year, 12, 31)


def checkups_expected_in_half(per_year: int, day: dt.date) -> int:
    """STAFF-10 (000 第八条(六) 每年两次): the checkups expected in the half-year of `day` when
    `per_year` are due a year: 2 a year is one per half; an odd number puts the extra one in
    the first half (1 a year: in the first half, none expected in the second)."""
    first = math.ceil(per_year / 2)
    return first if day.month <= 6 else per_year - first


def needs_checkup_reminder(checkups_this_half: int, per_year: int, day: dt.date) -> bool:
    """STAFF-10: fewer checkups this half-year than expected."""
    return checkups_this_half < checkups_expected_in_half(per_year, day)


def training_period(posts, today: dt.date, profile) -> str | None:
    """STAFF-6: the period a training reminder belongs to. Party secretary and committee
    director train every calendar year: the year ("2026"). Other members train once in a
    rolling cycle of `profile.training_cycle_years_members` years whose first day moves every
    day, so the period names the cycle by its years ("2024-2026"): one reminder a year at most.
    None when no post carries the duty."""
    since = rules.training_since(posts, today, profile)
    if since is None:
        return None
    if set(posts) & rules.YEARLY_TRAINING_POSTS:
        return str(today.year)
    return f"{since.year}-{today.year}"


def _posts_label(posts) -> str:
    return "、".join(str(Post(p).label) for p in sorted(posts))


# --- reading the due set (one query each) -------------------------------------------------


def _profiles() -> dict[int, object]:
    """{community id: profile} of the active communities."""
    return {
        c.pk: c.profile
        for c in Community.objects.filter(is_active=True)
        .select_related("profile")
        .only(
            "id",
            "profile__id",
            "profile__training_hours_min",
            "profile__training_cycle_years_members",
            "profile__party_checkups_per_year",
        )
    }


def _not_left(today):
    return Q(worker__left_on__isnull=True) | Q(worker__left_on__gt=today)


def _term_expiry(today, profiles):
    """STAFF-4: (reminders to create, keys to keep open). A term past its end without a
    decision keeps its open reminder; one that never had a reminder is the compliance
    check's business (staff4-reselection), not a new reminder."""
    horizon = today + rules.TERM_EXPIRY_NOTICE_DAYS_DELTA
    has_open = Reminder.objects.filter(
        kind=KIND_TERM_EXPIRY,
        status=ReminderStatus.OPEN,
        subject=Concat(Value("term:"), Cast(OuterRef("pk"), CharField())),
    )
    rows = (
        PostTerm.objects.filter(
            community_id__in=list(profiles),
            reappointed__isnull=True,
            starts_on__lte=today,
            ends_on__lte=horizon,
        )
        .filter(_not_left(today))
        .filter(Q(ends_on__gte=today) | Exists(has_open))
        .values_list("pk", "community_id", "worker_id", "worker__name", "post", "ends_on")
    )
    create, keep = [], set()
    for pk, community_id, worker_id, name, post, ends_on in rows:
        subject, period = f"term:{pk}", ends_on.isoformat()
        keep.add((subject, period))
        if not rules.expires_soon(ends_on, today):
            continue
        values = {"name": name, "post": Post(post).label, "end": ends_on}
        create.append(
            reminder_build(
                community_id=community_id,
                kind=KIND_TERM_EXPIRY,
                rule_id="STAFF-4",
                subject=subject,
                period=period,
                title=_("%(name)s（%(post)s）任期将于 %(end)s 届满") % values,
                message=_(
                    "STAFF-4（002 四(二)）：任期届满应换届或续聘，届满未续任的补贴和待遇相应终止。"
                    "请组织换届并登记换届结果。"
                ),
                due_on=ends_on,
                worker_id=worker_id,
            )
        )
    return create, keep


def _current_holders(today, profiles):
    """Current holders of posts with a training or checkup duty, who have not left:
    {worker_id: (community_id, name, posts)}."""
    posts = rules.YEARLY_TRAINING_POSTS | rules.CYCLE_TRAINING_POSTS | rules.PARTY_POSTS
    rows = (
        PostTerm.objects.filter(
            community_id__in=list(profiles), post__in=list(posts), starts_on__lte=today
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .filter(_not_left(today))
        .values_list("worker_id", "community_id", "worker__name", "post")
    )
    held = {}
    for worker_id, community_id, name, post in rows:
        held.setdefault(worker_id, (community_id, name, set()))[2].add(post)
    return held


def _training(today, profiles, held):
    """STAFF-6: the same inputs as checks.training (attended trainings of the holders over
    the longest cycle), for all communities in one query."""
    duty = {
        w: (cid, name, posts & (rules.YEARLY_TRAINING_POSTS | rules.CYCLE_TRAINING_POSTS))
        for w, (cid, name, posts) in held.items()
    }
    duty = {w: v for w, v in duty.items() if v[2]}
    if not duty:
        return []
    longest = max(p.training_cycle_years_members for p in profiles.values())
    earliest = min(dt.date(today.year, 1, 1), rules.years_before(today, longest))
    trainings = defaultdict(list)
    rows = TrainingRecord.objects.filter(
        community_id__in=list(profiles),
        attended=True,
        date__gte=earliest,
        date__lte=today,
    ).values_list("worker_id", "date", "hours", "attended")
    for worker_id, day, hours, attended in rows:
        if worker_id in duty:
            trainings[worker_id].append((day, hours, attended))
    create = []
    year_end = dt.date(today.year, 12, 31)
    for worker_id, (community_id, name, posts) in sorted(duty.items()):
        profile = profiles[community_id]
        if not rules.training_due(posts, trainings[worker_id], today, profile):
            continue
        since = rules.training_since(posts, today, profile)
        count, hours = rules.training_totals(trainings[worker_id], since, today)
        values = {
            "name": name,
            "posts": _posts_label(posts),
            "since": since,
            "n": count,
            "h": hours,
            "min": profile.training_hours_min,
            "years": profile.training_cycle_years_members,
        }
        create.append(
            reminder_build(
                community_id=community_id,
                kind=KIND_TRAINING,
                rule_id="STAFF-6",
                subject=f"worker:{worker_id}",
                period=training_period(posts, today, profile),
                title=_("%(name)s（%(posts)s）应参加培训") % values,
                message=_(
                    "STAFF-6（004 二(六)2）：书记、主任每年至少培训 1 次，其他成员每 %(years)s 年"
                    "至少 1 次，应训周期内合计不少于 %(min)s 学时。%(since)s 起已参训 %(n)s 次，"
                    "%(h)s 学时。"
                )
                % values,
                due_on=year_end,
                worker_id=worker_id,
            )
        )
    return create


def _checkups(today, profiles, held):
    """STAFF-10: party-post holders with fewer checkups this half-year than expected."""
    party = {w: v for w, v in held.items() if v[2] & rules.PARTY_POSTS}
    if not party:
        return []
    period, start, end = half_year(today)
    counts = dict(
        PartyCheckup.objects.filter(community_id__in=list(profiles), date__gte=start, date__lte=end)
        .values("worker_id")
        .annotate(n=Count("id"))
        .values_list("worker_id", "n")
    )
    create = []
    for worker_id, (community_id, name, _posts) in sorted(party.items()):
        per_year = profiles[community_id].party_checkups_per_year
        n = counts.get(worker_id, 0)
        if not needs_checkup_reminder(n, per_year, today):
            continue
        values = {
            "name": name,
            "period": period,
            "n": n,
            "k": checkups_expected_in_half(per_year, today),
            "per_year": per_year,
        }
        create.append(
            reminder_build(
                community_id=community_id,
                kind=KIND_CHECKUP,
                rule_id="STAFF-10",
                subject=f"worker:{worker_id}",
                period=period,
                title=_("%(name)s %(period)s 党性体检未完成") % values,
                message=_(
                    "STAFF-10（000 第八条(六)）：党性体检每年 %(per_year)s 次，本半年应完成 %(k)s 次，"
                    "已完成 %(n)s 次。"
                )
                % values,
                due_on=end,
                worker_id=worker_id,
            )
        )
    return create


def _handovers(today, profiles):
    """STAFF-7: pending handovers due within HANDOVER_NOTICE_DAYS or overdue."""
    horizon = today + dt.timedelta(days=HANDOVER_NOTICE_DAYS)
    rows = (
        Handover.objects.filter(
            community_id__in=list(profiles),
            outcome=HandoverOutcome.PENDING,
            deadline__lte=horizon,
        )
        .order_by("pk")
        .values_list("pk", "community_id", "worker_id", "worker__name", "deadline")
    )
    create = []
    for pk, community_id, worker_id, name, deadline in rows:
        values = {"name": name, "deadline": deadline}
        if deadline < today:
            title = _("%(name)s 离任移交已逾期（期限 %(deadline)s）") % values
        else:
            title = _("%(name)s 离任移交期限 %(deadline)s") % values
        create.append(
            reminder_build(
                community_id=community_id,
                kind=KIND_HANDOVER,
                rule_id="STAFF-7",
                subject=f"handover:{pk}",
                period=deadline.isoformat(),
                title=title,
                message=_(
                    "STAFF-7（000 第十八条）：财务、档案、印章须在镇纪委、党政办监督下按期移交；"
                    "无故逾期的给予批评，逾期拒不移交的扣发当年绩效奖金。请登记移交结果。"
                ),
                due_on=deadline,
                worker_id=worker_id,
            )
        )
    return create


# --- the sweep ------------------------------------------------------------------------------


def due_reminders(today: dt.date) -> tuple[dict[str, list[Reminder]], dict[str, set]]:
    """The reminders due on `today`, by kind, and the (subject, period) keys to keep open
    by kind (the due ones, plus STAFF-4 terms past their end still without a decision)."""
    profiles = _profiles()
    if not profiles:
        return {kind: [] for kind in KINDS}, {kind: set() for kind in KINDS}
    terms, term_keep = _term_expiry(today, profiles)
    held = _current_holders(today, profiles)
    due = {
        KIND_TERM_EXPIRY: terms,
        KIND_TRAINING: _training(today, profiles, held),
        KIND_HANDOVER: _handovers(today, profiles),
        KIND_CHECKUP: _checkups(today, profiles, held),
    }
    keep = {kind: {(r.subject, r.period) for r in rows} for kind, rows in due.items()}
    keep[KIND_TERM_EXPIRY] |= term_keep
    return due, keep


@transaction.atomic
def reminders_sweep(*, today: dt.date | None = None) -> dict[str, dict[str, int]]:
    """Create the due STAFF reminders that do not exist yet and close those whose duty is
    met. Idempotent: a second run (or a concurrent one) creates and closes nothing more.
    Returns {kind: {"due": n, "closed": n}}."""
    today = today or timezone.localdate()
    # Titles are stored text: write them in the site's language, whatever the worker's.
    with translation.override(settings.LANGUAGE_CODE):
        due, keep = due_reminders(today)
    reminders_upsert(r for rows in due.values() for r in rows)
    return {
        kind: {
            "due": len(due[kind]),
            "closed": reminders_close(kind=kind, keep_subjects_periods=keep[kind]),
        }
        for kind in KINDS
    }
