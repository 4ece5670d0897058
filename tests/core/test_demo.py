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


def _finding(community_name, check_code):
    return ComplianceFinding.objects.get(community__name=community_name, check_code=check_code)


def test_demo_staffing_mostly_in_line_with_the_documented_exceptions(demo):
    """staffing/demo.py: each community's staff within STAFF-1 except the ones listed there;
    every STAFF check passes except the deliberate findings."""
    from staffing.demo import QUIRKS
    from staffing.models import PostTerm, Worker

    assert Worker.objects.filter(community__street=demo).count() > 60
    quota = {c.name: _finding(c.name, "staff1-quota").status for c in COMMUNITIES}
    assert quota == {
        "锦湖社区": FindingStatus.OK,
        "澜苑社区": FindingStatus.WARNING,  # understaffed
        "桐荫社区": FindingStatus.OK,  # over quota with this year's reason
        "松涛社区": FindingStatus.OK,
        "青枫社区": FindingStatus.OK,
        "晓光社区": FindingStatus.WARNING,  # over quota without a reason
    }
    assert _finding("松涛社区", "staff6-training").status == FindingStatus.VIOLATION
    assert _finding("青枫社区", "staff6-weekly-study").status == FindingStatus.WARNING
    assert _finding("晓光社区", "staff7-handover").status != FindingStatus.OK
    assert _finding("锦湖社区", "staff4-terms-expiring").status == FindingStatus.WARNING
    quirky = {spec.name for spec in COMMUNITIES if spec.key in QUIRKS}
    for check in (
        "staff8-incompatible",
        "staff10-party-checkup",
        "staff5-evaluation",
        "org3-roster-terms",
        "org2-roster-terms",
    ):
        statuses = ComplianceFinding.objects.filter(check_code=check).values_list(
            "status", flat=True
        )
        assert set(statuses) == {FindingStatus.OK}, check
    assert quirky  # the list in staffing/demo.py is what this test reads
    # The demo logins are the workers they represent.
    c1_director = get_user_model().objects.get(username="c1_director")
    assert PostTerm.objects.filter(worker__user=c1_director, post="committee_director").exists()


def test_demo_inbox_has_the_expiring_contract_reminder(demo):
    from core.models import Reminder

    assert Reminder.objects.filter(
        community__name="锦湖社区", kind="staff4-term-expiry", status="open"
    ).exists()


def test_demo_payrolls_last_month_approved_this_month_draft(demo):
    from staffing.models import Payroll, PayrollState

    states = sorted(Payroll.objects.values_list("state", flat=True))
    assert states.count(PayrollState.APPROVED) == 6
    assert states.count(PayrollState.DRAFT) == 6
    approved = Payroll.objects.filter(state=PayrollState.APPROVED).first()
    assert approved.lines.count() > 5
    assert not ComplianceFinding.objects.filter(
        check_code="staff2-payroll", status=FindingStatus.VIOLATION
    ).exists()
