"""Attachments of disclosure drafts: images and PDFs, type sniffed from the first bytes and
agreeing with the name, size checked; added and removed only while the item is a draft (a
database trigger freezes them once it is published)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from affairs_disclosure import rules
from affairs_disclosure.models import DisclosureAttachment, DisclosureItem, ItemState
from affairs_disclosure.services.common import perm, require_perm
from affairs_disclosure.services.items import _locked
from core.errors import RuleViolation


def check_upload(upload) -> str:
    """Type (sniffed from the first bytes, agreeing with the name) and size of an image or a
    PDF; returns the content type or raises a Chinese ValidationError on `file`."""
    name = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", 0) or 0
    if size <= 0:
        raise ValidationError({"file": _("文件为空")})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = rules.sniff_attachment(name, head)
    if content_type is None:
        raise ValidationError(
            {
                "file": _("文件“%(name)s”不是有效的 %(types)s 文件")
                % {"name": name, "types": "/".join(rules.ATTACHMENT_EXTENSIONS).upper()}
            }
        )
    limit = rules.attachment_max_bytes(content_type)
    if size > limit:
        raise ValidationError(
            {
                "file": _("文件“%(name)s”过大（%(size)s MB），不能超过 %(max)s MB")
                % {
                    "name": name,
                    "size": round(size / 1024 / 1024, 1),
                    "max": limit // 1024 // 1024,
                }
            }
        )
    return content_type


@transaction.atomic
def attachment_add(*, user, item: DisclosureItem, upload) -> DisclosureAttachment:
    """An image or PDF on a draft."""
    item = _locked(user, item)
    require_perm(user, perm("change"), item)
    if item.state != ItemState.DRAFT:
        raise RuleViolation("DISC-3", _("只有草稿可以添加附件"))
    if item.attachments.count() >= rules.MAX_ATTACHMENTS:
        raise ValidationError({"file": _("附件不能超过 %(n)s 个") % {"n": rules.MAX_ATTACHMENTS}})
    content_type = check_upload(upload)
    name = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:200]
    attachment = DisclosureAttachment(
        item=item,
        name=name,
        content_type=content_type,
        size=upload.size,
        uploaded_by=user,
    )
    attachment.file.save(name, upload, save=False)
    try:
        attachment.full_clean(exclude=["file"])
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, user, instance: DisclosureAttachment) -> None:
    item = _locked(user, instance.item)
    require_perm(user, perm("change"), item)
    if item.state != ItemState.DRAFT:
        raise RuleViolation("DISC-3", _("只有草稿可以删除附件"))
    stored = instance.file
    DisclosureAttachment.objects.filter(pk=instance.pk, item=item).delete()
    transaction.on_commit(lambda: stored.delete(save=False))
