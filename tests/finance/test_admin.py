"""Finance in the admin: lists and the approval inbox at two sizes (fixed queries), the
journals and exports, decisions through the services, other communities are 404."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import Role
from finance import rules, services
from finance.models import (
    ClaimState,
    Direction,
    EntryKind,
    ExpenseClaim,
    JournalEntry,
    QuarterlyStatement,
)
from tests.factories import CommunityFactory, UserFactory, user_with_role
from tests.finance.conftest import _income, make_fin
from tests.finance.factories import today
from tests.helpers import query_count

D = Decimal


def bulk_claims(fin, n, *, state=ClaimState.SUBMITTED, claimant=None):
    """n claims straight into the table (bulk_create), waiting at the director's step."""
    now = timezone.now()
    claimant = claimant or fin.worker
    ExpenseClaim.objects.bulk_create(
        [
            ExpenseClaim(
                community=fin.community,
                claimant=claimant,
                payee=f"商户{i % 50}",
                purpose=f"采购{i}",
                amount=D(100 + i % 900),
                expense_date=today(),
                budget_line=fin.line,
                category=fin.line.category,
                state=state,
                submitted_at=now,
                needs_street_approval=(100 + i % 900) >= 300,
                needs_collective_review=False,
                steps_params=rules.tier_params(fin.profile),
            )
            for i in range(n)
        ],
        batch_size=2000,
    )


def bulk_journal(fin, n):
    JournalEntry.objects.bulk_create(
        [
            JournalEntry(
                community=fin.community,
                book="cash",
                entry_date=today(),
                kind=EntryKind.INTERNAL,
                direction=Direction.IN if i % 2 else Direction.OUT,
                amount=D("1.00"),
                summary=f"测试{i}",
                created_by=fin.cashier,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )


@pytest.mark.django_db
def test_approval_inbox_fixed_queries_with_10000_claims(client):
    fin = make_fin()
    client.force_login(fin.director)
    url = reverse("admin:finance_expenseclaim_inbox")
    bulk_claims(fin, 3)
    client.get(url)
    small = query_count(client, url)
    bulk_claims(fin, 10_000)
    large = query_count(client, url)
    response = client.get(url + "?min_amount=300&max_amount=999.99")
    assert response.status_code == 200
    assert large == small
    assert response.context["page"].paginator.count == sum(
        1 for a in ExpenseClaim.objects.values_list("amount", flat=True) if a >= 300
    )


@pytest.mark.django_db
def test_approval_inbox_shows_the_users_step_only(client):
    fin = make_fin()
    other = make_fin(CommunityFactory(name="乙社区", street=fin.community.street))
    mine = fin.submitted("100.00")
    own = fin.submitted("100.00", claimant=fin.director)
    theirs = other.submitted("100.00")
    waiting_street = other.submitted("500.00")
    services.claim_approve(user=other.director, claim=waiting_street, step="director")
    client.force_login(fin.director)
    ids = [c.pk for c in client.get(reverse("admin:finance_expenseclaim_inbox")).context["page"]]
    assert ids == [mine.pk]  # not their own, not another community's
    client.force_login(fin.principal)  # the street principal covers both communities
    ids = [c.pk for c in client.get(reverse("admin:finance_expenseclaim_inbox")).context["page"]]
    assert ids == [waiting_street.pk]
    assert own.pk not in ids and theirs.pk not in ids


@pytest.mark.django_db
def test_admin_inbox_filters_are_the_portals_and_a_community_not_covered_gives_no_rows(client):
    fin = make_fin()
    other = make_fin(CommunityFactory(name="乙社区", street=fin.community.street))
    mine = fin.submitted("100.00", payee="绿化公司")
    fin.submitted("100.00", payee="物业公司")
    other.submitted("100.00")
    client.force_login(fin.director)
    url = reverse("admin:finance_expenseclaim_inbox")
    found = client.get(url, {"q": "绿化"})
    assert [c.pk for c in found.context["page"]] == [mine.pk]  # the portal's search filter
    refused = client.get(url, {"community": other.community.pk})
    assert refused.status_code == 400
    assert list(refused.context["page"]) == []  # never every row for a filter out of scope


@pytest.mark.django_db
def test_inbox_bulk_approve_and_decide_view_go_through_the_services(client):
    fin = make_fin()
    a, b = fin.submitted("100.00"), fin.submitted("600.00")
    client.force_login(fin.director)
    url = reverse("admin:finance_expenseclaim_inbox")
    response = client.post(url, {"claim": [f"{a.pk}:director", f"{b.pk}:director"]})
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.state == b.state == ClaimState.DIRECTOR_APPROVED
    decide = reverse("admin:finance_expenseclaim_decide", args=[b.pk])
    client.force_login(fin.principal)
    client.post(decide, {"step": "street", "decision": "reject", "comment": "依据不足"})
    b.refresh_from_db()
    assert b.state == ClaimState.REJECTED and b.reject_reason == "依据不足"
    # Twice: the second is refused with a message, nothing changes.
    client.force_login(fin.director)
    response = client.post(url, {"claim": [f"{a.pk}:director"]}, follow=True)
    assert "不能重复审批" in response.content.decode()


@pytest.mark.django_db
def test_collective_review_in_the_admin(client):
    fin = make_fin()
    claim = fin.submitted("1500.00")
    claim = services.claim_approve(user=fin.director, claim=claim, step="director")
    claim = services.claim_approve(user=fin.principal, claim=claim, step="street")
    client.force_login(fin.members[0])
    url = reverse("admin:finance_expenseclaim_collective", args=[claim.pk])
    assert client.get(url).status_code == 200
    data = {f"present_{m.pk}": "1" for m in fin.members[:2]}
    data.update({f"vote_{m.pk}": "approve" for m in fin.members})
    response = client.post(url, data)
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.COLLECTIVE_REVIEWED
    assert claim.approvals.get(step="collective").votes.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        "expenseclaim",
        "budget",
        "income",
        "journalentry",
        "account",
        "fundingallocation",
        "monthlyreconciliation",
        "quarterlystatement",
        "allowancestandard",
    ],
)
def test_changelists_render_with_fixed_queries(client, model):
    fin = make_fin()
    client.force_login(fin.street_admin)
    url = reverse(f"admin:finance_{model}_changelist")
    client.get(url)
    small = query_count(client, url)
    for _ in range(5):
        fin.submitted("120.00")
    services.income_record(
        user=fin.accountant, instance=_income(fin.community, "10", "other", today())
    )
    assert query_count(client, url) == small


@pytest.mark.django_db
def test_journal_page_fixed_queries_and_export(client):
    fin = make_fin()
    client.force_login(fin.director)
    url = reverse("admin:finance_journalentry_book") + f"?community={fin.community.pk}&book=cash"
    small = query_count(client, url)
    bulk_journal(fin, 10_000)
    assert query_count(client, url) == small
    page = client.get(url).context["page"]
    assert page.paginator.count == JournalEntry.objects.filter(book="cash").count()
    export = client.get(
        reverse("admin:finance_journalentry_export") + f"?community={fin.community.pk}&book=cash"
    )
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "日期" and rows[2][1] == "期初余额"
    assert len(rows) == 3 + JournalEntry.objects.filter(book="cash").count() + 1
    balance = services.book_balance(fin.community.pk, "cash")
    assert D(str(rows[-1][6])) == balance == D(str(rows[-2][6]))


@pytest.mark.django_db
def test_budget_execution_and_statement_exports(client):
    fin = make_fin()
    claim = fin.approved("250.00")
    services.claim_pay(user=fin.cashier, claim=claim)
    client.force_login(fin.director)
    response = client.get(reverse("admin:finance_budget_execution_export"))
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    office = next(r for r in rows if r[3] == "办公用品")
    assert D(str(office[5])) == D("250.00")
    year, quarter = rules.last_ended_quarter(today())
    statement = services.statement_generate(
        user=fin.accountant, community=fin.community, year=year, quarter=quarter
    )
    response = client.get(reverse("admin:finance_quarterlystatement_export", args=[statement.pk]))
    assert response.status_code == 200
    page = client.get(reverse("admin:finance_quarterlystatement_change", args=[statement.pk]))
    assert page.status_code == 200


@pytest.mark.django_db
def test_statement_buttons_in_the_admin(client):
    fin = make_fin()
    year, quarter = rules.last_ended_quarter(today())
    client.force_login(fin.director)
    add = client.post(
        reverse("admin:finance_quarterlystatement_add"),
        {"community": fin.community.pk, "year": year, "quarter": quarter},
    )
    assert add.status_code == 302
    statement = QuarterlyStatement.objects.get()
    transition = "admin:finance_quarterlystatement_transition"
    client.post(reverse(transition, args=[statement.pk, "publish"]))
    statement.refresh_from_db()
    assert statement.state == "draft"  # not stamped yet: refused
    client.force_login(fin.members[0])
    client.post(reverse(transition, args=[statement.pk, "stamp"]))
    client.force_login(fin.director)
    client.post(reverse(transition, args=[statement.pk, "publish"]))
    statement.refresh_from_db()
    assert statement.state == "published"


@pytest.mark.django_db
def test_other_communitys_finance_is_404_in_the_admin(client):
    fin = make_fin()
    other = make_fin(CommunityFactory(name="乙社区"))
    claim_b = other.submitted("100.00")
    year, quarter = rules.last_ended_quarter(today())
    statement_b = services.statement_generate(
        user=other.accountant, community=other.community, year=year, quarter=quarter
    )
    client.force_login(fin.director)
    attachment = claim_b.attachments.get()
    for url in (
        reverse("admin:finance_expenseclaim_change", args=[claim_b.pk]),
        reverse("admin:finance_expenseclaim_collective", args=[claim_b.pk]),
        reverse("admin:finance_expenseclaim_attachment", args=[claim_b.pk, attachment.pk]),
        reverse("admin:finance_quarterlystatement_export", args=[statement_b.pk]),
        reverse("admin:finance_quarterlystatement_change", args=[statement_b.pk]),
        reverse("admin:finance_journalentry_book") + f"?community={other.community.pk}",
        reverse("admin:finance_journalentry_export") + f"?community={other.community.pk}",
    ):
        assert client.get(url).status_code == 404, url
    decide = reverse("admin:finance_expenseclaim_decide", args=[claim_b.pk])
    assert client.post(decide, {"step": "director", "decision": "approve"}).status_code == 404
    client.post(reverse("admin:finance_expenseclaim_inbox"), {"claim": [f"{claim_b.pk}:director"]})
    claim_b.refresh_from_db()
    assert claim_b.state == ClaimState.SUBMITTED
    listing = client.get(reverse("admin:finance_expenseclaim_changelist")).content.decode()
    assert "乙社区" not in listing
    inbox = client.get(reverse("admin:finance_expenseclaim_inbox"))
    assert claim_b.pk not in [c.pk for c in inbox.context["page"]]


@pytest.mark.django_db
def test_a_user_without_finance_roles_sees_no_inbox_rows(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:finance_expenseclaim_inbox")).status_code == 403
    grid = user_with_role(Role.DEPUTY)
    client.force_login(grid)
    response = client.get(reverse("admin:finance_expenseclaim_inbox"))
    assert response.status_code == 200 and not list(response.context["page"])
