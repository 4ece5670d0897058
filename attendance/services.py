"""Every write of attendance (CONVENTIONS: services): permission, validation, the rule, the
save and the audit event (pghistory triggers) in one transaction."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance import calendar, rules
from attendance.models import (
    LEAVE_LIVE,
    AttendanceRecord,
    CalendarException,
    Decision,
    Leave,
    LeaveApproval,
    LeaveState,
    LeaveStep,
    MonthlySheet,
    OfficeHours,
    SheetState,
)
from core.errors import RuleViolation
from core.scoping import can, scope_for
from core.services import instance_save, require
from staffing.models import Worker


def street_perm(user, perm: str, street_id: int | None) -> bool:
    """Whether `user` holds `perm` through a street role of that street (street data such as
    the calendar exceptions, and the street's steps of ATT-2 and ATT-3/4)."""
    scope = scope_for(user)
    if scope.everything:
        return True
    return perm in scope.perms_by_street.get(street_id, frozenset())


def require_street(user, perm: str, street_id: int | None) -> None:
    """404 for a street outside the user's scope, 403 without the street role's grant."""
    scope = scope_for(user)
    if scope.everything:
        return
    if street_id is None or street_id not in scope.street_ids:
        raise Http404
    if not street_perm(user, perm, street_id):
        raise PermissionDenied(_("您没有执行此操作的权限"))


# --- the working-day calendar ---------------------------------------------------------------


@transaction.atomic
def calendar_exception_save(*, user, instance: CalendarException) -> CalendarException:
    """A street's extra holiday or extra working day: street roles of that street only (a row
    moved to another street needs the grant there too)."""
    action = "change" if instance.pk else "add"
    if instance.pk:
        old = (
            CalendarException.objects.filter(pk=instance.pk)
            .values_list("street_id", flat=True)
            .first()
        )
        if old is not None and old != instance.street_id:
            require_street(user, "attendance.change_calendarexception", old)
    require_street(user, f"attendance.{action}_calendarexception", instance.street_id)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def calendar_exception_delete(*, user, instance: CalendarException) -> None:
    require_street(user, "attendance.delete_calendarexception", instance.street_id)
    instance.delete()


def calendar_exception_validate(*, user, instance) -> None:
    """Nothing beyond the model's own validation; the grant is checked on save."""


# --- ATT-1: the register ---------------------------------------------------------------------


def office_hours_of(community) -> OfficeHours:
    """The community's office hours, or the system default (unsaved) when none is set."""
    hours = OfficeHours.objects.filter(community_id=community.pk).first()
    return hours or OfficeHours(community_id=community.pk)


@transaction.atomic
def office_hours_save(*, user, instance: OfficeHours) -> OfficeHours:
    return instance_save(user=user, instance=instance)


def _own_worker(user) -> Worker:
    """The worker linked to the user's account, locked for the rest of the transaction, so
    two taps of one worker are serialised. A user without a worker (or one who has left, or
    of an abolished community) cannot sign in: nobody signs in for somebody else, so no path
    takes a worker id."""
    today = timezone.localdate()
    worker = (
        Worker.objects.select_for_update(of=("self",))
        .select_related("community")
        .filter(user_id=getattr(user, "pk", None))
        .first()
    )
    if worker is None or not getattr(user, "is_active", False):
        raise RuleViolation("ATT-1", _("您的账号没有关联社区工作者，不能签到"))
    if not rules.in_service_on(worker.hired_on, worker.left_on, today):
        raise RuleViolation("ATT-1", _("您不在职，不能签到"))
    if not worker.community.is_active:
        raise RuleViolation("ATT-1", _("所在社区已撤销，不能签到"))
    return worker


def _new_record(worker, day) -> AttendanceRecord:
    hours = office_hours_of(worker.community)
    return AttendanceRecord(
        community_id=worker.community_id,
        worker=worker,
        date=day,
        expected_start=hours.start,
        midday=hours.midday,
        expected_end=hours.end,
    )


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


@transaction.atomic
def sign_in(*, user) -> AttendanceRecord:
    """ATT-1 (003 十三(一)): the worker linked to `user` signs in for today, at the server's
    time. A second sign-in the same day is refused and changes nothing."""
    worker = _own_worker(user)
    now = timezone.now()
    day = timezone.localdate(now)
    record = AttendanceRecord.objects.filter(worker=worker, date=day).first()
    if record is not None and record.sign_in_at is not None:
        raise RuleViolation(
            "ATT-1",
            _("您今天已于 %(time)s 签到，不能重复签到") % {"time": _local(record.sign_in_at)},
        )
    if record is None:
        record = _new_record(worker, day)
    record.sign_in_at = now
    record.full_clean(exclude=["worker", "community"], validate_unique=False)
    record.save()
    return record


@transaction.atomic
def sign_out(*, user) -> AttendanceRecord:
    """ATT-1: the worker linked to `user` signs out for today, after signing in; once."""
    worker = _own_worker(user)
    now = timezone.now()
    record = AttendanceRecord.objects.filter(worker=worker, date=timezone.localdate(now)).first()
    if record is None or record.sign_in_at is None:
        raise RuleViolation("ATT-1", _("您今天还没有签到，不能签退"))
    if record.sign_out_at is not None:
        raise RuleViolation(
            "ATT-1",
            _("您今天已于 %(time)s 签退，不能重复签退") % {"time": _local(record.sign_out_at)},
        )
    record.sign_out_at = now
    record.full_clean(exclude=["worker", "community"], validate_unique=False)
    record.save()
    return record


def refuse_if_sheet_submitted(community_id: int, day: dt.date) -> None:
    """ATT-5: once the month's sheet is submitted to the street its days stay as filed."""
    submitted = MonthlySheet.objects.filter(
        community_id=community_id, month=rules.month_first(day), state=SheetState.SUBMITTED
    ).exists()
    if submitted:
        raise RuleViolation(
            "ATT-5", _("%(month)s 的月考勤表已报街道，不能再更正") % {"month": f"{day:%Y-%m}"}
        )


def _aware(day: dt.date, value) -> dt.datetime | None:
    """A time of day on `day` (or a datetime) as an aware datetime in the local zone."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return timezone.make_aware(dt.datetime.combine(day, value))


@transaction.atomic
def record_correct(
    *,
    user,
    worker: Worker,
    day: dt.date,
    sign_in_at,
    sign_out_at,
    reason: str,
) -> AttendanceRecord:
    """ATT-1 (003 十三(一)(五) 考勤人员…秉公办事): the designated clerk sets one worker's
    sign-in and sign-out of one past or current day, with a mandatory reason; the previous
    version stays in the audit history (pghistory). `sign_in_at`/`sign_out_at` are times of
    that day or None. Another community's worker is 404; without the clerk's grant 403; the
    clerk's own entries are corrected by nobody but another clerk; a day whose monthly sheet
    was submitted to the street is no longer corrected (ATT-5)."""
    current = Worker.objects.select_related("community").filter(pk=worker.pk).first()
    if current is None:
        raise Http404
    probe = AttendanceRecord(community_id=current.community_id, worker=current, date=day)
    require(user, "attendance.change_attendancerecord", probe)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("ATT-1", _("更正考勤须写明原因"), field="correction_reason")
    if current.user_id is not None and current.user_id == user.pk:
        raise RuleViolation("ATT-1", _("不能更正本人的考勤记录"))
    if day > timezone.localdate():
        raise RuleViolation("ATT-1", _("不能更正尚未到来日期的考勤"), field="date")
    if not rules.in_service_on(current.hired_on, current.left_on, day):
        raise RuleViolation("ATT-1", _("该工作人员当天不在职"), field="date")
    refuse_if_sheet_submitted(current.community_id, day)
    Worker.objects.select_for_update(of=("self",)).filter(pk=current.pk).first()
    record = AttendanceRecord.objects.filter(worker=current, date=day).first()
    if record is None:
        record = _new_record(current, day)
    record.sign_in_at = _aware(day, sign_in_at)
    record.sign_out_at = _aware(day, sign_out_at)
    for moment, field in ((record.sign_in_at, "sign_in_at"), (record.sign_out_at, "sign_out_at")):
        if moment is not None and timezone.localdate(moment) != day:
            raise RuleViolation("ATT-1", _("时间须在当天之内"), field=field)
    record.corrected_at = timezone.now()
    record.corrected_by = user
    record.correction_reason = reason[:200]
    record.full_clean(exclude=["worker", "community"], validate_unique=False)
    record.save()
    return record


# --- ATT-2: leave ----------------------------------------------------------------------------


def check_attachment(upload, *, field: str = "attachment", rule_id: str = "ATT-2") -> None:
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(16)
    upload.seek(position)
    problem = rules.attachment_problem(upload.name or "", upload.size or 0, head)
    if problem:
        raise RuleViolation(rule_id, problem, field=field)


def _overlapping(worker, start, start_half, end, end_half, exclude_pk=None) -> Leave | None:
    slots = rules.half_slots(start, start_half, end, end_half)
    candidates = Leave.objects.filter(
        worker=worker, state__in=LEAVE_LIVE, start_date__lte=end, end_date__gte=start
    ).exclude(pk=exclude_pk)
    for other in candidates:
        other_slots = rules.half_slots(
            other.start_date, other.start_half, other.end_date, other.end_half
        )
        if rules.leave_overlaps(slots, other_slots):
            return other
    return None


@transaction.atomic
def leave_request(
    *,
    user,
    leave_type: str,
    start_date: dt.date,
    end_date: dt.date,
    reason: str,
    start_half: bool = False,
    end_half: bool = False,
    attachment=None,
) -> Leave:
    """ATT-2 (003 十三(二)(三)): the worker linked to `user` asks for leave, for themselves only.

    Days are working days of the street's calendar (half days included); the route, the
    written-request duty and the deduction come from the profile now and are fixed on the
    request. Refused: impossible dates, no working day in the range, days outside the
    worker's service, a range sharing a half day with the worker's pending or granted leave,
    a missing or unacceptable written request where one is required. The worker's row is
    locked first, so two requests at once cannot both pass the overlap test."""
    worker = _own_worker(user)
    profile = worker.community.profile
    problem = rules.leave_dates_problem(start_date, start_half, end_date, end_half)
    if problem:
        raise RuleViolation("ATT-2", problem, field="end_date")
    if not (reason or "").strip():
        raise RuleViolation("ATT-2", _("请填写请假事由"), field="reason")
    if not (
        rules.in_service_on(worker.hired_on, worker.left_on, start_date)
        and rules.in_service_on(worker.hired_on, worker.left_on, end_date)
    ):
        raise RuleViolation("ATT-2", _("请假日期超出了您的在职期间"), field="start_date")
    days = calendar.working_days(
        worker.community.street_id, start_date, end_date, start_half=start_half, end_half=end_half
    )
    if days <= 0:
        raise RuleViolation("ATT-2", _("所选日期没有工作日，无需请假"), field="end_date")
    other = _overlapping(worker, start_date, start_half, end_date, end_half)
    if other is not None:
        raise RuleViolation(
            "ATT-2",
            _("与已有请假（%(start)s 至 %(end)s，%(state)s）时间重叠")
            % {
                "start": other.start_date,
                "end": other.end_date,
                "state": other.get_state_display(),
            },
            field="start_date",
        )
    if rules.needs_written_request(days, profile) and not attachment:
        raise RuleViolation(
            "ATT-2",
            _("请假 %(days)s 天，超过 %(limit)s 天须上传书面请假条（003 十三(三)）")
            % {
                "days": rules.fmt_days(days),
                "limit": rules.fmt_days(profile.leave_street_over_days),
            },
            field="attachment",
        )
    if attachment:
        check_attachment(attachment)
    is_director = can(user, "attendance.director_approve_leave", worker.community)
    steps = list(rules.leave_route(days, profile, requester_is_director=is_director))
    leave = Leave(
        community_id=worker.community_id,
        worker=worker,
        leave_type=leave_type,
        start_date=start_date,
        start_half=start_half,
        end_date=end_date,
        end_half=end_half,
        days=days,
        reason=reason.strip(),
        steps=steps,
        current_step=steps[0],
        deducts=rules.leave_deducts(days, profile),
        requested_by=user,
    )
    if attachment:
        leave.attachment = attachment
    leave.full_clean(exclude=["worker", "community", "requested_by"])
    leave.save()
    return leave


STEP_PERMS = {
    LeaveStep.DIRECTOR: "attendance.director_approve_leave",
    LeaveStep.CHIEF: "attendance.chief_approve_leave",
    LeaveStep.DEPUTY: "attendance.deputy_review_leave",
}
STREET_STEPS = (LeaveStep.CHIEF, LeaveStep.DEPUTY)


def may_decide(user, leave: Leave) -> bool:
    """Whether `user` holds the grant of the leave's current step: the director's in the
    community, the street's through a street role of the community's street."""
    step = leave.current_step
    if leave.state != LeaveState.PENDING or not step:
        return False
    perm = STEP_PERMS[step]
    if step in STREET_STEPS:
        return street_perm(user, perm, leave.community.street_id)
    return can(user, perm, leave)


def _locked_leave(user, leave, *, own: bool = False) -> Leave:
    """The leave re-read under a row lock after the scope check (another community's leave
    is missing: 404). `own`: the requester reaches their own leave without a role."""
    current = Leave.objects.select_related("worker").filter(pk=leave.pk).first()
    if current is None:
        raise Http404
    if not (own and user.pk in (current.requested_by_id, current.worker.user_id)):
        require(user, "attendance.view_leave", current)
    return (
        Leave.objects.select_for_update(of=("self",))
        .select_related("community__street", "worker")
        .get(pk=leave.pk)
    )


@transaction.atomic
def leave_decide(*, user, leave: Leave, decision: str, comment: str = "") -> Leave:
    """ATT-2: the holder of the current step's grant approves or refuses (refusal needs a
    comment). Under a row lock: two approvers at the same moment make one transition, the
    second finds the step done and is refused. Nobody decides on their own leave, and one
    person does not take two steps of the same leave."""
    leave = _locked_leave(user, leave)
    if leave.state != LeaveState.PENDING:
        raise RuleViolation(
            "ATT-2", _("该请假已办结（%(state)s）") % {"state": leave.get_state_display()}
        )
    if not may_decide(user, leave):
        raise PermissionDenied(
            _("您不是“%(step)s”环节的审批人") % {"step": LeaveStep(leave.current_step).label}
        )
    if user.pk in (leave.requested_by_id, leave.worker.user_id):
        raise RuleViolation("ATT-2", _("不能审批本人的请假"))
    if leave.approvals.filter(decided_by=user).exists():
        raise RuleViolation("ATT-2", _("同一人不能审批同一请假的两个环节"))
    comment = (comment or "").strip()
    if decision == Decision.REJECT and not comment:
        raise RuleViolation("ATT-2", _("不同意时请填写理由"), field="comment")
    if decision not in Decision.values:
        raise RuleViolation("ATT-2", _("无效的审批意见"), field="decision")
    LeaveApproval.objects.create(
        leave=leave,
        step=leave.current_step,
        decision=decision,
        comment=comment[:200],
        decided_by=user,
    )
    if decision == Decision.REJECT:
        leave.state, leave.current_step = LeaveState.REJECTED, ""
    else:
        index = leave.steps.index(leave.current_step)
        if index + 1 < len(leave.steps):
            leave.current_step = leave.steps[index + 1]
        else:
            filed = LeaveStep.DEPUTY in leave.steps
            leave.state = LeaveState.FILED if filed else LeaveState.APPROVED
            leave.current_step = ""
    if leave.state != LeaveState.PENDING:
        leave.decided_at = timezone.now()
    leave.save()
    return leave


@transaction.atomic
def leave_withdraw(*, user, leave: Leave) -> Leave:
    """ATT-2: the requester withdraws a leave still being approved."""
    leave = _locked_leave(user, leave, own=True)
    if leave.requested_by_id != user.pk:
        raise PermissionDenied(_("只有申请人可以撤回"))
    if leave.state != LeaveState.PENDING:
        raise RuleViolation(
            "ATT-2", _("该请假已办结（%(state)s），不能撤回") % {"state": leave.get_state_display()}
        )
    leave.state, leave.current_step, leave.decided_at = LeaveState.WITHDRAWN, "", timezone.now()
    leave.save()
    return leave
