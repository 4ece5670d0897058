"""The disclosure REST API (/api/v1/disclosure/): drafts and the DISC-3/FIN-7 workflow through
the services with the rule id in every refusal, residents' questions answered (DISC-4),
another community's rows 404 on every route, list query counts fixed, schema without
warnings."""

import uuid

import pytest
from rest_framework.test import APIClient

from affairs_disclosure import services
from affairs_disclosure.models import (
    ApprovalSide,
    Category,
    DisclosureApproval,
    DisclosureItem,
    ItemState,
    QuestionState,
    ResidentQuestion,
)
from tests.affairs_disclosure.conftest import DAY, this_quarter, today
from tests.factories import valid_id_number

ITEMS = "/api/v1/disclosure/items/"
QUESTIONS = "/api/v1/disclosure/questions/"


@pytest.fixture
def api():
    return APIClient()


def _payload(disc, **kw):
    year, quarter = this_quarter()
    return {
        "community": disc.community.pk,
        "category": Category.OTHER,
        "year": year,
        "quarter": quarter,
        "title": "小区停车位调整方案",
        "body": "经居民代表会议讨论<script>alert(1)</script>",
        "channels": ["board"],
        **kw,
    }


def _post(api, url, data=None):
    return api.post(url, data or {}, format="json")


def _published_by_street(disc, community, **fields):
    """A published item of any community of the street (the street administrator holds both
    approvals and publication)."""
    admin = disc.street_admin
    item = disc.draft(community=community, user=admin, **fields)
    item = services.item_approve(user=admin, item=item, side=ApprovalSide.PARTY)
    item = services.item_approve(user=admin, item=item, side=ApprovalSide.COMMITTEE)
    return services.item_publish(user=admin, item=item)


def _question(disc, item, body="请问停车位什么时候调整到位？"):
    question, _created = services.question_submit(
        item=item, kind="question", body=body, contact="", token=uuid.uuid4()
    )
    return question


# --- the happy path ------------------------------------------------------------------------


@pytest.mark.django_db
def test_financial_item_from_draft_to_published_through_the_api(disc, api):
    api.force_authenticate(disc.director)
    created = _post(api, ITEMS, _payload(disc, category=Category.FINANCE, title="财务收支"))
    assert created.status_code == 201, created.content
    body = created.json()
    pk = body["id"]
    assert body["state"] == "draft" and body["created_by"] == disc.director.pk
    assert "<script>" not in body["body"]  # sanitised by the service
    edited = api.patch(f"{ITEMS}{pk}/", {"title": "第三季度财务收支"}, format="json")
    assert edited.status_code == 200 and edited.json()["title"] == "第三季度财务收支"

    api.force_authenticate(disc.secretary)
    party = _post(api, f"{ITEMS}{pk}/approve/", {"side": "party", "comment": "同意"})
    assert party.status_code == 200, party.content
    assert party.json()["state"] == "draft" and len(party.json()["approvals"]) == 1
    api.force_authenticate(disc.director)
    both = _post(api, f"{ITEMS}{pk}/approve/", {"side": "committee"})
    assert both.status_code == 200 and both.json()["state"] == "approved"
    assert {a["side"] for a in both.json()["approvals"]} == {"party", "committee"}

    api.force_authenticate(disc.supervisor)
    stamped = _post(api, f"{ITEMS}{pk}/stamp/", {"on": today().isoformat()})
    assert stamped.status_code == 200, stamped.content
    assert stamped.json()["state"] == "stamped"
    assert stamped.json()["stamped_by"] == disc.supervisor.pk

    api.force_authenticate(disc.director)
    published = _post(api, f"{ITEMS}{pk}/publish/")
    assert published.status_code == 200, published.content
    assert published.json()["state"] == "published"
    assert published.json()["published_on"] == today().isoformat()
    assert DisclosureItem.objects.get(pk=pk).state == ItemState.PUBLISHED

    corrected = _post(api, f"{ITEMS}{pk}/correct/", {"reason": "支出合计有误"})
    assert corrected.status_code == 201, corrected.content
    assert corrected.json()["supersedes"] == pk and corrected.json()["version"] == 2
    archived = _post(api, f"{ITEMS}{pk}/archive/")
    assert archived.status_code == 200 and archived.json()["state"] == "archived"


@pytest.mark.django_db
def test_list_filters_by_community_category_period_and_state(disc, api):
    year, quarter = this_quarter()
    published = disc.published(category=Category.DUTIES)
    disc.draft(category=Category.PARTY)
    disc.draft(category=Category.OTHER, community=disc.other, user=disc.street_admin)
    api.force_authenticate(disc.street_admin)
    assert api.get(ITEMS).json()["count"] == 3
    by_state = api.get(ITEMS, {"state": "published"}).json()
    assert [r["id"] for r in by_state["results"]] == [published.pk]
    assert api.get(ITEMS, {"category": "party"}).json()["count"] == 1
    assert api.get(ITEMS, {"community": disc.other.pk}).json()["count"] == 1
    assert api.get(ITEMS, {"period": f"{year}-Q{quarter}"}).json()["count"] == 3
    assert api.get(ITEMS, {"period": f"{year - 1}-Q{quarter}"}).json()["count"] == 0
    assert api.get(ITEMS, {"year": year, "quarter": quarter}).json()["count"] == 3
    bad = api.get(ITEMS, {"period": "去年"})
    assert bad.status_code == 400 and "period" in bad.json()
    row = by_state["results"][0]
    assert "body" not in row and row["community_name"] == disc.community.name
    detail = api.get(f"{ITEMS}{published.pk}/").json()
    assert detail["body"] and len(detail["approvals"]) == 2


@pytest.mark.django_db
def test_return_and_delete_a_draft(disc, api):
    item = disc.approved(disc.draft())
    api.force_authenticate(disc.director)
    returned = _post(api, f"{ITEMS}{item.pk}/return/", {"reason": "附件缺失"})
    assert returned.status_code == 200 and returned.json()["state"] == "draft"
    assert returned.json()["approvals"] == []
    assert api.delete(f"{ITEMS}{item.pk}/").status_code == 204
    assert not DisclosureItem.objects.filter(pk=item.pk).exists()


# --- refusals, each with its rule id --------------------------------------------------------


@pytest.mark.django_db
def test_disc3_publishing_a_draft_refused(disc, api):
    item = disc.draft()
    api.force_authenticate(disc.director)
    response = _post(api, f"{ITEMS}{item.pk}/publish/")
    assert response.status_code == 400 and response.json()["code"] == "DISC-3"
    assert DisclosureItem.objects.get(pk=item.pk).state == ItemState.DRAFT


@pytest.mark.django_db
def test_disc3_the_same_side_twice_refused(disc, api):
    item = services.item_approve(user=disc.secretary, item=disc.draft(), side=ApprovalSide.PARTY)
    api.force_authenticate(disc.street_admin)
    response = _post(api, f"{ITEMS}{item.pk}/approve/", {"side": "party"})
    assert response.status_code == 400 and response.json()["code"] == "DISC-3"
    assert DisclosureApproval.objects.filter(item=item).count() == 1


@pytest.mark.django_db
def test_disc3_approving_for_the_other_side_forbidden(disc, api):
    item = disc.draft()
    api.force_authenticate(disc.director)
    response = _post(api, f"{ITEMS}{item.pk}/approve/", {"side": "party"})
    assert response.status_code == 403
    bad_side = _post(api, f"{ITEMS}{item.pk}/approve/", {"side": "street"})
    assert bad_side.status_code == 400 and "side" in bad_side.json()
    assert not DisclosureApproval.objects.filter(item=item).exists()


@pytest.mark.django_db
def test_disc3_a_published_item_is_not_edited_archived_twice_or_corrected_as_draft(disc, api):
    published = disc.published()
    draft = disc.draft(category=Category.PARTY)
    api.force_authenticate(disc.director)
    edit = api.patch(f"{ITEMS}{published.pk}/", {"title": "改"}, format="json")
    assert edit.status_code == 400 and edit.json()["code"] == "DISC-3"
    assert _post(api, f"{ITEMS}{draft.pk}/archive/").json()["code"] == "DISC-3"
    correct = _post(api, f"{ITEMS}{draft.pk}/correct/", {"reason": "错字"})
    assert correct.status_code == 400 and correct.json()["code"] == "DISC-3"
    assert api.delete(f"{ITEMS}{published.pk}/").status_code == 400
    assert DisclosureItem.objects.get(pk=published.pk).title == published.title


@pytest.mark.django_db
def test_fin7_financial_item_not_published_before_the_stamp(disc, api):
    item = disc.approved(disc.draft(category=Category.FINANCE))
    api.force_authenticate(disc.director)
    response = _post(api, f"{ITEMS}{item.pk}/publish/")
    assert response.status_code == 400 and response.json()["code"] == "FIN-7"


@pytest.mark.django_db
def test_fin7_publication_dated_before_the_stamp_refused(disc, api):
    item = disc.approved(disc.draft(category=Category.FINANCE))
    services.item_stamp(user=disc.supervisor, item=item)
    api.force_authenticate(disc.director)
    early = (today() - DAY).isoformat()
    response = _post(api, f"{ITEMS}{item.pk}/publish/", {"on": early})
    assert response.status_code == 400 and response.json()["code"] == "FIN-7"
    assert "published_on" in response.json()


@pytest.mark.django_db
def test_fin7_only_financial_items_are_stamped_and_only_by_the_street(disc, api):
    other = disc.approved(disc.draft(category=Category.OTHER))
    finance = disc.approved(disc.draft(category=Category.FINANCE))
    api.force_authenticate(disc.supervisor)
    response = _post(api, f"{ITEMS}{other.pk}/stamp/")
    assert response.status_code == 400 and response.json()["code"] == "FIN-7"
    api.force_authenticate(disc.director)
    assert _post(api, f"{ITEMS}{finance.pk}/stamp/").status_code == 403
    api.force_authenticate(disc.foreign_supervisor)
    assert _post(api, f"{ITEMS}{finance.pk}/stamp/").status_code == 404
    assert DisclosureItem.objects.get(pk=finance.pk).state == ItemState.APPROVED


@pytest.mark.django_db
def test_disc5_publication_without_a_channel_refused(disc, api):
    item = disc.approved(disc.draft(channels=[]))
    api.force_authenticate(disc.director)
    response = _post(api, f"{ITEMS}{item.pk}/publish/")
    assert response.status_code == 400 and response.json()["code"] == "DISC-5"
    assert "channels" in response.json()


@pytest.mark.django_db
def test_disc1_id_number_in_a_dibao_list_refused_at_approval(disc, api):
    number = valid_id_number(today().replace(year=1960))
    item = disc.draft(category=Category.DIBAO, body=f"张*三 {number}")
    api.force_authenticate(disc.secretary)
    response = _post(api, f"{ITEMS}{item.pk}/approve/", {"side": "party"})
    assert response.status_code == 400 and response.json()["code"] == "DISC-1"


@pytest.mark.django_db
def test_disc6_monthly_release_needs_a_month(disc, api):
    api.force_authenticate(disc.director)
    response = _post(api, ITEMS, _payload(disc, category=Category.MONTHLY))
    assert response.status_code == 400 and response.json()["code"] == "DISC-6"
    assert not DisclosureItem.objects.exists()


# --- residents' questions (DISC-4) ---------------------------------------------------------


@pytest.mark.django_db
def test_questions_listed_answered_and_published(disc, api, client):
    item = disc.published()
    question = _question(disc, item)
    api.force_authenticate(disc.deputy)
    listed = api.get(QUESTIONS, {"state": "open"}).json()
    assert [q["id"] for q in listed["results"]] == [question.pk]
    assert listed["results"][0]["item_title"] == item.title
    empty = _post(api, f"{QUESTIONS}{question.pk}/answer/", {"reply": "  "})
    assert empty.status_code == 400 and "reply" in empty.json()
    answered = _post(api, f"{QUESTIONS}{question.pk}/answer/", {"reply": "下月底前调整到位。"})
    assert answered.status_code == 200, answered.content
    assert answered.json()["state"] == QuestionState.ANSWERED
    again = _post(api, f"{QUESTIONS}{question.pk}/answer/", {"reply": "再答一次"})
    assert again.status_code == 400 and again.json()["code"] == "DISC-4"
    page = client.get(f"/public/c/{disc.community.pk}/i/{item.pk}/")
    assert page.status_code == 200 and "下月底前调整到位" in page.content.decode()


@pytest.mark.django_db
def test_a_question_closed_without_publication(disc, api):
    question = _question(disc, disc.published())
    api.force_authenticate(disc.director)
    assert _post(api, f"{QUESTIONS}{question.pk}/close/", {}).status_code == 400
    closed = _post(api, f"{QUESTIONS}{question.pk}/close/", {"reason": "重复提交"})
    assert closed.status_code == 200 and closed.json()["state"] == QuestionState.CLOSED


# --- another community's rows do not exist ---------------------------------------------------


ITEM_ACTIONS = (
    ("approve", {"side": "committee"}),
    ("stamp", {}),
    ("publish", {}),
    ("archive", {}),
    ("return", {"reason": "x"}),
    ("correct", {"reason": "x"}),
)


@pytest.mark.django_db
def test_community_a_user_gets_404_for_community_b(disc, api):
    draft_b = disc.draft(community=disc.other, user=disc.other_director)
    published_b = _published_by_street(disc, disc.other, category=Category.DUTIES)
    question_b = _question(disc, published_b)
    api.force_authenticate(disc.director)  # community A
    assert api.get(ITEMS).json()["count"] == 0
    assert api.get(ITEMS, {"community": disc.other.pk}).json()["count"] == 0
    for item in (draft_b, published_b):
        assert api.get(f"{ITEMS}{item.pk}/").status_code == 404
        assert api.patch(f"{ITEMS}{item.pk}/", {"title": "x"}, format="json").status_code == 404
        assert api.delete(f"{ITEMS}{item.pk}/").status_code == 404
        for name, data in ITEM_ACTIONS:
            response = _post(api, f"{ITEMS}{item.pk}/{name}/", data)
            assert response.status_code == 404, (name, response.content)
    assert api.get(QUESTIONS).json()["count"] == 0
    assert api.get(f"{QUESTIONS}{question_b.pk}/").status_code == 404
    assert _post(api, f"{QUESTIONS}{question_b.pk}/answer/", {"reply": "x"}).status_code == 404
    assert _post(api, f"{QUESTIONS}{question_b.pk}/close/", {"reason": "x"}).status_code == 404
    create = _post(api, ITEMS, _payload(disc, community=disc.other.pk))
    assert create.status_code == 400 and "community" in create.json()
    assert DisclosureItem.objects.get(pk=draft_b.pk).title == draft_b.title
    assert ResidentQuestion.objects.get(pk=question_b.pk).state == QuestionState.OPEN


@pytest.mark.django_db
def test_another_street_sees_nothing(disc, api):
    item = disc.approved(disc.draft(category=Category.FINANCE))
    api.force_authenticate(disc.foreign_supervisor)
    assert api.get(ITEMS).json()["count"] == 0
    assert api.get(f"{ITEMS}{item.pk}/").status_code == 404


@pytest.mark.django_db
def test_anonymous_is_refused(disc, api):
    assert api.get(ITEMS).status_code in (401, 403)


# --- query counts ----------------------------------------------------------------------------


def _grow(disc, n):
    for i in range(n):
        item = disc.draft(title=f"事项{i}")
        if i % 2:
            item = disc.published(item)
            _question(disc, item)


@pytest.mark.django_db
def test_item_and_question_lists_query_count_fixed(disc, api, django_assert_max_num_queries):
    api.force_authenticate(disc.street_admin)
    _grow(disc, 2)
    for url in (ITEMS, QUESTIONS):
        api.get(url)  # warm per-process caches (content types, grants)
    with django_assert_max_num_queries(8) as small:
        assert api.get(ITEMS).status_code == 200
    with django_assert_max_num_queries(8) as small_q:
        assert api.get(QUESTIONS).status_code == 200
    _grow(disc, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert api.get(ITEMS).json()["count"] == 22
    with django_assert_max_num_queries(len(small_q.captured_queries)):
        assert api.get(QUESTIONS).json()["count"] == 11


@pytest.mark.django_db
def test_detail_query_count_fixed(disc, api, django_assert_max_num_queries):
    item = disc.published()
    api.force_authenticate(disc.street_admin)
    api.get(f"{ITEMS}{item.pk}/")
    with django_assert_max_num_queries(10) as ctx:
        assert api.get(f"{ITEMS}{item.pk}/").status_code == 200
    bigger = disc.published(disc.draft(title="另一事项"))
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        assert api.get(f"{ITEMS}{bigger.pk}/").status_code == 200


# --- schema ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_openapi_schema_has_the_disclosure_endpoints_and_no_warnings(admin_client):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    for route in (
        b"/api/v1/disclosure/items/",
        b"/api/v1/disclosure/items/{id}/approve/",
        b"/api/v1/disclosure/items/{id}/stamp/",
        b"/api/v1/disclosure/items/{id}/publish/",
        b"/api/v1/disclosure/items/{id}/archive/",
        b"/api/v1/disclosure/items/{id}/correct/",
        b"/api/v1/disclosure/questions/{id}/answer/",
    ):
        assert route in response.content, route
    assert not GENERATOR_STATS, (
        dict(GENERATOR_STATS._warn_cache),
        dict(GENERATOR_STATS._error_cache),
    )
