"""Admin of staffing. Every save goes through staffing.services (ScopedModelAdmin)."""

from django.contrib import admin
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.admin import ScopedModelAdmin
from staffing.models import (
    Evaluation,
    PartyCheckup,
    PostTerm,
    StaffingReason,
    StudySession,
    TrainingRecord,
    Worker,
)
from staffing.services import staffing_delete, staffing_save, staffing_validate


class StaffingAdmin(ScopedModelAdmin):
    save_service = staticmethod(staffing_save)
    delete_service = staticmethod(staffing_delete)
    validate_service = staticmethod(staffing_validate)


@admin.register(Worker)
class WorkerAdmin(StaffingAdmin):
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
