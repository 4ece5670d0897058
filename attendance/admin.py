"""Admin of attendance. The register, leave, cases and sheets are made and moved through the
services (portal and API); here street and community staff list and inspect them, with the
audit history. What is edited here goes through the services too: the street's calendar
exceptions (street roles of that street only) and the office hours."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy

from attendance import models as m
from attendance import services
from core.admin import ReadOnlyAdminMixin, ScopedModelAdmin
from staffing.payroll_admin import StreetDataAdmin


@admin.register(m.CalendarException)
class CalendarExceptionAdmin(StreetDataAdmin):
    """Local extra holidays and extra working days (RULES ATT), over chinesecalendar."""

    save_service = staticmethod(services.calendar_exception_save)
    delete_service = staticmethod(services.calendar_exception_delete)
    validate_service = staticmethod(services.calendar_exception_validate)
    list_display = ("street", "date", "is_working_day", "reason")
    list_filter = ("is_working_day", "street")
    search_fields = ("reason",)
    date_hierarchy = "date"

    def get_queryset(self, request):
        from core.scoping import scope_for

        qs = m.CalendarException.objects.select_related("street")
        scope = scope_for(request.user)
        return qs if scope.everything else qs.filter(street_id__in=scope.street_ids)


@admin.register(m.OfficeHours)
class OfficeHoursAdmin(ScopedModelAdmin):
    save_service = staticmethod(services.office_hours_save)
    list_display = ("community", "start", "midday", "end")
    list_select_related = ("community",)


class ReadOnlyScoped(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Listed and inspected here, moved through the services."""


@admin.register(m.AttendanceRecord)
class AttendanceRecordAdmin(ReadOnlyScoped):
    list_display = (
        "date",
        "worker",
        "community",
        "sign_in_at",
        "sign_out_at",
        "corrected_at",
        "correction_reason",
    )
    list_filter = ("community", "date")
    search_fields = ("worker__name",)
    list_select_related = ("worker", "community")
    date_hierarchy = "date"


class ApprovalInline(admin.TabularInline):
    model = m.LeaveApproval
    extra = 0
    can_delete = False
    fields = ("step", "decision", "comment", "decided_by", "decided_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(m.Leave)
class LeaveAdmin(ReadOnlyScoped):
    list_display = (
        "worker",
        "community",
        "leave_type",
        "start_date",
        "end_date",
        "days",
        "state",
        "current_step",
        "deducts",
    )
    list_filter = ("state", "current_step", "leave_type", "community")
    search_fields = ("worker__name",)
    list_select_related = ("worker", "community")
    date_hierarchy = "start_date"
    inlines = [ApprovalInline]
    actions = ["approve_current_step"]

    @admin.action(description=gettext_lazy("同意（当前环节，ATT-2）"), permissions=["view"])
    def approve_current_step(self, request, queryset):
        for leave in queryset.filter(state=m.LeaveState.PENDING):
            try:
                services.leave_decide(user=request.user, leave=leave, decision=m.Decision.APPROVE)
            except ValidationError as exc:
                self.message_user(request, f"{leave}：{' '.join(exc.messages)}", messages.ERROR)
            except PermissionDenied as exc:  # not the holder of the current step
                self.message_user(request, f"{leave}：{exc}", messages.ERROR)
            else:
                self.message_user(request, f"{leave}：{gettext_lazy('已同意')}")


@admin.register(m.Criticism)
class CriticismAdmin(ReadOnlyScoped):
    list_display = ("date", "worker", "community", "recorded_by")
    list_filter = ("community",)
    list_select_related = ("worker", "community", "recorded_by")


@admin.register(m.AttendanceCase)
class AttendanceCaseAdmin(ReadOnlyScoped):
    list_display = ("worker", "community", "rule_id", "kind", "period", "state", "decided_at")
    list_filter = ("state", "kind", "rule_id", "community")
    search_fields = ("worker__name",)
    list_select_related = ("worker", "community")


@admin.register(m.MonthlySheet)
class MonthlySheetAdmin(ReadOnlyScoped):
    list_display = (
        "community",
        "month",
        "state",
        "clerk_signed_at",
        "director_signed_at",
        "submitted_at",
    )
    list_filter = ("state", "community")
    list_select_related = ("community",)
    exclude = ("data",)
    date_hierarchy = "month"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data")
