"""The receipt-form register (FIN-11, 003 十四(二) 票据收、缴、存): batches received from the
street, each number used once (issued, linked to its income, or voided with a reason), never
a number skipped without a void, unused numbers handed back; stock = received − issued −
voided − handed in. Every write locks the batch row, so two people issuing the same number
at once get exactly one receipt (the unique constraint stands behind it)."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.services import require
from finance import rules
from finance.models import Income, Receipt, ReceiptBatch, ReceiptHandIn, ReceiptState
from finance.services.common import check_amount, check_not_future

CENT = Decimal("0.01")


def _lock_register(community_id: int) -> None:
    """One writer of a community's batches at a time (overlap checks)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [11, community_id])


def _locked_batch(user, batch, perm: str) -> ReceiptBatch:
    current = ReceiptBatch.objects.filter(pk=batch.pk).only("pk", "community_id").first()
    if current is None:
        raise Http404
    require(user, perm, current)
    return ReceiptBatch.objects.select_for_update().get(pk=batch.pk)


def batch_accounting(batch: ReceiptBatch) -> tuple[set[int], list[tuple[int, int]]]:
    """The numbers of a batch already used (issued or voided) and its handed-in ranges."""
    used = set(Receipt.objects.filter(batch=batch).values_list("number", flat=True))
    ranges = list(ReceiptHandIn.objects.filter(batch=batch).values_list("first_no", "last_no"))
    return used, ranges


def _handed_in(number: int, ranges) -> bool:
    return any(a <= number <= b for a, b in ranges)


def batch_next_number(batch: ReceiptBatch, used=None, ranges=None) -> int | None:
    """The lowest number of the batch neither used nor handed in (None: nothing left)."""
    if used is None:
        used, ranges = batch_accounting(batch)
    for number in range(batch.first_no, batch.last_no + 1):
        if number not in used and not _handed_in(number, ranges):
            return number
    return None


def _check_number(batch: ReceiptBatch, number, used, ranges) -> int:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise ValidationError({"number": _("请填写票号")}) from None
    if not batch.contains(number):
        raise RuleViolation(
            "FIN-11",
            _("票号 %(no)s 不在本号段 %(first)s—%(last)s 内")
            % {
                "no": batch.label(number) if number >= 0 else number,
                "first": batch.label(batch.first_no),
                "last": batch.label(batch.last_no),
            },
            field="number",
        )
    if number in used:
        raise RuleViolation(
            "FIN-11",
            _("票号 %(no)s 已使用（开具或作废），不得重复使用") % {"no": batch.label(number)},
            field="number",
        )
    if _handed_in(number, ranges):
        raise RuleViolation(
            "FIN-11", _("票号 %(no)s 已缴销") % {"no": batch.label(number)}, field="number"
        )
    return number


def _save(receipt: Receipt) -> Receipt:
    try:
        with transaction.atomic():
            receipt.save()
    except IntegrityError:
        raise RuleViolation(
            "FIN-11",
            _("票号 %(no)s 已使用，不得重复使用") % {"no": receipt.label},
            field="number",
        ) from None
    return receipt


# --- 收: batches ----------------------------------------------------------------------------


def receipt_batch_validate(*, user, instance: ReceiptBatch) -> None:
    """The checks of receipt_batch_receive without writing (forms)."""
    if instance.pk is not None:
        raise ValidationError(_("票据号段登记后不能修改"))
    instance.series = (instance.series or "").strip()
    if instance.received_on and instance.received_on > timezone.localdate():
        raise ValidationError({"received_on": _("日期不能晚于今天")})
    if instance.first_no is None or instance.last_no is None or not instance.community_id:
        return
    overlap = (
        ReceiptBatch.objects.filter(
            community_id=instance.community_id,
            series=instance.series,
            first_no__lte=instance.last_no,
            last_no__gte=instance.first_no,
        )
        .order_by("first_no")
        .first()
    )
    if overlap is not None:
        raise RuleViolation(
            "FIN-11",
            _("号段与已领用的号段 %(other)s 重叠") % {"other": overlap},
            field="first_no",
        )


@transaction.atomic
def receipt_batch_receive(*, user, instance: ReceiptBatch) -> ReceiptBatch:
    """收: record a batch of receipt forms received from the street (never changed)."""
    if instance.pk is not None:
        raise ValidationError(_("票据号段登记后不能修改"))
    require(user, "finance.add_receiptbatch", instance)
    instance.received_by = user
    instance.received_on = check_not_future(instance.received_on, "received_on")
    instance.full_clean()
    _lock_register(instance.community_id)
    receipt_batch_validate(user=user, instance=instance)
    instance.save()
    return instance


# --- 用: issue and void -----------------------------------------------------------------------


@transaction.atomic
def receipt_issue(
    *,
    user,
    batch: ReceiptBatch,
    amount,
    payer: str,
    number: int | None = None,
    issued_on: dt.date | None = None,
    purpose: str = "",
    income: Income | None = None,
) -> Receipt:
    """Issue the receipt `number` (default: the next one) of a batch for money received,
    linked to its income where it records one. Refused outside the batch, for a number
    already used or handed in, and when a lower number was skipped without a void."""
    batch = _locked_batch(user, batch, "finance.add_receipt")
    amount = check_amount(amount).quantize(CENT)
    issued_on = check_not_future(issued_on, "issued_on")
    if issued_on < batch.received_on:
        raise ValidationError({"issued_on": _("开票日期不能早于票据领用日期")})
    if not (payer or "").strip():
        raise ValidationError({"payer": _("请填写交款单位或个人")})
    used, ranges = batch_accounting(batch)
    if number is None:
        number = batch_next_number(batch, used, ranges)
        if number is None:
            raise RuleViolation("FIN-11", _("本号段票据已用完，请领用新的票据"))
    number = _check_number(batch, number, used, ranges)
    below = sum(1 for n in used if n < number) + sum(
        max(0, min(b, number - 1) - a + 1) for a, b in ranges if a < number
    )
    skipped = rules.receipt_numbers_skipped(batch.first_no, number, below)
    if skipped:
        raise RuleViolation(
            "FIN-11",
            _("票号 %(no)s 之前还有 %(n)s 个号码未使用，不得跳号开票；损坏或填错的票据请先作废")
            % {"no": batch.label(number), "n": skipped},
            field="number",
        )
    if income is not None:
        income = (
            Income.objects.select_for_update()
            .filter(pk=income.pk, community_id=batch.community_id)
            .first()
        )
        if income is None:
            raise ValidationError({"income": _("收入不存在或不属于本社区")})
        if income.amount != amount:
            raise RuleViolation(
                "FIN-11",
                _("收据金额 %(amount)s 元与收入金额 %(income)s 元不符（账证相符）")
                % {"amount": amount, "income": income.amount},
                field="amount",
            )
        if Receipt.objects.filter(income=income, state=ReceiptState.ISSUED).exists():
            raise RuleViolation("FIN-11", _("该笔收入已开具收据"), field="income")
    receipt = Receipt(
        community_id=batch.community_id,
        batch=batch,
        number=number,
        state=ReceiptState.ISSUED,
        issued_on=issued_on,
        payer=payer.strip(),
        amount=amount,
        purpose=(purpose or "").strip(),
        income=income,
        issued_by=user,
    )
    receipt.full_clean(validate_unique=False, validate_constraints=False)
    return _save(receipt)


@transaction.atomic
def receipt_void(*, user, batch: ReceiptBatch, number, reason: str) -> Receipt:
    """Void a number: a spoiled blank form (a new voided row) or an issued receipt (kept,
    marked voided with who, when and why). The number is never used again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"void_reason": _("请填写作废原因")})
    batch = _locked_batch(user, batch, "finance.add_receipt")
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise ValidationError({"number": _("请填写票号")}) from None
    existing = Receipt.objects.filter(batch=batch, number=number).first()
    now = timezone.now()
    if existing is not None:
        if existing.state == ReceiptState.VOIDED:
            raise RuleViolation("FIN-11", _("票号 %(no)s 已作废") % {"no": existing.label})
        require(user, "finance.change_receipt", existing)
        existing.state = ReceiptState.VOIDED
        existing.void_reason = reason[:200]
        existing.voided_by, existing.voided_at = user, now
        existing.save()
        return existing
    used, ranges = batch_accounting(batch)
    number = _check_number(batch, number, used, ranges)
    receipt = Receipt(
        community_id=batch.community_id,
        batch=batch,
        number=number,
        state=ReceiptState.VOIDED,
        issued_on=timezone.localdate(),
        issued_by=user,
        void_reason=reason[:200],
        voided_by=user,
        voided_at=now,
    )
    receipt.full_clean(validate_unique=False, validate_constraints=False)
    return _save(receipt)


# --- 缴: hand in unused numbers -------------------------------------------------------------


@transaction.atomic
def receipt_hand_in(
    *,
    user,
    batch: ReceiptBatch,
    first_no,
    last_no,
    handed_to: str,
    handed_on: dt.date | None = None,
    note: str = "",
) -> ReceiptHandIn:
    """缴销: hand unused numbers of a batch back to the street; none of them may have been
    used or handed in before."""
    batch = _locked_batch(user, batch, "finance.add_receipthandin")
    handed_on = check_not_future(handed_on, "handed_on")
    if not (handed_to or "").strip():
        raise ValidationError({"handed_to": _("请填写缴交单位")})
    try:
        first_no, last_no = int(first_no), int(last_no)
    except (TypeError, ValueError):
        raise ValidationError({"first_no": _("请填写号码")}) from None
    if first_no > last_no:
        raise ValidationError({"last_no": _("终止号码不能小于起始号码")})
    if not (batch.contains(first_no) and batch.contains(last_no)):
        raise RuleViolation(
            "FIN-11",
            _("缴销号码须在本号段 %(first)s—%(last)s 内")
            % {"first": batch.label(batch.first_no), "last": batch.label(batch.last_no)},
            field="first_no",
        )
    used, ranges = batch_accounting(batch)
    taken = sorted(n for n in used if first_no <= n <= last_no)
    if taken:
        raise RuleViolation(
            "FIN-11",
            _("票号 %(no)s 已使用，只能缴销未使用的票据") % {"no": batch.label(taken[0])},
            field="first_no",
        )
    if any(a <= last_no and b >= first_no for a, b in ranges):
        raise RuleViolation("FIN-11", _("所选号码已缴销"), field="first_no")
    hand_in = ReceiptHandIn(
        community_id=batch.community_id,
        batch=batch,
        first_no=first_no,
        last_no=last_no,
        handed_on=handed_on,
        handed_to=handed_to.strip(),
        handed_by=user,
        note=(note or "").strip(),
    )
    hand_in.full_clean()
    hand_in.save()
    return hand_in


__all__ = [
    "batch_accounting",
    "batch_next_number",
    "receipt_batch_receive",
    "receipt_batch_validate",
    "receipt_hand_in",
    "receipt_issue",
    "receipt_void",
]
