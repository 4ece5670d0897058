"""The demo street (core.demo, `manage.py seed_demo`) and the login table (`demo_logins`)."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from communities.models import (
    Building,
    Community,
    Facility,
    Membership,
    Organisation,
    ResidentsGroup,
    Street,
    Unit,
)
from core.demo import COMMUNITIES, DEMO_PASSWORD, STREET, STREET_LOGINS, build_demo
from core.models import ComplianceFinding, FindingStatus, Role, RoleAssignment
from core.scoping import scope_for

pytestmark = pytest.mark.django_db

COUNTED = (
    Street,
    Community,
    Organisation,
    Membership,
    ResidentsGroup,
    Building,
    Unit,
    Facility,
    RoleAssignment,
    ComplianceFinding,
    get_user_model(),
)


def _counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def demo():
    result = build_demo()
    assert result is not None
    return result["street"]


def test_six_communities_of_1500_to_6000_households(demo):
    communities = list(Community.objects.filter(street=demo))
    assert len(communities) == len(COMMUNITIES) == 6
    assert all(1500 <= c.households <= 6000 for c in communities)
    assert {c.profile.code for c in communities} >= {"default", "seed-003-changchun"}


def test_every_role_has_a_demo_login(demo):
    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    assert {"admin", *(u for u, _ in STREET_LOGINS), "c1_director", "c2_grid"} <= usernames
    user = get_user_model().objects.get(username="c1_member")
    assert user.check_password(DEMO_PASSWORD)
    assert not user.is_staff  # portal-only role
    assert get_user_model().objects.get(username="c1_director").is_staff


def test_seeding_twice_changes_nothing(demo):
    before = _counts()
    assert build_demo() is None
    assert _counts() == before


def test_seed_demo_command_is_idempotent():
    call_command("seed_demo", stdout=StringIO())
    before = _counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "演示数据已存在，跳过" in out.getvalue()
    assert _counts() == before


def test_findings_show_ok_warning_and_violation(demo):
    statuses = set(ComplianceFinding.objects.values_list("status", flat=True))
    assert statuses == {FindingStatus.OK, FindingStatus.WARNING, FindingStatus.VIOLATION}
    violations = set(
        ComplianceFinding.objects.filter(status=FindingStatus.VIOLATION).values_list(
            "rule_id", flat=True
        )
    )
    assert {"ORG-2", "ORG-4", "ORG-5", "ORG-12"} <= violations


def test_community_user_sees_only_own_community(demo):
    c1 = Community.objects.get(street=demo, name=COMMUNITIES[0].name)
    c2 = Community.objects.get(street=demo, name=COMMUNITIES[1].name)
    user = get_user_model().objects.get(username="c1_secretary")
    scope = scope_for(user)
    assert c1.pk in scope.community_ids
    assert c2.pk not in scope.community_ids
    street_user = get_user_model().objects.get(username="street_admin")
    assert {c1.pk, c2.pk} <= scope_for(street_user).community_ids


def test_demo_logins_prints_table_and_password(demo):
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert "street_admin" in text and "c2_grid" in text
    assert DEMO_PASSWORD in text
    assert STREET["name"] in text
