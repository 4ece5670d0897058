"""Reads of staffing (CONVENTIONS: selectors). Every read starts from core.scoping.scoped, so
another community's worker does not exist for the user (404); the prefetches keep each page
and API list at a fixed number of queries whatever the number of rows."""

import datetime as dt

from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.scoping import scoped
from staffing import rules
from staffing.models import (
    Evaluation,
    Handover,
    PartyCheckup,
    PostTerm,
    StudySession,
    TrainingRecord,
    Worker,
)


def current_terms(day: dt.date | None = None) -> QuerySet[PostTerm]:
    """Terms running on `day` (default today): the posts a worker holds now (STAFF-9)."""
    day = day or timezone.localdate()
    return PostTerm.objects.filter(starts_on__lte=day).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day)
    )


def current_terms_prefetch(day: dt.date | None = None) -> Prefetch:
    """`worker.current_terms`: a list of the worker's current terms, post order."""
    return Prefetch(
        "terms", queryset=current_terms(day).order_by("post", "starts_on"), to_attr="current_terms"
    )


def worker_rows(*, user) -> QuerySet[Worker]:
    """Every worker the user may see, with community and current posts (API lists)."""
    return scoped(
        Worker.objects.select_related("community").prefetch_related(current_terms_prefetch()),
        user,
    )


def worker_list(*, user, community_id: int, q: str | None = None) -> QuerySet[Worker]:
    """The workers of one community, in service first, then by name; `q` searches names.
    A community outside the user's scope gives no rows (the view 404s on the community)."""
    workers = worker_rows(user=user).filter(community_id=community_id)
    if q:
        workers = workers.filter(name__icontains=q.strip())
    # Workers still in service before those who have left.
    today = timezone.localdate()
    in_service = Q(left_on__isnull=True) | Q(left_on__gt=today)
    has_left = Case(When(in_service, then=Value(0)), default=Value(1))
    return workers.order_by(has_left, "name", "pk")


def worker_get(*, user, pk: int) -> Worker:
    """One worker with everything the portal shows on the worker's page: all terms with
    their re-selection results (STAFF-4), current terms (STAFF-9), trainings (STAFF-6),
    evaluations per year (STAFF-5), party check-ups (STAFF-10) and handovers (STAFF-7).
    Http404 for a worker outside the user's communities."""
    queryset = scoped(
        Worker.objects.select_related("community__profile", "community__street"), user
    ).prefetch_related(
        Prefetch("terms", queryset=PostTerm.objects.order_by("-starts_on", "post", "pk")),
        current_terms_prefetch(),
        Prefetch("trainings", queryset=TrainingRecord.objects.order_by("-date", "-pk")),
        Prefetch("evaluations", queryset=Evaluation.objects.order_by("-year")),
        Prefetch("party_checkups", queryset=PartyCheckup.objects.order_by("-date", "-pk")),
        Prefetch("handovers", queryset=Handover.objects.order_by("-deadline", "-pk")),
    )
    return get_object_or_404(queryset, pk=pk)


def worker_brief_get(*, user, pk: int) -> Worker:
    """One worker with the community only (the portal's record forms). Http404 outside
    the user's communities."""
    return get_object_or_404(scoped(Worker.objects.select_related("community"), user), pk=pk)


def worker_training_summary(worker: Worker, today: dt.date | None = None) -> dict:
    """STAFF-6 (004 二(六)2) for one worker fetched by worker_get (no query): the cycle their
    current posts require, the attended trainings in it and their hours against the
    profile's minimum. Without a post that carries the duty, the calendar year is shown."""
    today = today or timezone.localdate()
    profile = worker.community.profile
    posts = {term.post for term in worker.current_terms}
    since = rules.training_since(posts, today, profile)
    required = since is not None
    if not required:
        since = dt.date(today.year, 1, 1)
    trainings = worker.trainings.all()
    rows = [(t.date, t.hours, t.attended) for t in trainings]
    count, hours = rules.training_totals(rows, since, today)
    return {
        "required": required,
        "since": since,
        "count": count,
        "hours": hours,
        "minimum": profile.training_hours_min,
        "due": required and rules.training_due(posts, rows, today, profile),
        "records": [t for t in trainings if since <= t.date <= today],
    }


def study_session_list(*, user, community_id: int) -> QuerySet[StudySession]:
    """The weekly collective studies of one community, latest first (STAFF-6)."""
    return scoped(StudySession.objects.filter(community_id=community_id), user).order_by("-date")
