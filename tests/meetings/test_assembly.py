"""MEET-1/MEET-2 (003 三(三)): the residents' representative assembly. Quorum at exactly 1/2
fails and 1/2 + 1 passes; a resolution at exactly 2/3 fails and above passes; an
extraordinary sitting on 1/5 of the representatives' proposal; thresholds fixed on the sitting
when convened; votes after closing, twice, by latecomers or by non-representatives refused;
results immutable."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import RuleViolation
from core.models import Role
from meetings import rules
from meetings.models import (
    AssemblyQuota,
    Motion,
    MotionKind,
    MotionState,
    Sitting,
    SittingBasis,
    SittingKind,
    SittingState,
    Vote,
    VoteChoice,
)
from meetings.selectors import assembly_resolutions, sitting_list
from meetings.services import (
    motion_add,
    motion_close,
    motion_open_voting,
    seat_check_in,
    sitting_close,
    sitting_convene,
    vote_cast,
)
from tests.factories import CommunityFactory, PolicyProfileFactory, UserFactory, user_with_role
from tests.meetings.factories import assembly, convened, in_session
from tests.staffing.factories import WorkerFactory

# --- the integer rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "present, total, quorum",
    [(5, 10, False), (6, 10, True), (4, 9, False), (5, 9, True), (0, 0, False), (1, 1, True)],
)
def test_meet1_quorum_more_than_half(present, total, quorum):
    assert rules.has_quorum(present, total) is quorum


@pytest.mark.parametrize(
    "votes_for, present, passed",
    [(6, 9, False), (7, 9, True), (4, 6, False), (5, 6, True), (2, 3, False), (3, 3, True)],
)
def test_meet1_passes_with_more_than_two_thirds(votes_for, present, passed):
    assert rules.passes(votes_for, present) is passed


@pytest.mark.parametrize(
    "proposers, total, enough",
    [(1, 10, False), (2, 10, True), (2, 11, False), (3, 11, True), (0, 0, False)],
)
def test_meet1_proposal_needs_one_fifth(proposers, total, enough):
    assert rules.proposal_sufficient(proposers, total) is enough


@pytest.mark.parametrize(
    "seated, quota, count_vacant, total",
    [(8, 10, False, 8), (8, 10, True, 10), (8, None, True, 8), (11, 10, True, 11)],
)
def test_meet1_vacant_seats_count_only_when_the_profile_says(seated, quota, count_vacant, total):
    assert rules.representatives_total(seated, quota, count_vacant) == total


# --- convening --------------------------------------------------------------------------------------


@pytest.fixture
def community(db):
    return CommunityFactory()


@pytest.mark.django_db
def test_meet1_convening_fixes_the_roster_and_n(community):
    sitting, director = convened(community, 10)
    assert sitting.representatives_total == 10 and sitting.seats.count() == 10
    assert sitting.profile == community.profile and not sitting.count_vacant_seats
    # A representative seated later is not on this sitting's roster.
    assembly(community, 1)
    assert Sitting.objects.get(pk=sitting.pk).seats.count() == 10


@pytest.mark.django_db
def test_meet1_no_roster_no_sitting(community):
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    with pytest.raises(RuleViolation, match="尚未登记居民代表"):
        sitting_convene(
            user=director,
            community=community,
            kind=SittingKind.REGULAR,
            title="x",
            scheduled_at=timezone.now(),
        )


@pytest.mark.django_db
def test_meet1_convening_needs_the_grant_in_the_community(community):
    assembly(community, 3)
    kwargs = {
        "community": community,
        "kind": SittingKind.REGULAR,
        "title": "x",
        "scheduled_at": timezone.now(),
    }
    with pytest.raises(Http404):
        sitting_convene(user=user_with_role(Role.COMMITTEE_DIRECTOR), **kwargs)
    with pytest.raises(PermissionDenied):
        sitting_convene(user=user_with_role(Role.GRID_WORKER, community=community), **kwargs)
    assert not Sitting.objects.exists()


@pytest.mark.django_db
def test_meet1_extraordinary_on_the_party_and_committee_decision(community):
    assembly(community, 5)
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    kwargs = {
        "user": director,
        "community": community,
        "kind": SittingKind.EXTRAORDINARY,
        "title": "临时会议",
        "scheduled_at": timezone.now(),
        "basis": SittingBasis.PARTY_COMMITTEE,
    }
    with pytest.raises(RuleViolation, match="决定召开"):
        sitting_convene(**kwargs)
    sitting = sitting_convene(**kwargs, decision_note="2024-11-18 党组织和居委会联席会议决定")
    assert sitting.basis == SittingBasis.PARTY_COMMITTEE


@pytest.mark.django_db
@pytest.mark.parametrize("proposers, ok", [(1, False), (2, True)])
def test_meet1_extraordinary_on_a_fifth_of_the_representatives(community, proposers, ok):
    reps = assembly(community, 10)
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    kwargs = {
        "user": director,
        "community": community,
        "kind": SittingKind.EXTRAORDINARY,
        "title": "代表提议召开的临时会议",
        "scheduled_at": timezone.now(),
        "basis": SittingBasis.PROPOSAL,
        "proposer_ids": [r.pk for r in reps[:proposers]],
    }
    if ok:
        sitting = sitting_convene(**kwargs)
        assert sitting.proposers == 2 and sitting.seats.filter(proposer=True).count() == 2
    else:
        with pytest.raises(RuleViolation, match="五分之一"):
            sitting_convene(**kwargs)


@pytest.mark.django_db
def test_meet1_proposers_must_be_representatives(community):
    assembly(community, 5)
    other = assembly(CommunityFactory(), 1)[0]
    with pytest.raises(RuleViolation, match="现任居民代表"):
        convened(
            community,
            kind=SittingKind.EXTRAORDINARY,
            basis=SittingBasis.PROPOSAL,
            proposer_ids=[other.pk],
        )


# --- quorum and the vote ---------------------------------------------------------------------------


def _vote(director, motion, seats, n_for, n_against=0, n_abstain=0):
    choices = (
        [VoteChoice.FOR] * n_for
        + [VoteChoice.AGAINST] * n_against
        + [VoteChoice.ABSTAIN] * n_abstain
    )
    for seat, choice in zip(seats, choices, strict=False):
        vote_cast(user=director, motion=motion, choice=choice, seat=seat)


@pytest.mark.django_db
@pytest.mark.parametrize("present, opens", [(5, False), (6, True)])
def test_meet1_quorum_exactly_half_fails_half_plus_one_passes(community, present, opens):
    sitting, director = convened(community, 10)
    sitting, _seats = in_session(sitting, director, present)
    motion = motion_add(user=director, sitting=sitting, title="小区停车管理办法")
    if opens:
        motion = motion_open_voting(user=director, motion=motion)
        assert motion.state == MotionState.VOTING and motion.present_at_open == present
    else:
        with pytest.raises(RuleViolation) as err:
            motion_open_voting(user=director, motion=motion)
        assert err.value.rule_id == "MEET-1" and "未超过" in err.value.messages[0]
        assert Motion.objects.get(pk=motion.pk).state == MotionState.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize("n_for, passed", [(6, False), (7, True)])
def test_meet1_resolution_exactly_two_thirds_fails_above_passes(community, n_for, passed):
    sitting, director = convened(community, 10)
    sitting, seats = in_session(sitting, director, 9)
    motion = motion_open_voting(
        user=director, motion=motion_add(user=director, sitting=sitting, title="议题")
    )
    _vote(director, motion, seats, n_for, n_against=9 - n_for)
    motion = motion_close(user=director, motion=motion)
    assert (motion.votes_for, motion.votes_against, motion.present_at_open) == (n_for, 9 - n_for, 9)
    assert motion.passed is passed


@pytest.mark.django_db
def test_meet1_those_present_who_do_not_vote_count_as_not_in_favour(community):
    sitting, director = convened(community, 10)
    sitting, seats = in_session(sitting, director, 9)
    motion = motion_open_voting(
        user=director, motion=motion_add(user=director, sitting=sitting, title="议题")
    )
    _vote(director, motion, seats, 6)  # 6 of 9 present in favour, 3 silent
    assert motion_close(user=director, motion=motion).passed is False


@pytest.mark.django_db
def test_meet1_thresholds_fixed_after_a_profile_change(community):
    sitting, director = convened(community, 10)  # default profile: vacant seats don't count
    # The street switches the community to a profile counting 20 seats including vacancies.
    profile = PolicyProfileFactory(code="vacant-count", assembly_count_vacant_seats=True)
    AssemblyQuota.objects.create(community=community, seats=20)
    community.profile = profile
    community.save()
    sitting, seats = in_session(Sitting.objects.get(pk=sitting.pk), director, 6)
    assert sitting.representatives_total == 10 and not sitting.count_vacant_seats
    motion = motion_open_voting(
        user=director, motion=motion_add(user=director, sitting=sitting, title="议题")
    )
    assert motion.present_at_open == 6
    # A new sitting counts under the new profile: 20 seats, 6 present is no quorum.
    second, _director = convened(community, director=director)
    assert second.representatives_total == 20 and second.count_vacant_seats


@pytest.mark.django_db
def test_meet1_fixed_facts_cannot_be_edited_in_the_database(community):
    sitting, director = convened(community, 10)
    with pytest.raises(DatabaseError), transaction.atomic():
        Sitting.objects.filter(pk=sitting.pk).update(representatives_total=4)
    sitting, seats = in_session(sitting, director, 6)
    motion = motion_open_voting(
        user=director, motion=motion_add(user=director, sitting=sitting, title="议题")
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        Motion.objects.filter(pk=motion.pk).update(present_at_open=10)
    with pytest.raises(DatabaseError), transaction.atomic():
        Motion.objects.filter(pk=motion.pk).update(title="改过的议题")
    _vote(director, motion, seats, 5, 1)
    with pytest.raises(DatabaseError), transaction.atomic():
        Vote.objects.filter(motion=motion).update(choice=VoteChoice.AGAINST)
    motion = motion_close(user=director, motion=motion)
    with pytest.raises(DatabaseError), transaction.atomic():
        Motion.objects.filter(pk=motion.pk).update(passed=False)
    with pytest.raises(DatabaseError), transaction.atomic():
        Vote.objects.filter(motion=motion).delete()
    assert Motion.objects.get(pk=motion.pk).passed is True  # 5 of 6: 15 > 12


@pytest.mark.django_db
def test_meet1_latecomers_do_not_change_an_open_vote(community):
    sitting, director = convened(community, 10)
    sitting, seats = in_session(sitting, director, 6)
    motion = motion_open_voting(
        user=director, motion=motion_add(user=director, sitting=sitting, title="议题")
    )
    seat_check_in(user=director, seat=seats[6])
    with pytest.raises(RuleViolation, match="开始表决前签到"):
        vote_cast(user=director, motion=motion, choice=VoteChoice.FOR, seat=seats[6])
    assert Motion.objects.get(pk=motion.pk).present_at_open == 6


@pytest.mark.django_db
def test_meet1_votes_after_closing_twice_or_by_non_representatives_refused(community):
    sitting, director = convened(community, 10, with_users=True)
    sitting, seats = in_session(sitting, director, 6)
    motion = motion_open_voting(
        user=director, motion=motion_add(user=director, sitting=sitting, title="议题")
    )
    rep = seats[0].membership.user
    vote_cast(user=rep, motion=motion, choice=VoteChoice.FOR)  # a representative, as themselves
    with pytest.raises(RuleViolation, match="重复"):
        vote_cast(user=rep, motion=motion, choice=VoteChoice.AGAINST)
    stranger = UserFactory()
    with pytest.raises(RuleViolation, match="不是本次会议的居民代表"):
        vote_cast(user=stranger, motion=motion, choice=VoteChoice.FOR)
    other_sitting, other_director = convened(CommunityFactory(), 3)
    foreign_seat = other_sitting.seats.first()
    with pytest.raises(RuleViolation, match="不是本次会议的居民代表"):
        vote_cast(user=director, motion=motion, choice=VoteChoice.FOR, seat=foreign_seat)
    # A representative may not record someone else's vote; only the committee may.
    with pytest.raises(PermissionDenied):
        vote_cast(user=rep, motion=motion, choice=VoteChoice.FOR, seat=seats[1])
    motion_close(user=director, motion=motion)
    with pytest.raises(RuleViolation, match="不能投票"):
        vote_cast(user=seats[2].membership.user, motion=motion, choice=VoteChoice.FOR)
    assert Vote.objects.filter(motion=motion).count() == 1


@pytest.mark.django_db
def test_meet1_voting_needs_a_sitting_in_progress(community):
    sitting, director = convened(community, 3)
    motion = motion_add(user=director, sitting=sitting, title="议题")
    with pytest.raises(RuleViolation, match="未在进行中"):
        motion_open_voting(user=director, motion=motion)


@pytest.mark.django_db
def test_meet4_closing_needs_minutes_by_a_named_recorder_and_results_offered_to_disclosure(
    community,
):
    sitting, director = convened(community, 3)
    sitting, seats = in_session(sitting, director, 3)
    motion = motion_open_voting(
        user=director,
        motion=motion_add(
            user=director, sitting=sitting, title="居委会工作报告", kind=MotionKind.WORK_REPORT
        ),
    )
    _vote(director, motion, seats, 3)
    with pytest.raises(RuleViolation, match="正在表决"):
        sitting_close(user=director, sitting=sitting, recorder=None, minutes="x")
    motion_close(user=director, motion=motion)
    recorder = WorkerFactory(community=community)
    with pytest.raises(RuleViolation, match="会议记录"):
        sitting_close(user=director, sitting=sitting, recorder=recorder, minutes=" ")
    with pytest.raises(RuleViolation, match="记录人"):
        sitting_close(
            user=director, sitting=sitting, recorder=WorkerFactory(), minutes="会议记录……"
        )
    sitting = sitting_close(user=director, sitting=sitting, recorder=recorder, minutes="会议记录……")
    assert sitting.state == SittingState.CLOSED
    assert list(assembly_resolutions(community_id=community.pk)) == [motion]
    assert list(assembly_resolutions(user=user_with_role(Role.MEMBER))) == []


@pytest.mark.django_db
def test_meet1_sittings_list_query_count_is_fixed(community):
    director = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    convened(community, 3, director=director)
    with CaptureQueriesContext(connection) as small:
        rows = list(sitting_list(user=director, community_id=community.pk))
    for _i in range(5):
        convened(community, director=director)
    with CaptureQueriesContext(connection) as large:
        rows = list(sitting_list(user=director, community_id=community.pk))
    assert len(rows) == 6 and rows[0].n_seats == 3
    assert len(large.captured_queries) == len(small.captured_queries)
