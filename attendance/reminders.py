"""The ATT reminder sweep (issue #8): the monthly sheet (ATT-5, 003 十三(六) 每月底前…报街道)
becomes a Reminder row (core.reminders) per community and month from SHEET_NOTICE_DAYS
before the month's last day until it is submitted; last month's unsubmitted sheet keeps its
reminder open (overdue, also reported by the att5-monthly-sheet check).

Three queries read the due set of all communities (communities, workers in service,
submitted sheets); the writes are one INSERT ... ON CONFLICT DO NOTHING and one UPDATE.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from attendance import rules
from attendance.models import MonthlySheet, SheetState
from communities.models import Community
from core.reminders import reminder_build, reminders_close, reminders_upsert
from staffing.models import Worker

KIND_SHEET = "att5-monthly-sheet"
# ATT-5: how many days before the month's end the sheet is reminded (a system parameter,
# not a seed number).
SHEET_NOTICE_DAYS = 5


def sheet_reminder_open(today: dt.date) -> bool:
    """ATT-5: from SHEET_NOTICE_DAYS before the last day of the month (that day included)."""
    return today >= rules.month_end(today) - dt.timedelta(days=SHEET_NOTICE_DAYS)


def staffed_months(ids, months) -> set[tuple[int, dt.date]]:
    """{(community_id, month)} of the `months` (first days) in which a community had a worker
    in service: only those owe a sheet (one query)."""
    from django.db.models import Q

    first, last = min(months), rules.month_end(max(months))
    rows = (
        Worker.objects.filter(community_id__in=list(ids))
        .filter(Q(hired_on__isnull=True) | Q(hired_on__lte=last))
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=first))
        .values_list("community_id", "hired_on", "left_on")
        .distinct()
    )
    result = set()
    for community_id, hired_on, left_on in rows:
        for month in months:
            if (hired_on is None or hired_on <= rules.month_end(month)) and (
                left_on is None or left_on >= month
            ):
                result.add((community_id, month))
    return result


def due_sheet_reminders(today: dt.date) -> list:
    this_month = rules.month_first(today)
    last_month = rules.month_first(this_month - dt.timedelta(days=1))
    ids = list(Community.objects.filter(is_active=True).values_list("pk", flat=True))
    staffed = staffed_months(ids, [last_month, this_month])
    submitted = set(
        MonthlySheet.objects.filter(
            community_id__in=ids, month__in=[this_month, last_month], state=SheetState.SUBMITTED
        ).values_list("community_id", "month")
    )
    months = [last_month]
    if sheet_reminder_open(today):
        months.append(this_month)
    due = []
    for community_id in sorted(ids):
        for month in months:
            if (community_id, month) in submitted or (community_id, month) not in staffed:
                continue
            end = rules.month_end(month)
            values = {"month": f"{month:%Y-%m}", "end": end}
            title = (
                _("%(month)s 月考勤表已逾期未报街道（应于 %(end)s 前报送）")
                if end < today
                else _("%(month)s 月考勤表请于 %(end)s 前报街道")
            ) % values
            due.append(
                reminder_build(
                    community_id=community_id,
                    kind=KIND_SHEET,
                    rule_id="ATT-5",
                    subject=f"community:{community_id}",
                    period=f"{month:%Y-%m}",
                    title=title,
                    message=_(
                        "ATT-5（003 十三(六)）：每月底前，将加盖社区印章并经社区主任和考勤人员"
                        "共同签字的月考勤登记表报街道办事处社会事务管理科。"
                    ),
                    due_on=end,
                )
            )
    return due


@transaction.atomic
def reminders_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """Create the due ATT-5 reminders that do not exist yet and close those whose sheet was
    submitted. Idempotent: a second run (or a concurrent one) creates and closes nothing."""
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        due = due_sheet_reminders(today)
    reminders_upsert(due)
    closed = reminders_close(
        kind=KIND_SHEET, keep_subjects_periods={(r.subject, r.period) for r in due}
    )
    return {"due": len(due), "closed": closed}
