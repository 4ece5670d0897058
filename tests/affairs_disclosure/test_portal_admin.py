"""The portal (/portal/disclosure/) and the admin: every page answers, writes go through the
services (one-time tokens against double submits), other communities' ids are 404 on every
URL, list pages keep a fixed number of queries."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from affairs_disclosure import services
from affairs_disclosure.models import (
    Category,
    DisclosureApproval,
    DisclosureItem,
    ItemState,
    QuestionKind,
    QuestionState,
    ResidentQuestion,
)
from tests.factories import DisclosureItemFactory
from tests.helpers import query_count

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _token():
    return str(uuid.uuid4())


def _question(item, body="请问这笔支出的用途？"):
    return services.question_submit(
        item=item, kind=QuestionKind.QUESTION, body=body, contact="", token=uuid.uuid4()
    )[0]


@pytest.mark.django_db
def test_portal_pages_answer_for_a_community_head(disc, client):
    item = disc.published()
    question = _question(item)
    client.force_login(disc.director)
    for url in (
        reverse("disclosure:home"),
        reverse("disclosure:home") + f"?community={disc.community.pk}&state=published",
        reverse("disclosure:item_new"),
        reverse("disclosure:generate"),
        reverse("disclosure:status"),
        reverse("disclosure:status") + "?q=2025-Q4",
        reverse("disclosure:item", args=[item.pk]),
        reverse("disclosure:questions"),
        reverse("disclosure:questions") + "?overdue=1",
        reverse("disclosure:question", args=[question.pk]),
        reverse("portal:community", args=[disc.community.pk]),
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("portal:community", args=[disc.community.pk])).content.decode()
    assert reverse("public:poster", args=[disc.community.pk]) in page


@pytest.mark.django_db
def test_portal_draft_approve_publish_with_one_time_tokens(disc, client):
    client.force_login(disc.director)
    data = {
        "community": disc.community.pk,
        "category": Category.RESOLUTIONS,
        "year": 2026,
        "quarter": 2,
        "title": "关于加装电梯的决议",
        "body": "经居民代表会议表决通过。",
        "channels": ["board", "representatives"],
        "table_title": "表决结果",
        "table_text": "事项|赞成|反对\n加装电梯|25|3",
        "token": _token(),
    }
    first = client.post(reverse("disclosure:item_new"), data)
    second = client.post(reverse("disclosure:item_new"), data)  # double submit
    assert first.status_code == second.status_code == 302
    item = DisclosureItem.objects.get()
    assert item.tables == [
        {
            "title": "表决结果",
            "columns": ["事项", "赞成", "反对"],
            "rows": [["加装电梯", "25", "3"]],
        }
    ]
    assert item.channels == ["board", "representatives"]
    action = reverse("disclosure:item_action", args=[item.pk, "approve"])
    token = _token()
    client.post(action, {"side": "committee", "token": token, "comment": "同意"})
    client.post(action, {"side": "committee", "token": token})
    assert DisclosureApproval.objects.filter(item=item).count() == 1
    client.force_login(disc.secretary)
    client.post(action, {"side": "party", "token": _token()})
    item.refresh_from_db()
    assert item.state == ItemState.APPROVED
    response = client.post(
        reverse("disclosure:item_action", args=[item.pk, "publish"]), {"token": _token()}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED


@pytest.mark.django_db
def test_portal_shows_the_rule_when_a_step_is_refused(disc, client):
    item = disc.approved(disc.draft(category=Category.FINANCE))
    client.force_login(disc.director)
    response = client.post(
        reverse("disclosure:item_action", args=[item.pk, "publish"]),
        {"token": _token()},
        follow=True,
    )
    assert "[FIN-7]" in response.content.decode()


@pytest.mark.django_db
def test_portal_attachment_upload_refuses_a_fake_image(disc, client):
    item = disc.draft()
    client.force_login(disc.director)
    url = reverse("disclosure:attachment_upload", args=[item.pk])
    fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>")
    page = client.post(url, {"file": fake, "token": _token()}, follow=True).content.decode()
    assert "不是有效的" in page and not item.attachments.exists()
    client.post(url, {"file": SimpleUploadedFile("y.png", PNG), "token": _token()})
    attachment = item.attachments.get()
    assert client.get(reverse("disclosure:attachment", args=[attachment.pk])).status_code == 200


@pytest.mark.django_db
def test_portal_reply_is_published(disc, client):
    item = disc.published()
    question = _question(item)
    client.force_login(disc.deputy)
    url = reverse("disclosure:question", args=[question.pk])
    response = client.post(
        url,
        {
            "which": "reply",
            "reply-reply": "用于社区文化活动。",
            "reply-public_text": "",
            "reply-token": _token(),
        },
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.state == QuestionState.ANSWERED and question.public_text == question.body
    public = client.get(reverse("public:item", args=[disc.community.pk, item.pk])).content.decode()
    assert "用于社区文化活动。" in public


@pytest.mark.django_db
def test_other_communities_are_404_in_the_portal(disc, client):
    item = disc.published()
    draft = disc.draft()
    attachment = services.attachment_add(
        user=disc.director, item=draft, upload=SimpleUploadedFile("a.png", PNG)
    )
    question = _question(item)
    client.force_login(disc.other_director)
    for url in (
        reverse("disclosure:item", args=[item.pk]),
        reverse("disclosure:item_edit", args=[draft.pk]),
        reverse("disclosure:attachment", args=[attachment.pk]),
        reverse("disclosure:question", args=[question.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (reverse("disclosure:item_action", args=[draft.pk, "approve"]), {"side": "committee"}),
        (reverse("disclosure:item_action", args=[item.pk, "archive"]), {}),
        (reverse("disclosure:attachment_delete", args=[attachment.pk]), {}),
        (reverse("disclosure:question", args=[question.pk]), {"which": "close"}),
    ):
        assert client.post(url, {**data, "token": _token()}).status_code == 404, url
    listing = client.get(reverse("disclosure:home")).content.decode()
    assert item.title not in listing
    draft.refresh_from_db()
    assert draft.state == ItemState.DRAFT and not draft.approvals.exists()


@pytest.mark.django_db
def test_supervision_member_stamps_in_the_portal_only_in_their_street(disc, client):
    item = disc.approved(disc.draft(category=Category.FINANCE))
    client.force_login(disc.foreign_supervisor)
    assert client.get(reverse("disclosure:item", args=[item.pk])).status_code == 404
    client.force_login(disc.supervisor)
    page = client.get(reverse("disclosure:item", args=[item.pk])).content.decode()
    assert "监管会审核签章（FIN-7）" in page
    client.post(reverse("disclosure:item_action", args=[item.pk, "stamp"]), {"token": _token()})
    item.refresh_from_db()
    assert item.state == ItemState.STAMPED and item.stamped_by == disc.supervisor


@pytest.mark.django_db
def test_status_table_shows_published_late_and_missing(disc, client):
    from affairs_disclosure import rules
    from tests.affairs_disclosure.conftest import last_quarter

    year, quarter = last_quarter()
    _first, last = rules.quarter_bounds(year, quarter)
    DisclosureItemFactory(
        community=disc.community,
        category=Category.FINANCE,
        year=year,
        quarter=quarter,
        published=True,
        published_on=last,
    )
    client.force_login(disc.street_admin)
    page = client.get(reverse("disclosure:status") + f"?q={year}-Q{quarter}").content.decode()
    assert "阳光社区" in page and "明月社区" in page and "外街社区" not in page
    assert "按时" in page and "逾期未公开" in page
    admin_page = client.get(reverse("admin:affairs_disclosure_status") + f"?q={year}-Q{quarter}")
    assert admin_page.status_code == 200 and "逾期未公开" in admin_page.content.decode()


@pytest.mark.django_db
def test_status_table_query_count_is_fixed(disc, client):
    from tests.factories import CommunityFactory

    client.force_login(disc.street_admin)
    url = reverse("disclosure:status")
    small = query_count(client, url)
    for _ in range(5):
        c = CommunityFactory(street=disc.street)
        for category in Category.values:
            if category != Category.MONTHLY:
                DisclosureItemFactory(
                    community=c, category=category, year=2026, quarter=1, published=True
                )
    assert query_count(client, url) == small


@pytest.mark.django_db
def test_portal_item_list_query_count_is_fixed(disc, client):
    client.force_login(disc.director)
    url = reverse("disclosure:home")
    DisclosureItemFactory(community=disc.community, published=True)
    small = query_count(client, url)
    for _ in range(25):
        DisclosureItemFactory(community=disc.community, published=True)
    assert query_count(client, url) == small


# --- admin ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_lists_and_pages_answer(disc, client):
    item = disc.published()
    draft = disc.draft()
    question = _question(item)
    client.force_login(disc.director)
    for url in (
        reverse("admin:affairs_disclosure_disclosureitem_changelist"),
        reverse("admin:affairs_disclosure_disclosureitem_change", args=[item.pk]),
        reverse("admin:affairs_disclosure_disclosureitem_change", args=[draft.pk]),
        reverse("admin:affairs_disclosure_disclosureitem_add"),
        reverse("admin:affairs_disclosure_residentquestion_changelist"),
        reverse("admin:affairs_disclosure_residentquestion_change", args=[question.pk]),
        reverse("admin:affairs_disclosure_generate"),
        reverse("admin:affairs_disclosure_status"),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_admin_add_and_workflow_buttons_go_through_the_services(disc, client):
    client.force_login(disc.director)
    response = client.post(
        reverse("admin:affairs_disclosure_disclosureitem_add"),
        {
            "community": disc.community.pk,
            "category": Category.DUTIES,
            "year": 2026,
            "quarter": 2,
            "title": "居委会成员分工",
            "body": '<p onclick="x()">主任：王某</p><script>alert(1)</script>',
            "tables": "[]",
            "channels": ["board"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item = DisclosureItem.objects.get()
    assert item.created_by == disc.director and "<script" not in item.body
    assert "onclick" not in item.body
    transition = "admin:affairs_disclosure_disclosureitem_transition"
    client.post(reverse(transition, args=[item.pk, "approve_committee"]))
    client.force_login(disc.secretary)
    client.post(reverse(transition, args=[item.pk, "approve_party"]))
    client.post(reverse(transition, args=[item.pk, "publish"]))
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED
    change = client.get(reverse("admin:affairs_disclosure_disclosureitem_change", args=[item.pk]))
    assert "二维码海报" in change.content.decode()


@pytest.mark.django_db
def test_admin_bulk_action_reports_refusals(disc, client):
    finance = disc.approved(disc.draft(category=Category.FINANCE))
    other = disc.approved(disc.draft())
    client.force_login(disc.director)
    response = client.post(
        reverse("admin:affairs_disclosure_disclosureitem_changelist"),
        {"action": "publish", "_selected_action": [finance.pk, other.pk]},
        follow=True,
    )
    assert "[FIN-7]" in response.content.decode()
    finance.refresh_from_db()
    other.refresh_from_db()
    assert finance.state == ItemState.APPROVED and other.state == ItemState.PUBLISHED


@pytest.mark.django_db
def test_admin_question_reply(disc, client):
    item = disc.published()
    question = _question(item)
    client.force_login(disc.director)
    url = reverse("admin:affairs_disclosure_residentquestion_change", args=[question.pk])
    empty = client.post(url, {"public_text": "", "reply": "", "close_reason": ""})
    assert empty.status_code == 200 and "请填写答复" in empty.content.decode()
    client.post(url, {"public_text": "", "reply": "已核实，用于购买活动器材。", "close_reason": ""})
    question.refresh_from_db()
    assert question.state == QuestionState.ANSWERED and question.replied_by == disc.director


@pytest.mark.django_db
def test_other_communities_are_404_in_the_admin(disc, client):
    item = disc.published()
    draft = disc.draft()
    question = _question(item)
    client.force_login(disc.other_director)
    for url in (
        reverse("admin:affairs_disclosure_disclosureitem_change", args=[item.pk]),
        reverse("admin:affairs_disclosure_disclosureitem_change", args=[draft.pk]),
        reverse("admin:affairs_disclosure_disclosureitem_history", args=[draft.pk]),
        reverse("admin:affairs_disclosure_residentquestion_change", args=[question.pk]),
    ):
        assert client.get(url).status_code == 404, url
    transition = reverse(
        "admin:affairs_disclosure_disclosureitem_transition", args=[draft.pk, "approve_committee"]
    )
    assert client.post(transition).status_code == 404
    listing = client.get(reverse("admin:affairs_disclosure_disclosureitem_changelist"))
    assert item.title not in listing.content.decode()
    assert not DisclosureApproval.objects.filter(item=draft).exists()
    assert ResidentQuestion.objects.get().state == QuestionState.OPEN


@pytest.mark.django_db
def test_admin_item_list_query_count_is_fixed(disc, client):
    client.force_login(disc.street_admin)
    url = reverse("admin:affairs_disclosure_disclosureitem_changelist")
    DisclosureItemFactory(community=disc.community, published=True)
    small = query_count(client, url)
    for _ in range(20):
        DisclosureItemFactory(community=disc.other, published=True)
    assert query_count(client, url) == small
