"""In-kind donations (FIN-5, 003 十四(三) 捐赠款物全额入账、专款专用): recorded in full with
their earmark; distributed only for it, never more than was received, each distribution
valued pro rata so the distributions of a donation add up to its estimated value."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.services import require
from finance import rules
from finance.models import ExpenseCategory, InKindDistribution, InKindDonation
from finance.services.common import check_amount, check_not_future

ZERO = Decimal("0.00")


def _quantity(value, field="quantity") -> Decimal:
    try:
        value = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("数量格式不正确")}) from None
    if not value.is_finite() or value <= 0:
        raise ValidationError({field: _("数量必须大于 0")})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({field: _("数量最多保留两位小数")})
    return value.quantize(Decimal("0.01"))


def in_kind_validate(*, user, instance: InKindDonation) -> None:
    if instance.pk is not None:
        raise ValidationError(_("实物捐赠登记后不能修改"))
    if instance.earmark_category == ExpenseCategory.STAFF_WELFARE:
        raise RuleViolation(
            "FIN-5", _("捐赠物资不得用于社区工作人员福利"), field="earmark_category"
        )
    if not instance.earmark_category:
        raise RuleViolation(
            "FIN-5",
            _("捐赠物资应注明限定用途，专款专用（003 十四(三)）"),
            field="earmark_category",
        )


@transaction.atomic
def in_kind_record(*, user, instance: InKindDonation) -> InKindDonation:
    """Record goods received, in full (item, quantity, estimated value, donor, earmark)."""
    require(user, "finance.add_inkinddonation", instance)
    in_kind_validate(user=user, instance=instance)
    instance.quantity = _quantity(instance.quantity)
    value = check_amount(instance.estimated_value, "estimated_value")
    instance.estimated_value = value.quantize(Decimal("0.01"))
    instance.received_on = check_not_future(instance.received_on, "received_on")
    instance.recorded_by = user
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def in_kind_distribute(
    *,
    user,
    donation: InKindDonation,
    quantity,
    recipient: str,
    purpose: str,
    category: str | None = None,
    distributed_on: dt.date | None = None,
) -> InKindDistribution:
    """Hand out (or use) goods of a donation for its earmark only (FIN-5); never more than
    what is left. The donation row is locked: two distributions at once cannot overdraw."""
    current = InKindDonation.objects.filter(pk=donation.pk).only("pk", "community_id").first()
    if current is None:
        raise Http404
    probe = InKindDistribution(community_id=current.community_id)
    require(user, "finance.add_inkinddistribution", probe)
    donation = InKindDonation.objects.select_for_update().get(pk=donation.pk)
    quantity = _quantity(quantity)
    distributed_on = check_not_future(distributed_on, "distributed_on")
    if distributed_on < donation.received_on:
        raise ValidationError({"distributed_on": _("发放日期不能早于接收日期")})
    category = category or donation.earmark_category
    if not rules.earmark_allows(donation.earmark_category, category):
        raise RuleViolation(
            "FIN-5",
            _("该批物资限定用于“%(earmark)s”，不得用于“%(category)s”（专款专用）")
            % {
                "earmark": donation.get_earmark_category_display(),
                "category": ExpenseCategory(category).label
                if category in ExpenseCategory.values
                else category,
            },
            field="category",
        )
    done = donation.distributions.aggregate(q=Sum("quantity"), v=Sum("value"))
    taken, valued = done["q"] or ZERO, done["v"] or ZERO
    left = donation.quantity - taken
    if quantity > left:
        raise RuleViolation(
            "FIN-5",
            _("剩余 %(left)s%(unit)s，不足以发放 %(q)s%(unit)s")
            % {"left": left, "unit": donation.unit, "q": quantity},
            field="quantity",
        )
    if quantity == left:
        value = donation.estimated_value - valued
    else:
        value = rules.in_kind_value(donation.estimated_value, donation.quantity, quantity)
    row = InKindDistribution(
        community_id=donation.community_id,
        donation=donation,
        quantity=quantity,
        value=value,
        distributed_on=distributed_on,
        category=category,
        recipient=(recipient or "").strip(),
        purpose=(purpose or "").strip(),
        recorded_by=user,
    )
    row.full_clean()
    row.save()
    return row


__all__ = ["in_kind_distribute", "in_kind_record", "in_kind_validate"]
