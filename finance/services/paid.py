"""Paid courses and activities (FIN-8, 003 十八(四)(五)): an assembly resolution reference
(as for SERVICE_FEE incomes), a standard fee, preferential rates for vulnerable groups that
never exceed it, fees for community construction only."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.services import instance_save, require
from finance import rules
from finance.models import PaidService, PaidServiceRate
from finance.services.common import check_amount


def _check_service(instance: PaidService) -> None:
    if not (instance.resolution_ref or "").strip():
        raise RuleViolation(
            "FIN-8",
            _("有偿服务须经居民代表会议议定，请填写决议文号（003 十八(五)）"),
            field="resolution_ref",
        )
    if not rules.service_fee_use_allowed(instance.use_of_fees):
        raise RuleViolation(
            "FIN-8",
            _("服务收费必须用于社区建设，不得用于社区工作人员福利（003 十八(五)）"),
            field="use_of_fees",
        )
    if instance.facility_id and instance.facility.community_id != instance.community_id:
        raise ValidationError({"facility": _("服务用房不属于本社区")})
    check_amount(instance.standard_fee, "standard_fee")


def _check_rate(rate: PaidServiceRate, standard) -> None:
    if rate.fee is None or rate.fee < 0:
        raise ValidationError({"fee": _("优惠收费不能为负数")})
    if not rules.preferential_rate_allowed(rate.fee, standard):
        raise RuleViolation(
            "FIN-8",
            _("%(group)s的优惠收费 %(fee)s 元高于收费标准 %(standard)s 元（003 十八(四)）")
            % {"group": rate.group, "fee": rate.fee, "standard": standard},
            field="fee",
        )


def paid_service_validate(*, user, instance: PaidService) -> None:
    _check_service(instance)
    if instance.pk:
        over = PaidServiceRate.objects.filter(service_id=instance.pk, fee__gt=instance.standard_fee)
        rate = over.select_related("group").first()
        if rate is not None:
            _check_rate(rate, instance.standard_fee)


@transaction.atomic
def paid_service_save(*, user, instance: PaidService, rates=None) -> PaidService:
    """Create or change a paid service; `rates` (optional) is a list of (group, fee) that
    replaces its preferential rates. Every rate is at most the standard fee (FIN-8)."""
    if instance.pk:
        PaidService.objects.select_for_update().filter(pk=instance.pk).first()
    _check_service(instance)
    instance = instance_save(user=user, instance=instance)
    if rates is not None:
        instance.rates.all().delete()
        for group, fee in rates:
            rate = PaidServiceRate(
                service=instance, community_id=instance.community_id, group=group, fee=fee
            )
            _check_rate(rate, instance.standard_fee)
            rate.full_clean()
            rate.save()
    paid_service_validate(user=user, instance=instance)
    return instance


def paid_rate_validate(*, user, instance: PaidServiceRate) -> None:
    if instance.service_id:
        _check_rate(instance, instance.service.standard_fee)


@transaction.atomic
def paid_rate_save(*, user, instance: PaidServiceRate) -> PaidServiceRate:
    service = PaidService.objects.select_for_update().filter(pk=instance.service_id).first()
    if service is None:
        raise Http404
    instance.community_id = service.community_id
    require(user, f"finance.{'change' if instance.pk else 'add'}_paidservicerate", instance)
    _check_rate(instance, service.standard_fee)
    instance.full_clean()
    instance.save()
    return instance


paid_rate_check = _check_rate

__all__ = [
    "paid_rate_check",
    "paid_rate_save",
    "paid_rate_validate",
    "paid_service_save",
    "paid_service_validate",
]
