"""Expense claims (FIN-3/4/5/8/9), their invoices, approvals and payments.

The claim's life is a django-fsm state machine. The transition methods below only move the
state and stamp who and when; they are called only by finance.services, inside a transaction
that has locked the claim's row (select_for_update), after the service checked who may do
it. pghistory triggers record every change of the row (@audited), so each transition is in
the audit trail with the request's user.

    draft ──submit──▶ submitted ──director──▶ director_approved ──street──▶ street_approved
                                                   │                             │
                                                   │ (director only)   collective▼
                                                   └──────────pay──────▶ paid ◀── collective_reviewed
    submitted / director_approved / street_approved ──reject──▶ rejected
    draft / submitted ──withdraw──▶ withdrawn

Which steps a claim needs (FIN-3) is computed at submission from the amount and the
community's profile and fixed on the claim (needs_street_approval, needs_collective_review,
steps_params): a later profile change does not alter a claim in flight.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from communities.models import Community
from core.audit import audited
from core.models import TimeStampedModel
from finance.models.accounts import AllowanceStandard, BudgetLine, Income
from finance.models.choices import (
    APPROVED_STATES,
    ApprovalStep,
    AttachmentKind,
    ClaimState,
    Decision,
    ExpenseCategory,
    PaymentMethod,
    money,
)

User = settings.AUTH_USER_MODEL


def _user_fk(verbose, **kwargs):
    return models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose,
        **kwargs,
    )


@audited
class ExpenseClaim(FSMModelMixin, TimeStampedModel):
    """One expense claim (报销单) of a community."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="expense_claims", verbose_name=_("社区")
    )
    claimant = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="expense_claims", verbose_name=_("报销人")
    )
    payee = models.CharField(_("收款人（单位）"), max_length=100)
    purpose = models.CharField(_("用途"), max_length=200)
    amount = money(_("金额（元）"), _("FIN-3：按金额确定审批层级；FIN-4：一千元以上须转账"))
    expense_date = models.DateField(_("支出日期"))
    budget_line = models.ForeignKey(
        BudgetLine, on_delete=models.PROTECT, related_name="claims", verbose_name=_("预算项目")
    )
    category = models.CharField(
        _("支出类别"),
        max_length=20,
        choices=ExpenseCategory.choices,
        editable=False,
        help_text=_("取自预算项目"),
    )
    payment_method = models.CharField(
        _("支付方式"),
        max_length=10,
        choices=PaymentMethod.choices,
        default=PaymentMethod.TRANSFER,
        help_text=_("FIN-4：一千元以上的支出不得使用现金"),
    )
    funded_by = models.ForeignKey(
        Income,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funded_claims",
        verbose_name=_("使用专项资金"),
        help_text=_("FIN-5：使用补助、捐赠等专项资金的，须符合其限定用途"),
    )
    allowance_standard = models.ForeignKey(
        AllowanceStandard,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("补贴标准"),
        help_text=_("FIN-9：补贴类支出须对应街道制定的标准"),
    )
    allowance_units = models.PositiveSmallIntegerField(
        _("补贴人·月数"), default=1, help_text=_("FIN-9：上限 = 标准 × 人·月数")
    )
    large_amount_confirmed = models.BooleanField(
        _("已二次确认大额"), default=False, help_text=_("金额超过 100 万元须再次确认")
    )
    note = models.TextField(_("备注"), blank=True)

    state = FSMField(
        _("状态"),
        max_length=20,
        choices=ClaimState.choices,
        default=ClaimState.DRAFT,
        protected=True,
    )
    # FIN-3, fixed at submission.
    needs_street_approval = models.BooleanField(_("须街道会签"), default=False)
    needs_collective_review = models.BooleanField(_("须监督小组集体审议"), default=False)
    steps_params = models.JSONField(
        _("审批时适用参数"), default=dict, blank=True, help_text=_("提交时的方案参数")
    )
    # Who and when, per transition.
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    director_approved_at = models.DateTimeField(_("主任审批时间"), null=True, blank=True)
    director_approved_by = _user_fk(_("主任审批人"))
    street_approved_at = models.DateTimeField(_("街道会签时间"), null=True, blank=True)
    street_approved_by = _user_fk(_("街道会签人"))
    collective_reviewed_at = models.DateTimeField(_("集体审议时间"), null=True, blank=True)
    collective_reviewed_by = _user_fk(_("集体审议记录人"))
    paid_at = models.DateTimeField(_("付清时间"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("驳回时间"), null=True, blank=True)
    rejected_by = _user_fk(_("驳回人"))
    reject_reason = models.TextField(_("驳回理由"), blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报销单")
        verbose_name_plural = _("报销单")
        ordering = ["-submitted_at", "-pk"]
        permissions = [
            ("director_approve_expenseclaim", _("报销单主任审批（FIN-3）")),
            ("street_approve_expenseclaim", _("报销单街道会签（FIN-3）")),
            ("collective_review_expenseclaim", _("报销单监督小组集体审议（FIN-3）")),
            ("pay_expenseclaim", _("报销单付款（出纳）")),
        ]
        indexes = [
            models.Index(fields=["state", "community"], name="finance_claim_state_comm"),
            models.Index(fields=["community", "expense_date"], name="finance_claim_comm_date"),
            models.Index(fields=["claimant", "-created_at"], name="finance_claim_claimant"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="finance_claim_amount_positive",
                violation_error_message=_("金额必须大于 0"),
            ),
            models.CheckConstraint(
                condition=Q(allowance_units__gte=1),
                name="finance_claim_units_positive",
                violation_error_message=_("补贴人·月数至少为 1"),
            ),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "withdrawn"]) | Q(submitted_at__isnull=False),
                name="finance_claim_submitted_has_time",
                violation_error_message=_("已提交的报销单须有提交时间"),
            ),
            models.CheckConstraint(
                condition=~Q(needs_collective_review=True) | Q(needs_street_approval=True),
                name="finance_claim_tiers_cumulative",
                violation_error_message=_("[FIN-3] 审批层级累进：须集体审议的也须街道会签"),
            ),
        ]

    def __str__(self):
        return _("报销单 #%(pk)s %(purpose)s %(amount)s 元") % {
            "pk": self.pk,
            "purpose": self.purpose,
            "amount": self.amount,
        }

    # --- what the claim needs ----------------------------------------------------------------

    @property
    def required_steps(self) -> tuple[str, ...]:
        steps = [ApprovalStep.DIRECTOR]
        if self.needs_street_approval:
            steps.append(ApprovalStep.STREET)
        if self.needs_collective_review:
            steps.append(ApprovalStep.COLLECTIVE)
        return tuple(steps)

    @property
    def required_steps_display(self) -> str:
        return " → ".join(str(ApprovalStep(step).label) for step in self.required_steps)

    @property
    def next_step(self) -> str | None:
        """The step the claim waits for, or None (not pending)."""
        if self.state == ClaimState.SUBMITTED:
            return ApprovalStep.DIRECTOR
        if self.state == ClaimState.DIRECTOR_APPROVED and self.needs_street_approval:
            return ApprovalStep.STREET
        if self.state == ClaimState.STREET_APPROVED and self.needs_collective_review:
            return ApprovalStep.COLLECTIVE
        return None

    @property
    def is_fully_approved(self) -> bool:
        return self.state in APPROVED_STATES and self.next_step is None

    @property
    def is_editable(self) -> bool:
        return self.state == ClaimState.DRAFT

    # --- transitions (called only by finance.services, under the row lock) --------------------

    def _needs_street(self):
        return self.needs_street_approval

    def _needs_collective(self):
        return self.needs_collective_review

    def _not_fully_approved(self):
        return not self.is_fully_approved

    def _fully_approved(self):
        return self.is_fully_approved

    @transition(field=state, source=ClaimState.DRAFT, target=ClaimState.SUBMITTED)
    def submit(self, *, at, needs_street: bool, needs_collective: bool, params: dict):
        self.submitted_at = at
        self.needs_street_approval = needs_street
        self.needs_collective_review = needs_collective
        self.steps_params = params

    @transition(field=state, source=ClaimState.SUBMITTED, target=ClaimState.DIRECTOR_APPROVED)
    def approve_director(self, *, by, at):
        self.director_approved_by = by
        self.director_approved_at = at

    @transition(
        field=state,
        source=ClaimState.DIRECTOR_APPROVED,
        target=ClaimState.STREET_APPROVED,
        conditions=[_needs_street],
    )
    def approve_street(self, *, by, at):
        self.street_approved_by = by
        self.street_approved_at = at

    @transition(
        field=state,
        source=ClaimState.STREET_APPROVED,
        target=ClaimState.COLLECTIVE_REVIEWED,
        conditions=[_needs_collective],
    )
    def review_collective(self, *, by, at):
        self.collective_reviewed_by = by
        self.collective_reviewed_at = at

    @transition(
        field=state,
        source=[ClaimState.SUBMITTED, ClaimState.DIRECTOR_APPROVED, ClaimState.STREET_APPROVED],
        target=ClaimState.REJECTED,
        conditions=[_not_fully_approved],
    )
    def reject(self, *, by, at, reason: str):
        self.rejected_by = by
        self.rejected_at = at
        self.reject_reason = reason

    @transition(
        field=state,
        source=[ClaimState.DRAFT, ClaimState.SUBMITTED],
        target=ClaimState.WITHDRAWN,
    )
    def withdraw(self, *, at):
        self.withdrawn_at = at

    @transition(
        field=state,
        source=list(APPROVED_STATES),
        target=ClaimState.PAID,
        conditions=[_fully_approved],
    )
    def mark_paid(self, *, at):
        self.paid_at = at


# What ClaimAttachment accepts (content is sniffed too: finance.rules.sniff_attachment).
ATTACHMENT_EXTENSIONS = ("jpg", "jpeg", "png", "pdf")
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024


def attachment_path(instance, filename):
    return f"finance/claims/{instance.claim_id}/{filename}"


@audited
class ClaimAttachment(models.Model):
    """An invoice or receipt of a claim (FIN-11 账证相符): JPEG, PNG or PDF, at most 5 MB,
    checked by content as well as by name; added while the claim is a draft."""

    scope_path = "claim__community"

    claim = models.ForeignKey(
        ExpenseClaim, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("报销单")
    )
    kind = models.CharField(
        _("凭证类型"), max_length=10, choices=AttachmentKind.choices, default=AttachmentKind.INVOICE
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("报销凭证")
        verbose_name_plural = _("报销凭证")
        ordering = ["claim_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__lte=ATTACHMENT_MAX_BYTES) & Q(size__gt=0),
                name="finance_attachment_size",
                violation_error_message=_("凭证文件不能超过 5 MB"),
            ),
        ]

    def __str__(self):
        return self.original_name


@audited
class ApprovalRecord(models.Model):
    """One decision on one step of one claim (FIN-3). A step is decided once (unique); the
    collective review also lists the supervision members present and their votes."""

    scope_path = "claim__community"

    claim = models.ForeignKey(
        ExpenseClaim, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("报销单")
    )
    step = models.CharField(_("审批环节"), max_length=20, choices=ApprovalStep.choices)
    decision = models.CharField(_("意见"), max_length=10, choices=Decision.choices)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("审批人（记录人）")
    )
    comment = models.TextField(_("审批意见"), blank=True)
    at = models.DateTimeField(_("审批时间"))

    class Meta:
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
        ordering = ["claim_id", "at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "step"],
                name="finance_one_decision_per_step",
                violation_error_message=_("[FIN-3] 该审批环节已有审批结果，不能重复审批"),
            ),
        ]

    def __str__(self):
        return f"{self.get_step_display()} · {self.get_decision_display()}"


@audited
class ReviewVote(models.Model):
    """A supervision member present at a collective review (FIN-3 集体研究审核) and their vote."""

    scope_path = "record__claim__community"

    record = models.ForeignKey(
        ApprovalRecord, on_delete=models.CASCADE, related_name="votes", verbose_name=_("审批记录")
    )
    member = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("出席成员")
    )
    decision = models.CharField(_("表决意见"), max_length=10, choices=Decision.choices)

    class Meta:
        verbose_name = _("集体审议表决")
        verbose_name_plural = _("集体审议表决")
        ordering = ["record_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "member"],
                name="finance_one_vote_per_member",
                violation_error_message=_("同一成员只能表决一次"),
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.get_decision_display()}"


@audited
class Payment(models.Model):
    """A payment of an approved claim by the cashier; the payments of a claim never add up
    to more than its amount; each makes one journal entry (FIN-11)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="payments", verbose_name=_("社区")
    )
    claim = models.ForeignKey(
        ExpenseClaim, on_delete=models.PROTECT, related_name="payments", verbose_name=_("报销单")
    )
    amount = money(_("金额（元）"))
    method = models.CharField(_("支付方式"), max_length=10, choices=PaymentMethod.choices)
    paid_on = models.DateField(_("付款日期"))
    paid_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("出纳")
    )
    reference = models.CharField(_("转账凭证号"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("付款")
        verbose_name_plural = _("付款")
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="finance_payment_positive",
                violation_error_message=_("付款金额必须大于 0"),
            ),
        ]

    def __str__(self):
        return f"{self.paid_on} {self.amount} ({self.get_method_display()})"
