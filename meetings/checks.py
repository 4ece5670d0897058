"""MEET compliance checks (issue #8), registered in core.compliance. A fixed number of
queries per community."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.compliance import Result, register
from meetings import rules
from meetings.models import (
    DisciplineRecord,
    Meeting,
    MeetingKind,
    Motion,
    MotionKind,
    MotionState,
    SittingState,
)
from meetings.plans import missing_plans
from meetings.selectors import last_regular_held
from meetings.workplans import PlanKind, period_label


@register(
    "meet1-regular-assembly",
    rule_id="MEET-1",
    title=gettext_lazy("居民代表会议按期召开"),
    citation="003 三(三)",
    params=("assembly_interval_months",),
)
def regular_assembly(community, profile):
    today = timezone.localdate()
    last = last_regular_held(community.pk)
    due = rules.regular_due(last, profile.assembly_interval_months)
    values = {"last": last, "due": due, "months": profile.assembly_interval_months}
    if last is None:
        return Result.warning(_("尚无居民代表会议例会记录（每 %(months)s 个月召开一次）") % values)
    if due < today:
        return Result.violation(
            _("居民代表会议例会逾期：上次 %(last)s，应于 %(due)s 前召开") % values
        )
    return Result.ok(_("上次例会 %(last)s，下次应于 %(due)s 前召开") % values)


@register(
    "meet2-work-report",
    rule_id="MEET-2",
    title=gettext_lazy("居委会向居民代表会议报告工作"),
    citation="003 二(四)；000 第九条",
    params=("committee_report_interval_months",),
)
def work_report(community, profile):
    today = timezone.localdate()
    since = rules.add_months(today, -profile.committee_report_interval_months)
    last = (
        Motion.objects.filter(
            sitting__community=community,
            sitting__state=SittingState.CLOSED,
            kind=MotionKind.WORK_REPORT,
            state=MotionState.CLOSED,
        )
        .order_by("-sitting__scheduled_at")
        .values_list("sitting__scheduled_at", flat=True)
        .first()
    )
    values = {"months": profile.committee_report_interval_months}
    if last is None or timezone.localdate(last) < since:
        return Result.warning(_("近 %(months)s 个月居委会未向居民代表会议报告工作") % values)
    values["last"] = timezone.localdate(last)
    return Result.ok(_("居委会于 %(last)s 向居民代表会议报告工作") % values)


@register(
    "meet2-work-plans",
    rule_id="MEET-2",
    title=gettext_lazy("年度、季度、月份工作计划"),
    citation="003 二(二)",
)
def work_plans(community, profile):
    missing = missing_plans(community.pk)
    if missing:
        names = _("、").join(
            _("%(period)s%(kind)s")
            % {"period": period_label(kind, start), "kind": PlanKind(kind).label}
            for kind, start in missing
        )
        return Result.warning(_("尚未拟定：%(names)s") % {"names": names})
    return Result.ok(_("本年度、本季度、本月工作计划均已拟定"))


def _last_week(today):
    monday = today - dt.timedelta(days=today.weekday() + 7)
    return monday, monday + dt.timedelta(days=6)


@register(
    "meet3-regular-meetings",
    rule_id="MEET-3",
    title=gettext_lazy("每周工作会议、每月全体成员会议"),
    citation="003 六(二)(三)",
)
def regular_meetings(community, profile):
    today = timezone.localdate()
    week_start, week_end = _last_week(today)
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    month_start = month_end.replace(day=1)
    held = set(
        Meeting.objects.filter(community=community, date__gte=month_start, date__lte=week_end)
        .filter(kind__in=[MeetingKind.WEEKLY, MeetingKind.MONTHLY])
        .values_list("kind", "date")
    )
    weekly = any(k == MeetingKind.WEEKLY and week_start <= d <= week_end for k, d in held)
    monthly = any(k == MeetingKind.MONTHLY and month_start <= d <= month_end for k, d in held)
    values = {"week": week_start, "month": f"{month_start:%Y-%m}"}
    missing = []
    if not weekly:
        missing.append(_("%(week)s 当周未召开每周工作会议") % values)
    if not monthly:
        missing.append(_("%(month)s 未召开全体成员会议") % values)
    if missing:
        return Result.warning("；".join(missing))
    return Result.ok(_("上周工作会议、上月全体成员会议均已召开并记录"))


@register(
    "meet5-discipline",
    rule_id="MEET-5",
    title=gettext_lazy("例会无故缺席（计入考核）"),
    citation="003 六(四)",
)
def discipline(community, profile):
    year = timezone.localdate().year
    n = DisciplineRecord.objects.filter(community=community, appraisal_year=year).count()
    if n:
        return Result.warning(
            _("%(year)s 年例会无故缺席 %(n)s 人次，已按提示、警告、批评告诫并计入绩效考核")
            % {"year": year, "n": n}
        )
    return Result.ok(_("%(year)s 年无例会无故缺席") % {"year": year})
