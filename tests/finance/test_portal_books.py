"""The books in the worker portal and the API (FIN-11): the month's cash and bank journals,
cash deposits and withdrawals, the monthly reconciliation; refusals next to their fields
with nothing changed, double submits, other communities 404 on every URL and route, and a
fixed number of queries at two sizes."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from finance import services
from finance.models import Direction, EntryKind, JournalEntry, MonthlyReconciliation
from tests.factories import CommunityFactory
from tests.finance.conftest import make_fin
from tests.finance.factories import today
from tests.helpers import query_count

D = Decimal
CASH_MOVES = "/api/v1/finance/cash-moves/"
RECONCILIATIONS = "/api/v1/finance/reconciliations/"


def _balances(fin):
    return (
        services.book_balance(fin.community.pk, "cash"),
        services.book_balance(fin.community.pk, "bank"),
    )


def _token(client, fin, key):
    response = client.get(reverse("finance:books", args=[fin.community.pk]))
    assert response.status_code == 200
    return response.context[key].initial["token"]


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.django_db
def test_books_page_shows_the_months_journals(client):
    fin = make_fin()
    client.force_login(fin.cashier)
    index = client.get(reverse("finance:books_index"))
    assert index.status_code == 302 and index.url == reverse(
        "finance:books", args=[fin.community.pk]
    )
    jan = today().replace(month=1, day=1)
    url = reverse("finance:books", args=[fin.community.pk])
    response = client.get(url, {"month": f"{jan:%Y-%m}"})
    assert response.status_code == 200
    cash, bank = response.context["cash"], response.context["bank"]
    assert cash.totals["debit"] == D("5000.00") and cash.totals["closing"] == D("5000.00")
    assert bank.totals["closing"] == D("495000.00")
    html = response.content.decode()
    assert "现金日记账" in html and "银行存款日记账" in html and "提取现金" in html
    assert "现金存取" in html and "月度对账" in html
    home = client.get(reverse("finance:home")).content.decode()
    assert reverse("finance:books_index") in home


@pytest.mark.django_db
def test_cash_withdrawal_and_deposit_once_per_form(client):
    fin = make_fin()
    client.force_login(fin.cashier)
    url = reverse("finance:books_cash_move", args=[fin.community.pk])
    before = JournalEntry.objects.count()
    token = _token(client, fin, "move_form")
    body = {"token": token, "direction": "withdraw", "amount": "300.00", "note": "备用金"}
    response = client.post(url, body)
    assert response.status_code == 302
    assert client.post(url, body).status_code == 302  # the double tap records nothing
    assert JournalEntry.objects.count() == before + 2
    assert _balances(fin) == (D("5300.00"), D("494700.00"))
    token = _token(client, fin, "move_form")
    body = {"token": token, "direction": "deposit", "amount": "1000", "on": today().isoformat()}
    assert client.post(url, body).status_code == 302
    assert _balances(fin) == (D("4300.00"), D("495700.00"))
    entries = JournalEntry.objects.order_by("-pk")[:2]
    assert {e.kind for e in entries} == {EntryKind.INTERNAL}
    assert {(e.book, e.direction) for e in entries} == {
        ("cash", Direction.OUT),
        ("bank", Direction.IN),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"direction": "deposit", "amount": "5000.01"}, "amount", "[FIN-11]"),
        ({"amount": "0"}, "amount", "金额必须大于 0"),
        ({"amount": "-1"}, "amount", "金额必须大于 0"),
        ({"amount": "1.234"}, "amount", "最多保留两位小数"),
        ({"on": "2999-01-01"}, "on", "不能晚于今天"),
    ],
)
def test_cash_move_refused_next_to_the_field_nothing_changed(client, overrides, field, message):
    fin = make_fin()
    client.force_login(fin.cashier)
    url = reverse("finance:books_cash_move", args=[fin.community.pk])
    before = (JournalEntry.objects.count(), _balances(fin))
    token = _token(client, fin, "move_form")
    body = {"token": token, "direction": "withdraw", "amount": "10", **overrides}
    response = client.post(url, body)
    assert response.status_code == 400
    errors = " ".join(response.context["move_form"].errors.get(field, []))
    assert message in errors, response.context["move_form"].errors
    assert f'id="id_{field}-error"' in response.content.decode()
    assert (JournalEntry.objects.count(), _balances(fin)) == before
    # The token was given back: the corrected form goes through.
    body = {"token": token, "direction": "withdraw", "amount": "10"}
    assert client.post(url, body).status_code == 302


@pytest.mark.django_db
def test_reconciliation_in_the_portal(client):
    fin = make_fin()
    client.force_login(fin.accountant)
    url = reverse("finance:books_reconcile", args=[fin.community.pk])
    cash, bank = _balances(fin)
    month = f"{today():%Y-%m}"
    token = _token(client, fin, "reconcile_form")
    body = {"token": token, "month": month, "counted_cash": cash, "bank_statement": bank}
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 302
    row = MonthlyReconciliation.objects.get()
    assert not row.has_difference and row.reconciled_by == fin.accountant
    page = client.get(reverse("finance:books", args=[fin.community.pk]), {"month": month})
    assert page.context["reconciliation"] == row


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"counted_cash": "4990.00"}, "explanation", "[FIN-11]"),
        ({"counted_cash": "-1"}, "counted_cash", "不能为负数"),
        ({"bank_statement": "1.001"}, "bank_statement", "最多保留两位小数"),
        ({"month": "2999-01"}, "month", "尚未开始的月份"),
    ],
)
def test_reconciliation_refused_next_to_the_field(client, overrides, field, message):
    fin = make_fin()
    client.force_login(fin.accountant)
    url = reverse("finance:books_reconcile", args=[fin.community.pk])
    cash, bank = _balances(fin)
    token = _token(client, fin, "reconcile_form")
    body = {"token": token, "month": f"{today():%Y-%m}", "counted_cash": cash}
    body = {**body, "bank_statement": bank, **overrides}
    response = client.post(url, body)
    assert response.status_code == 400
    errors = " ".join(response.context["reconcile_form"].errors.get(field, []))
    assert message in errors, response.context["reconcile_form"].errors
    assert not MonthlyReconciliation.objects.exists()


@pytest.mark.django_db
def test_reviewed_reconciliation_refused(client):
    fin = make_fin()
    cash, bank = _balances(fin)
    row = services.reconciliation_record(
        user=fin.accountant,
        community=fin.community,
        month=today(),
        counted_cash=cash,
        bank_statement=bank,
    )
    services.reconciliation_review(user=fin.members[0], reconciliation=row)
    client.force_login(fin.accountant)
    token = _token(client, fin, "reconcile_form")
    url = reverse("finance:books_reconcile", args=[fin.community.pk])
    body = {"token": token, "month": f"{today():%Y-%m}", "counted_cash": "1", "bank_statement": "1"}
    response = client.post(url, body)
    assert response.status_code == 400 and "已经街道监管会审核" in response.content.decode()
    row.refresh_from_db()
    assert row.counted_cash == cash


@pytest.mark.django_db
def test_worker_without_the_books_role_cannot_write(client):
    fin = make_fin()
    client.force_login(fin.worker)
    response = client.get(reverse("finance:books", args=[fin.community.pk]))
    assert response.status_code == 200
    assert response.context["move_form"] is None and response.context["reconcile_form"] is None
    body = {"token": "x", "direction": "withdraw", "amount": "10"}
    url = reverse("finance:books_cash_move", args=[fin.community.pk])
    assert client.post(url, body).status_code == 403
    api = _api(fin.worker)
    body = {"community": fin.community.pk, "withdraw": True, "amount": "10"}
    assert api.post(CASH_MOVES, body, format="json").status_code == 403
    assert JournalEntry.objects.filter(kind=EntryKind.INTERNAL).count() == 2


@pytest.mark.django_db
def test_other_communitys_books_are_404(client):
    fin_a = make_fin()
    fin_b = make_fin(CommunityFactory(name="乙社区"))
    neighbour = CommunityFactory(name="丙社区", street=fin_a.community.street)
    client.force_login(fin_a.cashier)
    before = JournalEntry.objects.count()
    for pk in (fin_b.community.pk, neighbour.pk):
        assert client.get(reverse("finance:books", args=[pk])).status_code == 404
        for name in ("books_cash_move", "books_reconcile"):
            body = {"token": "x", "direction": "withdraw", "amount": "10", "month": "2026-01"}
            assert client.post(reverse(f"finance:{name}", args=[pk]), body).status_code == 404
    api = _api(fin_a.cashier)
    body = {"community": fin_b.community.pk, "withdraw": True, "amount": "10"}
    assert api.post(CASH_MOVES, body, format="json").status_code == 404
    body = {
        "community": fin_b.community.pk,
        "month": today().isoformat(),
        "counted_cash": "1",
        "bank_statement": "1",
        "explanation": "x",
    }
    assert api.post(RECONCILIATIONS, body, format="json").status_code == 404
    cash, bank = _balances(fin_b)
    row = services.reconciliation_record(
        user=fin_b.accountant,
        community=fin_b.community,
        month=today(),
        counted_cash=cash,
        bank_statement=bank,
    )
    assert api.get(f"{RECONCILIATIONS}{row.pk}/").status_code == 404
    assert api.get(RECONCILIATIONS).json()["count"] == 0
    assert JournalEntry.objects.count() == before


@pytest.mark.django_db
def test_api_cash_move_and_reconciliation(client):
    fin = make_fin()
    api = _api(fin.cashier)
    body = {"community": fin.community.pk, "withdraw": True, "amount": "200.00"}
    response = api.post(CASH_MOVES, body, format="json")
    assert response.status_code == 201, response.json()
    assert [r["book"] for r in response.json()] == ["bank", "cash"]
    assert _balances(fin) == (D("5200.00"), D("494800.00"))
    body = {"community": fin.community.pk, "withdraw": False, "amount": "9999.00"}
    response = api.post(CASH_MOVES, body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "FIN-11"
    assert _balances(fin) == (D("5200.00"), D("494800.00"))
    api = _api(fin.accountant)
    body = {
        "community": fin.community.pk,
        "month": today().isoformat(),
        "counted_cash": "5190.00",
        "bank_statement": "494800.00",
    }
    response = api.post(RECONCILIATIONS, body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "FIN-11"
    assert "explanation" in response.json()
    assert not MonthlyReconciliation.objects.exists()
    response = api.post(RECONCILIATIONS, {**body, "explanation": "少 10 元待查"}, format="json")
    assert response.status_code == 201
    assert response.json()["cash_difference"] == "-10.00"
    listed = api.get(RECONCILIATIONS, {"community": fin.community.pk}).json()
    assert listed["count"] == 1


def _bulk_journal(fin, n):
    JournalEntry.objects.bulk_create(
        [
            JournalEntry(
                community=fin.community,
                book="cash" if i % 3 else "bank",
                entry_date=today(),
                kind=EntryKind.INTERNAL,
                direction=Direction.IN,
                amount=D("1.00"),
                summary=f"测试{i}",
                created_by=fin.cashier,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )


@pytest.mark.django_db
def test_books_page_fixed_queries_at_two_sizes(client, django_assert_max_num_queries):
    fin = make_fin()
    client.force_login(fin.accountant)
    url = reverse("finance:books", args=[fin.community.pk]) + f"?month={today():%Y-%m}"
    _bulk_journal(fin, 3)
    client.get(url)
    small = query_count(client, url)
    _bulk_journal(fin, 2000)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert response.context["cash"].totals["debit"] > D("1000")
    assert timezone.localdate() >= today()
