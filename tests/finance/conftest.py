"""A community with its street-managed account, an approved budget, money in the bank and
in the cash box, and every finance role (tests/finance)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import Role
from finance import services
from finance.models import ExpenseCategory, ExpenseClaim, IncomeKind, PaymentMethod
from tests.factories import CommunityFactory, user_with_role
from tests.finance.factories import (
    AccountFactory,
    BudgetFactory,
    BudgetLineFactory,
    ExpenseClaimFactory,
    pdf,
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Fin:
    community: object
    director: object
    principal: object
    members: list
    cashier: object
    accountant: object
    worker: object
    street_admin: object
    line: object  # an office line of this year's approved budget
    welfare_line: object

    @property
    def profile(self):
        return self.community.profile

    def claim(self, amount="100.00", *, method=PaymentMethod.TRANSFER, claimant=None, **kw):
        """A draft with one invoice, by the worker (or `claimant`)."""
        claimant = claimant or self.worker
        claim = ExpenseClaimFactory.build(
            community=self.community,
            claimant=claimant,
            budget_line=kw.pop("budget_line", self.line),
            amount=Decimal(amount),
            payment_method=method,
            **kw,
        )
        return services.claim_save(user=claimant, instance=claim, files=[pdf()])

    def submitted(self, amount="100.00", **kw) -> ExpenseClaim:
        claim = self.claim(amount, **kw)
        return services.claim_submit(user=claim.claimant, claim=claim)

    def approved(self, amount="100.00", **kw) -> ExpenseClaim:
        """Submitted and through every step it needs."""
        claim = self.submitted(amount, **kw)
        claim = services.claim_approve(user=self.director, claim=claim, step="director")
        if claim.needs_street_approval:
            claim = services.claim_approve(user=self.principal, claim=claim, step="street")
        if claim.needs_collective_review:
            votes = {m.pk: "approve" for m in self.members}
            claim = services.claim_review_collective(user=self.members[0], claim=claim, votes=votes)
        return claim


def make_fin(community=None, *, money=Decimal("500000.00"), cash=Decimal("5000.00")) -> Fin:
    community = community or CommunityFactory(name="甲社区")
    street = community.street
    AccountFactory(community=community)
    budget = BudgetFactory(community=community)
    line = BudgetLineFactory(budget=budget, category=ExpenseCategory.OFFICE, name="办公用品")
    welfare = BudgetLineFactory(
        budget=budget, category=ExpenseCategory.STAFF_WELFARE, name="节日慰问"
    )
    fin = Fin(
        community=community,
        director=user_with_role(Role.COMMITTEE_DIRECTOR, community=community),
        principal=user_with_role(Role.STREET_PRINCIPAL, street=street),
        members=[user_with_role(Role.SUPERVISION_MEMBER, street=street) for _ in range(3)],
        cashier=user_with_role(Role.CASHIER, community=community),
        accountant=user_with_role(Role.ACCOUNTANT, community=community),
        worker=user_with_role(Role.MEMBER, community=community),
        street_admin=user_with_role(Role.STREET_ADMIN, street=street),
        line=line,
        welfare_line=welfare,
    )
    day = timezone.localdate().replace(month=1, day=1)
    if money:
        fund = services.income_record(
            user=fin.accountant,
            instance=_income(community, money, IncomeKind.OTHER, day),
        )
        assert fund.pk
    if cash:
        services.cash_move(
            user=fin.cashier, community=community, withdraw=True, amount=cash, on=day
        )
    return fin


def _income(community, amount, kind, day: dt.date, **kw):
    from finance.models import Income

    return Income(
        community=community,
        kind=kind,
        amount=Decimal(amount),
        received_on=day,
        method=kw.pop("method", PaymentMethod.TRANSFER),
        source=kw.pop("source", "区民政局"),
        **kw,
    )


@pytest.fixture
def fin(db) -> Fin:
    return make_fin()
