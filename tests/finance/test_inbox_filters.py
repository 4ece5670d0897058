"""The approval inbox's filters and bulk view (issue #6), in the portal and the API: each
filter, the query string kept across pages, the page's sum, a fixed number of queries at
two sizes with filters applied, and a community the approver does not cover giving 400
and no rows (never that community's claims)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from finance import rules, services
from finance.models import ClaimState, ExpenseClaim
from tests.factories import CommunityFactory
from tests.finance.conftest import make_fin
from tests.finance.factories import today

D = Decimal
URL = "/portal/finance/inbox/"
API = "/api/v1/finance/claims/inbox/"


def bulk_claims(fin, n, *, state=ClaimState.SUBMITTED, days_ago=0, payee="商户", amount=None):
    when = timezone.now() - dt.timedelta(days=days_ago)
    ExpenseClaim.objects.bulk_create(
        [
            ExpenseClaim(
                community=fin.community,
                claimant=fin.worker,
                payee=f"{payee}{i % 50}",
                purpose=f"采购{i}",
                amount=amount or D(100 + i % 900),
                expense_date=today(),
                budget_line=fin.line,
                category=fin.line.category,
                state=state,
                submitted_at=when,
                needs_street_approval=(amount or D(100 + i % 900)) >= 300,
                needs_collective_review=False,
                steps_params=rules.tier_params(fin.profile),
            )
            for i in range(n)
        ],
        batch_size=2000,
    )


def ids(response):
    return {c.pk for c in response.context["page"].object_list}


@pytest.mark.django_db
def test_inbox_filters_amount_date_search_and_step(client):
    fin = make_fin()
    client.force_login(fin.director)
    small = fin.submitted("120.00", payee="文具店", purpose="打印纸")
    big = fin.submitted("650.00", payee="装修公司", purpose="活动室粉刷")
    old = fin.submitted("200.00", payee="花店", purpose="慰问花篮")
    ExpenseClaim.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - dt.timedelta(10))
    assert ids(client.get(URL)) == {small.pk, big.pk, old.pk}
    assert ids(client.get(URL, {"min_amount": "300"})) == {big.pk}
    assert ids(client.get(URL, {"max_amount": "199.99"})) == {small.pk}
    since = (today() - dt.timedelta(days=2)).isoformat()
    assert ids(client.get(URL, {"date_from": since})) == {small.pk, big.pk}
    before = (today() - dt.timedelta(days=5)).isoformat()
    assert ids(client.get(URL, {"date_to": before})) == {old.pk}
    assert ids(client.get(URL, {"q": "粉刷"})) == {big.pk}
    assert ids(client.get(URL, {"q": "文具"})) == {small.pk}
    assert ids(client.get(URL, {"step": "director"})) == {small.pk, big.pk, old.pk}
    assert ids(client.get(URL, {"step": "street"})) == set()
    assert client.get(URL, {"min_amount": "abc"}).status_code == 400


@pytest.mark.django_db
def test_street_principal_filters_by_step_and_covered_community(client):
    fin_a = make_fin()
    fin_b = make_fin(CommunityFactory(name="乙社区", street=fin_a.community.street))
    claim_a = services.claim_approve(
        user=fin_a.director, claim=fin_a.submitted("500.00"), step="director"
    )
    claim_b = services.claim_approve(
        user=fin_b.director, claim=fin_b.submitted("400.00"), step="director"
    )
    client.force_login(fin_a.principal)
    assert ids(client.get(URL, {"step": "street"})) == {claim_a.pk, claim_b.pk}
    response = client.get(URL, {"community": fin_b.community.pk})
    assert response.status_code == 200 and ids(response) == {claim_b.pk}
    choices = {c.pk for c in response.context["filter"].form.fields["community"].queryset}
    assert choices == {fin_a.community.pk, fin_b.community.pk}


@pytest.mark.django_db
def test_uncovered_community_filter_is_400_without_rows(client):
    fin_a = make_fin()
    fin_b = make_fin(CommunityFactory(name="乙社区"))
    fin_a.submitted("100.00")
    fin_b.submitted("100.00")
    client.force_login(fin_a.director)
    response = client.get(URL, {"community": fin_b.community.pk})
    assert response.status_code == 400
    assert ids(response) == set() and "乙社区" not in response.content.decode()
    # The director of a neighbouring community in the same street is not covered either.
    fin_c = make_fin(CommunityFactory(name="丙社区", street=fin_a.community.street))
    fin_c.submitted("100.00")
    response = client.get(URL, {"community": fin_c.community.pk})
    assert response.status_code == 400 and ids(response) == set()
    api = APIClient()
    api.force_authenticate(fin_a.director)
    assert api.get(API, {"community": fin_b.community.pk}).status_code == 400
    rows = api.get(API, {"community": fin_a.community.pk}).json()["results"]
    assert {r["community"] for r in rows} == {fin_a.community.pk}


@pytest.mark.django_db
def test_bulk_view_many_rows_sum_and_query_string_kept(client):
    fin = make_fin()
    client.force_login(fin.director)
    bulk_claims(fin, 130, amount=D("350.00"))
    bulk_claims(fin, 5, amount=D("20.00"))
    response = client.get(URL, {"view": "table", "min_amount": "300", "q": "商户"})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 130 and len(page.object_list) == 100
    assert response.context["page_sum"] == D("35000.00")
    html = response.content.decode()
    assert "<table" in html and 'id="page-sum">35000.00<' in html
    assert "page=2" in html and "min_amount=300" in html and "view=table" in html
    nxt = client.get(URL, {"view": "table", "min_amount": "300", "q": "商户", "page": 2})
    assert len(nxt.context["page"].object_list) == 30
    assert nxt.context["page_sum"] == D("10500.00")
    cards = client.get(URL, {"min_amount": "300"})
    assert len(cards.context["page"].object_list) == 20


def _count(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["", "table"])
def test_inbox_fixed_queries_at_two_sizes_with_filters(client, django_assert_max_num_queries, view):
    fin = make_fin()
    client.force_login(fin.director)
    params = {"view": view, "min_amount": "100", "q": "商户", "step": "director"}
    params["community"] = fin.community.pk
    params["date_from"] = (today() - dt.timedelta(days=3)).isoformat()
    bulk_claims(fin, 3)
    assert len(client.get(URL, params).context["page"].object_list) == 3  # rows rendered
    small = _count(client, URL, params)
    bulk_claims(fin, 3000)
    with django_assert_max_num_queries(small):
        response = client.get(URL, params)
    assert response.context["page"].paginator.count > 100


@pytest.mark.django_db
def test_api_inbox_filters_and_fixed_queries(django_assert_max_num_queries):
    fin = make_fin()
    api = APIClient()
    api.force_authenticate(fin.director)
    bulk_claims(fin, 3, amount=D("120.00"))
    bulk_claims(fin, 2, amount=D("800.00"), payee="装修")
    body = api.get(API, {"min_amount": "500", "q": "装修"}).json()
    assert body["count"] == 2
    with CaptureQueriesContext(connection) as ctx:
        api.get(API, {"min_amount": "100"})
    bulk_claims(fin, 1000)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        assert api.get(API, {"min_amount": "100"}).status_code == 200


@pytest.mark.django_db
def test_filters_never_show_own_or_bookkeeping_claims(client):
    fin = make_fin()
    own = fin.submitted("100.00", claimant=fin.director)
    other = fin.submitted("100.00")
    client.force_login(fin.director)
    assert ids(client.get(URL, {"community": fin.community.pk})) == {other.pk}
    assert own.pk not in ids(client.get(URL, {"q": own.purpose}))
