"""API serializers of the receipt register (FIN-11), in-kind donations (FIN-5) and paid
services (FIN-8). They parse and render only; finance.register_api calls the services."""

from rest_framework import serializers

from communities.serializers import ScopedRelatedFieldsMixin
from finance import models as f


class ReceiptBatchSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    issued = serializers.IntegerField(read_only=True)
    voided = serializers.IntegerField(read_only=True)
    handed_in = serializers.IntegerField(read_only=True)
    stock = serializers.IntegerField(read_only=True)

    class Meta:
        model = f.ReceiptBatch
        fields = (
            "id",
            "community",
            "community_name",
            "series",
            "first_no",
            "last_no",
            "received_on",
            "source",
            "note",
            "received_by",
            "issued",
            "voided",
            "handed_in",
            "stock",
        )
        read_only_fields = ("received_by",)


class ReceiptSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = f.Receipt
        fields = (
            "id",
            "community",
            "batch",
            "number",
            "label",
            "state",
            "issued_on",
            "payer",
            "amount",
            "purpose",
            "income",
            "issued_by",
            "void_reason",
            "voided_by",
            "voided_at",
        )
        read_only_fields = fields


class IssueSerializer(serializers.Serializer):
    number = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    amount = serializers.DecimalField(max_digits=20, decimal_places=6)
    payer = serializers.CharField(max_length=200)
    purpose = serializers.CharField(required=False, allow_blank=True, default="")
    issued_on = serializers.DateField(required=False, allow_null=True)
    income = serializers.IntegerField(required=False, allow_null=True)


class VoidSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=0)
    reason = serializers.CharField(max_length=200)


class HandInSerializer(serializers.Serializer):
    first_no = serializers.IntegerField(min_value=0)
    last_no = serializers.IntegerField(min_value=0)
    handed_to = serializers.CharField(max_length=100)
    handed_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DistributionSerializer(serializers.ModelSerializer):
    class Meta:
        model = f.InKindDistribution
        fields = (
            "id",
            "donation",
            "quantity",
            "value",
            "distributed_on",
            "category",
            "recipient",
            "purpose",
            "recorded_by",
        )
        read_only_fields = fields


class DistributeSerializer(serializers.Serializer):
    quantity = serializers.DecimalField(max_digits=20, decimal_places=6)
    recipient = serializers.CharField(max_length=200)
    purpose = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=f.ExpenseCategory.choices, required=False)
    distributed_on = serializers.DateField(required=False, allow_null=True)


class InKindDonationSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    distributed_quantity = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    distributed_value = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    remaining_quantity = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = f.InKindDonation
        fields = "__all__"
        read_only_fields = ("recorded_by", "created_at", "updated_at")


class RateSerializer(serializers.ModelSerializer):
    group_name = serializers.CharField(source="group.name", read_only=True)

    class Meta:
        model = f.PaidServiceRate
        fields = ("id", "group", "group_name", "fee")
        read_only_fields = ("id",)


class PaidServiceSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    rates = RateSerializer(many=True, required=False)

    class Meta:
        model = f.PaidService
        fields = "__all__"
        read_only_fields = ("created_at", "updated_at")


class DisclosureQuerySerializer(serializers.Serializer):
    community = serializers.IntegerField()
    first = serializers.DateField()
    last = serializers.DateField()
