"""ATT-5 monthly sheet (003 十三(六)) and ATT-6 yearly statistics (003 十三(五)).

The life of a sheet:

    sheet_generate (clerk or director)     draft, (re)made from the register; clears signatures
    sheet_sign (clerk / director)          two different people sign the grid they see
    sheet_submit (director)                signed by both, stamped → submitted: frozen

Every transition locks the sheet's row and re-reads its state under the lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance import rules
from attendance.models import AttendanceCase, MonthlySheet, SheetState
from attendance.selectors import Grid, criticisms_by_worker, deducting_leaves, grid_for
from communities.models import Community
from core.errors import RuleViolation
from core.scoping import scoped
from core.services import require

TOTAL_KEYS = ("working", "present", "late", "early", "leave", "absent")


def _num(value) -> str | int:
    return rules.fmt_days(value) if isinstance(value, Decimal) else value


def grid_data(grid: Grid) -> dict:
    """The JSON snapshot of a grid: days with their rest-day flag, one row per worker with
    the cell symbols and totals (the shape the page and the Excel export read)."""
    return {
        "days": [d.isoformat() for d in grid.dates],
        "rest": [not info.working for info in grid.days.values()],
        "fallback_years": grid.fallback_years,
        "rows": [
            {
                "worker": row.worker.pk,
                "name": row.worker.name,
                "cells": [row.marks[d].symbol for d in grid.dates],
                "totals": {k: _num(v) for k, v in row.totals().items()},
            }
            for row in grid.rows
        ],
    }


def month_grid(community, month: dt.date, *, today=None) -> Grid:
    first = rules.month_first(month)
    return grid_for(community, first, rules.month_end(first), today=today)


def _locked(user, sheet, perm) -> MonthlySheet:
    current = MonthlySheet.objects.filter(pk=sheet.pk).first()
    if current is None:
        raise Http404
    require(user, perm, current)
    return (
        MonthlySheet.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=sheet.pk)
    )


def _require_draft(sheet: MonthlySheet) -> None:
    if sheet.state != SheetState.DRAFT:
        raise RuleViolation("ATT-5", _("%(sheet)s 月考勤表已报街道，不能再更改") % {"sheet": sheet})


@transaction.atomic
def sheet_generate(*, user, community: Community, month: dt.date) -> MonthlySheet:
    """ATT-5: make or refresh the draft sheet of `community` for `month` from the register,
    leave and calendar. Idempotent on unchanged data; changed data clears both signatures
    (they attest the grid). Refused once submitted and for a month not yet begun."""
    month = rules.month_first(month)
    existing = MonthlySheet.objects.filter(community=community, month=month).first()
    action = "change" if existing else "add"
    require(
        user, f"attendance.{action}_monthlysheet", existing or MonthlySheet(community=community)
    )
    if month > rules.month_first(timezone.localdate()):
        raise RuleViolation("ATT-5", _("不能生成尚未开始月份的考勤表"), field="month")
    Community.objects.select_for_update().filter(pk=community.pk).first()
    sheet = (
        MonthlySheet.objects.select_for_update().filter(community=community, month=month).first()
    )
    if sheet is None:
        sheet = MonthlySheet(community=community, month=month)
    else:
        _require_draft(sheet)
    data = grid_data(month_grid(community, month))
    if sheet.pk is None or sheet.data != data:
        sheet.data = data
        sheet.clerk_signed_by = sheet.director_signed_by = None
        sheet.clerk_signed_at = sheet.director_signed_at = None
        sheet.stamped = False
    sheet.generated_at = timezone.now()
    sheet.full_clean(exclude=["community"])
    sheet.save()
    return sheet


SIGN_AS = {
    "clerk": ("attendance.sign_clerk_monthlysheet", "clerk_signed_by", "clerk_signed_at"),
    "director": (
        "attendance.sign_director_monthlysheet",
        "director_signed_by",
        "director_signed_at",
    ),
}


@transaction.atomic
def sheet_sign(*, user, sheet: MonthlySheet, as_: str) -> MonthlySheet:
    """ATT-5 (经社区主任和考勤人员共同签字): the clerk or the director signs a draft; two
    different people (a director who is also the clerk cannot sign twice)."""
    perm, by_field, at_field = SIGN_AS[as_]
    sheet = _locked(user, sheet, perm)
    _require_draft(sheet)
    if getattr(sheet, f"{by_field}_id") is not None:
        raise RuleViolation("ATT-5", _("已签字，不能重复签字"))
    other = "director_signed_by_id" if as_ == "clerk" else "clerk_signed_by_id"
    if getattr(sheet, other) == user.pk:
        raise RuleViolation("ATT-5", _("主任和考勤员须由两人分别签字"))
    setattr(sheet, by_field, user)
    setattr(sheet, at_field, timezone.now())
    sheet.save()
    return sheet


@transaction.atomic
def sheet_submit(*, user, sheet: MonthlySheet, stamped: bool) -> MonthlySheet:
    """ATT-5: a draft signed by both and stamped goes to the street; frozen from here on."""
    sheet = _locked(user, sheet, "attendance.submit_monthlysheet")
    _require_draft(sheet)
    if not (sheet.clerk_signed_by_id and sheet.director_signed_by_id):
        raise RuleViolation("ATT-5", _("须经主任和考勤员共同签字后才能报街道"))
    if not stamped:
        raise RuleViolation("ATT-5", _("请确认已加盖社区印章"), field="stamped")
    sheet.stamped = True
    sheet.state = SheetState.SUBMITTED
    sheet.submitted_by, sheet.submitted_at = user, timezone.now()
    sheet.full_clean(exclude=["community"])
    sheet.save()
    return sheet


def submitted_on_time(sheet: MonthlySheet | None) -> bool | None:
    """ATT-5 (每月底前): True submitted by the month's last day, False late, None not yet."""
    if sheet is None or sheet.state != SheetState.SUBMITTED:
        return None
    return timezone.localdate(sheet.submitted_at) <= rules.month_end(sheet.month)


# --- reads --------------------------------------------------------------------------------------


def sheet_list(*, user):
    return scoped(MonthlySheet.objects.select_related("community"), user).defer("data")


def sheet_get(*, user, pk) -> MonthlySheet:
    return get_object_or_404(
        scoped(
            MonthlySheet.objects.select_related(
                "community__street", "clerk_signed_by", "director_signed_by", "submitted_by"
            ),
            user,
        ),
        pk=pk,
    )


# --- ATT-6: yearly statistics --------------------------------------------------------------------


@dataclass
class YearRow:
    worker: object
    totals: dict
    deduction_days: Decimal
    cases: int


def yearly_stats(community, year: int, *, today=None) -> tuple[Grid, list[YearRow]]:
    """ATT-6 (003 十三(五) 考勤统计资料…以备年末考核): per worker over the year (up to today):
    working days, present, late, early, leave and absent days, the days deducted under
    ATT-2/ATT-3 and the number of ATT-3/ATT-4 cases. Seven queries whatever the number of
    workers: the grid (four), cases, deducting leave, criticisms."""
    today = today or timezone.localdate()
    profile = community.profile
    first = dt.date(year, 1, 1)
    last = min(dt.date(year, 12, 31), max(today, first))
    grid = grid_for(community, first, last, today=today)
    case_counts: dict[int, int] = {}
    for worker_id in AttendanceCase.objects.filter(
        community=community, period__startswith=str(year)
    ).values_list("worker_id", flat=True):
        case_counts[worker_id] = case_counts.get(worker_id, 0) + 1
    leaves = deducting_leaves([community.pk], first, last)
    criticisms = criticisms_by_worker([community.pk], first, last)
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = rules.month_end(month) + dt.timedelta(days=1)
    rows = []
    for row in grid.rows:
        deducted = Decimal(0)
        for month in months:
            end = min(rules.month_end(month), last)
            deducted += rules.leave_days_in(leaves.get(row.worker.pk, []), grid.days, month, end)
            deducted += rules.late_deduction_in_month(
                row.marks, criticisms.get(row.worker.pk, []), month, profile
            )
        rows.append(
            YearRow(
                worker=row.worker,
                totals=row.totals(),
                deduction_days=deducted,
                cases=case_counts.get(row.worker.pk, 0),
            )
        )
    return grid, rows
