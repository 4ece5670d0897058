"""API serializers of affairs disclosure. They parse and render only: every write goes
through affairs_disclosure.services (see affairs_disclosure.api). The community of a new
draft accepts only communities in the user's scope (ScopedRelatedFieldsMixin: another
community "does not exist")."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from affairs_disclosure.models import (
    ApprovalSide,
    Channel,
    DisclosureApproval,
    DisclosureAttachment,
    DisclosureItem,
    ResidentQuestion,
)
from communities.serializers import ScopedRelatedFieldsMixin

# What a draft's author writes; everything else is the workflow's (services.items.EDITABLE).
ITEM_WRITABLE = (
    "community",
    "category",
    "year",
    "quarter",
    "month",
    "title",
    "body",
    "tables",
    "channels",
)
ITEM_READ_ONLY = (
    "id",
    "community_name",
    "category_display",
    "period_label",
    "version",
    "supersedes",
    "correction_reason",
    "source",
    "source_statement",
    "source_sitting",
    "state",
    "state_display",
    "needs_stamp",
    "created_by",
    "approved_at",
    "stamped_on",
    "stamped_by",
    "published_on",
    "published_at",
    "published_by",
    "archived_at",
    "archived_by",
    "created_at",
    "updated_at",
)


class DisclosureItemSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    """A disclosure item in a list (no body, tables or approvals: they are on the detail)."""

    community_name = serializers.CharField(source="community.name", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    period_label = serializers.CharField(read_only=True)
    needs_stamp = serializers.BooleanField(read_only=True)
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices),
        required=False,
        help_text=_("DISC-5：公开栏、宣传栏、墙报及各类会议，公布前至少选择一种"),
    )

    class Meta:
        model = DisclosureItem
        fields = tuple(f for f in ITEM_READ_ONLY + ITEM_WRITABLE if f not in ("body", "tables"))
        read_only_fields = ITEM_READ_ONLY


class DisclosureApprovalSerializer(serializers.ModelSerializer):
    side_display = serializers.CharField(source="get_side_display", read_only=True)

    class Meta:
        model = DisclosureApproval
        fields = ("id", "side", "side_display", "user", "approved_at", "comment")
        read_only_fields = fields


class DisclosureAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = DisclosureAttachment
        fields = ("id", "name", "content_type", "size", "uploaded_at")
        read_only_fields = fields


class DisclosureItemDetailSerializer(DisclosureItemSerializer):
    """One item with its text, tables, approvals (DISC-3) and attachments; the form of a new
    or changed draft."""

    approvals = DisclosureApprovalSerializer(many=True, read_only=True)
    attachments = DisclosureAttachmentSerializer(many=True, read_only=True)

    class Meta(DisclosureItemSerializer.Meta):
        fields = ITEM_READ_ONLY + ITEM_WRITABLE + ("approvals", "attachments")


class DisclosureApproveSerializer(serializers.Serializer):
    side = serializers.ChoiceField(
        choices=ApprovalSide.choices,
        help_text=_("DISC-3：以社区党组织（party）或居委会成员（committee）名义核准"),
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class DisclosureDateSerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False, allow_null=True, help_text=_("签章或公布日期，默认今天；不能晚于今天")
    )


class DisclosureGenerateAssemblySerializer(serializers.Serializer):
    sitting = serializers.IntegerField(help_text=_("已闭会的居民代表会议（DISC-1(3)）"))


class DisclosureGeneratePaidFeesSerializer(serializers.Serializer):
    community = serializers.IntegerField(help_text=_("社区"))
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text=_("年度"))
    quarter = serializers.IntegerField(min_value=1, max_value=4, help_text=_("季度"))


class DisclosureReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class DisclosureAttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("JPG、PNG 或 PDF，类型按内容识别，大小受限"))


class ResidentQuestionSerializer(serializers.ModelSerializer):
    """A resident's question (DISC-4) as the staff see it; the contact is for call-backs only
    and never public."""

    community_name = serializers.CharField(source="community.name", read_only=True)
    item_title = serializers.CharField(source="item.title", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = ResidentQuestion
        fields = (
            "id",
            "community",
            "community_name",
            "item",
            "item_title",
            "kind",
            "kind_display",
            "body",
            "contact",
            "state",
            "state_display",
            "received_at",
            "due_on",
            "public_text",
            "reply",
            "replied_at",
            "replied_by",
            "close_reason",
        )
        read_only_fields = fields


class QuestionAnswerSerializer(serializers.Serializer):
    reply = serializers.CharField(help_text=_("答复，将公布在公开事项下"))
    public_text = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("公开的问题摘要；留空则公开居民原文"),
    )


class QuestionCloseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text=_("办结说明（不公开）"))
