"""Reads of the ledgers (ORG-13, ORG-9), always through core.scoping.scoped, at a fixed
number of queries per page whatever the number of rows.

The resident list is the big one (100,000 residents in a community): it is ordered by the
partial index (community, address_order, household, id) WHERE moved_out_on IS NULL; its
count is cached until the next ledger write (LedgerPaginator); the portal's page is one
query (resident_page_rows: the page's ids from the ORM's scoped, filtered queryset, joined
to the rows with the household's address, the current special groups and the two review
flags, EXISTS subqueries on the ID-number index evaluated for the page's rows only).
benchmarks/bench_list.py measures it against a bare view.
"""

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass, field

from django.contrib.postgres.aggregates import StringAgg
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property

from communities import rules
from communities.models import (
    Building,
    Community,
    Household,
    RegistrationType,
    Resident,
    ResidentsGroup,
    SpecialGroupMember,
    SpecialGroupType,
    SpecialTarget,
    Unit,
    Volunteer,
    VolunteerService,
)
from core.scoping import scope_for, scoped

_ID_TAIL = re.compile(r"^[0-9]{3}[0-9X]$")
_MOBILE = re.compile(r"^1[0-9]{10}$")
_LETTERS = re.compile(r"^[A-Za-z]+$")


def permitted(queryset: QuerySet, user, perm: str) -> QuerySet:
    """Rows of the communities where `user` holds `perm` (a role may reach a community but
    not this kind of row, e.g. a grid worker and special targets)."""
    queryset = scoped(queryset, user)
    scope = scope_for(user)
    if scope.everything:
        return queryset
    allowed = [cid for cid, perms in scope.perms_by_community.items() if perm in perms]
    return queryset.filter(community_id__in=allowed)


def current_period_q(prefix: str = "", today: dt.date | None = None) -> Q:
    """A membership current on `today` (no end date, or ending today or later)."""
    return Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": today})


# --- residents ------------------------------------------------------------------------------


def _same_id_elsewhere():
    return Resident.objects.filter(
        id_number=OuterRef("id_number"), moved_out_on__isnull=True
    ).exclude(community_id=OuterRef("community_id"))


def with_review_flags(queryset: QuerySet[Resident]) -> QuerySet[Resident]:
    """Two flags of issue #4 on current residents with an ID number:

    - `registered_elsewhere`: the ID number is current in another community too;
    - `duplicate_elsewhere`: the same, and neither record is registered as 人户分离, so it
      needs review (人户分离 is legitimate, a duplicate is not).
    """
    others = _same_id_elsewhere()
    not_applicable = Q(id_number="") | Q(moved_out_on__isnull=False)
    return queryset.annotate(
        registered_elsewhere=Case(When(not_applicable, then=Value(False)), default=Exists(others)),
        duplicate_elsewhere=Case(
            When(not_applicable | Q(registration_type=RegistrationType.SEPARATED), then=False),
            default=Exists(others.exclude(registration_type=RegistrationType.SEPARATED)),
        ),
    )


def duplicate_elsewhere_q() -> Q:
    """Filter form of `duplicate_elsewhere` (for counts over many rows)."""
    others = _same_id_elsewhere().exclude(registration_type=RegistrationType.SEPARATED)
    return (
        Q(moved_out_on__isnull=True)
        & ~Q(id_number="")
        & ~Q(registration_type=RegistrationType.SEPARATED)
        & Q(Exists(others))
    )


def resident_search(queryset: QuerySet[Resident], q: str | None) -> QuerySet[Resident]:
    """Search semantics shared by the portal, the admin and the API (issue #4):

    - a full 18-character ID number: that number;
    - 4 characters of digits (and a final X): ID number tail, or phone tail when all digits;
    - an 11-digit mobile number: that phone;
    - ASCII letters only: pinyin initials (zjh → 张建华);
    - anything else: name or household address contains it.
    """
    q = (q or "").strip()
    if not q:
        return queryset
    upper = rules.normalise_id(q)
    if rules.ID_PATTERN.match(upper):
        return queryset.filter(id_number=upper)
    if _ID_TAIL.match(upper):
        condition = Q(id_tail=upper)
        if upper.isdigit():
            condition |= Q(phone_tail=upper)
        return queryset.filter(condition)
    if _MOBILE.match(upper):
        return queryset.filter(phone=upper)
    if _LETTERS.match(q):
        return queryset.filter(name_initials__startswith=q.lower())
    return queryset.filter(Q(name__icontains=q) | Q(household__address__icontains=q))


def _int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # an id that matches nothing rather than an error page


def resident_filter(
    queryset: QuerySet[Resident],
    *,
    community_id=None,
    q: str | None = None,
    group: str | None = None,
    residents_group=None,
    building=None,
    unit=None,
    registration_type: str | None = None,
    include_moved_out: bool = False,
    moved_out: bool | None = None,
    duplicate: bool | None = None,
    no_id: bool | None = None,
    today: dt.date | None = None,
) -> QuerySet[Resident]:
    """The list filters of issue #4 (group, grid tier, registration type, search)."""
    today = today or timezone.localdate()
    if community_id not in (None, ""):
        queryset = queryset.filter(community_id=_int(community_id))
    if moved_out is True:
        queryset = queryset.filter(moved_out_on__isnull=False)
    elif not include_moved_out:
        queryset = queryset.filter(moved_out_on__isnull=True)
    if residents_group not in (None, ""):
        queryset = queryset.filter(
            household__unit__building__building_group__residents_group_id=_int(residents_group)
        )
    if building not in (None, ""):
        queryset = queryset.filter(household__unit__building_id=_int(building))
    if unit not in (None, ""):
        queryset = queryset.filter(household__unit_id=_int(unit))
    if registration_type:
        queryset = queryset.filter(registration_type=registration_type)
    if group:
        # The type's ids as literals, not a join on its code: with a join the planner cannot
        # tell how many members a group has (1 in 12 residents are 低保), chose to hash every
        # membership of the street and sort, and the page took 180 ms instead of 0.3 ms.
        type_ids = list(SpecialGroupType.objects.filter(code=group).values_list("pk", flat=True))
        members = SpecialGroupMember.objects.filter(
            current_period_q(today=today), resident_id=OuterRef("pk"), group_type_id__in=type_ids
        )
        queryset = queryset.filter(Exists(members))
    if duplicate:
        queryset = queryset.filter(duplicate_elsewhere_q())
    if no_id:
        queryset = queryset.filter(id_valid=False)
    return resident_search(queryset, q)


def current_groups_prefetch(today: dt.date | None = None) -> Prefetch:
    """Each resident's current special groups (`current_groups`), in one query per page."""
    today = today or timezone.localdate()
    return Prefetch(
        "special_groups",
        queryset=SpecialGroupMember.objects.filter(current_period_q(today=today))
        .select_related("group_type")
        .order_by("group_type__sort_order", "id"),
        to_attr="current_groups",
    )


def with_group_names(queryset: QuerySet[Resident], today: dt.date | None = None) -> QuerySet:
    """`group_names`: the resident's current special groups as one string ("低保、残疾人"),
    a subquery evaluated for the rows fetched only (cheaper than a prefetch for a list)."""
    today = today or timezone.localdate()
    names = (
        SpecialGroupMember.objects.filter(current_period_q(today=today), resident_id=OuterRef("pk"))
        .order_by()
        .values("resident_id")
        .annotate(names=StringAgg("group_type__name", "、", order_by="group_type__sort_order"))
        .values("names")
    )
    return queryset.annotate(group_names=Subquery(names))


RESIDENT_ORDER = ("community_id", "address_order", "household_id", "id")


def resident_list_base(*, user, today: dt.date | None = None, **filters) -> QuerySet[Resident]:
    """Residents the user may see, filtered (see resident_filter), in address order: no
    joins, no annotations. What the portal list counts and pages through (its SQL compiles
    in a fraction of the annotated query's time); the page's rows come from
    resident_page_rows."""
    residents = permitted(Resident.objects.all(), user, "communities.view_resident")
    return resident_filter(residents, today=today, **filters).order_by(*RESIDENT_ORDER)


def resident_list(*, user, today: dt.date | None = None, **filters) -> QuerySet[Resident]:
    """Residents the user may see, filtered (see resident_filter), in address order, with
    the household, current special groups (`group_names`) and the review flags."""
    residents = resident_list_base(user=user, today=today, **filters)
    return with_group_names(with_review_flags(residents.select_related("household")), today)


# The portal list's page in one query, in SQL written once: the page's ids (the scoped,
# filtered resident_list_base, sliced) joined to the rows with their household's address,
# current groups and review flags. The ORM query of the same rows
# (resident_list(...).filter(pk__in=ids)) took longer to compile and to turn into model
# instances than the rest of the page, after a separate query for the ids. It must say
# exactly what with_review_flags and with_group_names say;
# tests/communities/test_ledger_portal_forms.py compares the two. A derived table rather
# than WITH: pghistory prefixes its context to every statement that does not start with
# SELECT (a CTE may write).
_PAGE_ROWS_SQL = """
SELECT r.id, r.name, r.gender, r.birth_date, r.registration_type, r.id_number, r.phone,
       r.moved_out_on, r.id_valid, h.address,
       (SELECT string_agg(t.name, '、' ORDER BY t.sort_order)
          FROM {member} m JOIN {type} t ON t.id = m.group_type_id
         WHERE m.resident_id = r.id AND (m.ends_on IS NULL OR m.ends_on >= %s)
       ) AS group_names,
       (r.id_number <> '' AND r.moved_out_on IS NULL AND EXISTS (
            SELECT 1 FROM {resident} o
             WHERE o.id_number = r.id_number AND o.moved_out_on IS NULL
               AND o.community_id <> r.community_id)
       ) AS registered_elsewhere,
       (r.id_number <> '' AND r.moved_out_on IS NULL AND r.registration_type <> %s
        AND EXISTS (
            SELECT 1 FROM {resident} o
             WHERE o.id_number = r.id_number AND o.moved_out_on IS NULL
               AND o.community_id <> r.community_id AND o.registration_type <> %s)
       ) AS duplicate_elsewhere
  FROM ({ids}) AS page(id)
  JOIN {resident} r ON r.id = page.id
  JOIN {household} h ON h.id = r.household_id
 ORDER BY r.community_id, r.address_order, r.household_id, r.id
"""


def resident_page_rows(ids: QuerySet, today: dt.date | None = None) -> list[dict]:
    """One page of the resident list as dicts, in RESIDENT_ORDER, in one query: `ids` is
    the page's slice of resident_list_base(...).values_list("pk") (scoped and filtered by
    the ORM); each row has the household's `address`, the current special groups
    (`group_names`) and the two review flags of with_review_flags."""
    ids_sql, ids_params = ids.query.sql_with_params()
    sql = _PAGE_ROWS_SQL.format(
        ids=ids_sql,
        resident=Resident._meta.db_table,
        household=Household._meta.db_table,
        member=SpecialGroupMember._meta.db_table,
        type=SpecialGroupType._meta.db_table,
    )
    separated = RegistrationType.SEPARATED.value
    params = (today or timezone.localdate(), separated, separated, *ids_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def resident_get(*, user, pk: int) -> Resident:
    """One resident in the user's scope (Http404 otherwise), with flags, current groups and
    every membership (`group_rows`: current first, then ended, latest first)."""
    memberships = SpecialGroupMember.objects.select_related("group_type").order_by(
        F("ends_on").desc(nulls_first=True), "-starts_on", "-id"
    )
    residents = with_review_flags(
        permitted(Resident.objects.all(), user, "communities.view_resident")
        .select_related("household__unit__building", "community")
        .prefetch_related(
            current_groups_prefetch(),
            Prefetch("special_groups", queryset=memberships, to_attr="group_rows"),
        )
    )
    return get_object_or_404(residents, pk=pk)


# --- pagination at 100,000 rows -------------------------------------------------------------

GENERATION_KEY = "ledgers:generation"
COUNT_SECONDS = 300


def ledger_generation() -> str:
    """A random token replaced after every committed ledger write
    (ledger_services.ledger_changed): a cached count is stored with it and reused only
    while it has not changed. Random rather than a counter, so a token lost from the
    cache can never be reissued and match an old count."""
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        token = cache.get(GENERATION_KEY)
    return token


def ledger_community_get(*, user, pk: int) -> Community:
    """A community in the user's scope (Http404 otherwise) with the few columns the ledger
    pages use: not its policy profile's eighty parameters, as communities.selectors does."""
    communities = scoped(
        Community.objects.only("id", "name", "street_id", "profile_id", "is_active"), user
    )
    return get_object_or_404(communities, pk=pk)


def resident_filter_choices(community: Community, building=None) -> dict[str, list]:
    """The resident list's filter choices in one query: group types for the community's
    profile (code, name), residents' groups, buildings and, when a building is chosen, its
    units (id, name), each in its display order."""
    types, groups = SpecialGroupType._meta.db_table, ResidentsGroup._meta.db_table
    buildings, units = Building._meta.db_table, Unit._meta.db_table
    sql = f"""
        SELECT 'type', code, name, sort_order, code FROM {types}
         WHERE is_active AND (profile_id IS NULL OR profile_id = %(profile)s)
        UNION ALL
        SELECT 'group', id::text, name, sort_order, name FROM {groups}
         WHERE community_id = %(community)s
        UNION ALL
        SELECT 'building', id::text, name, sort_order, name FROM {buildings}
         WHERE community_id = %(community)s
        UNION ALL
        SELECT 'unit', id::text, name, sort_order, name FROM {units}
         WHERE community_id = %(community)s AND building_id = %(building)s
    """  # noqa: S608 (table names from the models; every value is a parameter)
    params = {"profile": community.profile_id, "community": community.pk, "building": building}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    found: dict[str, list] = {"type": [], "group": [], "building": [], "unit": []}
    # Display order: sort order, then code (types) or name, then id (as the ORM lists did).
    for kind, value, name, _order, _key in sorted(
        fetched, key=lambda r: (r[3], r[4], int(r[1]) if r[0] != "type" else 0)
    ):
        found[kind].append((value if kind == "type" else int(value), name))
    return found


class LedgerPaginator(Paginator):
    """Django's Paginator for the ledger lists at street scale.

    - `count`: the exact number (COUNT(*) is 10–20 ms over 100,000 residents; a search
      with OR up to ~40 ms), cached for COUNT_SECONDS under the query's SQL (or the
      caller's `count_key`) with the ledger generation, so a page view recounts only after
      a write;
    - `page()`: a deferred join: the page's ids first (an index-only walk of the partial
      address-order index, ~4 ms at offset 50,000 against ~250 ms for the full rows), then
      those rows with their joins, review flags and prefetches.
    """

    @cached_property
    def count(self):
        if self.count_key is not None:
            source = self.count_key
        else:
            sql, params = self.object_list.query.sql_with_params()
            source = f"{sql}|{params!r}"
        digest = hashlib.sha256(source.encode()).hexdigest()
        key = f"ledgers:count:{digest}"
        # One round trip for the generation and the count stored with the generation it
        # was counted under.
        found = cache.get_many([GENERATION_KEY, key])
        generation = found.get(GENERATION_KEY) or ledger_generation()
        stored = found.get(key)
        if isinstance(stored, tuple) and stored[0] == generation:
            return stored[1]
        value = self.object_list.count()
        cache.set(key, (generation, value), timeout=COUNT_SECONDS)
        return value

    def __init__(self, object_list, per_page, *args, rows=None, count_key=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        # rows(ids queryset) -> the page's rows in one query (resident_page_rows); default:
        # the ids, then object_list's rows for them.
        self.rows = rows
        # What the count depends on, when the caller can say it more cheaply than the
        # query's SQL (which has to be compiled to be hashed); default: the SQL.
        self.count_key = count_key

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.object_list.values_list("pk", flat=True)[bottom:top]
        if bottom >= top:
            rows = []
        elif self.rows is not None:
            rows = self.rows(ids)
        else:
            ids = list(ids)
            rows = list(self.object_list.filter(pk__in=ids)) if ids else []
        return Page(rows, number, self)


# --- households ---------------------------------------------------------------------------


def household_list(
    *,
    user,
    community_id=None,
    q: str | None = None,
    unit=None,
    building=None,
    include_moved_out: bool = False,
) -> QuerySet[Household]:
    """Households in address order with the number of current residents (`n_residents`)."""
    households = permitted(Household.objects.all(), user, "communities.view_household")
    if community_id not in (None, ""):
        households = households.filter(community_id=_int(community_id))
    if not include_moved_out:
        households = households.filter(moved_out_on__isnull=True)
    if unit not in (None, ""):
        households = households.filter(unit_id=_int(unit))
    if building not in (None, ""):
        households = households.filter(unit__building_id=_int(building))
    q = (q or "").strip()
    if q:
        households = households.filter(address__icontains=q)
    return (
        households.select_related("community")
        .annotate(n_residents=Count("residents", filter=Q(residents__moved_out_on__isnull=True)))
        .order_by("community_id", "address_order", "id")
    )


def household_get(*, user, pk: int) -> Household:
    """One household with its residents (current first, then moved out) and their groups."""
    residents = (
        with_review_flags(Resident.objects.all())
        .prefetch_related(current_groups_prefetch())
        .order_by(
            Case(When(moved_out_on__isnull=True, then=0), default=1), "relation", "birth_date"
        )
    )
    households = (
        permitted(Household.objects.all(), user, "communities.view_household")
        .select_related("community", "unit__building__compound")
        .prefetch_related(Prefetch("residents", queryset=residents, to_attr="resident_rows"))
    )
    return get_object_or_404(households, pk=pk)


# --- special groups and targets -----------------------------------------------------------


def special_group_type_list(*, community: Community | None = None) -> QuerySet:
    """Active group types for a community's profile (rows without a profile apply to all)."""
    types = SpecialGroupType.objects.filter(is_active=True)
    if community is not None:
        types = types.filter(Q(profile__isnull=True) | Q(profile_id=community.profile_id))
    return types.order_by("sort_order", "code")


def special_group_list(
    *, user, community_id=None, group: str | None = None, current_only: bool = True
) -> QuerySet[SpecialGroupMember]:
    members = permitted(
        SpecialGroupMember.objects.all(), user, "communities.view_specialgroupmember"
    )
    if community_id not in (None, ""):
        members = members.filter(community_id=_int(community_id))
    if group:
        members = members.filter(group_type__code=group)
    if current_only:
        members = members.filter(current_period_q(today=timezone.localdate()))
    return members.select_related("community", "group_type", "resident__household").order_by(
        "community_id", "group_type__sort_order", "resident__address_order", "id"
    )


def special_group_get(*, user, pk: int) -> SpecialGroupMember:
    """One membership in the user's scope (Http404 otherwise) with its resident."""
    members = permitted(
        SpecialGroupMember.objects.all(), user, "communities.view_specialgroupmember"
    ).select_related("community__profile", "group_type", "resident__household")
    return get_object_or_404(members, pk=pk)


def special_target_list(*, user, community_id=None) -> QuerySet[SpecialTarget]:
    """Special targets (特别对象) of the communities where the user holds
    view_specialtarget only; the caller logs every view (ledger_services)."""
    targets = permitted(SpecialTarget.objects.all(), user, "communities.view_specialtarget")
    if community_id not in (None, ""):
        targets = targets.filter(community_id=_int(community_id))
    return targets.select_related("community", "resident__household")


def special_target_get(*, user, pk: int) -> SpecialTarget:
    """One special target for a role granted view_specialtarget in its community (Http404
    otherwise, so its existence is not revealed); the caller logs the view."""
    return get_object_or_404(special_target_list(user=user), pk=pk)


# --- volunteers (ORG-9) -------------------------------------------------------------------


def volunteer_list(
    *, user, community_id=None, q: str | None = None, active_only: bool = False
) -> QuerySet[Volunteer]:
    """Volunteers with their total service hours (`total_hours`) and number of services."""
    volunteers = permitted(Volunteer.objects.all(), user, "communities.view_volunteer")
    if community_id not in (None, ""):
        volunteers = volunteers.filter(community_id=_int(community_id))
    if active_only:
        volunteers = volunteers.filter(is_active=True)
    q = (q or "").strip()
    if q:
        volunteers = volunteers.filter(Q(name__icontains=q) | Q(skills__icontains=q))
    return (
        volunteers.select_related("community", "organisation")
        .annotate(
            total_hours=Coalesce(
                Sum("services__hours"),
                Value(0),
                output_field=DecimalField(max_digits=9, decimal_places=1),
            ),
            n_services=Count("services"),
        )
        .order_by("community_id", "name", "id")
    )


def volunteer_service_list(*, volunteer: Volunteer) -> QuerySet[VolunteerService]:
    """A volunteer's service records, latest first (the volunteer is already scoped)."""
    return VolunteerService.objects.filter(volunteer_id=volunteer.pk).order_by("-date", "-id")


def volunteer_get(*, user, pk: int) -> Volunteer:
    """One volunteer in the user's scope (Http404 otherwise) with `total_hours` and
    `n_services`; the records are paged by volunteer_service_list."""
    return get_object_or_404(volunteer_list(user=user), pk=pk)


# --- coverage report (清查不漏幢、摸底不漏户、造册不漏人) ------------------------------------------


@dataclass
class Counts:
    expected: int = 0  # households expected from the grid (Unit.households)
    registered: int = 0  # current households registered
    residents: int = 0  # current residents
    without_id: int = 0  # current residents without a valid ID number
    duplicates: int = 0  # current residents flagged as duplicate elsewhere
    empty_households: int = 0  # current households without a current resident
    empty_units: int = 0  # units with no current household
    empty_buildings: int = 0  # buildings with no current household (or no units)
    short_units: int = 0  # units with fewer households registered than expected

    @property
    def missing(self) -> int:
        return max(self.expected - self.registered, 0)

    @property
    def pct(self) -> int | None:
        if not self.expected:
            return None
        return round(100 * self.registered / self.expected)

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class UnitCoverage:
    unit: object
    counts: Counts

    @property
    def is_empty(self) -> bool:
        return self.counts.registered == 0

    @property
    def is_short(self) -> bool:
        return self.counts.registered < self.counts.expected


@dataclass
class BuildingCoverage:
    building: object
    units: list[UnitCoverage] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)

    @property
    def is_empty(self) -> bool:
        return self.counts.registered == 0


@dataclass
class CommunityCoverage:
    community: object
    buildings: list[BuildingCoverage] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


@dataclass
class Coverage:
    day: dt.date
    communities: list[CommunityCoverage] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)  # street-wide (all communities shown)
    community: object = None  # the one community asked for, if any


def coverage_report(*, user, community_id=None) -> Coverage:
    """Per building and unit: households registered (current) vs. expected from the grid,
    units and buildings without households, households without residents, residents
    without a valid ID number and residents flagged as duplicates elsewhere; per community
    and street-wide. Six queries whatever the number of rows."""
    communities = scoped(
        Community.objects.filter(is_active=True).select_related("street"), user
    ).order_by("street__name", "name")
    if community_id not in (None, ""):
        communities = communities.filter(pk=_int(community_id))
    communities = list(communities)
    ids = [c.pk for c in communities]
    buildings = (
        Building.objects.filter(community_id__in=ids)
        .prefetch_related("units")
        .order_by("community_id", "sort_order", "name", "id")
    )
    households = {
        row["unit_id"]: row
        for row in Household.objects.filter(community_id__in=ids, moved_out_on__isnull=True)
        .values("unit_id")
        .annotate(
            n=Count("id"),
            empty=Count(
                "id",
                filter=~Q(
                    Exists(
                        Resident.objects.filter(
                            household_id=OuterRef("pk"), moved_out_on__isnull=True
                        )
                    )
                ),
            ),
        )
        .order_by()
    }
    residents = {
        row["household__unit_id"]: row
        for row in Resident.objects.filter(community_id__in=ids, moved_out_on__isnull=True)
        .values("household__unit_id")
        .annotate(n=Count("id"), without_id=Count("id", filter=Q(id_valid=False)))
        .order_by()
    }
    duplicates = dict(
        Resident.objects.filter(duplicate_elsewhere_q(), community_id__in=ids)
        .values("household__unit_id")
        .annotate(n=Count("id"))
        .values_list("household__unit_id", "n")
        .order_by()
    )
    report = Coverage(day=timezone.localdate())
    by_community = {c.pk: CommunityCoverage(community=c) for c in communities}
    for building in buildings:
        row = BuildingCoverage(building=building)
        for unit in sorted(building.units.all(), key=lambda u: (u.sort_order, u.name, u.pk)):
            h = households.get(unit.pk, {})
            r = residents.get(unit.pk, {})
            counts = Counts(
                expected=unit.households,
                registered=h.get("n", 0),
                residents=r.get("n", 0),
                without_id=r.get("without_id", 0),
                duplicates=duplicates.get(unit.pk, 0),
                empty_households=h.get("empty", 0),
            )
            counts.empty_units = int(counts.registered == 0)
            counts.short_units = int(counts.registered < counts.expected)
            row.units.append(UnitCoverage(unit=unit, counts=counts))
            row.counts.add(counts)
        row.counts.empty_buildings = int(row.counts.registered == 0)
        community = by_community[building.community_id]
        community.buildings.append(row)
        community.counts.add(row.counts)
    for community in by_community.values():
        report.communities.append(community)
        report.counts.add(community.counts)
    if community_id not in (None, "") and len(communities) == 1:
        report.community = communities[0]
    return report
