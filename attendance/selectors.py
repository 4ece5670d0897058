"""Reads of attendance, always through core.scoping.scoped for what a user sees.

The heart is `grids`: the derived 考勤 state (attendance.rules.day_mark) of every worker of
some communities over a date range, from a fixed number of queries whatever the number of
communities, workers and days: workers, register rows, approved leave, the streets' calendar
exceptions, one each. The register page, the monthly sheet, the yearly statistics, the
ATT-3/ATT-4 sweep and the payroll deduction all read it, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from attendance import calendar, rules
from attendance.models import LEAVE_GRANTED, AttendanceRecord, Leave, LeaveState
from core.scoping import scope_for, scoped
from staffing.models import Worker


@dataclass
class WorkerRow:
    worker: Worker
    marks: dict[dt.date, rules.DayMark] = field(default_factory=dict)
    records: dict[dt.date, AttendanceRecord] = field(default_factory=dict)

    def totals(self) -> dict[str, Decimal | int]:
        """ATT-5/ATT-6 totals over the row's days."""
        marks = [m for m in self.marks.values() if m.in_service]
        return {
            "working": sum(1 for m in marks if m.working),
            "present": sum(1 for m in marks if m.present),
            "late": sum(1 for m in marks if m.late),
            "early": sum(1 for m in marks if m.early),
            "leave": sum((m.leave for m in marks), Decimal(0)),
            "absent": sum((m.absent for m in marks), Decimal(0)),
        }


@dataclass
class Grid:
    """The attendance of one community over [start, end]."""

    community: object
    start: dt.date
    end: dt.date
    days: dict[dt.date, calendar.DayInfo]
    rows: list[WorkerRow]

    @property
    def dates(self) -> list[dt.date]:
        return list(self.days)

    @property
    def fallback_years(self) -> list[int]:
        """Years counted Monday–Friday (no statutory data): shown on the page."""
        return calendar.fallback_years(self.start, self.end)


def _leave_halves(
    community_ids, start, end, worker_ids=None
) -> dict[tuple[int, dt.date], frozenset[str]]:
    """{(worker_id, date): halves} of granted leave in [start, end] (one query)."""
    halves: dict[tuple[int, dt.date], frozenset[str]] = {}
    rows = Leave.objects.filter(
        community_id__in=community_ids,
        state__in=LEAVE_GRANTED,
        start_date__lte=end,
        end_date__gte=start,
    )
    if worker_ids is not None:
        rows = rows.filter(worker_id__in=list(worker_ids))
    rows = rows.values_list("worker_id", "start_date", "start_half", "end_date", "end_half")
    for worker_id, first, first_half, last, last_half in rows:
        day = max(first, start)
        while day <= min(last, end):
            covered = rules.halves_on(day, first, first_half, last, last_half)
            key = (worker_id, day)
            halves[key] = halves.get(key, frozenset()) | covered
            day += dt.timedelta(days=1)
    return halves


def grids(
    communities,
    start: dt.date,
    end: dt.date,
    *,
    today: dt.date | None = None,
    worker_ids=None,
):
    """{community id: Grid} for `communities` over [start, end] (see the module docstring:
    four queries in all). `worker_ids` limits the rows to some workers."""
    today = today or timezone.localdate()
    communities = list(communities)
    if not communities:
        return {}
    ids = [c.pk for c in communities]
    streets = {c.street_id for c in communities}
    from attendance.models import CalendarException

    exceptions: dict[int, dict] = defaultdict(dict)
    for street_id, day, working, reason in CalendarException.objects.filter(
        street_id__in=streets, date__gte=start, date__lte=end
    ).values_list("street_id", "date", "is_working_day", "reason"):
        exceptions[street_id][day] = (working, reason)
    workers = (
        Worker.objects.filter(community_id__in=ids)
        .filter(Q(hired_on__isnull=True) | Q(hired_on__lte=end))
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=start))
        .order_by("community_id", "name", "pk")
    )
    record_rows = AttendanceRecord.objects.filter(
        community_id__in=ids, date__gte=start, date__lte=end
    )
    if worker_ids is not None:
        workers = workers.filter(pk__in=list(worker_ids))
        record_rows = record_rows.filter(worker_id__in=list(worker_ids))
    records = defaultdict(dict)
    for record in record_rows:
        records[record.worker_id][record.date] = record
    leaves = _leave_halves(ids, start, end, worker_ids)
    result = {}
    for community in communities:
        days = calendar.calendar_days(
            community.street_id, start, end, exceptions=exceptions[community.street_id]
        )
        result[community.pk] = Grid(community=community, start=start, end=end, days=days, rows=[])
    for worker in workers:
        grid = result[worker.community_id]
        row = WorkerRow(worker=worker, records=records.get(worker.pk, {}))
        for day, info in grid.days.items():
            record = row.records.get(day)
            row.marks[day] = rules.day_mark(
                day=day,
                today=today,
                working=info.working,
                in_service=rules.in_service_on(worker.hired_on, worker.left_on, day),
                leave_halves=leaves.get((worker.pk, day), frozenset()),
                record=_facts(record),
            )
        grid.rows.append(row)
    return result


def _facts(record: AttendanceRecord | None) -> rules.RecordFacts | None:
    if record is None:
        return None

    def local(moment):
        return None if moment is None else timezone.localtime(moment).time()

    return rules.RecordFacts(
        sign_in=local(record.sign_in_at),
        sign_out=local(record.sign_out_at),
        expected_start=record.expected_start,
        midday=record.midday,
        expected_end=record.expected_end,
    )


def grid_for(community, start: dt.date, end: dt.date, *, today=None, worker_ids=None) -> Grid:
    return grids([community], start, end, today=today, worker_ids=worker_ids)[community.pk]


# --- the register ----------------------------------------------------------------------------


def worker_for_user(user) -> Worker | None:
    """The worker linked to `user` (Worker.user), with the community, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Worker.objects.select_related("community__street").filter(user_id=user.pk).first()


def register_day(*, community, day: dt.date, today=None) -> Grid:
    """ATT-1: the day's register of one community (the caller checked the user may view it):
    every worker in service that day with the sign-in, sign-out and derived mark."""
    grid = grid_for(community, day, day, today=today)
    grid.rows = [row for row in grid.rows if row.marks[day].in_service]
    return grid


def record_list(*, user):
    return scoped(AttendanceRecord.objects.select_related("worker", "community"), user)


def record_get(*, user, pk) -> AttendanceRecord:
    return get_object_or_404(record_list(user=user), pk=pk)


# --- ATT-2: leave ----------------------------------------------------------------------------


def leave_list(*, user):
    return scoped(Leave.objects.select_related("worker", "community__street", "requested_by"), user)


def leave_get(*, user, pk) -> Leave:
    return get_object_or_404(leave_list(user=user), pk=pk)


def my_leaves(*, worker):
    """The worker's own requests, newest first."""
    return (
        Leave.objects.filter(worker=worker)
        .select_related("community")
        .order_by("-start_date", "-pk")
    )


def leave_inbox(*, user):
    """ATT-2: the pending leave whose current step the user may take (the director's step
    in communities where the user holds it, the street's steps through street roles),
    oldest first. One query, whatever the number of rows; the user's own requests are not
    in it (nobody approves their own leave)."""
    from attendance.services import STEP_PERMS, STREET_STEPS

    scope = scope_for(user)
    pending = Leave.objects.filter(state=LeaveState.PENDING).select_related(
        "worker", "community__street", "requested_by"
    )
    if not scope.everything:
        condition = Q(pk__in=[])
        for step, perm in STEP_PERMS.items():
            if step in STREET_STEPS:
                streets = [s for s, perms in scope.perms_by_street.items() if perm in perms]
                condition |= Q(current_step=step, community__street_id__in=streets)
            else:
                ids = [c for c, perms in scope.perms_by_community.items() if perm in perms]
                condition |= Q(current_step=step, community_id__in=ids)
        pending = pending.filter(condition)
    return (
        pending.exclude(requested_by_id=user.pk)
        .exclude(worker__user_id=user.pk)
        .order_by("start_date", "pk")
    )


# --- ATT-2 / ATT-3 deductions for the payroll sheet -----------------------------------------


def monthly_standard(worker, month: dt.date) -> Decimal:
    """STAFF-2: the worker's monthly subsidy for `month` (the highest standard of the posts
    held that month, as on the payroll sheet), 0 without a subsidised post."""
    from staffing import rules as srules
    from staffing.models import PostTerm

    first, last = rules.month_first(month), rules.month_end(month)
    profile = worker.community.profile
    posts = [
        term.post
        for term in PostTerm.objects.filter(worker=worker, starts_on__lte=last)
        if srules.term_subsidised_in(term, first)
    ]
    grade = srules.subsidy_grade(posts, profile, full_time=worker.is_full_time)
    return srules.grade_standard(grade, profile) if grade else Decimal("0.00")


def deducting_leaves(community_ids, start: dt.date, end: dt.date, worker_ids=None):
    """{worker_id: [(start, start_half, end, end_half)]} of granted leave that deducts pay
    and touches [start, end] (one query)."""
    rows = Leave.objects.filter(
        community_id__in=list(community_ids),
        state__in=LEAVE_GRANTED,
        deducts=True,
        start_date__lte=end,
        end_date__gte=start,
    )
    if worker_ids is not None:
        rows = rows.filter(worker_id__in=list(worker_ids))
    result = defaultdict(list)
    for worker_id, *span in rows.values_list(
        "worker_id", "start_date", "start_half", "end_date", "end_half"
    ):
        result[worker_id].append(tuple(span))
    return result


def leave_deduction_days(worker, month: dt.date) -> Decimal:
    """ATT-2 (按天计算扣当月工资): the working days of the worker's granted, deducted leave that
    fall in `month` (a leave across two months is deducted in each for its own days)."""
    first, last = rules.month_first(month), rules.month_end(month)
    spans = deducting_leaves([worker.community_id], first, last, [worker.pk]).get(worker.pk)
    if not spans:
        return Decimal(0)
    days = calendar.calendar_days(worker.community.street_id, first, last)
    return rules.leave_days_in(spans, days, first, last)


def deduction_for(worker, month: dt.date) -> tuple[Decimal, Decimal]:
    """ATT-2/ATT-3: (days, amount) of pay deducted from `worker` for `month`: granted leave
    that deducts (leave_deduction_days) plus the ATT-3 days; amount = days × the monthly
    standard / profile.pay_days_per_month (never more than the standard)."""
    worker = Worker.objects.select_related("community__profile").get(pk=worker.pk)
    days = leave_deduction_days(worker, month) + late_deduction_days(worker, month)
    if not days:
        return Decimal(0), Decimal("0.00")
    standard = monthly_standard(worker, month)
    return days, rules.deduction_amount(days, standard, worker.community.profile)


def late_deduction_days(worker, month: dt.date, *, today=None) -> Decimal:
    """ATT-3 (003 十三(四) 扣发三天当月工资): profile.late_deduct_days when the deduction falls
    due in `month`, else 0 (rules.late_deduction_in_month)."""
    profile = worker.community.profile
    first, last = rules.month_first(month), rules.month_end(month)
    window_first, _end, _label = rules.window_bounds(profile.late_times_window, first)
    grid = grid_for(worker.community, window_first, last, today=today, worker_ids=[worker.pk])
    if not grid.rows:
        return Decimal(0)
    criticised = criticism_dates(worker.pk, window_first, last)
    return rules.late_deduction_in_month(grid.rows[0].marks, criticised, first, profile)


def criticisms_by_worker(community_ids, start: dt.date, end: dt.date) -> dict[int, list]:
    """{worker_id: [dates]} of recorded criticisms in [start, end] (one query)."""
    from attendance.models import Criticism

    result = defaultdict(list)
    for worker_id, day in (
        Criticism.objects.filter(
            community_id__in=list(community_ids), date__gte=start, date__lte=end
        )
        .order_by("date")
        .values_list("worker_id", "date")
    ):
        result[worker_id].append(day)
    return result


def criticism_dates(worker_id: int, start: dt.date, end: dt.date) -> list[dt.date]:
    """ATT-3: the dates of the worker's recorded criticisms in [start, end]."""
    from attendance.models import Criticism

    return list(
        Criticism.objects.filter(worker_id=worker_id, date__gte=start, date__lte=end)
        .order_by("date")
        .values_list("date", flat=True)
    )
