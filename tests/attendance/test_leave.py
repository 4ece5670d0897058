"""ATT-2 leave (003 十三(二)(三)): working days with half days, routing by the profile at
1 / 1.5 / 3 / 3.5 days, the written request over 3 days, approvals under a row lock (two
approvers at once make one transition), nobody approves their own leave, overlapping leave
refused, and the per-day deduction fed to the payroll sheet."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from attendance import rules
from attendance.models import Decision, Leave, LeaveApproval, LeaveState, LeaveType
from attendance.selectors import deduction_for, grid_for, leave_inbox
from attendance.services import leave_decide, leave_request, leave_withdraw
from core.errors import RuleViolation
from core.models import LeaveMidApprover, Role
from staffing.models import Post
from staffing.payroll import payroll_deductions_for, payroll_generate
from tests.factories import CommunityFactory, PolicyProfileFactory, UserFactory, user_with_role
from tests.staffing.factories import PostTermFactory, WorkerFactory

D = dt.date
MON = D(2024, 11, 18)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

# (end date, ends at noon) for a leave starting Monday 18 November 2024, by working days.
SPANS = {
    "1": (D(2024, 11, 18), False),
    "1.5": (D(2024, 11, 19), True),
    "3": (D(2024, 11, 20), False),
    "3.5": (D(2024, 11, 21), True),
}
DIRECTOR, STREET = ("director",), ("chief", "deputy")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _profile(**values):
    return PolicyProfileFactory(code=f"p{len(values)}-{sorted(values.items())}"[:40], **values)


@pytest.fixture
def setup(db):
    community = CommunityFactory()
    return _setup(community)


def _setup(community):
    user = UserFactory()
    worker = WorkerFactory(community=community, user=user)
    PostTermFactory(worker=worker, post=Post.COMMITTEE_MEMBER)
    street = community.street
    return {
        "community": community,
        "user": user,
        "worker": worker,
        "director": user_with_role(Role.COMMITTEE_DIRECTOR, community=community),
        "chief": user_with_role(Role.SOCIAL_AFFAIRS_CHIEF, street=street),
        "deputy": user_with_role(Role.DEPUTY_DIRECTOR, street=street),
    }


def _pdf(name="请假条.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _ask(s, days="1", **kwargs):
    end, end_half = SPANS[days]
    kwargs.setdefault("attachment", _pdf() if Decimal(days) > 1 else None)
    return leave_request(
        user=s["user"],
        leave_type=kwargs.pop("leave_type", LeaveType.PERSONAL),
        start_date=kwargs.pop("start_date", MON),
        end_date=kwargs.pop("end_date", end),
        end_half=kwargs.pop("end_half", end_half),
        reason=kwargs.pop("reason", "家中有事"),
        **kwargs,
    )


# --- routing (pure and through the service) -----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "profile_values, expected",
    [
        ({}, {"1": DIRECTOR, "1.5": DIRECTOR, "3": DIRECTOR, "3.5": STREET}),
        (
            {"leave_mid_approver": LeaveMidApprover.STREET},
            {"1": DIRECTOR, "1.5": STREET, "3": STREET, "3.5": STREET},
        ),
        (
            {"leave_director_max_days": Decimal("1.5"), "leave_street_over_days": Decimal("3.5")},
            {"1": DIRECTOR, "1.5": DIRECTOR, "3": DIRECTOR, "3.5": DIRECTOR},
        ),
    ],
)
def test_att2_routing_at_1_1_5_3_3_5_days(profile_values, expected):
    profile = _profile(**profile_values) if profile_values else PolicyProfileFactory()
    for days, steps in expected.items():
        assert rules.leave_route(Decimal(days), profile) == steps, days
        community = CommunityFactory(profile=profile)
        s = _setup(community)
        leave = _ask(s, days)
        assert leave.days == Decimal(days)
        assert tuple(leave.steps) == steps and leave.current_step == steps[0], days


@pytest.mark.django_db
def test_att2_directors_own_short_leave_goes_to_the_street_chief():
    community = CommunityFactory()
    s = _setup(community)
    s["user"] = s["director"]
    s["worker"] = WorkerFactory(community=community, user=s["director"])
    leave = _ask(s, "1")
    assert leave.steps == ["chief"]
    with pytest.raises(PermissionDenied):
        leave_decide(user=s["director"], leave=leave, decision=Decision.APPROVE)
    leave = leave_decide(user=s["chief"], leave=leave, decision=Decision.APPROVE)
    assert leave.state == LeaveState.APPROVED


@pytest.mark.django_db
def test_att2_leave_over_a_weekend_and_holiday_counts_working_days(setup):
    # Fri 27 Sep 2024 to Tue 8 Oct: 27, Sun 29 (make-up), 30, 8 → 4 working days.
    leave = _ask(
        setup, start_date=D(2024, 9, 27), end_date=D(2024, 10, 8), end_half=False, attachment=_pdf()
    )
    assert leave.days == Decimal("4")
    assert leave.attachment  # 4 days: the written request was required
    with pytest.raises(RuleViolation, match="没有工作日"):
        _ask(setup, start_date=D(2024, 10, 1), end_date=D(2024, 10, 7), end_half=False)


@pytest.mark.django_db
def test_att2_impossible_dates_refused(setup):
    with pytest.raises(RuleViolation, match="不能早于"):
        _ask(setup, start_date=D(2024, 11, 20), end_date=D(2024, 11, 19), end_half=False)
    with pytest.raises(RuleViolation, match="同一天"):
        _ask(setup, start_date=MON, end_date=MON, start_half=True, end_half=True)
    assert not Leave.objects.exists()


# --- the written request ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_att2_written_request_required_over_3_days_not_at_3(setup):
    _ask(setup, "3", attachment=None)  # exactly 3 days: no 请假条 needed
    Leave.objects.all().delete()
    with pytest.raises(RuleViolation) as err:
        _ask(setup, "3.5", attachment=None)
    assert err.value.rule_id == "ATT-2" and "attachment" in err.value.error_dict
    leave = _ask(setup, "3.5")
    assert leave.attachment.name.endswith(".pdf")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, content, problem",
    [
        ("请假条.exe", b"MZ\x90\x00", "只能是"),
        ("请假条.pdf", PNG, "只能是"),  # a PNG called .pdf
        ("请假条.pdf", b"", "空"),
        ("请假条.pdf", PDF + b"\x00" * (rules.MAX_ATTACHMENT_BYTES + 1 - len(PDF)), "过大"),
    ],
)
def test_att2_written_request_type_and_size_checked(setup, name, content, problem):
    with pytest.raises(RuleViolation, match=problem):
        _ask(setup, "3.5", attachment=SimpleUploadedFile(name, content))
    assert not Leave.objects.exists()


@pytest.mark.django_db
def test_att2_written_request_png_and_exactly_5_mb_accepted(setup):
    _ask(setup, "3.5", attachment=SimpleUploadedFile("a.png", PNG))
    Leave.objects.all().delete()
    big = PDF + b"\x00" * (rules.MAX_ATTACHMENT_BYTES - len(PDF))
    _ask(setup, "3.5", attachment=SimpleUploadedFile("b.pdf", big))


# --- overlap ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_att2_overlapping_leave_refused_adjacent_halves_allowed(setup):
    _ask(setup, "1.5")  # Mon, Tue morning
    with pytest.raises(RuleViolation, match="重叠"):
        _ask(setup, start_date=D(2024, 11, 19), end_date=D(2024, 11, 19), end_half=False)
    # Tuesday afternoon is free.
    _ask(
        setup, start_date=D(2024, 11, 19), start_half=True, end_date=D(2024, 11, 19), end_half=False
    )
    assert Leave.objects.count() == 2


@pytest.mark.django_db
def test_att2_rejected_or_withdrawn_leave_does_not_block(setup):
    leave = _ask(setup, "1")
    leave_decide(user=setup["director"], leave=leave, decision=Decision.REJECT, comment="人手不足")
    second = _ask(setup, "1")
    leave_withdraw(user=setup["user"], leave=second)
    _ask(setup, "1")


# --- approvals ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_att2_long_leave_chief_then_deputy_then_filed(setup):
    leave = _ask(setup, "3.5")
    with pytest.raises(PermissionDenied):
        leave_decide(user=setup["director"], leave=leave, decision=Decision.APPROVE)
    with pytest.raises(PermissionDenied):
        leave_decide(user=setup["deputy"], leave=leave, decision=Decision.APPROVE)
    leave = leave_decide(user=setup["chief"], leave=leave, decision=Decision.APPROVE)
    assert leave.state == LeaveState.PENDING and leave.current_step == "deputy"
    leave = leave_decide(user=setup["deputy"], leave=leave, decision=Decision.APPROVE)
    assert leave.state == LeaveState.FILED and leave.current_step == ""
    assert list(leave.approvals.values_list("step", flat=True)) == ["chief", "deputy"]
    with pytest.raises(RuleViolation, match="已办结"):
        leave_decide(user=setup["deputy"], leave=leave, decision=Decision.APPROVE)


@pytest.mark.django_db
def test_att2_other_street_and_other_community_cannot_decide(setup):
    leave = _ask(setup, "3.5")
    other = CommunityFactory()
    from django.http import Http404

    with pytest.raises(Http404):
        leave_decide(
            user=user_with_role(Role.SOCIAL_AFFAIRS_CHIEF, street=other.street),
            leave=leave,
            decision=Decision.APPROVE,
        )
    short = Leave.objects.get()
    short.delete()
    leave = _ask(setup, "1")
    with pytest.raises(Http404):
        leave_decide(
            user=user_with_role(Role.COMMITTEE_DIRECTOR, community=other),
            leave=leave,
            decision=Decision.APPROVE,
        )


@pytest.mark.django_db
def test_att2_nobody_approves_own_leave(setup):
    # A member who also holds the director role asks for a day off: the street decides.
    s = setup
    leave = _ask(s, "1")
    from core.services import role_assign

    role_assign(by=None, user=s["user"], role=Role.COMMITTEE_DIRECTOR, community=s["community"])
    with pytest.raises(RuleViolation, match="本人"):
        leave_decide(user=s["user"], leave=leave, decision=Decision.APPROVE)
    assert not LeaveApproval.objects.exists()


@pytest.mark.django_db
def test_att2_refusal_needs_a_reason(setup):
    leave = _ask(setup, "1")
    with pytest.raises(RuleViolation, match="理由"):
        leave_decide(user=setup["director"], leave=leave, decision=Decision.REJECT)
    leave.refresh_from_db()
    assert leave.state == LeaveState.PENDING


@pytest.mark.django_db
def test_att2_same_person_does_not_take_two_steps(setup):
    leave = _ask(setup, "3.5")
    from core.services import role_assign

    role_assign(
        by=None, user=setup["chief"], role=Role.DEPUTY_DIRECTOR, street=setup["community"].street
    )
    leave = leave_decide(user=setup["chief"], leave=leave, decision=Decision.APPROVE)
    with pytest.raises(RuleViolation, match="两个环节"):
        leave_decide(user=setup["chief"], leave=leave, decision=Decision.APPROVE)


@pytest.mark.django_db
def test_att2_inbox_shows_only_the_users_steps(setup):
    short, long_ = _ask(setup, "1"), None
    long_ = leave_request(
        user=setup["user"],
        leave_type=LeaveType.SICK,
        start_date=D(2024, 12, 2),
        end_date=D(2024, 12, 6),
        reason="住院",
        attachment=_pdf(),
    )
    assert list(leave_inbox(user=setup["director"])) == [short]
    assert list(leave_inbox(user=setup["chief"])) == [long_]
    assert list(leave_inbox(user=setup["deputy"])) == []
    assert list(leave_inbox(user=setup["user"])) == []
    assert list(leave_inbox(user=user_with_role(Role.COMMITTEE_DIRECTOR))) == []


@pytest.mark.django_db(transaction=True)
def test_att2_two_approvers_at_once_make_one_transition():
    community = CommunityFactory()
    s = _setup(community)
    second_director = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    leave = _ask(s, "1")
    barrier = threading.Barrier(2)
    outcomes = []

    def run(user):
        try:
            barrier.wait(timeout=10)
            leave_decide(user=user, leave=leave, decision=Decision.APPROVE)
            outcomes.append("done")
        except RuleViolation as err:
            outcomes.append(err.rule_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in (s["director"], second_director)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ATT-2", "done"]
    assert LeaveApproval.objects.filter(leave=leave).count() == 1
    assert Leave.objects.get(pk=leave.pk).state == LeaveState.APPROVED


# --- the register and the deduction -------------------------------------------------------------


@pytest.mark.django_db
def test_att2_granted_leave_excuses_the_days_pending_does_not(setup):
    leave = _ask(setup, "1.5")
    grid = grid_for(setup["community"], MON, D(2024, 11, 19))
    row = next(r for r in grid.rows if r.worker == setup["worker"])
    assert [row.marks[d].symbol for d in grid.dates] == ["旷", "旷"]
    leave_decide(user=setup["director"], leave=leave, decision=Decision.APPROVE)
    grid = grid_for(setup["community"], MON, D(2024, 11, 19))
    row = next(r for r in grid.rows if r.worker == setup["worker"])
    assert [row.marks[d].symbol for d in grid.dates] == ["假", "假旷"]


def _grant(s, leave):
    for step in leave.steps:
        approver = s["director"] if step == "director" else s[step]
        leave = leave_decide(user=approver, leave=leave, decision=Decision.APPROVE)
    return leave


@pytest.mark.django_db
@pytest.mark.parametrize("days, deducted", [("1", "0"), ("3", "0"), ("3.5", "3.5")])
def test_att2_deduction_only_over_3_days_by_default(setup, days, deducted):
    _grant(setup, _ask(setup, days))
    got_days, amount = deduction_for(setup["worker"], MON)
    assert got_days == Decimal(deducted)
    # member standard 1000.00 / 21.75 per day
    expected = (Decimal(deducted) * Decimal("1000") / Decimal("21.75")).quantize(Decimal("0.01"))
    assert amount == expected


@pytest.mark.django_db
def test_att2_profile_deducting_short_leave_and_other_pay_days():
    profile = _profile(leave_short_deducts_pay=True, pay_days_per_month=Decimal("20"))
    s = _setup(CommunityFactory(profile=profile))
    _grant(s, _ask(s, "1.5"))
    assert deduction_for(s["worker"], MON) == (Decimal("1.5"), Decimal("75.00"))


@pytest.mark.django_db
def test_att2_leave_across_two_months_is_deducted_in_each(setup):
    leave = leave_request(
        user=setup["user"],
        leave_type=LeaveType.PERSONAL,
        start_date=D(2024, 11, 27),
        end_date=D(2024, 12, 3),
        reason="探亲",
        attachment=_pdf(),
    )
    assert leave.days == Decimal("5")
    _grant(setup, leave)
    assert deduction_for(setup["worker"], D(2024, 11, 1))[0] == Decimal("3")
    assert deduction_for(setup["worker"], D(2024, 12, 1))[0] == Decimal("2")


@pytest.mark.django_db
def test_att2_deduction_reaches_the_payroll_sheet(setup):
    _grant(setup, _ask(setup, "3.5"))
    deduction = payroll_deductions_for(setup["worker"], D(2024, 11, 1))
    assert deduction.days == Decimal("3.5") and deduction.amount == Decimal("160.92")
    payroll = payroll_generate(user=setup["director"], community=setup["community"], month=MON)
    line = payroll.lines.get(worker=setup["worker"])
    assert (line.deduction_days, line.deduction_amount, line.net) == (
        Decimal("3.50"),
        Decimal("160.92"),
        Decimal("839.08"),
    )
