"""factory_boy factories of finance: rows under a budget share its community. Claims made
here are drafts; tests move them on through finance.services (tests/finance/conftest.py)."""

import datetime as dt
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from finance import models as f
from tests.factories import CommunityFactory, InCommunity, UserFactory, same_community

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def pdf(name="发票.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


class AccountFactory(InCommunity):
    class Meta:
        model = f.Account

    bank_name = "中国农业银行长春朝阳支行"
    account_name = factory.LazyAttribute(lambda o: f"{o.community.name}居民委员会")
    account_no = factory.Sequence(lambda n: f"62284800{n:010d}")


class BudgetFactory(InCommunity):
    class Meta:
        model = f.Budget

    year = factory.LazyFunction(lambda: timezone.localdate().year)
    state = f.BudgetState.APPROVED
    approved_at = factory.LazyFunction(timezone.now)


class BudgetLineFactory(InCommunity):
    class Meta:
        model = f.BudgetLine

    _parent = "budget"
    budget = same_community(BudgetFactory)
    category = f.ExpenseCategory.OFFICE
    name = factory.Sequence(lambda n: f"预算项目{n}")
    amount = Decimal("50000.00")


class ExpenseClaimFactory(InCommunity):
    """A draft claim on a line of the community's approved budget."""

    class Meta:
        model = f.ExpenseClaim

    claimant = factory.SubFactory(UserFactory)
    payee = factory.Sequence(lambda n: f"文具店{n}")
    purpose = factory.Sequence(lambda n: f"购买办公用品{n}")
    amount = Decimal("100.00")
    expense_date = factory.LazyFunction(timezone.localdate)
    budget_line = factory.SubFactory(
        BudgetLineFactory, community=factory.SelfAttribute("..community")
    )
    category = factory.SelfAttribute("budget_line.category")
    payment_method = f.PaymentMethod.TRANSFER


class AllowanceStandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = f.AllowanceStandard

    street = factory.LazyAttribute(lambda o: CommunityFactory().street)
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    kind = f.AllowanceKind.TRANSPORT
    amount = Decimal("200.00")


def today() -> dt.date:
    return timezone.localdate()
