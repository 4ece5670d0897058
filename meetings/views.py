"""Meetings pages of the worker portal (/portal/meetings/): thin views over meetings.selectors,
writes through meetings.services. Another community's rows are 404; a representative without a
role reaches only the sittings on whose roster they sit (to confirm, check in and vote as
themselves)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from attendance.forms import ButtonForm
from communities.selectors import community_get
from core.scoping import can
from meetings import selectors, services
from meetings.forms import (
    ChronicleForm,
    CloseSittingForm,
    ConveneForm,
    MeetingForm,
    MotionForm,
    VoteForm,
)
from meetings.models import Motion, MotionState, SittingSeat, SittingState
from staffing.models import Worker

PAGE = 50


def _require(user, perm, obj):
    if not can(user, perm, obj):
        raise PermissionDenied


def _errors(request, exc: ValidationError):
    for message in exc.messages:
        messages.error(request, message)


def _workers(community):
    return Worker.objects.filter(community=community, left_on__isnull=True).order_by("name", "pk")


@login_required
def community(request, community_id):
    """MEET-1..5 of one community: sittings, regular meetings and the 大事记."""
    obj = community_get(user=request.user, pk=community_id)
    _require(request.user, "meetings.view_sitting", obj)
    context = {
        "community": obj,
        "sittings": list(selectors.sitting_list(user=request.user, community_id=obj.pk)[:PAGE]),
        "meetings": list(selectors.meeting_list(user=request.user, community_id=obj.pk)[:PAGE]),
        "can_convene": can(request.user, "meetings.add_sitting", obj),
        "can_record": can(request.user, "meetings.add_meeting", obj),
        "roster": services.assembly_roster(obj).count(),
    }
    return render(request, "portal/meetings/community.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def convene(request, community_id):
    obj = community_get(user=request.user, pk=community_id)
    _require(request.user, "meetings.add_sitting", obj)
    roster = list(services.assembly_roster(obj))
    form = ConveneForm(request.POST or None, roster=roster)
    if request.method == "POST" and form.is_valid():
        if not form.claim_token(request.user, request.path):
            return redirect("meetings:community", community_id=obj.pk)
        data = form.cleaned_data
        try:
            sitting = services.sitting_convene(
                user=request.user,
                community=obj,
                kind=data["kind"],
                title=data["title"],
                scheduled_at=data["scheduled_at"],
                place=data["place"],
                basis=data["basis"],
                decision_note=data["decision_note"],
                proposer_ids=[int(pk) for pk in data["proposer_ids"]],
            )
        except ValidationError as exc:
            form.release_token(request.user, request.path)
            form.add_service_errors(exc)
        else:
            messages.success(request, _("已召集会议。"))
            return redirect("meetings:sitting", pk=sitting.pk)
    context = {"form": form, "community": obj, "roster": roster}
    return render(request, "portal/meetings/convene.html", context)


def _sitting(request, pk):
    """A sitting in the user's scope, or one on whose roster the user sits."""
    try:
        return selectors.sitting_get(user=request.user, pk=pk), True
    except Http404:
        sitting = selectors.sitting_for_representative(user=request.user, pk=pk)
        if sitting is None:
            raise
        return sitting, False


@login_required
def sitting(request, pk):
    """MEET-1: roster, live quorum, motions and votes; buttons by permission and role."""
    obj, staff = _sitting(request, pk)
    user = request.user
    may_change = staff and can(user, "meetings.change_sitting", obj)
    my_seat = next((s for s in obj.seats.all() if s.membership.user_id == user.pk), None)
    motions = list(obj.motions.all())
    voted = (
        set(Motion.objects.filter(sitting=obj, votes__seat=my_seat).values_list("pk", flat=True))
        if my_seat
        else set()
    )
    context = {
        "sitting": obj,
        "community": obj.community,
        "seats": list(obj.seats.all()),
        "quorum": selectors.quorum_of(obj),
        "motions": motions,
        "may_change": may_change,
        "may_vote_for_others": staff and can(user, "meetings.add_vote", obj),
        "my_seat": my_seat,
        "voted": voted,
        "button": ButtonForm(),
        "vote_form": VoteForm(),
        "motion_form": MotionForm() if may_change and obj.state != SittingState.CLOSED else None,
        "close_form": CloseSittingForm(workers=_workers(obj.community))
        if may_change and obj.state == SittingState.OPEN
        else None,
        "voting": next((m for m in motions if m.state == MotionState.VOTING), None),
    }
    return render(request, "portal/meetings/sitting.html", context)


def _button(request, call, success):
    form = ButtonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("表单已失效，请刷新页面后重新提交"))
    elif not form.claim_token(request.user, request.path):
        messages.info(request, _("该表单已经提交过，未重复保存。"))
    else:
        try:
            call()
        except ValidationError as exc:
            form.release_token(request.user, request.path)
            _errors(request, exc)
        else:
            messages.success(request, success)


@login_required
@require_POST
def sitting_action(request, pk, action):
    obj, _staff = _sitting(request, pk)
    calls = {
        "open": lambda: services.sitting_open(user=request.user, sitting=obj),
        "cancel": lambda: services.sitting_cancel(user=request.user, sitting=obj),
    }
    if action not in calls:
        raise Http404
    _button(request, calls[action], _("已办理。"))
    return redirect("meetings:sitting", pk=obj.pk)


@login_required
@require_POST
def sitting_close(request, pk):
    obj, _staff = _sitting(request, pk)
    form = CloseSittingForm(request.POST, workers=_workers(obj.community))
    if form.is_valid() and form.claim_token(request.user, request.path):
        try:
            services.sitting_close(
                user=request.user,
                sitting=obj,
                recorder=form.cleaned_data["recorder"],
                minutes=form.cleaned_data["minutes"],
            )
        except ValidationError as exc:
            form.release_token(request.user, request.path)
            _errors(request, exc)
        else:
            messages.success(request, _("已闭会。"))
    elif form.errors:
        messages.error(request, _("请指定记录人并填写会议记录"))
    return redirect("meetings:sitting", pk=obj.pk)


def _seat(request, pk):
    seat = SittingSeat.objects.select_related("sitting", "membership").filter(pk=pk).first()
    if seat is None:
        raise Http404
    _sitting(request, seat.sitting_id)  # 404 unless in scope or on the roster
    return seat


@login_required
@require_POST
def seat_action(request, pk, action):
    seat = _seat(request, pk)
    calls = {
        "confirm": lambda: services.seat_confirm(user=request.user, seat=seat, confirmed=True),
        "unconfirm": lambda: services.seat_confirm(user=request.user, seat=seat, confirmed=False),
        "check-in": lambda: services.seat_check_in(user=request.user, seat=seat),
    }
    if action not in calls:
        raise Http404
    _button(request, calls[action], _("已办理。"))
    return redirect("meetings:sitting", pk=seat.sitting_id)


@login_required
@require_POST
def motion_new(request, pk):
    obj, _staff = _sitting(request, pk)
    form = MotionForm(request.POST)
    if form.is_valid() and form.claim_token(request.user, request.path):
        try:
            services.motion_add(
                user=request.user,
                sitting=obj,
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as exc:
            form.release_token(request.user, request.path)
            _errors(request, exc)
        else:
            messages.success(request, _("已增加表决事项。"))
    return redirect("meetings:sitting", pk=obj.pk)


def _motion(request, pk):
    motion = Motion.objects.select_related("sitting").filter(pk=pk).first()
    if motion is None:
        raise Http404
    _sitting(request, motion.sitting_id)
    return motion


@login_required
@require_POST
def motion_action(request, pk, action):
    motion = _motion(request, pk)
    calls = {
        "open": lambda: services.motion_open_voting(user=request.user, motion=motion),
        "close": lambda: services.motion_close(user=request.user, motion=motion),
    }
    if action not in calls:
        raise Http404
    _button(request, calls[action], _("已办理。"))
    return redirect("meetings:sitting", pk=motion.sitting_id)


@login_required
@require_POST
def vote(request, pk):
    """MEET-1: a representative votes as themselves (no seat in the form), or the committee
    records a named representative's vote (seat given)."""
    motion = _motion(request, pk)
    form = VoteForm(request.POST)
    scope = f"{request.path}:{request.POST.get('seat', '')}"
    if form.is_valid() and form.claim_token(request.user, scope):
        seat = None
        if form.cleaned_data.get("seat"):
            seat = get_object_or_404(SittingSeat, pk=form.cleaned_data["seat"])
        try:
            services.vote_cast(
                user=request.user, motion=motion, choice=form.cleaned_data["choice"], seat=seat
            )
        except ValidationError as exc:
            form.release_token(request.user, scope)
            _errors(request, exc)
        else:
            messages.success(request, _("已记录表决。"))
    elif not form.is_valid():
        messages.error(request, _("请选择表决意见"))
    return redirect("meetings:sitting", pk=motion.sitting_id)


# --- MEET-3/4/5 ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request, community_id):
    obj = community_get(user=request.user, pk=community_id)
    _require(request.user, "meetings.add_meeting", obj)
    workers = _workers(obj)
    form = MeetingForm(
        request.POST or None, workers=workers, initial={"date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        if not form.claim_token(request.user, request.path):
            return redirect("meetings:community", community_id=obj.pk)
        data = form.cleaned_data
        try:
            meeting = services.meeting_record(
                user=request.user,
                community=obj,
                kind=data["kind"],
                date=data["date"],
                topic=data["topic"],
                chair=data["chair"],
                recorder=data["recorder"],
                minutes=data["minutes"],
                attendance=form.attendance(),
                major_event=data["major_event"],
            )
        except ValidationError as exc:
            form.release_token(request.user, request.path)
            form.add_service_errors(exc)
        else:
            messages.success(request, _("已登记会议。"))
            return redirect("meetings:meeting", pk=meeting.pk)
    return render(request, "portal/meetings/meeting_form.html", {"form": form, "community": obj})


@login_required
def meeting(request, pk):
    obj = selectors.meeting_get(user=request.user, pk=pk)
    return render(request, "portal/meetings/meeting.html", {"meeting": obj})


@login_required
@require_http_methods(["GET", "POST"])
def events(request, community_id):
    """MEET-4: the 大事记, newest first, with a form to add an entry."""
    obj = community_get(user=request.user, pk=community_id)
    _require(request.user, "meetings.view_chronicleentry", obj)
    may_add = can(request.user, "meetings.add_chronicleentry", obj)
    form = ChronicleForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        if form.is_valid() and form.claim_token(request.user, request.path):
            try:
                services.chronicle_add(
                    user=request.user,
                    community=obj,
                    date=form.cleaned_data["date"],
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as exc:
                form.release_token(request.user, request.path)
                form.add_service_errors(exc)
            else:
                messages.success(request, _("已记入大事记。"))
                return redirect("meetings:events", community_id=obj.pk)
    rows = list(selectors.chronicle_list(user=request.user, community_id=obj.pk)[:200])
    context = {"community": obj, "rows": rows, "form": form if may_add else None}
    return render(request, "portal/meetings/events.html", context)
