"""Reads of meetings, always through core.scoping.scoped. Lists annotate their counts in the
same query, so their query count does not grow with the number of rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404

from core.scoping import scoped
from meetings import rules
from meetings.models import (
    ChronicleEntry,
    DisciplineRecord,
    Meeting,
    Motion,
    MotionState,
    Sitting,
    SittingKind,
    SittingSeat,
    SittingState,
)


def sitting_list(*, user, community_id=None):
    """The sittings the user may see, newest first, with roster size, check-ins, confirmed
    attendance and motions (one query)."""
    rows = scoped(Sitting.objects.select_related("community"), user).annotate(
        n_seats=Count("seats", distinct=True),
        n_present=Count("seats", filter=Q(seats__checked_in_at__isnull=False), distinct=True),
        n_confirmed=Count("seats", filter=Q(seats__confirmed=True), distinct=True),
        n_motions=Count("motions", distinct=True),
    )
    if community_id is not None:
        rows = rows.filter(community_id=community_id)
    return rows.order_by("-scheduled_at", "-pk")


def sitting_get(*, user, pk) -> Sitting:
    return get_object_or_404(
        scoped(
            Sitting.objects.select_related("community__street", "convened_by", "recorder"), user
        ).prefetch_related(
            Prefetch("seats", queryset=SittingSeat.objects.select_related("membership")),
            Prefetch("motions", queryset=Motion.objects.order_by("number")),
        ),
        pk=pk,
    )


def sitting_for_representative(*, user, pk) -> Sitting | None:
    """A sitting on whose roster the user sits (a representative without any role still
    votes and confirms attendance as themselves)."""
    return (
        Sitting.objects.select_related("community")
        .filter(pk=pk, seats__membership__user_id=getattr(user, "pk", None))
        .prefetch_related(
            Prefetch("seats", queryset=SittingSeat.objects.select_related("membership")),
            Prefetch("motions", queryset=Motion.objects.order_by("number")),
        )
        .first()
    )


@dataclass(frozen=True)
class Quorum:
    """MEET-1, live: N fixed at convening, the number checked in now."""

    total: int
    present: int

    @property
    def reached(self) -> bool:
        return rules.has_quorum(self.present, self.total)

    @property
    def needed(self) -> int:
        return rules.quorum_needed(self.total)


def quorum_of(sitting) -> Quorum:
    """From the prefetched seats of sitting_get (no query)."""
    present = sum(1 for seat in sitting.seats.all() if seat.checked_in_at is not None)
    return Quorum(total=sitting.representatives_total, present=present)


def assembly_resolutions(*, user=None, community_id=None):
    """MEET-1/DISC-1(3): the resolutions the assembly passed (motions passed at closed
    sittings), newest first: what disclosure publishes as 居民代表会议决议事项. Results are
    immutable (database triggers), so a published list stays true."""
    rows = Motion.objects.filter(
        passed=True, state=MotionState.CLOSED, sitting__state=SittingState.CLOSED
    ).select_related("sitting__community")
    if user is not None:
        rows = scoped(rows, user)
    if community_id is not None:
        rows = rows.filter(sitting__community_id=community_id)
    return rows.order_by("-sitting__scheduled_at", "number")


def last_regular_held(community_id):
    """MEET-1: the date of the last regular sitting held (closed)."""
    last = (
        Sitting.objects.filter(
            community_id=community_id, kind=SittingKind.REGULAR, state=SittingState.CLOSED
        )
        .order_by("-scheduled_at")
        .values_list("scheduled_at", flat=True)
        .first()
    )
    from django.utils import timezone

    return timezone.localdate(last) if last else None


def meeting_list(*, user, community_id=None):
    rows = scoped(Meeting.objects.select_related("community", "recorder", "chair"), user).annotate(
        n_present=Count("attendance", filter=Q(attendance__status__in=["present", "late"])),
        n_absent=Count("attendance", filter=Q(attendance__status="absent")),
    )
    if community_id is not None:
        rows = rows.filter(community_id=community_id)
    return rows.order_by("-date", "-pk")


def meeting_get(*, user, pk) -> Meeting:
    return get_object_or_404(
        scoped(
            Meeting.objects.select_related("community", "recorder", "chair").prefetch_related(
                "attendance__worker", "discipline__worker"
            ),
            user,
        ),
        pk=pk,
    )


def chronicle_list(*, user, community_id=None):
    rows = scoped(ChronicleEntry.objects.select_related("community", "meeting", "sitting"), user)
    if community_id is not None:
        rows = rows.filter(community_id=community_id)
    return rows


def discipline_counts(community_id: int, year: int) -> dict[int, int]:
    """MEET-5 → appraisal (ATT-6): unexcused meeting absences per worker in the year."""
    return dict(
        DisciplineRecord.objects.filter(community_id=community_id, appraisal_year=year)
        .values("worker_id")
        .annotate(n=Count("id"))
        .values_list("worker_id", "n")
    )
