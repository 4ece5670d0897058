"""FIN findings in the compliance registry (finance/checks.py)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.compliance import REGISTRY, checks
from core.models import ComplianceFinding, FindingStatus
from core.services import compliance_run
from finance import rules, services
from tests.finance.conftest import make_fin
from tests.finance.factories import today

D = Decimal
FIN_CHECKS = (
    "fin3-split-claims",
    "fin6-budget",
    "fin11-reconciliation",
    "fin7-statement",
    "fin1-funding",
)


def finding(community, code):
    compliance_run(community_ids=[community.pk])
    return ComplianceFinding.objects.get(community=community, check_code=code)


def test_registry_has_the_fin_checks():
    codes = {c.code: c for c in checks()}
    for code in FIN_CHECKS:
        assert codes[code].rule_id.startswith("FIN-") and codes[code].citation


@pytest.mark.django_db
def test_fin3_split_claims_reported_to_the_street(fin):
    fin.submitted("200.00", payee="同一文具店", purpose="办公用品采购")
    assert finding(fin.community, "fin3-split-claims").status == FindingStatus.OK
    fin.submitted("150.00", payee="同一文具店", purpose="办公用品采购")
    f = finding(fin.community, "fin3-split-claims")
    assert f.status == FindingStatus.WARNING and "350.00" in f.message
    assert f.params["split_window_days"] == "30"


@pytest.mark.django_db
def test_fin6_over_budget_line_reported(fin):
    assert finding(fin.community, "fin6-budget").status == FindingStatus.OK
    fin.line.amount = D("150.00")
    fin.line.save()
    fin.submitted("100.00")
    fin.submitted("50.00")
    assert finding(fin.community, "fin6-budget").status == FindingStatus.OK  # exactly the budget
    fin.submitted("0.01")
    f = finding(fin.community, "fin6-budget")
    assert f.status == FindingStatus.WARNING and "超预算" in f.message


@pytest.mark.django_db
def test_fin6_missing_budget_reported():
    fin = make_fin()
    fin.line.budget.state = "draft"
    fin.line.budget.save()
    assert finding(fin.community, "fin6-budget").status == FindingStatus.WARNING


@pytest.mark.django_db
def test_fin11_reconciliation_difference_is_a_violation(fin):
    month = rules.month_first(today())
    cash = services.book_balance(fin.community.pk, "cash")
    bank = services.book_balance(fin.community.pk, "bank")
    services.reconciliation_record(
        user=fin.accountant,
        community=fin.community,
        month=month,
        counted_cash=cash,
        bank_statement=bank,
    )
    assert finding(fin.community, "fin11-reconciliation").status == FindingStatus.OK
    services.reconciliation_record(
        user=fin.accountant,
        community=fin.community,
        month=month,
        counted_cash=cash,
        bank_statement=bank + D("0.01"),
        explanation="银行未达账项",
    )
    f = finding(fin.community, "fin11-reconciliation")
    assert f.status == FindingStatus.VIOLATION and "0.01" in f.message


@pytest.mark.django_db
def test_fin7_unpublished_statement_after_quarter_end(fin):
    assert finding(fin.community, "fin7-statement").status == FindingStatus.WARNING
    year, quarter = rules.last_ended_quarter(today())
    statement = services.statement_generate(
        user=fin.accountant, community=fin.community, year=year, quarter=quarter
    )
    statement = services.statement_stamp(user=fin.members[0], statement=statement)
    assert finding(fin.community, "fin7-statement").status == FindingStatus.WARNING
    services.statement_publish(user=fin.director, statement=statement)
    assert finding(fin.community, "fin7-statement").status == FindingStatus.OK


@pytest.mark.django_db
def test_fin1_funding_below_the_standard(fin):
    f = finding(fin.community, "fin1-funding")
    assert f.status == FindingStatus.WARNING and "60000.00" in f.message  # 3000 households
    services.funding_allocate(user=fin.street_admin, community=fin.community, year=today().year)
    assert finding(fin.community, "fin1-funding").status == FindingStatus.OK


@pytest.mark.django_db
def test_fin_checks_query_count_is_fixed():
    small, large = make_fin(), make_fin()
    small.submitted("100.00")
    for i in range(8):
        large.submitted("120.00", payee=f"店{i % 2}", purpose="办公用品")
    counts = []
    for fin in (small, large):
        community = fin.community
        community.profile  # noqa: B018 - loaded before counting, as compliance_run does
        with CaptureQueriesContext(connection) as ctx:
            for code in FIN_CHECKS:
                REGISTRY[code].func(community, community.profile)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
