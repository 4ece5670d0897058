"""Admin of residents' questions (DISC-4), answered or closed through the services."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from affairs_disclosure import services
from affairs_disclosure.models import (
    QuestionState,
    ResidentQuestion,
)
from core.admin import ScopedModelAdmin


def _validate_question(*, user, instance):
    if not (instance.reply or "").strip() and not (instance.close_reason or "").strip():
        raise ValidationError(
            {"reply": _("请填写答复（将公布在公开事项下），或填写办结说明后办结")}
        )


@admin.register(ResidentQuestion)
class ResidentQuestionAdmin(ScopedModelAdmin):
    """DISC-4: residents' questions as cases with a deadline; a reply is published under the
    item at once; a closed question is not published."""

    validate_service = staticmethod(_validate_question)
    list_display = ("id", "community", "item", "kind", "state", "received_at", "due_on", "overdue")
    list_filter = ("state", "kind", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("body", "item__title")
    list_select_related = ("community", "item")
    fields = (
        "community",
        "item",
        "kind",
        "body",
        "contact",
        "received_at",
        "due_on",
        "state",
        "public_text",
        "reply",
        "close_reason",
        "replied_at",
        "replied_by",
    )
    readonly = (
        "community",
        "item",
        "kind",
        "body",
        "contact",
        "received_at",
        "due_on",
        "state",
        "replied_at",
        "replied_by",
    )

    @admin.display(description=gettext_lazy("逾期"), boolean=True)
    def overdue(self, obj):
        return obj.state == QuestionState.OPEN and obj.due_on < timezone.localdate()

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.state != QuestionState.OPEN:
            return self.fields
        return self.readonly

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != QuestionState.OPEN:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if (obj.reply or "").strip():
            services.question_reply(
                user=request.user, question=obj, reply=obj.reply, public_text=obj.public_text
            )
        else:
            services.question_close(user=request.user, question=obj, reason=obj.close_reason)
