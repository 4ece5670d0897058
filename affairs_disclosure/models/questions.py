"""Residents' questions, suggestions and complaints about a published item (DISC-4)."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from affairs_disclosure.models.choices import QuestionKind, QuestionState
from affairs_disclosure.models.items import DisclosureItem
from core.audit import audited

User = settings.AUTH_USER_MODEL


@audited
class ResidentQuestion(models.Model):
    """DISC-4 (003 四(四)(五)): a resident's question, suggestion or complaint about a
    published item, sent from the public page without login; handled as a case with a
    deadline; the reply is published under the item. The optional contact is never public.
    `token` is the one-time token of the form that sent it: a double submit finds it taken
    and creates nothing."""

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="disclosure_questions",
        verbose_name=_("社区"),
    )
    item = models.ForeignKey(
        DisclosureItem,
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("公开事项"),
    )
    kind = models.CharField(
        _("类型"), max_length=20, choices=QuestionKind.choices, default=QuestionKind.QUESTION
    )
    body = models.TextField(_("内容"))
    contact = models.CharField(
        _("联系方式"), max_length=50, blank=True, help_text=_("仅供社区回访，不公开")
    )
    token = models.UUIDField(_("表单令牌"), unique=True, editable=False)
    state = models.CharField(
        _("办理状态"), max_length=20, choices=QuestionState.choices, default=QuestionState.OPEN
    )
    received_at = models.DateTimeField(_("收到时间"), auto_now_add=True)
    due_on = models.DateField(_("答复期限"), help_text=_("DISC-4：收到后 15 日内答复"))
    public_text = models.TextField(
        _("公开的问题摘要"), blank=True, help_text=_("答复时公布的问题文字，可删去个人信息")
    )
    reply = models.TextField(_("答复"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    replied_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("答复人"),
    )
    close_reason = models.CharField(_("办结说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("居民意见")
        verbose_name_plural = _("居民意见")
        ordering = ["state", "due_on", "-received_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "state", "due_on"], name="disc_question_case"),
            models.Index(fields=["item", "state"], name="disc_question_item"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="answered")
                | (Q(replied_at__isnull=False) & ~Q(reply="") & ~Q(public_text="")),
                name="disc_question_answered_has_reply",
                violation_error_message=_("[DISC-4] 已答复的意见须有答复内容"),
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="disc_question_published_reply_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__state="answered"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
