"""ATT-1 register (003 十三(一)): one-tap sign-in and sign-out of the worker linked to the
user at the server's time; twice refused; nobody signs in for somebody else; the clerk
corrects with a mandatory reason (audited); late/early against the community's office hours;
absence is no sign-in on a past working day without leave."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from pghistory.models import Events

from attendance import rules
from attendance.models import AttendanceRecord, OfficeHours
from attendance.selectors import grid_for, register_day
from attendance.services import record_correct, sign_in, sign_out
from core.errors import RuleViolation
from core.models import Role
from tests.attendance.factories import AttendanceRecordFactory, at
from tests.factories import CommunityFactory, UserFactory, user_with_role
from tests.staffing.factories import WorkerFactory

T = dt.time
MONDAY = dt.date(2024, 11, 18)


def _linked(community=None, **kwargs):
    user = UserFactory()
    worker = WorkerFactory(community=community or CommunityFactory(), user=user, **kwargs)
    return user, worker


# --- pure rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sign_in, late", [(T(8, 29), False), (T(8, 30), False), (T(8, 30, 59), False), (T(8, 31), True)]
)
def test_att1_late_after_the_start_minute(sign_in, late):
    assert rules.is_late(sign_in, T(8, 30)) is late


@pytest.mark.parametrize("sign_out, early", [(T(16, 59), True), (T(17, 0), False)])
def test_att1_early_before_the_end(sign_out, early):
    assert rules.is_early(sign_out, T(17, 0)) is early


def _facts(sign_in=None, sign_out=None):
    return rules.RecordFacts(sign_in, sign_out, T(8, 30), T(12, 0), T(17, 0))


@pytest.mark.parametrize(
    "working, halves, facts, symbol, absent",
    [
        (False, frozenset(), None, "休", 0),
        (True, frozenset(), None, "旷", 1),
        (True, frozenset({rules.AM, rules.PM}), None, "假", 0),
        (True, frozenset({rules.AM}), None, "假旷", Decimal("0.5")),
        (True, frozenset(), _facts(T(8, 0), T(17, 0)), "√", 0),
        (True, frozenset(), _facts(T(9, 0), T(17, 0)), "迟", 0),
        (True, frozenset(), _facts(T(8, 0), T(16, 0)), "早", 0),
        (True, frozenset(), _facts(T(9, 0), T(16, 0)), "迟早", 0),
        (True, frozenset(), _facts(T(8, 0), None), "早", 0),  # never signed out
        # A morning off: due at midday; an afternoon off: may leave at midday.
        (True, frozenset({rules.AM}), _facts(T(11, 50), T(17, 0)), "假√", 0),
        (True, frozenset({rules.PM}), _facts(T(8, 0), T(12, 0)), "假√", 0),
    ],
)
def test_att1_day_marks(working, halves, facts, symbol, absent):
    mark = rules.day_mark(
        day=MONDAY,
        today=MONDAY + dt.timedelta(days=1),
        working=working,
        in_service=True,
        leave_halves=halves,
        record=facts,
    )
    assert mark.symbol == symbol
    assert mark.absent == Decimal(absent)


def test_att1_today_without_sign_in_is_pending_not_absent():
    mark = rules.day_mark(day=MONDAY, today=MONDAY, working=True, in_service=True)
    assert mark.pending and mark.absent == 0 and mark.symbol == ""


# --- signing in and out ------------------------------------------------------------------------


@pytest.mark.django_db
def test_att1_sign_in_and_out_at_the_server_time():
    user, worker = _linked()
    before = timezone.now()
    record = sign_in(user=user)
    assert record.worker == worker and record.date == timezone.localdate()
    assert before <= record.sign_in_at <= timezone.now()
    record = sign_out(user=user)
    assert record.sign_out_at >= record.sign_in_at
    assert AttendanceRecord.objects.count() == 1


@pytest.mark.django_db
def test_att1_signing_in_twice_is_refused_and_changes_nothing():
    user, _worker = _linked()
    first = sign_in(user=user)
    with pytest.raises(RuleViolation) as err:
        sign_in(user=user)
    assert err.value.rule_id == "ATT-1" and "不能重复签到" in err.value.messages[0]
    again = AttendanceRecord.objects.get()
    assert again.sign_in_at == first.sign_in_at and again.updated_at == first.updated_at


@pytest.mark.django_db
def test_att1_sign_out_needs_a_sign_in_and_happens_once():
    user, _worker = _linked()
    with pytest.raises(RuleViolation, match="还没有签到"):
        sign_out(user=user)
    sign_in(user=user)
    sign_out(user=user)
    with pytest.raises(RuleViolation, match="不能重复签退"):
        sign_out(user=user)


@pytest.mark.django_db
def test_att1_only_a_linked_worker_in_service_signs_in():
    with pytest.raises(RuleViolation, match="没有关联社区工作者"):
        sign_in(user=user_with_role(Role.COMMITTEE_DIRECTOR))
    user, worker = _linked(left_on=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(RuleViolation, match="不在职"):
        sign_in(user=user)
    assert not AttendanceRecord.objects.exists()


@pytest.mark.django_db
def test_att1_record_takes_the_communitys_office_hours_of_the_day():
    community = CommunityFactory()
    OfficeHours.objects.create(community=community, start=T(9, 0), midday=T(12, 30), end=T(18, 0))
    user, _worker = _linked(community)
    record = sign_in(user=user)
    assert (record.expected_start, record.midday, record.expected_end) == (
        T(9, 0),
        T(12, 30),
        T(18, 0),
    )
    # A later change of hours does not touch the day already recorded.
    OfficeHours.objects.filter(community=community).update(start=T(8, 0))
    record.refresh_from_db()
    assert record.expected_start == T(9, 0)


# --- the clerk's corrections ---------------------------------------------------------------------


@pytest.fixture
def clerk_setup(db):
    community = CommunityFactory()
    clerk = user_with_role(Role.ATTENDANCE_CLERK, community=community)
    worker = WorkerFactory(community=community)
    return community, clerk, worker


@pytest.mark.django_db
def test_att1_clerk_corrects_with_a_reason_and_it_is_audited(clerk_setup):
    community, clerk, worker = clerk_setup
    AttendanceRecordFactory(worker=worker, date=MONDAY, sign_out_at=None)
    record = record_correct(
        user=clerk,
        worker=worker,
        day=MONDAY,
        sign_in_at=T(8, 20),
        sign_out_at=T(17, 10),
        reason="忘记签退，经主任核实",
    )
    assert timezone.localtime(record.sign_out_at).time() == T(17, 10)
    assert record.corrected_by == clerk and record.correction_reason == "忘记签退，经主任核实"
    events = Events.objects.tracks(record).order_by("pgh_created_at", "pgh_id")
    assert [e.pgh_label for e in events] == ["insert", "update"]


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   "])
def test_att1_correction_without_a_reason_refused(clerk_setup, reason):
    _community, clerk, worker = clerk_setup
    with pytest.raises(RuleViolation) as err:
        record_correct(
            user=clerk, worker=worker, day=MONDAY, sign_in_at=T(8), sign_out_at=None, reason=reason
        )
    assert err.value.rule_id == "ATT-1"
    assert not AttendanceRecord.objects.exists()


@pytest.mark.django_db
def test_att1_only_the_clerk_of_the_community_corrects(clerk_setup):
    community, _clerk, worker = clerk_setup
    other_clerk = user_with_role(Role.ATTENDANCE_CLERK)
    member = user_with_role(Role.MEMBER, community=community)
    kwargs = {"worker": worker, "day": MONDAY, "sign_in_at": T(8), "sign_out_at": None}
    with pytest.raises(Http404):
        record_correct(user=other_clerk, reason="x", **kwargs)
    with pytest.raises(PermissionDenied):
        record_correct(user=member, reason="x", **kwargs)
    assert not AttendanceRecord.objects.exists()


@pytest.mark.django_db
def test_att1_clerk_does_not_correct_own_record_nor_the_future(clerk_setup):
    community, clerk, _worker = clerk_setup
    own = WorkerFactory(community=community, user=clerk)
    with pytest.raises(RuleViolation, match="本人"):
        record_correct(
            user=clerk, worker=own, day=MONDAY, sign_in_at=T(8), sign_out_at=None, reason="x"
        )
    other = WorkerFactory(community=community)
    with pytest.raises(RuleViolation, match="尚未到来"):
        record_correct(
            user=clerk,
            worker=other,
            day=timezone.localdate() + dt.timedelta(days=1),
            sign_in_at=T(8),
            sign_out_at=None,
            reason="x",
        )


@pytest.mark.django_db
def test_att1_sign_out_before_sign_in_refused(clerk_setup):
    _community, clerk, worker = clerk_setup
    with pytest.raises(ValidationError, match=r"\[ATT-1\] 签退时间须晚于签到时间"):
        record_correct(
            user=clerk, worker=worker, day=MONDAY, sign_in_at=T(9), sign_out_at=T(8), reason="x"
        )


# --- the register and absence ------------------------------------------------------------------


@pytest.mark.django_db
def test_att1_register_of_a_day_and_absence_on_a_working_day(clerk_setup):
    community, _clerk, worker = clerk_setup
    late = WorkerFactory(community=community)
    absent = WorkerFactory(community=community)
    WorkerFactory(community=community, hired_on=MONDAY + dt.timedelta(days=1))  # not yet
    AttendanceRecordFactory(worker=worker, date=MONDAY)
    AttendanceRecordFactory(worker=late, date=MONDAY, sign_in_at=at(MONDAY, 8, 45))
    grid = register_day(community=community, day=MONDAY)
    symbols = {row.worker.pk: row.marks[MONDAY].symbol for row in grid.rows}
    assert symbols == {worker.pk: "√", late.pk: "迟", absent.pk: "旷"}


@pytest.mark.django_db
def test_att1_no_sign_in_on_a_rest_day_is_not_absence(clerk_setup):
    community, _clerk, worker = clerk_setup
    saturday, make_up = dt.date(2024, 11, 16), dt.date(2024, 10, 12)
    grid = grid_for(community, saturday, saturday)
    assert grid.rows[0].marks[saturday].symbol == "休"
    grid = grid_for(community, make_up, make_up)
    assert grid.rows[0].marks[make_up].symbol == "旷"  # the make-up Saturday is worked
