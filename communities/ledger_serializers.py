"""API serializers of the ledgers (issue #4). They parse and render only: every write goes
through communities.ledger_services (see communities.ledger_api).

ID numbers and phones are masked in every response (rules.mask_id / mask_phone); a full value
is written in (and normalised and checked by the service) but only ever read back through
the logged `reveal` action. Uniqueness is the services' job (a clearer message than a
generic validator), so the model validators DRF would generate are left out."""

from django.utils import timezone
from rest_framework import serializers

from communities import rules
from communities.models import (
    Household,
    Resident,
    SpecialGroupMember,
    SpecialGroupType,
    SpecialTarget,
    Volunteer,
    VolunteerService,
)
from communities.serializers import ScopedRelatedFieldsMixin


class MaskedField(serializers.CharField):
    """Masked on the way out, a plain string on the way in (blank allowed)."""

    def __init__(self, *, mask, **kwargs):
        self.mask = mask
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return self.mask(value or "")

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "*" in value:
            # A masked value sent back unchanged (GET, edit, PUT): keep the stored one.
            raise serializers.SkipField
        return value


def id_field(**kwargs):
    return MaskedField(
        mask=rules.mask_id, max_length=30, help_text="身份证号：返回时脱敏显示", **kwargs
    )


def phone_field(**kwargs):
    return MaskedField(
        mask=rules.mask_phone, max_length=40, help_text="联系电话：返回时脱敏显示", **kwargs
    )


class LedgerSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        read_only_fields = ("community", "created_at", "updated_at")
        validators = []


class HouseholdSerializer(LedgerSerializer):
    phone = phone_field()
    n_residents = serializers.IntegerField(read_only=True, required=False)

    class Meta(LedgerSerializer.Meta):
        model = Household
        fields = (
            "id",
            "community",
            "community_name",
            "unit",
            "room",
            "address",
            "phone",
            "moved_out_on",
            "reviewed_on",
            "note",
            "n_residents",
            "created_at",
            "updated_at",
        )
        read_only_fields = (*LedgerSerializer.Meta.read_only_fields, "address")


class ResidentSerializer(LedgerSerializer):
    id_number = id_field()
    phone = phone_field()
    household_address = serializers.CharField(source="household.address", read_only=True)
    age_group = serializers.SerializerMethodField()
    groups = serializers.SerializerMethodField()
    registered_elsewhere = serializers.BooleanField(read_only=True, default=False)
    duplicate_elsewhere = serializers.BooleanField(read_only=True, default=False)

    class Meta(LedgerSerializer.Meta):
        model = Resident
        fields = (
            "id",
            "community",
            "community_name",
            "household",
            "household_address",
            "name",
            "id_number",
            "id_valid",
            "gender",
            "birth_date",
            "age_group",
            "relation",
            "phone",
            "registration_type",
            "moved_in_on",
            "moved_out_on",
            "reviewed_on",
            "note",
            "groups",
            "registered_elsewhere",
            "duplicate_elsewhere",
            "created_at",
            "updated_at",
        )
        read_only_fields = (*LedgerSerializer.Meta.read_only_fields, "id_valid")

    def get_age_group(self, obj) -> str:
        return rules.age_group(obj.birth_date, timezone.localdate())

    def get_groups(self, obj) -> list[str]:
        names = getattr(obj, "group_names", None) or ""
        return [name for name in names.split("、") if name]


class RevealSerializer(serializers.Serializer):
    """The full values of one record (each reveal is logged)."""

    id_number = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)


class SpecialGroupTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = SpecialGroupType
        fields = (
            "id",
            "profile",
            "code",
            "name",
            "has_amount",
            "has_grade",
            "min_age",
            "sort_order",
            "is_active",
        )


class SpecialGroupMemberSerializer(LedgerSerializer):
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    group_name = serializers.CharField(source="group_type.name", read_only=True)

    class Meta(LedgerSerializer.Meta):
        model = SpecialGroupMember
        fields = (
            "id",
            "community",
            "community_name",
            "resident",
            "resident_name",
            "group_type",
            "group_name",
            "starts_on",
            "ends_on",
            "grade",
            "monthly_amount",
            "household_size",
            "note",
            "created_at",
            "updated_at",
        )


class SpecialTargetSerializer(LedgerSerializer):
    resident_name = serializers.CharField(source="resident.name", read_only=True)

    class Meta(LedgerSerializer.Meta):
        model = SpecialTarget
        fields = (
            "id",
            "community",
            "community_name",
            "resident",
            "resident_name",
            "kind",
            "since",
            "until",
            "responsible",
            "note",
            "created_at",
            "updated_at",
        )


class VolunteerSerializer(LedgerSerializer):
    phone = phone_field()
    total_hours = serializers.DecimalField(
        max_digits=9, decimal_places=1, read_only=True, required=False
    )
    n_services = serializers.IntegerField(read_only=True, required=False)

    class Meta(LedgerSerializer.Meta):
        model = Volunteer
        fields = (
            "id",
            "community",
            "community_name",
            "name",
            "phone",
            "organisation",
            "skills",
            "registered_on",
            "is_active",
            "total_hours",
            "n_services",
            "created_at",
            "updated_at",
        )
        # A volunteer is registered directly in a community (no parent row).
        read_only_fields = ("created_at", "updated_at")


class VolunteerServiceSerializer(LedgerSerializer):
    volunteer_name = serializers.CharField(source="volunteer.name", read_only=True)

    class Meta(LedgerSerializer.Meta):
        model = VolunteerService
        fields = (
            "id",
            "community",
            "community_name",
            "volunteer",
            "volunteer_name",
            "date",
            "activity",
            "hours",
            "created_at",
            "updated_at",
        )
