"""STAFF-2 subsidies: the monthly payroll sheet (standard per post, one standard per person,
STAFF-4 stop month, FIN-9 cap, net, draft → submitted → approved → locked, who may do what,
two concurrent approvals), its export and admin, and the 004 三(二)2 wage-gap report."""

import datetime as dt
import threading
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.urls import reverse
from openpyxl import load_workbook

from core.errors import RuleViolation
from core.models import FindingStatus, PolicyProfile, Role
from staffing import rules
from staffing.checks import payroll as payroll_check
from staffing.models import (
    AverageWage,
    InsuranceRate,
    Payroll,
    PayrollLine,
    PayrollLineEvent,
    PayrollState,
    Post,
    PostTerm,
    SubsidyGrade,
)
from staffing.payroll import (
    payroll_approve,
    payroll_delete,
    payroll_generate,
    payroll_line_save,
    payroll_lock,
    payroll_return,
    payroll_submit,
    street_data_save,
    wage_gap_report,
)
from tests.factories import CommunityFactory, StreetFactory, user_with_role
from tests.helpers import query_count
from tests.staffing.factories import PostTermFactory, WorkerFactory

D = dt.date
JAN, FEB = D(2025, 1, 1), D(2025, 2, 1)


def _profile(**values):
    """A fresh profile (model defaults: 1200 / 1100 / 1000, catch-up 10%)."""
    profile = PolicyProfile.objects.create(
        code=f"p{PolicyProfile.objects.count()}", name=f"方案{PolicyProfile.objects.count()}"
    )
    for name, value in values.items():
        setattr(profile, name, value)
    profile.save()
    return profile


def _community(**profile_values):
    return CommunityFactory(profile=_profile(**profile_values))


def _worker(community, *posts, name=None, full_time=True, start=D(2024, 1, 1), end=None):
    worker = WorkerFactory(
        community=community, is_full_time=full_time, **({"name": name} if name else {})
    )
    for post in posts:
        PostTermFactory(worker=worker, post=post, starts_on=start, ends_on=end)
    return worker


def _director(community):
    return user_with_role(Role.COMMITTEE_DIRECTOR, community=community)


def _principal(community):
    return user_with_role(Role.STREET_PRINCIPAL, street=community.street)


def _line(payroll, worker):
    return PayrollLine.objects.get(payroll=payroll, worker=worker)


def _submitted(community, month=JAN):
    director = _director(community)
    payroll = payroll_generate(user=director, community=community, month=month)
    return payroll_submit(user=director, payroll=payroll)


# --- the standard of a post -----------------------------------------------------------------


@pytest.mark.parametrize(
    "post, full_time, grade",
    [
        (Post.PARTY_SECRETARY, True, SubsidyGrade.SECRETARY),
        (Post.PARTY_DEPUTY_SECRETARY, True, SubsidyGrade.DEPUTY),
        (Post.COMMITTEE_DIRECTOR, True, SubsidyGrade.DEPUTY),
        (Post.COMMITTEE_DEPUTY_DIRECTOR, True, SubsidyGrade.MEMBER),
        (Post.PARTY_MEMBER, True, SubsidyGrade.MEMBER),
        (Post.COMMITTEE_MEMBER, True, SubsidyGrade.MEMBER),
        (Post.COMMITTEE_MEMBER, False, SubsidyGrade.MEMBER),
        (Post.SERVICE_STAFF, True, SubsidyGrade.MEMBER),
        (Post.GRID_WORKER, True, SubsidyGrade.MEMBER),
        (Post.ACCOUNTANT, True, SubsidyGrade.MEMBER),
        (Post.CASHIER, True, SubsidyGrade.MEMBER),
        (Post.GRID_WORKER, False, None),
        (Post.OWNERS_COMMITTEE_MEMBER, True, None),
    ],
)
def test_staff2_grade_of_each_post(post, full_time, grade):
    assert rules.post_grade(post, full_time=full_time) == grade


@pytest.mark.django_db
def test_staff2_standard_per_post_comes_from_the_profile():
    community = _community(
        subsidy_secretary=Decimal("1500.00"),
        subsidy_deputy=Decimal("1400.00"),
        subsidy_member=Decimal("1300.00"),
    )
    secretary = _worker(community, Post.PARTY_SECRETARY)
    director = _worker(community, Post.COMMITTEE_DIRECTOR)
    member = _worker(community, Post.COMMITTEE_MEMBER)
    grid = _worker(community, Post.GRID_WORKER)
    part_time_grid = _worker(community, Post.GRID_WORKER, full_time=False)
    owners = _worker(community, Post.OWNERS_COMMITTEE_MEMBER)
    payroll = payroll_generate(user=_director(community), community=community, month=JAN)
    standards = dict(payroll.lines.values_list("worker_id", "standard"))
    assert standards == {
        secretary.pk: Decimal("1500.00"),
        director.pk: Decimal("1400.00"),
        member.pk: Decimal("1300.00"),
        grid.pk: Decimal("1300.00"),
    }
    assert part_time_grid.pk not in standards and owners.pk not in standards


@pytest.mark.django_db
def test_staff2_several_posts_take_the_highest_one_standard_not_the_sum():
    community = _community()
    both = _worker(
        community, Post.PARTY_SECRETARY, Post.COMMITTEE_DIRECTOR, Post.GRID_WORKER, name="一肩挑"
    )
    two_members = _worker(community, Post.PARTY_MEMBER, Post.COMMITTEE_MEMBER)
    payroll = payroll_generate(user=_director(community), community=community, month=JAN)
    line = _line(payroll, both)
    assert line.grade == SubsidyGrade.SECRETARY
    assert line.standard == Decimal("1200.00")
    assert line.posts == "党组织书记、居委会主任、网格员"
    assert _line(payroll, two_members).standard == Decimal("1000.00")
    assert payroll.lines.count() == 2


def test_staff2_highest_compares_the_profiles_amounts():
    profile = PolicyProfile(
        subsidy_secretary=Decimal("1000"), subsidy_deputy=Decimal("1300"), subsidy_member=1000
    )
    posts = [Post.PARTY_SECRETARY, Post.COMMITTEE_DIRECTOR]
    assert rules.subsidy_grade(posts, profile, full_time=True) == SubsidyGrade.DEPUTY
    assert rules.subsidy_grade([Post.OWNERS_COMMITTEE_MEMBER], profile, full_time=True) is None


# --- STAFF-4: the month the subsidy stops ---------------------------------------------------


def _reselect(term, reappointed):
    PostTerm.objects.filter(pk=term.pk).update(reappointed=reappointed, reselected_on=term.ends_on)


@pytest.mark.django_db
def test_staff4_not_reappointed_on_january_sheet_not_on_february():
    community = _community()
    worker = _worker(community, Post.COMMITTEE_MEMBER, start=D(2022, 2, 1), end=D(2025, 1, 31))
    _reselect(worker.terms.get(), False)
    user = _director(community)
    january = payroll_generate(user=user, community=community, month=JAN)
    february = payroll_generate(user=user, community=community, month=FEB)
    assert january.lines.filter(worker=worker).exists()
    assert not february.lines.filter(worker=worker).exists()


@pytest.mark.django_db
def test_staff4_ending_mid_month_is_paid_that_whole_month():
    community = _community()
    worker = _worker(community, Post.COMMITTEE_MEMBER, start=D(2022, 2, 1), end=D(2025, 1, 1))
    _reselect(worker.terms.get(), False)
    january = payroll_generate(user=_director(community), community=community, month=JAN)
    assert _line(january, worker).standard == Decimal("1000.00")


@pytest.mark.django_db
def test_staff4_reappointed_continues_through_the_following_term():
    community = _community()
    worker = _worker(community, Post.COMMITTEE_DIRECTOR, start=D(2022, 2, 1), end=D(2025, 1, 31))
    _reselect(worker.terms.get(), True)
    PostTermFactory(worker=worker, post=Post.COMMITTEE_DIRECTOR, starts_on=D(2025, 2, 1))
    february = payroll_generate(user=_director(community), community=community, month=FEB)
    line = _line(february, worker)
    assert line.standard == Decimal("1100.00") and not line.reselection_pending


@pytest.mark.django_db
def test_staff4_undecided_reselection_stays_on_the_sheet_flagged():
    community = _community()
    worker = _worker(community, Post.COMMITTEE_MEMBER, start=D(2022, 2, 1), end=D(2025, 1, 31))
    user = _director(community)
    january = payroll_generate(user=user, community=community, month=JAN)
    february = payroll_generate(user=user, community=community, month=FEB)
    assert _line(january, worker).reselection_pending is False
    line = _line(february, worker)
    assert line.reselection_pending is True and line.standard == Decimal("1000.00")


@pytest.mark.django_db
def test_staff4_left_worker_and_future_term_not_on_the_sheet():
    community = _community()
    left = _worker(community, Post.COMMITTEE_MEMBER)
    left.left_on = D(2024, 12, 31)
    left.save()
    later = _worker(community, Post.COMMITTEE_MEMBER, start=D(2025, 2, 1))
    january = payroll_generate(user=_director(community), community=community, month=JAN)
    assert not january.lines.filter(worker__in=[left, later]).exists()


# --- STAFF-2 / FIN-9: never above the street's standard -------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount, allowed",
    [("999.99", True), ("1000.00", True), ("1000.01", False), ("1200.00", False)],
)
def test_staff2_line_standard_cap_at_the_boundary(amount, allowed):
    community = _community()
    worker = _worker(community, Post.COMMITTEE_MEMBER)
    user = _director(community)
    payroll = payroll_generate(user=user, community=community, month=JAN)
    line = _line(payroll, worker)
    line.standard = Decimal(amount)
    if allowed:
        payroll_line_save(user=user, line=line)
        line.refresh_from_db()
        assert line.standard == Decimal(amount) and line.net == Decimal(amount)
    else:
        with pytest.raises(RuleViolation) as err:
            payroll_line_save(user=user, line=line)
        assert err.value.rule_id == "STAFF-2"
        assert "FIN-9" in " ".join(err.value.messages)
        line.refresh_from_db()
        assert line.standard == Decimal("1000.00")


@pytest.mark.django_db
def test_staff2_profile_lowered_after_generation_refused_at_submission():
    community = _community()
    _worker(community, Post.COMMITTEE_MEMBER)
    user = _director(community)
    payroll = payroll_generate(user=user, community=community, month=JAN)
    PolicyProfile.objects.filter(pk=community.profile_id).update(subsidy_member=Decimal("999.99"))
    with pytest.raises(RuleViolation) as err:
        payroll_submit(user=user, payroll=payroll)
    assert err.value.rule_id == "STAFF-2"
    payroll.refresh_from_db()
    assert payroll.state == PayrollState.DRAFT


# --- net, rounding, insurance ---------------------------------------------------------------


@pytest.mark.parametrize(
    "standard, deduction, personal, net",
    [
        ("1000.00", "0", "0", "1000.00"),
        ("1200.00", "55.17", "105.00", "1039.83"),
        ("1000.00", "1000.00", "0", "0.00"),
        ("1000", "45.977", "0.005", "954.01"),  # each part to the cent, half up: 45.98, 0.01
    ],
)
def test_staff2_net_is_standard_less_deduction_less_personal_insurance(
    standard, deduction, personal, net
):
    assert rules.payroll_net(Decimal(standard), Decimal(deduction), Decimal(personal)) == Decimal(
        net
    )


@pytest.mark.parametrize(
    "base, pct, amount",
    [
        ("1000.00", "10.5", "105.00"),
        ("1000.00", "0.1235", "1.24"),  # 1.235 → half up
        ("1000.00", "0.1234", "1.23"),
        ("1100.00", "0", "0.00"),
    ],
)
def test_staff2_insurance_part_rounds_half_up(base, pct, amount):
    assert rules.insurance_part(Decimal(base), Decimal(pct)) == Decimal(amount)


@pytest.mark.django_db
def test_staff2_insurance_defaults_from_the_street_rate_and_net():
    community = _community()
    worker = _worker(community, Post.COMMITTEE_DIRECTOR)
    InsuranceRate.objects.create(
        street=community.street, year=2025, personal_pct=Decimal("10.5"), unit_pct=Decimal("16")
    )
    payroll = payroll_generate(user=_director(community), community=community, month=JAN)
    line = _line(payroll, worker)
    assert line.insurance_personal == Decimal("115.50")  # 1100 × 10.5 %
    assert line.insurance_unit == Decimal("176.00")
    assert line.net == Decimal("984.50")  # the unit part is not deducted


@pytest.mark.django_db
def test_staff2_personal_insurance_above_the_standard_refused():
    community = _community()
    worker = _worker(community, Post.COMMITTEE_MEMBER)
    user = _director(community)
    payroll = payroll_generate(user=user, community=community, month=JAN)
    line = _line(payroll, worker)
    line.insurance_personal = Decimal("1000.01")
    with pytest.raises(RuleViolation) as err:
        payroll_line_save(user=user, line=line)
    assert err.value.rule_id == "STAFF-2"


@pytest.mark.django_db
def test_staff2_regeneration_is_idempotent_and_keeps_typed_insurance():
    community = _community()
    worker = _worker(community, Post.COMMITTEE_MEMBER)
    gone = _worker(community, Post.GRID_WORKER)
    user = _director(community)
    payroll = payroll_generate(user=user, community=community, month=JAN)
    line = _line(payroll, worker)
    line.insurance_personal, line.note = Decimal("80.00"), "个人部分按实缴"
    payroll_line_save(user=user, line=line)
    events = PayrollLineEvent.objects.count()
    again = payroll_generate(user=user, community=community, month=JAN)
    assert again.pk == payroll.pk and again.lines.count() == 2
    assert PayrollLineEvent.objects.count() == events  # nothing changed, nothing written
    line.refresh_from_db()
    assert (line.insurance_personal, line.note, line.net) == (
        Decimal("80.00"),
        "个人部分按实缴",
        Decimal("920.00"),
    )
    gone.terms.update(ends_on=D(2024, 12, 31), reappointed=False)
    PolicyProfile.objects.filter(pk=community.profile_id).update(subsidy_member=Decimal("1050"))
    payroll_generate(user=user, community=community, month=D(2025, 1, 20))
    assert Payroll.objects.count() == 1
    assert list(payroll.lines.values_list("worker_id", "standard", "net")) == [
        (worker.pk, Decimal("1050.00"), Decimal("970.00"))
    ]


@pytest.mark.django_db
def test_staff2_future_month_refused():
    community = _community()
    with pytest.raises(RuleViolation):
        payroll_generate(user=_director(community), community=community, month=D(2999, 1, 1))
    assert not Payroll.objects.exists()


# --- transitions and who may make them ------------------------------------------------------


@pytest.mark.django_db
def test_staff2_director_generates_and_submits_street_principal_approves():
    community = _community()
    _worker(community, Post.COMMITTEE_MEMBER)
    director = _director(community)
    payroll = payroll_generate(user=director, community=community, month=JAN)
    payroll = payroll_submit(user=director, payroll=payroll)
    assert payroll.state == PayrollState.SUBMITTED and payroll.submitted_by == director
    with pytest.raises(PermissionDenied):
        payroll_approve(user=director, payroll=payroll)
    secretary = user_with_role(Role.PARTY_SECRETARY, community=community)
    with pytest.raises(PermissionDenied):
        payroll_approve(user=secretary, payroll=payroll)
    street_admin = user_with_role(Role.STREET_ADMIN, street=community.street)
    with pytest.raises(PermissionDenied):
        payroll_approve(user=street_admin, payroll=payroll)
    principal = _principal(community)
    payroll = payroll_approve(user=principal, payroll=payroll)
    assert payroll.state == PayrollState.APPROVED and payroll.approved_by == principal
    payroll = payroll_lock(user=principal, payroll=payroll)
    assert payroll.state == PayrollState.LOCKED


@pytest.mark.django_db
def test_staff2_social_affairs_chief_approves_deputy_cannot_submit():
    community = _community()
    _worker(community, Post.COMMITTEE_MEMBER)
    deputy = user_with_role(Role.DEPUTY, community=community)
    payroll = payroll_generate(user=deputy, community=community, month=JAN)
    with pytest.raises(PermissionDenied):
        payroll_submit(user=deputy, payroll=payroll)
    payroll = payroll_submit(user=_director(community), payroll=payroll)
    chief = user_with_role(Role.SOCIAL_AFFAIRS_CHIEF, street=community.street)
    assert payroll_approve(user=chief, payroll=payroll).state == PayrollState.APPROVED


@pytest.mark.django_db
def test_staff2_street_of_another_street_cannot_approve():
    community = _community()
    _worker(community, Post.COMMITTEE_MEMBER)
    payroll = _submitted(community)
    other = user_with_role(Role.STREET_PRINCIPAL, street=StreetFactory())
    with pytest.raises(Http404):
        payroll_approve(user=other, payroll=payroll)


@pytest.mark.django_db
def test_staff2_approval_needs_a_submitted_sheet_and_happens_once():
    community = _community()
    _worker(community, Post.COMMITTEE_MEMBER)
    director, principal = _director(community), _principal(community)
    payroll = payroll_generate(user=director, community=community, month=JAN)
    with pytest.raises(RuleViolation):
        payroll_approve(user=principal, payroll=payroll)
    payroll_submit(user=director, payroll=payroll)
    payroll_approve(user=principal, payroll=payroll)
    with pytest.raises(RuleViolation):
        payroll_approve(user=principal, payroll=payroll)


@pytest.mark.django_db
def test_staff2_street_returns_a_submitted_sheet_with_a_reason():
    community = _community()
    worker = _worker(community, Post.COMMITTEE_MEMBER)
    payroll = _submitted(community)
    director, principal = _director(community), _principal(community)
    line = _line(payroll, worker)
    line.note = "改"
    with pytest.raises(RuleViolation):
        payroll_line_save(user=director, line=line)  # submitted: not editable
    with pytest.raises(PermissionDenied):
        payroll_return(user=director, payroll=payroll, reason="自行撤回")
    payroll = payroll_return(user=principal, payroll=payroll, reason="社保个人部分有误")
    assert payroll.state == PayrollState.DRAFT and payroll.returned_reason == "社保个人部分有误"
    payroll_line_save(user=director, line=line)
    payroll_submit(user=director, payroll=payroll)


@pytest.mark.django_db
def test_staff2_empty_sheet_cannot_be_submitted():
    community = _community()
    director = _director(community)
    payroll = payroll_generate(user=director, community=community, month=JAN)
    with pytest.raises(RuleViolation):
        payroll_submit(user=director, payroll=payroll)


@pytest.mark.django_db
def test_staff2_after_approval_every_change_refused():
    community = _community()
    worker = _worker(community, Post.COMMITTEE_MEMBER)
    payroll = payroll_approve(user=_principal(community), payroll=_submitted(community))
    director = _director(community)
    line = _line(payroll, worker)
    line.standard = Decimal("900.00")
    attempts = [
        lambda: payroll_line_save(user=director, line=line),
        lambda: payroll_generate(user=director, community=community, month=JAN),
        lambda: payroll_delete(user=director, instance=payroll),
        lambda: payroll_submit(user=director, payroll=payroll),
        lambda: payroll_return(user=_principal(community), payroll=payroll, reason="再改"),
    ]
    for attempt in attempts:
        with pytest.raises(RuleViolation) as err:
            attempt()
        assert err.value.rule_id == "STAFF-2"
    payroll_lock(user=_principal(community), payroll=payroll)
    with pytest.raises(RuleViolation) as err:
        payroll_generate(user=director, community=community, month=JAN)
    assert "不得再更改" in " ".join(err.value.messages)
    line.refresh_from_db()
    assert line.standard == Decimal("1000.00")
    assert Payroll.objects.filter(pk=payroll.pk).exists()


@pytest.mark.django_db
def test_staff2_draft_can_be_deleted():
    community = _community()
    _worker(community, Post.COMMITTEE_MEMBER)
    director = _director(community)
    payroll = payroll_generate(user=director, community=community, month=JAN)
    payroll_delete(user=director, instance=payroll)
    assert not Payroll.objects.exists() and not PayrollLine.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_staff2_two_concurrent_approvals_only_one_wins():
    community = _community()
    _worker(community, Post.COMMITTEE_MEMBER)
    payroll = _submitted(community)
    approvers = [
        _principal(community),
        user_with_role(Role.SOCIAL_AFFAIRS_CHIEF, street=community.street),
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(user):
        try:
            barrier.wait(timeout=10)
            payroll_approve(user=user, payroll=Payroll(pk=payroll.pk))
            outcomes.append(("approved", user.pk))
        except RuleViolation:
            outcomes.append(("refused", user.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(o for o, _u in outcomes) == ["approved", "refused"]
    payroll.refresh_from_db()
    winner = next(u for o, u in outcomes if o == "approved")
    assert payroll.state == PayrollState.APPROVED and payroll.approved_by_id == winner


# --- scoping --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff2_other_communitys_payroll_is_missing(client, ab):
    _worker(ab["b"], Post.COMMITTEE_MEMBER)
    payroll_b = payroll_generate(user=_director(ab["b"]), community=ab["b"], month=JAN)
    with pytest.raises(Http404):
        payroll_generate(user=ab["user_a"], community=ab["b"], month=JAN)
    with pytest.raises(Http404):
        payroll_submit(user=ab["user_a"], payroll=payroll_b)
    line_b = payroll_b.lines.get()
    line_b.note = "越权"
    with pytest.raises(Http404):
        payroll_line_save(user=ab["user_a"], line=line_b)
    client.force_login(ab["user_a"])
    for url in (
        reverse("admin:staffing_payroll_change", args=[payroll_b.pk]),
        reverse("admin:staffing_payroll_export", args=[payroll_b.pk]),
    ):
        assert client.get(url).status_code == 404, url
    url = reverse("admin:staffing_payroll_transition", args=[payroll_b.pk, "submit"])
    assert client.post(url).status_code == 404
    listing = client.get(reverse("admin:staffing_payroll_changelist")).content.decode()
    assert "乙社区" not in listing
    response = client.post(
        reverse("admin:staffing_payroll_add"), {"community": ab["b"].pk, "month": "2025-02-01"}
    )
    assert response.status_code == 200
    assert "community" in response.context["adminform"].form.errors
    payroll_b.refresh_from_db()
    assert payroll_b.state == PayrollState.DRAFT
    assert Payroll.objects.count() == 1


# --- admin ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff2_admin_add_generates_and_buttons_move_the_state(client):
    community = _community()
    worker = _worker(community, Post.PARTY_SECRETARY)
    client.force_login(_director(community))
    assert client.get(reverse("admin:staffing_payroll_add")).status_code == 200
    assert client.get(reverse("admin:staffing_payroll_changelist")).status_code == 200
    response = client.post(
        reverse("admin:staffing_payroll_add"), {"community": community.pk, "month": "2025-01-17"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    payroll = Payroll.objects.get()
    assert payroll.month == JAN and _line(payroll, worker).standard == Decimal("1200.00")
    change = reverse("admin:staffing_payroll_change", args=[payroll.pk])
    body = client.get(change).content.decode()
    assert "上报街道" in body and "审批通过" not in body
    client.post(reverse("admin:staffing_payroll_transition", args=[payroll.pk, "submit"]))
    payroll.refresh_from_db()
    assert payroll.state == PayrollState.SUBMITTED
    client.post(reverse("admin:staffing_payroll_transition", args=[payroll.pk, "approve"]))
    payroll.refresh_from_db()
    assert payroll.state == PayrollState.SUBMITTED  # the director may not approve

    client.force_login(_principal(community))
    body = client.get(change).content.decode()
    assert "审批通过" in body
    client.post(reverse("admin:staffing_payroll_transition", args=[payroll.pk, "approve"]))
    payroll.refresh_from_db()
    assert payroll.state == PayrollState.APPROVED


def _inline_post(payroll, line, **changes):
    data = {
        "note": payroll.note,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": str(line.pk),
        "lines-0-payroll": str(payroll.pk),
        "lines-0-standard": str(line.standard),
        "lines-0-insurance_personal": str(line.insurance_personal),
        "lines-0-insurance_unit": str(line.insurance_unit),
        "lines-0-note": line.note,
    }
    data.update({f"lines-0-{k}": v for k, v in changes.items()})
    return data


@pytest.mark.django_db
def test_staff2_admin_inline_edit_goes_through_the_service(client):
    community = _community()
    worker = _worker(community, Post.COMMITTEE_MEMBER)
    director = _director(community)
    payroll = payroll_generate(user=director, community=community, month=JAN)
    line = _line(payroll, worker)
    client.force_login(director)
    url = reverse("admin:staffing_payroll_change", args=[payroll.pk])
    response = client.post(url, _inline_post(payroll, line, standard="1000.01"))
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["inline_admin_formsets"][0].formset.errors)
    assert "STAFF-2" in errors and "FIN-9" in errors
    response = client.post(url, _inline_post(payroll, line, insurance_personal="105.00"))
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.insurance_personal == Decimal("105.00") and line.net == Decimal("895.00")

    payroll_submit(user=director, payroll=payroll)
    response = client.post(url, _inline_post(payroll, line, insurance_personal="1.00"))
    assert response.status_code == 403
    body = client.get(url).content.decode()
    assert 'name="lines-0-standard"' not in body
    line.refresh_from_db()
    assert line.insurance_personal == Decimal("105.00")


def _grow(street, communities, workers):
    for _ in range(communities):
        community = CommunityFactory(street=street)
        for _ in range(workers):
            _worker(community, Post.COMMITTEE_MEMBER)
        admin = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
        payroll_generate(user=admin, community=community, month=JAN)
        payroll_generate(user=admin, community=community, month=FEB)


@pytest.mark.django_db
def test_staff2_payroll_changelist_query_count_is_fixed(client):
    street = StreetFactory()
    client.force_login(user_with_role(Role.STREET_PRINCIPAL, street=street))
    url = reverse("admin:staffing_payroll_changelist")
    _grow(street, 2, 2)
    client.get(url)
    small = query_count(client, url)
    _grow(street, 6, 3)
    large = query_count(client, url)
    assert large == small, f"{small} queries at 4 sheets, {large} at 16"


@pytest.mark.django_db
@pytest.mark.parametrize("draft", [True, False])
def test_staff2_payroll_change_page_query_count_is_fixed(client, draft):
    def sheet(n):
        community = _community()
        for _ in range(n):
            _worker(community, Post.COMMITTEE_MEMBER)
        payroll = payroll_generate(user=_director(community), community=community, month=JAN)
        if not draft:
            payroll_submit(user=_director(community), payroll=payroll)
        return community, payroll

    small_c, small = sheet(2)
    large_c, large = sheet(12)
    user = user_with_role(Role.STREET_PRINCIPAL, street=small_c.street)
    user2 = user_with_role(Role.STREET_PRINCIPAL, street=large_c.street)
    client.force_login(user)
    url = reverse("admin:staffing_payroll_change", args=[small.pk])
    client.get(url)
    n_small = query_count(client, url)
    client.force_login(user2)
    url = reverse("admin:staffing_payroll_change", args=[large.pk])
    client.get(url)
    n_large = query_count(client, url)
    assert n_large == n_small, f"{n_small} queries at 2 lines, {n_large} at 12"


# --- export ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff2_export_has_chinese_headers_rows_and_totals(client):
    community = _community()
    _worker(community, Post.PARTY_SECRETARY, name="=HYPERLINK(1)")
    _worker(community, Post.COMMITTEE_MEMBER, name="张三")
    InsuranceRate.objects.create(
        street=community.street, year=2025, personal_pct=Decimal("10"), unit_pct=Decimal("16")
    )
    director = _director(community)
    payroll = payroll_generate(user=director, community=community, month=JAN)
    client.force_login(director)
    response = client.get(reverse("admin:staffing_payroll_export", args=[payroll.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert "生活补贴发放表" in rows[0][0]
    assert rows[1][:5] == ("序号", "姓名", "当月职务", "适用标准", "生活补贴（元）")
    assert rows[1][9] == "实发金额（元）"
    names = {r[1] for r in rows[2:-1]}
    assert names == {"'=HYPERLINK(1)", "张三"}
    total = rows[-1]
    assert total[0] == "合计"
    assert Decimal(str(total[4])) == Decimal("2200.00")
    assert Decimal(str(total[7])) == Decimal("220.00")
    assert Decimal(str(total[8])) == Decimal("352.00")
    assert Decimal(str(total[9])) == Decimal("1980.00")


# --- the wage-gap report (004 三(二)2) ------------------------------------------------------


@pytest.mark.parametrize(
    "standard, average, pct, expected",
    [
        ("3000.00", "3000.00", 10, "3000.00"),  # gap 0: unchanged
        ("3500.00", "3000.00", 10, "3500.00"),  # above the average: unchanged, never lowered
        ("1000.00", "3000.00", 10, "1200.00"),  # gap 2000 × 10 %
        ("1000.00", "3000.00", 20, "1400.00"),  # gap 2000 × 20 %
        ("2999.99", "3000.00", 10, "3000.00"),  # 0.001 rounds up to a cent, closing the gap
        ("2999.90", "3000.00", 20, "2999.92"),
        ("1000.00", "1000.05", 10, "1000.01"),
    ],
)
def test_staff2_catch_up_plan_boundaries(standard, average, pct, expected):
    assert rules.next_year_standard(Decimal(standard), Decimal(average), pct) == Decimal(expected)
    assert rules.next_year_standard(Decimal(standard), Decimal(average), pct) <= max(
        Decimal(standard), Decimal(average)
    )


@pytest.mark.parametrize(
    "standard, average, gap",
    [("1000", "3000", "2000"), ("3000", "3000", "0"), ("3000.01", "3000", "0")],
)
def test_staff2_wage_gap_never_negative(standard, average, gap):
    assert rules.wage_gap(Decimal(standard), Decimal(average)) == Decimal(gap)


@pytest.mark.django_db
def test_staff2_wage_gap_report_rows_and_admin_view(client):
    community = _community(wage_catchup_pct=20)
    other = CommunityFactory()
    AverageWage.objects.create(
        street=community.street, year=2025, monthly_amount=Decimal("4000.00"), source="统计公报"
    )
    director = _director(community)
    report = wage_gap_report(user=director, year=2026)
    assert [r.community for r in report.rows] == [community] * 3
    secretary = report.rows[0]
    assert secretary.grade == SubsidyGrade.SECRETARY
    assert (secretary.standard, secretary.gap, secretary.next_standard) == (
        Decimal("1200.00"),
        Decimal("2800.00"),
        Decimal("1760.00"),
    )
    assert wage_gap_report(user=director, year=2027).rows[0].average is None
    client.force_login(director)
    body = client.get(reverse("admin:staffing_payroll_wage_gap") + "?year=2026").content.decode()
    assert "1760.00" in body and other.name not in body
    response = client.get(reverse("admin:staffing_payroll_wage_gap_export") + "?year=2026")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][3] == "2026 年月补贴标准（元）"
    assert len(rows) == 4
    assert client.get(reverse("admin:staffing_payroll_wage_gap") + "?year=x").status_code == 404


@pytest.mark.django_db
def test_staff2_average_wage_written_by_street_roles_of_that_street_only():
    community = _community()
    wage = AverageWage(street=community.street, year=2025, monthly_amount=Decimal("4000"))
    wage.source = "统计公报"
    with pytest.raises(PermissionDenied):
        street_data_save(user=_director(community), instance=wage)
    with pytest.raises(Http404):
        street_data_save(
            user=user_with_role(Role.STREET_ADMIN, street=StreetFactory()), instance=wage
        )
    street_data_save(user=user_with_role(Role.STREET_ADMIN, street=community.street), instance=wage)
    assert AverageWage.objects.count() == 1


# --- the compliance check -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today, approved, status",
    [
        (D(2025, 2, 10), False, FindingStatus.OK),
        (D(2025, 2, 11), False, FindingStatus.WARNING),
        (D(2025, 2, 11), True, FindingStatus.OK),
    ],
)
def test_staff2_check_last_month_not_approved_by_the_10th(monkeypatch, today, approved, status):
    community = _community()
    _worker(community, Post.COMMITTEE_MEMBER)
    payroll = _submitted(community, JAN)
    if approved:
        payroll_approve(user=_principal(community), payroll=payroll)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: today)
    result = payroll_check(community, community.profile)
    assert result.status == status


@pytest.mark.django_db
def test_staff2_check_standard_above_the_profile_is_a_violation(monkeypatch):
    community = _community()
    _worker(community, Post.COMMITTEE_MEMBER, name="王五")
    payroll_generate(user=_director(community), community=community, month=JAN)
    PolicyProfile.objects.filter(pk=community.profile_id).update(subsidy_member=Decimal("900"))
    community.profile.refresh_from_db()
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: D(2025, 1, 20))
    result = payroll_check(community, community.profile)
    assert result.status == FindingStatus.VIOLATION
    assert "王五" in result.message and "FIN-9" in result.message


@pytest.mark.django_db
def test_staff2_average_wage_admin_is_scoped_to_the_street(client):
    mine, theirs = StreetFactory(name="本街道"), StreetFactory(name="外街道")
    AverageWage.objects.create(street=mine, year=2025, monthly_amount=4000, source="本街道公报")
    other = AverageWage.objects.create(
        street=theirs, year=2025, monthly_amount=5000, source="外街道公报"
    )
    client.force_login(user_with_role(Role.STREET_ADMIN, street=mine))
    assert client.get(reverse("admin:staffing_averagewage_add")).status_code == 200
    assert client.get(reverse("admin:staffing_insurancerate_changelist")).status_code == 200
    body = client.get(reverse("admin:staffing_averagewage_changelist")).content.decode()
    assert "本街道公报" in body and "外街道公报" not in body
    url = reverse("admin:staffing_averagewage_change", args=[other.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        reverse("admin:staffing_averagewage_add"),
        {"street": theirs.pk, "year": 2024, "monthly_amount": "4500", "source": "伪造"},
    )
    assert response.status_code == 200
    assert "street" in response.context["adminform"].form.errors
    response = client.post(
        reverse("admin:staffing_averagewage_add"),
        {"street": mine.pk, "year": 2024, "monthly_amount": "3900", "source": "2024 年公报"},
    )
    assert response.status_code == 302
    assert AverageWage.objects.filter(street=mine).count() == 2
