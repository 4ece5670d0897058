"""The worker portal's finance pages: filing a claim with invoices, double submits, the
approver's inbox, the cashier's queue, other communities 404."""

import pytest
from django.urls import reverse

from finance import services
from finance.models import ClaimAttachment, ClaimState, ExpenseClaim, Payment
from tests.factories import CommunityFactory
from tests.finance.conftest import make_fin
from tests.finance.factories import JPEG, pdf, today
from tests.helpers import query_count


def _form(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.context["form"]


def _claim_data(fin, token, **kw):
    return {
        "token": token,
        "community": fin.community.pk,
        "budget_line": fin.line.pk,
        "payee": "文具店",
        "purpose": "打印纸",
        "amount": "88.50",
        "expense_date": today().isoformat(),
        "payment_method": "cash",
        "allowance_units": 1,
        "kind": "invoice",
        "submit_now": "on",
        **kw,
    }


@pytest.mark.django_db
def test_file_and_submit_a_claim_with_invoices_once(client):
    fin = make_fin()
    client.force_login(fin.worker)
    url = reverse("finance:claim_new")
    token = _form(client, url).initial["token"]
    data = _claim_data(fin, token, files=[pdf(), pdf("照片.jpg", JPEG)])
    response = client.post(url, data)
    assert response.status_code == 302
    claim = ExpenseClaim.objects.get()
    assert claim.state == ClaimState.SUBMITTED and claim.attachments.count() == 2
    # The same form again (double tap): nothing new.
    again = client.post(url, _claim_data(fin, token, files=[pdf()]))
    assert again.status_code == 302
    assert ExpenseClaim.objects.count() == 1 and ClaimAttachment.objects.count() == 2
    page = client.get(reverse("finance:claim", args=[claim.pk]))
    assert page.status_code == 200 and "待主任审批" in page.content.decode()
    mine = client.get(reverse("finance:my_claims")).content.decode()
    assert "打印纸" in mine


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"amount": "-5"}, "金额必须大于 0"),
        ({"amount": "0"}, "金额必须大于 0"),
        ({"amount": "1.234"}, "最多保留两位小数"),
        ({"amount": "1000.00"}, "不得使用现金"),
        ({"files": [pdf("a.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024))]}, "不能超过 5 MB"),
        ({"files": [pdf("a.exe", b"MZ\x90")]}, "不是有效的"),
    ],
)
def test_bad_input_in_the_portal_saves_nothing(client, overrides, message):
    fin = make_fin()
    client.force_login(fin.worker)
    url = reverse("finance:claim_new")
    token = _form(client, url).initial["token"]
    data = {**_claim_data(fin, token, files=[pdf()]), **overrides}
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ExpenseClaim.objects.exists() and not ClaimAttachment.objects.exists()
    # The refused form may be corrected and sent again with the same token.
    fixed = client.post(url, _claim_data(fin, token, files=[pdf()]))
    assert fixed.status_code == 302 and ExpenseClaim.objects.count() == 1


@pytest.mark.django_db
def test_submission_without_invoice_is_refused_and_nothing_saved(client):
    fin = make_fin()
    client.force_login(fin.worker)
    url = reverse("finance:claim_new")
    token = _form(client, url).initial["token"]
    response = client.post(url, _claim_data(fin, token))
    assert response.status_code == 200 and "请上传发票" in response.content.decode()
    assert not ExpenseClaim.objects.exists()


@pytest.mark.django_db
def test_approve_and_pay_in_the_portal(client):
    fin = make_fin()
    claim = fin.submitted("120.00")
    client.force_login(fin.director)
    inbox = client.get(reverse("finance:inbox"))
    assert [c.pk for c in inbox.context["page"]] == [claim.pk]
    page = client.get(reverse("finance:claim", args=[claim.pk]))
    token = page.context["decide_form"].initial["token"]
    decide = reverse("finance:claim_decide", args=[claim.pk])
    body = {"token": token, "decision": "approve", "step": "director", "comment": ""}
    assert client.post(decide, body).status_code == 302
    assert client.post(decide, body).status_code == 302  # the double tap does nothing
    claim.refresh_from_db()
    assert claim.state == ClaimState.DIRECTOR_APPROVED and claim.approvals.count() == 1
    client.force_login(fin.cashier)
    queue = client.get(reverse("finance:payments"))
    assert [c.pk for c in queue.context["page"]] == [claim.pk]
    page = client.get(reverse("finance:claim", args=[claim.pk]))
    token = page.context["pay_form"].initial["token"]
    pay = reverse("finance:claim_pay", args=[claim.pk])
    assert client.post(pay, {"token": token, "method": "transfer"}).status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.PAID and Payment.objects.count() == 1


@pytest.mark.django_db
def test_cashier_cannot_approve_in_the_portal(client):
    fin = make_fin()
    claim = fin.submitted("120.00")
    client.force_login(fin.cashier)
    page = client.get(reverse("finance:claim", args=[claim.pk]))
    assert not page.context["may_decide"]
    token = page.context["decide_form"].initial["token"]
    response = client.post(
        reverse("finance:claim_decide", args=[claim.pk]),
        {"token": token, "decision": "approve", "step": "director"},
    )
    assert response.status_code == 400 and "会计、出纳不得审批" in response.content.decode()
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED


@pytest.mark.django_db
def test_other_communitys_claims_are_404_in_the_portal(client):
    fin = make_fin()
    other = make_fin(CommunityFactory(name="乙社区"))
    claim_b = other.approved("100.00")
    client.force_login(fin.cashier)
    attachment = claim_b.attachments.get()
    assert client.get(reverse("finance:claim", args=[claim_b.pk])).status_code == 404
    assert client.get(reverse("finance:attachment", args=[attachment.pk])).status_code == 404
    for name in ("claim_pay", "claim_decide", "claim_submit", "claim_withdraw", "claim_collective"):
        assert client.post(reverse(f"finance:{name}", args=[claim_b.pk]), {}).status_code == 404
    queue = client.get(reverse("finance:payments"))
    assert claim_b.pk not in [c.pk for c in queue.context["page"]]
    claim_b.refresh_from_db()
    assert claim_b.state != ClaimState.PAID


@pytest.mark.django_db
def test_attachment_download_for_those_who_see_the_claim(client):
    fin = make_fin()
    claim = fin.claim("100.00")
    client.force_login(fin.director)
    response = client.get(reverse("finance:attachment", args=[claim.attachments.get().pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["inbox", "my_claims", "payments", "home"])
def test_portal_lists_fixed_queries(client, name):
    fin = make_fin()
    user = {"inbox": fin.director, "payments": fin.cashier}.get(name, fin.worker)
    client.force_login(user)
    url = reverse(f"finance:{name}")
    fin.approved("100.00")
    fin.submitted("100.00")
    client.get(url)
    small = query_count(client, url)
    for _ in range(6):
        fin.submitted("100.00")
        fin.approved("100.00")
    assert query_count(client, url) == small


@pytest.mark.django_db
def test_community_page_links_to_finance(client):
    fin = make_fin()
    client.force_login(fin.worker)
    page = client.get(reverse("portal:community", args=[fin.community.pk])).content.decode()
    assert reverse("finance:home") in page
    services  # noqa: B018 - the module is the subject of this file
