"""Pure predicates and calculations of the finance chapter, one per rule id (issue #6).

No database access: the numbers come from the community's PolicyProfile (or an object with
the same attribute names), so the same function serves the services, the checks and the
tests. Boundaries follow RULES.md: 以上/以下/以内 include the number itself, 超过/不满 exclude
it (民法典 第一千二百五十九条).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal

from finance.models.choices import (
    ApprovalStep,
    ExpenseCategory,
    IncomeKind,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Input sanity, not a seed number (issue #6 "Bad input"): claims above this need a second
# confirmation; the field holds at most 12 digits (9,999,999,999.99).
LARGE_AMOUNT = Decimal("1000000.00")
MAX_AMOUNT = Decimal("9999999999.99")


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- FIN-3 approval tiers --------------------------------------------------------------------


def required_approvals(amount: Decimal, profile) -> tuple[str, ...]:
    """FIN-3 (003 十四(四)): cumulative approval tiers by amount.

    "300元以下" director; "300-1000元" + street principal; "1000元以上" + collective review by
    the supervision group. The seed's ranges overlap at the boundaries; 以上 includes the
    number, so the stricter tier applies there: amount < street_from → director;
    street_from ≤ amount < collective_from → + street; amount ≥ collective_from → + collective.
    """
    steps = [ApprovalStep.DIRECTOR]
    if amount >= profile.approval_street_from:
        steps.append(ApprovalStep.STREET)
    if amount >= profile.approval_collective_from:
        steps.append(ApprovalStep.COLLECTIVE)
    return tuple(steps)


def tier_params(profile) -> dict[str, str]:
    """The profile values a claim's steps were computed with (kept on the claim)."""
    return {
        "approval_street_from": str(profile.approval_street_from),
        "approval_collective_from": str(profile.approval_collective_from),
        "cash_limit": str(profile.cash_limit),
    }


# --- FIN-4 no cash from the limit ------------------------------------------------------------


def needs_transfer(amount: Decimal, profile) -> bool:
    """FIN-4 (003 十四(二) "金额在一千元以上的支出不得使用现金，应实行转帐结算"): from the
    profile's cash limit (included) a payment goes by bank transfer."""
    return amount >= profile.cash_limit


# --- amounts ---------------------------------------------------------------------------------


def amount_problem(amount) -> str | None:
    """Why an amount typed in is not money we accept (None when it is): a code the services
    turn into a Chinese message. Positive, at most two decimals, within the field."""
    if amount is None:
        return "missing"
    amount = Decimal(amount)
    if not amount.is_finite():
        return "invalid"
    if amount <= 0:
        return "not_positive"
    if amount != amount.quantize(CENT):
        return "decimals"
    if amount > MAX_AMOUNT:
        return "too_large"
    return None


def needs_large_confirmation(amount: Decimal) -> bool:
    """Issue #6: amounts above 1,000,000 need a second confirmation (超过: not at 1,000,000)."""
    return amount > LARGE_AMOUNT


# --- FIN-1 funding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Funding:
    total: Decimal
    city: Decimal
    street: Decimal


def yearly_funding(households: int, profile) -> Funding:
    """FIN-1: the yearly working fund of a community.

    Per community (002 四(二)): the profile's amount. Per 1,000 households (001 第三十一条
    "每千户每年不低于2万元"): prorated, amount × H / 1,000, rounded up to the cent so the
    allocation is never below the minimum. The city pays funding_city_share_pct (002: half),
    the street the rest."""
    from core.models import FundingBasis

    if profile.funding_basis == FundingBasis.PER_COMMUNITY:
        total = cents(profile.funding_amount)
    else:
        raw = Decimal(profile.funding_amount) * Decimal(households) / Decimal(1000)
        total = raw.quantize(CENT, rounding=ROUND_UP)
    city = cents(total * Decimal(profile.funding_city_share_pct) / Decimal(100))
    return Funding(total=total, city=city, street=total - city)


def funding_shortfall(received: Decimal, households: int, profile) -> Decimal:
    """FIN-1: how much of the year's minimum working fund has not been received (≥ 0)."""
    return max(ZERO, yearly_funding(households, profile).total - received)


# --- FIN-3 split claims ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimFact:
    """What split detection reads of a claim."""

    pk: int
    claimant_id: int
    payee: str
    purpose: str
    amount: Decimal
    date: dt.date


@dataclass(frozen=True)
class SplitGroup:
    key: str  # "claimant" or "payee"
    who: str
    purpose: str
    claim_ids: tuple[int, ...]
    total: Decimal
    steps: tuple[str, ...]  # what the sum would have needed


def _norm(text: str) -> str:
    return "".join(text.split()).lower()


def split_groups(claims: Iterable[ClaimFact], profile) -> list[SplitGroup]:
    """FIN-3 split detection (拆单规避审批): claims by the same claimant, or to the same payee,
    for the same purpose, dated within profile.split_window_days of each other (以内: the
    window's last day included), whose sum needs more approval steps than any of them did.
    A finding for the street, never a block. Groups are maximal: a group contained in
    another is not reported twice."""
    window = dt.timedelta(days=profile.split_window_days)
    buckets: dict[tuple[str, str, str], list[ClaimFact]] = {}
    for claim in claims:
        purpose = _norm(claim.purpose)
        buckets.setdefault(("claimant", str(claim.claimant_id), purpose), []).append(claim)
        if claim.payee.strip():
            buckets.setdefault(("payee", _norm(claim.payee), purpose), []).append(claim)
    found: dict[frozenset[int], SplitGroup] = {}
    for (key, who, _purpose), items in buckets.items():
        if len(items) < 2:
            continue
        items.sort(key=lambda c: (c.date, c.pk))
        start = 0
        for end in range(len(items)):
            while items[end].date - items[start].date > window:
                start += 1
            members = items[start : end + 1]
            if len(members) < 2:
                continue
            total = sum((c.amount for c in members), ZERO)
            steps = required_approvals(total, profile)
            most = max(len(required_approvals(c.amount, profile)) for c in members)
            if len(steps) > most:
                ids = frozenset(c.pk for c in members)
                found[ids] = SplitGroup(
                    key=key,
                    who=members[0].payee if key == "payee" else who,
                    purpose=members[0].purpose,
                    claim_ids=tuple(c.pk for c in members),
                    total=total,
                    steps=steps,
                )
    maximal = [g for ids, g in found.items() if not any(ids < other for other in found)]
    return sorted(maximal, key=lambda g: (g.claim_ids, g.key))


# --- FIN-6 budget ----------------------------------------------------------------------------


def over_budget(budgeted: Decimal, spent: Decimal) -> bool:
    """FIN-6 (003 十四(四) 严格按照财务预算执行): spending above its budget line."""
    return spent > budgeted


def variance_pct(budgeted: Decimal, actual: Decimal) -> Decimal | None:
    """(actual − budget) / budget in percent, None for a zero budget."""
    if not budgeted:
        return None
    return cents((actual - budgeted) * Decimal(100) / budgeted)


def variance_needs_explanation(budgeted: Decimal, actual: Decimal, profile) -> bool:
    """FIN-6 (003 十四(六) 决算并对执行情况进行认真分析): a line whose actual differs from its
    budget by more than (超过) profile.budget_variance_explain_pct percent needs a written
    explanation; any spending on a zero line does too."""
    if not budgeted:
        return actual > 0
    # Exact comparison (no rounding of the percentage): |actual − budget| × 100 > pct × budget.
    return abs(actual - budgeted) * 100 > profile.budget_variance_explain_pct * budgeted


# --- FIN-5 earmarks, FIN-8 service fees, FIN-10 fund-raising -----------------------------------


def earmark_allows(earmark_category: str, category: str) -> bool:
    """FIN-5 (003 十四(三) 专款专用): an earmarked fund pays only for its purpose."""
    return not earmark_category or earmark_category == category


def earmark_remaining(received: Decimal, committed: Decimal) -> Decimal:
    return received - committed


def service_fee_use_allowed(category: str) -> bool:
    """FIN-8 (003 十八(五) 必须用于社区建设，不得为社区工作人员搞福利)."""
    return category != ExpenseCategory.STAFF_WELFARE


def needs_resolution(kind: str) -> bool:
    """FIN-8 (paid services, 003 十八(五)) and FIN-10 (fund-raising, 001 第三十二条): an
    assembly resolution is required."""
    return kind in (IncomeKind.SERVICE_FEE, IncomeKind.FUND_RAISING)


def needs_earmark(kind: str) -> bool:
    """FIN-5 (003 十四(三)): subsidies and donations are spent only on their purpose."""
    return kind in (IncomeKind.SUBSIDY, IncomeKind.DONATION)


def recorded_in_full(amount: Decimal, document_amount: Decimal | None) -> bool:
    """FIN-5 全额入账: the amount booked equals the amount on the remittance document."""
    return document_amount is None or amount == document_amount


def needs_receipt(kind: str) -> bool:
    """FIN-11 (003 十四(二) 票据收、缴、存): money the community collects itself — donations,
    service fees, fund-raising, other income — is receipted on the community's own forms;
    the working fund and subsidies arrive with the government's remittance documents."""
    return kind in (
        IncomeKind.DONATION,
        IncomeKind.SERVICE_FEE,
        IncomeKind.FUND_RAISING,
        IncomeKind.OTHER,
    )


def receipt_numbers_skipped(first_no: int, number: int, accounted_below: int) -> int:
    """FIN-11: how many numbers of a batch before `number` are neither used (issued or
    voided) nor handed in; a receipt is issued only when this is 0 (no gap skipped)."""
    return (number - first_no) - accounted_below


def receipt_stock(size: int, issued: int, voided: int, handed_in: int) -> int:
    """FIN-11 存: forms on hand = received − issued − voided − handed in."""
    return size - issued - voided - handed_in


def preferential_rate_allowed(fee: Decimal, standard: Decimal) -> bool:
    """FIN-8 (003 十八(四) 对弱势人群给予优惠照顾): a group's rate is at most the standard."""
    return fee <= standard


def in_kind_value(value: Decimal, quantity: Decimal, taken: Decimal) -> Decimal:
    """FIN-5: the value of `taken` of a donation of `quantity` estimated at `value`, pro rata
    to the cent (the service gives the last distribution the rest of the value, so the
    distributions add up to the estimate exactly)."""
    return cents(Decimal(value) * Decimal(taken) / Decimal(quantity))


# --- FIN-9 allowances ------------------------------------------------------------------------


def allowance_cap(standard: Decimal, units: int) -> Decimal:
    return cents(Decimal(standard) * units)


def allowance_within_standard(amount: Decimal, standard: Decimal, units: int) -> bool:
    """FIN-9 (003 十四(五) 不得擅自提高标准): at most the street's standard × persons·months."""
    return amount <= allowance_cap(standard, units)


# --- FIN-7 statements, FIN-11 books ----------------------------------------------------------


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, 3 * (quarter - 1) + 1, 1)
    last = (
        dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    ) - dt.timedelta(days=1)
    return first, last


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def last_ended_quarter(today: dt.date) -> tuple[int, int]:
    year, quarter = quarter_of(today)
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def stamp_precedes_publication(stamped_on: dt.date | None, published_on: dt.date) -> bool:
    """FIN-7 (003 十四(七) 上墙公布前必须进行审核签章): stamped on or before the posting day."""
    return stamped_on is not None and stamped_on <= published_on


def statement_diff(old: dict, new: dict, prefix: str = "") -> dict[str, list]:
    """What changed between two statements' totals: {"expense.office": [old, new], ...}."""
    diff: dict[str, list] = {}
    for key in sorted(set(old) | set(new)):
        path = f"{prefix}{key}"
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            diff.update(statement_diff(a or {}, b or {}, prefix=f"{path}."))
        elif a != b:
            diff[path] = [a, b]
    return diff


def month_first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    nxt = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def reconciliation_differences(
    book_cash: Decimal, counted_cash: Decimal, book_bank: Decimal, bank_statement: Decimal
) -> tuple[Decimal, Decimal]:
    """FIN-11 (003 十四(二) 帐款相符): cash counted − cash book, statement − bank book."""
    return counted_cash - book_cash, bank_statement - book_bank


# --- attachments -----------------------------------------------------------------------------

_SIGNATURES: Sequence[tuple[bytes, str]] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
_EXTENSION_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
}


def sniff_attachment(name: str, head: bytes) -> str | None:
    """The content type of an invoice file when its name and its first bytes agree on JPEG,
    PNG or PDF; None otherwise (a renamed .exe is refused, so is a PNG called .pdf)."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = _EXTENSION_TYPES.get(ext)
    if expected is None:
        return None
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type if content_type == expected else None
    return None
