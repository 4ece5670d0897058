"""API serializers of the registry. They parse and render only: every write goes through
communities.services (see communities.api)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from communities import models as m
from communities.selectors import account_list
from core.scoping import scoped


class ScopedRelatedFieldsMixin:
    """Each writable foreign key accepts only rows in the requesting user's scope, so another
    community's id is refused with DRF's own "does not exist" error and nothing is saved."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in self.fields.values():
            related = getattr(field, "child_relation", field)
            if not isinstance(related, serializers.RelatedField) or related.read_only:
                continue
            if related.queryset is None:
                continue
            if related.queryset.model is get_user_model():
                related.queryset = account_list(user=user)
            else:
                related.queryset = scoped(related.queryset, user)


class RegistrySerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    """Registry rows: all model fields plus the community's name for display."""

    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        fields = "__all__"
        read_only_fields = ("created_at", "updated_at")


class ChildSerializer(RegistrySerializer):
    """Rows under a parent (`parent_field`): the service takes the community from the parent,
    so the payload cannot set it."""

    class Meta(RegistrySerializer.Meta):
        read_only_fields = ("community", "created_at", "updated_at")


class StreetSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Street
        fields = "__all__"


class CommunitySerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    street_name = serializers.CharField(source="street.name", read_only=True)

    class Meta:
        model = m.Community
        fields = "__all__"
        read_only_fields = ("created_at", "updated_at")


class CommunityDecisionSerializer(RegistrySerializer):
    class Meta(RegistrySerializer.Meta):
        model = m.CommunityDecision


class OrganisationSerializer(RegistrySerializer):
    class Meta(RegistrySerializer.Meta):
        model = m.Organisation


class MembershipSerializer(ChildSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta(ChildSerializer.Meta):
        model = m.Membership


class SubCommitteeSerializer(RegistrySerializer):
    class Meta(RegistrySerializer.Meta):
        model = m.SubCommittee


class CompoundSerializer(RegistrySerializer):
    class Meta(RegistrySerializer.Meta):
        model = m.Compound


class ResidentsGroupSerializer(RegistrySerializer):
    class Meta(RegistrySerializer.Meta):
        model = m.ResidentsGroup


class BuildingGroupSerializer(ChildSerializer):
    class Meta(ChildSerializer.Meta):
        model = m.BuildingGroup


class BuildingSerializer(ChildSerializer):
    class Meta(ChildSerializer.Meta):
        model = m.Building


class UnitSerializer(ChildSerializer):
    class Meta(ChildSerializer.Meta):
        model = m.Unit


class FacilitySerializer(RegistrySerializer):
    category = serializers.CharField(read_only=True)

    class Meta(RegistrySerializer.Meta):
        model = m.Facility


class AccessRecordSerializer(RegistrySerializer):
    class Meta(RegistrySerializer.Meta):
        model = m.AccessRecord


class AccessCheckSerializer(ChildSerializer):
    class Meta(ChildSerializer.Meta):
        model = m.AccessCheck
