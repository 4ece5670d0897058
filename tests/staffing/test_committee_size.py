"""ORG-2 / ORG-3 on post terms: a party or residents' committee post may not make the
committee larger than the profile's maximum on any day of the term."""

import datetime as dt
import threading

import pytest
from django.db import connection

from core.errors import RuleViolation
from core.models import Role
from staffing import rules
from staffing.models import Post, PostTerm
from staffing.services import post_term_save, staffing_validate
from tests.factories import CommunityFactory, user_with_role
from tests.staffing.factories import PostTermFactory, WorkerFactory

D = dt.date


def _fill(community, post, n, start=D(2024, 1, 1), end=None):
    for _ in range(n):
        PostTermFactory(
            worker=WorkerFactory(community=community), post=post, starts_on=start, ends_on=end
        )


def _new(community, post, start=D(2024, 6, 1), end=None):
    return PostTerm(
        worker=WorkerFactory(community=community), post=post, starts_on=start, ends_on=end
    )


def _director(community):
    return user_with_role(Role.COMMITTEE_DIRECTOR, community=community)


@pytest.mark.django_db
def test_org3_ninth_committee_member_allowed_tenth_refused():
    community = CommunityFactory()
    assert community.profile.committee_max == 9
    user = _director(community)
    _fill(community, Post.COMMITTEE_MEMBER, 7)
    post_term_save(user=user, term=_new(community, Post.COMMITTEE_DIRECTOR))  # 8
    post_term_save(user=user, term=_new(community, Post.COMMITTEE_DEPUTY_DIRECTOR))  # 9
    with pytest.raises(RuleViolation) as err:
        post_term_save(user=user, term=_new(community, Post.COMMITTEE_MEMBER))
    assert err.value.rule_id == "ORG-3"
    assert "居委会最多 9 人" in err.value.messages[0]
    assert PostTerm.objects.filter(community=community).count() == 9


@pytest.mark.django_db
def test_org2_party_committee_cap_from_profile():
    community = CommunityFactory()
    cap = community.profile.party_committee_max
    _fill(community, Post.PARTY_MEMBER, cap)
    with pytest.raises(RuleViolation) as err:
        staffing_validate(user=None, instance=_new(community, Post.PARTY_SECRETARY))
    assert err.value.rule_id == "ORG-2"


@pytest.mark.django_db
def test_org3_seat_freed_by_an_ended_term_counts_from_the_next_day():
    community = CommunityFactory()
    user = _director(community)
    _fill(community, Post.COMMITTEE_MEMBER, 8)
    _fill(community, Post.COMMITTEE_MEMBER, 1, end=D(2024, 5, 31))
    # From 1 June the ninth seat is free.
    post_term_save(user=user, term=_new(community, Post.COMMITTEE_MEMBER, start=D(2024, 6, 1)))
    # On 31 May it was not.
    with pytest.raises(RuleViolation):
        post_term_save(user=user, term=_new(community, Post.COMMITTEE_MEMBER, start=D(2024, 5, 31)))


@pytest.mark.django_db
def test_org3_other_posts_and_other_communities_do_not_count():
    community, other = CommunityFactory(), CommunityFactory()
    user = _director(community)
    _fill(community, Post.COMMITTEE_MEMBER, 8)
    _fill(community, Post.SERVICE_STAFF, 5)
    _fill(other, Post.COMMITTEE_MEMBER, 9)
    post_term_save(user=user, term=_new(community, Post.COMMITTEE_MEMBER))
    assert PostTerm.objects.filter(community=community, post=Post.COMMITTEE_MEMBER).count() == 9


@pytest.mark.django_db
def test_org3_one_person_with_two_committee_posts_is_one_seat():
    community = CommunityFactory()
    user = _director(community)
    _fill(community, Post.COMMITTEE_MEMBER, 8)
    worker = WorkerFactory(community=community)
    post_term_save(
        user=user,
        term=PostTerm(
            worker=worker,
            post=Post.COMMITTEE_MEMBER,
            starts_on=D(2024, 1, 1),
            ends_on=D(2024, 12, 31),
        ),
    )
    # STAFF-9: the same person later becomes director — still the ninth seat, not a tenth.
    post_term_save(
        user=user,
        term=PostTerm(worker=worker, post=Post.COMMITTEE_DIRECTOR, starts_on=D(2025, 1, 1)),
    )
    assert PostTerm.objects.filter(worker=worker).count() == 2


def test_peak_holders_counts_distinct_people_on_the_busiest_day():
    terms = [
        (1, D(2024, 1, 1), D(2024, 3, 31)),
        (2, D(2024, 4, 1), None),
        (3, D(2024, 2, 1), None),
        (3, D(2024, 2, 1), None),  # one person, two posts: one seat
    ]
    assert rules.peak_holders(terms, D(2024, 1, 1), None) == 2
    assert rules.peak_holders(terms, D(2024, 1, 1), D(2024, 1, 31)) == 1
    assert rules.peak_holders([], D(2024, 1, 1), None) == 0


@pytest.mark.django_db(transaction=True)
def test_org3_two_concurrent_additions_of_the_last_seat_only_one_wins():
    community = CommunityFactory()
    _fill(community, Post.COMMITTEE_MEMBER, 8)
    users = [_director(community) for _ in range(2)]
    terms = [_new(community, Post.COMMITTEE_MEMBER) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def add(user, term):
        try:
            barrier.wait(timeout=10)
            post_term_save(user=user, term=term)
            outcomes.append("saved")
        except RuleViolation as err:
            outcomes.append(err.rule_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=pair) for pair in zip(users, terms, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ORG-3", "saved"]
    assert PostTerm.objects.filter(community=community).count() == 9


@pytest.mark.django_db
def test_roster_and_terms_agree_or_are_reported():
    from communities.models import Membership, OrgKind, Position
    from core.models import FindingStatus
    from staffing.checks import committee_roster, party_roster
    from tests.factories import OrganisationFactory

    community = CommunityFactory()
    committee = OrganisationFactory(community=community, kind=OrgKind.COMMITTEE)
    worker = WorkerFactory(community=community, name="张建华")
    PostTermFactory(worker=worker, post=Post.COMMITTEE_DIRECTOR)
    Membership.objects.create(
        community=community,
        organisation=committee,
        person_name="张建华",
        position=Position.DIRECTOR,
    )
    assert committee_roster(community, community.profile).status == FindingStatus.OK
    Membership.objects.create(
        community=community, organisation=committee, person_name="李秀英", position=Position.MEMBER
    )
    PostTermFactory(
        worker=WorkerFactory(community=community, name="王志强"), post=Post.COMMITTEE_MEMBER
    )
    result = committee_roster(community, community.profile)
    assert result.status == FindingStatus.WARNING
    assert "名册有、无现任任职记录：李秀英" in result.message
    assert "有现任任职、名册未登记：王志强" in result.message
    # An ended seat and an ended term are not compared.
    Membership.objects.filter(person_name="李秀英").update(ended_on=D(2024, 1, 1))
    PostTerm.objects.filter(worker__name="王志强").update(ends_on=D(2024, 1, 1))
    assert committee_roster(community, community.profile).status == FindingStatus.OK
    # The party roster is its own check.
    assert party_roster(community, community.profile).status == FindingStatus.OK
