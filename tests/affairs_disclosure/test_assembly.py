"""Resolutions of the residents' representative assembly as a disclosure draft (DISC-1(3),
MEET-1/2): a closed sitting's results — title, votes for/against/abstain, present/total,
passed or not — in category "resolutions"; one draft per sitting however often it is
generated; offered in the portal and the admin."""

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse

from affairs_disclosure import selectors, services
from affairs_disclosure.models import (
    ApprovalSide,
    Category,
    DisclosureApproval,
    DisclosureItem,
    ItemState,
    Source,
)
from core.errors import RuleViolation
from meetings.models import VoteChoice
from meetings.services import (
    motion_add,
    motion_close,
    motion_open_voting,
    sitting_close,
    vote_cast,
)
from tests.affairs_disclosure.conftest import this_quarter
from tests.meetings.factories import convened, in_session
from tests.staffing.factories import WorkerFactory


def _voted(director, sitting, seats, title, n_for, n_against=0, n_abstain=0):
    motion = motion_open_voting(
        user=director, motion=motion_add(user=director, sitting=sitting, title=title)
    )
    choices = (
        [VoteChoice.FOR] * n_for
        + [VoteChoice.AGAINST] * n_against
        + [VoteChoice.ABSTAIN] * n_abstain
    )
    for seat, choice in zip(seats, choices, strict=False):
        vote_cast(user=director, motion=motion, choice=choice, seat=seat)
    return motion_close(user=director, motion=motion)


def closed_sitting(community, director, *, close=True):
    """10 representatives, 9 present: one motion passed (7/1/1), one failed (5 for, 4
    against), one never voted on."""
    sitting, director = convened(community, 10, director=director, title="2026年上半年居民代表会议")
    sitting, seats = in_session(sitting, director, 9)
    _voted(director, sitting, seats, "增设电动车充电桩", 7, 1, 1)
    _voted(director, sitting, seats, "调整小区停车收费", 5, 4)
    motion_add(user=director, sitting=sitting, title="未表决的议题")
    if close:
        recorder = WorkerFactory(community=community)
        sitting = sitting_close(
            user=director, sitting=sitting, recorder=recorder, minutes="会议记录……"
        )
    return sitting


@pytest.mark.django_db
def test_disc1_resolutions_draft_from_a_closed_sitting(disc):
    sitting = closed_sitting(disc.community, disc.director)
    item = services.item_generate_assembly(user=disc.director, sitting=sitting)
    assert (item.category, item.source, item.source_sitting) == (
        Category.RESOLUTIONS,
        Source.ASSEMBLY,
        sitting,
    )
    assert item.state == ItemState.DRAFT and item.created_by == disc.director
    assert (item.year, item.quarter) == this_quarter()
    assert "2026年上半年居民代表会议" in item.title
    assert "应到居民代表 10 人" in item.body and "通过 1 项，未通过 1 项" in item.body
    (table,) = item.tables
    assert table["columns"][:8] == [
        "序号",
        "表决事项",
        "类别",
        "出席/应到",
        "赞成",
        "反对",
        "弃权",
        "结果",
    ]
    assert [row[1:] for row in table["rows"]] == [
        ["增设电动车充电桩", "决议、决定事项", "9/10", 7, 1, 1, "通过"],
        ["调整小区停车收费", "决议、决定事项", "9/10", 5, 4, 0, "未通过"],
    ]


@pytest.mark.django_db
def test_generating_twice_makes_one_draft_and_keeps_its_approval(disc):
    sitting = closed_sitting(disc.community, disc.director)
    first = services.item_generate_assembly(user=disc.director, sitting=sitting)
    services.item_approve(user=disc.secretary, item=first, side=ApprovalSide.PARTY)
    second = services.item_generate_assembly(user=disc.deputy, sitting=sitting)
    assert second.pk == first.pk
    assert DisclosureItem.objects.filter(source_sitting=sitting).count() == 1
    assert DisclosureApproval.objects.filter(item=first).count() == 1  # content unchanged


@pytest.mark.django_db
def test_generating_again_refreshes_an_edited_draft_and_withdraws_its_approval(disc):
    sitting = closed_sitting(disc.community, disc.director)
    item = services.item_generate_assembly(user=disc.director, sitting=sitting)
    item.title = "改过的标题"
    item = services.item_save(user=disc.director, instance=item)
    services.item_approve(user=disc.secretary, item=item, side=ApprovalSide.PARTY)
    again = services.item_generate_assembly(user=disc.director, sitting=sitting)
    assert again.pk == item.pk and "2026年上半年居民代表会议" in again.title
    assert not DisclosureApproval.objects.filter(item=item).exists()


@pytest.mark.django_db
def test_disc3_no_regeneration_once_approved_then_the_correction_is_the_draft(disc):
    sitting = closed_sitting(disc.community, disc.director)
    item = disc.approved(services.item_generate_assembly(user=disc.director, sitting=sitting))
    with pytest.raises(RuleViolation) as err:
        services.item_generate_assembly(user=disc.director, sitting=sitting)
    assert err.value.rule_id == "DISC-3"
    item = services.item_publish(user=disc.director, item=item)
    correction = services.item_correct(user=disc.director, item=item, reason="错字")
    assert correction.source_sitting == sitting and correction.version == 2
    # Generating again now refreshes the correction draft, never makes a third item.
    again = services.item_generate_assembly(user=disc.director, sitting=sitting)
    assert again.pk == correction.pk
    assert DisclosureItem.objects.filter(source_sitting=sitting).count() == 2


@pytest.mark.django_db
def test_one_original_per_sitting_in_the_database(disc):
    sitting = closed_sitting(disc.community, disc.director)
    item = services.item_generate_assembly(user=disc.director, sitting=sitting)
    twin = DisclosureItem(
        community=disc.community,
        category=Category.RESOLUTIONS,
        year=item.year,
        quarter=item.quarter,
        title="重复",
        source=Source.ASSEMBLY,
        source_sitting=sitting,
        created_by=disc.director,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.django_db
def test_meet1_a_sitting_not_closed_is_refused(disc):
    sitting = closed_sitting(disc.community, disc.director, close=False)
    with pytest.raises(RuleViolation) as err:
        services.item_generate_assembly(user=disc.director, sitting=sitting)
    assert err.value.rule_id == "MEET-1"
    assert not DisclosureItem.objects.exists()


@pytest.mark.django_db
def test_another_communitys_sitting_is_404_and_not_offered(disc):
    sitting = closed_sitting(disc.other, disc.other_director)
    with pytest.raises(Http404):
        services.item_generate_assembly(user=disc.director, sitting=sitting)
    assert list(selectors.sittings_for_generation(user=disc.director)) == []
    assert list(selectors.sittings_for_generation(user=disc.other_director)) == [sitting]
    assert not DisclosureItem.objects.exists()


@pytest.mark.django_db
def test_portal_offers_the_sitting_and_two_submits_make_one_draft(disc, client):
    sitting = closed_sitting(disc.community, disc.director)
    client.force_login(disc.director)
    url = reverse("disclosure:generate")
    page = client.get(url).content.decode()
    assert "居民代表会议决议事项" in page and "2026年上半年居民代表会议" in page
    for token in ("a0c1f4a8-5b7e-4c1d-9a51-2d4f8e0b6c11", "b1d2e5b9-6c8f-4d2e-8b62-3e5f9f1c7d22"):
        response = client.post(
            url, {"which": "assembly", "asm-sitting": sitting.pk, "asm-token": token}
        )
        item = DisclosureItem.objects.get(source_sitting=sitting)
        assert response.status_code == 302
        assert response.url == reverse("disclosure:item", args=[item.pk])
    assert DisclosureItem.objects.filter(category=Category.RESOLUTIONS).count() == 1
    assert "2026年上半年居民代表会议" in client.get(response.url).content.decode()


@pytest.mark.django_db
def test_admin_generates_the_resolutions_draft(disc, client):
    sitting = closed_sitting(disc.community, disc.director)
    client.force_login(disc.director)
    url = reverse("admin:affairs_disclosure_generate")
    assert "居民代表会议决议事项" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "which": "assembly",
            "asm-sitting": sitting.pk,
            "asm-token": "c2e3f6ca-7d9a-4e3f-9c73-4f6aa02d8e33",
        },
    )
    item = DisclosureItem.objects.get(source_sitting=sitting)
    assert response.status_code == 302
    assert response.url == reverse("admin:affairs_disclosure_disclosureitem_change", args=[item.pk])
    assert client.get(response.url).status_code == 200


GENERATE_API = "/api/v1/disclosure/items/generate-assembly/"


@pytest.mark.django_db
def test_api_generates_the_draft_once_with_the_rule_id_on_refusal(disc):
    from rest_framework.test import APIClient

    sitting = closed_sitting(disc.community, disc.director)
    api = APIClient()
    api.force_authenticate(disc.director)
    first = api.post(GENERATE_API, {"sitting": sitting.pk}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["category"] == "resolutions"
    assert first.json()["source_sitting"] == sitting.pk
    again = api.post(GENERATE_API, {"sitting": sitting.pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    disc.approved(DisclosureItem.objects.get(pk=first.json()["id"]))
    refused = api.post(GENERATE_API, {"sitting": sitting.pk}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "DISC-3"
    open_sitting, _director = convened(disc.community, director=disc.director, title="临时会议")
    not_closed = api.post(GENERATE_API, {"sitting": open_sitting.pk}, format="json")
    assert not_closed.status_code == 400 and not_closed.json()["code"] == "MEET-1"
    other = closed_sitting(disc.other, disc.other_director)
    assert api.post(GENERATE_API, {"sitting": other.pk}, format="json").status_code == 404
    assert DisclosureItem.objects.count() == 1
