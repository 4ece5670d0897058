"""In-kind donations and subsidies (实物捐赠, FIN-5 003 十四(三) "补助款物、捐赠款物等应全额入账，
专款专用"): recorded in full (item, quantity, estimated value, donor, earmark) and handed out
only for their earmark, each distribution recorded. Written only through
finance.services.donations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.audit import audited
from core.models import TimeStampedModel
from finance.models.choices import ExpenseCategory, money

User = settings.AUTH_USER_MODEL
QUANTITY = {"max_digits": 12, "decimal_places": 2}


@audited
class InKindDonation(TimeStampedModel):
    """Goods received (FIN-5 全额入账): what, how many, their estimated value, from whom and
    for what purpose (专款专用)."""

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="in_kind_donations",
        verbose_name=_("社区"),
    )
    item = models.CharField(_("物品名称"), max_length=100)
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    unit = models.CharField(_("单位"), max_length=10, help_text=_("如：袋、件、箱"))
    estimated_value = money(_("估价（元）"), _("FIN-5：按市场价或捐赠凭证估价，全额登记"))
    donor = models.CharField(_("捐赠单位或个人"), max_length=200)
    received_on = models.DateField(_("接收日期"))
    earmark_category = models.CharField(
        _("限定用途"),
        max_length=20,
        choices=ExpenseCategory.choices,
        help_text=_("FIN-5：专款专用，只能用于此类用途"),
    )
    earmark_purpose = models.CharField(_("用途说明"), max_length=200)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("实物捐赠")
        verbose_name_plural = _("实物捐赠")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(estimated_value__gt=0),
                name="finance_inkind_positive",
                violation_error_message=_("[FIN-5] 数量和估价必须大于 0"),
            ),
            models.CheckConstraint(
                condition=~Q(earmark_category="") & ~Q(earmark_category="staff_welfare"),
                name="finance_inkind_earmark",
                violation_error_message=_(
                    "[FIN-5] 捐赠物资须注明限定用途，且不得用于社区工作人员福利"
                ),
            ),
        ]

    def __str__(self):
        return f"{self.received_on} {self.item} {self.quantity}{self.unit}"


@audited
class InKindDistribution(TimeStampedModel):
    """Goods of a donation handed out or used, for its earmark only (FIN-5 专款专用); their
    value is the donation's estimated value pro rata."""

    parent_field = "donation"

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="in_kind_distributions",
        verbose_name=_("社区"),
    )
    donation = models.ForeignKey(
        InKindDonation,
        on_delete=models.PROTECT,
        related_name="distributions",
        verbose_name=_("实物捐赠"),
    )
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    value = money(_("折合金额（元）"), _("按捐赠估价折算"))
    distributed_on = models.DateField(_("发放日期"))
    category = models.CharField(_("用途类别"), max_length=20, choices=ExpenseCategory.choices)
    recipient = models.CharField(_("领用人或受助对象"), max_length=200)
    purpose = models.CharField(_("用途"), max_length=200)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )

    class Meta:
        verbose_name = _("实物发放")
        verbose_name_plural = _("实物发放")
        ordering = ["donation_id", "distributed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="finance_inkind_distribution_positive",
                violation_error_message=_("数量必须大于 0"),
            ),
        ]

    def __str__(self):
        return f"{self.distributed_on} {self.recipient} {self.quantity}"
