"""Generated drafts: the quarterly financial disclosure from a statement the street
supervision committee has stamped (FIN-7), and the 低保 / regular relief lists from the
ledgers, which show only the masked name, household size and amount (MCA 最低生活保障审核
确认办法 第二十四条; 社会救助暂行办法 第六十一条)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from affairs_disclosure import rules, services
from affairs_disclosure.models import Category, ItemState, Source
from core.errors import RuleViolation
from core.models import Role
from finance import services as finance_services
from finance.models import IncomeKind, PaymentMethod
from tests.affairs_disclosure.conftest import last_quarter, this_quarter
from tests.factories import (
    ResidentFactory,
    SpecialGroupMemberFactory,
    special_group_type,
    user_with_role,
    valid_id_number,
)
from tests.finance.factories import AccountFactory


def _statement(disc, amount="1234.50"):
    from finance.models import Income

    year, quarter = last_quarter()
    _first, last = rules.quarter_bounds(year, quarter)
    AccountFactory(community=disc.community)
    accountant = user_with_role(Role.ACCOUNTANT, community=disc.community)
    finance_services.income_record(
        user=accountant,
        instance=Income(
            community=disc.community,
            kind=IncomeKind.OTHER,
            amount=Decimal(amount),
            received_on=last,
            method=PaymentMethod.TRANSFER,
            source="区民政局",
        ),
    )
    return finance_services.statement_generate(
        user=disc.director, community=disc.community, year=year, quarter=quarter
    )


@pytest.mark.django_db
def test_fin7_financial_draft_only_from_a_stamped_statement_with_its_totals(disc, client):
    statement = _statement(disc)
    with pytest.raises(RuleViolation) as err:
        services.item_generate_finance(user=disc.director, statement=statement)
    assert err.value.rule_id == "FIN-7"
    statement = finance_services.statement_stamp(user=disc.supervisor, statement=statement)
    item = services.item_generate_finance(user=disc.director, statement=statement)
    assert (item.category, item.source, item.source_statement) == (
        Category.FINANCE,
        Source.STATEMENT,
        statement,
    )
    assert (item.year, item.quarter, item.state) == (*last_quarter(), ItemState.DRAFT)
    rows = item.tables[0]["rows"]
    assert ["本期收入合计", "1234.50"] in rows and ["收入：其他收入", "1234.50"] in rows
    assert rows[-1] == ["期末余额", statement.totals["closing"]]
    # Generating again refreshes the same draft.
    again = services.item_generate_finance(user=disc.director, statement=statement)
    assert again.pk == item.pk
    item = disc.published(item)
    assert item.stamped_on <= item.published_on
    body = client.get(reverse("public:item", args=[disc.community.pk, item.pk])).content.decode()
    assert "1234.50" in body and "审核签章" in body
    with pytest.raises(RuleViolation) as err:
        services.item_generate_finance(user=disc.director, statement=statement)
    assert err.value.rule_id == "DISC-3"


@pytest.mark.django_db
def test_correction_of_a_generated_item_takes_the_corrected_statement(disc):
    statement = finance_services.statement_stamp(user=disc.supervisor, statement=_statement(disc))
    statement = finance_services.statement_publish(user=disc.director, statement=statement)
    item = disc.published(services.item_generate_finance(user=disc.director, statement=statement))
    from finance.models import Income

    year, quarter = last_quarter()
    accountant = user_with_role(Role.ACCOUNTANT, community=disc.community)
    finance_services.income_record(
        user=accountant,
        instance=Income(
            community=disc.community,
            kind=IncomeKind.OTHER,
            amount=Decimal("100.00"),
            received_on=rules.quarter_bounds(year, quarter)[1],
            method=PaymentMethod.TRANSFER,
            source="补记",
        ),
    )
    v2 = finance_services.statement_correct(user=disc.director, statement=statement, reason="漏记")
    v2 = finance_services.statement_stamp(user=disc.supervisor, statement=v2)
    correction = services.item_correct(user=disc.director, item=item, reason="财务公开表已更正")
    assert correction.source_statement == v2 and correction.version == 2
    assert ["本期收入合计", "1334.50"] in correction.tables[0]["rows"]


def _dibao_residents(community):
    """Three dibao households, one relief (特困) resident, one dibao membership ended before
    the quarter and a dibao resident of another community."""
    people = []
    for n, (name, size, amount) in enumerate(
        [("张建华", 3, "650.00"), ("李明", 1, "700.50"), ("欧阳修文", 2, "1300.00")]
    ):
        resident = ResidentFactory(
            community=community,
            name=name,
            id_number=valid_id_number(dt.date(1960 + n, 3, 4), 11 + n),
            phone=f"1391234{n:04d}",
        )
        SpecialGroupMemberFactory(
            resident=resident,
            group_type=special_group_type("dibao"),
            monthly_amount=Decimal(amount),
            household_size=size,
        )
        people.append(resident)
    tekun = ResidentFactory(community=community, name="赵大山")
    SpecialGroupMemberFactory(
        resident=tekun, group_type=special_group_type("tekun"), household_size=1
    )
    ended = ResidentFactory(community=community, name="钱多多")
    SpecialGroupMemberFactory(
        resident=ended,
        group_type=special_group_type("dibao"),
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2020, 12, 31),
    )
    return people, tekun, ended


@pytest.mark.django_db
def test_dibao_list_shows_only_masked_name_household_size_and_amount(disc, client):
    people, tekun, ended = _dibao_residents(disc.community)
    year, quarter = this_quarter()
    item = services.item_generate_list(
        user=disc.director,
        community=disc.community,
        category=Category.DIBAO,
        year=year,
        quarter=quarter,
    )
    table = item.tables[0]
    assert table["columns"] == ["序号", "姓名", "保障人口", "月保障金额（元）"]
    names = [row[1] for row in table["rows"][:-1]]
    assert sorted(names) == sorted(["张*华", "李*", "欧**文"])
    assert table["rows"][-1] == ["合计", "3 条", 6, "2650.50"]
    item = disc.published(item)
    pages = [
        client.get(reverse("public:item", args=[disc.community.pk, item.pk])),
        client.get(reverse("public:community", args=[disc.community.pk])),
    ]
    html = "".join(p.content.decode() for p in pages)
    assert "张*华" in html and "650.00" in html
    for resident in [*people, tekun, ended]:
        resident.refresh_from_db()
        household = resident.household
        for secret in (
            resident.id_number,
            resident.id_number[:14],
            resident.phone,
            household.address,
            household.phone,
            resident.name,
        ):
            if secret:
                assert secret not in html, secret
    assert "赵*山" not in html and "钱*多" not in html  # other list, ended membership


@pytest.mark.django_db
def test_regular_relief_list_from_the_tekun_group(disc):
    _dibao_residents(disc.community)
    year, quarter = this_quarter()
    item = services.item_generate_list(
        user=disc.director,
        community=disc.community,
        category=Category.REGULAR_RELIEF,
        year=year,
        quarter=quarter,
    )
    assert [row[1] for row in item.tables[0]["rows"][:-1]] == ["赵*山"]


@pytest.mark.django_db
def test_a_typed_id_number_or_phone_in_a_list_is_refused(disc):
    for text in ("王五 220104196003040113", "联系 13912340000"):
        item = disc.draft(category=Category.DIBAO, body=text)
        with pytest.raises(RuleViolation) as err:
            services.item_approve(user=disc.secretary, item=item, side="party")
        assert err.value.rule_id == "DISC-1"
    # Outside personal lists a phone is ordinary (DISC-1(1) contacts are public).
    duties = disc.draft(category=Category.DUTIES, body="主任 13912340000")
    assert disc.published(duties).state == ItemState.PUBLISHED


@pytest.mark.django_db
def test_generation_is_scoped(disc):
    from django.http import Http404

    year, quarter = this_quarter()
    with pytest.raises(Http404):
        services.item_generate_list(
            user=disc.other_director,
            community=disc.community,
            category=Category.DIBAO,
            year=year,
            quarter=quarter,
        )


def _in_kind(disc, day):
    """100 bags of rice worth 5000.00 for relief, 40 of them handed out (2000.00)."""
    from finance.models import InKindDonation

    accountant = user_with_role(Role.ACCOUNTANT, community=disc.community)
    donation = finance_services.in_kind_record(
        user=accountant,
        instance=InKindDonation(
            community=disc.community,
            item="大米",
            quantity=Decimal("100"),
            unit="袋",
            estimated_value=Decimal("5000.00"),
            donor="爱心超市",
            received_on=day,
            earmark_category="relief",
            earmark_purpose="困难家庭慰问",
        ),
    )
    finance_services.in_kind_distribute(
        user=accountant,
        donation=donation,
        quantity=Decimal("40"),
        recipient="低保户王某某",
        purpose="春节慰问",
        distributed_on=day,
    )


@pytest.mark.django_db
def test_fin5_in_kind_donations_printed_as_their_own_table(disc):
    year, quarter = last_quarter()
    _in_kind(disc, rules.quarter_bounds(year, quarter)[1])
    statement = finance_services.statement_stamp(user=disc.supervisor, statement=_statement(disc))
    item = services.item_generate_finance(user=disc.director, statement=statement)
    (table,) = [t for t in item.tables if t["title"].startswith("实物捐赠")]
    assert table["columns"] == ["类别", "累计接收（元）", "累计发放（元）", "结余（元）"]
    assert table["rows"] == [["救助慰问", "5000.00", "2000.00", "3000.00"]]
    # Goods are not money: the income table and the closing balance leave them out.
    assert ["本期收入合计", "1234.50"] in item.tables[0]["rows"]
    assert "王某某" not in str(item.tables) and "爱心超市" not in str(item.tables)


@pytest.mark.django_db
def test_no_in_kind_table_without_in_kind_donations(disc):
    statement = finance_services.statement_stamp(user=disc.supervisor, statement=_statement(disc))
    assert "in_kind" not in statement.totals
    item = services.item_generate_finance(user=disc.director, statement=statement)
    assert item.tables and not [t for t in item.tables if "实物" in t["title"]]
