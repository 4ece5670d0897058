"""Finance of the demo street (called by core.demo after the payrolls): this year's community
bookkeeping up to the demo's `today`, everything invented.

For every community: the street-managed account (FIN-1/FIN-2) and this year's working fund
computed from the profile (FIN-1), booked as the city's and the street's income; this
year's budget drafted by the community and approved by the street principal, one line per
category (FIN-6); a subsidy and a donation, each recorded in full with its earmark (FIN-5);
15–24 expense claims over the months, each with its invoice, through the FIN-3 tiers
(director; + street principal from 300 yuan; + the supervision committee's collective review
from 1,000), paid by the cashier, in cash below 1,000 and by transfer from it (FIN-4), some
spent from the earmarked funds, allowances at the street's FIN-9 standards; the month ends
reconciled and reviewed by the street supervision committee (FIN-11/FIN-7); last quarter's
statement generated from the journals, stamped by the supervision committee and published
(FIN-7). 锦湖 also took a course fee decided by its representatives' assembly (FIN-8).

Everything goes through finance.services, as the user whose job it is, so the rules apply
and the audit trail exists; the services run with the clock set to the day (and hour) each
step happened (`_Timeline`), so submission, approval, reconciliation and stamping times read
like a year of bookkeeping and the services' own "not in the future" checks hold.

Who acts: the street's logins (street_admin registers accounts and funds, street_social_chief
the FIN-9 allowance standards, street_principal approves budgets and the street step,
street_supervisor records the collective review, reviews reconciliations and stamps); in
锦湖 and 澜苑 their community logins (cN_accountant keeps the books, cN_cashier pays, cN_director
approves, cN_secretary publishes; the others file claims). 桐荫, 松涛, 青枫 and 晓光 have no
community logins: the superuser `admin` keeps their books and takes the director's step.
Two logins are added because the services require them: one claimant per community without
logins (cN_member, named after the committee's first member: nobody approves their own
claim), and two more supervision committee members (street_supervisor2/3: a collective
review needs at least two members present). They share the demo password.

Waiting today, so the inboxes have something: claims waiting for c1_director (锦湖) and the
other directors (admin), for street_principal (锦湖, 澜苑, 桐荫, 青枫), for the supervision
committee's collective review (澜苑); one approved claim waiting for c1_cashier; one draft of
c1_member. One claim per community is rejected (by the director; in 青枫 by the street).

Most rules pass; deliberately out of line, so the compliance report has something to show:

    澜苑 FIN-3  three claims of under 300 yuan by one member, to one repair shop, for the same
                air-conditioner repair within two weeks: together they needed the street's
                signature (split claims)
    松涛 FIN-11 last month's bank statement is 12.50 yuan above the bank journal (cause to be
                found, probably interest not yet booked): a reconciliation difference
"""

import datetime as dt
import random
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from finance import rules, services
from finance.models import (
    Account,
    AllowanceKind,
    AllowanceStandard,
    ApprovalStep,
    AttachmentKind,
    Book,
    Budget,
    Decision,
    ExpenseCategory,
    ExpenseClaim,
    Income,
    IncomeKind,
    InKindDonation,
    PaidService,
    PaidServiceKind,
    PaymentMethod,
    ReceiptBatch,
)
from finance.selectors import book_balances

SEED = 20260606
# The deliberate findings above, by community key (tests/core/test_demo.py reads them).
FINDINGS = {"c2": ("FIN-3", "fin3-split-claims"), "c4": ("FIN-11", "fin11-reconciliation")}
SPLIT = ("活动室空调维修配件", "长春冰峰制冷设备维修部", ("288.00", "276.00", "295.00"))
INTEREST = Decimal("12.50")

PDF = b"%PDF-1.4\n% demo\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
CAT = ExpenseCategory
# (category, purpose, payees, low, high): what a community spends money on, by FIN-3 tier.
SMALL = (
    (CAT.OFFICE, "打印纸、签字笔等办公用品", ("锦澜文具商店", "博文办公用品店"), 60, 290),
    (CAT.OFFICE, "居民档案复印装订", ("朝阳区快印图文社",), 50, 240),
    (CAT.SERVICE, "便民服务大厅桶装饮用水", ("泉润桶装水配送站",), 90, 260),
    (CAT.ACTIVITY, "文体活动横幅及茶歇", ("朝阳区美艺广告部", "锦澜便利超市"), 100, 290),
    (CAT.CONSTRUCTION, "楼道声控灯更换", ("锦澜五金电料行",), 60, 280),
    (CAT.RELIEF, "空巢老人走访慰问品", ("锦澜便利超市",), 120, 290),
)
MIDDLE = (
    (CAT.OFFICE, "打印机硒鼓更换及维修", ("长春启航办公设备维修部",), 320, 880),
    (CAT.ACTIVITY, "文艺汇演服装租赁", ("长春霓裳演出服装租赁店",), 400, 950),
    (CAT.CONSTRUCTION, "活动室门锁及窗户维修", ("锦澜五金电料行",), 350, 980),
    (CAT.SERVICE, "养老服务站理疗耗材", ("长春康宁医疗器械经销部",), 300, 900),
    (CAT.RELIEF, "困难家庭节日慰问品", ("锦澜便利超市", "长春欧亚超市朝阳店"), 400, 990),
    (CAT.ALLOWANCE, "网格巡查人员交通补贴", (), 0, 0),  # FIN-9: standard × persons
)
LARGE = (
    (CAT.CONSTRUCTION, "老旧楼道粉刷及扶手维修", ("长春恒久建筑装饰工程有限公司",), 2000, 8000),
    (CAT.SERVICE, "居家养老助餐点设备购置", ("长春市厨达商用厨具店",), 1500, 5000),
    (CAT.ACTIVITY, "“邻里节”活动物资及场地布置", ("朝阳区美艺广告部",), 1200, 3000),
    (CAT.ALLOWANCE, "社区工作人员通讯补贴", (), 0, 0),  # FIN-9: standard × persons × 3
)
BUDGET_LINES = {  # one line per category (FIN-6)
    CAT.OFFICE: "办公用品及印刷",
    CAT.ACTIVITY: "社区文体活动",
    CAT.SERVICE: "居家养老及便民服务",
    CAT.RELIEF: "困难群众救助慰问",
    CAT.CONSTRUCTION: "楼院设施维修",
    CAT.ALLOWANCE: "工作人员交通、通讯补贴",
    CAT.OTHER: "不可预见支出",
}
STANDARDS = {  # FIN-9, set by the street: yuan per person and month
    AllowanceKind.TRANSPORT: Decimal("200.00"),
    AllowanceKind.COMMUNICATION: Decimal("100.00"),
}
DONORS = ("长春禾序物业服务有限公司", "吉林锦程商贸有限公司", "长春朗境物业服务有限公司")
BANKS = ("中国农业银行长春朝阳支行", "吉林银行长春锦澜支行")
REJECTIONS = {
    ApprovalStep.DIRECTOR: "发票抬头与社区名称不符，请重新开具后再报",
    ApprovalStep.STREET: "该项支出未附询价记录，请补充三家比价后重新申报",
}


@dataclass
class _Claim:
    day: dt.date
    category: str
    purpose: str
    payee: str
    amount: Decimal
    method: str
    claimant: object
    # paid | approved | submitted | street | collective | rejected | rejected_street | draft
    fate: str = "paid"
    fund: str = ""  # "subsidy" | "donation": spent from the earmarked income
    allowance: str = ""  # AllowanceKind
    units: int = 1
    obj: ExpenseClaim | None = None


@dataclass
class _Cast:
    """Who does what in one community."""

    community: object
    key: str
    claimants: list
    director: object
    cashier: object
    accountant: object
    publisher: object
    incomes: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)
    budget: Budget | None = None
    receipts: ReceiptBatch | None = None
    paid_service: PaidService | None = None


class _Timeline:
    """Steps to run in time order, each with the clock at its moment (never after `limit`)."""

    def __init__(self, limit: dt.datetime):
        self.limit = limit
        self.steps: list[tuple[dt.datetime, int, Callable]] = []

    def at(self, day: dt.date, hour: int, minute: int, step: Callable) -> None:
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
        self.steps.append((min(moment, self.limit), len(self.steps), step))

    def run(self) -> None:
        for moment, _n, step in sorted(self.steps, key=lambda s: s[:2]):
            with _clock(moment):
                step()


@contextmanager
def _clock(moment: dt.datetime):
    """django.utils.timezone.now() (and so localdate()) answers `moment` meanwhile."""
    original = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = original


def _money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _round_up(value: Decimal, step: int) -> Decimal:
    return (value / step).quantize(Decimal("1"), rounding=ROUND_UP) * step


def _between(rng, lo: dt.date, hi: dt.date) -> dt.date:
    return lo if hi <= lo else lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def _invoice(name="发票.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def build_finance(street, today: dt.date, users: dict) -> dict[str, int]:
    """Add the demo street's finance through finance.services. `users`: the demo logins by
    username (the street's, c1_*/c2_* and `admin`). Returns row counts."""
    from communities.models import Community
    from core.demo import COMMUNITIES

    rng = random.Random(SEED)
    limit = min(timezone.now(), timezone.make_aware(dt.datetime.combine(today, dt.time(23, 59))))
    timeline = _Timeline(limit)
    by_name = {c.name: c for c in Community.objects.filter(street=street).select_related("profile")}
    supervisors = _supervisors(street, users)
    casts = [_cast(spec.key, by_name[spec.name], users) for spec in COMMUNITIES]
    year = today.year
    standards: dict[str, AllowanceStandard] = {}

    def set_standards():
        for kind, amount in STANDARDS.items():
            standards[kind] = services.allowance_standard_save(
                user=users["street_social_chief"],
                instance=AllowanceStandard(
                    street=street,
                    year=year,
                    kind=kind,
                    amount=amount,
                    source=f"锦街发〔{year}〕3号 关于社区工作人员补贴标准的通知",
                ),
            )

    # The year opens before the first claim (08:30–09:30; claims are filed from 10:00).
    timeline.at(min(dt.date(year, 1, 3), today), 8, 30, set_standards)
    for n, cast in enumerate(casts):
        _community(rng, timeline, cast, n, today, users, supervisors, standards)
    timeline.run()
    return {
        "claims": ExpenseClaim.objects.filter(community__street=street).count(),
        "incomes": Income.objects.filter(community__street=street).count(),
    }


def _supervisors(street, users) -> list:
    """street_supervisor and two more members of the supervision committee (a collective
    review needs two present), with the demo password (the same hash, no new hashing)."""
    from communities.models import Membership
    from core.demo import person_name
    from core.models import Role
    from core.services import role_assign

    User = get_user_model()
    first = users["street_supervisor"]
    taken = {f"{u.last_name}{u.first_name}" for u in users.values()}
    taken |= set(Membership.objects.values_list("person_name", flat=True))
    members, n = [first], 400
    for i in (2, 3):
        while "".join(person_name(n)) in taken:
            n += 1
        surname, given = person_name(n)
        taken.add(surname + given)
        user = User.objects.create(
            username=f"street_supervisor{i}",
            last_name=surname,
            first_name=given,
            password=first.password,
        )
        role_assign(by=None, user=user, role=Role.SUPERVISION_MEMBER, street=street)
        members.append(user)
    return members


def _cast(key: str, community, users) -> _Cast:
    if f"{key}_director" in users:
        return _Cast(
            community=community,
            key=key,
            claimants=[
                users[f"{key}_{who}"]
                for who in ("secretary", "deputy", "member", "accountant", "clerk", "grid")
            ],
            director=users[f"{key}_director"],
            cashier=users[f"{key}_cashier"],
            accountant=users[f"{key}_accountant"],
            publisher=users[f"{key}_secretary"],
        )
    admin = users["admin"]
    return _Cast(community, key, [_claimant(key, community, users)], admin, admin, admin, admin)


def _claimant(key: str, community, users):
    """The login of the committee's first member, who files the community's claims."""
    from communities.models import Membership, OrgKind, Position
    from core.models import Role
    from core.services import role_assign

    seat = (
        Membership.objects.filter(
            community=community, organisation__kind=OrgKind.COMMITTEE, position=Position.MEMBER
        )
        .order_by("pk")
        .first()
    )
    user = get_user_model().objects.create(
        username=f"{key}_member",
        last_name=seat.person_name[0],
        first_name=seat.person_name[1:],
        password=users["street_supervisor"].password,
    )
    role_assign(by=None, user=user, role=Role.MEMBER, community=community)
    return user


# --- one community ------------------------------------------------------------------------


def _community(rng, timeline, cast, n, today, users, supervisors, standards) -> None:
    c, year = cast.community, today.year

    def day(month, d):
        return min(dt.date(year, month, d), today)

    funding = rules.yearly_funding(c.households, c.profile).total
    subsidy = Decimal(rng.randrange(80, 160) * 100)
    donation = Decimal(rng.randrange(30, 80) * 100)
    subsidy_day, donation_day = day(3, 16), day(5, 20)
    claims = _plan(rng, cast, today, subsidy, donation, subsidy_day, donation_day)

    # The account and the working fund (the street), the budget (community, then street).
    def account():
        services.account_save(
            user=users["street_admin"],
            instance=Account(
                community=c,
                bank_name=BANKS[n % len(BANKS)],
                account_name=f"{c.name}居民委员会",
                account_no=f"07240101040{(n + 1) * 7919:07d}",
                opened_on=c.founded_on,
                managed_by="锦澜街道财政所",
            ),
        )

    def budget():
        planned: dict[str, Decimal] = {}
        for claim in claims:
            planned[claim.category] = planned.get(claim.category, Decimal(0)) + claim.amount
        lines = [
            {
                "category": category,
                "name": name,
                "amount": _round_up(planned.get(category, Decimal(0)) * Decimal("1.3"), 1000)
                + 1000,
            }
            for category, name in BUDGET_LINES.items()
            if category != CAT.OTHER
        ]
        rest = funding + subsidy + donation - sum(line["amount"] for line in lines)
        lines.append(
            {"category": CAT.OTHER, "name": BUDGET_LINES[CAT.OTHER], "amount": max(rest, 2000)}
        )
        cast.budget = services.budget_save(
            user=cast.accountant,
            instance=Budget(
                community=c,
                year=year,
                note="按上年度支出情况和本年度工作计划编制，经居民代表会议讨论通过。",
            ),
            lines=lines,
        )

    def approve_budget():
        services.budget_approve(user=users["street_principal"], budget=cast.budget)

    def allocate():
        services.funding_allocate(user=users["street_admin"], community=c, year=year)

    def income(kind, amount, source, earmark, purpose, doc_no, resolution=""):
        def record():
            cast.incomes[kind] = services.income_record(
                user=cast.accountant,
                instance=Income(
                    community=c,
                    kind=kind,
                    amount=amount,
                    document_amount=amount if rules.needs_earmark(kind) else None,
                    received_on=timezone.localdate(),
                    method=PaymentMethod.TRANSFER,
                    source=source,
                    document_no=doc_no,
                    earmark_category=earmark,
                    earmark_purpose=purpose,
                    resolution_ref=resolution,
                    paid_service=cast.paid_service if kind == IncomeKind.SERVICE_FEE else None,
                ),
            )
            if rules.needs_receipt(kind):  # FIN-11: the community's own receipt, linked
                services.receipt_issue(
                    user=cast.cashier,
                    batch=cast.receipts,
                    amount=amount,
                    payer=source,
                    purpose=purpose,
                    income=cast.incomes[kind],
                )

        return record

    def receive_receipts():  # FIN-11 票据收: a book of 50 receipt forms from the street
        cast.receipts = services.receipt_batch_receive(
            user=cast.cashier,
            instance=ReceiptBatch(
                community=c,
                series="锦社收",
                first_no=n * 1000 + 1,
                last_no=n * 1000 + 50,
                received_on=timezone.localdate(),
                source="锦澜街道财政所",
            ),
        )

    timeline.at(day(1, 4), 8, 45, budget)
    timeline.at(day(1, 5), 9, 0, account)
    timeline.at(day(1, 6), 9, 15, approve_budget)
    timeline.at(day(1, 8), 9, 30, allocate)
    timeline.at(day(1, 8), 10, 30, receive_receipts)
    timeline.at(
        subsidy_day,
        10,
        0,
        income(
            IncomeKind.SUBSIDY,
            subsidy,
            "朝阳区民政局",
            CAT.SERVICE,
            "居家养老服务站运营补助",
            f"朝民拨〔{year}〕{11 + n}号",
        ),
    )
    timeline.at(
        donation_day,
        15,
        0,
        income(
            IncomeKind.DONATION,
            donation,
            DONORS[n % len(DONORS)],
            CAT.RELIEF,
            "困难群众帮扶慰问",
            f"JZ{year}{n + 1:02d}0{rng.randint(10, 99)}",
        ),
    )
    if cast.key == "c1":  # FIN-8: a paid course decided by the representatives' assembly
        timeline.at(day(4, 10), 9, 0, _paid_course(cast, year))
        timeline.at(day(6, 12), 9, 30, _in_kind(cast))
        timeline.at(
            day(4, 20),
            11,
            0,
            income(
                IncomeKind.SERVICE_FEE,
                Decimal("1800.00"),
                "老年书画班学员（低保、残疾人家庭免收）",
                CAT.CONSTRUCTION,
                "用于活动室设施维护",
                f"SF{year}0420",
                resolution=f"{c.name.removesuffix('社区')}居代会〔{year}〕2号",
            ),
        )

    for i, claim in enumerate(claims):
        _schedule_claim(timeline, cast, claim, i, users, supervisors, standards)
    _schedule_books(timeline, cast, today, users, supervisors)


def _paid_course(cast, year):
    """FIN-8: the course of c1's service fee, decided by the representatives' assembly, free
    for families on 低保 and with a disabled member."""

    def run():
        from communities.models import SpecialGroupType

        c = cast.community
        free = SpecialGroupType.objects.filter(profile=None, code__in=("dibao", "disabled"))
        cast.paid_service = services.paid_service_save(
            user=cast.director,
            instance=PaidService(
                community=c,
                name="老年书画班",
                kind=PaidServiceKind.COURSE,
                resolution_ref=f"{c.name.removesuffix('社区')}居代会〔{year}〕2号",
                standard_fee=Decimal("120.00"),
                fee_unit="期",
                use_of_fees=ExpenseCategory.CONSTRUCTION,
                starts_on=timezone.localdate(),
            ),
            rates=[(group, Decimal("0.00")) for group in free],
        )

    return run


def _in_kind(cast):
    """FIN-5: rice donated for the relief of families in difficulty, 40 of 100 bags given."""

    def run():
        donation = services.in_kind_record(
            user=cast.accountant,
            instance=InKindDonation(
                community=cast.community,
                item="大米（10公斤装）",
                quantity=Decimal("100"),
                unit="袋",
                estimated_value=Decimal("6000.00"),
                donor="锦澜粮油商行",
                received_on=timezone.localdate(),
                earmark_category=ExpenseCategory.RELIEF,
                earmark_purpose="困难家庭端午慰问",
            ),
        )
        services.in_kind_distribute(
            user=cast.accountant,
            donation=donation,
            quantity=Decimal("40"),
            recipient="辖区低保、特困家庭 40 户",
            purpose="端午慰问",
        )

    return run


def _plan(rng, cast, today, subsidy, donation, subsidy_day, donation_day) -> list[_Claim]:
    """The community's claims: dates, amounts, tiers and what becomes of them."""
    year = today.year
    first = min(dt.date(year, 1, 12), today)
    last_paid = max(first, today - dt.timedelta(days=14))
    claims: list[_Claim] = []
    purposes: set[str] = set()
    left = {"subsidy": subsidy * Decimal("0.9"), "donation": donation * Decimal("0.9")}

    def add(day, tier, fate="paid", claimant=None, template=None):
        category, purpose, payees, lo, hi = template or rng.choice(tier)
        allowance, units = "", 1
        if category == CAT.ALLOWANCE:
            if tier is MIDDLE:
                allowance, persons = AllowanceKind.TRANSPORT, rng.randint(2, 4)
                units = persons
                purpose = f"{purpose}（{persons}人）"
            else:
                allowance, persons = AllowanceKind.COMMUNICATION, rng.randint(4, 6)
                units = persons * 3
                purpose = f"{purpose}（{persons}人×3个月）"
            amount, payee = STANDARDS[allowance] * units, "社区工作人员（见发放签收表）"
        else:
            amount = _money(Decimal(rng.randint(lo * 100, hi * 100)) / 100)
            payee = rng.choice(payees)
        label = f"{day.month}月{purpose}"
        k = 2
        while label in purposes:
            label, k = f"{day.month}月{purpose}（{_cn_ordinal(k)}）", k + 1
        purposes.add(label)
        cash = (tier is SMALL and rng.random() < 0.7) or (tier is MIDDLE and rng.random() < 0.3)
        claim = _Claim(
            day=day,
            category=category,
            purpose=label,
            payee=payee,
            amount=amount,
            method=PaymentMethod.CASH if cash else PaymentMethod.TRANSFER,
            claimant=claimant or rng.choice(cast.claimants),
            fate=fate,
            allowance=allowance,
            units=units,
        )
        fund, received = {
            CAT.SERVICE: ("subsidy", subsidy_day),
            CAT.RELIEF: ("donation", donation_day),
        }.get(category, ("", None))
        if fund and day > received and left[fund] >= amount and fate != "rejected":
            claim.fund = fund
            left[fund] -= amount
        claims.append(claim)
        return claim

    count = rng.randint(12, 16)
    tiers = [SMALL] * 9 + [MIDDLE] * 5 + [LARGE] * 2
    for i in range(count):
        tier = LARGE if i < 3 else rng.choice(tiers)
        add(_between(rng, first, last_paid), tier)
    # FIN-5: the donation pays for at least one round of visits to the elderly.
    add(_between(rng, donation_day + dt.timedelta(days=1), last_paid), SMALL, template=SMALL[5])
    add(_between(rng, first, last_paid), MIDDLE, "rejected")

    def recent(lo, hi):
        return max(first, today - dt.timedelta(days=rng.randint(lo, hi)))

    if cast.key == "c1":
        add(recent(1, 3), SMALL, "submitted")
        add(recent(2, 4), MIDDLE, "submitted")
        add(recent(4, 7), MIDDLE, "street")
        add(recent(5, 6), SMALL, "approved")
        add(today, SMALL, "draft", claimant=cast.claimants[2])  # c1_member
    elif cast.key == "c2":
        add(recent(1, 4), SMALL, "submitted")
        add(recent(4, 7), MIDDLE, "street")
        add(recent(8, 10), LARGE, "collective")
    else:
        add(recent(1, 4), SMALL, "submitted")
        if cast.key in ("c3", "c5"):
            add(recent(4, 7), MIDDLE, "street")
    if FINDINGS.get(cast.key, ("",))[0] == "FIN-3":
        # FIN-3 finding: one repair split in three claims under the street's threshold.
        purpose, payee, amounts = SPLIT
        anchor = _between(rng, first, max(first, last_paid - dt.timedelta(days=40)))
        member = cast.claimants[2]
        for offset, amount in zip((0, 5, 12), amounts, strict=True):
            claims.append(
                _Claim(
                    day=min(anchor + dt.timedelta(days=offset), last_paid),
                    category=CAT.CONSTRUCTION,
                    purpose=purpose,
                    payee=payee,
                    amount=Decimal(amount),
                    method=PaymentMethod.CASH,
                    claimant=member,
                )
            )
    if cast.key == "c5":  # the street turns one down
        next(c for c in claims if c.fate == "rejected").fate = "rejected_street"
    return claims


def _cn_ordinal(k: int) -> str:
    return "二三四五六七八九"[k - 2]


# --- a claim's way -----------------------------------------------------------------------


def _schedule_claim(timeline, cast, claim: _Claim, i, users, supervisors, standards) -> None:
    c = cast.community
    principal = users["street_principal"]

    def file():
        if not cast.lines:
            cast.lines.update({line.category: line for line in cast.budget.lines.all()})
        claimant = claim.claimant
        obj = ExpenseClaim(
            community=c,
            payee=claim.payee,
            purpose=claim.purpose,
            amount=claim.amount,
            expense_date=timezone.localdate(),
            budget_line=cast.lines[claim.category],
            payment_method=claim.method,
            funded_by=cast.incomes.get(
                {"subsidy": IncomeKind.SUBSIDY, "donation": IncomeKind.DONATION}.get(claim.fund)
            ),
            allowance_standard=standards.get(claim.allowance),
            allowance_units=claim.units,
        )
        name = "发放签收表.pdf" if claim.allowance else "发票.pdf"
        claim.obj = services.claim_save(user=claimant, instance=obj)
        services.attachment_add(
            user=claimant,
            claim=claim.obj,
            upload=_invoice(name),
            kind=AttachmentKind.OTHER if claim.allowance else AttachmentKind.INVOICE,
        )
        if claim.fate != "draft":
            claim.obj = services.claim_submit(user=claimant, claim=claim.obj)

    def director():
        if claim.fate == "rejected":
            services.claim_reject(
                user=cast.director,
                claim=claim.obj,
                step=ApprovalStep.DIRECTOR,
                reason=REJECTIONS[ApprovalStep.DIRECTOR],
            )
            return
        claim.obj = services.claim_approve(
            user=cast.director,
            claim=claim.obj,
            step=ApprovalStep.DIRECTOR,
            comment="情况属实，同意",
        )

    def street():
        if claim.fate == "rejected_street":
            services.claim_reject(
                user=principal,
                claim=claim.obj,
                step=ApprovalStep.STREET,
                reason=REJECTIONS[ApprovalStep.STREET],
            )
            return
        claim.obj = services.claim_approve(
            user=principal, claim=claim.obj, step=ApprovalStep.STREET, comment="同意"
        )

    def collective():
        votes = {member.pk: Decision.APPROVE for member in supervisors}
        if i % 4 == 3:  # a member against; the majority carries it
            votes[supervisors[-1].pk] = Decision.REJECT
        claim.obj = services.claim_review_collective(
            user=supervisors[0],
            claim=claim.obj,
            votes=votes,
            comment="经监督小组集体审议，同意支出",
        )

    def pay():
        if claim.method == PaymentMethod.CASH:
            cash = services.book_balance(c.pk, Book.CASH)
            if cash < claim.amount:  # the cashier draws petty cash from the bank first
                services.cash_move(
                    user=cast.cashier,
                    community=c,
                    withdraw=True,
                    amount=max(Decimal("2000.00"), _round_up(claim.amount, 500)),
                    note="备用金",
                )
        services.claim_pay(
            user=cast.cashier,
            claim=claim.obj,
            reference=""
            if claim.method == PaymentMethod.CASH
            else f"{timezone.localdate():%Y%m%d}{c.pk:03d}{i:03d}",
        )

    steps = [(0, 10, file)]
    if claim.fate not in ("draft", "submitted"):
        steps.append((1, 16, director))
        amount, profile = claim.amount, c.profile
        needs = rules.required_approvals(amount, profile)
        if ApprovalStep.STREET in needs and claim.fate not in ("rejected", "street"):
            steps.append((2, 11, street))
            if ApprovalStep.COLLECTIVE in needs and claim.fate not in (
                "rejected_street",
                "collective",
            ):
                steps.append((5, 15, collective))
        if claim.fate == "paid":
            steps.append((steps[-1][0] + 1, 10, pay))
    for offset, hour, step in steps:
        timeline.at(claim.day + dt.timedelta(days=offset), hour, 10 + i % 40, step)


# --- the books -----------------------------------------------------------------------------


def _schedule_books(timeline, cast, today, users, supervisors) -> None:
    """FIN-11 month ends (recorded the next day, reviewed by the street within the week) and
    the FIN-7 statement of the last ended quarter (generated, stamped, published)."""
    c, year = cast.community, today.year
    months = [dt.date(year, m, 1) for m in range(1, today.month)] or [dt.date(year - 1, 12, 1)]
    difference = FINDINGS.get(cast.key, ("",))[0] == "FIN-11"
    for month in months:
        end = rules.month_end(month)
        last = month == months[-1]
        row = {}

        def record(month=month, end=end, last=last, row=row):
            books = book_balances(c.pk, end)
            statement, note = books["bank"], ""
            if difference and last:
                statement += INTEREST
                note = (
                    f"银行对账单比银行存款日记账多 {INTEREST} 元，原因待查（疑为银行结息回单未到）"
                )
            row["obj"] = services.reconciliation_record(
                user=cast.accountant,
                community=c,
                month=month,
                counted_cash=books["cash"],
                bank_statement=statement,
                explanation=note,
            )

        def review(last=last, row=row):
            comment = "账款相符，同意"
            if difference and last:
                comment = "请出纳向开户银行取得结息回单，下月对账前入账并说明"
            services.reconciliation_review(
                user=supervisors[0], reconciliation=row["obj"], comment=comment
            )

        timeline.at(end + dt.timedelta(days=1), 16, 30, record)
        timeline.at(end + dt.timedelta(days=4), 10, 0, review)

    for q_year, quarter in [rules.last_ended_quarter(today)]:
        end = rules.quarter_bounds(q_year, quarter)[1]
        holder = {}

        def generate(q_year=q_year, quarter=quarter, holder=holder):
            holder["obj"] = services.statement_generate(
                user=cast.accountant, community=c, year=q_year, quarter=quarter
            )

        def stamp(holder=holder):
            holder["obj"] = services.statement_stamp(user=supervisors[0], statement=holder["obj"])

        def publish(holder=holder):
            services.statement_publish(user=cast.publisher, statement=holder["obj"])

        timeline.at(end + dt.timedelta(days=6), 9, 30, generate)
        timeline.at(end + dt.timedelta(days=8), 15, 0, stamp)
        timeline.at(end + dt.timedelta(days=10), 9, 0, publish)
