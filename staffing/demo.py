"""Staffing of the demo street (called by core.demo): the people on the committees and the
party organisation become workers with their post terms, plus the service room's recruits
and the part-time grid workers, with training, weekly study, party check-ups, last year's
evaluation and a departure handover. Everything is invented.

Most rules pass; deliberately out of line, so the compliance report has something to show:

    澜苑 STAFF-1 understaffed (5,600 households, 13 full-time workers)
    桐荫 STAFF-1 over quota, with this year's recorded reason (ok)
    松涛 STAFF-6 a committee member without training in the cycle
    青枫 STAFF-6 two collective studies in the last four weeks
    晓光 STAFF-1 over quota without a reason; STAFF-7 a handover past its deadline
    锦湖 STAFF-4 a service-room contract ending in 30 days (reminder)
"""

import datetime as dt
from decimal import Decimal

from staffing import models as s
from staffing.models import Post

SOURCES = (
    s.Source.RETAINED,
    s.Source.SECONDED_CADRE,
    s.Source.RECRUITED_GRADUATE,
    s.Source.RECRUITED_VETERAN,
    s.Source.RECRUITED_LAID_OFF,
)
COURSES = (
    ("社区治理能力提升专题培训", "区委组织部", Decimal("24")),
    ("社区工作者岗位技能培训", "区民政局", Decimal("16")),
    ("基层党务工作培训", "街道党工委", Decimal("12")),
)
STUDY_TOPICS = (
    "学习党的基层组织建设有关文件",
    "学习《城市居民委员会组织法》",
    "学习社区居务公开有关规定",
    "学习社会救助政策",
    "学习安全生产与防灾减灾知识",
    "学习社区财务管理制度",
    "学习民法典相关内容",
    "学习优化营商环境有关要求",
)
# Flush order: parents before children (core.demo flushes these after the registry).
ORDER = (
    s.Worker,
    s.PostTerm,
    s.StaffingReason,
    s.TrainingRecord,
    s.StudySession,
    s.Evaluation,
    s.PartyCheckup,
    s.Handover,
)
QUIRKS = {
    "c1": {"expiring_contract"},
    "c3": {"over_reason"},
    "c4": {"untrained_member"},
    "c5": {"few_studies"},
    "c6": {"handover_overdue"},
}


def build_staffing(builder, community, spec, cast) -> dict:
    """Add the community's workers and their records to `builder.rows`; return the workers
    by seat person name (core.demo links the demo logins to them)."""
    rng, today, year = builder.rng, builder.today, builder.year
    quirks = QUIRKS.get(spec.key, set())
    start, end = builder.term_start, builder.term_end
    workers: dict[str, s.Worker] = {}

    def worker(name, phone="", *, full_time=True, hired_on=None, source=None, left_on=None):
        if name in workers:
            return workers[name]
        w = builder.add(
            s.Worker(
                community=community,
                name=name,
                gender=rng.choice(s.Gender.values),
                phone=phone or builder.phone(),
                source=source or rng.choice(SOURCES),
                is_full_time=full_time,
                hired_on=hired_on or dt.date(rng.randint(2008, year - 3), rng.randint(1, 12), 1),
                left_on=left_on,
            )
        )
        workers[name] = w
        return w

    def term(w, post, starts_on=start, ends_on=end, selection=s.Selection.ELECTED, **extra):
        builder.add(
            s.PostTerm(
                community=community,
                worker=w,
                post=post,
                starts_on=starts_on,
                ends_on=ends_on,
                selection=selection,
                **extra,
            )
        )

    secretary = worker(cast["secretary"].person_name, cast["secretary"].phone)
    term(secretary, Post.PARTY_SECRETARY)
    director = worker(cast["director"].person_name, cast["director"].phone)
    term(director, Post.COMMITTEE_DIRECTOR)
    term(director, Post.PARTY_DEPUTY_SECRETARY)  # STAFF-9 cross-appointment
    deputy = worker(cast["deputy"].person_name, cast["deputy"].phone)
    term(deputy, Post.COMMITTEE_DEPUTY_DIRECTOR)
    party_members = {seat.person_name for seat in cast["members"][: spec.party - 2]}
    for seat in cast["members"]:
        w = worker(seat.person_name, seat.phone)
        term(w, Post.COMMITTEE_MEMBER)
        if seat.person_name in party_members:
            term(w, Post.PARTY_MEMBER)
    term(workers[cast["accountant"].person_name], Post.ACCOUNTANT, selection=s.Selection.APPOINTED)
    term(workers[cast["cashier"].person_name], Post.CASHIER, selection=s.Selection.APPOINTED)

    # The service room's open recruits (STAFF-3), up to the top of the STAFF-1 range.
    from staffing.rules import SERVICE_ROOM_RECRUITS, required_range

    _low, high = required_range(spec.households, community.profile)
    recruits = min(max(high - len(workers), 0), SERVICE_ROOM_RECRUITS)
    for i in range(recruits):
        hired = dt.date(year - 2, 3, 1)
        w = worker(builder.name(), hired_on=hired, source=s.Source.RECRUITED_GRADUATE)
        contract_end = end
        if i == 0 and "expiring_contract" in quirks:
            contract_end = today + dt.timedelta(days=30)
        term(w, Post.SERVICE_STAFF, hired, contract_end, s.Selection.RECRUITED)
    full_time = list(workers.values())

    # Grid workers (part-time), one per residents' group; the first leads group 1.
    grid_names = ["".join(cast["grid"])] + [builder.name() for _ in range(spec.groups - 1)]
    for name in grid_names:
        w = worker(name, full_time=False, source=s.Source.OTHER)
        term(w, Post.GRID_WORKER, selection=s.Selection.APPOINTED)

    if "over_reason" in quirks:
        builder.add(
            s.StaffingReason(
                community=community,
                year=year,
                reason="老旧小区集中改造、棚户区回迁，工作量大，经街道同意增配（001 第十一条）",
            )
        )

    # STAFF-6 training: heads this year, others within the cycle; one member untrained.
    untrained = cast["members"][-1].person_name if "untrained_member" in quirks else None
    for w in full_time:
        if w.name == untrained:
            continue
        course, organiser, hours = COURSES[rng.randrange(len(COURSES))]
        if w in (secretary, director):
            day = dt.date(year, rng.randint(3, 6), rng.randint(1, 28))
            hours = max(hours, Decimal("24"))
        else:
            day = dt.date(year - 1, rng.randint(3, 11), rng.randint(1, 28))
        builder.add(
            s.TrainingRecord(
                community=community,
                worker=w,
                course=course,
                organiser=organiser,
                date=min(day, today),
                hours=max(hours, Decimal(community.profile.training_hours_min)),
                attended=True,
                exam_result=s.ExamResult.PASSED,
            )
        )

    # Weekly collective study (003 七(四)): the last eight weeks, each Wednesday-ish.
    weeks = 8
    skipped = {0, 1} if "few_studies" in quirks else set()
    for week in range(weeks):
        if week in skipped:
            continue
        builder.add(
            s.StudySession(
                community=community,
                date=today - dt.timedelta(days=7 * week + 2),
                topic=STUDY_TOPICS[week % len(STUDY_TOPICS)],
                notes="书记领学，委员交流发言，形成学习记录并存档。",
                attendees=len(full_time) - rng.randint(0, 2),
            )
        )

    # STAFF-10: two 党性体检 last year for every party post holder, one so far this year.
    party_holders = [secretary, director] + [workers[n] for n in sorted(party_members)]
    for w in party_holders:
        for day in (dt.date(year - 1, 5, 20), dt.date(year - 1, 11, 18), dt.date(year, 5, 19)):
            if day <= today:
                builder.add(
                    s.PartyCheckup(
                        community=community,
                        worker=w,
                        date=day,
                        result="对照党章党规查摆问题，明确整改措施。",
                    )
                )

    # STAFF-7: a former worker's departure handover, past its deadline and still open.
    if "handover_overdue" in quirks:
        left = today - dt.timedelta(days=45)
        former = worker(
            builder.name(),
            hired_on=dt.date(year - 6, 4, 1),
            source=s.Source.RETAINED,
            left_on=left,
        )
        term(
            former,
            Post.SERVICE_STAFF,
            dt.date(year - 6, 4, 1),
            left,
            s.Selection.RECRUITED,
            reappointed=False,  # STAFF-4: left at the end of the contract, not renewed
            reselected_on=left,
        )
        builder.add(
            s.Handover(
                community=community,
                worker=former,
                deadline=left + dt.timedelta(days=30),
                finance_done=True,
                archives_done=False,
                seals_done=True,
                note="档案尚在整理，未按期移交",
            )
        )
    # STAFF-5: last year's evaluation of the full-time workers in service all year.
    for w in workers.values():
        if not w.is_full_time:
            continue
        if w.hired_on <= dt.date(year - 1, 1, 1):
            score = Decimal(rng.randint(780, 985)) / 10
            grade = s.Grade.EXCELLENT if score >= 90 else s.Grade.COMPETENT
            builder.add(
                s.Evaluation(
                    community=community,
                    worker=w,
                    year=year - 1,
                    score=score,
                    grade=grade,
                    evaluators="居民代表 21 人参加测评",
                )
            )

    return workers


def build_payrolls(street, user, today) -> int:
    """STAFF-2 in the demo: last year's average wage and this year's insurance rates for the
    street (invented figures), last month's payroll sheet of every community approved by
    the street, this month's as a draft. Through the payroll services (as `user`, the demo
    superuser). Returns the number of sheets."""
    from communities.models import Community
    from staffing.payroll import payroll_approve, payroll_generate, payroll_submit

    s.AverageWage.objects.create(
        street=street,
        year=today.year - 1,
        monthly_amount=Decimal("6850.00"),
        source="（演示）市统计局公布的上年度城镇非私营单位在岗职工月平均工资",
    )
    s.InsuranceRate.objects.create(
        street=street, year=today.year, personal_pct=Decimal("10.50"), unit_pct=Decimal("24.00")
    )
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    sheets = 0
    for community in Community.objects.filter(street=street).select_related("profile", "street"):
        approved = payroll_generate(user=user, community=community, month=last_month)
        payroll_submit(user=user, payroll=approved)
        payroll_approve(user=user, payroll=approved)
        payroll_generate(user=user, community=community, month=this_month)
        sheets += 2
    return sheets
