"""Admin of meetings: sittings, motions, votes and regular meetings are made through the
services (portal and API) and inspected here with their audit history; the assembly's number
of seats and the 大事记 are edited here through the services."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin, ScopedModelAdmin
from meetings import models as m
from meetings import services


class ReadOnlyScoped(ReadOnlyAdminMixin, ScopedModelAdmin):
    pass


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
    list_display = ("title", "community", "kind", "scheduled_at", "state", "representatives_total")
    list_filter = ("state", "kind", "community")
    search_fields = ("title",)
    list_select_related = ("community",)
    date_hierarchy = "scheduled_at"
    inlines = [SeatInline, MotionInline]


@admin.register(m.Motion)
class MotionAdmin(ReadOnlyScoped):
    list_display = ("title", "sitting", "kind", "state", "present_at_open", "votes_for", "passed")
    list_filter = ("state", "kind", "passed")
    list_select_related = ("sitting",)


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
