"""Admin of attendance. The register, leave, cases and sheets are made and moved through the
services; here street and community staff list and inspect them, with the audit history, and
act on them through per-object pages (core.admin_actions) that call the same services
as the portal: deciding leave at the step the user holds (ATT-2), confirming or dismissing a
"treated as resignation" case (ATT-3/4), generating, signing and submitting (stamped) the
monthly sheet (ATT-5). The street's calendar exceptions and the office hours are edited here
through their services too."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy

from attendance import models as m
from attendance import services, sheets
from attendance.cases import RESIGNATION_KINDS, case_decide
from core.admin import ReadOnlyAdminMixin, ScopedModelAdmin
from core.admin_actions import CommentForm, ObjectAction, ReasonForm, ServiceActionsMixin
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


class ReadOnlyScoped(ServiceActionsMixin, ReadOnlyAdminMixin, ScopedModelAdmin):
    """Listed and inspected here, moved through the services (`object_actions`)."""

    def get_readonly_fields(self, request, obj=None):
        extra = ("object_action_links",) if self.object_actions else ()
        return (*super().get_readonly_fields(request, obj), *extra)


def _pending(leave):
    return leave.state == m.LeaveState.PENDING


def _open_resignation(case):
    return case.state == m.CaseState.OPEN and case.kind in RESIGNATION_KINDS


def _draft(sheet):
    return sheet.state == m.SheetState.DRAFT


class StampForm(forms.Form):
    stamped = forms.BooleanField(label=gettext_lazy("已加盖社区印章（ATT-5）"))


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
        "object_action_links",
    )
    list_filter = ("state", "current_step", "leave_type", "community")
    search_fields = ("worker__name",)
    list_select_related = ("worker", "community")
    date_hierarchy = "start_date"
    inlines = [ApprovalInline]
    actions = ["approve_current_step"]
    object_actions = (
        ObjectAction(
            "approve",
            gettext_lazy("同意（当前环节）"),
            lambda user, leave, data: services.leave_decide(
                user=user, leave=leave, decision=m.Decision.APPROVE, comment=data["reason"]
            ),
            gettext_lazy("已同意"),
            form=lambda obj, data: CommentForm(data),
            available=_pending,
        ),
        ObjectAction(
            "refuse",
            gettext_lazy("不同意（须写理由）"),
            lambda user, leave, data: services.leave_decide(
                user=user, leave=leave, decision=m.Decision.REJECT, comment=data["reason"]
            ),
            gettext_lazy("已不同意"),
            form=lambda obj, data: ReasonForm(data),
            available=_pending,
        ),
    )

    @admin.action(description=gettext_lazy("同意（当前环节，ATT-2）"), permissions=["view"])
    def approve_current_step(self, request, queryset):
        for leave in queryset.filter(state=m.LeaveState.PENDING):
            try:
                services.leave_decide(user=request.user, leave=leave, decision=m.Decision.APPROVE)
            except ValidationError as exc:
                self.message_user(request, f"{leave}：{' '.join(exc.messages)}", messages.ERROR)
            except PermissionDenied as exc:  # not the holder of the current step
                self.message_user(request, f"{leave}：{exc}", messages.ERROR)
            except Http404:  # gone from the user's scope meanwhile
                continue
            else:
                self.message_user(request, f"{leave}：{gettext_lazy('已同意')}")


@admin.register(m.Criticism)
class CriticismAdmin(ReadOnlyScoped):
    list_display = ("date", "worker", "community", "recorded_by")
    list_filter = ("community",)
    list_select_related = ("worker", "community", "recorded_by")


@admin.register(m.AttendanceCase)
class AttendanceCaseAdmin(ReadOnlyScoped):
    list_display = (
        "worker",
        "community",
        "rule_id",
        "kind",
        "period",
        "state",
        "decided_at",
        "object_action_links",
    )
    list_filter = ("state", "kind", "rule_id", "community")
    search_fields = ("worker__name",)
    list_select_related = ("worker", "community")
    object_actions = (
        ObjectAction(
            "confirm",
            gettext_lazy("确认按自动辞职处理"),
            lambda user, case, data: case_decide(
                user=user, case=case, confirm=True, reason=data["reason"]
            ),
            gettext_lazy("已确认"),
            form=lambda obj, data: ReasonForm(data),
            available=_open_resignation,
        ),
        ObjectAction(
            "dismiss",
            gettext_lazy("不予认定"),
            lambda user, case, data: case_decide(
                user=user, case=case, confirm=False, reason=data["reason"]
            ),
            gettext_lazy("已不予认定"),
            form=lambda obj, data: ReasonForm(data),
            available=_open_resignation,
        ),
    )


@admin.register(m.MonthlySheet)
class MonthlySheetAdmin(ReadOnlyScoped):
    list_display = (
        "community",
        "month",
        "state",
        "clerk_signed_at",
        "director_signed_at",
        "submitted_at",
        "object_action_links",
    )
    list_filter = ("state", "community")
    list_select_related = ("community",)
    exclude = ("data",)
    date_hierarchy = "month"
    object_actions = (
        ObjectAction(
            "generate",
            gettext_lazy("按考勤记录重新生成"),
            lambda user, sheet, data: sheets.sheet_generate(
                user=user, community=sheet.community, month=sheet.month
            ),
            gettext_lazy("已重新生成"),
            available=_draft,
        ),
        ObjectAction(
            "sign_clerk",
            gettext_lazy("考勤员签字"),
            lambda user, sheet, data: sheets.sheet_sign(user=user, sheet=sheet, as_="clerk"),
            gettext_lazy("考勤员已签字"),
            available=lambda s: _draft(s) and not s.clerk_signed_by_id,
        ),
        ObjectAction(
            "sign_director",
            gettext_lazy("主任签字"),
            lambda user, sheet, data: sheets.sheet_sign(user=user, sheet=sheet, as_="director"),
            gettext_lazy("主任已签字"),
            available=lambda s: _draft(s) and not s.director_signed_by_id,
        ),
        ObjectAction(
            "submit",
            gettext_lazy("盖章并报街道"),
            lambda user, sheet, data: sheets.sheet_submit(
                user=user, sheet=sheet, stamped=data["stamped"]
            ),
            gettext_lazy("已报街道"),
            form=lambda obj, data: StampForm(data),
            available=_draft,
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data")
