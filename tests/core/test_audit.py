"""Audit history (issue #3 §5): who, when, from where, before → after; bulk writes too;
shown on the object's page; not editable through the UI."""

import pytest
from django.urls import reverse
from pghistory.models import Events

from communities.models import Facility
from core.models import Role
from tests.factories import FacilityFactory, user_with_role


@pytest.mark.django_db
def test_admin_change_records_user_ip_and_diff_and_shows_it(client):
    facility = FacilityFactory(name="图书室", area="80.00")
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=facility.community)
    client.force_login(director)
    url = reverse("admin:communities_facility_change", args=[facility.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "photo"}
    data.update({"area": "95.50", "community": facility.community_id})
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    response = client.post(url, data, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Events.objects.tracks(facility).filter(pgh_label="update").get()
    assert event.pgh_diff["area"] == [80.0, 95.5]
    assert event.pgh_context["user"] == director.pk
    assert event.pgh_context["ip"] == "10.1.2.3"
    history = client.get(reverse("admin:communities_facility_history", args=[facility.pk]))
    assert history.status_code == 200
    body = history.content.decode()
    assert "10.1.2.3" in body and "area" in body and "80.0 → 95.5" in body
    assert "updated_at" not in body  # bookkeeping noise is left out of the diff


@pytest.mark.django_db
def test_bulk_update_is_recorded_by_the_trigger():
    facilities = FacilityFactory.create_batch(3)
    Facility.objects.filter(pk__in=[f.pk for f in facilities]).update(ownership="街道")
    for f in facilities:
        labels = list(Events.objects.tracks(f).values_list("pgh_label", flat=True))
        assert sorted(labels) == ["insert", "update"]


@pytest.mark.django_db
def test_delete_is_recorded():
    facility = FacilityFactory()
    pk = facility.pk
    facility.delete()
    from communities.models import FacilityEvent

    assert FacilityEvent.objects.filter(pgh_obj_id=pk, pgh_label="delete").exists()


@pytest.mark.django_db
def test_history_is_not_editable_through_the_admin(admin_client):
    from django.contrib import admin

    from communities.models import FacilityEvent

    assert FacilityEvent not in admin.site._registry
    for model in admin.site._registry:
        assert not model.__name__.endswith("Event"), model


@pytest.mark.django_db
def test_history_of_another_communitys_object_is_404(client, ab):
    facility_b = FacilityFactory(community=ab["b"])
    client.force_login(ab["user_a"])
    url = reverse("admin:communities_facility_history", args=[facility_b.pk])
    assert client.get(url).status_code == 404
