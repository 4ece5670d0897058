"""ATT-3 / ATT-4 (003 十三(四)): late and early counts; more than 3 in the window after a
recorded criticism → 3 days' deduction (3 times: none, 4: deduction); late or early on more
than 5 days → a "treated as resignation" case (5: none, 6: case); 1 day's absence → written
self-criticism, 2 days → a resignation case the street confirms or dismisses with a reason,
never an automatic dismissal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from attendance import calendar
from attendance.cases import (
    case_decide,
    cases_sweep,
    criticism_record,
    self_criticism_submit,
    street_case_inbox,
)
from attendance.models import AttendanceCase, CaseKind, CaseState, Criticism
from attendance.selectors import deduction_for, late_deduction_days
from core.errors import RuleViolation
from core.models import CountWindow, Role
from staffing.models import Post
from tests.attendance.factories import AttendanceRecordFactory, at
from tests.factories import CommunityFactory, PolicyProfileFactory, UserFactory, user_with_role
from tests.staffing.factories import PostTermFactory, WorkerFactory

D = dt.date
NOV = D(2024, 11, 1)
NOV_END = D(2024, 11, 30)


def _working(community, first, last):
    days = calendar.calendar_days(community.street_id, first, last)
    return [d for d, info in days.items() if info.working]


def _attend(worker, first, last, *, late=(), early=(), absent=()):
    """A record on every working day of [first, last]: on time, except the days given."""
    for day in _working(worker.community, first, last):
        if day in absent:
            continue
        AttendanceRecordFactory(
            worker=worker,
            date=day,
            sign_in_at=at(day, 9, 0) if day in late else at(day, 8, 20),
            sign_out_at=at(day, 16, 0) if day in early else at(day, 17, 5),
        )


@pytest.fixture
def community(db):
    return CommunityFactory()


def _worker(community, hired_on=NOV, **kwargs):
    worker = WorkerFactory(community=community, hired_on=hired_on, **kwargs)
    PostTermFactory(worker=worker, post=Post.COMMITTEE_MEMBER)
    return worker


def _criticise(worker, day):
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=worker.community)
    return criticism_record(user=director, worker=worker, date=day, note="多次迟到，批评教育")


# --- ATT-3: the deduction ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("times, deducted", [(3, "0"), (4, "3")])
def test_att3_more_than_3_times_after_a_criticism_deducts_3_days(community, times, deducted):
    worker = _worker(community)
    late = [D(2024, 11, 1), D(2024, 11, 4)]
    early = [D(2024, 11, 6), D(2024, 11, 7)][: times - 2]
    _attend(worker, NOV, NOV_END, late=late, early=early)
    _criticise(worker, D(2024, 11, 5))
    assert late_deduction_days(worker, NOV) == Decimal(deducted)


@pytest.mark.django_db
def test_att3_late_and_early_on_one_day_are_two_times(community):
    worker = _worker(community)
    day = D(2024, 11, 6)
    _attend(worker, NOV, NOV_END, late=[D(2024, 11, 1), D(2024, 11, 4), day], early=[day])
    _criticise(worker, D(2024, 11, 5))
    assert late_deduction_days(worker, NOV) == Decimal("3")


@pytest.mark.django_db
def test_att3_no_deduction_without_a_criticism_or_without_lateness_after_it(community):
    worker = _worker(community)
    late = [D(2024, 11, 1), D(2024, 11, 4), D(2024, 11, 5), D(2024, 11, 6)]
    _attend(worker, NOV, NOV_END, late=late)
    assert late_deduction_days(worker, NOV) == 0  # never criticised
    _criticise(worker, D(2024, 11, 6))
    assert late_deduction_days(worker, NOV) == 0  # corrected after the criticism
    _criticise(worker, D(2024, 11, 5))
    assert late_deduction_days(worker, NOV) == Decimal("3")


@pytest.mark.django_db
def test_att3_deduction_in_the_payroll_amount(community):
    worker = _worker(community)
    late = [D(2024, 11, 1), D(2024, 11, 4), D(2024, 11, 6), D(2024, 11, 7)]
    _attend(worker, NOV, NOV_END, late=late)
    _criticise(worker, D(2024, 11, 5))
    assert deduction_for(worker, NOV) == (Decimal("3"), Decimal("137.93"))  # 3 × 1000 / 21.75


@pytest.mark.django_db
def test_att3_profile_threshold_days_and_yearly_window():
    profile = PolicyProfileFactory(
        code="att3-year",
        late_times_threshold=2,
        late_deduct_days=Decimal("1"),
        late_times_window=CountWindow.YEAR,
    )
    community = CommunityFactory(profile=profile)
    worker = _worker(community, hired_on=D(2024, 10, 1))
    _attend(worker, D(2024, 10, 1), NOV_END, late=[D(2024, 10, 8), D(2024, 10, 9)])
    _criticise(worker, D(2024, 10, 10))
    AttendanceRecordFactory._meta.model.objects.filter(worker=worker, date=D(2024, 11, 4)).update(
        sign_in_at=at(D(2024, 11, 4), 9, 0)
    )
    # 3 times in the year (> 2), the third after the criticism, in November: deducted once.
    assert late_deduction_days(worker, D(2024, 10, 1)) == 0
    assert late_deduction_days(worker, NOV) == Decimal("1")
    assert late_deduction_days(worker, D(2024, 12, 1)) == 0


# --- ATT-3: treated as resignation ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("late_days, case", [(5, False), (6, True)])
def test_att3_late_on_more_than_5_days_is_a_resignation_case(community, late_days, case):
    worker = _worker(community, hired_on=D(2024, 11, 11))
    days = _working(community, D(2024, 11, 11), D(2024, 11, 22))
    _attend(worker, D(2024, 11, 11), D(2024, 11, 22), late=days[:late_days])
    cases_sweep(today=D(2024, 11, 23))
    found = AttendanceCase.objects.filter(worker=worker, kind=CaseKind.LATE_RESIGNATION)
    assert found.exists() is case
    if case:
        row = found.get()
        assert (row.rule_id, row.period, row.state) == ("ATT-3", "2024", CaseState.OPEN)
        assert "6 天" in row.facts


# --- ATT-4: absence ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "absent_days, kinds",
    [
        (0, set()),
        (1, {CaseKind.SELF_CRITICISM}),
        (2, {CaseKind.SELF_CRITICISM, CaseKind.ABSENCE_RESIGNATION}),
    ],
)
def test_att4_one_day_self_criticism_two_days_resignation(community, absent_days, kinds):
    worker = _worker(community, hired_on=D(2024, 11, 18))
    absent = [D(2024, 11, 19), D(2024, 11, 21)][:absent_days]
    _attend(worker, D(2024, 11, 18), D(2024, 11, 22), absent=absent)
    cases_sweep(today=D(2024, 11, 23))
    rows = AttendanceCase.objects.filter(worker=worker)
    assert {c.kind for c in rows} == kinds
    assert all(c.rule_id == "ATT-4" and c.period == "2024-11" for c in rows)
    worker.refresh_from_db()
    assert worker.left_on is None  # never an automatic dismissal


@pytest.mark.django_db
def test_att4_half_days_add_up_and_leave_excuses(community):
    from attendance.models import Leave, LeaveState, LeaveType

    worker = _worker(community, hired_on=D(2024, 11, 18))
    _attend(worker, D(2024, 11, 18), D(2024, 11, 22), absent=[D(2024, 11, 19), D(2024, 11, 20)])
    Leave.objects.create(
        community=community,
        worker=worker,
        leave_type=LeaveType.SICK,
        start_date=D(2024, 11, 19),
        end_date=D(2024, 11, 19),
        days=Decimal("1"),
        reason="病",
        state=LeaveState.APPROVED,
        requested_by=UserFactory(),
    )
    cases_sweep(today=D(2024, 11, 23))
    assert {c.kind for c in AttendanceCase.objects.filter(worker=worker)} == {
        CaseKind.SELF_CRITICISM
    }


@pytest.mark.django_db
def test_att34_sweep_twice_makes_one_case_each(community):
    worker = _worker(community, hired_on=D(2024, 11, 18))
    _attend(worker, D(2024, 11, 18), D(2024, 11, 22), absent=[D(2024, 11, 19), D(2024, 11, 20)])
    first = cases_sweep(today=D(2024, 11, 23))
    second = cases_sweep(today=D(2024, 11, 23))
    assert first["created"] == 2 and second["created"] == 0
    assert AttendanceCase.objects.count() == 2


# --- the street's decision and the worker's self-criticism -----------------------------------------


@pytest.fixture
def resignation(community):
    worker = _worker(community, hired_on=D(2024, 11, 18), user=UserFactory())
    _attend(worker, D(2024, 11, 18), D(2024, 11, 22), absent=[D(2024, 11, 19), D(2024, 11, 20)])
    cases_sweep(today=D(2024, 11, 23))
    return AttendanceCase.objects.get(kind=CaseKind.ABSENCE_RESIGNATION)


@pytest.mark.django_db
def test_att4_street_confirms_with_a_reason_once(community, resignation):
    chief = user_with_role(Role.SOCIAL_AFFAIRS_CHIEF, street=community.street)
    assert list(street_case_inbox(user=chief)) == [resignation]
    with pytest.raises(RuleViolation, match="理由"):
        case_decide(user=chief, case=resignation, confirm=True, reason=" ")
    case = case_decide(user=chief, case=resignation, confirm=True, reason="经核实无正当理由")
    assert case.state == CaseState.CONFIRMED and case.decided_by == chief
    with pytest.raises(RuleViolation, match="已处理"):
        case_decide(user=chief, case=resignation, confirm=False, reason="再议")
    resignation.worker.refresh_from_db()
    assert resignation.worker.left_on is None
    assert list(street_case_inbox(user=chief)) == []


@pytest.mark.django_db
def test_att4_street_dismisses_community_cannot_decide(community, resignation):
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    with pytest.raises(PermissionDenied):
        case_decide(user=director, case=resignation, confirm=True, reason="x")
    with pytest.raises(Http404):
        case_decide(
            user=user_with_role(Role.DEPUTY_DIRECTOR), case=resignation, confirm=False, reason="x"
        )
    deputy = user_with_role(Role.DEPUTY_DIRECTOR, street=community.street)
    case = case_decide(user=deputy, case=resignation, confirm=False, reason="系因病未能请假")
    assert case.state == CaseState.DISMISSED


@pytest.mark.django_db
def test_att4_self_criticism_only_by_the_worker(community, resignation):
    case = AttendanceCase.objects.get(kind=CaseKind.SELF_CRITICISM)
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    with pytest.raises(PermissionDenied):
        self_criticism_submit(user=director, case=case, statement="代写")
    own = case.worker.user
    with pytest.raises(RuleViolation):
        self_criticism_submit(user=own, case=case, statement="")
    with pytest.raises(RuleViolation, match="只能是"):
        self_criticism_submit(
            user=own, case=case, statement="", upload=SimpleUploadedFile("a.pdf", b"MZ")
        )
    case = self_criticism_submit(user=own, case=case, statement="我检讨：无故缺勤两天……")
    assert case.state == CaseState.SUBMITTED and case.submitted_at
    with pytest.raises(RuleViolation, match="已提交"):
        self_criticism_submit(user=own, case=case, statement="again")


@pytest.mark.django_db
def test_att3_criticism_recorded_by_the_director_not_others(community):
    worker = _worker(community)
    clerk = user_with_role(Role.ATTENDANCE_CLERK, community=community)
    with pytest.raises(PermissionDenied):
        criticism_record(user=clerk, worker=worker, date=NOV, note="x")
    with pytest.raises(Http404):
        criticism_record(
            user=user_with_role(Role.COMMITTEE_DIRECTOR), worker=worker, date=NOV, note="x"
        )
    _criticise(worker, NOV)
    assert Criticism.objects.count() == 1
