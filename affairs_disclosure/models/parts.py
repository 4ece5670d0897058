"""Rows under a disclosure item: the party organisation's and the committee's approvals
(DISC-3) and the attachments. Both change only while the item is not public (a database
trigger refuses it after publication)."""

import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from affairs_disclosure.models.choices import ApprovalSide
from affairs_disclosure.models.items import DisclosureItem
from core.audit import audited

User = settings.AUTH_USER_MODEL

# Rows under an item (approvals, attachments) change only while the item is not public.
_CHILD_FROZEN_FUNC = """
    IF EXISTS (
        SELECT 1 FROM affairs_disclosure_disclosureitem
        WHERE id IN (
            CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.item_id END,
            CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.item_id END
        ) AND state IN ('published', 'archived')
    ) THEN
        RAISE EXCEPTION 'DISC-3: a published disclosure item never changes (%)', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
"""


@audited
class DisclosureApproval(models.Model):
    """DISC-3: the party organisation's and the committee's approval of one draft, with who
    gave it and when. Both sides make the item approved."""

    scope_path = "item__community"

    item = models.ForeignKey(
        DisclosureItem,
        on_delete=models.CASCADE,
        related_name="approvals",
        verbose_name=_("公开事项"),
    )
    side = models.CharField(_("核准方"), max_length=20, choices=ApprovalSide.choices)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("核准人")
    )
    approved_at = models.DateTimeField(_("核准时间"), auto_now_add=True)
    comment = models.CharField(_("意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("居务公开核准")
        verbose_name_plural = _("居务公开核准")
        ordering = ["item_id", "side"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "side"],
                name="disc_approval_one_per_side",
                violation_error_message=_("[DISC-3] 该方已核准"),
            )
        ]
        triggers = [
            pgtrigger.Trigger(
                name="disc_approval_frozen_when_published",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=_CHILD_FROZEN_FUNC,
            )
        ]

    def __str__(self):
        return f"{self.item_id} · {self.get_side_display()} · {self.user}"


def attachment_path(instance, filename):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"disclosure/{uuid.uuid4().hex}.{ext}"


@audited
class DisclosureAttachment(models.Model):
    """An image or PDF of an item (type sniffed from its first bytes, size checked:
    affairs_disclosure.services). Served only through the views: publicly once the item is
    published, to staff in scope before."""

    scope_path = "item__community"

    item = models.ForeignKey(
        DisclosureItem,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("公开事项"),
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40, editable=False)
    size = models.PositiveIntegerField(_("大小（字节）"), editable=False)
    uploaded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("居务公开附件")
        verbose_name_plural = _("居务公开附件")
        ordering = ["item_id", "pk"]
        triggers = [
            pgtrigger.Trigger(
                name="disc_attachment_frozen_when_published",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=_CHILD_FROZEN_FUNC,
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
