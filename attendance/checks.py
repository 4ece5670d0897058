"""ATT compliance checks (issue #8), registered in core.compliance: what is reported rather
than blocked. Each reads a fixed number of queries per community."""

import datetime as dt

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attendance import calendar, rules
from attendance.models import (
    RESIGNATION_KINDS,
    AttendanceCase,
    CalendarException,
    CaseKind,
    CaseState,
    MonthlySheet,
)
from attendance.reminders import staffed_months
from attendance.sheets import submitted_on_time
from core.compliance import Result, register


@register(
    "att5-monthly-sheet",
    rule_id="ATT-5",
    title=gettext_lazy("月考勤表按时报街道"),
    citation="003 十三(六)",
)
def monthly_sheet(community, profile):
    """Last month's sheet, signed and stamped, submitted to the street by the month's end."""
    today = timezone.localdate()
    month = rules.month_first(rules.month_first(today) - dt.timedelta(days=1))
    end = rules.month_end(month)
    values = {"month": f"{month:%Y-%m}", "end": end}
    if (community.pk, month) not in staffed_months([community.pk], [month]):
        return Result.ok(_("%(month)s 无在职社区工作者，无需报送考勤表") % values)
    sheet = MonthlySheet.objects.filter(community=community, month=month).defer("data").first()
    on_time = submitted_on_time(sheet)
    if on_time is None:
        return Result.violation(_("%(month)s 月考勤表未报街道（应于 %(end)s 前报送）") % values)
    values["at"] = timezone.localdate(sheet.submitted_at)
    if not on_time:
        return Result.warning(_("%(month)s 月考勤表于 %(at)s 报街道，晚于 %(end)s") % values)
    return Result.ok(_("%(month)s 月考勤表已于 %(at)s 报街道") % values)


@register(
    "att1-calendar",
    rule_id="ATT-1",
    title=gettext_lazy("工作日历（法定节假日）"),
    citation="国务院办公厅节假日安排；003 十三",
)
def working_calendar(community, profile):
    """The working days of this year come from the statutory calendar; in a year the package
    has no data for they are counted Monday–Friday until the street enters the holidays."""
    year = timezone.localdate().year
    if calendar.has_national_data(year):
        return Result.ok(_("%(year)s 年按国家法定节假日和调休安排计算工作日") % {"year": year})
    entered = CalendarException.objects.filter(
        street_id=community.street_id, date__year=year
    ).count()
    values = {"year": year, "n": entered}
    if entered:
        return Result.ok(
            _("系统未内置 %(year)s 年法定节假日，按周一至周五计算，并已采用街道录入的 %(n)s 天调整")
            % values
        )
    return Result.warning(
        _(
            "系统未内置 %(year)s 年法定节假日，暂按周一至周五计算工作日；请街道录入本年度"
            "节假日和调休上班日"
        )
        % values
    )


@register(
    "att34-cases",
    rule_id="ATT-4",
    title=gettext_lazy("旷工、迟到早退待处理事项"),
    citation="003 十三(四)",
)
def open_cases(community, profile):
    """Open "treated as resignation" cases waiting for the street, and self-criticisms not
    yet written (ATT-3/ATT-4)."""
    rows = dict(
        AttendanceCase.objects.filter(community=community, state=CaseState.OPEN)
        .values("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    resign = sum(rows.get(k, 0) for k in RESIGNATION_KINDS)
    owed = rows.get(CaseKind.SELF_CRITICISM, 0)
    values = {"resign": resign, "owed": owed}
    if resign:
        return Result.warning(
            _("%(resign)s 件“按自动辞职处理”待街道确认或不予认定；%(owed)s 份书面检查未提交")
            % values
        )
    if owed:
        return Result.warning(_("%(owed)s 份无故旷工书面检查未提交") % values)
    return Result.ok(_("无待处理的旷工、迟到早退事项"))
