"""Training, study, evaluation and checkup writes through staffing_save: rules refused with
their id and a Chinese message, nothing saved; another community's worker is missing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from core.errors import RuleViolation
from core.models import Role
from staffing.models import (
    Evaluation,
    ExamResult,
    Grade,
    PartyCheckup,
    StudySession,
    TrainingRecord,
)
from staffing.services import staffing_save, staffing_validate
from tests.factories import user_with_role
from tests.staffing.factories import StudySessionFactory, WorkerFactory


def _director(community):
    return user_with_role(Role.COMMITTEE_DIRECTOR, community=community)


def _training(worker, hours="8.0", date=None):
    return TrainingRecord(
        worker=worker,
        course="网格化管理培训",
        organiser="街道办事处",
        date=date or timezone.localdate(),
        hours=Decimal(hours),
        attended=True,
        exam_result=ExamResult.PASSED,
    )


def _evaluation(worker, year=2024):
    return Evaluation(
        worker=worker, year=year, score=Decimal("90"), grade=Grade.EXCELLENT, evaluators="居民代表"
    )


@pytest.mark.django_db
def test_staff6_training_saved_in_the_workers_community():
    worker = WorkerFactory()
    record = staffing_save(user=_director(worker.community), instance=_training(worker))
    assert record.pk and record.community_id == worker.community_id


@pytest.mark.django_db
@pytest.mark.parametrize("hours", ["0.0", "-1.0"])
def test_staff6_non_positive_hours_refused(hours):
    worker = WorkerFactory()
    with pytest.raises(RuleViolation) as err:
        staffing_save(user=_director(worker.community), instance=_training(worker, hours))
    assert err.value.rule_id == "STAFF-6"
    assert "学时必须大于 0" in " ".join(err.value.messages)
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_staff6_training_in_the_future_refused():
    worker = WorkerFactory()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(RuleViolation) as err:
        staffing_save(user=_director(worker.community), instance=_training(worker, date=tomorrow))
    assert err.value.rule_id == "STAFF-6"
    assert "不能晚于今天" in " ".join(err.value.messages)
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_staff6_validate_reports_hours_without_writing():
    worker = WorkerFactory()
    with pytest.raises(RuleViolation):
        staffing_validate(user=_director(worker.community), instance=_training(worker, "0"))
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_training_for_another_communitys_worker_is_missing(ab):
    worker_b = WorkerFactory(community=ab["b"])
    with pytest.raises(Http404):
        staffing_save(user=ab["user_a"], instance=_training(worker_b))
    # Even a broken record gives nothing away about B's worker.
    with pytest.raises(Http404):
        staffing_save(user=ab["user_a"], instance=_training(worker_b, "0"))
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_training_community_comes_from_the_worker_not_the_payload(ab):
    worker_b = WorkerFactory(community=ab["b"])
    record = _training(worker_b)
    record.community = ab["a"]
    with pytest.raises(Http404):
        staffing_save(user=ab["user_a"], instance=record)
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_staff5_evaluation_of_full_time_worker_saved():
    worker = WorkerFactory(is_full_time=True)
    evaluation = staffing_save(user=_director(worker.community), instance=_evaluation(worker))
    assert evaluation.community_id == worker.community_id


@pytest.mark.django_db
def test_staff5_evaluation_of_part_time_worker_refused():
    worker = WorkerFactory(is_full_time=False, name="赵六")
    with pytest.raises(RuleViolation) as err:
        staffing_save(user=_director(worker.community), instance=_evaluation(worker))
    assert err.value.rule_id == "STAFF-5"
    assert "赵六 不是专职社区工作者" in " ".join(err.value.messages)
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_staff5_one_evaluation_per_worker_and_year():
    worker = WorkerFactory()
    user = _director(worker.community)
    staffing_save(user=user, instance=_evaluation(worker))
    with pytest.raises(ValidationError) as err:
        staffing_save(user=user, instance=_evaluation(worker))
    assert "本年度已有测评" in " ".join(err.value.messages)
    assert Evaluation.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "score, ok", [("-0.01", False), ("0", True), ("100", True), ("100.01", False)]
)
def test_staff5_score_between_0_and_100(score, ok):
    worker = WorkerFactory()
    evaluation = _evaluation(worker)
    evaluation.score = Decimal(score)
    if ok:
        staffing_save(user=_director(worker.community), instance=evaluation)
    else:
        with pytest.raises(ValidationError):
            staffing_save(user=_director(worker.community), instance=evaluation)
    assert Evaluation.objects.count() == int(ok)


@pytest.mark.django_db
def test_staff10_checkup_saved():
    worker = WorkerFactory()
    checkup = PartyCheckup(worker=worker, date=dt.date(2024, 6, 1), result="合格")
    staffing_save(user=_director(worker.community), instance=checkup)
    assert checkup.community_id == worker.community_id


@pytest.mark.django_db
def test_staff6_study_needs_notes_and_one_per_day():
    existing = StudySessionFactory()
    user = _director(existing.community)
    with pytest.raises(ValidationError) as err:
        staffing_save(
            user=user,
            instance=StudySession(
                community=existing.community, date=existing.date, topic="x", notes=""
            ),
        )
    assert "notes" in err.value.message_dict and "__all__" in err.value.message_dict
    assert StudySession.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("offset, ok", [(0, True), (1, False)])
def test_staff5_evaluation_not_for_a_future_year(offset, ok):
    worker = WorkerFactory()
    evaluation = _evaluation(worker, year=timezone.localdate().year + offset)
    if ok:
        staffing_save(user=_director(worker.community), instance=evaluation)
    else:
        with pytest.raises(RuleViolation) as err:
            staffing_save(user=_director(worker.community), instance=evaluation)
        assert err.value.rule_id == "STAFF-5" and "未来年度" in " ".join(err.value.messages)
    assert Evaluation.objects.count() == int(ok)
