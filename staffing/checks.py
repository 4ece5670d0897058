"""STAFF compliance checks (issue #5), registered in core.compliance."""

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.compliance import Result, register
from staffing import rules
from staffing.models import (
    Evaluation,
    Handover,
    HandoverOutcome,
    PartyCheckup,
    Post,
    PostTerm,
    StaffingReason,
    StudySession,
    TrainingRecord,
    Worker,
)


def current_full_time_workers(community) -> int:
    """STAFF-1: the workers who count towards the quota."""
    return Worker.objects.filter(
        community=community, left_on__isnull=True, is_full_time=True
    ).count()


def _current_terms(community, today):
    return PostTerm.objects.filter(community=community, starts_on__lte=today).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )


@register(
    "staff1-quota",
    rule_id="STAFF-1",
    title=gettext_lazy("社区工作者配备人数"),
    citation="000 第十条；002 四(二)",
    params=("households_per_worker_low", "households_per_worker_high", "min_workers"),
)
def quota(community, profile):
    n = current_full_time_workers(community)
    low, high = rules.required_range(community.households, profile)
    values = {"n": n, "h": community.households, "lo": low, "hi": high}
    if n < low:
        return Result.warning(
            _("专职社区工作者 %(n)s 人，按 %(h)s 户原则上应配 %(lo)s—%(hi)s 人，配备不足") % values
        )
    if n > high:
        year = timezone.localdate().year
        if StaffingReason.objects.filter(community=community, year=year).exists():
            return Result.ok(
                _("专职社区工作者 %(n)s 人，超出 %(lo)s—%(hi)s 人，已登记本年度超配说明") % values
            )
        return Result.warning(
            _("专职社区工作者 %(n)s 人，超出原则上 %(lo)s—%(hi)s 人，未登记本年度超配说明") % values
        )
    return Result.ok(_("专职社区工作者 %(n)s 人，在 %(lo)s—%(hi)s 人之间") % values)


@register(
    "staff8-incompatible",
    rule_id="STAFF-8",
    title=gettext_lazy("不相容职务分离"),
    citation="003 十四(一)(二)",
    params=("separate_accountant_cashier",),
)
def incompatible_posts(community, profile):
    """Existing data re-checked: terms saved before a profile change, or by other paths."""
    today = timezone.localdate()
    held = defaultdict(list)
    names = {}
    for worker_id, name, post in _current_terms(community, today).values_list(
        "worker_id", "worker__name", "post"
    ):
        held[worker_id].append(post)
        names[worker_id] = name
    found = []
    for worker_id, posts in held.items():
        for i, post in enumerate(posts):
            conflict = rules.conflicting_post(posts[:i], post, profile)
            if conflict is not None:
                found.append(
                    _("%(name)s 同时担任%(a)s和%(b)s")
                    % {
                        "name": names[worker_id],
                        "a": Post(conflict).label,
                        "b": Post(post).label,
                    }
                )
                break
    if found:
        return Result.violation("；".join(sorted(found)))
    return Result.ok(_("未发现不相容职务兼任"))


@register(
    "staff4-terms-expiring",
    rule_id="STAFF-4",
    title=gettext_lazy("任期即将届满"),
    citation="002 四(二)",
)
def terms_expiring(community, profile):
    today = timezone.localdate()
    rows = (
        _current_terms(community, today)
        .filter(ends_on__lte=today + rules.TERM_EXPIRY_NOTICE_DAYS_DELTA)
        .order_by("ends_on", "worker__name")
        .values_list("worker__name", "post", "ends_on")
    )
    items = [
        _("%(name)s（%(post)s，%(end)s 届满）")
        % {"name": name, "post": Post(post).label, "end": ends_on}
        for name, post, ends_on in rows
    ]
    if items:
        return Result.warning(
            _("%(days)s 天内任期届满，请及时换届或续聘：%(items)s")
            % {"days": rules.TERM_EXPIRY_NOTICE_DAYS, "items": "；".join(items)}
        )
    return Result.ok(_("%(days)s 天内无任期届满") % {"days": rules.TERM_EXPIRY_NOTICE_DAYS})


def _current_posts(community, today, posts) -> tuple[dict[int, set[str]], dict[int, str]]:
    """Current holders of `posts` who have not left: {worker_id: posts}, {worker_id: name}
    (one query)."""
    held, names = defaultdict(set), {}
    rows = (
        _current_terms(community, today)
        .filter(post__in=posts)
        .filter(Q(worker__left_on__isnull=True) | Q(worker__left_on__gt=today))
        .values_list("worker_id", "worker__name", "post")
    )
    for worker_id, name, post in rows:
        held[worker_id].add(post)
        names[worker_id] = name
    return held, names


@register(
    "staff6-training",
    rule_id="STAFF-6",
    title=gettext_lazy("社区工作者培训"),
    citation="004 二(六)2；003 七(一)",
    params=("training_hours_min", "training_cycle_years_members"),
)
def training(community, profile):
    """Two queries per community: the current posts, then the attended trainings of their
    holders over the longest cycle; the rule is applied in memory."""
    today = timezone.localdate()
    held, names = _current_posts(
        community, today, rules.YEARLY_TRAINING_POSTS | rules.CYCLE_TRAINING_POSTS
    )
    if not held:
        return Result.ok(_("无须参加培训的现任人员"))
    earliest = min(
        dt.date(today.year, 1, 1),
        rules.years_before(today, profile.training_cycle_years_members),
    )
    trainings = defaultdict(list)
    rows = TrainingRecord.objects.filter(
        community=community,
        worker_id__in=held,
        attended=True,
        date__gte=earliest,
        date__lte=today,
    ).values_list("worker_id", "date", "hours", "attended")
    for worker_id, day, hours, attended in rows:
        trainings[worker_id].append((day, hours, attended))
    due = []
    for worker_id, posts in held.items():
        if rules.training_due(posts, trainings[worker_id], today, profile):
            since = rules.training_since(posts, today, profile)
            count, hours = rules.training_totals(trainings[worker_id], since, today)
            due.append(
                _("%(name)s（%(since)s 起参训 %(n)s 次，%(h)s 学时）")
                % {"name": names[worker_id], "since": since, "n": count, "h": hours}
            )
    values = {
        "min": profile.training_hours_min,
        "years": profile.training_cycle_years_members,
    }
    if due:
        return Result.violation(
            _(
                "书记、主任每年至少培训 1 次，其他成员每 %(years)s 年至少 1 次，"
                "应训周期内合计不少于 %(min)s 学时；未达到："
            )
            % values
            + "；".join(sorted(due))
        )
    return Result.ok(_("现任人员均已按期参加培训，学时达到 %(min)s 学时") % values)


@register(
    "staff6-weekly-study",
    rule_id="STAFF-6",
    title=gettext_lazy("每周集中学习"),
    citation="003 七(四)",
)
def weekly_study(community, profile):
    today = timezone.localdate()
    n = StudySession.objects.filter(
        community=community, date__gt=today - rules.WEEKLY_STUDY_WINDOW, date__lte=today
    ).count()
    values = {"weeks": rules.WEEKLY_STUDY_WEEKS, "n": n}
    if rules.too_few_study_sessions(n):
        return Result.warning(_("近 %(weeks)s 周集中学习 %(n)s 次，少于每周 1 次") % values)
    return Result.ok(_("近 %(weeks)s 周集中学习 %(n)s 次") % values)


@register(
    "staff10-party-checkup",
    rule_id="STAFF-10",
    title=gettext_lazy("党性体检"),
    citation="000 第八条(六)",
    params=("party_checkups_per_year",),
)
def party_checkup(community, profile):
    """Current holders of party posts against their checkups in the previous calendar year
    (two queries)."""
    today = timezone.localdate()
    year = today.year - 1
    held, names = _current_posts(community, today, rules.PARTY_POSTS)
    counts = (
        dict(
            PartyCheckup.objects.filter(community=community, worker_id__in=held, date__year=year)
            .values("worker_id")
            .annotate(n=Count("id"))
            .values_list("worker_id", "n")
        )
        if held
        else {}
    )
    short = sorted(
        _("%(name)s（%(n)s 次）") % {"name": names[w], "n": counts.get(w, 0)}
        for w in held
        if rules.needs_party_checkups(counts.get(w, 0), profile)
    )
    values = {"year": year, "k": profile.party_checkups_per_year}
    if short:
        return Result.warning(_("%(year)s 年党性体检少于 %(k)s 次：") % values + "；".join(short))
    return Result.ok(_("现任党组织成员 %(year)s 年均完成 %(k)s 次党性体检") % values)


@register(
    "staff5-evaluation",
    rule_id="STAFF-5",
    title=gettext_lazy("专职社区工作者年终测评"),
    citation="002 四(二)",
)
def evaluation(community, profile):
    """Full-time workers in service the whole previous year without its evaluation (one
    query; the whole-year test is rules.worked_whole_year)."""
    year = timezone.localdate().year - 1
    rows = (
        Worker.objects.filter(community=community, is_full_time=True)
        .exclude(Exists(Evaluation.objects.filter(worker_id=OuterRef("pk"), year=year)))
        .order_by("name")
        .values_list("name", "hired_on", "left_on")
    )
    names = [
        name for name, hired_on, left_on in rows if rules.worked_whole_year(hired_on, left_on, year)
    ]
    if names:
        return Result.warning(
            _("%(year)s 年未进行年终测评的专职社区工作者：%(names)s")
            % {"year": year, "names": "、".join(names)}
        )
    return Result.ok(_("专职社区工作者均已完成 %(year)s 年年终测评") % {"year": year})


@register(
    "staff4-reselection",
    rule_id="STAFF-4",
    title=gettext_lazy("任期届满换届"),
    citation="002 四(二)",
)
def reselection(community, profile):
    """Terms ended more than RESELECTION_OVERDUE_DAYS ago with no re-selection decision
    (one query; the predicate is rules.reselection_overdue)."""
    today = timezone.localdate()
    cutoff = today - dt.timedelta(days=rules.RESELECTION_OVERDUE_DAYS)
    rows = (
        PostTerm.objects.filter(community=community, reappointed__isnull=True, ends_on__lt=cutoff)
        .order_by("ends_on", "worker__name")
        .values_list("worker__name", "post", "ends_on", "reappointed")
    )
    items = [
        _("%(name)s（%(post)s，%(end)s 届满）")
        % {"name": name, "post": Post(post).label, "end": ends_on}
        for name, post, ends_on, reappointed in rows
        if rules.reselection_overdue(ends_on, reappointed, today)
    ]
    values = {"days": rules.RESELECTION_OVERDUE_DAYS}
    if items:
        return Result.violation(
            _("任期届满超过 %(days)s 天未登记换届结果：") % values + "；".join(items)
        )
    return Result.ok(_("届满超过 %(days)s 天的任期均已登记换届结果") % values)


@register(
    "staff7-handover",
    rule_id="STAFF-7",
    title=gettext_lazy("离任移交"),
    citation="000 第十八条",
)
def handover(community, profile):
    """Refused or lost handovers of the current year (violation: bonus withheld), then
    pending handovers past their deadline (warning). One query."""
    today = timezone.localdate()
    rows = (
        Handover.objects.filter(community=community)
        .filter(
            Q(outcome=HandoverOutcome.PENDING, deadline__lt=today)
            | Q(
                outcome__in=[HandoverOutcome.REFUSED, HandoverOutcome.LOST],
                bonus_withheld_year=today.year,
            )
        )
        .order_by("deadline", "worker__name")
        .values_list("worker__name", "outcome", "deadline")
    )
    overdue, final = [], []
    for name, outcome, deadline in rows:
        values = {"name": name, "deadline": deadline, "outcome": HandoverOutcome(outcome).label}
        if outcome == HandoverOutcome.PENDING:
            overdue.append(_("%(name)s（期限 %(deadline)s）") % values)
        else:
            final.append(_("%(name)s（%(outcome)s）") % values)
    parts = []
    if final:
        parts.append(
            _("%(year)s 年拒不移交或档案、印章涂改、损毁、丢失，扣发当年绩效奖金：")
            % {"year": today.year}
            + "；".join(final)
        )
    if overdue:
        parts.append(_("逾期未完成离任移交：") + "；".join(overdue))
    if final:
        return Result.violation("。".join(parts))
    if overdue:
        return Result.warning(parts[0])
    return Result.ok(_("无逾期未完成或拒不移交的离任移交"))


def _roster_mismatch(community, kind, posts):
    """Names on the organisation's current seat roster (communities.Membership) against the
    workers currently holding its posts (PostTerm): (seats without a term, terms without a
    seat). Two queries."""
    from communities.models import Membership

    today = timezone.localdate()
    seats = set(
        Membership.objects.filter(
            community=community, organisation__kind=kind, ended_on__isnull=True
        )
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=today))
        .values_list("person_name", flat=True)
    )
    _held, names = _current_posts(community, today, posts)
    holders = set(names.values())
    return sorted(seats - holders), sorted(holders - seats)


def _roster_result(community, kind, posts, body):
    seats_only, terms_only = _roster_mismatch(community, kind, posts)
    if not seats_only and not terms_only:
        return Result.ok(_("%(body)s成员名册与社区工作者任职记录一致") % {"body": body})
    parts = []
    if seats_only:
        parts.append(_("名册有、无现任任职记录：%(names)s") % {"names": "、".join(seats_only)})
    if terms_only:
        parts.append(_("有现任任职、名册未登记：%(names)s") % {"names": "、".join(terms_only)})
    return Result.warning(
        _("%(body)s成员名册与任职记录不一致（") % {"body": body} + "；".join(parts) + "）"
    )


@register(
    "org3-roster-terms",
    rule_id="ORG-3",
    title=gettext_lazy("居委会名册与任职记录一致"),
    citation="001 第十条；002 四(二)",
)
def committee_roster(community, profile):
    """The residents' committee seat roster (communities) and the committee post terms
    (staffing) name the same people: one person, one record of posts."""
    from communities.models import OrgKind

    return _roster_result(
        community, OrgKind.COMMITTEE, rules.RESIDENTS_COMMITTEE_POSTS, _("居委会")
    )


@register(
    "org2-roster-terms",
    rule_id="ORG-2",
    title=gettext_lazy("党组织委员会名册与任职记录一致"),
    citation="001 第八条；002 四(二)",
)
def party_roster(community, profile):
    """As committee_roster, for the party organisation's committee."""
    from communities.models import OrgKind

    return _roster_result(community, OrgKind.PARTY, rules.PARTY_COMMITTEE_POSTS, _("党组织委员会"))


@register(
    "staff2-payroll",
    rule_id="STAFF-2",
    title=gettext_lazy("生活补贴发放"),
    citation="002 四(二)；003 十四(五)",
    params=("subsidy_secretary", "subsidy_deputy", "subsidy_member"),
)
def payroll(community, profile):
    """Lines above the profile's standard on sheets the street has not approved yet
    (violation: FIN-9, the street sets the standard), then last month's sheet not approved
    by the PAYROLL_APPROVAL_DAY of this month (warning). Two or three queries."""
    from staffing.models import PAYROLL_FROZEN, Payroll, PayrollLine, SubsidyGrade

    today = timezone.localdate()
    rows = (
        PayrollLine.objects.filter(payroll__community=community)
        .exclude(payroll__state__in=list(PAYROLL_FROZEN))
        .order_by("payroll__month", "worker__name")
        .values_list("worker__name", "grade", "standard", "payroll__month")
    )
    above = [
        _("%(month)s %(name)s %(amount)s 元（%(grade)s %(limit)s 元）")
        % {
            "month": f"{month:%Y-%m}",
            "name": name,
            "amount": standard,
            "grade": SubsidyGrade(grade).label,
            "limit": rules.grade_standard(grade, profile),
        }
        for name, grade, standard, month in rows
        if rules.exceeds_standard(standard, grade, profile)
    ]
    if above:
        return Result.violation(
            _("生活补贴高于街道规定标准（FIN-9 社区不得擅自提高标准）：") + "；".join(above)
        )
    previous = rules.previous_month(today)
    state = (
        Payroll.objects.filter(community=community, month=previous)
        .values_list("state", flat=True)
        .first()
    )
    values = {"month": f"{previous:%Y-%m}", "day": rules.PAYROLL_APPROVAL_DAY}
    if rules.payroll_approval_overdue(state in PAYROLL_FROZEN, today):
        if state is None and not Worker.objects.filter(community=community).exists():
            return Result.ok(_("本社区没有社区工作者，无须发放生活补贴"))
        return Result.warning(
            _("%(month)s 生活补贴发放表截至本月 %(day)s 日尚未经街道审批（%(state)s）")
            % {
                **values,
                "state": Payroll(state=state).get_state_display() if state else _("未生成"),
            }
        )
    return Result.ok(_("生活补贴未高于街道规定标准；%(month)s 发放表按期审批或未到期限") % values)
