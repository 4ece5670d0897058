"""The permission matrix (role × model × action) and cross-community isolation in the admin.

Expectations are written out by hand here, not derived from core.roles, so a change to the
grants table that breaks one of them fails a test."""

import pytest
from django.urls import reverse

from communities.models import Facility, Unit
from core.models import Role
from tests.factories import (
    CommunityFactory,
    FacilityFactory,
    StreetFactory,
    UnitFactory,
    user_with_role,
)

V, A, C, D = "view", "add", "change", "delete"

# role -> {model: actions allowed in the user's own community}
EXPECTED = {
    Role.STREET_ADMIN: {
        "communities.community": {V, A, C, D},
        "communities.facility": {V, A, C, D},
        "communities.unit": {V, A, C, D},
        "core.compliancefinding": {V},
        "core.roleassignment": {V, A, C, D},
    },
    Role.STREET_PRINCIPAL: {
        "communities.community": {V},
        "communities.facility": {V},
        "communities.unit": {V},
        "core.compliancefinding": {V},
        "core.roleassignment": {V},
    },
    Role.SUPERVISION_MEMBER: {
        "communities.community": {V},
        "communities.facility": {V},
        "communities.unit": {V},
        "core.compliancefinding": {V},
        "core.roleassignment": {V},
    },
    Role.COMMITTEE_DIRECTOR: {
        "communities.community": {V},
        "communities.facility": {V, A, C, D},
        "communities.unit": {V, A, C, D},
        "core.compliancefinding": {V},
        "core.roleassignment": set(),
    },
    Role.PARTY_SECRETARY: {
        "communities.community": {V},
        "communities.facility": {V, A, C, D},
        "communities.unit": {V, A, C, D},
        "core.compliancefinding": {V},
        "core.roleassignment": set(),
    },
    Role.DEPUTY: {
        "communities.community": {V},
        "communities.facility": {V, A, C},
        "communities.unit": {V, A, C},
        "core.compliancefinding": {V},
        "core.roleassignment": set(),
    },
    Role.MEMBER: {
        "communities.community": {V},
        "communities.facility": {V},
        "communities.unit": {V},
        "core.compliancefinding": {V},
        "core.roleassignment": set(),
    },
    Role.CASHIER: {
        "communities.community": {V},
        "communities.facility": {V},
        "communities.unit": {V},
        "core.compliancefinding": {V},
        "core.roleassignment": set(),
    },
    Role.GRID_WORKER: {
        "communities.community": {V},
        "communities.facility": set(),
        "communities.unit": {V, C},
        "core.compliancefinding": {V},
        "core.roleassignment": set(),
    },
}


@pytest.fixture
def world(db):
    street = StreetFactory()
    a = CommunityFactory(street=street)
    b = CommunityFactory()  # another street
    return {
        "street": street,
        "a": a,
        "b": b,
        "objs_a": {
            "communities.community": a,
            "communities.facility": FacilityFactory(community=a),
            "communities.unit": UnitFactory(building__community=a),
        },
        "objs_b": {
            "communities.community": b,
            "communities.facility": FacilityFactory(community=b),
            "communities.unit": UnitFactory(building__community=b),
        },
    }


def _user(role, world):
    if role in (Role.STREET_ADMIN, Role.STREET_PRINCIPAL, Role.SUPERVISION_MEMBER):
        return user_with_role(role, street=world["street"])
    return user_with_role(role, community=world["a"])


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize(
    "model", ["communities.community", "communities.facility", "communities.unit"]
)
@pytest.mark.parametrize("action", [V, A, C, D])
def test_permission_matrix_on_own_and_other_community(world, role, model, action):
    user = _user(role, world)
    app, name = model.split(".")
    perm = f"{app}.{action}_{name}"
    expected = action in EXPECTED[role][model]
    assert user.has_perm(perm, world["objs_a"][model]) is expected
    assert user.has_perm(perm, world["objs_b"][model]) is False


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("model", ["core.compliancefinding", "core.roleassignment"])
def test_model_level_permissions(world, role, model):
    user = _user(role, world)
    app, name = model.split(".")
    for action in (V, A, C, D):
        assert user.has_perm(f"{app}.{action}_{name}") is (action in EXPECTED[role][model])


@pytest.mark.django_db
def test_revoking_a_role_removes_access_and_the_guardian_grant():
    from guardian.shortcuts import get_perms

    from core.models import RoleAssignment
    from core.services import role_revoke

    community = CommunityFactory()
    user = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    assert "access_community" in get_perms(user, community)
    role_revoke(by=None, assignment=RoleAssignment.objects.get(user=user))
    user.refresh_from_db()
    assert get_perms(user, community) == []
    assert not user.has_perm("communities.view_facility", FacilityFactory(community=community))
    assert user.is_staff is False


@pytest.mark.django_db
def test_a_role_without_the_guardian_grant_gives_no_access():
    """The guardian grant is the gate: a RoleAssignment row alone (e.g. written by hand)
    opens nothing."""
    from core.models import RoleAssignment
    from tests.factories import UserFactory

    community = CommunityFactory()
    user = UserFactory()
    RoleAssignment.objects.create(user=user, role=Role.COMMITTEE_DIRECTOR, community=community)
    assert not user.has_perm("communities.view_facility", FacilityFactory(community=community))


# --- cross-community through the admin -------------------------------------------------


@pytest.mark.django_db
def test_admin_list_shows_only_own_community(client, ab):
    client.force_login(ab["user_a"])
    body = client.get(reverse("admin:communities_facility_changelist")).content.decode()
    assert "甲活动室" in body and "乙活动室" not in body
    body = client.get(reverse("admin:communities_community_changelist")).content.decode()
    assert "甲社区" in body and "乙社区" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_admin_guessed_id_of_other_community_is_404(client, ab, view):
    client.force_login(ab["user_a"])
    url = reverse(f"admin:communities_facility_{view}", args=[ab["fac_b"].pk])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_admin_post_to_other_community_changes_nothing(client, ab):
    client.force_login(ab["user_a"])
    fac = ab["fac_b"]
    change = reverse("admin:communities_facility_change", args=[fac.pk])
    response = client.post(
        change,
        {"name": "被篡改", "community": ab["a"].pk, "room_type": "activity", "area": "1"},
    )
    assert response.status_code == 404
    delete = reverse("admin:communities_facility_delete", args=[fac.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 404
    fac.refresh_from_db()
    assert fac.name == "乙活动室"


@pytest.mark.django_db
def test_admin_bulk_delete_action_cannot_reach_other_community(client, ab):
    client.force_login(ab["user_a"])
    url = reverse("admin:communities_facility_changelist")
    client.post(
        url,
        {
            "action": "delete_selected",
            "_selected_action": [ab["fac_a"].pk, ab["fac_b"].pk],
            "post": "yes",
        },
    )
    assert Facility.objects.filter(pk=ab["fac_b"].pk).exists()
    assert not Facility.objects.filter(pk=ab["fac_a"].pk).exists()


@pytest.mark.django_db
def test_admin_cannot_add_a_row_into_other_community(client, ab):
    client.force_login(ab["user_a"])
    url = reverse("admin:communities_facility_add")
    response = client.post(
        url, {"name": "偷加", "community": ab["b"].pk, "room_type": "activity", "area": "10"}
    )
    assert response.status_code == 200  # form error: B is not a valid choice
    assert "community" in response.context["adminform"].form.errors
    assert not Facility.objects.filter(name="偷加").exists()


@pytest.mark.django_db
def test_admin_cannot_put_a_unit_under_other_communitys_building(client, ab):
    from tests.factories import BuildingFactory

    building_b = BuildingFactory(community=ab["b"])
    client.force_login(ab["user_a"])
    response = client.post(
        reverse("admin:communities_unit_add"),
        {"building": building_b.pk, "name": "9单元", "households": "10", "sort_order": "0"},
    )
    assert response.status_code == 200
    assert "building" in response.context["adminform"].form.errors
    assert not Unit.objects.filter(name="9单元").exists()


@pytest.mark.django_db
def test_compliance_matrix_and_export_are_scoped(client, ab):
    from io import BytesIO

    from openpyxl import load_workbook

    from core.services import compliance_run

    compliance_run()
    client.force_login(ab["user_a"])
    body = client.get(reverse("admin:core_compliancefinding_matrix")).content.decode()
    assert "甲社区" in body and "乙社区" not in body
    other = reverse("admin:core_compliancefinding_matrix") + f"?community={ab['b'].pk}"
    assert client.get(other).status_code == 404
    export = client.get(reverse("admin:core_compliancefinding_export"))
    assert export.status_code == 200
    wb = load_workbook(BytesIO(export.content), read_only=True)
    names = {row[0] for ws in wb.worksheets for row in ws.iter_rows(min_row=2, values_only=True)}
    assert "甲社区" in names and "乙社区" not in names
    other_export = reverse("admin:core_compliancefinding_export") + f"?community={ab['b'].pk}"
    assert client.get(other_export).status_code == 404
