"""Admin of meetings: sittings, motions, votes and regular meetings are made through the
services (portal and API) and inspected here with their audit history; the assembly's number
of seats and the 大事记 are edited here through the services. A sitting is opened, cancelled
or closed with its minutes and recorder, and a motion's voting opened or closed, through
per-object pages (core.admin_actions) that call meetings.services as the user."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdminMixin, ScopedModelAdmin
from core.admin_actions import ObjectAction, ServiceActionsMixin
from core.scoping import scoped
from meetings import models as m
from meetings import plans, services
from staffing.models import Worker


class ReadOnlyScoped(ServiceActionsMixin, ReadOnlyAdminMixin, ScopedModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        extra = ("object_action_links",) if self.object_actions else ()
        return (*super().get_readonly_fields(request, obj), *extra)


class CloseForm(forms.Form):
    """MEET-4: minutes kept by a named recorder of the sitting's community."""

    recorder = forms.ModelChoiceField(queryset=Worker.objects.none(), label=gettext_lazy("记录人"))
    minutes = forms.CharField(label=gettext_lazy("会议记录"), widget=forms.Textarea)

    def __init__(self, sitting, data=None):
        super().__init__(data)
        self.fields["recorder"].queryset = Worker.objects.filter(
            community_id=sitting.community_id
        ).order_by("name")


def _state(*states):
    return lambda obj: obj.state in states


@admin.register(m.AssemblyQuota)
class AssemblyQuotaAdmin(ScopedModelAdmin):
    save_service = staticmethod(services.quota_save)
    list_display = ("community", "seats")
    list_select_related = ("community",)


class SeatInline(admin.TabularInline):
    model = m.SittingSeat
    extra = 0
    can_delete = False
    fields = ("name", "proposer", "confirmed", "checked_in_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class MotionInline(admin.TabularInline):
    model = m.Motion
    extra = 0
    can_delete = False
    fields = (
        "number",
        "title",
        "state",
        "present_at_open",
        "votes_for",
        "votes_against",
        "votes_abstain",
        "passed",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(m.Sitting)
class SittingAdmin(ReadOnlyScoped):
    list_display = (
        "title",
        "community",
        "kind",
        "scheduled_at",
        "state",
        "representatives_total",
        "object_action_links",
    )
    list_filter = ("state", "kind", "community")
    search_fields = ("title",)
    list_select_related = ("community",)
    date_hierarchy = "scheduled_at"
    inlines = [SeatInline, MotionInline]
    object_actions = (
        ObjectAction(
            "open",
            gettext_lazy("开会（开始签到）"),
            lambda user, sitting, data: services.sitting_open(user=user, sitting=sitting),
            gettext_lazy("会议已开始"),
            available=_state(m.SittingState.CONVENED),
        ),
        ObjectAction(
            "cancel",
            gettext_lazy("取消会议"),
            lambda user, sitting, data: services.sitting_cancel(user=user, sitting=sitting),
            gettext_lazy("会议已取消"),
            available=_state(m.SittingState.CONVENED),
        ),
        ObjectAction(
            "close",
            gettext_lazy("闭会（填写会议记录）"),
            lambda user, sitting, data: services.sitting_close(
                user=user, sitting=sitting, recorder=data["recorder"], minutes=data["minutes"]
            ),
            gettext_lazy("已闭会"),
            form=CloseForm,
            available=_state(m.SittingState.OPEN),
        ),
    )


@admin.register(m.Motion)
class MotionAdmin(ReadOnlyScoped):
    list_display = (
        "title",
        "sitting",
        "kind",
        "state",
        "present_at_open",
        "votes_for",
        "passed",
        "object_action_links",
    )
    list_filter = ("state", "kind", "passed")
    list_select_related = ("sitting",)
    object_actions = (
        ObjectAction(
            "open_voting",
            gettext_lazy("开始表决"),
            lambda user, motion, data: services.motion_open_voting(user=user, motion=motion),
            gettext_lazy("已开始表决"),
            available=_state(m.MotionState.DRAFT),
        ),
        ObjectAction(
            "close_voting",
            gettext_lazy("结束表决并计票"),
            lambda user, motion, data: services.motion_close(user=user, motion=motion),
            gettext_lazy("表决已结束"),
            available=_state(m.MotionState.VOTING),
        ),
    )


@admin.register(m.Vote)
class VoteAdmin(ReadOnlyScoped):
    list_display = ("motion", "seat", "choice", "cast_at", "recorded_by")
    list_select_related = ("motion", "seat", "recorded_by")


@admin.register(m.Meeting)
class MeetingAdmin(ReadOnlyScoped):
    list_display = ("date", "kind", "topic", "community", "recorder")
    list_filter = ("kind", "community")
    list_select_related = ("community", "recorder")
    date_hierarchy = "date"


@admin.register(m.DisciplineRecord)
class DisciplineRecordAdmin(ReadOnlyScoped):
    list_display = ("worker", "meeting", "measure", "appraisal_year", "community")
    list_filter = ("measure", "appraisal_year", "community")
    list_select_related = ("worker", "meeting", "community")


@admin.register(m.ChronicleEntry)
class ChronicleEntryAdmin(ReadOnlyScoped):
    list_display = ("date", "title", "community")
    list_filter = ("community",)
    list_select_related = ("community",)
    date_hierarchy = "date"


@admin.register(m.WorkPlan)
class WorkPlanAdmin(ScopedModelAdmin):
    """MEET-2: the director's yearly, quarterly and monthly plans, saved through the service."""

    save_service = staticmethod(plans.workplan_save)
    list_display = ("community", "kind", "period_start", "title", "drafted_by", "approved_by")
    list_filter = ("kind", "community")
    search_fields = ("title",)
    list_select_related = ("community", "drafted_by", "approved_by")
    date_hierarchy = "period_start"
    exclude = ("drafted_by",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "approved_by":
            kwargs["queryset"] = scoped(
                m.Motion.objects.filter(kind=m.MotionKind.PLAN, passed=True), request.user
            ).select_related("sitting")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
