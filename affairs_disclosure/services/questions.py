"""Residents' questions, suggestions and complaints (DISC-4, 003 四(四)(五)): received from
the public item page without login, handled as a case with a deadline, answered with a reply
that is published under the item (or closed without publication, with a reason)."""

import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from affairs_disclosure import rules
from affairs_disclosure.models import (
    PUBLIC_STATES,
    DisclosureItem,
    QuestionKind,
    QuestionState,
    ResidentQuestion,
)
from affairs_disclosure.services.common import bump_public_version, require_perm
from core.errors import RuleViolation

REPLY_PERM = "affairs_disclosure.change_residentquestion"


def question_problems(*, body: str, contact: str, kind: str) -> dict[str, str]:
    """The form's errors in Chinese, by field (empty when the input is acceptable)."""
    errors = {}
    body = (body or "").strip()
    if not body:
        errors["body"] = _("请填写内容")
    elif len(body) < rules.QUESTION_MIN_CHARS:
        errors["body"] = _("内容过短，请至少写 %(n)s 个字") % {"n": rules.QUESTION_MIN_CHARS}
    elif len(body) > rules.QUESTION_MAX_CHARS:
        errors["body"] = _("内容过长（%(len)s 字），请不超过 %(n)s 字") % {
            "len": len(body),
            "n": rules.QUESTION_MAX_CHARS,
        }
    if len((contact or "").strip()) > rules.QUESTION_CONTACT_MAX_CHARS:
        errors["contact"] = _("联系方式不能超过 %(n)s 字") % {"n": rules.QUESTION_CONTACT_MAX_CHARS}
    if kind not in QuestionKind.values:
        errors["kind"] = _("请选择类型")
    return errors


def _reply_days(item: DisclosureItem) -> int:
    """DISC-4: the community's profile's days to answer a question."""
    from core.models import PolicyProfile

    return (
        PolicyProfile.objects.filter(communities=item.community_id)
        .values_list("question_reply_days", flat=True)
        .get()
    )


def question_submit(
    *, item: DisclosureItem, kind: str, body: str, contact: str, token: uuid.UUID
) -> tuple[ResidentQuestion, bool]:
    """Record a resident's question about a public item. `token` is the form's one-time
    token: a second submit of the same form finds its row (created False) instead of making
    another, also when both arrive at the same moment (the unique index decides)."""
    if item.state not in PUBLIC_STATES:
        raise Http404
    errors = question_problems(body=body, contact=contact, kind=kind)
    if errors:
        raise ValidationError(errors)
    existing = ResidentQuestion.objects.filter(token=token).first()
    if existing is not None:
        return existing, False
    question = ResidentQuestion(
        community_id=item.community_id,
        item=item,
        kind=kind,
        body=body.strip(),
        contact=(contact or "").strip(),
        token=token,
        due_on=rules.question_due(timezone.localdate(), _reply_days(item)),
    )
    try:
        with transaction.atomic():
            question.save()
    except IntegrityError:
        existing = ResidentQuestion.objects.filter(token=token).first()
        if existing is None:
            raise
        return existing, False
    return question, True


def _locked(user, question) -> ResidentQuestion:
    row = ResidentQuestion.objects.filter(pk=question.pk).only("pk", "community_id").first()
    if row is None:
        raise Http404
    require_perm(user, REPLY_PERM, row, _("您没有办理居民意见的权限"))
    return (
        ResidentQuestion.objects.select_for_update(of=("self",))
        .select_related("item")
        .get(pk=question.pk)
    )


@transaction.atomic
def question_reply(
    *, user, question: ResidentQuestion, reply: str, public_text: str = ""
) -> ResidentQuestion:
    """DISC-4 (003 四(四) 及时查处并公布调查处理结果): answer a question; the reply and the
    question's public text (by default its own words; the handler may remove personal
    details) are published under the item at once. A published reply never changes."""
    reply = (reply or "").strip()
    errors = {}
    if not reply:
        errors["reply"] = _("请填写答复内容")
    elif len(reply) > rules.REPLY_MAX_CHARS:
        errors["reply"] = _("答复不能超过 %(n)s 字") % {"n": rules.REPLY_MAX_CHARS}
    if len((public_text or "").strip()) > rules.QUESTION_MAX_CHARS:
        errors["public_text"] = _("公开的问题摘要不能超过 %(n)s 字") % {
            "n": rules.QUESTION_MAX_CHARS
        }
    if errors:
        raise ValidationError(errors)
    question = _locked(user, question)
    if question.state != QuestionState.OPEN:
        raise RuleViolation(
            "DISC-4",
            _("该意见已办理（%(state)s）") % {"state": question.get_state_display()},
        )
    question.public_text = (public_text or "").strip() or question.body
    question.reply = reply
    question.state = QuestionState.ANSWERED
    question.replied_at, question.replied_by = timezone.now(), user
    question.full_clean()
    question.save()
    bump_public_version(question.community_id)
    return question


@transaction.atomic
def question_close(*, user, question: ResidentQuestion, reason: str) -> ResidentQuestion:
    """Close a question without publishing it (a duplicate, an advertisement, a private
    matter answered to the resident directly), with the reason recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"close_reason": _("请填写办结说明")})
    question = _locked(user, question)
    if question.state != QuestionState.OPEN:
        raise RuleViolation(
            "DISC-4",
            _("该意见已办理（%(state)s）") % {"state": question.get_state_display()},
        )
    question.state = QuestionState.CLOSED
    question.close_reason = reason[:500]
    question.replied_at, question.replied_by = timezone.now(), user
    question.save()
    return question
