"""Bad input through the admin: a clear Chinese error next to the field, nothing saved."""

import pytest
from django.urls import reverse

from communities.models import Community, Facility, Membership, OrgKind
from core.models import PolicyProfile, Role
from tests.factories import (
    CommunityFactory,
    MembershipFactory,
    OrganisationFactory,
    user_with_role,
)


def _errors(response):
    form = response.context["adminform"].form
    return {k: " ".join(v) for k, v in form.errors.items()}


@pytest.mark.django_db
def test_facility_area_abc_refused(client):
    community = CommunityFactory()
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=community))
    response = client.post(
        reverse("admin:communities_facility_add"),
        {"name": "活动室", "community": community.pk, "room_type": "activity", "area": "abc"},
    )
    assert response.status_code == 200
    assert "输入一个数字" in _errors(response)["area"]
    assert not Facility.objects.exists()


@pytest.mark.django_db
def test_public_room_rented_refused_in_admin(client):
    community = CommunityFactory()
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=community))
    response = client.post(
        reverse("admin:communities_facility_add"),
        {
            "name": "图书室",
            "community": community.pk,
            "room_type": "library",
            "area": "50",
            "is_public_service": "on",
            "use_status": "rented",
        },
    )
    assert response.status_code == 200
    assert "ORG-12" in str(response.context["adminform"].form.non_field_errors()) + str(
        _errors(response)
    )
    assert not Facility.objects.exists()


@pytest.mark.django_db
def test_committee_of_ten_refused_next_to_the_field(client):
    org = OrganisationFactory(kind=OrgKind.COMMITTEE)
    MembershipFactory.create_batch(9, organisation=org)
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=org.community))
    response = client.post(
        reverse("admin:communities_membership_add"),
        {"organisation": org.pk, "person_name": "第十人", "position": "member"},
    )
    assert response.status_code == 200
    errors = _errors(response)
    assert "ORG-3" in errors["organisation"] and "最多 9 人" in errors["organisation"]
    assert Membership.objects.filter(organisation=org).count() == 9


@pytest.mark.django_db
def test_negative_households_and_duplicate_name_refused(client):
    existing = CommunityFactory(name="和平社区")
    admin = user_with_role(Role.STREET_ADMIN, street=existing.street)
    client.force_login(admin)
    data = {
        "street": existing.street_id,
        "name": "和平社区",
        "households": "-5",
        "area_type": "old",
        "profile": existing.profile_id,
        "is_active": "on",
    }
    response = client.post(reverse("admin:communities_community_add"), data)
    errors = _errors(response)
    assert "households" in errors
    data["households"] = "2000"
    response = client.post(reverse("admin:communities_community_add"), data)
    assert "同一街道下已有同名社区" in str(response.context["adminform"].form.errors)
    assert Community.objects.filter(name="和平社区").count() == 1


@pytest.mark.django_db
def test_profile_min_above_max_refused_in_admin(admin_client):
    url = reverse("admin:core_policyprofile_add")
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"code": "bad", "name": "错误方案", "committee_min": "10", "committee_max": "9"})
    for key, value in list(data.items()):
        if isinstance(value, bool):
            data[key] = "on" if value else ""
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "不得大于" in _errors(response)["committee_min"]
    assert not PolicyProfile.objects.filter(code="bad").exists()


@pytest.mark.django_db
def test_presets_are_read_only_for_street_admins(client):
    community = CommunityFactory()
    client.force_login(user_with_role(Role.STREET_ADMIN, street=community.street))
    preset = PolicyProfile.objects.get(code="default")
    response = client.post(
        reverse("admin:core_policyprofile_change", args=[preset.pk]), {"committee_max": "7"}
    )
    assert response.status_code in (200, 403)
    preset.refresh_from_db()
    assert preset.committee_max == 9


@pytest.mark.django_db
def test_english_ui_gives_english_errors(client):
    community = CommunityFactory()
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=community))
    response = client.post(
        reverse("admin:communities_facility_add"),
        {"name": "x", "community": community.pk, "room_type": "activity", "area": "abc"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Enter a number." in _errors(response)["area"]


@pytest.mark.django_db
def test_facility_photo_must_be_an_image_and_small(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    community = CommunityFactory()
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=community))
    data = {"name": "活动室", "community": community.pk, "room_type": "activity", "area": "20"}
    fake = SimpleUploadedFile("room.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    response = client.post(reverse("admin:communities_facility_add"), {**data, "photo": fake})
    assert "photo" in _errors(response)
    assert not Facility.objects.exists()


def test_photo_size_limit_boundary():
    from django.core.exceptions import ValidationError

    from core.validators import MAX_IMAGE_BYTES, validate_image_size

    class Upload:
        def __init__(self, size):
            self.size = size

    validate_image_size(Upload(MAX_IMAGE_BYTES))
    with pytest.raises(ValidationError, match="文件过大"):
        validate_image_size(Upload(MAX_IMAGE_BYTES + 1))
