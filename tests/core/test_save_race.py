"""A unique constraint broken by a concurrent transaction between full_clean and save is
reported as a ValidationError with the constraint's message, never a server error."""

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core.models import Role
from staffing.models import StudySession
from staffing.services import staffing_save
from tests.factories import CommunityFactory, user_with_role

DAY = dt.date(2026, 11, 18)


@pytest.mark.django_db(transaction=True)
def test_unique_row_committed_by_another_transaction_mid_save_is_a_validation_error():
    community = CommunityFactory()
    user = user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    inserted = threading.Event()

    def other_transaction():
        try:
            with transaction.atomic():
                StudySession.objects.create(community=community, date=DAY, topic="甲", notes="记录")
                inserted.set()
                # Uncommitted: our full_clean cannot see it; our INSERT waits on the index.
                time.sleep(1.5)
        finally:
            connection.close()

    thread = threading.Thread(target=other_transaction)
    thread.start()
    assert inserted.wait(10)
    session = StudySession(community=community, date=DAY, topic="乙", notes="记录")
    with pytest.raises(ValidationError) as err:
        staffing_save(user=user, instance=session)
    thread.join(10)
    assert "该社区当天已有集中学习记录" in " ".join(err.value.messages)
    assert StudySession.objects.filter(community=community).count() == 1
