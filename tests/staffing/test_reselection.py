"""STAFF-4 re-selection (002 四(二)): recorded once through term_reselect for a term that has
ended or ends within 60 days; re-appointment opens the following term under STAFF-8; the
subsidy of those not re-appointed ends with the month of the term's end."""

import datetime as dt

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from core.errors import RuleViolation
from core.models import ComplianceFinding, FindingStatus, Role
from core.services import compliance_run
from staffing import rules
from staffing.models import Post, PostTerm
from staffing.services import staffing_save, term_reselect
from tests.factories import CommunityFactory, user_with_role
from tests.staffing.factories import PostTermFactory, WorkerFactory

DAY = dt.timedelta(days=1)


def _director(community):
    return user_with_role(Role.COMMITTEE_DIRECTOR, community=community)


def _term(ends_in_days, post=Post.COMMITTEE_MEMBER, **kw):
    today = timezone.localdate()
    return PostTermFactory(
        post=post,
        starts_on=today - dt.timedelta(days=1000),
        ends_on=today + ends_in_days * DAY,
        **kw,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("ends_in_days", [-400, -1, 0, 60])
def test_staff4_reselection_open_for_ended_or_within_60_days(ends_in_days):
    term = _term(ends_in_days)
    today = timezone.localdate()
    term, following = term_reselect(
        user=_director(term.community), term=term, reappointed=False, decided_on=today
    )
    assert following is None
    term.refresh_from_db()
    assert term.reappointed is False and term.reselected_on == today


@pytest.mark.django_db
def test_staff4_reselection_refused_61_days_before_the_end():
    term = _term(61)
    with pytest.raises(RuleViolation) as err:
        term_reselect(
            user=_director(term.community),
            term=term,
            reappointed=True,
            decided_on=timezone.localdate(),
        )
    assert err.value.rule_id == "STAFF-4"
    assert "60 天内届满" in " ".join(err.value.messages)
    term.refresh_from_db()
    assert term.reappointed is None
    assert PostTerm.objects.count() == 1


@pytest.mark.django_db
def test_staff4_reselection_refused_for_open_ended_term():
    term = PostTermFactory(ends_on=None)
    with pytest.raises(RuleViolation) as err:
        term_reselect(
            user=_director(term.community),
            term=term,
            reappointed=False,
            decided_on=timezone.localdate(),
        )
    assert err.value.rule_id == "STAFF-4"


@pytest.mark.django_db
def test_staff4_second_decision_refused():
    term = _term(10)
    user = _director(term.community)
    today = timezone.localdate()
    term_reselect(user=user, term=term, reappointed=False, decided_on=today)
    with pytest.raises(RuleViolation) as err:
        term_reselect(user=user, term=term, reappointed=True, decided_on=today)
    assert err.value.rule_id == "STAFF-4"
    assert "不得重复登记" in " ".join(err.value.messages)
    term.refresh_from_db()
    assert term.reappointed is False
    assert PostTerm.objects.count() == 1


@pytest.mark.django_db
def test_staff4_reappointed_opens_the_following_term():
    term = _term(20, selection="appointed")
    today = timezone.localdate()
    new_end = term.ends_on + dt.timedelta(days=5 * 365)
    term, following = term_reselect(
        user=_director(term.community),
        term=term,
        reappointed=True,
        new_term_end=new_end,
        decided_on=today,
    )
    assert term.reappointed is True
    assert following.pk and following.worker_id == term.worker_id
    assert following.post == term.post and following.selection == "appointed"
    assert following.starts_on == term.ends_on + DAY
    assert following.ends_on == new_end
    assert following.community_id == term.community_id
    assert following.reappointed is None
    assert rules.subsidy_ends_on(term) is None


@pytest.mark.django_db
def test_staff8_still_applies_to_the_following_term():
    """A director who became cashier after the term cannot be re-appointed director."""
    term = _term(20, post=Post.COMMITTEE_DIRECTOR)
    PostTermFactory(worker=term.worker, post=Post.CASHIER, starts_on=term.ends_on + DAY)
    with pytest.raises(RuleViolation) as err:
        term_reselect(
            user=_director(term.community),
            term=term,
            reappointed=True,
            decided_on=timezone.localdate(),
        )
    assert err.value.rule_id == "STAFF-8"
    term.refresh_from_db()
    assert term.reappointed is None
    assert PostTerm.objects.filter(post=Post.COMMITTEE_DIRECTOR).count() == 1


@pytest.mark.django_db
def test_staff4_new_end_without_reappointment_refused():
    term = _term(5)
    with pytest.raises(RuleViolation):
        term_reselect(
            user=_director(term.community),
            term=term,
            reappointed=False,
            new_term_end=term.ends_on + dt.timedelta(days=365),
            decided_on=timezone.localdate(),
        )
    term.refresh_from_db()
    assert term.reappointed is None


@pytest.mark.django_db
def test_staff4_decision_in_the_future_refused():
    term = _term(5)
    with pytest.raises(RuleViolation):
        term_reselect(
            user=_director(term.community),
            term=term,
            reappointed=False,
            decided_on=timezone.localdate() + DAY,
        )


@pytest.mark.django_db
def test_staff4_other_communitys_term_is_missing():
    term = _term(5)
    with pytest.raises(Http404):
        term_reselect(
            user=_director(CommunityFactory()),
            term=term,
            reappointed=False,
            decided_on=timezone.localdate(),
        )
    term.refresh_from_db()
    assert term.reappointed is None


@pytest.mark.django_db
def test_staff4_reappointed_not_changed_by_an_ordinary_save():
    term = _term(5)
    term.reappointed = True
    with pytest.raises(RuleViolation) as err:
        staffing_save(user=_director(term.community), instance=term)
    assert err.value.rule_id == "STAFF-4"
    worker = WorkerFactory()
    new = PostTerm(worker=worker, post=Post.GRID_WORKER, starts_on=dt.date(2024, 1, 1))
    new.reappointed = False
    with pytest.raises(RuleViolation):
        staffing_save(user=_director(worker.community), instance=new)


@pytest.mark.parametrize(
    "ends_on, reappointed, expected",
    [
        (dt.date(2025, 3, 15), False, dt.date(2025, 3, 31)),
        (dt.date(2024, 2, 1), False, dt.date(2024, 2, 29)),
        (dt.date(2025, 2, 28), False, dt.date(2025, 2, 28)),
        (dt.date(2025, 12, 31), False, dt.date(2025, 12, 31)),
        (dt.date(2025, 3, 15), True, None),
        (dt.date(2025, 3, 15), None, None),
    ],
)
def test_staff4_subsidy_ends_with_the_month_of_the_end(ends_on, reappointed, expected):
    term = PostTerm(starts_on=dt.date(2020, 1, 1), ends_on=ends_on, reappointed=reappointed)
    assert rules.subsidy_ends_on(term) == expected


@pytest.mark.parametrize("ago, overdue", [(30, False), (31, True)])
def test_staff4_reselection_overdue_after_30_days(ago, overdue):
    today = dt.date(2025, 6, 30)
    ends_on = today - dt.timedelta(days=ago)
    assert rules.reselection_overdue(ends_on, None, today) is overdue
    assert rules.reselection_overdue(ends_on, False, today) is False


@pytest.mark.django_db
def test_staff4_reselection_check_lists_undecided_terms():
    community = CommunityFactory()
    today = timezone.localdate()
    worker = WorkerFactory(community=community, name="李四")
    PostTermFactory(worker=worker, starts_on=dt.date(2015, 1, 1), ends_on=today - 30 * DAY)
    compliance_run(community_ids=[community.pk])
    found = ComplianceFinding.objects.get(community=community, check_code="staff4-reselection")
    assert found.status == FindingStatus.OK

    PostTermFactory(
        worker=worker,
        post=Post.GRID_WORKER,
        starts_on=dt.date(2015, 1, 1),
        ends_on=today - 31 * DAY,
    )
    decided = PostTermFactory(
        worker=WorkerFactory(community=community, name="王五"),
        starts_on=dt.date(2015, 1, 1),
        ends_on=today - 400 * DAY,
    )
    PostTerm.objects.filter(pk=decided.pk).update(reappointed=False, reselected_on=today)
    compliance_run(community_ids=[community.pk])
    found = ComplianceFinding.objects.get(community=community, check_code="staff4-reselection")
    assert found.status == FindingStatus.VIOLATION
    assert "李四" in found.message and "网格员" in found.message
    assert "王五" not in found.message


@pytest.mark.django_db
def test_staff4_reappointed_read_only_in_admin(client):
    term = _term(5)
    client.force_login(_director(term.community))
    response = client.get(reverse("admin:staffing_postterm_change", args=[term.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "reappointed" not in form.fields
    assert "reselected_on" not in form.fields


@pytest.mark.django_db
def test_staff4_admin_actions_record_the_result(client):
    due = _term(10)
    early = _term(61, worker=WorkerFactory(community=due.community))
    client.force_login(_director(due.community))
    response = client.post(
        reverse("admin:staffing_postterm_changelist"),
        {"action": "record_reappointed", "_selected_action": [due.pk, early.pk]},
        follow=True,
    )
    assert response.status_code == 200
    due.refresh_from_db()
    early.refresh_from_db()
    assert due.reappointed is True and early.reappointed is None
    following = PostTerm.objects.get(worker=due.worker, starts_on=due.ends_on + DAY)
    assert following.ends_on is None
    text = " ".join(str(m) for m in response.context["messages"])
    assert "60 天内届满" in text
    client.post(
        reverse("admin:staffing_postterm_changelist"),
        {"action": "record_not_reappointed", "_selected_action": [due.pk]},
    )
    due.refresh_from_db()
    assert due.reappointed is True
