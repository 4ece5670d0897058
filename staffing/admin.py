"""Admin of staffing. Every save goes through staffing.services (ScopedModelAdmin)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.admin import ImportAdminMixin, ScopedModelAdmin
from staffing.models import (
    Evaluation,
    Handover,
    HandoverOutcome,
    PartyCheckup,
    PostTerm,
    StaffingReason,
    StudySession,
    TrainingRecord,
    Worker,
)
from staffing.reports import staffing_table, staffing_table_xlsx
from staffing.services import (
    handover_record,
    staffing_delete,
    staffing_save,
    staffing_validate,
    term_reselect,
)


class StaffingAdmin(ScopedModelAdmin):
    save_service = staticmethod(staffing_save)
    delete_service = staticmethod(staffing_delete)
    validate_service = staticmethod(staffing_validate)


@admin.register(Worker)
class WorkerAdmin(ImportAdminMixin, StaffingAdmin):
    import_spec = "roster"  # staffing.imports.RosterSpec: 导入 and 导出 on the changelist
    list_display = (
        "name",
        "community",
        "gender",
        "source",
        "is_full_time",
        "current_posts",
        "hired_on",
        "left_on",
    )
    list_filter = ("community", "source", "is_full_time", "gender")
    search_fields = ("name", "phone")
    list_select_related = ("community",)
    raw_id_fields = ("user",)

    def get_queryset(self, request):
        today = timezone.localdate()
        current = PostTerm.objects.filter(starts_on__lte=today).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today)
        )
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("terms", queryset=current, to_attr="current_terms"))
        )

    @admin.display(description=gettext_lazy("现任职务（STAFF-9）"))
    def current_posts(self, obj):
        return "、".join(t.get_post_display() for t in getattr(obj, "current_terms", ()))


@admin.register(PostTerm)
class PostTermAdmin(StaffingAdmin):
    list_display = (
        "worker",
        "post",
        "community",
        "starts_on",
        "ends_on",
        "selection",
        "reappointed",
    )
    list_filter = ("community", "post", "selection", "reappointed")
    search_fields = ("worker__name",)
    list_select_related = ("worker", "community")
    date_hierarchy = "starts_on"
    # STAFF-4: the re-selection result changes only through staffing.services.term_reselect.
    readonly_fields = ("reappointed", "reselected_on")
    actions = ("record_reappointed", "record_not_reappointed")

    def _reselect(self, request, queryset, reappointed):
        today = timezone.localdate()
        for term in queryset:
            try:
                term_reselect(
                    user=request.user, term=term, reappointed=reappointed, decided_on=today
                )
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, f"{term}：{message}", messages.ERROR)
            else:
                self.message_user(request, f"{term}：{gettext_lazy('已登记换届结果')}")

    @admin.action(
        description=gettext_lazy("记录换届结果：续任（STAFF-4，新任期届满日期请另行填写）"),
        permissions=["change"],
    )
    def record_reappointed(self, request, queryset):
        self._reselect(request, queryset, True)

    @admin.action(
        description=gettext_lazy("记录换届结果：不再续任（STAFF-4）"), permissions=["change"]
    )
    def record_not_reappointed(self, request, queryset):
        self._reselect(request, queryset, False)

    # The street-wide staffing table (STAFF-1): households, required, actual, vacancies.
    def get_urls(self):
        return [
            path(
                "table/",
                self.admin_site.admin_view(self.table_view),
                name="staffing_postterm_table",
            ),
            path(
                "table/export/",
                self.admin_site.admin_view(self.table_export_view),
                name="staffing_postterm_table_export",
            ),
        ] + super().get_urls()

    def _table(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return staffing_table(user=request.user)

    def table_view(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": gettext_lazy("社区工作者配备表（STAFF-1）"),
            "opts": self.opts,
            "table": self._table(request),
        }
        return TemplateResponse(request, "admin/staffing/staffing_table.html", context)

    def table_export_view(self, request):
        return staffing_table_xlsx(self._table(request))


@admin.register(StaffingReason)
class StaffingReasonAdmin(StaffingAdmin):
    list_display = ("community", "year", "reason")
    list_filter = ("year",)
    list_select_related = ("community",)


@admin.register(TrainingRecord)
class TrainingRecordAdmin(StaffingAdmin):
    list_display = (
        "worker",
        "community",
        "date",
        "course",
        "organiser",
        "hours",
        "attended",
        "exam_result",
    )
    list_filter = ("community", "attended", "exam_result")
    search_fields = ("worker__name", "course", "organiser")
    list_select_related = ("worker", "community")
    date_hierarchy = "date"


@admin.register(StudySession)
class StudySessionAdmin(StaffingAdmin):
    list_display = ("date", "community", "topic", "attendees")
    list_filter = ("community",)
    search_fields = ("topic", "notes")
    list_select_related = ("community",)
    date_hierarchy = "date"


@admin.register(Evaluation)
class EvaluationAdmin(StaffingAdmin):
    list_display = ("worker", "community", "year", "score", "grade")
    list_filter = ("community", "year", "grade")
    search_fields = ("worker__name", "evaluators")
    list_select_related = ("worker", "community")


@admin.register(PartyCheckup)
class PartyCheckupAdmin(StaffingAdmin):
    list_display = ("worker", "community", "date", "result")
    list_filter = ("community",)
    search_fields = ("worker__name", "result")
    list_select_related = ("worker", "community")
    date_hierarchy = "date"


def _record(outcome, description):
    """An admin action recording one STAFF-7 outcome dated today on each selected handover."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        today = timezone.localdate()
        for handover in queryset:
            try:
                handover_record(user=request.user, handover=handover, outcome=outcome, on=today)
            except ValidationError as exc:
                for message in exc.messages:
                    modeladmin.message_user(request, f"{handover}：{message}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"{handover}：{gettext_lazy('已登记')}")

    action.__name__ = f"record_{outcome}"
    return action


@admin.register(Handover)
class HandoverAdmin(StaffingAdmin):
    list_display = (
        "worker",
        "community",
        "deadline",
        "finance_done",
        "archives_done",
        "seals_done",
        "outcome",
        "completed_on",
        "bonus_withheld_year",
    )
    list_filter = ("community", "outcome", "bonus_withheld_year")
    search_fields = ("worker__name", "supervisors", "note")
    list_select_related = ("worker", "community")
    date_hierarchy = "deadline"
    # STAFF-7: the outcome changes only through staffing.services.handover_record.
    readonly_fields = ("outcome", "completed_on", "bonus_withheld_year")
    actions = (
        _record(HandoverOutcome.COMPLETED, gettext_lazy("记录移交结果：已完成移交（STAFF-7）")),
        _record(HandoverOutcome.REFUSED, gettext_lazy("记录移交结果：逾期拒不移交（STAFF-7）")),
        _record(HandoverOutcome.LOST, gettext_lazy("记录移交结果：档案、印章丢失（STAFF-7）")),
    )


# STAFF-2: the payroll sheet, the wage-gap report and the street's wage and insurance data
# (staffing/payroll_admin.py, registered on import).
from staffing import payroll_admin  # noqa: E402, F401
