"""FIN-11 receipt-form register (票据收、缴、存, 003 十四(二)) through finance.services: numbers
within the batch (first, last, one past the end), never used twice (also under two
concurrent transactions), no gap skipped without a void, stock, hand-in, the compliance
check."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404

from core.errors import RuleViolation
from core.models import FindingStatus, Role
from finance import services
from finance.models import IncomeKind, Receipt, ReceiptBatch, ReceiptState
from finance.register_selectors import batch_rows, register_gaps
from tests.factories import CommunityFactory, user_with_role
from tests.finance.conftest import _income, make_fin
from tests.finance.factories import today
from tests.finance.test_checks import finding

D = Decimal


def receive(fin, first=1001, last=1050, series="吉社收", user=None):
    batch = ReceiptBatch(
        community=fin.community,
        series=series,
        first_no=first,
        last_no=last,
        received_on=today(),
        source="街道财政所",
    )
    return services.receipt_batch_receive(user=user or fin.accountant, instance=batch)


def issue(fin, batch, number=None, amount="50.00", **kw):
    return services.receipt_issue(
        user=kw.pop("user", fin.cashier),
        batch=batch,
        number=number,
        amount=amount,
        payer=kw.pop("payer", "张三"),
        purpose=kw.pop("purpose", "书法班学费"),
        **kw,
    )


def _messages(exc) -> str:
    return " ".join(exc.value.messages)


def stock(batch):
    row = batch_rows(user=batch.received_by).get(pk=batch.pk)
    return row.issued, row.voided, row.handed_in, row.stock


@pytest.mark.django_db
def test_fin11_first_and_last_number_of_a_batch_issued_one_past_the_end_refused(fin):
    batch = receive(fin, first=1001, last=1003)
    assert issue(fin, batch).number == 1001  # the first number, by default
    issue(fin, batch, 1002)
    assert issue(fin, batch, 1003).number == 1003  # the last number
    with pytest.raises(RuleViolation) as err:
        issue(fin, batch, 1004)
    assert err.value.rule_id == "FIN-11" and "不在本号段" in _messages(err)
    with pytest.raises(RuleViolation) as err:
        issue(fin, batch)  # nothing left
    assert "已用完" in _messages(err)
    with pytest.raises(RuleViolation):
        issue(fin, batch, 1000)  # one before the start
    assert stock(batch) == (3, 0, 0, 0)


@pytest.mark.django_db
def test_fin11_a_number_is_never_used_twice(fin):
    batch = receive(fin)
    issue(fin, batch, 1001)
    with pytest.raises(RuleViolation) as err:
        issue(fin, batch, 1001)
    assert "不得重复使用" in _messages(err)
    assert Receipt.objects.filter(batch=batch).count() == 1


@pytest.mark.django_db
def test_fin11_the_database_refuses_a_second_row_for_a_number(fin):
    batch = receive(fin)
    receipt = issue(fin, batch, 1001)
    twin = Receipt(
        community=fin.community,
        batch=batch,
        number=1001,
        state=ReceiptState.VOIDED,
        issued_on=today(),
        issued_by=fin.cashier,
        void_reason="x",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    assert Receipt.objects.get(batch=batch, number=1001) == receipt


@pytest.mark.django_db
def test_fin11_void_then_reuse_refused_and_the_void_kept(fin):
    batch = receive(fin)
    voided = services.receipt_void(user=fin.cashier, batch=batch, number=1001, reason="填写错误")
    assert voided.state == ReceiptState.VOIDED and voided.void_reason == "填写错误"
    with pytest.raises(RuleViolation) as err:
        issue(fin, batch, 1001)
    assert "已使用" in _messages(err)
    assert issue(fin, batch).number == 1002  # the next number skips the voided one
    receipt = issue(fin, batch, 1003)
    cancelled = services.receipt_void(
        user=fin.cashier, batch=batch, number=1003, reason="交款人退款"
    )
    assert cancelled.pk == receipt.pk and cancelled.state == ReceiptState.VOIDED
    assert cancelled.amount == D("50.00") and cancelled.voided_by == fin.cashier
    with pytest.raises(RuleViolation):
        issue(fin, batch, 1003)
    with pytest.raises(RuleViolation):
        services.receipt_void(user=fin.cashier, batch=batch, number=1003, reason="again")
    with pytest.raises(ValidationError):
        services.receipt_void(user=fin.cashier, batch=batch, number=1004, reason=" ")
    assert stock(batch) == (1, 2, 0, 47)


@pytest.mark.django_db
def test_fin11_no_gap_skipped_without_a_void(fin):
    batch = receive(fin)
    issue(fin, batch, 1001)
    with pytest.raises(RuleViolation) as err:
        issue(fin, batch, 1003)
    assert "之前还有 1 个号码未使用" in _messages(err)
    services.receipt_void(user=fin.cashier, batch=batch, number=1002, reason="损坏")
    assert issue(fin, batch, 1003).number == 1003
    assert register_gaps(fin.community.pk) == []


@pytest.mark.django_db
def test_fin11_hand_in_unused_numbers_and_stock(fin):
    batch = receive(fin, first=1, last=100)
    for _ in range(10):
        issue(fin, batch)
    services.receipt_void(user=fin.cashier, batch=batch, number=11, reason="污损")
    with pytest.raises(RuleViolation) as err:
        services.receipt_hand_in(
            user=fin.cashier, batch=batch, first_no=10, last_no=100, handed_to="街道财政所"
        )
    assert "只能缴销未使用的票据" in _messages(err)
    with pytest.raises(RuleViolation):
        services.receipt_hand_in(
            user=fin.cashier, batch=batch, first_no=90, last_no=101, handed_to="街道财政所"
        )
    services.receipt_hand_in(
        user=fin.cashier, batch=batch, first_no=91, last_no=100, handed_to="街道财政所"
    )
    with pytest.raises(RuleViolation):
        services.receipt_hand_in(
            user=fin.cashier, batch=batch, first_no=100, last_no=100, handed_to="街道财政所"
        )
    with pytest.raises(RuleViolation):
        issue(fin, batch, 95)
    # received 100 − issued 10 − voided 1 − handed in 10
    assert stock(batch) == (10, 1, 10, 79)


@pytest.mark.django_db
def test_fin11_overlapping_batches_refused(fin):
    receive(fin, first=1001, last=1050)
    with pytest.raises(RuleViolation) as err:
        receive(fin, first=1050, last=1100)
    assert "重叠" in _messages(err)
    receive(fin, first=1051, last=1100)
    receive(fin, first=1001, last=1050, series="吉社捐")  # another series


@pytest.mark.django_db
def test_fin11_receipt_linked_to_its_income(fin):
    batch = receive(fin)
    income = services.income_record(
        user=fin.accountant,
        instance=_income(
            fin.community,
            "300.00",
            IncomeKind.DONATION,
            today(),
            document_amount=D("300.00"),
            earmark_category="relief",
        ),
    )
    with pytest.raises(RuleViolation) as err:
        issue(fin, batch, amount="299.00", income=income)
    assert "不符" in _messages(err)
    receipt = issue(fin, batch, amount="300.00", income=income)
    assert receipt.income == income
    with pytest.raises(RuleViolation):
        issue(fin, batch, amount="300.00", income=income)
    other = make_fin(CommunityFactory(name="乙社区"))
    foreign = services.income_record(
        user=other.accountant,
        instance=_income(other.community, "20.00", IncomeKind.OTHER, today()),
    )
    with pytest.raises(ValidationError):
        issue(fin, batch, amount="20.00", income=foreign)


@pytest.mark.django_db
def test_fin11_other_communities_batches_are_missing(fin):
    batch = receive(fin)
    other = make_fin(CommunityFactory(name="乙社区"))
    with pytest.raises(Http404):
        issue(other, batch, user=other.cashier)
    with pytest.raises(Http404):
        services.receipt_void(user=other.cashier, batch=batch, number=1001, reason="x")
    with pytest.raises(Http404):
        services.receipt_batch_receive(
            user=other.accountant,
            instance=ReceiptBatch(
                community=fin.community,
                first_no=1,
                last_no=2,
                received_on=today(),
                source="街道",
            ),
        )
    with pytest.raises(PermissionDenied):
        issue(fin, batch, user=fin.worker)  # a committee member does not keep the register
    assert not Receipt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_fin11_two_concurrent_issues_of_one_number_exactly_one_succeeds():
    fin = make_fin()
    batch = receive(fin)
    second = user_with_role(Role.CASHIER, community=fin.community)
    barrier = threading.Barrier(2)
    outcomes = []

    def run(user):
        try:
            barrier.wait(timeout=10)
            issue(fin, ReceiptBatch(pk=batch.pk), 1001, user=user)
            outcomes.append("issued")
        except RuleViolation:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in (fin.cashier, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["issued", "refused"]
    assert Receipt.objects.filter(batch=batch, number=1001).count() == 1


@pytest.mark.django_db
def test_fin11_check_reports_gaps_unbooked_receipts_and_incomes_without_one(fin):
    # make_fin's income of kind OTHER needs a receipt and there is no register yet
    assert finding(fin.community, "fin11-receipts").status == FindingStatus.WARNING
    batch = receive(fin)
    income = services.income_record(
        user=fin.accountant,
        instance=_income(fin.community, "50.00", IncomeKind.OTHER, today(), source="场地"),
    )
    issue(fin, batch, income=income)
    found = finding(fin.community, "fin11-receipts")
    assert found.status == FindingStatus.OK, found.message
    # A number skipped outside the services (e.g. rows written before the register).
    Receipt.objects.create(
        community=fin.community,
        batch=batch,
        number=1005,
        state=ReceiptState.ISSUED,
        issued_on=today(),
        amount=D("1.00"),
        issued_by=fin.cashier,
    )
    found = finding(fin.community, "fin11-receipts")
    assert found.status == FindingStatus.VIOLATION and "3 个号码" in found.message
    assert "未对应入账" in found.message
    services.income_record(
        user=fin.accountant,
        instance=_income(fin.community, "80.00", IncomeKind.OTHER, today(), source="场地押金"),
    )
    found = finding(fin.community, "fin11-receipts")
    assert "未开具收据" in found.message and "80.00" in found.message


@pytest.mark.django_db
def test_fin11_receipt_check_query_count_is_fixed():
    from django.test.utils import CaptureQueriesContext

    from core.compliance import REGISTRY

    small, large = make_fin(), make_fin(CommunityFactory(name="乙社区"))
    issue(small, receive(small))
    for i in range(4):
        batch = receive(large, first=1 + i * 100, last=50 + i * 100)
        for _ in range(5):
            issue(large, batch)
        services.receipt_void(user=large.cashier, batch=batch, number=20 + i * 100, reason="x")
        services.receipt_hand_in(
            user=large.cashier,
            batch=batch,
            first_no=41 + i * 100,
            last_no=50 + i * 100,
            handed_to="街道",
        )
    counts = []
    for fin in (small, large):
        community = fin.community
        community.profile  # noqa: B018 - loaded before counting, as compliance_run does
        with CaptureQueriesContext(connection) as ctx:
            REGISTRY["fin11-receipts"].func(community, community.profile)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
