"""Meetings of the demo street (called by core.demo after attendance), everything invented,
all through meetings.services with the clock at each step (finance.demo's _Timeline).

锦湖 (c1_director): the half-yearly residents' representative assembly, convened three weeks
before today and sat two weeks before today, its roster fixed when convened; all but a few
representatives checked in (quorum 2a > N); this year's work plan passed (3y > 2a) and a
parking-fee motion failed; minutes kept by the clerk; the sitting in the 大事记 (MEET-1/2/4).
The director's work plans (MEET-2): 锦湖 the year's (approved by that resolution), the
quarter's and the month's; 澜苑 the year's and the quarter's, not yet the month's (a MEET-2
finding); the others none yet. Regular meetings (MEET-3/4) in every community: last month's
all-member meeting and the weekly work meetings of the last two weeks, minutes by a named
recorder; 锦湖's monthly meeting goes into the 大事记; in 澜苑 one worker missed last week's
meeting without leave (a MEET-5 reminder). Communities without logins: the superuser acts.
"""

import datetime as dt

from django.utils import timezone

from communities.models import Community
from finance.demo import _Timeline
from meetings import services
from meetings.models import AttendanceStatus, MeetingKind, MotionKind, SittingKind
from meetings.plans import workplan_save
from meetings.workplans import PlanKind, WorkPlan, period_label, period_start
from staffing.models import Worker


def _assembly(timeline, community, director, today, recorder, state):
    convene_day = today - dt.timedelta(days=21)
    sit_day = today - dt.timedelta(days=14)

    def convene():
        state["sitting"] = services.sitting_convene(
            user=director,
            community=community,
            kind=SittingKind.REGULAR,
            title=f"{today.year}年居民代表会议例会",
            scheduled_at=timezone.make_aware(dt.datetime.combine(sit_day, dt.time(9, 0))),
            place="社区党群服务中心二楼会议室",
        )

    def sit():
        sitting = services.sitting_open(user=director, sitting=state["sitting"])
        seats = list(sitting.seats.order_by("pk"))
        present = seats[: max(len(seats) - 2, len(seats) // 2 + 1)]
        for seat in present:
            services.seat_check_in(user=director, seat=seat)
        plan = services.motion_add(
            user=director,
            sitting=sitting,
            title=f"{today.year}年度社区工作计划",
            kind=MotionKind.PLAN,
            text="审议居委会主任拟定的年度工作计划。",
        )
        fee = services.motion_add(
            user=director,
            sitting=sitting,
            title="小区夜间临时停车收费方案",
            text="提议对夜间外来车辆临时停车收取费用。",
        )
        for motion, in_favour in ((plan, len(present)), (fee, len(present) // 2)):
            services.motion_open_voting(user=director, motion=motion)
            for n, seat in enumerate(present):
                choice = "for" if n < in_favour else ("against" if n % 2 else "abstain")
                services.vote_cast(user=director, motion=motion, choice=choice, seat=seat)
            closed = services.motion_close(user=director, motion=motion)
            state.setdefault("plan_motion", closed)  # the first: the work plan
        services.sitting_close(
            user=director,
            sitting=sitting,
            recorder=recorder,
            minutes=(
                f"应到代表 {len(seats)} 人，实到 {len(present)} 人，超过半数，会议有效。"
                f"审议通过《{today.year}年度社区工作计划》；《小区夜间临时停车收费方案》"
                "赞成票未超过与会代表三分之二，未通过。"
            ),
        )
        services.chronicle_add(
            user=director,
            community=community,
            date=sit_day,
            title="召开居民代表会议例会",
            description="审议通过年度社区工作计划。",
            sitting=sitting,
        )

    timeline.at(convene_day, 10, 0, convene)
    timeline.at(sit_day, 9, 0, sit)


def _plans(timeline, community, director, today, kinds, state=None):
    for n, kind in enumerate(kinds):
        start = period_start(kind, today)
        label = period_label(kind, start)

        def draft(kind=kind, start=start, label=label):
            approved = (state or {}).get("plan_motion") if kind == PlanKind.YEARLY else None
            workplan_save(
                user=director,
                instance=WorkPlan(
                    community=community,
                    kind=kind,
                    period_start=start,
                    title=f"{community.name}{label}{PlanKind(kind).label}",
                    body="一、党建引领；二、居民服务；三、平安社区；四、环境整治；五、居务公开。",
                    approved_by=approved,
                ),
            )

        # Drafted on the first day of its period; 锦湖's yearly one is recorded the day after
        # the assembly approved it.
        approved_later = state is not None and kind == PlanKind.YEARLY
        day = today - dt.timedelta(days=13) if approved_later else start
        timeline.at(min(day, today), 8, 40 + n, draft)


def _regular(timeline, community, user, today, workers, *, absent=None, chronicle=False):
    recorder = workers[-1]
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    monthly_day = last_month_end - dt.timedelta(days=2)
    monday = today - dt.timedelta(days=today.weekday())
    weekly_days = [monday - dt.timedelta(days=7), monday - dt.timedelta(days=14)]
    meetings = [(MeetingKind.MONTHLY, monthly_day, "本月工作总结及下月工作安排")]
    meetings += [(MeetingKind.WEEKLY, d, "本周重点工作部署") for d in weekly_days]
    for kind, day, topic in meetings:
        attendance = {w.pk: AttendanceStatus.PRESENT for w in workers}
        if absent is not None and kind == MeetingKind.WEEKLY and day == weekly_days[0]:
            attendance[absent.pk] = AttendanceStatus.ABSENT

        def record(kind=kind, day=day, topic=topic, attendance=attendance):
            services.meeting_record(
                user=user,
                community=community,
                kind=kind,
                date=day,
                topic=topic,
                recorder=recorder,
                chair=workers[0],
                minutes=f"{topic}：逐项明确责任人和完成时限。",
                attendance=attendance,
                major_event="召开全体成员会议，部署冬季安全检查"
                if chronicle and kind == MeetingKind.MONTHLY
                else "",
            )

        timeline.at(day, 16, 0, record)


def build_meetings(street, today: dt.date, logins: dict) -> dict:
    timeline = _Timeline(timezone.now())
    communities = list(Community.objects.filter(street=street).order_by("pk"))
    counts = {"sittings": 0, "regular": 0}
    for n, community in enumerate(communities, start=1):
        director = logins.get(f"c{n}_director") or logins["admin"]
        workers = [
            w
            for w in Worker.objects.filter(community=community, left_on__isnull=True).order_by("pk")
            if w.hired_on is None or w.hired_on <= today - dt.timedelta(days=40)
        ]
        if not workers:
            continue
        state = {}
        if n == 1:
            _assembly(timeline, community, director, today, workers[-1], state)
            _plans(timeline, community, director, today, PlanKind.values, state)
            counts["sittings"] += 1
        elif n == 2:
            _plans(timeline, community, director, today, [PlanKind.YEARLY, PlanKind.QUARTERLY])
        absent = workers[1] if n == 2 and len(workers) > 2 else None
        _regular(timeline, community, director, today, workers, absent=absent, chronicle=n == 1)
        counts["regular"] += 3
    timeline.run()
    return counts
