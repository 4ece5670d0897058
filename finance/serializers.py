"""API serializers of finance. They parse and render only: every write goes through
finance.services (see finance.api). Writable foreign keys accept only rows in the user's
scope (ScopedRelatedFieldsMixin: another community's budget line "does not exist")."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from communities.serializers import ScopedRelatedFieldsMixin
from finance import models as f


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = f.ClaimAttachment
        fields = ("id", "kind", "original_name", "content_type", "size", "uploaded_at")
        read_only_fields = fields


class VoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = f.ReviewVote
        fields = ("member", "decision")
        read_only_fields = fields


class ApprovalSerializer(serializers.ModelSerializer):
    votes = VoteSerializer(many=True, read_only=True)

    class Meta:
        model = f.ApprovalRecord
        fields = ("id", "step", "decision", "user", "comment", "at", "votes")
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = f.Payment
        fields = ("id", "amount", "method", "paid_on", "paid_by", "reference")
        read_only_fields = fields


CLAIM_READ_ONLY = (
    "claimant",
    "category",
    "state",
    "needs_street_approval",
    "needs_collective_review",
    "steps_params",
    "submitted_at",
    "director_approved_at",
    "director_approved_by",
    "street_approved_at",
    "street_approved_by",
    "collective_reviewed_at",
    "collective_reviewed_by",
    "paid_at",
    "rejected_at",
    "rejected_by",
    "reject_reason",
    "withdrawn_at",
    "created_at",
    "updated_at",
)


class ClaimSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    required_steps = serializers.ListField(child=serializers.CharField(), read_only=True)
    next_step = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = f.ExpenseClaim
        fields = "__all__"
        read_only_fields = CLAIM_READ_ONLY


class ClaimDetailSerializer(ClaimSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)
    approvals = ApprovalSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)


class StepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(
        choices=f.ApprovalStep.choices,
        help_text=_("FIN-3：办理的审批环节（须为报销单当前所在环节；集体审议请用 review）"),
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RejectSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=f.ApprovalStep.choices)
    reason = serializers.CharField()


class VoteInSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=f.Decision.choices)


class CollectiveSerializer(serializers.Serializer):
    votes = VoteInSerializer(many=True, help_text=_("出席成员及各自表决意见"))
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PaySerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=20, decimal_places=6, required=False, allow_null=True
    )
    method = serializers.ChoiceField(choices=f.PaymentMethod.choices, required=False)
    paid_on = serializers.DateField(required=False, allow_null=True)
    reference = serializers.CharField(required=False, allow_blank=True, default="")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(
        choices=f.AttachmentKind.choices, default=f.AttachmentKind.INVOICE
    )


class BudgetLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = f.BudgetLine
        fields = ("id", "category", "name", "amount", "explanation")
        read_only_fields = ("id", "explanation")


class BudgetSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    lines = BudgetLineSerializer(many=True, required=False)

    class Meta:
        model = f.Budget
        fields = "__all__"
        read_only_fields = ("state", "approved_at", "approved_by", "created_at", "updated_at")


class IncomeSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = f.Income
        fields = "__all__"
        read_only_fields = ("allocation", "recorded_by", "created_at", "updated_at")


class JournalEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = f.JournalEntry
        fields = (
            "id",
            "community",
            "book",
            "entry_date",
            "kind",
            "direction",
            "amount",
            "income_kind",
            "category",
            "earmark_category",
            "summary",
            "counterparty",
            "income",
            "payment",
        )
        read_only_fields = fields


class StatementSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = f.QuarterlyStatement
        fields = "__all__"
        read_only_fields = [field.name for field in f.QuarterlyStatement._meta.fields]


class StatementGenerateSerializer(serializers.Serializer):
    community = serializers.IntegerField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class DateSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True)


class CorrectSerializer(serializers.Serializer):
    reason = serializers.CharField()
