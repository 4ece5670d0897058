"""Training, study, evaluation and checkup admin: fixed query counts, rules next to the
field, another community's worker neither offered nor accepted."""

import datetime as dt

import pytest
from django.urls import reverse

from core.models import Role
from staffing.models import Evaluation, TrainingRecord
from tests.factories import CommunityFactory, StreetFactory, user_with_role
from tests.helpers import query_count
from tests.staffing.factories import (
    EvaluationFactory,
    PartyCheckupFactory,
    StudySessionFactory,
    TrainingRecordFactory,
    WorkerFactory,
)
from tests.staffing.test_admin import _errors


def _grow(street, n):
    for _ in range(n):
        community = CommunityFactory(street=street)
        for worker in WorkerFactory.create_batch(2, community=community):
            TrainingRecordFactory(worker=worker)
            EvaluationFactory(worker=worker)
            PartyCheckupFactory(worker=worker)
        StudySessionFactory(community=community)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name",
    [
        "admin:staffing_trainingrecord_changelist",
        "admin:staffing_studysession_changelist",
        "admin:staffing_evaluation_changelist",
        "admin:staffing_partycheckup_changelist",
    ],
)
def test_admin_list_query_count_is_fixed(client, url_name):
    street = StreetFactory()
    client.force_login(user_with_role(Role.STREET_ADMIN, street=street))
    url = reverse(url_name)
    _grow(street, 2)
    client.get(url)
    small = query_count(client, url)
    _grow(street, 12)
    large = query_count(client, url)
    assert large == small, f"{url}: {small} queries at 2 communities, {large} at 14"


def _training_post(worker, hours="8.0", date="2024-05-01"):
    return {
        "worker": worker.pk,
        "course": "社区治理培训",
        "organiser": "区委组织部",
        "date": date,
        "hours": hours,
        "attended": "on",
        "exam_result": "pass",
    }


@pytest.mark.django_db
def test_training_added_in_admin(client):
    worker = WorkerFactory()
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=worker.community))
    response = client.post(reverse("admin:staffing_trainingrecord_add"), _training_post(worker))
    assert response.status_code == 302
    record = TrainingRecord.objects.get()
    assert record.community_id == worker.community_id


@pytest.mark.django_db
def test_staff6_zero_hours_refused_next_to_the_field_in_admin(client):
    worker = WorkerFactory()
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=worker.community))
    response = client.post(
        reverse("admin:staffing_trainingrecord_add"), _training_post(worker, hours="0")
    )
    assert response.status_code == 200
    assert "学时必须大于 0" in _errors(response)["hours"]
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_staff5_part_time_refused_next_to_the_field_in_admin(client):
    worker = WorkerFactory(is_full_time=False)
    client.force_login(user_with_role(Role.COMMITTEE_DIRECTOR, community=worker.community))
    response = client.post(
        reverse("admin:staffing_evaluation_add"),
        {
            "worker": worker.pk,
            "year": "2024",
            "score": "90",
            "grade": "excellent",
            "evaluators": "居民代表",
        },
    )
    assert response.status_code == 200
    assert "STAFF-5" in _errors(response)["worker"]
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_training_for_worker_of_another_community_refused_in_admin(client, ab):
    worker_b = WorkerFactory(community=ab["b"], name="乙工作者")
    client.force_login(ab["user_a"])
    url = reverse("admin:staffing_trainingrecord_add")
    assert "乙工作者" not in client.get(url).content.decode()
    response = client.post(url, _training_post(worker_b))
    assert response.status_code == 200
    assert "选择一个有效的选项" in _errors(response)["worker"]
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_training_of_another_community_is_404_in_admin(client, ab):
    record_b = TrainingRecordFactory(worker=WorkerFactory(community=ab["b"]), hours=5)
    client.force_login(ab["user_a"])
    url = reverse("admin:staffing_trainingrecord_change", args=[record_b.pk])
    assert client.get(url).status_code == 404
    worker_a = WorkerFactory(community=ab["a"])
    response = client.post(url, _training_post(worker_a, hours="30"))
    assert response.status_code == 404
    record_b.refresh_from_db()
    assert record_b.hours == 5 and record_b.worker.community_id == ab["b"].pk


@pytest.mark.django_db
def test_study_session_list_shows_only_own_community(client, ab):
    StudySessionFactory(community=ab["a"], topic="甲社区学习", date=dt.date(2024, 1, 1))
    StudySessionFactory(community=ab["b"], topic="乙社区学习", date=dt.date(2024, 1, 1))
    client.force_login(ab["user_a"])
    body = client.get(reverse("admin:staffing_studysession_changelist")).content.decode()
    assert "甲社区学习" in body and "乙社区学习" not in body
