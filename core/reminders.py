"""Reminders (CONVENTIONS: Tasks): the generic writes and reads behind every periodic sweep
that turns a due duty into a row (staffing/reminders.py; disclosure and attendance later).

A sweep computes its due set, upserts one row per (kind, subject, period) with
`INSERT ... ON CONFLICT DO NOTHING` (so a retried task or a second beat never creates a
second row and never fails) and closes the open rows of its kind that are no longer due.
Users close a reminder by hand through `reminder_close` (permission checked in its
community). A closed reminder is never reopened: its period's duty is settled.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone

from core.models import Reminder, ReminderStatus
from core.scoping import scope_for, scoped
from core.services import require

VIEW_PERM = "core.view_reminder"
CLOSE_PERM = "core.change_reminder"

# Joins subject and period into one key for the "still due" test of reminders_close; a
# control character that neither part ever contains.
_SEP = "\x1f"


def reminder_build(
    *,
    community_id: int,
    kind: str,
    rule_id: str,
    subject: str,
    period: str,
    title: str,
    message: str = "",
    due_on: dt.date | None = None,
    worker_id: int | None = None,
) -> Reminder:
    """An unsaved open reminder (for reminders_upsert)."""
    return Reminder(
        community_id=community_id,
        kind=kind,
        rule_id=rule_id,
        subject=subject,
        period=period,
        title=title[:200],
        message=message,
        due_on=due_on,
        worker_id=worker_id,
    )


def reminders_upsert(reminders: Iterable[Reminder]) -> None:
    """Insert the reminders that do not exist yet, in one statement; existing rows (open or
    done) are left exactly as they are. Rows are inserted in key order so two concurrent
    sweeps wait on each other instead of deadlocking."""
    rows = sorted(reminders, key=lambda r: (r.kind, r.subject, r.period))
    if rows:
        Reminder.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def reminder_upsert(
    *,
    community_id: int,
    kind: str,
    rule_id: str,
    subject: str,
    period: str,
    title: str,
    message: str = "",
    due_on: dt.date | None = None,
    worker_id: int | None = None,
) -> Reminder:
    """The reminder of (kind, subject, period): created if missing, else the existing row
    unchanged (INSERT ... ON CONFLICT DO NOTHING, then read)."""
    reminders_upsert(
        [
            reminder_build(
                community_id=community_id,
                kind=kind,
                rule_id=rule_id,
                subject=subject,
                period=period,
                title=title,
                message=message,
                due_on=due_on,
                worker_id=worker_id,
            )
        ]
    )
    return Reminder.objects.get(kind=kind, subject=subject, period=period)


def reminders_close(
    *,
    kind: str,
    keep_subjects_periods: Iterable[tuple[str, str]],
    community_ids: Iterable[int] | None = None,
) -> int:
    """Close (status done, closed_at now) the open reminders of `kind` whose (subject,
    period) is not in `keep_subjects_periods`: their duty is met or no longer applies.
    `community_ids` limits it to the communities the sweep looked at (default: all).
    One UPDATE whatever the number of rows; returns how many were closed."""
    keys = sorted({f"{subject}{_SEP}{period}" for subject, period in keep_subjects_periods})
    open_rows = Reminder.objects.filter(kind=kind, status=ReminderStatus.OPEN)
    if community_ids is not None:
        open_rows = open_rows.filter(community_id__in=list(community_ids))
    if keys:
        open_rows = open_rows.alias(key=Concat("subject", Value(_SEP), "period")).exclude(
            key__in=keys
        )
    return open_rows.update(status=ReminderStatus.DONE, closed_at=timezone.now())


@transaction.atomic
def reminder_close(*, user, reminder: Reminder) -> Reminder:
    """A user marks one reminder done. Outside the user's scope: 404; without the change
    permission in its community: 403. Closing a closed reminder changes nothing (a
    conditional UPDATE, so two clicks or a sweep at the same moment cannot race)."""
    require(user, CLOSE_PERM, reminder)
    Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.OPEN).update(
        status=ReminderStatus.DONE, closed_at=timezone.now(), closed_by=user
    )
    reminder.refresh_from_db(fields=["status", "closed_at", "closed_by"])
    return reminder


def _viewable(queryset: QuerySet, user) -> QuerySet:
    """Scoped to the user's communities, and only where their role may view reminders."""
    queryset = scoped(queryset, user)
    scope = scope_for(user)
    if scope.everything:
        return queryset
    allowed = [cid for cid, perms in scope.perms_by_community.items() if VIEW_PERM in perms]
    return queryset.filter(community_id__in=allowed)


def reminder_list(*, user, status: str | None = ReminderStatus.OPEN) -> QuerySet:
    """The reminders the user may see, newest due date first (undated last); `status`
    None means all."""
    queryset = Reminder.objects.select_related("community", "worker", "closed_by")
    if status:
        queryset = queryset.filter(status=status)
    return _viewable(queryset, user).order_by(
        F("due_on").desc(nulls_last=True), "-created_at", "-pk"
    )


def reminder_open_count(*, user) -> int:
    return _viewable(Reminder.objects.filter(status=ReminderStatus.OPEN), user).count()


def reminder_get(*, user, pk: int) -> Reminder:
    """One reminder in the user's scope, else 404 (never 403: other communities' rows do not
    exist for this user)."""
    reminder = _viewable(Reminder.objects.filter(pk=pk), user).first()
    if reminder is None:
        raise Http404
    return reminder
