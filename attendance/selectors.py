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
from attendance.models import AttendanceRecord
from core.scoping import scoped
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


def _leave_halves(community_ids, start, end) -> dict[tuple[int, dt.date], frozenset[str]]:
    """{(worker_id, date): halves} of approved leave in [start, end] (one query)."""
    return {}


def grids(communities, start: dt.date, end: dt.date, *, today: dt.date | None = None):
    """{community id: Grid} for `communities` over [start, end] (see the module docstring:
    four queries in all)."""
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
    records = defaultdict(dict)
    for record in AttendanceRecord.objects.filter(
        community_id__in=ids, date__gte=start, date__lte=end
    ):
        records[record.worker_id][record.date] = record
    leaves = _leave_halves(ids, start, end)
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


def grid_for(community, start: dt.date, end: dt.date, *, today=None) -> Grid:
    return grids([community], start, end, today=today)[community.pk]


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
