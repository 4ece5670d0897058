"""Two people recording the same decision at the same moment: exactly one transition
happens (STAFF-4 re-selection, STAFF-7 handover outcome), each in its own transaction."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import RuleViolation
from core.models import Role
from staffing.models import Handover, HandoverOutcome, Post, PostTerm
from staffing.services import handover_record, term_reselect
from tests.factories import user_with_role
from tests.staffing.factories import HandoverFactory, PostTermFactory


def _race(*calls):
    """Run the calls at once, each in its own thread and DB connection; return outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("done")
        except RuleViolation as err:
            outcomes.append(err.rule_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_staff4_two_concurrent_reselections_record_one_and_one_following_term():
    today = timezone.localdate()
    term = PostTermFactory(
        post=Post.COMMITTEE_MEMBER,
        starts_on=today - dt.timedelta(days=1000),
        ends_on=today - dt.timedelta(days=1),
    )
    users = [user_with_role(Role.COMMITTEE_DIRECTOR, community=term.community) for _ in range(2)]
    outcomes = _race(
        lambda: term_reselect(user=users[0], term=term, reappointed=True, decided_on=today),
        lambda: term_reselect(user=users[1], term=term, reappointed=False, decided_on=today),
    )
    assert outcomes == ["STAFF-4", "done"]
    term.refresh_from_db()
    following = PostTerm.objects.filter(worker=term.worker).exclude(pk=term.pk)
    # Whichever won, the record is consistent: a following term exactly when re-appointed.
    assert following.count() == (1 if term.reappointed else 0)


@pytest.mark.django_db(transaction=True)
def test_staff7_two_concurrent_outcomes_record_one():
    handover = HandoverFactory()
    users = [
        user_with_role(Role.COMMITTEE_DIRECTOR, community=handover.community) for _ in range(2)
    ]
    today = timezone.localdate()
    outcomes = _race(
        lambda: handover_record(
            user=users[0], handover=handover, outcome=HandoverOutcome.COMPLETED, on=today
        ),
        lambda: handover_record(
            user=users[1], handover=handover, outcome=HandoverOutcome.LOST, on=today
        ),
    )
    assert outcomes == ["STAFF-7", "done"]
    handover = Handover.objects.get(pk=handover.pk)
    # Completed after the deadline is "late"; lost withholds the year's bonus.
    assert handover.outcome in (HandoverOutcome.LATE, HandoverOutcome.LOST)
    assert (handover.bonus_withheld_year == today.year) == (
        handover.outcome == HandoverOutcome.LOST
    )
