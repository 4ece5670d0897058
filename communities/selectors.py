"""Reads of the registry (CONVENTIONS: selectors). Every user-facing read starts from
core.scoping.scoped, so a row outside the user's communities simply does not exist for them;
the prefetches keep each page at a fixed number of queries whatever the number of rows.

The `public_*` readers are the one exception: they serve the residents' pages (DISC-1) and
return only active communities and only what 003 四 requires to be public."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from communities.models import (
    AccessCheck,
    AccessRecord,
    Building,
    BuildingGroup,
    Community,
    CommunityDecision,
    Compound,
    Facility,
    Membership,
    Organisation,
    OrgKind,
    Position,
    ResidentsGroup,
    Street,
    SubCommittee,
    Unit,
)
from core.scoping import scope_for, scoped

# Display order of seats: chair first, ordinary members last.
_POSITION_RANK = {value: rank for rank, value in enumerate(Position.values)}


def position_rank(membership: Membership) -> tuple[int, str]:
    return _POSITION_RANK.get(membership.position, len(_POSITION_RANK)), membership.person_name


def _current_members() -> Prefetch:
    return Prefetch(
        "members",
        queryset=Membership.objects.filter(ended_on__isnull=True).order_by("person_name", "pk"),
        to_attr="current_members",
    )


# --- streets and communities ------------------------------------------------------------


def street_list(*, user) -> QuerySet[Street]:
    return scoped(Street.objects.select_related("default_profile"), user)


def community_list(*, user, active_only: bool = False) -> QuerySet[Community]:
    communities = scoped(Community.objects.select_related("street", "profile"), user)
    if active_only:
        communities = communities.filter(is_active=True)
    return communities.order_by("street__name", "name")


def community_get(*, user, pk: int) -> Community:
    """One community in the user's scope; Http404 for any other id (never 403)."""
    return get_object_or_404(community_list(user=user), pk=pk)


def community_detail_get(*, user, pk: int) -> Community:
    """A community with everything the worker portal shows on its page, prefetched:
    organisations with their current members (ORG-1..3), sub-committees (ORG-4), the grid
    residents' groups → building groups → buildings (ORG-5), compounds and facilities (ORG-12).
    """
    buildings = Building.objects.select_related("compound").order_by("sort_order", "name")
    building_groups = BuildingGroup.objects.prefetch_related(
        Prefetch("buildings", queryset=buildings)
    ).order_by("sort_order", "name")
    queryset = community_list(user=user).prefetch_related(
        Prefetch(
            "organisations",
            queryset=Organisation.objects.select_related("compound")
            .prefetch_related(_current_members())
            .order_by("kind", "name"),
        ),
        Prefetch("subcommittees", queryset=SubCommittee.objects.order_by("kind")),
        Prefetch(
            "residents_groups",
            queryset=ResidentsGroup.objects.prefetch_related(
                Prefetch("building_groups", queryset=building_groups)
            ).order_by("sort_order", "name"),
        ),
        Prefetch("compounds", queryset=Compound.objects.order_by("name")),
        Prefetch("facilities", queryset=Facility.objects.order_by("room_type", "name")),
    )
    community = get_object_or_404(queryset, pk=pk)
    for organisation in community.organisations.all():
        organisation.current_members.sort(key=position_rank)
    return community


def decision_list(*, user, community_id: int | None = None) -> QuerySet[CommunityDecision]:
    decisions = scoped(CommunityDecision.objects.select_related("community"), user)
    if community_id is not None:
        decisions = decisions.filter(community_id=community_id)
    return decisions


# --- organisations ----------------------------------------------------------------------


def organisation_list(*, user, community_id: int | None = None) -> QuerySet[Organisation]:
    organisations = scoped(
        Organisation.objects.select_related("community", "compound").prefetch_related(
            _current_members()
        ),
        user,
    )
    if community_id is not None:
        organisations = organisations.filter(community_id=community_id)
    return organisations


def organisation_get(*, user, pk: int) -> Organisation:
    return get_object_or_404(organisation_list(user=user), pk=pk)


def membership_list(*, user, community_id: int | None = None) -> QuerySet[Membership]:
    memberships = scoped(
        Membership.objects.select_related("community", "organisation", "user"), user
    )
    if community_id is not None:
        memberships = memberships.filter(community_id=community_id)
    return memberships


def subcommittee_list(*, user, community_id: int | None = None) -> QuerySet[SubCommittee]:
    subcommittees = scoped(SubCommittee.objects.select_related("community"), user)
    if community_id is not None:
        subcommittees = subcommittees.filter(community_id=community_id)
    return subcommittees


def compound_list(*, user, community_id: int | None = None) -> QuerySet[Compound]:
    compounds = scoped(Compound.objects.select_related("community"), user)
    if community_id is not None:
        compounds = compounds.filter(community_id=community_id)
    return compounds


# --- grid (ORG-5) -----------------------------------------------------------------------


def residents_group_list(*, user, community_id: int | None = None) -> QuerySet[ResidentsGroup]:
    groups = scoped(ResidentsGroup.objects.select_related("community"), user)
    if community_id is not None:
        groups = groups.filter(community_id=community_id)
    return groups


def building_group_list(*, user, community_id: int | None = None) -> QuerySet[BuildingGroup]:
    groups = scoped(BuildingGroup.objects.select_related("community", "residents_group"), user)
    if community_id is not None:
        groups = groups.filter(community_id=community_id)
    return groups


def building_list(*, user, community_id: int | None = None) -> QuerySet[Building]:
    buildings = scoped(
        Building.objects.select_related("community", "building_group", "compound"), user
    )
    if community_id is not None:
        buildings = buildings.filter(community_id=community_id)
    return buildings


def unit_list(*, user, community_id: int | None = None) -> QuerySet[Unit]:
    units = scoped(Unit.objects.select_related("community", "building"), user)
    if community_id is not None:
        units = units.filter(community_id=community_id)
    return units


# --- facilities and access (ORG-11, ORG-12) -----------------------------------------------


def facility_list(*, user, community_id: int | None = None) -> QuerySet[Facility]:
    facilities = scoped(Facility.objects.select_related("community"), user)
    if community_id is not None:
        facilities = facilities.filter(community_id=community_id)
    return facilities


def access_record_list(*, user, community_id: int | None = None) -> QuerySet[AccessRecord]:
    records = scoped(AccessRecord.objects.select_related("community"), user)
    if community_id is not None:
        records = records.filter(community_id=community_id)
    return records


def access_check_list(*, user, community_id: int | None = None) -> QuerySet[AccessCheck]:
    checks = scoped(AccessCheck.objects.select_related("community", "access"), user)
    if community_id is not None:
        checks = checks.filter(community_id=community_id)
    return checks


# --- accounts that may be linked to a seat ----------------------------------------------


def account_list(*, user) -> QuerySet:
    """Accounts the user may link to a seat: those holding a role in one of the user's
    communities or streets (user accounts carry no community of their own)."""
    User = get_user_model()
    scope = scope_for(user)
    if scope.everything:
        return User.objects.all()
    in_scope = User.objects.filter(
        Q(role_assignments__community_id__in=scope.community_ids)
        | Q(role_assignments__street_id__in=scope.street_ids)
    ).values("pk")
    return User.objects.filter(pk__in=in_scope)


# --- public pages (DISC-1) --------------------------------------------------------------


def public_street_list() -> QuerySet[Street]:
    """Streets that have active communities, each with `active_communities`: two queries."""
    active = Community.objects.filter(is_active=True).order_by("name")
    return (
        Street.objects.filter(communities__is_active=True)
        .distinct()
        .order_by("name")
        .prefetch_related(Prefetch("communities", queryset=active, to_attr="active_communities"))
    )


def public_community_get(*, pk: int) -> Community:
    """An active community with what DISC-1(1) (003 四(二)) makes public: its residents'
    committee (`committees`) with the current members sorted by position and the committee's
    contact, and its sub-committees with their convenors (division of work). Http404 for
    inactive or unknown ids. Members' own phone numbers are not public."""
    committee = Organisation.objects.filter(kind=OrgKind.COMMITTEE).prefetch_related(
        _current_members()
    )
    community = get_object_or_404(
        Community.objects.filter(is_active=True)
        .select_related("street")
        .prefetch_related(
            Prefetch("organisations", queryset=committee, to_attr="committees"),
            Prefetch("subcommittees", queryset=SubCommittee.objects.order_by("kind")),
        ),
        pk=pk,
    )
    for organisation in community.committees:
        organisation.current_members.sort(key=position_rank)
    return community
