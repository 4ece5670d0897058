"""FIN-8 (003 十八(四)(五)): the fees of paid services disclosed regularly — a generated draft
per community and quarter of category "finance" (DISC-1(2)), stamped by the street
supervision committee before it is posted (FIN-7); one draft however often it is generated,
refused once approved (DISC-3); offered in the portal, the admin and the API, scoped."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from rest_framework.test import APIClient

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
from core.models import Role
from finance import services as finance_services
from finance.models import Income, IncomeKind, PaidService, PaidServiceKind, PaymentMethod
from tests.affairs_disclosure.conftest import this_quarter, today
from tests.factories import ResidentFactory, special_group_type, user_with_role, valid_id_number
from tests.finance.factories import AccountFactory

API = "/api/v1/disclosure/items/generate-paid-fees/"
ID_NUMBER_DAY = dt.date(1958, 3, 4)


def paid_course(community, director, *, fee="400.00", payer="学员家长张建华"):
    """A calligraphy course with free places for 低保 families and 30.00 for 特困, and one
    fee collected today from a named payer."""
    service = finance_services.paid_service_save(
        user=director,
        instance=PaidService(
            community=community,
            name="老年书画班",
            kind=PaidServiceKind.COURSE,
            resolution_ref="居代会〔2026〕3号",
            standard_fee=Decimal("100.00"),
            fee_unit="期",
            starts_on=today().replace(month=1, day=1),
        ),
        rates=[
            (special_group_type("dibao"), Decimal("0.00")),
            (special_group_type("tekun"), Decimal("30.00")),
        ],
    )
    collect(community, service, fee, payer)
    return service


def collect(community, service, amount, payer="学员家长张建华"):
    if not community.finance_accounts.exists():
        AccountFactory(community=community)
    accountant = user_with_role(Role.ACCOUNTANT, community=community)
    return finance_services.income_record(
        user=accountant,
        instance=Income(
            community=community,
            kind=IncomeKind.SERVICE_FEE,
            amount=Decimal(amount),
            received_on=today(),
            method=PaymentMethod.TRANSFER,
            source=payer,
            paid_service=service,
        ),
    )


def generate(disc, user=None, community=None):
    year, quarter = this_quarter()
    return services.item_generate_paid_fees(
        user=user or disc.director,
        community=community or disc.community,
        year=year,
        quarter=quarter,
    )


@pytest.mark.django_db
def test_fin8_fees_draft_with_resolution_rates_and_fees_collected(disc):
    paid_course(disc.community, disc.director)
    item = generate(disc)
    assert (item.category, item.source, item.state) == (
        Category.FINANCE,
        Source.PAID_FEES,
        ItemState.DRAFT,
    )
    assert (item.year, item.quarter) == this_quarter() and item.needs_stamp
    assert "有偿服务收费公开" in item.title and "不得用于工作人员福利" in item.body
    (table,) = item.tables
    assert table["columns"][0] == "项目" and "本期收费（元）" in table["columns"]
    course, total = table["rows"]
    assert course[:4] == ["老年书画班", "培训课程", "居代会〔2026〕3号", "100.00/期"]
    assert course[5] == "400.00"
    assert "低保 0.00" in course[4] and "特困供养 30.00" in course[4]
    assert total[0] == "合计" and total[5] == "400.00"
    assert all(isinstance(cell, str) for row in table["rows"] for cell in row)


@pytest.mark.django_db
def test_no_paid_service_in_the_quarter_no_draft(disc):
    with pytest.raises(ValidationError) as err:
        generate(disc)
    assert "quarter" in err.value.message_dict
    assert not DisclosureItem.objects.exists()


@pytest.mark.django_db
def test_tables_carry_no_personal_data(disc):
    resident = ResidentFactory(
        community=disc.community,
        name="张建华",
        id_number=valid_id_number(ID_NUMBER_DAY, 17),
        phone="13912345678",
    )
    paid_course(disc.community, disc.director, payer=f"学员家长{resident.name}")
    item = generate(disc)
    text = json.dumps(item.tables, ensure_ascii=False) + item.title + item.body
    for secret in (resident.name, resident.id_number, resident.phone, "学员家长"):
        assert secret not in text
    assert "低保" in text  # groups are named, never a member of one


@pytest.mark.django_db
def test_generating_twice_makes_one_draft_and_keeps_its_approval(disc):
    service = paid_course(disc.community, disc.director)
    first = generate(disc)
    services.item_approve(user=disc.secretary, item=first, side=ApprovalSide.PARTY)
    second = generate(disc, user=disc.deputy)
    assert second.pk == first.pk
    assert DisclosureItem.objects.filter(source=Source.PAID_FEES).count() == 1
    assert DisclosureApproval.objects.filter(item=first).count() == 1  # figures unchanged
    collect(disc.community, service, "100.00")
    third = generate(disc)
    assert third.pk == first.pk and third.tables[0]["rows"][-1][5] == "500.00"
    assert not DisclosureApproval.objects.filter(item=first).exists()  # approved other figures


@pytest.mark.django_db
def test_disc3_refused_once_approved_fin7_stamped_before_posting(disc):
    paid_course(disc.community, disc.director)
    item = disc.approved(generate(disc))
    with pytest.raises(RuleViolation) as err:
        generate(disc)
    assert err.value.rule_id == "DISC-3"
    with pytest.raises(RuleViolation) as err:
        services.item_publish(user=disc.director, item=item)
    assert err.value.rule_id == "FIN-7"
    item = services.item_stamp(user=disc.supervisor, item=item)
    item = services.item_publish(user=disc.director, item=item)
    with pytest.raises(RuleViolation) as err:
        generate(disc)
    assert err.value.rule_id == "DISC-3"
    # After a correction, generating refreshes the correction draft, never a third item.
    correction = services.item_correct(user=disc.director, item=item, reason="补记收费")
    assert generate(disc).pk == correction.pk
    assert DisclosureItem.objects.filter(source=Source.PAID_FEES).count() == 2


@pytest.mark.django_db
def test_one_original_per_community_and_quarter_in_the_database(disc):
    paid_course(disc.community, disc.director)
    item = generate(disc)
    twin = DisclosureItem(
        community=disc.community,
        category=Category.FINANCE,
        year=item.year,
        quarter=item.quarter,
        title="重复",
        source=Source.PAID_FEES,
        created_by=disc.director,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.django_db
def test_disc2_fees_item_does_not_stand_in_for_the_income_and_expense_disclosure(disc):
    paid_course(disc.community, disc.director)
    disc.published(generate(disc))
    year, quarter = this_quarter()
    table = selectors.status_table(user=disc.street_admin, year=year, quarter=quarter)
    (row,) = [r for r in table.rows if r.community == disc.community]
    (cell,) = [c for c in row.cells if c.category == Category.FINANCE]
    assert cell.published_on is None


@pytest.mark.django_db
def test_another_communitys_fees_are_404_in_the_service(disc):
    paid_course(disc.other, disc.other_director)
    with pytest.raises(Http404):
        generate(disc, community=disc.other)
    with pytest.raises(Http404):
        generate(disc, community=disc.foreign)
    assert not DisclosureItem.objects.exists()


def _post(client, url, community, token):
    year, quarter = this_quarter()
    data = {"which": "paid_fees", "fees-community": community.pk, "fees-year": year}
    return client.post(url, {**data, "fees-quarter": quarter, "fees-token": token})


@pytest.mark.django_db
def test_portal_offers_the_fees_and_two_submits_make_one_draft(disc, client):
    paid_course(disc.community, disc.director)
    client.force_login(disc.director)
    url = reverse("disclosure:generate")
    assert "有偿服务收费公开" in client.get(url).content.decode()
    for token in ("d3f4a7db-8eab-4f40-8d84-5a7bb13e9f44", "e4a5b8ec-9fbc-4a51-9e95-6b8cc24fa055"):
        response = _post(client, url, disc.community, token)
        item = DisclosureItem.objects.get(source=Source.PAID_FEES)
        assert response.status_code == 302
        assert response.url == reverse("disclosure:item", args=[item.pk])
    assert "老年书画班" in client.get(response.url).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["other", "foreign"])
def test_portal_and_admin_another_community_is_404(disc, client, where):
    community = getattr(disc, where)
    paid_course(community, user_with_role(Role.COMMITTEE_DIRECTOR, community=community))
    client.force_login(disc.director)
    portal = _post(
        client, reverse("disclosure:generate"), community, "f5b6c9fd-0acd-4b62-8fa6-7c9dd35a0166"
    )
    admin = _post(
        client,
        reverse("admin:affairs_disclosure_generate"),
        community,
        "a6c7dafe-1bde-4c73-9ab7-8daee46b1277",
    )
    assert (portal.status_code, admin.status_code) == (404, 404)
    assert not DisclosureItem.objects.exists()


@pytest.mark.django_db
def test_admin_generates_the_fees_draft(disc, client):
    paid_course(disc.community, disc.director)
    client.force_login(disc.director)
    url = reverse("admin:affairs_disclosure_generate")
    assert "有偿服务收费公开" in client.get(url).content.decode()
    response = _post(client, url, disc.community, "b7d8ebaf-2cef-4d84-8bc8-9ebff57c2388")
    item = DisclosureItem.objects.get(source=Source.PAID_FEES)
    assert response.status_code == 302
    assert response.url == reverse("admin:affairs_disclosure_disclosureitem_change", args=[item.pk])
    assert client.get(response.url).status_code == 200


@pytest.mark.django_db
def test_api_generates_once_refuses_after_approval_and_404_elsewhere(disc):
    paid_course(disc.community, disc.director)
    paid_course(disc.other, disc.other_director)
    year, quarter = this_quarter()
    body = {"community": disc.community.pk, "year": year, "quarter": quarter}
    api = APIClient()
    api.force_authenticate(disc.director)
    first = api.post(API, body, format="json")
    assert first.status_code == 201, first.content
    assert (first.json()["category"], first.json()["source"]) == ("finance", "paid_fees")
    again = api.post(API, body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    disc.approved(DisclosureItem.objects.get(pk=first.json()["id"]))
    refused = api.post(API, body, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "DISC-3"
    for community in (disc.other, disc.foreign):
        elsewhere = api.post(API, {**body, "community": community.pk}, format="json")
        assert elsewhere.status_code == 404
    assert api.post(API, {**body, "quarter": 5}, format="json").status_code == 400
    assert DisclosureItem.objects.count() == 1
