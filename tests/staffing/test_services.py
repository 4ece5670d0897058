"""Staffing writes through the services: rules refused with their id, nothing saved."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from communities.models import Community
from core.errors import RuleViolation
from core.models import Role
from staffing.models import Post, PostTerm, Worker
from staffing.services import post_term_save, staffing_save, worker_save
from tests.factories import user_with_role
from tests.staffing.factories import PostTermFactory, WorkerFactory

D = dt.date


def _term(worker, post, start=D(2024, 1, 1), end=None):
    return PostTerm(worker=worker, post=post, starts_on=start, ends_on=end)


def _director(community):
    return user_with_role(Role.COMMITTEE_DIRECTOR, community=community)


def _separate(community, value):
    profile = community.profile
    profile.pk = None
    profile.code, profile.name, profile.is_preset = f"p{value}", f"方案{value}", False
    profile.separate_accountant_cashier = value
    profile.save()
    Community.objects.filter(pk=community.pk).update(profile=profile)


INCOMPATIBLE = [
    (Post.PARTY_SECRETARY, Post.ACCOUNTANT),
    (Post.PARTY_SECRETARY, Post.CASHIER),
    (Post.COMMITTEE_DIRECTOR, Post.ACCOUNTANT),
    (Post.COMMITTEE_DIRECTOR, Post.CASHIER),
    (Post.ACCOUNTANT, Post.PARTY_SECRETARY),
    (Post.CASHIER, Post.COMMITTEE_DIRECTOR),
]


@pytest.mark.django_db
@pytest.mark.parametrize("held, new", INCOMPATIBLE)
def test_staff8_incompatible_pair_refused(held, new):
    worker = WorkerFactory()
    PostTermFactory(worker=worker, post=held, starts_on=D(2023, 1, 1))
    with pytest.raises(RuleViolation) as err:
        post_term_save(user=_director(worker.community), term=_term(worker, new))
    assert err.value.rule_id == "STAFF-8"
    assert "不得兼任" in err.value.messages[0]
    assert PostTerm.objects.filter(worker=worker).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "held, new",
    [
        (Post.PARTY_SECRETARY, Post.COMMITTEE_DIRECTOR),
        (Post.COMMITTEE_DIRECTOR, Post.OWNERS_COMMITTEE_MEMBER),
        (Post.PARTY_MEMBER, Post.ACCOUNTANT),
        (Post.COMMITTEE_MEMBER, Post.CASHIER),
        (Post.PARTY_DEPUTY_SECRETARY, Post.COMMITTEE_DEPUTY_DIRECTOR),
    ],
)
def test_staff9_cross_appointment_allowed(held, new):
    worker = WorkerFactory()
    PostTermFactory(worker=worker, post=held, starts_on=D(2023, 1, 1))
    post_term_save(user=_director(worker.community), term=_term(worker, new))
    assert set(PostTerm.objects.filter(worker=worker).values_list("post", flat=True)) == {
        held,
        new,
    }


@pytest.mark.django_db
def test_staff8_head_may_become_accountant_after_the_head_term_ended():
    worker = WorkerFactory()
    PostTermFactory(
        worker=worker,
        post=Post.COMMITTEE_DIRECTOR,
        starts_on=D(2018, 1, 1),
        ends_on=D(2023, 12, 31),
    )
    post_term_save(user=_director(worker.community), term=_term(worker, Post.ACCOUNTANT))
    assert PostTerm.objects.filter(worker=worker).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("separate, refused", [(True, True), (False, False)])
def test_staff8_accountant_and_cashier_follow_the_profile(separate, refused):
    worker = WorkerFactory()
    _separate(worker.community, separate)
    PostTermFactory(worker=worker, post=Post.ACCOUNTANT, starts_on=D(2023, 1, 1))
    term = _term(worker, Post.CASHIER)
    if refused:
        with pytest.raises(RuleViolation, match=r"\[STAFF-8\].*不得兼任出纳"):
            post_term_save(user=_director(worker.community), term=term)
        assert PostTerm.objects.filter(worker=worker).count() == 1
    else:
        post_term_save(user=_director(worker.community), term=term)
        assert PostTerm.objects.filter(worker=worker).count() == 2


@pytest.mark.django_db
def test_staff8_another_person_may_be_cashier():
    accountant = WorkerFactory()
    PostTermFactory(worker=accountant, post=Post.ACCOUNTANT)
    cashier = WorkerFactory(community=accountant.community)
    post_term_save(user=_director(cashier.community), term=_term(cashier, Post.CASHIER))
    assert PostTerm.objects.filter(post=Post.CASHIER).count() == 1


@pytest.mark.django_db
def test_staff8_changing_an_existing_term_to_an_incompatible_post_refused():
    worker = WorkerFactory()
    PostTermFactory(worker=worker, post=Post.PARTY_SECRETARY)
    term = PostTermFactory(worker=worker, post=Post.COMMITTEE_MEMBER)
    term.post = Post.CASHIER
    with pytest.raises(RuleViolation, match="STAFF-8"):
        staffing_save(user=_director(worker.community), instance=term)
    term.refresh_from_db()
    assert term.post == Post.COMMITTEE_MEMBER


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start, end, refused",
    [
        (D(2023, 6, 1), D(2024, 6, 1), True),  # inside
        (D(2020, 1, 1), D(2021, 1, 1), True),  # ends on the first day of the old term
        (D(2020, 1, 1), D(2020, 12, 31), False),  # ends the day before
        (D(2024, 1, 1), None, False),  # starts the day after the old term ended
        (D(2023, 12, 31), None, True),  # starts on the old term's last day
    ],
)
def test_staff4_overlapping_terms_in_one_post_refused(start, end, refused):
    worker = WorkerFactory()
    PostTermFactory(
        worker=worker, post=Post.COMMITTEE_MEMBER, starts_on=D(2021, 1, 1), ends_on=D(2023, 12, 31)
    )
    term = _term(worker, Post.COMMITTEE_MEMBER, start, end)
    user = _director(worker.community)
    if refused:
        with pytest.raises(RuleViolation) as err:
            post_term_save(user=user, term=term)
        assert err.value.rule_id == "STAFF-4"
        assert "任期不得重叠" in err.value.message_dict["starts_on"][0]
        assert PostTerm.objects.filter(worker=worker).count() == 1
    else:
        post_term_save(user=user, term=term)
        assert PostTerm.objects.filter(worker=worker).count() == 2


@pytest.mark.django_db
def test_staff4_end_before_start_refused():
    worker = WorkerFactory()
    term = _term(worker, Post.COMMITTEE_MEMBER, D(2024, 5, 1), D(2024, 4, 30))
    with pytest.raises(ValidationError) as err:
        post_term_save(user=_director(worker.community), term=term)
    assert "任期届满日期不能早于任期开始日期" in err.value.message_dict["ends_on"][0]
    assert not PostTerm.objects.exists()


@pytest.mark.django_db
def test_staff4_same_day_term_allowed():
    worker = WorkerFactory()
    term = _term(worker, Post.COMMITTEE_MEMBER, D(2024, 5, 1), D(2024, 5, 1))
    post_term_save(user=_director(worker.community), term=term)
    assert PostTerm.objects.count() == 1


@pytest.mark.django_db
def test_term_for_a_worker_of_another_community_is_missing(ab):
    worker_b = WorkerFactory(community=ab["b"])
    term = PostTerm(worker_id=worker_b.pk, post=Post.COMMITTEE_MEMBER, starts_on=D(2024, 1, 1))
    term.community = ab["a"]  # a forged community in the payload is ignored
    with pytest.raises(Http404):
        post_term_save(user=ab["user_a"], term=term)
    assert not PostTerm.objects.exists()


@pytest.mark.django_db
def test_cross_community_refusal_does_not_leak_the_other_workers_posts(ab):
    worker_b = WorkerFactory(community=ab["b"])
    PostTermFactory(worker=worker_b, post=Post.PARTY_SECRETARY)
    term = PostTerm(worker_id=worker_b.pk, post=Post.ACCOUNTANT, starts_on=D(2024, 1, 1))
    with pytest.raises(Http404):
        post_term_save(user=ab["user_a"], term=term)
    assert PostTerm.objects.count() == 1


@pytest.mark.django_db
def test_worker_of_a_member_is_view_only():
    worker = WorkerFactory()
    member = user_with_role(Role.MEMBER, community=worker.community)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        post_term_save(user=member, term=_term(worker, Post.GRID_WORKER))
    assert not PostTerm.objects.exists()


@pytest.mark.django_db
def test_worker_with_terms_cannot_move_community(ab):
    worker = WorkerFactory(community=ab["a"])
    PostTermFactory(worker=worker)
    worker.community = ab["b"]
    street_admin = user_with_role(Role.STREET_ADMIN, street=ab["a"].street)
    with pytest.raises(ValidationError, match="不能改到其他社区"):
        worker_save(user=street_admin, worker=worker)
    assert Worker.objects.get(pk=worker.pk).community_id == ab["a"].pk


@pytest.mark.django_db
def test_worker_left_before_hired_refused():
    community = Community.objects.get(pk=WorkerFactory().community_id)
    worker = Worker(community=community, name="张三", hired_on=D(2024, 1, 2), left_on=D(2024, 1, 1))
    with pytest.raises(ValidationError) as err:
        worker_save(user=_director(community), worker=worker)
    assert "离职日期不能早于入职日期" in err.value.message_dict["left_on"][0]
    assert Worker.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_staff8_two_concurrent_incompatible_posts_only_one_wins():
    worker = WorkerFactory()
    users = [_director(worker.community) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def add(user, post):
        try:
            barrier.wait(timeout=10)
            post_term_save(user=user, term=_term(worker, post))
            outcomes.append("saved")
        except RuleViolation:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=add, args=(users[0], Post.PARTY_SECRETARY)),
        threading.Thread(target=add, args=(users[1], Post.CASHIER)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["refused", "saved"]
    assert PostTerm.objects.filter(worker=worker).count() == 1
