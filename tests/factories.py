"""factory_boy factories, one per model of core and communities.

Rows under a parent (a unit under its building, a seat under its organisation, ...) always
share the parent's community. Any of these works and stays consistent:

    UnitFactory()                          # a new community, grid and all
    UnitFactory(community=c)               # the whole chain in community c
    UnitFactory(building=b)                # community taken from b
    UnitFactory(building__community=c)     # the same as community=c

Role grants go through core.services.role_assign (RoleAssignmentFactory, user_with_role), so
the django-guardian grant and is_staff are set exactly as in production.
"""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from communities import models as m
from core.demo import person_name
from core.models import (
    STREET_ROLES,
    ComplianceFinding,
    PolicyProfile,
    Role,
    RoleAssignment,
    TaskHeartbeat,
)

PASSWORD = "pass12345!x"


def default_profile():
    """The `default` preset (created by core/migrations/0002). A transactional test's flush
    removes the presets, so a later test loads them again."""
    if not PolicyProfile.objects.filter(code="default").exists():
        from core.presets import load_presets

        load_presets(PolicyProfile)
    return PolicyProfile.objects.get(code="default")


class PolicyProfileFactory(factory.django.DjangoModelFactory):
    """PolicyProfileFactory() is the `default` preset; pass a new code for a fresh profile
    with the model's default values."""

    class Meta:
        model = PolicyProfile
        django_get_or_create = ("code",)

    code = "default"
    name = factory.Sequence(lambda n: f"测试方案{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = factory.Sequence(lambda n: person_name(n)[0])
    first_name = factory.Sequence(lambda n: person_name(n)[1])
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save(update_fields=["password"])


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Street

    name = factory.Sequence(lambda n: f"测试街道{n}")
    district = "朝阳区"
    city = "长春市"
    default_profile = factory.SubFactory(PolicyProfileFactory)


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试社区{n}")
    households = 3000
    area_type = m.AreaType.OLD
    # A new community takes its street's default profile (the `default` preset).
    profile = factory.LazyAttribute(lambda o: o.street.default_profile)
    address = factory.Sequence(lambda n: f"幸福路{n}号")
    phone = "0431-88880000"


class InCommunity(factory.django.DjangoModelFactory):
    """A row under a parent: the community comes from the parent when the parent (or its
    community) is given, and the parent is made in the row's community otherwise."""

    class Meta:
        abstract = True

    _parent = ""  # name of the parent field, "" for rows directly under a community

    community = factory.SubFactory(CommunityFactory)

    @classmethod
    def _consistent(cls, kwargs):
        parent = cls._parent
        if parent and "community" not in kwargs:
            if kwargs.get(parent) is not None:
                kwargs["community"] = kwargs[parent].community
            elif f"{parent}__community" in kwargs:
                kwargs["community"] = kwargs[f"{parent}__community"]
        return kwargs

    @classmethod
    def build(cls, **kwargs):
        return super().build(**cls._consistent(kwargs))

    @classmethod
    def create(cls, **kwargs):
        return super().create(**cls._consistent(kwargs))


def same_community(factory_class):
    """The parent, made in the child's community."""
    return factory.SubFactory(factory_class, community=factory.SelfAttribute("..community"))


class CommunityDecisionFactory(InCommunity):
    class Meta:
        model = m.CommunityDecision

    kind = m.DecisionKind.CREATE
    decided_on = dt.date(2019, 5, 1)
    authority = "长春市朝阳区人民政府"
    doc_no = factory.Sequence(lambda n: f"朝府发〔2019〕{n + 1}号")
    filed_on = dt.date(2019, 5, 20)


class CompoundFactory(InCommunity):
    class Meta:
        model = m.Compound

    name = factory.Sequence(lambda n: f"阳光小区{n}")
    households = 500


class OrganisationFactory(InCommunity):
    class Meta:
        model = m.Organisation

    kind = m.OrgKind.SOCIAL_ORG
    name = factory.Sequence(lambda n: f"社区组织{n}")


class MembershipFactory(InCommunity):
    class Meta:
        model = m.Membership

    _parent = "organisation"
    organisation = same_community(OrganisationFactory)
    person_name = factory.Sequence(lambda n: "".join(person_name(n)))
    position = m.Position.MEMBER


class SubCommitteeFactory(InCommunity):
    class Meta:
        model = m.SubCommittee

    kind = m.SubCommitteeKind.MEDIATION
    convenor = factory.Sequence(lambda n: "".join(person_name(n)))


class ResidentsGroupFactory(InCommunity):
    class Meta:
        model = m.ResidentsGroup

    name = factory.Sequence(lambda n: f"第{n + 1}居民小组")
    leader_name = factory.Sequence(lambda n: "".join(person_name(n)))
    households = 100


class BuildingGroupFactory(InCommunity):
    class Meta:
        model = m.BuildingGroup

    _parent = "residents_group"
    residents_group = same_community(ResidentsGroupFactory)
    name = factory.Sequence(lambda n: f"{n + 1}号楼群")
    leader_name = factory.Sequence(lambda n: "".join(person_name(n + 7)))


class BuildingFactory(InCommunity):
    class Meta:
        model = m.Building

    _parent = "building_group"
    building_group = same_community(BuildingGroupFactory)
    name = factory.Sequence(lambda n: f"{n + 1}号楼")
    leader_name = factory.Sequence(lambda n: "".join(person_name(n + 13)))
    households = 36


class UnitFactory(InCommunity):
    class Meta:
        model = m.Unit

    _parent = "building"
    building = same_community(BuildingFactory)
    name = factory.Sequence(lambda n: f"{n + 1}单元")
    households = 12


class FacilityFactory(InCommunity):
    class Meta:
        model = m.Facility

    name = factory.Sequence(lambda n: f"活动室{n}")
    room_type = m.RoomType.ACTIVITY
    area = Decimal("60.00")


class AccessRecordFactory(InCommunity):
    class Meta:
        model = m.AccessRecord

    department = factory.Sequence(lambda n: f"朝阳区职能部门{n}")
    approved_on = dt.date(2024, 3, 1)
    funding = Decimal("5000.00")


class AccessCheckFactory(InCommunity):
    class Meta:
        model = m.AccessCheck

    _parent = "access"
    access = same_community(AccessRecordFactory)
    year = 2025
    result = m.CheckResult.PASS


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    """Created through core.services.role_assign (guardian grant, is_staff). A street role
    gets a street, a community role a community."""

    class Meta:
        model = RoleAssignment

    class Params:
        at_street = factory.LazyAttribute(lambda o: o.role in STREET_ROLES)

    user = factory.SubFactory(UserFactory)
    role = Role.COMMITTEE_DIRECTOR
    street = factory.Maybe("at_street", factory.SubFactory(StreetFactory), None)
    community = factory.Maybe("at_street", None, factory.SubFactory(CommunityFactory))

    @classmethod
    def _create(cls, model_class, **kwargs):
        from core.services import role_assign

        return role_assign(by=None, **kwargs)


class ComplianceFindingFactory(InCommunity):
    class Meta:
        model = ComplianceFinding

    check_code = "org2-party-size"
    rule_id = "ORG-2"
    run_date = factory.LazyFunction(timezone.localdate)
    status = "ok"
    message = "党组织委员会 7 人，在 5—9 人之间"
    citation = "001 第八条"
    profile = factory.SelfAttribute("community.profile")
    params = factory.LazyAttribute(
        lambda o: o.profile.snapshot(("party_committee_min", "party_committee_max"))
    )


class TaskHeartbeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskHeartbeat

    task_name = factory.Sequence(lambda n: f"core.tasks.demo_task_{n}")
    last_success_at = factory.LazyFunction(timezone.now)
    runs = 1


def user_with_role(role, *, community=None, street=None, username=None):
    """A user holding one role, granted through the service (guardian grant included)."""
    kwargs = {"username": username} if username else {}
    user = UserFactory(**kwargs)
    if role in STREET_ROLES:
        street = street or (community.street if community else StreetFactory())
        RoleAssignmentFactory(user=user, role=role, street=street, community=None)
    else:
        RoleAssignmentFactory(
            user=user, role=role, street=None, community=community or CommunityFactory()
        )
    user.refresh_from_db()
    return user


# --- ledgers (issue #4) ---------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def valid_id_number(birth: dt.date, seq: int = 1, region: str = "220104") -> str:
    """A valid 18-digit resident ID number (GB 11643): region, birth date, a 3-digit
    sequence (odd = male) and the check digit."""
    first17 = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + _ID_CHECK[total % 11]


def special_group_types():
    """The special group types seeded by communities/migrations/0005 (a transactional
    test's flush removes them): loaded again when missing. Returns {code: type}."""
    import importlib

    seed = importlib.import_module("communities.migrations.0005_special_group_types")
    existing = {t.code: t for t in m.SpecialGroupType.objects.filter(profile=None)}
    for order, (code, name, amount, grade, min_age) in enumerate(seed.TYPES, start=1):
        if code not in existing:
            existing[code] = m.SpecialGroupType.objects.create(
                profile=None,
                code=code,
                name=name,
                has_amount=amount,
                has_grade=grade,
                min_age=min_age,
                sort_order=order * 10,
            )
    return existing


def special_group_type(code: str = "dibao"):
    return special_group_types()[code]


class HouseholdFactory(InCommunity):
    """A household at a unit of its community; the address is derived as the service does."""

    class Meta:
        model = m.Household

    _parent = "unit"
    unit = same_community(UnitFactory)
    room = factory.Sequence(lambda n: f"{n % 6 + 1}{n % 4 + 1:02d}-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from communities.ledger_services import household_fill

        household = model_class(*args, **kwargs)
        household_fill(household)
        household.save()
        return household


class ResidentFactory(InCommunity):
    """A current resident with a valid ID number (birth date and gender derived from it)."""

    class Meta:
        model = m.Resident

    _parent = "household"
    household = same_community(HouseholdFactory)
    name = factory.Sequence(lambda n: "".join(person_name(n)))
    id_number = factory.Sequence(
        lambda n: valid_id_number(dt.date(1950, 1, 1) + dt.timedelta(days=(n * 37) % 20000), n)
    )
    relation = m.Relation.HEAD
    phone = factory.Sequence(lambda n: f"139{n:08d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from communities.ledger_services import resident_fill

        resident = model_class(*args, **kwargs)
        errors = resident_fill(resident, timezone.localdate())
        assert not errors, errors
        resident.save()
        return resident


class SpecialGroupMemberFactory(InCommunity):
    class Meta:
        model = m.SpecialGroupMember

    _parent = "resident"
    resident = same_community(ResidentFactory)
    group_type = factory.LazyFunction(special_group_type)
    starts_on = dt.date(2024, 1, 1)
    monthly_amount = factory.LazyAttribute(
        lambda o: Decimal("650.00") if o.group_type.has_amount else None
    )
    grade = factory.LazyAttribute(lambda o: "2" if o.group_type.has_grade else "")


class SpecialTargetFactory(InCommunity):
    class Meta:
        model = m.SpecialTarget

    _parent = "resident"
    resident = same_community(ResidentFactory)
    kind = m.SpecialTargetKind.CORRECTION
    since = dt.date(2024, 3, 1)
    responsible = factory.Sequence(lambda n: "".join(person_name(n + 3)))


class VolunteerFactory(InCommunity):
    class Meta:
        model = m.Volunteer

    name = factory.Sequence(lambda n: "".join(person_name(n + 5)))
    phone = factory.Sequence(lambda n: f"137{n:08d}")
    registered_on = dt.date(2024, 1, 1)


class VolunteerServiceFactory(InCommunity):
    class Meta:
        model = m.VolunteerService

    _parent = "volunteer"
    volunteer = same_community(VolunteerFactory)
    date = dt.date(2025, 3, 5)
    activity = "社区环境整治"
    hours = Decimal("2.5")


# --- affairs disclosure (issue #7) ----------------------------------------------------------


class DisclosureItemFactory(InCommunity):
    """A disclosure item written straight to the table (test data: lists and benchmarks).
    The workflow itself is tested through affairs_disclosure.services. `published=True`
    makes it published at the end of its quarter (stamped the same day when financial)."""

    class Meta:
        model = "affairs_disclosure.DisclosureItem"

    class Params:
        published = factory.Trait(
            state="published",
            published_on=factory.LazyAttribute(
                lambda o: min(_quarter_end(o.year, o.quarter), timezone.localdate())
            ),
            published_at=factory.LazyFunction(timezone.now),
            stamped_on=factory.LazyAttribute(
                lambda o: o.published_on if o.category == "finance" else None
            ),
            stamped_by=factory.LazyAttribute(
                lambda o: o.created_by if o.category == "finance" else None
            ),
        )

    category = "other"
    year = 2025
    quarter = 1
    title = factory.Sequence(lambda n: f"公开事项{n}")
    body = "<p>公开内容</p>"
    channels = factory.LazyFunction(lambda: ["board"])
    created_by = factory.SubFactory(UserFactory)


def _quarter_end(year: int, quarter: int) -> dt.date:
    month = 3 * quarter
    nxt = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return nxt - dt.timedelta(days=1)
