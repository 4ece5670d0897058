"""ATT-3 / ATT-4 (003 十三(四)): lateness and absence, their monthly counts and consequences.

- The deduction of ATT-3 is computed, not stored (selectors.late_deduction_days, fed to the
  payroll sheet): it follows the register, leave and criticisms as they are corrected.
- What needs a person becomes an AttendanceCase, made by the daily sweep (cases_sweep), one
  per worker, kind and counting window (INSERT ... ON CONFLICT DO NOTHING: a retried or
  doubled task makes no second row):
    * late_resignation (ATT-3): late or early on more than late_resign_days days in the
      window (a year by default) → the street confirms or dismisses, with a reason;
    * absence_resignation (ATT-4): absence_resign_days days of unexcused absence in the
      window (a month by default) → the same;
    * self_criticism (ATT-4): a whole day of unexcused absence → the worker writes or uploads
      a written self-criticism.
  Nothing here ends anybody's service: "treated as resignation" is the street's decision
  (RULES ATT-4), and confirming it records that decision only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from attendance import rules
from attendance.models import (
    CASE_RULE,
    RESIGNATION_KINDS,
    AttendanceCase,
    CaseKind,
    CaseState,
    Criticism,
)
from attendance.selectors import grids
from attendance.services import check_attachment, street_perm
from communities.models import Community
from core.errors import RuleViolation
from core.scoping import scoped
from core.services import require
from staffing.models import Worker

# --- the counts ----------------------------------------------------------------------------


def due_cases(today: dt.date, community_ids=None) -> list[AttendanceCase]:
    """The cases due on `today` (judged on the days up to yesterday) for the active
    communities, unsaved. One grid over the year so far (four queries) serves every window."""
    last = today - dt.timedelta(days=1)
    communities = Community.objects.filter(is_active=True).select_related("profile")
    if community_ids is not None:
        communities = communities.filter(pk__in=list(community_ids))
    communities = list(communities)
    if not communities:
        return []
    first = dt.date(last.year, 1, 1)
    cases = []
    all_grids = grids(communities, first, last, today=today)
    for community in communities:
        profile = community.profile
        late_first, _e, late_period = rules.window_bounds(profile.late_resign_window, last)
        abs_first, _e, abs_period = rules.window_bounds(profile.absence_window, last)
        for row in all_grids[community.pk].rows:
            late = rules.window_counts((d, m) for d, m in row.marks.items() if d >= late_first)
            absent = rules.window_counts(
                (d, m) for d, m in row.marks.items() if d >= abs_first
            ).absent_days
            values = {
                "name": row.worker.name,
                "late_days": late.late_days,
                "late_limit": rules.fmt_days(profile.late_resign_days),
                "absent": rules.fmt_days(absent),
                "absent_limit": rules.fmt_days(profile.absence_resign_days),
                "late_period": late_period,
                "abs_period": abs_period,
            }
            if rules.late_resignation_due(late.late_days, profile):
                cases.append(
                    _case(
                        row.worker,
                        CaseKind.LATE_RESIGNATION,
                        late_period,
                        _(
                            "%(name)s 在 %(late_period)s 内迟到或早退 %(late_days)s 天，超过 "
                            "%(late_limit)s 天（003 十三(四) 累计迟到(早退)超过五天的，按自动辞职"
                            "处理），请街道确认或不予认定。"
                        )
                        % values,
                    )
                )
            if rules.absence_resignation_due(absent, profile):
                cases.append(
                    _case(
                        row.worker,
                        CaseKind.ABSENCE_RESIGNATION,
                        abs_period,
                        _(
                            "%(name)s 在 %(abs_period)s 内无故旷工 %(absent)s 天，达到 "
                            "%(absent_limit)s 天（003 十三(四) 无故旷工2天的，按自动辞职处理），"
                            "请街道确认或不予认定。"
                        )
                        % values,
                    )
                )
            if rules.self_criticism_due(absent):
                cases.append(
                    _case(
                        row.worker,
                        CaseKind.SELF_CRITICISM,
                        abs_period,
                        _(
                            "%(name)s 在 %(abs_period)s 内无故旷工 %(absent)s 天（003 十三(四) "
                            "无故旷工1天，当事人要写出书面检查）。"
                        )
                        % values,
                    )
                )
    return cases


def _case(worker: Worker, kind: str, period: str, facts: str) -> AttendanceCase:
    return AttendanceCase(
        community_id=worker.community_id,
        worker=worker,
        kind=kind,
        rule_id=CASE_RULE[kind],
        period=period,
        facts=facts,
    )


@transaction.atomic
def cases_sweep(*, today: dt.date | None = None, community_ids=None) -> dict[str, int]:
    """Create the due ATT-3/ATT-4 cases that do not exist yet (one per worker, kind and
    window); existing cases, open or decided, are left exactly as they are. Idempotent."""
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the site's language
        due = due_cases(today, community_ids)
    rows = sorted(due, key=lambda c: (c.worker_id, c.kind, c.period))
    before = AttendanceCase.objects.count()
    AttendanceCase.objects.bulk_create(rows, ignore_conflicts=True)
    counts = defaultdict(int)
    for case in due:
        counts[case.kind] += 1
    return {"due": len(due), "created": AttendanceCase.objects.count() - before, **counts}


# --- criticisms, decisions, self-criticisms --------------------------------------------------------


@transaction.atomic
def criticism_record(*, user, worker: Worker, date: dt.date, note: str) -> Criticism:
    """ATT-3 (经批评教育): record a criticism of the worker's lateness (the director or the
    party secretary of the worker's community), not in the future and not of oneself."""
    current = Worker.objects.filter(pk=worker.pk).first()
    if current is None:
        raise Http404
    criticism = Criticism(
        community_id=current.community_id,
        worker=current,
        date=date,
        note=(note or "").strip(),
        recorded_by=user,
    )
    require(user, "attendance.add_criticism", criticism)
    if current.user_id is not None and current.user_id == user.pk:
        raise RuleViolation("ATT-3", _("不能给本人记录批评教育"))
    if date is None or date > timezone.localdate():
        raise RuleViolation("ATT-3", _("批评日期不能晚于今天"), field="date")
    if not criticism.note:
        raise RuleViolation("ATT-3", _("请填写批评教育内容"), field="note")
    criticism.full_clean(exclude=["worker", "community", "recorded_by"])
    criticism.save()
    return criticism


def _locked_case(user, case, *, own: bool = False) -> AttendanceCase:
    current = AttendanceCase.objects.select_related("worker").filter(pk=case.pk).first()
    if current is None:
        raise Http404
    if not (own and current.worker.user_id == user.pk):
        require(user, "attendance.view_attendancecase", current)
    return (
        AttendanceCase.objects.select_for_update(of=("self",))
        .select_related("worker", "community__street")
        .get(pk=case.pk)
    )


@transaction.atomic
def case_decide(*, user, case: AttendanceCase, confirm: bool, reason: str) -> AttendanceCase:
    """ATT-3/ATT-4: the street (its social-affairs chief or deputy director in charge, through
    a street role of the community's street) confirms a "treated as resignation" case or
    dismisses it, always with a reason; once. It changes no worker: the departure, if any,
    is recorded in staffing."""
    case = _locked_case(user, case)
    if case.kind not in RESIGNATION_KINDS:
        raise RuleViolation(case.rule_id, _("书面检查由本人提交，不需街道认定"))
    if not street_perm(user, "attendance.decide_attendancecase", case.community.street_id):
        raise PermissionDenied(_("“按自动辞职处理”须由街道确认"))
    if case.state != CaseState.OPEN:
        raise RuleViolation(
            case.rule_id, _("该事项已处理（%(state)s）") % {"state": case.get_state_display()}
        )
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(case.rule_id, _("请写明确认或不予认定的理由"), field="decision_reason")
    case.state = CaseState.CONFIRMED if confirm else CaseState.DISMISSED
    case.decided_by, case.decided_at, case.decision_reason = user, timezone.now(), reason
    case.save()
    return case


@transaction.atomic
def self_criticism_submit(
    *, user, case: AttendanceCase, statement: str, upload=None
) -> AttendanceCase:
    """ATT-4 (当事人要写出书面检查): the worker, and only the worker, writes the self-criticism
    or uploads a signed copy (PDF/JPG/PNG, ≤ 5 MB); once."""
    case = _locked_case(user, case, own=True)
    if case.kind != CaseKind.SELF_CRITICISM:
        raise RuleViolation(case.rule_id, _("该事项不需要提交书面检查"))
    if case.worker.user_id != user.pk:
        raise PermissionDenied(_("书面检查须由本人提交"))
    if case.state != CaseState.OPEN:
        raise RuleViolation("ATT-4", _("书面检查已提交"))
    statement = (statement or "").strip()
    if not statement and not upload:
        raise RuleViolation("ATT-4", _("请填写书面检查或上传签字的检查"), field="statement")
    if upload:
        check_attachment(upload, field="statement_file", rule_id="ATT-4")
        case.statement_file = upload
    case.statement, case.state, case.submitted_at = statement, CaseState.SUBMITTED, timezone.now()
    case.save()
    return case


# --- reads -----------------------------------------------------------------------------------------


def case_list(*, user):
    return scoped(
        AttendanceCase.objects.select_related("worker", "community__street", "decided_by"), user
    )


def case_get(*, user, pk) -> AttendanceCase:
    """A case in the user's scope, or the worker's own case; else 404."""
    case = AttendanceCase.objects.select_related("worker", "community__street").filter(pk=pk)
    own = case.filter(worker__user_id=getattr(user, "pk", None)).first()
    return own or get_object_or_404(case_list(user=user), pk=pk)


def street_case_inbox(*, user):
    """ATT-3/ATT-4: the open "treated as resignation" cases of the streets where the user
    decides them."""
    from core.scoping import scope_for

    scope = scope_for(user)
    rows = case_list(user=user).filter(state=CaseState.OPEN, kind__in=RESIGNATION_KINDS)
    if scope.everything:
        return rows
    streets = [
        s
        for s, perms in scope.perms_by_street.items()
        if "attendance.decide_attendancecase" in perms
    ]
    return rows.filter(community__street_id__in=streets)


def my_cases(*, worker):
    return AttendanceCase.objects.filter(worker=worker).order_by("state", "-created_at")
