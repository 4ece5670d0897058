"""REST API of the ledgers (/api/v1/, issue #4). Reads are scoped (another community's row
is 404), lists run a fixed number of queries and mirror the portal's filters (same selector
functions); every write goes through communities.ledger_services. ID numbers and phones are
masked; `POST residents/{id}/reveal/` (and households/volunteers) returns one record's full
values to permitted roles and logs it. Special targets are listed only to roles granted
view_specialtarget, and every list or record view is logged."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from communities import ledger_selectors as selectors
from communities import ledger_serializers as s
from communities import ledger_services as services
from communities.models import (
    Household,
    RegistrationType,
    Resident,
    SpecialGroupMember,
    SpecialGroupType,
    SpecialTarget,
    Volunteer,
    VolunteerService,
)
from core.api import ScopedModelViewSet
from core.middleware import client_ip


class LedgerPagination(PageNumberPagination):
    """50 a page; exact counts cached until the next ledger write, pages by deferred join
    (ledger_selectors.LedgerPaginator)."""

    django_paginator_class = selectors.LedgerPaginator
    page_size = 50


class LedgerViewSet(ScopedModelViewSet):
    """Writes through ledger_save / ledger_delete; filters apply to lists only (a moved-out
    resident is still found by id)."""

    pagination_class = LedgerPagination
    filter_backends = [DjangoFilterBackend]

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def perform_create(self, serializer):
        instance = serializer.Meta.model(**serializer.validated_data)
        serializer.instance = services.ledger_save(user=self.request.user, instance=instance)

    def perform_update(self, serializer):
        instance = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        serializer.instance = services.ledger_save(user=self.request.user, instance=instance)

    def perform_destroy(self, instance):
        services.ledger_delete(user=self.request.user, instance=instance)

    def _reveal(self, request):
        obj = self.get_object()
        values = services.personal_reveal(user=request.user, obj=obj, ip=client_ip(request))
        return Response(values)


class RevealMixin:
    @extend_schema(request=None, responses=s.RevealSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def reveal(self, request, pk=None):
        """The full ID number and phone of one record (reveal_personal only; logged)."""
        return self._reveal(request)


# --- residents and households -------------------------------------------------------------


class ResidentFilter(django_filters.FilterSet):
    """The portal's filters (ledger_selectors.resident_filter), same names as there."""

    community = django_filters.NumberFilter(method="noop")
    q = django_filters.CharFilter(method="noop", label="搜索")
    group = django_filters.CharFilter(method="noop", label="特殊群体代码")
    residents_group = django_filters.NumberFilter(method="noop")
    building = django_filters.NumberFilter(method="noop")
    unit = django_filters.NumberFilter(method="noop")
    registration_type = django_filters.ChoiceFilter(method="noop", choices=RegistrationType.choices)
    include_moved_out = django_filters.BooleanFilter(method="noop")
    moved_out = django_filters.BooleanFilter(method="noop")
    duplicate = django_filters.BooleanFilter(method="noop", label="他社区亦登记待核查")
    no_id = django_filters.BooleanFilter(method="noop", label="无有效身份证号")

    class Meta:
        model = Resident
        fields = []

    def noop(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        kwargs = {k: v for k, v in data.items() if v not in (None, "")}
        kwargs["community_id"] = kwargs.pop("community", None)
        if kwargs.get("moved_out"):
            kwargs["include_moved_out"] = True
        return selectors.resident_filter(queryset, **kwargs)


@extend_schema(tags=["台帐"])
class ResidentViewSet(RevealMixin, LedgerViewSet):
    serializer_class = s.ResidentSerializer
    filterset_class = ResidentFilter
    queryset = Resident.objects.none()  # for the schema and the permission class

    def get_queryset(self):
        residents = selectors.permitted(
            Resident.objects.all(), self.request.user, "communities.view_resident"
        )
        return selectors.with_group_names(
            selectors.with_review_flags(residents.select_related("household", "community"))
        ).order_by(*selectors.RESIDENT_ORDER)


class HouseholdFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="community_id")
    unit = django_filters.NumberFilter(field_name="unit_id")
    building = django_filters.NumberFilter(field_name="unit__building_id")
    q = django_filters.CharFilter(field_name="address", lookup_expr="icontains")
    include_moved_out = django_filters.BooleanFilter(method="moved_out_filter")

    class Meta:
        model = Household
        fields = []

    def moved_out_filter(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_moved_out"):
            queryset = queryset.filter(moved_out_on__isnull=True)
        return queryset


@extend_schema(tags=["台帐"])
class HouseholdViewSet(RevealMixin, LedgerViewSet):
    serializer_class = s.HouseholdSerializer
    filterset_class = HouseholdFilter
    queryset = Household.objects.none()

    def get_queryset(self):
        return selectors.household_list(user=self.request.user, include_moved_out=True)


# --- special groups and targets -----------------------------------------------------------


@extend_schema(tags=["台帐"])
class SpecialGroupTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """The group types (as data); edited by the street administrator in the admin."""

    serializer_class = s.SpecialGroupTypeSerializer
    queryset = SpecialGroupType.objects.filter(is_active=True).order_by("sort_order", "code")
    pagination_class = None
    filter_backends = []


class SpecialGroupFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="community_id")
    group = django_filters.CharFilter(field_name="group_type__code")
    resident = django_filters.NumberFilter(field_name="resident_id")

    class Meta:
        model = SpecialGroupMember
        fields = []


@extend_schema(tags=["台帐"])
class SpecialGroupMemberViewSet(LedgerViewSet):
    serializer_class = s.SpecialGroupMemberSerializer
    filterset_class = SpecialGroupFilter
    queryset = SpecialGroupMember.objects.none()

    def get_queryset(self):
        return selectors.special_group_list(user=self.request.user, current_only=False)


class SpecialTargetFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="community_id")
    kind = django_filters.CharFilter(field_name="kind")

    class Meta:
        model = SpecialTarget
        fields = []


@extend_schema(tags=["台帐"])
class SpecialTargetViewSet(LedgerViewSet):
    """特别对象: only roles granted view_specialtarget; every view is logged."""

    serializer_class = s.SpecialTargetSerializer
    filterset_class = SpecialTargetFilter
    queryset = SpecialTarget.objects.none()
    pagination_class = PageNumberPagination

    def get_queryset(self):
        return selectors.special_target_list(user=self.request.user).order_by(
            "community_id", "kind", "-since", "id"
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        page = getattr(self.paginator, "page", None)
        rows = list(page.object_list) if page is not None else []
        services.special_targets_viewed(
            user=request.user, targets=rows, ip=client_ip(request), listing=True
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        services.special_targets_viewed(user=request.user, targets=[obj], ip=client_ip(request))
        return Response(self.get_serializer(obj).data)


# --- volunteers ---------------------------------------------------------------------------


class VolunteerFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="community_id")
    is_active = django_filters.BooleanFilter(field_name="is_active")
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Volunteer
        fields = []


@extend_schema(tags=["台帐"])
class VolunteerViewSet(RevealMixin, LedgerViewSet):
    serializer_class = s.VolunteerSerializer
    filterset_class = VolunteerFilter
    queryset = Volunteer.objects.none()

    def get_queryset(self):
        return selectors.volunteer_list(user=self.request.user)


class VolunteerServiceFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="community_id")
    volunteer = django_filters.NumberFilter(field_name="volunteer_id")

    class Meta:
        model = VolunteerService
        fields = []


@extend_schema(tags=["台帐"])
class VolunteerServiceViewSet(LedgerViewSet):
    serializer_class = s.VolunteerServiceSerializer
    filterset_class = VolunteerServiceFilter
    queryset = VolunteerService.objects.none()

    def get_queryset(self):
        return selectors.permitted(
            VolunteerService.objects.select_related("community", "volunteer"),
            self.request.user,
            "communities.view_volunteerservice",
        ).order_by("community_id", "-date", "id")


def register(router):
    router.register("households", HouseholdViewSet, basename="household")
    router.register("residents", ResidentViewSet, basename="resident")
    router.register("special-group-types", SpecialGroupTypeViewSet, basename="specialgrouptype")
    router.register("special-groups", SpecialGroupMemberViewSet, basename="specialgroupmember")
    router.register("special-targets", SpecialTargetViewSet, basename="specialtarget")
    router.register("volunteers", VolunteerViewSet, basename="volunteer")
    router.register("volunteer-services", VolunteerServiceViewSet, basename="volunteerservice")
