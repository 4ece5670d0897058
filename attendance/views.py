"""Attendance pages of the worker portal (/portal/attendance/): thin views over the
selectors, writes through the services. Another community's rows are 404 (selectors read
through core.scoping.scoped); a role without the grant in its own community gets 403.

Signing in and asking for leave are the user's own: no URL or form field names a worker."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from attendance import cases as case_svc
from attendance import rules, selectors, services, sheets
from attendance.exports import sheet_xlsx, yearly_xlsx
from attendance.forms import (
    ButtonForm,
    CaseDecisionForm,
    CorrectionForm,
    CriticismForm,
    DecideForm,
    LeaveForm,
    SelfCriticismForm,
    SubmitSheetForm,
)
from attendance.models import CaseKind, CaseState, Leave, LeaveState, MonthlySheet, SheetState
from communities.selectors import community_get
from core.scoping import can, scoped
from staffing.models import Worker

INBOX_LIMIT = 100


def _require(user, perm, obj):
    if not can(user, perm, obj):
        raise PermissionDenied


def _errors(request, exc: ValidationError):
    for message in exc.messages:
        messages.error(request, message)


# --- my attendance: sign in, sign out, my leave ------------------------------------------------


@login_required
def me(request):
    """The worker's day: one tap to sign in or out, this month's marks, leave and cases."""
    worker = selectors.worker_for_user(request.user)
    context = {"worker": worker, "button": ButtonForm()}
    if worker is not None:
        today = timezone.localdate()
        first = rules.month_first(today)
        grid = selectors.grid_for(worker.community, first, today, worker_ids=[worker.pk])
        row = grid.rows[0] if grid.rows else None
        context.update(
            {
                "today": today,
                "record": row.records.get(today) if row else None,
                "days": [(d, row.marks[d]) for d in reversed(grid.dates)] if row else [],
                "totals": row.totals() if row else None,
                "fallback_years": grid.fallback_years,
                "leaves": list(selectors.my_leaves(worker=worker)[:10]),
                "cases": list(case_svc.my_cases(worker=worker).filter(state=CaseState.OPEN)),
            }
        )
    context["can_approve"] = selectors.leave_inbox(user=request.user).exists() or (
        case_svc.street_case_inbox(user=request.user).exists()
    )
    return render(request, "portal/attendance/me.html", context)


@login_required
@require_POST
def sign(request, action):
    """ATT-1: one tap. Only the user's own worker; the time is the server's."""
    if action not in ("in", "out"):
        raise Http404
    form = ButtonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("表单已失效，请刷新页面后重新提交"))
    elif not form.claim_token(request.user, request.path):
        messages.info(request, _("该表单已经提交过，未重复保存。"))
    else:
        try:
            record = (services.sign_in if action == "in" else services.sign_out)(user=request.user)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            moment = record.sign_in_at if action == "in" else record.sign_out_at
            text = _("签到成功：%(time)s") if action == "in" else _("签退成功：%(time)s")
            messages.success(request, text % {"time": f"{timezone.localtime(moment):%H:%M}"})
    return redirect("attendance:me")


@login_required
@require_http_methods(["GET", "POST"])
def leave_new(request):
    """ATT-2: ask for leave, for oneself (a worker linked to the account)."""
    worker = selectors.worker_for_user(request.user)
    if worker is None:
        raise PermissionDenied(_("您的账号没有关联社区工作者"))
    if request.method == "POST":
        form = LeaveForm(request.POST, request.FILES)
        if form.is_valid():
            if not form.claim_token(request.user, request.path):
                messages.info(request, _("该表单已经提交过，未重复保存。"))
                return redirect("attendance:me")
            data = form.cleaned_data
            try:
                leave = services.leave_request(
                    user=request.user,
                    leave_type=data["leave_type"],
                    start_date=data["start_date"],
                    start_half=data["start_half"],
                    end_date=data["end_date"],
                    end_half=data["end_half"],
                    reason=data["reason"],
                    attachment=data.get("attachment"),
                )
            except ValidationError as exc:
                form.release_token(request.user, request.path)
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("已提交请假申请（%(days)s 个工作日），待%(step)s。")
                    % {
                        "days": rules.fmt_days(leave.days),
                        "step": leave.get_current_step_display(),
                    },
                )
                return redirect("attendance:leave", pk=leave.pk)
    else:
        form = LeaveForm()
    return render(request, "portal/attendance/leave_form.html", {"form": form, "worker": worker})


def _leave_for(request, pk):
    """A leave in the user's scope, or the user's own (a worker without a role)."""
    own = (
        Leave.objects.select_related("worker", "community__street", "requested_by")
        .filter(pk=pk, worker__user_id=request.user.pk)
        .first()
    )
    return own or selectors.leave_get(user=request.user, pk=pk)


@login_required
def leave(request, pk):
    obj = _leave_for(request, pk)
    may_decide = services.may_decide(request.user, obj) and request.user.pk not in (
        obj.requested_by_id,
        obj.worker.user_id,
    )
    context = {
        "leave": obj,
        "approvals": list(obj.approvals.select_related("decided_by")),
        "decide_form": DecideForm() if may_decide else None,
        "withdraw_form": ButtonForm()
        if obj.state == LeaveState.PENDING and obj.requested_by_id == request.user.pk
        else None,
    }
    return render(request, "portal/attendance/leave_detail.html", context)


@login_required
@require_POST
def leave_decide(request, pk):
    obj = _leave_for(request, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审批意见"))
    elif not form.claim_token(request.user, request.path):
        messages.info(request, _("该表单已经提交过，未重复保存。"))
    else:
        try:
            services.leave_decide(
                user=request.user,
                leave=obj,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            form.release_token(request.user, request.path)
            _errors(request, exc)
        else:
            messages.success(request, _("已办理。"))
    return redirect("attendance:leave", pk=obj.pk)


@login_required
@require_POST
def leave_withdraw(request, pk):
    obj = _leave_for(request, pk)
    form = ButtonForm(request.POST)
    if form.is_valid() and form.claim_token(request.user, request.path):
        try:
            services.leave_withdraw(user=request.user, leave=obj)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("已撤回。"))
    return redirect("attendance:leave", pk=obj.pk)


@login_required
def leave_attachment(request, pk):
    """The written request, for those who may see the leave (not a public media URL)."""
    obj = _leave_for(request, pk)
    if not obj.attachment:
        raise Http404
    return FileResponse(obj.attachment.open("rb"), filename=obj.attachment.name.rsplit("/", 1)[-1])


@login_required
def inbox(request):
    """ATT-2 leave waiting for the user's step; ATT-3/4 cases waiting for the street."""
    leaves = list(selectors.leave_inbox(user=request.user)[:INBOX_LIMIT])
    case_rows = list(case_svc.street_case_inbox(user=request.user)[:INBOX_LIMIT])
    return render(
        request, "portal/attendance/inbox.html", {"leaves": leaves, "case_rows": case_rows}
    )


# --- the register (clerk, director) ---------------------------------------------------------------


def _day(value, default):
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        raise Http404 from None


@login_required
def register(request, community_id):
    """ATT-1: the day's register of one community, for those who may view it."""
    community = community_get(user=request.user, pk=community_id)
    _require(request.user, "attendance.view_attendancerecord", community)
    today = timezone.localdate()
    day = _day(request.GET.get("date"), today)
    grid = selectors.register_day(community=community, day=day)
    context = {
        "community": community,
        "day": day,
        "info": grid.days[day],
        "fallback_years": grid.fallback_years,
        "rows": [(row.worker, row.records.get(day), row.marks[day]) for row in grid.rows],
        "prev": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1) if day < today else None,
        "can_correct": can(request.user, "attendance.change_attendancerecord", community),
        "month": rules.month_first(day),
    }
    return render(request, "portal/attendance/register.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def correct(request, community_id, worker_id, day):
    """ATT-1: the clerk corrects one worker's day with a reason (audited)."""
    community = community_get(user=request.user, pk=community_id)
    _require(request.user, "attendance.change_attendancerecord", community)
    worker = get_object_or_404(Worker, pk=worker_id, community=community)
    day = _day(day, None)
    record = worker.attendance_records.filter(date=day).first()
    back = reverse("attendance:register", args=[community.pk]) + f"?date={day.isoformat()}"
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        if form.is_valid():
            if not form.claim_token(request.user, request.path):
                messages.info(request, _("该表单已经提交过，未重复保存。"))
                return redirect(back)
            data = form.cleaned_data
            try:
                services.record_correct(
                    user=request.user,
                    worker=worker,
                    day=day,
                    sign_in_at=data["sign_in_at"],
                    sign_out_at=data["sign_out_at"],
                    reason=data["correction_reason"],
                )
            except ValidationError as exc:
                form.release_token(request.user, request.path)
                form.add_service_errors(exc)
            else:
                messages.success(request, _("已更正。"))
                return redirect(back)
    else:
        initial = {}
        if record is not None:
            for name in ("sign_in_at", "sign_out_at"):
                value = getattr(record, name)
                initial[name] = timezone.localtime(value).time() if value else None
        form = CorrectionForm(initial=initial)
    context = {
        "form": form,
        "title": _("更正考勤：%(name)s %(day)s") % {"name": worker.name, "day": day},
        "back_url": back,
        "multipart": False,
    }
    return render(request, "portal/attendance/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def criticism_new(request, worker_id):
    """ATT-3: record a criticism of a worker's lateness."""
    worker = get_object_or_404(
        scoped(Worker.objects.select_related("community"), request.user), pk=worker_id
    )
    _require(request.user, "attendance.add_criticism", worker)
    back = reverse("attendance:me")
    if request.method == "POST":
        form = CriticismForm(request.POST)
        if form.is_valid():
            if not form.claim_token(request.user, request.path):
                return redirect(back)
            try:
                case_svc.criticism_record(
                    user=request.user,
                    worker=worker,
                    date=form.cleaned_data["date"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.release_token(request.user, request.path)
                form.add_service_errors(exc)
            else:
                messages.success(request, _("已记录批评教育。"))
                return redirect(
                    reverse("attendance:register", args=[worker.community_id])
                    + f"?date={form.cleaned_data['date'].isoformat()}"
                )
    else:
        form = CriticismForm(initial={"date": timezone.localdate()})
    context = {
        "form": form,
        "title": _("记录批评教育：%(name)s") % {"name": worker.name},
        "back_url": reverse("attendance:register", args=[worker.community_id]),
        "multipart": False,
    }
    return render(request, "portal/attendance/form.html", context)


# --- ATT-3/4 cases -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case(request, pk):
    """A case: the worker writes the self-criticism; the street confirms or dismisses."""
    obj = case_svc.case_get(user=request.user, pk=pk)
    own = obj.worker.user_id == request.user.pk
    may_decide = (
        obj.kind != CaseKind.SELF_CRITICISM
        and obj.state == CaseState.OPEN
        and services.street_perm(
            request.user, "attendance.decide_attendancecase", obj.community.street_id
        )
    )
    may_write = own and obj.kind == CaseKind.SELF_CRITICISM and obj.state == CaseState.OPEN
    form = None
    if may_decide:
        form = CaseDecisionForm(request.POST or None)
    elif may_write:
        form = SelfCriticismForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid() and form.claim_token(request.user, request.path):
            data = form.cleaned_data
            try:
                if may_decide:
                    case_svc.case_decide(
                        user=request.user,
                        case=obj,
                        confirm=data["confirm"] == "1",
                        reason=data["decision_reason"],
                    )
                else:
                    case_svc.self_criticism_submit(
                        user=request.user,
                        case=obj,
                        statement=data["statement"],
                        upload=data.get("statement_file"),
                    )
            except ValidationError as exc:
                form.release_token(request.user, request.path)
                form.add_service_errors(exc)
            else:
                messages.success(request, _("已提交。"))
                return redirect("attendance:case", pk=obj.pk)
    return render(request, "portal/attendance/case.html", {"case": obj, "form": form})


# --- ATT-5 monthly sheet and ATT-6 statistics --------------------------------------------------------


def _month(year, month):
    try:
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise Http404 from None


@login_required
def sheet(request, community_id, year, month):
    """ATT-5: the month's 考勤表: the stored sheet when generated (what is signed), else the
    live grid; buttons by permission."""
    community = community_get(user=request.user, pk=community_id)
    _require(request.user, "attendance.view_monthlysheet", community)
    first = _month(year, month)
    obj = (
        MonthlySheet.objects.select_related("clerk_signed_by", "director_signed_by", "submitted_by")
        .filter(community=community, month=first)
        .first()
    )
    data = obj.data if obj else sheets.grid_data(sheets.month_grid(community, first))
    days = [dt.date.fromisoformat(d) for d in data["days"]]
    draft = obj is None or obj.state == SheetState.DRAFT
    user = request.user
    buttons = {
        "generate": draft
        and first <= rules.month_first(timezone.localdate())
        and (
            can(user, "attendance.add_monthlysheet", community)
            or can(user, "attendance.change_monthlysheet", community)
        ),
        "sign_clerk": obj is not None
        and draft
        and not obj.clerk_signed_by_id
        and can(user, "attendance.sign_clerk_monthlysheet", community),
        "sign_director": obj is not None
        and draft
        and not obj.director_signed_by_id
        and can(user, "attendance.sign_director_monthlysheet", community),
        "submit": obj is not None
        and draft
        and bool(obj.clerk_signed_by_id and obj.director_signed_by_id)
        and can(user, "attendance.submit_monthlysheet", community),
    }
    prev_month = rules.month_first(first - dt.timedelta(days=1))
    next_month = rules.month_end(first) + dt.timedelta(days=1)
    context = {
        "community": community,
        "month": first,
        "sheet": obj,
        "days": days,
        "rest": data["rest"],
        "rows": data["rows"],
        "fallback_years": data.get("fallback_years"),
        "buttons": buttons,
        "button": ButtonForm(),
        "submit_form": SubmitSheetForm() if buttons["submit"] else None,
        "prev": prev_month,
        "next": next_month if next_month <= timezone.localdate() else None,
    }
    return render(request, "portal/attendance/sheet.html", context)


@login_required
@require_POST
def sheet_generate(request, community_id, year, month):
    community = community_get(user=request.user, pk=community_id)
    first = _month(year, month)
    form = ButtonForm(request.POST)
    if form.is_valid() and form.claim_token(request.user, request.path):
        try:
            sheets.sheet_generate(user=request.user, community=community, month=first)
        except ValidationError as exc:
            form.release_token(request.user, request.path)
            _errors(request, exc)
        else:
            messages.success(request, _("已生成考勤表。"))
    return redirect(
        "attendance:sheet", community_id=community.pk, year=first.year, month=first.month
    )


@login_required
@require_POST
def sheet_action(request, pk, action):
    obj = sheets.sheet_get(user=request.user, pk=pk)
    form = (SubmitSheetForm if action == "submit" else ButtonForm)(request.POST)
    if action not in ("sign_clerk", "sign_director", "submit"):
        raise Http404
    if form.is_valid() and form.claim_token(request.user, request.path):
        try:
            if action == "submit":
                sheets.sheet_submit(
                    user=request.user, sheet=obj, stamped=form.cleaned_data["stamped"]
                )
            else:
                sheets.sheet_sign(user=request.user, sheet=obj, as_=action.removeprefix("sign_"))
        except ValidationError as exc:
            form.release_token(request.user, request.path)
            _errors(request, exc)
        else:
            messages.success(request, _("已办理。"))
    return redirect(
        "attendance:sheet",
        community_id=obj.community_id,
        year=obj.month.year,
        month=obj.month.month,
    )


@login_required
def sheet_export(request, pk):
    obj = sheets.sheet_get(user=request.user, pk=pk)
    _require(request.user, "attendance.view_monthlysheet", obj)
    return sheet_xlsx(obj)


@login_required
def stats(request, community_id, year):
    """ATT-6: the year's statistics per worker for appraisal, with MEET-5 meeting absences."""
    from meetings.selectors import discipline_counts

    community = community_get(user=request.user, pk=community_id)
    _require(request.user, "attendance.view_attendancerecord", community)
    year = int(year)
    _grid, rows = sheets.yearly_stats(community, year)
    if request.GET.get("format") == "xlsx":
        return yearly_xlsx(community, year, rows)
    absences = discipline_counts(community.pk, year)
    context = {
        "community": community,
        "year": year,
        "rows": [(row, absences.get(row.worker.pk, 0)) for row in rows],
    }
    return render(request, "portal/attendance/stats.html", context)


@login_required
def community_home(request, community_id):
    """Links for one community: today's register, this month's sheet, the year's statistics."""
    community = community_get(user=request.user, pk=community_id)
    _require(request.user, "attendance.view_attendancerecord", community)
    today = timezone.localdate()
    return redirect(
        reverse("attendance:register", args=[community.pk]) + f"?date={today.isoformat()}"
    )
