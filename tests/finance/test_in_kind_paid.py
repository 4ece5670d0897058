"""FIN-5 in-kind donations (recorded in full, distributed only for their earmark, in the
quarterly statement) and FIN-8 paid services (assembly resolution, preferential rates ≤ the
standard fee, fees in a disclosure-ready summary)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from rest_framework.test import APIClient

from core.errors import RuleViolation
from finance import rules, services
from finance.models import (
    Income,
    IncomeKind,
    InKindDistribution,
    InKindDonation,
    PaidService,
    PaidServiceKind,
)
from finance.register_selectors import paid_service_disclosure
from finance.selectors import statement_totals
from tests.factories import CommunityFactory, FacilityFactory, special_group_type
from tests.finance.conftest import _income, make_fin
from tests.finance.factories import today

D = Decimal


def donate(fin, quantity="3", value="100.00", earmark="relief", **kw):
    row = InKindDonation(
        community=fin.community,
        item=kw.pop("item", "大米"),
        quantity=D(quantity),
        unit="袋",
        estimated_value=D(value),
        donor="爱心超市",
        received_on=today(),
        earmark_category=earmark,
        earmark_purpose="困难家庭慰问",
        **kw,
    )
    return services.in_kind_record(user=fin.accountant, instance=row)


def hand_out(fin, donation, quantity, **kw):
    return services.in_kind_distribute(
        user=fin.accountant,
        donation=donation,
        quantity=quantity,
        recipient=kw.pop("recipient", "低保户王某"),
        purpose=kw.pop("purpose", "春节慰问"),
        **kw,
    )


@pytest.mark.django_db
def test_fin5_in_kind_distributed_for_its_earmark_and_valued_in_full(fin):
    donation = donate(fin)
    assert donation.recorded_by == fin.accountant
    with pytest.raises(RuleViolation) as err:
        hand_out(fin, donation, "1", category="office")
    assert err.value.rule_id == "FIN-5"
    values = [hand_out(fin, donation, "1").value for _ in range(3)]
    assert values == [D("33.33"), D("33.33"), D("33.34")]  # adds up to the estimate
    with pytest.raises(RuleViolation) as err:
        hand_out(fin, donation, "0.01")
    assert "剩余 0.00袋" in " ".join(err.value.messages)
    assert InKindDistribution.objects.filter(donation=donation).count() == 3


@pytest.mark.django_db
def test_fin5_in_kind_exactly_what_is_left_then_one_more_refused(fin):
    donation = donate(fin, quantity="10")
    hand_out(fin, donation, "9.99")
    with pytest.raises(RuleViolation):
        hand_out(fin, donation, "0.02")
    last = hand_out(fin, donation, "0.01")
    assert last.value == D("100.00") - D("99.90")


@pytest.mark.django_db
@pytest.mark.parametrize("earmark", ["", "staff_welfare"])
def test_fin5_in_kind_needs_an_earmark_never_staff_welfare(fin, earmark):
    with pytest.raises(ValidationError):
        donate(fin, earmark=earmark)
    assert not InKindDonation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", ["0", "-1", "1.001"])
def test_fin5_in_kind_bad_quantities_refused(fin, quantity):
    with pytest.raises(ValidationError):
        donate(fin, quantity=quantity)


@pytest.mark.django_db
def test_fin5_in_kind_of_another_community_is_missing(fin):
    donation = donate(fin)
    other = make_fin(CommunityFactory(name="乙社区"))
    with pytest.raises(Http404):
        services.in_kind_distribute(
            user=other.accountant, donation=donation, quantity="1", recipient="x", purpose="y"
        )


@pytest.mark.django_db
def test_fin5_in_kind_in_the_statements_earmarked_section(fin):
    donation = donate(fin)
    hand_out(fin, donation, "1")
    year, quarter = rules.quarter_of(today())
    totals = statement_totals(fin.community.pk, year, quarter)
    assert totals["in_kind"] == {
        "relief": {"received": "100.00", "distributed": "33.33", "remaining": "66.67"}
    }
    # goods are not money: the balance is unchanged
    assert D(totals["closing"]) == D(totals["opening"]) + D(totals["income_total"]) - D(
        totals["expense_total"]
    )


# --- FIN-8 --------------------------------------------------------------------------------------


def paid(fin, standard="100.00", rates=(), **kw):
    service = PaidService(
        community=fin.community,
        name=kw.pop("name", "书法培训班"),
        kind=PaidServiceKind.COURSE,
        resolution_ref=kw.pop("resolution_ref", "居代会〔2026〕3号"),
        standard_fee=D(standard),
        fee_unit="期",
        starts_on=today().replace(month=1, day=1),
        **kw,
    )
    return services.paid_service_save(
        user=fin.director, instance=service, rates=[(g, D(f)) for g, f in rates]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("fee, ok", [("99.99", True), ("100.00", True), ("100.01", False)])
def test_fin8_preferential_rate_at_most_the_standard(fin, fee, ok):
    dibao = special_group_type("dibao")
    if ok:
        service = paid(fin, rates=[(dibao, fee)])
        assert service.rates.get().fee == D(fee)
    else:
        with pytest.raises(RuleViolation) as err:
            paid(fin, rates=[(dibao, fee)])
        assert err.value.rule_id == "FIN-8"
        assert not PaidService.objects.exists()


@pytest.mark.django_db
def test_fin8_lowering_the_standard_below_a_rate_refused(fin):
    service = paid(fin, rates=[(special_group_type("dibao"), "50.00")])
    service.standard_fee = D("49.99")
    with pytest.raises(RuleViolation):
        services.paid_service_save(user=fin.director, instance=service)
    service.refresh_from_db()
    assert service.standard_fee == D("100.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kw",
    [{"resolution_ref": " "}, {"use_of_fees": "staff_welfare"}],
    ids=["no-resolution", "welfare"],
)
def test_fin8_paid_service_needs_a_resolution_and_never_pays_welfare(fin, kw):
    with pytest.raises(RuleViolation) as err:
        paid(fin, **kw)
    assert err.value.rule_id == "FIN-8"


@pytest.mark.django_db
def test_fin8_facility_of_another_community_refused(fin):
    with pytest.raises((ValidationError, Http404)):
        paid(fin, facility=FacilityFactory(community=CommunityFactory(name="乙社区")))


@pytest.mark.django_db
def test_fin8_fees_recorded_against_the_service_and_disclosed(fin):
    service = paid(
        fin, rates=[(special_group_type("dibao"), "0.00"), (special_group_type("tekun"), "30")]
    )
    fee = _income(fin.community, "400.00", IncomeKind.SERVICE_FEE, today(), paid_service=service)
    fee = services.income_record(user=fin.accountant, instance=fee)
    assert fee.resolution_ref == service.resolution_ref  # reused from the service
    assert fee.earmark_category == "construction"
    wrong = _income(fin.community, "1.00", IncomeKind.OTHER, today(), paid_service=service)
    with pytest.raises(ValidationError):
        services.income_record(user=fin.accountant, instance=wrong)
    first, last = rules.quarter_bounds(*rules.quarter_of(today()))
    tables = paid_service_disclosure(fin.community.pk, first, last)
    assert len(tables) == 1
    rows = tables[0]["rows"]
    assert rows[0][0] == "书法培训班" and rows[0][2] == "居代会〔2026〕3号"
    assert "低保 0.00" in rows[0][4] and "特困供养 30.00" in rows[0][4]
    assert rows[0][5] == "400.00" and rows[-1][5] == "400.00"
    assert Income.objects.filter(paid_service=service).count() == 1
    other = make_fin(CommunityFactory(name="乙社区"))
    assert paid_service_disclosure(other.community.pk, first, last) == []


@pytest.mark.django_db
def test_api_paid_service_rates_and_disclosure(fin):
    api = APIClient()
    api.force_authenticate(fin.director)
    body = {
        "community": fin.community.pk,
        "name": "少儿托管班",
        "kind": "service",
        "resolution_ref": "居代会〔2026〕5号",
        "standard_fee": "300.00",
        "fee_unit": "月",
        "starts_on": today().replace(day=1).isoformat(),
        "rates": [{"group": special_group_type("dibao").pk, "fee": "300.01"}],
    }
    refused = api.post("/api/v1/finance/paid-services/", body, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "FIN-8"
    body["rates"][0]["fee"] = "150.00"
    created = api.post("/api/v1/finance/paid-services/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["rates"][0]["fee"] == "150.00"
    first, last = rules.quarter_bounds(*rules.quarter_of(today()))
    url = f"/api/v1/finance/paid-services/disclosure/?community={fin.community.pk}"
    response = api.get(f"{url}&first={first}&last={last}")
    assert (
        response.status_code == 200 and response.json()["tables"][0]["rows"][0][0] == "少儿托管班"
    )
    other = make_fin(CommunityFactory(name="乙社区"))
    url = f"/api/v1/finance/paid-services/disclosure/?community={other.community.pk}"
    assert api.get(f"{url}&first={first}&last={last}").status_code == 404


@pytest.mark.django_db
def test_api_in_kind_record_and_distribute(fin):
    api = APIClient()
    api.force_authenticate(fin.cashier)
    body = {
        "community": fin.community.pk,
        "item": "棉被",
        "quantity": "20",
        "unit": "床",
        "estimated_value": "2000.00",
        "donor": "某企业",
        "received_on": today().isoformat(),
        "earmark_category": "relief",
        "earmark_purpose": "冬季救助",
    }
    created = api.post("/api/v1/finance/in-kind/", body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    wrong = api.post(
        f"/api/v1/finance/in-kind/{pk}/distribute/",
        {"quantity": "1", "recipient": "x", "purpose": "y", "category": "office"},
        format="json",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "FIN-5"
    ok = api.post(
        f"/api/v1/finance/in-kind/{pk}/distribute/",
        {"quantity": "5", "recipient": "特困户", "purpose": "冬季救助"},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["value"] == "500.00"
    detail = api.get(f"/api/v1/finance/in-kind/{pk}/").json()
    assert detail["remaining_quantity"] == "15.00"


@pytest.mark.django_db
def test_admin_in_kind_and_paid_services(client):
    from django.urls import reverse

    fin = make_fin()
    other = make_fin(CommunityFactory(name="乙社区"))
    donation = donate(fin)
    foreign = donate(other)
    paid(fin)
    client.force_login(fin.director)
    for name in ("inkinddonation", "inkinddistribution", "paidservice"):
        for view in ("changelist", "add"):
            url = reverse(f"admin:finance_{name}_{view}")
            assert client.get(url).status_code == 200, url
    url = reverse("admin:finance_inkinddonation_change", args=[foreign.pk])
    assert client.get(url).status_code == 404
    url = reverse("admin:finance_inkinddistribution_add")
    data = {
        "donation": donation.pk,
        "quantity": "2",
        "distributed_on": today().isoformat(),
        "category": "relief",
        "recipient": "困难户",
        "purpose": "慰问",
    }
    assert client.post(url, data).status_code == 302
    assert donation.distributions.get().value == D("66.67")
    assert client.post(url, {**data, "donation": foreign.pk}).status_code == 200  # not a choice
    assert InKindDistribution.objects.count() == 1
    url = reverse("admin:finance_paidservice_add")
    data = {
        "community": fin.community.pk,
        "name": "健康讲座",
        "kind": "activity",
        "resolution_ref": "居代会〔2026〕9号",
        "standard_fee": "10.00",
        "fee_unit": "次",
        "use_of_fees": "construction",
        "starts_on": today().isoformat(),
        "rates-TOTAL_FORMS": "1",
        "rates-INITIAL_FORMS": "0",
        "rates-0-group": special_group_type("dibao").pk,
        "rates-0-fee": "10.01",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "FIN-8" in response.content.decode()
    assert client.post(url, {**data, "rates-0-fee": "5.00"}).status_code == 302
    assert PaidService.objects.get(name="健康讲座").rates.get().fee == D("5.00")


@pytest.mark.django_db
def test_fin5_in_kind_on_the_statement_admin_page(client, fin):
    from django.urls import reverse

    year, quarter = rules.last_ended_quarter(today())
    first, _last = rules.quarter_bounds(year, quarter)
    row = InKindDonation(
        community=fin.community,
        item="棉衣",
        quantity=D("10"),
        unit="件",
        estimated_value=D("800.00"),
        donor="某商会",
        received_on=first,
        earmark_category="relief",
        earmark_purpose="冬季救助",
    )
    services.in_kind_record(user=fin.accountant, instance=row)
    statement = services.statement_generate(
        user=fin.accountant, community=fin.community, year=year, quarter=quarter
    )
    assert statement.totals["in_kind"]["relief"]["received"] == "800.00"
    client.force_login(fin.director)
    page = client.get(reverse("admin:finance_quarterlystatement_change", args=[statement.pk]))
    assert page.status_code == 200 and "实物捐赠（估价）" in page.content.decode()
