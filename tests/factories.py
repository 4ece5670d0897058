"""factory_boy factories, one per model of core and communities."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from communities import models as m
from core.models import PolicyProfile

PASSWORD = "pass12345!x"


def default_profile():
    # Presets come from a data migration; a transactional test's flush removes them, so
    # load them again when a later test needs them.
    if not PolicyProfile.objects.filter(code="default").exists():
        from core.presets import load_presets

        load_presets(PolicyProfile)
    return PolicyProfile.objects.get(code="default")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = factory.Sequence(lambda n: "张王李赵刘陈杨黄"[n % 8])
    first_name = factory.Sequence(lambda n: f"测试{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Street

    name = factory.Sequence(lambda n: f"测试街道{n}")
    district = "朝阳区"
    city = "长春市"
    default_profile = factory.LazyFunction(default_profile)


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试社区{n}")
    households = 3000
    area_type = m.AreaType.OLD
    profile = factory.LazyFunction(default_profile)
    address = factory.Sequence(lambda n: f"幸福路{n}号")
    phone = "0431-88880000"


class CommunityDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.CommunityDecision

    community = factory.SubFactory(CommunityFactory)
    kind = m.DecisionKind.CREATE
    decided_on = "2019-05-01"
    authority = "朝阳区人民政府"
    doc_no = factory.Sequence(lambda n: f"朝府发〔2019〕{n}号")


class CompoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Compound

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"阳光小区{n}")
    households = 500


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Organisation

    community = factory.SubFactory(CommunityFactory)
    kind = m.OrgKind.SOCIAL_ORG
    name = factory.Sequence(lambda n: f"社区组织{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Membership

    organisation = factory.SubFactory(OrganisationFactory)
    community = factory.SelfAttribute("organisation.community")
    person_name = factory.Sequence(lambda n: f"成员{n}")
    position = m.Position.MEMBER


class SubCommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SubCommittee

    community = factory.SubFactory(CommunityFactory)
    kind = m.SubCommitteeKind.MEDIATION
    convenor = "王调解"


class ResidentsGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ResidentsGroup

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}居民小组")
    leader_name = "李组长"
    households = 100


class BuildingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.BuildingGroup

    residents_group = factory.SubFactory(ResidentsGroupFactory)
    community = factory.SelfAttribute("residents_group.community")
    name = factory.Sequence(lambda n: f"楼群{n}")
    leader_name = "赵楼长"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Building

    building_group = factory.SubFactory(
        BuildingGroupFactory,
        residents_group__community=factory.SelfAttribute("...community"),
    )
    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"{n}号楼")
    leader_name = "孙栋长"
    households = 36


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Unit

    building = factory.SubFactory(BuildingFactory)
    community = factory.SelfAttribute("building.community")
    name = factory.Sequence(lambda n: f"{n}单元")
    households = 12


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Facility

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"活动室{n}")
    room_type = m.RoomType.ACTIVITY
    area = Decimal("60.00")


class AccessRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.AccessRecord

    community = factory.SubFactory(CommunityFactory)
    department = factory.Sequence(lambda n: f"区职能部门{n}")
    approved_on = "2024-03-01"
    funding = Decimal("5000.00")


class AccessCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.AccessCheck

    access = factory.SubFactory(AccessRecordFactory)
    community = factory.SelfAttribute("access.community")
    year = 2025
    result = m.CheckResult.PASS


def user_with_role(role, *, community=None, street=None, username=None):
    """A user holding one role, granted through the service (guardian grant included)."""
    from core.models import STREET_ROLES
    from core.services import role_assign

    kwargs = {"username": username} if username else {}
    user = UserFactory(**kwargs)
    if role in STREET_ROLES:
        street = street or (community.street if community else StreetFactory())
        role_assign(by=None, user=user, role=role, street=street)
    else:
        role_assign(by=None, user=user, role=role, community=community or CommunityFactory())
    user.refresh_from_db()
    return user
