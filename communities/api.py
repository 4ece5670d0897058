"""REST API of the registry (/api/v1/). Reads are scoped by ScopedViewSetMixin; every write
goes through communities.services, the same path as the admin and the portal, so no rule
(ORG-2/ORG-3 seat caps, ORG-11 revocation, model constraints) can be bypassed."""

from drf_spectacular.utils import extend_schema

from communities import models as m
from communities import serializers as s
from communities.services import registry_delete, registry_save
from core.api import ScopedModelViewSet, ScopedReadOnlyViewSet


class RegistryViewSet(ScopedModelViewSet):
    """Writes through registry_save / registry_delete."""

    def perform_create(self, serializer):
        model = serializer.Meta.model
        instance = model(**serializer.validated_data)
        serializer.instance = registry_save(user=self.request.user, instance=instance)

    def perform_update(self, serializer):
        instance = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        serializer.instance = registry_save(user=self.request.user, instance=instance)

    def perform_destroy(self, instance):
        registry_delete(user=self.request.user, instance=instance)


@extend_schema(tags=["街道与社区"])
class StreetViewSet(ScopedReadOnlyViewSet):
    queryset = m.Street.objects.all()
    serializer_class = s.StreetSerializer
    filterset_fields = ["district", "city"]
    search_fields = ["name", "district"]
    ordering_fields = ["name", "district"]


@extend_schema(tags=["街道与社区"])
class CommunityViewSet(RegistryViewSet):
    queryset = m.Community.objects.select_related("street")
    serializer_class = s.CommunitySerializer
    filterset_fields = ["street", "area_type", "is_active", "profile"]
    search_fields = ["name", "code", "address"]
    ordering_fields = ["name", "households", "founded_on"]


@extend_schema(tags=["街道与社区"])
class CommunityDecisionViewSet(RegistryViewSet):
    queryset = m.CommunityDecision.objects.select_related("community")
    serializer_class = s.CommunityDecisionSerializer
    filterset_fields = ["community", "kind"]
    search_fields = ["doc_no", "authority"]
    ordering_fields = ["decided_on", "filed_on"]


@extend_schema(tags=["组织体系"])
class OrganisationViewSet(RegistryViewSet):
    queryset = m.Organisation.objects.select_related("community")
    serializer_class = s.OrganisationSerializer
    filterset_fields = ["community", "kind", "compound"]
    search_fields = ["name", "contact_person", "registration_no"]
    ordering_fields = ["name", "kind", "established_on", "term_ends_on"]


@extend_schema(tags=["组织体系"])
class MembershipViewSet(RegistryViewSet):
    queryset = m.Membership.objects.select_related("community", "organisation")
    serializer_class = s.MembershipSerializer
    filterset_fields = ["community", "organisation", "position", "user"]
    search_fields = ["person_name", "phone"]
    ordering_fields = ["person_name", "position", "started_on", "ended_on"]


@extend_schema(tags=["组织体系"])
class SubCommitteeViewSet(RegistryViewSet):
    queryset = m.SubCommittee.objects.select_related("community")
    serializer_class = s.SubCommitteeSerializer
    filterset_fields = ["community", "kind"]
    search_fields = ["convenor"]
    ordering_fields = ["kind", "established_on"]


@extend_schema(tags=["组织体系"])
class CompoundViewSet(RegistryViewSet):
    queryset = m.Compound.objects.select_related("community")
    serializer_class = s.CompoundSerializer
    filterset_fields = [
        "community",
        "has_professional_property",
        "property_disclosure_posted",
    ]
    search_fields = ["name", "property_manager_name"]
    ordering_fields = ["name", "households", "joint_meeting_last_held"]


@extend_schema(tags=["网格"])
class ResidentsGroupViewSet(RegistryViewSet):
    queryset = m.ResidentsGroup.objects.select_related("community")
    serializer_class = s.ResidentsGroupSerializer
    filterset_fields = ["community"]
    search_fields = ["name", "leader_name"]
    ordering_fields = ["sort_order", "name", "households"]


@extend_schema(tags=["网格"])
class BuildingGroupViewSet(RegistryViewSet):
    queryset = m.BuildingGroup.objects.select_related("community")
    serializer_class = s.BuildingGroupSerializer
    filterset_fields = ["community", "residents_group"]
    search_fields = ["name", "leader_name"]
    ordering_fields = ["sort_order", "name", "households"]


@extend_schema(tags=["网格"])
class BuildingViewSet(RegistryViewSet):
    queryset = m.Building.objects.select_related("community")
    serializer_class = s.BuildingSerializer
    filterset_fields = ["community", "building_group", "compound"]
    search_fields = ["name", "leader_name", "address"]
    ordering_fields = ["sort_order", "name", "households"]


@extend_schema(tags=["网格"])
class UnitViewSet(RegistryViewSet):
    queryset = m.Unit.objects.select_related("community")
    serializer_class = s.UnitSerializer
    filterset_fields = ["community", "building"]
    search_fields = ["name", "leader_name"]
    ordering_fields = ["sort_order", "name", "households"]


@extend_schema(tags=["社区用房与设施"])
class FacilityViewSet(RegistryViewSet):
    queryset = m.Facility.objects.select_related("community")
    serializer_class = s.FacilitySerializer
    filterset_fields = [
        "community",
        "room_type",
        "use_status",
        "is_public_service",
        "filed_with_civil_affairs",
    ]
    search_fields = ["name", "ownership", "certificate_no"]
    ordering_fields = ["name", "room_type", "area", "handed_over_on"]


@extend_schema(tags=["社区准入"])
class AccessRecordViewSet(RegistryViewSet):
    queryset = m.AccessRecord.objects.select_related("community")
    serializer_class = s.AccessRecordSerializer
    filterset_fields = ["community", "status"]
    search_fields = ["department", "approval_doc_no", "tasks"]
    ordering_fields = ["department", "approved_on", "valid_until", "funding"]


@extend_schema(tags=["社区准入"])
class AccessCheckViewSet(RegistryViewSet):
    queryset = m.AccessCheck.objects.select_related("community")
    serializer_class = s.AccessCheckSerializer
    filterset_fields = ["community", "access", "year", "result"]
    search_fields = ["note", "access__department"]
    ordering_fields = ["year", "community_rating", "rectify_by"]


def register(router):
    router.register("streets", StreetViewSet)
    router.register("communities", CommunityViewSet)
    router.register("decisions", CommunityDecisionViewSet)
    router.register("organisations", OrganisationViewSet)
    router.register("memberships", MembershipViewSet)
    router.register("subcommittees", SubCommitteeViewSet)
    router.register("compounds", CompoundViewSet)
    router.register("residents-groups", ResidentsGroupViewSet)
    router.register("building-groups", BuildingGroupViewSet)
    router.register("buildings", BuildingViewSet)
    router.register("units", UnitViewSet)
    router.register("facilities", FacilityViewSet)
    router.register("access-records", AccessRecordViewSet)
    router.register("access-checks", AccessCheckViewSet)

    from communities.ledger_api import register as register_ledgers

    register_ledgers(router)
