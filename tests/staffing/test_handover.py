"""STAFF-7 departure handover (000 第十八条): the outcome is recorded once through
handover_record; late completion is criticism, refusal or loss withholds the year's bonus."""

import datetime as dt

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from core.errors import RuleViolation
from core.models import ComplianceFinding, FindingStatus, Role
from core.services import compliance_run
from staffing.models import Handover, HandoverOutcome
from staffing.services import handover_record, staffing_delete, staffing_save
from tests.factories import CommunityFactory, user_with_role
from tests.staffing.factories import HandoverFactory, WorkerFactory

DAY = dt.timedelta(days=1)


def _director(community):
    return user_with_role(Role.COMMITTEE_DIRECTOR, community=community)


def _today():
    return timezone.localdate()


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["finance_done", "archives_done", "seals_done"])
def test_staff7_complete_with_a_missing_item_refused(missing):
    handover = HandoverFactory(**{missing: False})
    with pytest.raises(RuleViolation) as err:
        handover_record(
            user=_director(handover.community),
            handover=handover,
            outcome=HandoverOutcome.COMPLETED,
            on=handover.deadline,
        )
    assert err.value.rule_id == "STAFF-7"
    assert "尚未移交" in " ".join(err.value.messages)
    handover.refresh_from_db()
    assert handover.outcome == HandoverOutcome.PENDING and handover.completed_on is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "days_after, outcome",
    [(-1, HandoverOutcome.COMPLETED), (0, HandoverOutcome.COMPLETED), (1, HandoverOutcome.LATE)],
)
def test_staff7_completed_after_the_deadline_is_late(days_after, outcome):
    handover = HandoverFactory(deadline=_today() - 5 * DAY)
    on = handover.deadline + days_after * DAY
    result = handover_record(
        user=_director(handover.community),
        handover=handover,
        outcome=HandoverOutcome.COMPLETED,
        on=on,
    )
    assert result.outcome == outcome
    assert result.completed_on == on
    assert result.bonus_withheld_year is None
    handover.refresh_from_db()
    assert handover.outcome == outcome


@pytest.mark.django_db
@pytest.mark.parametrize("days_after", [-1, 0])
def test_staff7_refused_before_or_on_the_deadline_refused(days_after):
    handover = HandoverFactory(deadline=_today() - 5 * DAY)
    with pytest.raises(RuleViolation) as err:
        handover_record(
            user=_director(handover.community),
            handover=handover,
            outcome=HandoverOutcome.REFUSED,
            on=handover.deadline + days_after * DAY,
        )
    assert err.value.rule_id == "STAFF-7"
    assert "期限" in " ".join(err.value.messages)
    handover.refresh_from_db()
    assert handover.outcome == HandoverOutcome.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [HandoverOutcome.REFUSED, HandoverOutcome.LOST])
def test_staff7_refused_or_lost_withholds_the_years_bonus(outcome):
    on = dt.date(_today().year - 1, 12, 31)
    handover = HandoverFactory(deadline=on - 3 * DAY, archives_done=False)
    result = handover_record(
        user=_director(handover.community), handover=handover, outcome=outcome, on=on
    )
    assert result.outcome == outcome
    assert result.bonus_withheld_year == on.year
    assert result.completed_on is None


@pytest.mark.django_db
def test_staff7_lost_may_be_recorded_before_the_deadline():
    handover = HandoverFactory(deadline=_today() + 10 * DAY)
    result = handover_record(
        user=_director(handover.community),
        handover=handover,
        outcome=HandoverOutcome.LOST,
        on=_today(),
    )
    assert result.bonus_withheld_year == _today().year


@pytest.mark.django_db
@pytest.mark.parametrize(
    "first", [HandoverOutcome.COMPLETED, HandoverOutcome.REFUSED, HandoverOutcome.LOST]
)
@pytest.mark.parametrize(
    "second", [HandoverOutcome.COMPLETED, HandoverOutcome.REFUSED, HandoverOutcome.LOST]
)
def test_staff7_no_change_after_a_final_outcome(first, second):
    handover = HandoverFactory(deadline=_today() - 5 * DAY)
    user = _director(handover.community)
    done = handover_record(user=user, handover=handover, outcome=first, on=_today())
    with pytest.raises(RuleViolation) as err:
        handover_record(user=user, handover=handover, outcome=second, on=_today())
    assert err.value.rule_id == "STAFF-7"
    assert "不得再更改" in " ".join(err.value.messages)
    done.note = "补充说明"
    with pytest.raises(RuleViolation):
        staffing_save(user=user, instance=done)
    with pytest.raises(RuleViolation):
        staffing_delete(user=user, instance=done)
    assert Handover.objects.get(pk=handover.pk).outcome == done.outcome


@pytest.mark.django_db
def test_staff7_late_is_final_too():
    handover = HandoverFactory(deadline=_today() - 5 * DAY)
    user = _director(handover.community)
    handover_record(user=user, handover=handover, outcome=HandoverOutcome.COMPLETED, on=_today())
    with pytest.raises(RuleViolation):
        handover_record(user=user, handover=handover, outcome=HandoverOutcome.LOST, on=_today())


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [HandoverOutcome.PENDING, HandoverOutcome.LATE, "other"])
def test_staff7_only_completed_refused_lost_recorded(outcome):
    handover = HandoverFactory()
    with pytest.raises(RuleViolation):
        handover_record(
            user=_director(handover.community), handover=handover, outcome=outcome, on=_today()
        )


@pytest.mark.django_db
def test_staff7_future_date_refused():
    handover = HandoverFactory(deadline=_today() + 10 * DAY)
    with pytest.raises(RuleViolation):
        handover_record(
            user=_director(handover.community),
            handover=handover,
            outcome=HandoverOutcome.COMPLETED,
            on=_today() + DAY,
        )


@pytest.mark.django_db
def test_staff7_other_communitys_handover_is_missing():
    handover = HandoverFactory()
    with pytest.raises(Http404):
        handover_record(
            user=_director(CommunityFactory()),
            handover=handover,
            outcome=HandoverOutcome.COMPLETED,
            on=_today(),
        )
    handover.refresh_from_db()
    assert handover.outcome == HandoverOutcome.PENDING


@pytest.mark.django_db
def test_staff7_pending_handover_saved_in_the_workers_community_and_outcome_guarded():
    worker = WorkerFactory()
    user = _director(worker.community)
    handover = staffing_save(
        user=user,
        instance=Handover(worker=worker, deadline=_today() + 30 * DAY, finance_done=True),
    )
    assert handover.pk and handover.community_id == worker.community_id
    assert handover.supervisors == "镇纪委、镇党政办"
    handover.seals_done = True
    staffing_save(user=user, instance=handover)  # the checklist is edited while pending
    handover.outcome = HandoverOutcome.COMPLETED
    handover.completed_on = _today()
    with pytest.raises(RuleViolation) as err:
        staffing_save(user=user, instance=handover)
    assert err.value.rule_id == "STAFF-7"
    with pytest.raises(RuleViolation):
        staffing_save(
            user=user,
            instance=Handover(worker=worker, deadline=_today(), outcome=HandoverOutcome.LOST),
        )
    with pytest.raises(Http404):
        staffing_save(
            user=_director(CommunityFactory()),
            instance=Handover(worker=worker, deadline=_today()),
        )


def _finding(community):
    compliance_run(community_ids=[community.pk])
    return ComplianceFinding.objects.get(community=community, check_code="staff7-handover")


@pytest.mark.django_db
def test_staff7_check_findings():
    community = CommunityFactory()
    today = _today()
    HandoverFactory(worker=WorkerFactory(community=community, name="赵一"), deadline=today)
    assert _finding(community).status == FindingStatus.OK

    HandoverFactory(worker=WorkerFactory(community=community, name="钱二"), deadline=today - DAY)
    found = _finding(community)
    assert found.status == FindingStatus.WARNING
    assert "钱二" in found.message and "赵一" not in found.message

    user = _director(community)
    last_year = HandoverFactory(
        worker=WorkerFactory(community=community, name="孙三"), deadline=today - 400 * DAY
    )
    Handover.objects.filter(pk=last_year.pk).update(
        outcome=HandoverOutcome.REFUSED, bonus_withheld_year=today.year - 1
    )
    assert _finding(community).status == FindingStatus.WARNING

    lost = HandoverFactory(worker=WorkerFactory(community=community, name="李四"))
    handover_record(user=user, handover=lost, outcome=HandoverOutcome.LOST, on=today)
    found = _finding(community)
    assert found.status == FindingStatus.VIOLATION
    assert "李四" in found.message and "钱二" in found.message
    assert "孙三" not in found.message


@pytest.mark.django_db
def test_staff7_admin_outcome_read_only_and_action_records(client):
    handover = HandoverFactory(deadline=_today() - 3 * DAY, seals_done=False)
    done = HandoverFactory(worker=WorkerFactory(community=handover.community))
    client.force_login(_director(handover.community))
    response = client.get(reverse("admin:staffing_handover_change", args=[handover.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert {"outcome", "completed_on", "bonus_withheld_year"}.isdisjoint(form.fields)
    url = reverse("admin:staffing_handover_changelist")
    response = client.post(
        url,
        {"action": "record_completed", "_selected_action": [handover.pk, done.pk]},
        follow=True,
    )
    assert response.status_code == 200
    handover.refresh_from_db()
    done.refresh_from_db()
    assert handover.outcome == HandoverOutcome.PENDING  # seals missing: refused
    assert done.outcome == HandoverOutcome.LATE
    text = " ".join(str(m) for m in response.context["messages"])
    assert "印章尚未移交" in text


@pytest.mark.django_db
def test_staff7_admin_other_communitys_handover_is_missing(client):
    handover = HandoverFactory()
    client.force_login(_director(CommunityFactory()))
    response = client.get(reverse("admin:staffing_handover_change", args=[handover.pk]))
    assert response.status_code in (302, 404)
    assert not Handover.objects.filter(outcome=HandoverOutcome.COMPLETED).exists()
