"""Reads of the receipt-form register (FIN-11), in-kind donations (FIN-5) and paid services
(FIN-8), always through core.scoping.scoped; lists run a fixed number of queries (counts and
sums are subqueries)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.scoping import scoped
from finance import rules
from finance.models import (
    Income,
    IncomeKind,
    InKindDistribution,
    InKindDonation,
    PaidService,
    PaidServiceRate,
    Receipt,
    ReceiptBatch,
    ReceiptHandIn,
    ReceiptState,
)
from finance.selectors import MONEY

ZERO = Decimal("0.00")


def _count(state: str):
    rows = (
        Receipt.objects.filter(batch=OuterRef("pk"), state=state)
        .values("batch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _handed():
    rows = (
        ReceiptHandIn.objects.filter(batch=OuterRef("pk"))
        .values("batch")
        .annotate(n=Sum(F("last_no") - F("first_no") + 1))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def batch_rows(*, user):
    """Batches the user may see with issued, voided, handed-in and stock counts (one
    query): stock = received − issued − voided − handed in (FIN-11 存)."""
    return (
        scoped(ReceiptBatch.objects.select_related("community", "received_by"), user)
        .annotate(issued=_count(ReceiptState.ISSUED), voided=_count(ReceiptState.VOIDED))
        .annotate(handed_in=_handed())
        .annotate(
            stock=F("last_no") - F("first_no") + 1 - F("issued") - F("voided") - F("handed_in")
        )
        .order_by("community__name", "series", "first_no")
    )


def batch_get(*, user, pk) -> ReceiptBatch:
    return get_object_or_404(batch_rows(user=user), pk=pk)


@dataclass(frozen=True)
class RegisterLine:
    """One number of a batch in the register: its receipt, its hand-in, or in stock."""

    number: int
    label: str
    state: str  # issued / voided / handed_in / stock
    receipt: Receipt | None = None
    hand_in: ReceiptHandIn | None = None

    @property
    def state_label(self) -> str:
        return {
            ReceiptState.ISSUED: _("已开具"),
            ReceiptState.VOIDED: _("已作废"),
            "handed_in": _("已缴销"),
            "stock": _("库存"),
        }[self.state]


def register_lines(batch: ReceiptBatch) -> list[RegisterLine]:
    """Every number of a batch with what happened to it (two queries)."""
    receipts = {
        r.number: r
        for r in Receipt.objects.filter(batch=batch).select_related(
            "income", "issued_by", "voided_by"
        )
    }
    hand_ins = list(ReceiptHandIn.objects.filter(batch=batch).select_related("handed_by"))
    lines = []
    for number in range(batch.first_no, batch.last_no + 1):
        receipt = receipts.get(number)
        hand_in = next((h for h in hand_ins if h.first_no <= number <= h.last_no), None)
        if receipt is not None:
            state = receipt.state
        elif hand_in is not None:
            state = "handed_in"
        else:
            state = "stock"
        lines.append(RegisterLine(number, batch.label(number), state, receipt, hand_in))
    return lines


def receipt_rows(*, user):
    return scoped(
        Receipt.objects.select_related("community", "batch", "income", "issued_by"), user
    ).order_by("batch_id", "number")


def incomes_without_receipt(community_id: int, since: dt.date | None = None):
    """FIN-11: incomes of a kind the community receipts itself (rules.needs_receipt) with no
    issued receipt, received on or after `since` (the register's start)."""
    kinds = [k for k in IncomeKind.values if rules.needs_receipt(k)]
    qs = Income.objects.filter(community_id=community_id, kind__in=kinds).exclude(
        receipts__state=ReceiptState.ISSUED
    )
    if since is not None:
        qs = qs.filter(received_on__gte=since)
    return qs.order_by("received_on", "pk")


def register_gaps(community_id: int) -> list[tuple[ReceiptBatch, int]]:
    """FIN-11: per batch, how many numbers below its highest issued receipt are neither
    used (issued or voided) nor handed in: numbers skipped, unaccounted for. (A form voided
    ahead of the issued ones is accounted for.) Two queries."""
    used_below = (
        Receipt.objects.filter(batch=OuterRef("pk"), number__lt=OuterRef("top"))
        .values("batch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    batches = {
        b.pk: b
        for b in ReceiptBatch.objects.filter(community_id=community_id)
        .select_related("community")
        .annotate(
            top=Subquery(
                Receipt.objects.filter(batch=OuterRef("pk"), state=ReceiptState.ISSUED)
                .order_by("-number")
                .values("number")[:1]
            )
        )
        .annotate(used=Coalesce(Subquery(used_below, output_field=IntegerField()), Value(0)))
    }
    hand_ins = ReceiptHandIn.objects.filter(community_id=community_id).values_list(
        "batch_id", "first_no", "last_no"
    )
    handed: dict[int, int] = {}
    for batch_id, first, last in hand_ins:
        top = batches[batch_id].top
        if top is not None and first < top:
            handed[batch_id] = handed.get(batch_id, 0) + min(last, top - 1) - first + 1
    gaps = []
    for batch in batches.values():
        if batch.top is None:
            continue
        missing = rules.receipt_numbers_skipped(
            batch.first_no, batch.top, batch.used + handed.get(batch.pk, 0)
        )
        if missing > 0:
            gaps.append((batch, missing))
    return gaps


# --- FIN-5 in-kind donations -----------------------------------------------------------------


def in_kind_rows(*, user):
    """Donations with what was distributed (quantity and value) and what is left."""
    done = InKindDistribution.objects.filter(donation=OuterRef("pk")).values("donation")
    return (
        scoped(InKindDonation.objects.select_related("community", "recorded_by"), user)
        .annotate(
            distributed_quantity=Coalesce(
                Subquery(done.annotate(t=Sum("quantity")).values("t"), output_field=MONEY),
                Value(ZERO),
            ),
            distributed_value=Coalesce(
                Subquery(done.annotate(t=Sum("value")).values("t"), output_field=MONEY),
                Value(ZERO),
            ),
        )
        .annotate(remaining_quantity=F("quantity") - F("distributed_quantity"))
        .order_by("-received_on", "-pk")
    )


def in_kind_get(*, user, pk) -> InKindDonation:
    return get_object_or_404(
        in_kind_rows(user=user).prefetch_related(
            Prefetch(
                "distributions",
                InKindDistribution.objects.select_related("recorded_by").order_by(
                    "distributed_on", "pk"
                ),
            )
        ),
        pk=pk,
    )


def in_kind_earmarked(community_id: int, upto: dt.date) -> dict[str, dict[str, Decimal]]:
    """FIN-5 for the statement: per earmark, the estimated value of goods received and
    distributed up to `upto`, and what is left (two queries)."""
    out: dict[str, dict[str, Decimal]] = {}
    for category, total in (
        InKindDonation.objects.filter(community_id=community_id, received_on__lte=upto)
        .values_list("earmark_category")
        .annotate(t=Sum("estimated_value"))
        .order_by("earmark_category")
    ):
        out.setdefault(category, {"received": ZERO, "distributed": ZERO})["received"] += total
    for category, total in (
        InKindDistribution.objects.filter(community_id=community_id, distributed_on__lte=upto)
        .values_list("donation__earmark_category")
        .annotate(t=Sum("value"))
        .order_by("donation__earmark_category")
    ):
        out.setdefault(category, {"received": ZERO, "distributed": ZERO})["distributed"] += total
    for item in out.values():
        item["remaining"] = item["received"] - item["distributed"]
    return out


# --- FIN-8 paid services ---------------------------------------------------------------------


def paid_service_rows(*, user):
    return scoped(
        PaidService.objects.select_related("community", "facility").prefetch_related(
            Prefetch("rates", PaidServiceRate.objects.select_related("group").order_by("fee", "pk"))
        ),
        user,
    ).order_by("community__name", "-starts_on", "name")


def paid_service_disclosure(community_id: int, first: dt.date, last: dt.date) -> list[dict]:
    """FIN-8 (003 十八(五) 定期向居民公开收支使用情况): the community's paid courses and
    activities running in [first, last] with their resolution, standard fee, preferential
    rates and the fees collected in the period, as disclosure tables ({"title", "columns",
    "rows"}, the shape of affairs_disclosure's DisclosureItem.tables). Two queries."""
    fees = (
        Income.objects.filter(
            paid_service=OuterRef("pk"), received_on__gte=first, received_on__lte=last
        )
        .values("paid_service")
        .annotate(t=Sum("amount"))
        .values("t")
    )
    services = (
        PaidService.objects.filter(community_id=community_id, starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .annotate(collected=Coalesce(Subquery(fees, output_field=MONEY), Value(ZERO)))
        .prefetch_related(
            Prefetch("rates", PaidServiceRate.objects.select_related("group").order_by("fee", "pk"))
        )
        .order_by("starts_on", "name", "pk")
    )
    rows, total = [], ZERO
    for service in services:
        rates = "；".join(f"{r.group.name} {r.fee}" for r in service.rates.all()) or "—"
        rows.append(
            [
                service.name,
                service.get_kind_display(),
                service.resolution_ref,
                f"{service.standard_fee}/{service.fee_unit}",
                rates,
                str(service.collected),
                service.get_use_of_fees_display(),
            ]
        )
        total += service.collected
    if not rows:
        return []
    rows.append([_("合计"), "", "", "", "", str(total), ""])
    columns = [
        _("项目"),
        _("类型"),
        _("居民代表会议决议"),
        _("收费标准（元）"),
        _("弱势群体优惠（元）"),
        _("本期收费（元）"),
        _("收费用途"),
    ]
    title = _("有偿服务收费情况（%(first)s 至 %(last)s）") % {"first": first, "last": last}
    return [{"title": title, "columns": columns, "rows": rows}]
