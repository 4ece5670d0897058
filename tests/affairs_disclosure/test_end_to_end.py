"""The whole flow of issue #7 through the pages: a stamped quarterly statement becomes a
financial disclosure draft, the party organisation and the committee approve it, the street
supervision committee stamps it, it is published and appears on the public page and its QR
poster; a resident asks a question, the reply is published under the item; the quarterly
sweep reminds the community of what is still missing; after the deadline the compliance
report carries the overdue finding."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from affairs_disclosure import rules
from affairs_disclosure.models import Category, DisclosureItem, ItemState, ResidentQuestion
from affairs_disclosure.reminders import KIND_DISCLOSURE, disclosure_sweep, subject_of
from core.models import ComplianceFinding, FindingStatus, Reminder, ReminderStatus, Role
from core.services import compliance_run
from finance import services as finance_services
from finance.models import Income, IncomeKind, PaymentMethod
from tests.affairs_disclosure.conftest import last_quarter, this_quarter
from tests.factories import user_with_role
from tests.finance.factories import AccountFactory


def _token():
    return str(uuid.uuid4())


@pytest.mark.django_db
def test_draft_approve_stamp_publish_public_poster_question_reply_reminder_finding(disc, client):
    community = disc.community
    year, quarter = last_quarter()
    _first, last = rules.quarter_bounds(year, quarter)

    # Finance (another chapter): the quarter's statement, stamped by the street.
    AccountFactory(community=community)
    accountant = user_with_role(Role.ACCOUNTANT, community=community)
    finance_services.income_record(
        user=accountant,
        instance=Income(
            community=community,
            kind=IncomeKind.SUBSIDY,
            amount=Decimal("8800.00"),
            received_on=last,
            method=PaymentMethod.TRANSFER,
            source="区民政局",
            earmark_category="relief",
            document_amount=Decimal("8800.00"),
        ),
    )
    statement = finance_services.statement_generate(
        user=accountant, community=community, year=year, quarter=quarter
    )
    finance_services.statement_stamp(user=disc.supervisor, statement=statement)

    # 1. The community generates the financial disclosure draft in the portal.
    client.force_login(disc.director)
    response = client.post(
        reverse("disclosure:generate"),
        {"which": "finance", "fin-statement": statement.pk, "fin-token": _token()},
    )
    assert response.status_code == 302
    item = DisclosureItem.objects.get()
    assert item.category == Category.FINANCE and item.state == ItemState.DRAFT
    assert ["本期收入合计", "8800.00"] in item.tables[0]["rows"]

    # 2. DISC-3: the committee and the party organisation approve.
    approve = reverse("disclosure:item_action", args=[item.pk, "approve"])
    client.post(approve, {"side": "committee", "token": _token()})
    client.force_login(disc.secretary)
    client.post(approve, {"side": "party", "token": _token()})
    item.refresh_from_db()
    assert item.state == ItemState.APPROVED

    # 3. FIN-7: not published before the street supervision committee stamps it.
    publish = reverse("disclosure:item_action", args=[item.pk, "publish"])
    client.post(publish, {"token": _token()})
    item.refresh_from_db()
    assert item.state == ItemState.APPROVED
    client.force_login(disc.supervisor)
    client.post(reverse("disclosure:item_action", args=[item.pk, "stamp"]), {"token": _token()})
    client.force_login(disc.director)
    client.post(publish, {"token": _token()})
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED and item.stamped_on <= item.published_on

    # 4. The public page (no login) and the QR poster.
    client.logout()
    public = client.get(reverse("public:community", args=[community.pk])).content.decode()
    assert item.title in public
    item_url = reverse("public:item", args=[community.pk, item.pk])
    assert "8800.00" in client.get(item_url).content.decode()
    poster = client.get(reverse("public:poster", args=[community.pk])).content.decode()
    assert community.name in poster and "<svg" in poster
    assert reverse("public:community", args=[community.pk]) in poster

    # 5. DISC-4: a resident asks; the community answers; the reply is public at once.
    client.post(
        item_url,
        {
            "kind": "question",
            "body": "上级补助 8800 元用于哪些救助？",
            "contact": "",
            "token": _token(),
        },
        REMOTE_ADDR="10.1.1.1",
    )
    question = ResidentQuestion.objects.get()
    client.force_login(disc.director)
    client.post(
        reverse("disclosure:question", args=[question.pk]),
        {
            "which": "reply",
            "reply-reply": "用于春节困难家庭慰问，名单另行公示。",
            "reply-public_text": "",
            "reply-token": _token(),
        },
    )
    client.logout()
    assert "用于春节困难家庭慰问" in client.get(item_url).content.decode()

    # 6. DISC-2 reminder: in the window before this quarter's end the community is reminded of
    # the required categories not yet published within the quarter — the financial item
    # (last quarter's statement, posted in this quarter) counts for this quarter.
    now_year, now_quarter = this_quarter()
    block = rules.block_of(rules.quarter_bounds(now_year, now_quarter)[1], 3)
    disclosure_sweep(today=block.last)
    open_subjects = set(
        Reminder.objects.filter(
            kind=KIND_DISCLOSURE, status=ReminderStatus.OPEN, community=community
        ).values_list("subject", flat=True)
    )
    assert subject_of(community.pk, Category.FINANCE) not in open_subjects
    assert subject_of(community.pk, Category.DIBAO) in open_subjects
    assert len(open_subjects) == len(rules.REQUIRED_CATEGORIES) - 1
    client.force_login(disc.director)
    inbox = client.get(reverse("portal:inbox")).content.decode()
    assert "尚未公开" in inbox

    # 7. After the deadline: last quarter had nothing published within it -> violation.
    compliance_run(community_ids=[community.pk])
    finding = ComplianceFinding.objects.get(
        community=community, check_code="disc2-quarterly-disclosure"
    )
    assert finding.status == FindingStatus.VIOLATION and finding.rule_id == "DISC-2"
    assert "逾期未公开" in finding.message
    # The financial item about last quarter came after its end: listed as late, not missing.
    assert "财务收支" not in finding.message.split("：", 1)[1]
