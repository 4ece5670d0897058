"""Staffing pages of the worker portal: scoped (404 for another community on every URL),
the worker's record, the record forms (one row per submit, Chinese errors by the field, a
double submit saves once), fixed query counts."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Role
from staffing.models import Grade, HandoverOutcome, PartyCheckup, Post, StudySession, TrainingRecord
from tests.factories import user_with_role
from tests.helpers import query_count
from tests.staffing.factories import (
    EvaluationFactory,
    HandoverFactory,
    PartyCheckupFactory,
    PostTermFactory,
    StudySessionFactory,
    TrainingRecordFactory,
    WorkerFactory,
)

D = dt.date


@pytest.fixture
def workers(ab):
    return {
        "a": WorkerFactory(community=ab["a"], name="甲工作者"),
        "b": WorkerFactory(community=ab["b"], name="乙工作者"),
    }


def _token(response) -> str:
    match = re.search(r'name="token" value="([0-9a-f-]+)"', response.content.decode())
    assert match, "the form carries a one-time token"
    return match.group(1)


def _training(token, **overrides):
    data = {
        "token": token,
        "course": "社区治理能力提升培训",
        "organiser": "区委组织部",
        "date": str(timezone.localdate()),
        "hours": "8",
        "attended": "on",
        "exam_result": "pass",
    }
    data.update(overrides)
    return data


# --- scoping ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_community_page_links_to_the_workers(client, ab):
    client.force_login(ab["user_a"])
    body = client.get(reverse("portal:community", args=[ab["a"].pk])).content.decode()
    assert reverse("staffing:workers", args=[ab["a"].pk]) in body


@pytest.mark.django_db
def test_grid_worker_sees_no_link_and_gets_403(client, ab):
    grid = user_with_role(Role.GRID_WORKER, community=ab["a"])
    client.force_login(grid)
    body = client.get(reverse("portal:community", args=[ab["a"].pk])).content.decode()
    assert reverse("staffing:workers", args=[ab["a"].pk]) not in body
    assert client.get(reverse("staffing:workers", args=[ab["a"].pk])).status_code == 403


@pytest.mark.django_db
def test_other_communitys_pages_are_404_on_every_url(client, ab, workers):
    client.force_login(ab["user_a"])
    own = [
        reverse("staffing:workers", args=[ab["a"].pk]),
        reverse("staffing:study_add", args=[ab["a"].pk]),
        reverse("staffing:worker", args=[workers["a"].pk]),
        reverse("staffing:training_add", args=[workers["a"].pk]),
        reverse("staffing:checkup_add", args=[workers["a"].pk]),
    ]
    other = [
        reverse("staffing:workers", args=[ab["b"].pk]),
        reverse("staffing:study_add", args=[ab["b"].pk]),
        reverse("staffing:worker", args=[workers["b"].pk]),
        reverse("staffing:training_add", args=[workers["b"].pk]),
        reverse("staffing:checkup_add", args=[workers["b"].pk]),
        reverse("staffing:worker", args=[999999]),
    ]
    for url in own:
        assert client.get(url).status_code == 200, url
    for url in other:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"date": "2025-01-01", "result": "x"}).status_code == 404, url
    assert not PartyCheckup.objects.exists() and not StudySession.objects.exists()


@pytest.mark.django_db
def test_worker_list_shows_only_the_community_with_posts_and_search(client, ab, workers):
    today = timezone.localdate()
    PostTermFactory(worker=workers["a"], post=Post.COMMITTEE_DIRECTOR, starts_on=D(2023, 1, 1))
    PostTermFactory(worker=workers["a"], post=Post.GRID_WORKER, starts_on=D(2023, 1, 1))
    WorkerFactory(community=ab["a"], name="兼职者", is_full_time=False, source="retained")
    WorkerFactory(community=ab["a"], name="离职者", left_on=today - dt.timedelta(days=3))
    client.force_login(ab["user_a"])
    url = reverse("staffing:workers", args=[ab["a"].pk])
    body = client.get(url).content.decode()
    assert "甲工作者" in body and "乙工作者" not in body
    assert "居委会主任" in body and "网格员" in body
    assert "兼职" in body and "原有留用人员" in body and "离职" in body
    assert body.index("甲工作者") < body.index("离职者")  # in service first
    found = client.get(url, {"q": "兼职"}).content.decode()
    assert "兼职者" in found and "甲工作者" not in found
    assert 'name="viewport"' in body


@pytest.mark.django_db
def test_worker_list_paginates(client, ab):
    for i in range(23):
        WorkerFactory(community=ab["a"], name=f"工作者{i:02d}")
    client.force_login(ab["user_a"])
    url = reverse("staffing:workers", args=[ab["a"].pk])
    first = client.get(url)
    assert len(first.context["page"].object_list) == 20
    second = client.get(url, {"page": 2})
    assert len(second.context["page"].object_list) == 3
    assert "工作者22" in second.content.decode()


@pytest.mark.django_db
def test_worker_record_shows_terms_training_evaluations_checkups_handovers(client, ab, workers):
    worker = workers["a"]
    today = timezone.localdate()
    PostTermFactory(worker=worker, post=Post.COMMITTEE_DIRECTOR, starts_on=D(2024, 1, 1))
    PostTermFactory(
        worker=worker,
        post=Post.COMMITTEE_MEMBER,
        starts_on=D(2018, 1, 1),
        ends_on=D(2023, 3, 14),
        reappointed=False,
        reselected_on=D(2023, 3, 1),
    )
    TrainingRecordFactory(worker=worker, date=D(today.year, 1, 1), hours=Decimal("6"))
    TrainingRecordFactory(worker=worker, date=D(today.year - 1, 6, 1), hours=Decimal("30"))
    EvaluationFactory(worker=worker, year=2024, grade=Grade.EXCELLENT, score=Decimal("95"))
    EvaluationFactory(worker=worker, year=2025, grade=Grade.COMPETENT)
    PartyCheckupFactory(worker=worker, date=D(2025, 6, 1), result="对照党章逐项检查")
    HandoverFactory(
        worker=worker,
        outcome=HandoverOutcome.REFUSED,
        bonus_withheld_year=2025,
        deadline=D(2025, 5, 1),
    )
    client.force_login(ab["user_a"])
    response = client.get(reverse("staffing:worker", args=[worker.pk]))
    body = response.content.decode()
    # Terms with the re-selection result and the subsidy end (STAFF-4).
    assert "居委会主任" in body and "居委会委员" in body
    assert "不再续任" in body and "补贴发放至 2023年3月31日" in body
    # Training this cycle (the director trains every calendar year): 6 of 20 hours (STAFF-6).
    training = response.context["training"]
    assert training["required"] and training["since"] == D(today.year, 1, 1)
    assert training["hours"] == Decimal("6") and training["minimum"] == 20 and training["due"]
    assert "未达到" in body
    # Evaluations per year (STAFF-5).
    assert "2024" in body and "优秀" in body and "2025" in body and "称职" in body
    # Party check-ups (STAFF-10) and handovers (STAFF-7).
    assert "对照党章逐项检查" in body
    assert "逾期拒不移交" in body and "扣发 2025 年绩效奖金" in body


# --- record forms -------------------------------------------------------------------------


@pytest.mark.django_db
def test_training_form_saves_one_row_and_redirects(client, ab, workers):
    client.force_login(ab["user_a"])
    url = reverse("staffing:training_add", args=[workers["a"].pk])
    token = _token(client.get(url))
    response = client.post(url, _training(token))
    assert response.status_code == 302
    assert response["Location"] == reverse("staffing:worker", args=[workers["a"].pk])
    record = TrainingRecord.objects.get()
    assert record.worker == workers["a"] and record.community == ab["a"]
    assert record.hours == Decimal("8")
    page = client.get(response["Location"]).content.decode()
    assert "已保存" in page and "社区治理能力提升培训" in page


@pytest.mark.django_db
def test_training_double_submit_creates_one_row(client, ab, workers):
    client.force_login(ab["user_a"])
    url = reverse("staffing:training_add", args=[workers["a"].pk])
    data = _training(_token(client.get(url)))
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert TrainingRecord.objects.count() == 1
    assert "未重复保存" in client.get(second["Location"]).content.decode()
    # A freshly loaded form is a new submit.
    assert client.post(url, _training(_token(client.get(url)))).status_code == 302
    assert TrainingRecord.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"date": "2999-01-01"}, "date", "[STAFF-6] 培训日期不能晚于今天，请在培训结束后登记"),
        ({"hours": "0"}, "hours", "[STAFF-6] 培训学时必须大于 0"),
        ({"hours": "abc"}, "hours", "输入一个数字。"),
        ({"course": ""}, "course", "该字段是必填项。"),
    ],
)
def test_training_form_shows_chinese_error_by_the_field(
    client, ab, workers, overrides, field, message
):
    client.force_login(ab["user_a"])
    url = reverse("staffing:training_add", args=[workers["a"].pk])
    response = client.post(url, _training(_token(client.get(url)), **overrides))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    body = response.content.decode()
    assert f'id="id_{field}-error">{message}' in body
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_corrected_form_after_a_rule_error_saves_once(client, ab, workers):
    client.force_login(ab["user_a"])
    url = reverse("staffing:training_add", args=[workers["a"].pk])
    token = _token(client.get(url))
    refused = client.post(url, _training(token, date="2999-01-01"))
    assert refused.status_code == 200 and _token(refused) == token
    assert client.post(url, _training(token)).status_code == 302
    assert client.post(url, _training(token)).status_code == 302
    assert TrainingRecord.objects.count() == 1


@pytest.mark.django_db
def test_form_without_token_saves_nothing(client, ab, workers):
    client.force_login(ab["user_a"])
    url = reverse("staffing:training_add", args=[workers["a"].pk])
    data = _training("")
    del data["token"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "表单已失效" in response.content.decode()
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_party_checkup_form_saves_once(client, ab, workers):
    client.force_login(ab["user_a"])
    url = reverse("staffing:checkup_add", args=[workers["a"].pk])
    data = {"token": _token(client.get(url)), "date": "2026-06-01", "result": "合格"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    checkup = PartyCheckup.objects.get()
    assert checkup.community == ab["a"] and checkup.worker == workers["a"]
    missing = client.post(url, {"token": _token(client.get(url)), "date": "2026-06-02"})
    assert missing.status_code == 200
    assert "该字段是必填项。" in missing.context["form"].errors["result"]
    assert PartyCheckup.objects.count() == 1


@pytest.mark.django_db
def test_study_session_form_saves_once_and_one_per_day(client, ab):
    client.force_login(ab["user_a"])
    url = reverse("staffing:study_add", args=[ab["a"].pk])
    day = str(timezone.localdate())
    data = {"date": day, "topic": "学习党章", "notes": "逐章学习", "attendees": "9"}
    first = client.post(url, {**data, "token": _token(client.get(url))})
    assert first.status_code == 302
    assert first["Location"] == reverse("staffing:workers", args=[ab["a"].pk])
    again = client.post(url, {**data, "token": _token(client.get(url))})
    assert again.status_code == 200
    assert "该社区当天已有集中学习记录" in again.context["form"].errors["date"]
    assert StudySession.objects.filter(community=ab["a"]).count() == 1
    assert "学习党章" in client.get(first["Location"]).content.decode()


@pytest.mark.django_db
def test_read_only_role_sees_pages_but_cannot_record(client, ab, workers):
    member = user_with_role(Role.MEMBER, community=ab["a"])
    client.force_login(member)
    body = client.get(reverse("staffing:worker", args=[workers["a"].pk])).content.decode()
    add = reverse("staffing:training_add", args=[workers["a"].pk])
    assert "甲工作者" in body and add not in body
    assert client.get(add).status_code == 403
    assert client.post(add, _training("0" * 32)).status_code == 403
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_english_ui_gives_english_labels_and_rule_errors(client, ab, workers):
    client.force_login(ab["user_a"])
    url = reverse("staffing:training_add", args=[workers["a"].pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Training date" in page and "Hours" in page
    response = client.post(
        url,
        _training(_token(client.get(url)), date="2999-01-01"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert any(
        "The training date cannot be later than today" in e
        for e in response.context["form"].errors["date"]
    )
    assert not TrainingRecord.objects.exists()


# --- query counts -------------------------------------------------------------------------


@pytest.mark.django_db
def test_worker_list_query_count_is_fixed(client, ab):
    community = ab["a"]
    client.force_login(ab["user_a"])
    url = reverse("staffing:workers", args=[community.pk])

    def grow(n):
        for _ in range(n):
            worker = WorkerFactory(community=community)
            PostTermFactory(worker=worker, post=Post.COMMITTEE_MEMBER)
            PostTermFactory(worker=worker, post=Post.GRID_WORKER)
            StudySessionFactory(community=community)

    grow(2)
    client.get(url)
    small = query_count(client, url)
    grow(12)
    assert query_count(client, url) == small


@pytest.mark.django_db
def test_worker_record_query_count_is_fixed(client, ab, workers):
    worker = workers["a"]
    client.force_login(ab["user_a"])
    url = reverse("staffing:worker", args=[worker.pk])
    years = iter(range(2025, 2000, -1))

    def grow(n):
        for i in range(n):
            start = D(2000 + i * 2 + (0 if n == 1 else 1), 1, 1)
            PostTermFactory(
                worker=worker, post=Post.COMMITTEE_MEMBER, starts_on=start, ends_on=start
            )
            TrainingRecordFactory(worker=worker)
            EvaluationFactory(worker=worker, year=next(years))
            PartyCheckupFactory(worker=worker)
            HandoverFactory(worker=worker)

    grow(1)
    client.get(url)
    small = query_count(client, url)
    grow(6)
    assert query_count(client, url) == small
