"""STAFF-2 subsidies: the monthly payroll sheet and the wage-gap report (issue #5).

Services (every write) and selectors (every read) of the sheet, kept out of
staffing/services.py, which holds the worker and term writes. The pure calculations (which
post takes which standard, STAFF-4's stop month, net, the catch-up plan) are in
staffing/rules.py.

The life of a sheet (002 四(二); FIN-9 003 十四(五) 补贴标准由街道制定，社区不得擅自提高):

    payroll_generate (community: add/change)   draft, refreshed as often as needed
    payroll_line_save (community: change)      draft only, never above the profile's standard
    payroll_submit (community heads)           draft → submitted
    payroll_return (street)                    submitted → draft, with the reason
    payroll_approve (street)                   submitted → approved: frozen from here on
    payroll_lock (street)                      approved → locked (paid out and filed)

Every transition locks the sheet's row (select_for_update) and re-reads its state under the
lock, so two approvers, or an edit racing a submission, produce exactly one outcome.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community
from core.errors import RuleViolation
from core.scoping import scope_for, scoped
from core.services import require
from staffing import rules
from staffing.models import (
    PAYROLL_FROZEN,
    AverageWage,
    InsuranceRate,
    Payroll,
    PayrollLine,
    PayrollState,
    Post,
    PostTerm,
    SubsidyGrade,
    Worker,
)

ZERO = Decimal("0.00")

# Fields of a line a person may change while the sheet is a draft; the rest is derived.
LINE_EDITABLE = ("standard", "insurance_personal", "insurance_unit", "note")


# --- the attendance hook --------------------------------------------------------------------


class Deduction(NamedTuple):
    days: Decimal
    amount: Decimal


def payroll_deductions_for(worker: Worker, month: dt.date) -> Deduction:
    """ATT-2/ATT-3 (003 十三(三)(四)): the days of pay deducted from `worker` for `month`
    and their amount (daily pay = monthly standard / profile.pay_days_per_month).

    Fed by the attendance chapter (attendance.selectors.deduction_for): the working days of
    granted leave that deducts pay (ATT-2: over the profile's leave_street_over_days, or all
    leave where leave_short_deducts_pay) falling in the month, plus the profile's
    late_deduct_days when ATT-3's deduction falls due in the month. Unexcused absence
    (ATT-4) is not deducted here: the seed sanctions it with a written self-criticism and
    the "treated as resignation" case, not a pay cut. payroll_generate calls this for every
    line, so regenerating a draft brings the current deductions onto the sheet; approved
    sheets keep what they had."""
    from attendance.selectors import deduction_for

    days, amount = deduction_for(worker, month)
    return Deduction(Decimal(days), rules.money(amount))


# --- permission helpers ---------------------------------------------------------------------


def street_perm(user, perm: str, street_id: int) -> bool:
    """Whether `user` holds `perm` through a *street* role of that street (not a community
    role): the STAFF-2 approval is the street's (FIN-9: the street sets and checks the
    standards), and street data (average wage, insurance rates) is the street's."""
    scope = scope_for(user)
    if scope.everything:
        return True
    return perm in scope.perms_by_street.get(street_id, frozenset())


def _require_street(user, perm: str, street_id: int | None) -> None:
    scope = scope_for(user)
    if scope.everything:
        return
    if street_id is None or street_id not in scope.street_ids:
        raise Http404
    if not street_perm(user, perm, street_id):
        raise PermissionDenied(_("您没有执行此操作的权限"))


def _frozen_violation(payroll: Payroll) -> RuleViolation:
    return RuleViolation(
        "STAFF-2",
        _("%(payroll)s 生活补贴发放表已经街道审批（%(state)s），不得再更改")
        % {"payroll": payroll, "state": payroll.get_state_display()},
    )


def _require_draft(payroll: Payroll) -> None:
    if payroll.state in PAYROLL_FROZEN:
        raise _frozen_violation(payroll)
    if payroll.state != PayrollState.DRAFT:
        raise RuleViolation(
            "STAFF-2",
            _("%(payroll)s 发放表已上报街道，只有退回后才能修改") % {"payroll": payroll},
        )


def _locked(user, payroll: Payroll, perm: str) -> Payroll:
    """The sheet re-read under a row lock after the permission check (another community's
    sheet is missing: 404)."""
    current = Payroll.objects.filter(pk=payroll.pk).first()
    if current is None:
        raise Http404
    require(user, perm, current)
    return (
        Payroll.objects.select_for_update(of=("self",))
        .select_related("community__profile")
        .get(pk=payroll.pk)
    )


# --- generation -----------------------------------------------------------------------------


@dataclass
class Entitlement:
    """What one worker is owed for a month before deductions and insurance."""

    worker: Worker
    posts: list[str] = field(default_factory=list)
    pending: bool = False
    grade: str | None = None
    standard: Decimal = ZERO

    @property
    def posts_text(self) -> str:
        order = list(Post.values)
        labels = [Post(p).label for p in sorted(set(self.posts), key=order.index)]
        return "、".join(str(label) for label in labels)


def entitlements(community: Community, month: dt.date) -> list[Entitlement]:
    """STAFF-2/4/9 for one community and month: every worker with a subsidised post on the
    sheet once, at the highest standard of their posts (one query)."""
    month = rules.month_first(month)
    first, last = month, rules.month_end(month)
    profile = community.profile
    terms = (
        PostTerm.objects.filter(community=community, starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first) | Q(reappointed__isnull=True))
        .filter(Q(worker__left_on__isnull=True) | Q(worker__left_on__gte=first))
        .filter(Q(worker__hired_on__isnull=True) | Q(worker__hired_on__lte=last))
        .select_related("worker")
        .order_by("worker__name", "worker_id", "starts_on")
    )
    by_worker: dict[int, Entitlement] = {}
    for term in terms:
        if not rules.term_subsidised_in(term, month):
            continue
        item = by_worker.setdefault(term.worker_id, Entitlement(worker=term.worker))
        item.posts.append(term.post)
        item.pending |= rules.reselection_pending_in(term, month)
    result = []
    for item in by_worker.values():
        item.grade = rules.subsidy_grade(item.posts, profile, full_time=item.worker.is_full_time)
        if item.grade is None:
            continue
        item.standard = rules.grade_standard(item.grade, profile)
        result.append(item)
    return result


def _insurance_defaults(rate: InsuranceRate | None, standard: Decimal) -> tuple[Decimal, Decimal]:
    if rate is None:
        return ZERO, ZERO
    base = rate.base if rate.base is not None else standard
    return rules.insurance_part(base, rate.personal_pct), rules.insurance_part(base, rate.unit_pct)


def _check_line(line: PayrollLine, profile) -> None:
    """STAFF-2 / FIN-9 on one line: not above the standard of its grade; the deduction and
    the personal insurance part not above the standard (net ≥ 0)."""
    if (
        line.standard is not None
        and line.grade
        and rules.exceeds_standard(line.standard, line.grade, profile)
    ):
        raise RuleViolation(
            "STAFF-2",
            _(
                "%(name)s 的生活补贴 %(amount)s 元高于街道规定的%(grade)s %(limit)s 元"
                "（FIN-9：003 十四(五) 社区不得擅自提高标准）"
            )
            % {
                "name": line.worker.name,
                "amount": line.standard,
                "grade": SubsidyGrade(line.grade).label,
                "limit": rules.grade_standard(line.grade, profile),
            },
            field="standard",
        )
    net = rules.payroll_net(
        line.standard or ZERO, line.deduction_amount or ZERO, line.insurance_personal or ZERO
    )
    if net < 0:
        raise RuleViolation(
            "STAFF-2",
            _("%(name)s 的考勤扣款与社保个人部分合计超过生活补贴") % {"name": line.worker.name},
            field="insurance_personal",
        )
    line.net = net


# What payroll_generate computes on a line (the rest is typed in while a draft).
DERIVED = (
    "posts",
    "grade",
    "reselection_pending",
    "standard",
    "deduction_days",
    "deduction_amount",
    "net",
)


def _derived(line: PayrollLine | None):
    return None if line is None else tuple(getattr(line, name) for name in DERIVED)


@transaction.atomic
def payroll_generate(*, user, community: Community, month: dt.date) -> Payroll:
    """Make or refresh the draft sheet of `community` for `month` (any day of it).

    Idempotent: a second run on a draft gives the same lines. It recomputes posts, standard
    and the attendance deduction from the current terms, profile and payroll_deductions_for;
    the social-insurance parts and notes typed into a line are kept for workers still on the
    sheet (new lines take the street's InsuranceRate for the year, or 0); lines of workers
    no longer entitled go. Refused once the sheet is submitted, approved or locked (STAFF-2),
    and for a month that has not begun."""
    month = rules.month_first(month)
    community = Community.objects.select_related("profile").get(pk=community.pk)
    existing = Payroll.objects.filter(community=community, month=month).first()
    require(
        user,
        f"staffing.{'change' if existing else 'add'}_payroll",
        existing or Payroll(community=community),
    )
    if month > rules.month_first(timezone.localdate()):
        raise RuleViolation("STAFF-2", _("不能生成尚未开始月份的发放表"), field="month")
    # One generation per community at a time: two first runs cannot both insert the sheet.
    Community.objects.select_for_update().filter(pk=community.pk).first()
    payroll = Payroll.objects.select_for_update().filter(community=community, month=month).first()
    if payroll is None:
        payroll = Payroll(community=community, month=month)
        payroll.full_clean()
    else:
        _require_draft(payroll)
    payroll.generated_at = timezone.now()
    payroll.save()

    rate = InsuranceRate.objects.filter(street_id=community.street_id, year=month.year).first()
    lines = {line.worker_id: line for line in payroll.lines.select_related("worker")}
    keep = set()
    for item in entitlements(community, month):
        deduction = payroll_deductions_for(item.worker, month)
        line = lines.get(item.worker.pk)
        before = _derived(line)
        if line is None:
            personal, unit = _insurance_defaults(rate, item.standard)
            line = PayrollLine(
                payroll=payroll,
                worker=item.worker,
                insurance_personal=personal,
                insurance_unit=unit,
            )
        line.posts = item.posts_text
        line.grade = item.grade
        line.reselection_pending = item.pending
        line.standard = item.standard
        line.deduction_days = deduction.days
        line.deduction_amount = rules.money(deduction.amount)
        _check_line(line, community.profile)
        keep.add(item.worker.pk)
        if _derived(line) == before:
            continue  # unchanged: no write, no audit event
        line.full_clean(exclude=["payroll", "worker"], validate_unique=False)
        line.save()
    payroll.lines.exclude(worker_id__in=keep).delete()
    return payroll


# --- edits and transitions ------------------------------------------------------------------


def payroll_line_validate(*, user, instance: PayrollLine) -> None:
    """The checks of payroll_line_save without writing (admin forms; rechecked under lock)."""
    payroll = Payroll.objects.select_related("community__profile").get(pk=instance.payroll_id)
    _require_draft(payroll)
    _check_line(instance, payroll.community.profile)


@transaction.atomic
def payroll_line_save(*, user, line: PayrollLine) -> PayrollLine:
    """Change the editable fields of one line (LINE_EDITABLE) of a draft sheet: the standard
    may be lowered, never raised above the profile's (STAFF-2/FIN-9); insurance and note
    are free. Everything else on the line comes from payroll_generate."""
    if line.pk is None:
        raise RuleViolation("STAFF-2", _("发放明细由“生成发放表”产生，不能手工添加"))
    current = PayrollLine.objects.select_related("worker").filter(pk=line.pk).first()
    if current is None:
        raise Http404
    require(user, "staffing.change_payrollline", current)
    payroll = _locked(user, current.payroll, "staffing.change_payroll")
    _require_draft(payroll)
    for name in LINE_EDITABLE:
        setattr(current, name, getattr(line, name))
    _check_line(current, payroll.community.profile)
    current.full_clean(exclude=["payroll", "worker"], validate_unique=False)
    current.save()
    line.net = current.net
    return current


@transaction.atomic
def payroll_save(*, user, instance: Payroll) -> Payroll:
    """The admin's save of a sheet: a new one is generated (payroll_generate); an existing
    draft takes a new note; nothing else of a sheet is edited by hand."""
    if instance.pk is None:
        note = instance.note
        payroll = payroll_generate(user=user, community=instance.community, month=instance.month)
        if note:
            payroll.note = note
            payroll.save(update_fields=["note", "updated_at"])
        instance.pk = payroll.pk
        return payroll
    payroll = _locked(user, instance, "staffing.change_payroll")
    _require_draft(payroll)
    payroll.note = instance.note
    payroll.save(update_fields=["note", "updated_at"])
    return payroll


def payroll_validate(*, user, instance: Payroll) -> None:
    """The checks of payroll_save without writing (admin forms)."""
    if instance.pk is None:
        if instance.month and rules.month_first(instance.month) > rules.month_first(
            timezone.localdate()
        ):
            raise RuleViolation("STAFF-2", _("不能生成尚未开始月份的发放表"), field="month")
        return
    current = Payroll.objects.filter(pk=instance.pk).first()
    if current is not None:
        _require_draft(current)


def _check_standards(payroll: Payroll) -> None:
    """STAFF-2/FIN-9 again at submission and approval: the profile may have been lowered
    since the lines were made."""
    for line in payroll.lines.select_related("worker"):
        _check_line(line, payroll.community.profile)


@transaction.atomic
def payroll_submit(*, user, payroll: Payroll) -> Payroll:
    """Draft → submitted, by the community's heads (staffing.submit_payroll)."""
    payroll = _locked(user, payroll, "staffing.submit_payroll")
    if payroll.state != PayrollState.DRAFT:
        raise RuleViolation(
            "STAFF-2",
            _("只有草稿状态的发放表可以上报（当前：%(state)s）")
            % {"state": payroll.get_state_display()},
        )
    if not payroll.lines.exists():
        raise RuleViolation("STAFF-2", _("发放表没有明细，请先生成"))
    _check_standards(payroll)
    payroll.state = PayrollState.SUBMITTED
    payroll.submitted_at = timezone.now()
    payroll.submitted_by = user
    payroll.returned_reason = ""
    payroll.save()
    return payroll


@transaction.atomic
def payroll_approve(*, user, payroll: Payroll) -> Payroll:
    """Submitted → approved, by the street (staffing.approve_payroll held through a street
    role of the community's street: a community's own roles never approve its sheet). From
    here the sheet is frozen (STAFF-2). Two approvers at once: the second waits on the row
    lock, then finds it approved and is refused."""
    payroll = _locked(user, payroll, "staffing.approve_payroll")
    if not street_perm(user, "staffing.approve_payroll", payroll.community.street_id):
        raise PermissionDenied(_("发放表须由街道审批"))
    if payroll.state != PayrollState.SUBMITTED:
        raise RuleViolation(
            "STAFF-2",
            _("只有已报街道的发放表可以审批（当前：%(state)s）")
            % {"state": payroll.get_state_display()},
        )
    _check_standards(payroll)
    payroll.state = PayrollState.APPROVED
    payroll.approved_at = timezone.now()
    payroll.approved_by = user
    payroll.save()
    return payroll


@transaction.atomic
def payroll_return(*, user, payroll: Payroll, reason: str) -> Payroll:
    """Submitted → draft with the street's reason, so the community can correct it."""
    payroll = _locked(user, payroll, "staffing.approve_payroll")
    if not street_perm(user, "staffing.approve_payroll", payroll.community.street_id):
        raise PermissionDenied(_("发放表须由街道审核"))
    if payroll.state != PayrollState.SUBMITTED:
        if payroll.state in PAYROLL_FROZEN:
            raise _frozen_violation(payroll)
        raise RuleViolation("STAFF-2", _("只有已报街道的发放表可以退回"))
    if not (reason or "").strip():
        raise ValidationError({"returned_reason": _("请填写退回意见")})
    payroll.state = PayrollState.DRAFT
    payroll.returned_reason = reason.strip()
    payroll.submitted_at = None
    payroll.submitted_by = None
    payroll.save()
    return payroll


@transaction.atomic
def payroll_lock(*, user, payroll: Payroll) -> Payroll:
    """Approved → locked (paid out and filed), by the street."""
    payroll = _locked(user, payroll, "staffing.approve_payroll")
    if not street_perm(user, "staffing.approve_payroll", payroll.community.street_id):
        raise PermissionDenied(_("发放表须由街道归档"))
    if payroll.state != PayrollState.APPROVED:
        raise RuleViolation("STAFF-2", _("只有街道已审批的发放表可以归档"))
    payroll.state = PayrollState.LOCKED
    payroll.locked_at = timezone.now()
    payroll.save()
    return payroll


@transaction.atomic
def payroll_delete(*, user, instance: Payroll) -> None:
    """Only a draft may be deleted; an approved or locked sheet is kept for ever (STAFF-2)."""
    payroll = _locked(user, instance, "staffing.delete_payroll")
    _require_draft(payroll)
    payroll.delete()


# --- street data: average wage, insurance rates ---------------------------------------------


def _street_perm_name(instance, action: str) -> str:
    return f"staffing.{action}_{instance._meta.model_name}"


@transaction.atomic
def street_data_save(*, user, instance):
    """Save an AverageWage or InsuranceRate row: street roles of that street only (a row
    moved to another street needs the grant there too)."""
    action = "change" if instance.pk else "add"
    if instance.pk:
        old = type(instance).objects.filter(pk=instance.pk).values_list("street_id", flat=True)
        old_street = old.first()
        if old_street is not None and old_street != instance.street_id:
            _require_street(user, _street_perm_name(instance, "change"), old_street)
    _require_street(user, _street_perm_name(instance, action), instance.street_id)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def street_data_delete(*, user, instance) -> None:
    _require_street(user, _street_perm_name(instance, "delete"), instance.street_id)
    instance.delete()


def street_data_validate(*, user, instance) -> None:
    """Nothing beyond the model's own validation; the grant is checked on save."""


# --- selectors ------------------------------------------------------------------------------


def street_data_list(*, user, model):
    """AverageWage / InsuranceRate rows of the streets the user reaches."""
    qs = model.objects.select_related("street")
    scope = scope_for(user)
    if scope.everything:
        return qs
    return qs.filter(street_id__in=scope.street_ids)


def payroll_list(*, user):
    """The sheets the user may see, with their line count and totals (one query)."""
    return scoped(Payroll.objects.select_related("community", "community__street"), user).annotate(
        n_lines=Count("lines"),
        total_standard=Sum("lines__standard"),
        total_net=Sum("lines__net"),
    )


def payroll_get(*, user, pk) -> Payroll:
    return get_object_or_404(
        scoped(Payroll.objects.select_related("community__street", "community__profile"), user),
        pk=pk,
    )


TOTAL_FIELDS = (
    "standard",
    "deduction_days",
    "deduction_amount",
    "insurance_personal",
    "insurance_unit",
    "net",
)


def payroll_lines(payroll: Payroll):
    return payroll.lines.select_related("worker").order_by("worker__name", "worker_id")


def payroll_totals(payroll: Payroll) -> dict[str, Decimal]:
    sums = payroll.lines.aggregate(**{name: Sum(name) for name in TOTAL_FIELDS})
    return {name: sums[name] or ZERO for name in TOTAL_FIELDS}


@dataclass(frozen=True)
class WageGapRow:
    community: Community
    grade: str
    standard: Decimal
    average: AverageWage | None
    gap: Decimal | None
    pct: int
    next_standard: Decimal | None

    @property
    def grade_label(self) -> str:
        return str(SubsidyGrade(self.grade).label)

    @property
    def raise_by(self) -> Decimal | None:
        return None if self.next_standard is None else self.next_standard - self.standard


@dataclass(frozen=True)
class WageGapReport:
    year: int  # the year of the standards; compared with the average wage of year - 1
    rows: list[WageGapRow]

    @property
    def average_year(self) -> int:
        return self.year - 1


def wage_gap_report(*, user, year: int, community_id: int | None = None) -> WageGapReport:
    """STAFF-2 (004 三(二)2): for every community the user may see and each of the three
    standards of its profile: last year's average wage of its street, the gap, and next
    year's standard under the profile's catch-up percentage (rules.next_year_standard).
    Two queries whatever the number of communities."""
    communities = scoped(
        Community.objects.filter(is_active=True).select_related("street", "profile"), user
    ).order_by("street__name", "name")
    if community_id is not None:
        communities = communities.filter(pk=community_id)
    communities = list(communities)
    averages = {
        a.street_id: a
        for a in AverageWage.objects.filter(
            street_id__in={c.street_id for c in communities}, year=year - 1
        )
    }
    rows = []
    for community in communities:
        profile = community.profile
        average = averages.get(community.street_id)
        for grade in SubsidyGrade.values:
            standard = rules.grade_standard(grade, profile)
            gap = next_standard = None
            if average is not None:
                gap = rules.wage_gap(standard, average.monthly_amount)
                next_standard = rules.next_year_standard(
                    standard, average.monthly_amount, profile.wage_catchup_pct
                )
            rows.append(
                WageGapRow(
                    community=community,
                    grade=grade,
                    standard=standard,
                    average=average,
                    gap=gap,
                    pct=profile.wage_catchup_pct,
                    next_standard=next_standard,
                )
            )
    return WageGapReport(year=year, rows=rows)
