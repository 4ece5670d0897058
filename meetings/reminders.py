"""The MEET reminder sweeps (issue #8), through core.reminders.

- meet1-quorum-short (quorum_check, MEET-1 "Meeting quorum checks"): before each scheduled
  sitting (convened, within QUORUM_CHECK_DAYS), the representatives who confirmed attendance
  against the quorum fixed on the sitting (2a > N); when short, the committee is reminded.
  One reminder per sitting and day (period = the day): a retried or doubled task adds none;
  the previous days' and met ones are closed.
- meet1-regular-assembly (reminders_sweep, MEET-1 每半年召开一次): the next regular sitting is
  due within REGULAR_NOTICE_DAYS (or overdue) and none is convened: one per community and
  due date, closed when a regular sitting is convened or held.

Each sweep reads a fixed number of queries whatever the number of sittings and communities.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.models import Community
from core.reminders import reminder_build, reminders_close, reminders_upsert
from meetings import rules
from meetings.models import Sitting, SittingKind, SittingState

KIND_QUORUM = "meet1-quorum-short"
KIND_REGULAR = "meet1-regular-assembly"
# System parameters (not seed numbers): how far ahead a sitting's confirmations are checked
# and how far ahead the regular sitting is reminded.
QUORUM_CHECK_DAYS = 3
REGULAR_NOTICE_DAYS = 30


def quorum_shortfalls(now: dt.datetime) -> list:
    """MEET-1: reminders for the sittings of the next QUORUM_CHECK_DAYS whose confirmed
    attendance would not make a quorum (one query)."""
    today = timezone.localdate(now)
    horizon = now + dt.timedelta(days=QUORUM_CHECK_DAYS)
    sittings = (
        Sitting.objects.filter(
            state=SittingState.CONVENED, scheduled_at__gte=now, scheduled_at__lte=horizon
        )
        .annotate(n_confirmed=Count("seats", filter=Q(seats__confirmed=True)))
        .order_by("scheduled_at", "pk")
    )
    due = []
    for sitting in sittings:
        total = sitting.representatives_total
        if rules.has_quorum(sitting.n_confirmed, total):
            continue
        values = {
            "title": sitting.title,
            "at": f"{timezone.localtime(sitting.scheduled_at):%Y-%m-%d %H:%M}",
            "a": sitting.n_confirmed,
            "n": total,
            "need": rules.quorum_needed(total),
        }
        due.append(
            reminder_build(
                community_id=sitting.community_id,
                kind=KIND_QUORUM,
                rule_id="MEET-1",
                subject=f"sitting:{sitting.pk}",
                period=today.isoformat(),
                title=_("%(title)s（%(at)s）确认出席 %(a)s 人，不足法定人数 %(need)s 人") % values,
                message=_(
                    "MEET-1（003 三(三)）：居民代表会议须有过半数居民代表参加方为有效。本次会议"
                    "居民代表总数 %(n)s 人，至少需 %(need)s 人出席，目前确认出席 %(a)s 人，"
                    "请召集人通知代表确认出席或调整会期。"
                )
                % values,
                due_on=timezone.localdate(sitting.scheduled_at),
            )
        )
    return due


@transaction.atomic
def quorum_check(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Create today's quorum reminders that do not exist yet and close the others of the
    kind (earlier days', and sittings now short no longer). Idempotent."""
    now = now or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        due = quorum_shortfalls(now)
    reminders_upsert(due)
    closed = reminders_close(
        kind=KIND_QUORUM, keep_subjects_periods={(r.subject, r.period) for r in due}
    )
    return {"due": len(due), "closed": closed}


def regular_due_reminders(today: dt.date) -> list:
    """MEET-1: one reminder per active community whose next regular sitting is due within
    REGULAR_NOTICE_DAYS or overdue, with none convened since the last one (two queries)."""
    communities = (
        Community.objects.filter(is_active=True)
        .select_related("profile")
        .only("id", "name", "profile__assembly_interval_months")
        .annotate(
            last_held=Max(
                "sittings__scheduled_at",
                filter=Q(sittings__kind=SittingKind.REGULAR, sittings__state=SittingState.CLOSED),
            )
        )
    )
    upcoming = dict(
        Sitting.objects.filter(
            kind=SittingKind.REGULAR, state__in=[SittingState.CONVENED, SittingState.OPEN]
        )
        .values("community_id")
        .annotate(at=Max("scheduled_at"))
        .values_list("community_id", "at")
    )
    due = []
    for community in communities:
        last = timezone.localdate(community.last_held) if community.last_held else None
        if community.pk in upcoming and (
            last is None or upcoming[community.pk] > community.last_held
        ):
            continue
        interval = community.profile.assembly_interval_months
        due_on = rules.regular_due(last, interval)
        if due_on is not None and today < due_on - dt.timedelta(days=REGULAR_NOTICE_DAYS):
            continue
        values = {"last": last, "due": due_on, "months": interval}
        if due_on is None:
            title = _("尚无居民代表会议例会记录，请按期召集")
        elif due_on < today:
            title = _("居民代表会议例会已逾期（上次 %(last)s，应于 %(due)s 前召开）") % values
        else:
            title = _("居民代表会议例会应于 %(due)s 前召开（上次 %(last)s）") % values
        due.append(
            reminder_build(
                community_id=community.pk,
                kind=KIND_REGULAR,
                rule_id="MEET-1",
                subject=f"community:{community.pk}",
                period=due_on.isoformat() if due_on else "first",
                title=title,
                message=_(
                    "MEET-1（003 三(三)）：社区居民代表会议由居委会召集并主持，每 %(months)s 个月"
                    "召开一次。"
                )
                % values,
                due_on=due_on,
            )
        )
    return due


@transaction.atomic
def reminders_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        due = regular_due_reminders(today)
    reminders_upsert(due)
    closed = reminders_close(
        kind=KIND_REGULAR, keep_subjects_periods={(r.subject, r.period) for r in due}
    )
    return {"due": len(due), "closed": closed}
