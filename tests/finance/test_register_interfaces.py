"""The receipt register (FIN-11) in the portal, the API and the admin: the cashier's pages,
Excel export, other communities 404, the street sees all its communities, list query
counts fixed at two sizes."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from finance import services
from finance.models import Receipt, ReceiptBatch, ReceiptState
from tests.factories import CommunityFactory
from tests.finance.conftest import make_fin
from tests.finance.factories import today
from tests.finance.test_receipts import issue, receive
from tests.helpers import query_count

BATCHES = "/api/v1/finance/receipt-batches/"


@pytest.fixture
def api():
    return APIClient()


def _token(client, url, key):
    response = client.get(url)
    assert response.status_code == 200
    return response.context[key].initial["token"]


@pytest.mark.django_db
def test_portal_receive_issue_void_and_hand_in(client):
    fin = make_fin()
    client.force_login(fin.cashier)
    home = client.get(reverse("finance:home")).content.decode()
    assert reverse("finance:receipts") in home
    url = reverse("finance:receipts")
    token = _token(client, url, "form")
    data = {
        "token": token,
        "community": fin.community.pk,
        "series": "吉社收",
        "first_no": 1,
        "last_no": 50,
        "received_on": today().isoformat(),
        "source": "街道财政所",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = ReceiptBatch.objects.get()
    page = reverse("finance:receipt_batch", args=[batch.pk])
    token = _token(client, page, "issue_form")
    issue_url = reverse("finance:receipt_issue", args=[batch.pk])
    body = {"token": token, "amount": "30.00", "payer": "李四", "purpose": "书法班"}
    assert client.post(issue_url, body).status_code == 302
    assert client.post(issue_url, body).status_code == 302  # double tap: nothing new
    assert Receipt.objects.filter(batch=batch).count() == 1
    token = _token(client, page, "issue_form")
    skipped = client.post(issue_url, {**body, "token": token, "number": 3})
    assert skipped.status_code == 400 and "不得跳号" in skipped.content.decode()
    token = _token(client, page, "void_form")
    void_url = reverse("finance:receipt_void", args=[batch.pk])
    voided = client.post(void_url, {"token": token, "number": 2, "void_reason": "填错"})
    assert voided.status_code == 302
    token = _token(client, page, "hand_in_form")
    hand_in_url = reverse("finance:receipt_hand_in", args=[batch.pk])
    handed = client.post(
        hand_in_url, {"token": token, "first_no": 41, "last_no": 50, "handed_to": "街道财政所"}
    )
    assert handed.status_code == 302
    text = client.get(page).content.decode()
    assert "已作废" in text and "已缴销" in text and "填错" in text
    listing = client.get(url).content.decode()
    assert "<strong>38</strong>" in listing  # 50 − 1 − 1 − 10
    export = client.get(reverse("finance:receipts_export"))
    assert export.status_code == 200
    wb = load_workbook(BytesIO(export.content))
    summary = list(wb.worksheets[0].iter_rows(values_only=True))
    assert summary[1][5:] == (50, 1, 1, 10, 38)
    register = list(wb.worksheets[1].iter_rows(values_only=True))
    assert len(register) == 51 and register[2][2] == "已作废" and register[2][8] == "填错"


@pytest.mark.django_db
def test_portal_other_communitys_batch_is_404(client):
    fin = make_fin()
    batch = receive(fin)
    other = make_fin(CommunityFactory(name="乙社区"))
    client.force_login(other.cashier)
    assert client.get(reverse("finance:receipt_batch", args=[batch.pk])).status_code == 404
    response = client.post(
        reverse("finance:receipt_issue", args=[batch.pk]),
        {"token": "00000000-0000-0000-0000-000000000001", "amount": "1.00", "payer": "x"},
    )
    assert response.status_code == 404
    assert "甲社区" not in client.get(reverse("finance:receipts")).content.decode()
    assert not Receipt.objects.exists()


@pytest.mark.django_db
def test_portal_receipt_list_and_register_fixed_queries(client):
    fin = make_fin()
    client.force_login(fin.cashier)
    batch = receive(fin, first=1, last=40)
    issue(fin, batch)
    url = reverse("finance:receipts")
    page = reverse("finance:receipt_batch", args=[batch.pk])
    client.get(url)
    small, small_page = query_count(client, url), query_count(client, page)
    for i in range(6):
        receive(fin, first=100 + i * 10, last=109 + i * 10)
    for _ in range(15):
        issue(fin, batch)
    services.receipt_void(user=fin.cashier, batch=batch, number=17, reason="损坏")
    assert query_count(client, url) == small
    assert query_count(client, page) == small_page


@pytest.mark.django_db
def test_api_issue_with_the_rule_id_and_404_across_communities(api):
    fin = make_fin()
    api.force_authenticate(fin.accountant)
    created = api.post(
        BATCHES,
        {
            "community": fin.community.pk,
            "first_no": 1,
            "last_no": 3,
            "received_on": today().isoformat(),
            "source": "街道财政所",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["stock"] == 3
    first = api.post(f"{BATCHES}{pk}/issue/", {"amount": "10.00", "payer": "王五"}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["number"] == 1
    again = api.post(
        f"{BATCHES}{pk}/issue/", {"number": 1, "amount": "10.00", "payer": "王五"}, format="json"
    )
    assert again.status_code == 400 and again.json()["code"] == "FIN-11"
    past = api.post(
        f"{BATCHES}{pk}/issue/", {"number": 4, "amount": "10.00", "payer": "王五"}, format="json"
    )
    assert past.status_code == 400 and past.json()["code"] == "FIN-11"
    void = api.post(f"{BATCHES}{pk}/void/", {"number": 2, "reason": "污损"}, format="json")
    assert void.status_code == 201 and void.json()["state"] == ReceiptState.VOIDED
    handed = api.post(
        f"{BATCHES}{pk}/hand-in/",
        {"first_no": 3, "last_no": 3, "handed_to": "街道财政所"},
        format="json",
    )
    assert handed.status_code == 200 and handed.json()["stock"] == 0
    assert api.get(f"{BATCHES}export/").status_code == 200
    other = make_fin(CommunityFactory(name="乙社区"))
    api.force_authenticate(other.cashier)
    assert api.get(f"{BATCHES}{pk}/").status_code == 404
    refused = api.post(f"{BATCHES}{pk}/void/", {"number": 3, "reason": "x"}, format="json")
    assert refused.status_code == 404
    assert api.get(BATCHES).json()["count"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["receipt-batches", "receipts", "in-kind", "paid-services"])
def test_api_register_lists_fixed_queries(api, route):
    fin = make_fin()
    api.force_authenticate(fin.director)
    url = f"/api/v1/finance/{route}/"
    batch = receive(fin, first=1, last=20)
    issue(fin, batch)
    api.get(url)
    small = query_count(api, url)
    for i in range(5):
        issue(fin, receive(fin, first=100 + i * 10, last=109 + i * 10))
    assert query_count(api, url) == small


@pytest.mark.django_db
def test_admin_street_sees_all_its_communities_and_exports(client):
    fin = make_fin()
    other = make_fin(CommunityFactory(name="乙社区", street=fin.community.street))
    foreign = make_fin(CommunityFactory(name="丙社区"))
    for f in (fin, other, foreign):
        issue(f, receive(f))
    client.force_login(fin.street_admin)
    url = reverse("admin:finance_receiptbatch_changelist")
    text = client.get(url).content.decode()
    assert "甲社区" in text and "乙社区" in text and "丙社区" not in text
    foreign_batch = ReceiptBatch.objects.get(community=foreign.community)
    change = reverse("admin:finance_receiptbatch_change", args=[foreign_batch.pk])
    assert client.get(change).status_code == 404
    ids = ReceiptBatch.objects.filter(community__street=fin.community.street)
    response = client.post(
        url,
        {"action": "export_register", "_selected_action": [b.pk for b in ids]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(fin.director)
    text = client.get(url).content.decode()
    assert "甲社区" in text and "乙社区" not in text
    size = query_count(client, url)
    for i in range(5):
        receive(fin, first=5000 + i * 10, last=5009 + i * 10)
    assert query_count(client, url) == size
