"""The receipt-form register (票据收、缴、存, FIN-11, 003 十四(二) "建立、健全票据收、缴、存的管理
制度"): books of receipt forms received from the street as a numbered range (收), each number
used once — issued for money received, linked to its Income, or voided with a reason — and
unused numbers handed back to the street (缴); what is left is the stock (存). Written only
through finance.services.receipts."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.audit import audited
from core.models import TimeStampedModel
from finance.models.accounts import Income
from finance.models.choices import money

User = settings.AUTH_USER_MODEL
# Input sanity, not a seed number: a book of receipts holds tens or hundreds of forms.
MAX_BATCH_SIZE = 10000


class ReceiptState(models.TextChoices):
    ISSUED = "issued", _("已开具")
    VOIDED = "voided", _("已作废")


def number_label(series: str, number: int) -> str:
    """How a receipt number is printed: its series (字轨) and eight digits."""
    return f"{series}{number:08d}"


@audited
class ReceiptBatch(TimeStampedModel):
    """A book (or box) of receipt forms received from the street: numbers first_no to
    last_no of one series (收)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="receipt_batches", verbose_name=_("社区")
    )
    series = models.CharField(
        _("票据字轨"), max_length=20, blank=True, help_text=_("票号前的字母或字轨，可为空")
    )
    first_no = models.PositiveIntegerField(_("起始号码"))
    last_no = models.PositiveIntegerField(_("终止号码"))
    received_on = models.DateField(_("领用日期"))
    source = models.CharField(_("领用自"), max_length=100, help_text=_("如：街道财政所"))
    received_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("领用人")
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("票据领用（号段）")
        verbose_name_plural = _("票据领用（号段）")
        ordering = ["community_id", "series", "first_no"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_no__gte=1) & Q(last_no__gte=F("first_no")),
                name="finance_receipt_batch_range",
                violation_error_message=_("[FIN-11] 终止号码不能小于起始号码，号码从 1 起"),
            ),
            models.CheckConstraint(
                condition=Q(last_no__lt=F("first_no") + MAX_BATCH_SIZE),
                name="finance_receipt_batch_size",
                violation_error_message=_("[FIN-11] 一次领用的号段过大"),
            ),
            models.UniqueConstraint(
                fields=["community", "series", "first_no"],
                name="finance_receipt_batch_unique",
                violation_error_message=_("[FIN-11] 该号段已登记"),
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.label(self.first_no)}—{self.label(self.last_no)}"

    def label(self, number: int) -> str:
        return number_label(self.series, number)

    @property
    def size(self) -> int:
        return self.last_no - self.first_no + 1

    def contains(self, number: int) -> bool:
        return self.first_no <= number <= self.last_no


@audited
class Receipt(TimeStampedModel):
    """One number of a batch, used once (the unique constraint): issued for money received
    (linked to its Income where it records one) or voided with the reason (spoiled form or
    cancelled receipt); a voided receipt is kept, and its number never used again."""

    parent_field = "batch"

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("社区")
    )
    batch = models.ForeignKey(
        ReceiptBatch, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("号段")
    )
    number = models.PositiveIntegerField(_("号码"))
    state = models.CharField(_("状态"), max_length=10, choices=ReceiptState.choices)
    issued_on = models.DateField(_("日期"))
    payer = models.CharField(_("交款单位或个人"), max_length=200, blank=True)
    amount = money(_("金额（元）"), null=True, blank=True)
    purpose = models.CharField(_("收款事由"), max_length=200, blank=True)
    income = models.ForeignKey(
        Income,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipts",
        verbose_name=_("对应收入"),
        help_text=_("FIN-11 账证相符：收据所记的收入"),
    )
    issued_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("开票人")
    )
    void_reason = models.CharField(_("作废原因"), max_length=200, blank=True)
    voided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("作废人"),
    )
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("票据使用登记")
        verbose_name_plural = _("票据使用登记")
        ordering = ["batch_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "number"],
                name="finance_receipt_number_once",
                violation_error_message=_("[FIN-11] 该票号已使用，不得重复使用"),
            ),
            models.UniqueConstraint(
                fields=["income"],
                condition=Q(state="issued"),
                name="finance_receipt_one_per_income",
                violation_error_message=_("[FIN-11] 该笔收入已开具收据"),
            ),
            models.CheckConstraint(
                condition=Q(state="issued", amount__gt=0, void_reason="")
                | (Q(state="voided") & ~Q(void_reason="")),
                name="finance_receipt_state_fields",
                violation_error_message=_("[FIN-11] 开具的收据须有金额；作废须注明原因"),
            ),
        ]

    def __str__(self):
        return f"{self.label} {self.get_state_display()}"

    @property
    def label(self) -> str:
        return number_label(self.batch.series, self.number)


@audited
class ReceiptHandIn(TimeStampedModel):
    """Unused numbers of a batch handed back to the street (缴销): they leave the stock and
    are never issued."""

    parent_field = "batch"

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="receipt_hand_ins", verbose_name=_("社区")
    )
    batch = models.ForeignKey(
        ReceiptBatch, on_delete=models.PROTECT, related_name="hand_ins", verbose_name=_("号段")
    )
    first_no = models.PositiveIntegerField(_("起始号码"))
    last_no = models.PositiveIntegerField(_("终止号码"))
    handed_on = models.DateField(_("缴销日期"))
    handed_to = models.CharField(_("缴交至"), max_length=100)
    handed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人")
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("票据缴销")
        verbose_name_plural = _("票据缴销")
        ordering = ["batch_id", "first_no"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_no__gte=F("first_no")),
                name="finance_receipt_handin_range",
                violation_error_message=_("[FIN-11] 终止号码不能小于起始号码"),
            ),
        ]

    def __str__(self):
        return f"{self.batch.label(self.first_no)}—{self.batch.label(self.last_no)}"

    @property
    def count(self) -> int:
        return self.last_no - self.first_no + 1
