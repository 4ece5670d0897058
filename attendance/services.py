"""Every write of attendance (CONVENTIONS: services): permission, validation, the rule, the
save and the audit event (pghistory triggers) in one transaction."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance import rules
from attendance.models import AttendanceRecord, CalendarException, OfficeHours
from core.errors import RuleViolation
from core.scoping import scope_for
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
    clerk's own entries are corrected by nobody but another clerk."""
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
