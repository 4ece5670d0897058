"""The staffing API: scoped reads, writes through staffing.services with the STAFF rule ids,
the community taken from the worker, the reselect and record actions, query counts."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import Role
from staffing.models import (
    Evaluation,
    Handover,
    HandoverOutcome,
    PartyCheckup,
    Post,
    PostTerm,
    StudySession,
    TrainingRecord,
    Worker,
)
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
ROUTES = [
    "workers",
    "terms",
    "trainings",
    "study-sessions",
    "evaluations",
    "party-checkups",
    "handovers",
]


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def rows(ab):
    """One row of every kind in A and in B."""
    made = {}
    for key in ("a", "b"):
        community = ab[key]
        worker = WorkerFactory(community=community, name=f"{community.name}工作者")
        made[key] = {
            "workers": worker,
            "terms": PostTermFactory(worker=worker, post=Post.COMMITTEE_MEMBER),
            "trainings": TrainingRecordFactory(worker=worker),
            "study-sessions": StudySessionFactory(community=community),
            "evaluations": EvaluationFactory(worker=worker),
            "party-checkups": PartyCheckupFactory(worker=worker),
            "handovers": HandoverFactory(worker=worker),
        }
    return made


@pytest.mark.django_db
def test_anonymous_gets_nothing(api, rows):
    for route in ROUTES:
        assert api.get(f"/api/v1/{route}/").status_code in (401, 403)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_list_holds_only_own_communitys_rows(api, ab, rows, route):
    api.force_authenticate(ab["user_a"])
    response = api.get(f"/api/v1/{route}/")
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [rows["a"][route].pk]
    assert all(row["community"] == ab["a"].pk for row in response.json()["results"])


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_other_communitys_row_is_404_on_read_update_delete(api, ab, rows, route):
    api.force_authenticate(ab["user_a"])
    row = rows["b"][route]
    url = f"/api/v1/{route}/{row.pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"note": "改"}, format="json").status_code == 404
    assert api.put(url, {}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    assert type(row).objects.get(pk=row.pk).updated_at == row.updated_at


@pytest.mark.django_db
def test_worker_nests_current_posts_read_only(api, ab):
    worker = WorkerFactory(community=ab["a"])
    PostTermFactory(worker=worker, post=Post.COMMITTEE_DIRECTOR, starts_on=D(2023, 1, 1))
    PostTermFactory(worker=worker, post=Post.GRID_WORKER, starts_on=D(2023, 1, 1))
    PostTermFactory(
        worker=worker, post=Post.COMMITTEE_MEMBER, starts_on=D(2018, 1, 1), ends_on=D(2020, 12, 31)
    )
    api.force_authenticate(ab["user_a"])
    body = api.get(f"/api/v1/workers/{worker.pk}/").json()
    posts = sorted(p["post"] for p in body["current_posts"])
    assert posts == [Post.COMMITTEE_DIRECTOR, Post.GRID_WORKER]
    assert {p["post_display"] for p in body["current_posts"]} == {"居委会主任", "网格员"}
    response = api.patch(
        f"/api/v1/workers/{worker.pk}/", {"current_posts": [], "phone": "139"}, format="json"
    )
    assert response.status_code == 200
    assert len(response.json()["current_posts"]) == 2
    assert PostTerm.objects.filter(worker=worker).count() == 3


@pytest.mark.django_db
def test_worker_created_in_own_community_and_not_in_another(api, ab):
    api.force_authenticate(ab["user_a"])
    ok = api.post(
        "/api/v1/workers/",
        {"name": "新来的", "community": ab["a"].pk, "source": "recruited_graduate"},
        format="json",
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["current_posts"] == []
    refused = api.post("/api/v1/workers/", {"name": "偷加", "community": ab["b"].pk}, format="json")
    assert refused.status_code == 400 and "community" in refused.json()
    assert not Worker.objects.filter(name="偷加").exists()


@pytest.mark.django_db
def test_staff8_incompatible_pair_refused_with_code_and_nothing_saved(api, ab):
    worker = WorkerFactory(community=ab["a"])
    PostTermFactory(worker=worker, post=Post.COMMITTEE_DIRECTOR, starts_on=D(2023, 1, 1))
    api.force_authenticate(ab["user_a"])
    response = api.post(
        "/api/v1/terms/",
        {"worker": worker.pk, "post": Post.ACCOUNTANT, "starts_on": "2024-01-01"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "STAFF-8"
    assert "不得兼任" in str(body["post"])
    assert PostTerm.objects.filter(worker=worker).count() == 1


@pytest.mark.django_db
def test_staff8_message_in_english_when_asked(api, ab):
    worker = WorkerFactory(community=ab["a"])
    PostTermFactory(worker=worker, post=Post.PARTY_SECRETARY, starts_on=D(2023, 1, 1))
    api.force_authenticate(ab["user_a"])
    response = api.post(
        "/api/v1/terms/",
        {"worker": worker.pk, "post": Post.CASHIER, "starts_on": "2024-01-01"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "STAFF-8"
    assert "may not also be" in str(response.json()["post"])


@pytest.mark.django_db
def test_staff4_overlapping_term_of_same_post_refused(api, ab):
    worker = WorkerFactory(community=ab["a"])
    PostTermFactory(
        worker=worker, post=Post.COMMITTEE_MEMBER, starts_on=D(2021, 1, 1), ends_on=D(2025, 12, 31)
    )
    api.force_authenticate(ab["user_a"])
    response = api.post(
        "/api/v1/terms/",
        {"worker": worker.pk, "post": Post.COMMITTEE_MEMBER, "starts_on": "2025-12-31"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "STAFF-4"
    assert "starts_on" in response.json()
    assert PostTerm.objects.filter(worker=worker).count() == 1
    # The next day is no overlap (boundary).
    response = api.post(
        "/api/v1/terms/",
        {"worker": worker.pk, "post": Post.COMMITTEE_MEMBER, "starts_on": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route, payload",
    [
        ("terms", {"post": Post.COMMITTEE_MEMBER, "starts_on": "2024-01-01"}),
        ("trainings", {"course": "偷记培训", "date": "2024-05-01", "hours": "8"}),
        ("evaluations", {"year": 2024, "score": "90", "grade": "excellent", "evaluators": "x"}),
        ("party-checkups", {"date": "2024-05-01", "result": "偷记"}),
        ("handovers", {"deadline": "2024-05-01"}),
    ],
)
def test_worker_of_other_community_in_payload_refused_nothing_saved(api, ab, route, payload):
    worker_b = WorkerFactory(community=ab["b"])
    model = {
        "terms": PostTerm,
        "trainings": TrainingRecord,
        "evaluations": Evaluation,
        "party-checkups": PartyCheckup,
        "handovers": Handover,
    }[route]
    api.force_authenticate(ab["user_a"])
    response = api.post(
        f"/api/v1/{route}/",
        {**payload, "worker": worker_b.pk, "community": ab["a"].pk},
        format="json",
    )
    assert response.status_code in (400, 404)
    assert "worker" in response.json()
    assert not model.objects.exists()


@pytest.mark.django_db
def test_community_comes_from_the_worker_not_the_payload(api, ab):
    worker = WorkerFactory(community=ab["a"])
    api.force_authenticate(ab["user_a"])
    response = api.post(
        "/api/v1/trainings/",
        {
            "worker": worker.pk,
            "community": ab["b"].pk,
            "course": "社区治理",
            "date": str(timezone.localdate()),
            "hours": "8",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["community"] == ab["a"].pk
    assert TrainingRecord.objects.get().community == ab["a"]


@pytest.mark.django_db
def test_moving_a_row_to_another_communitys_worker_refused(api, ab, rows):
    api.force_authenticate(ab["user_a"])
    training = rows["a"]["trainings"]
    response = api.patch(
        f"/api/v1/trainings/{training.pk}/", {"worker": rows["b"]["workers"].pk}, format="json"
    )
    assert response.status_code == 400 and "worker" in response.json()
    training.refresh_from_db()
    assert training.worker == rows["a"]["workers"]


@pytest.mark.django_db
def test_staff6_future_training_refused(api, ab):
    worker = WorkerFactory(community=ab["a"])
    api.force_authenticate(ab["user_a"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = api.post(
        "/api/v1/trainings/",
        {"worker": worker.pk, "course": "预登记", "date": str(tomorrow), "hours": "4"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "STAFF-6"
    assert "不能晚于今天" in str(response.json()["date"])
    assert not TrainingRecord.objects.exists()


@pytest.mark.django_db
def test_staff5_part_time_worker_not_evaluated(api, ab):
    worker = WorkerFactory(community=ab["a"], is_full_time=False)
    api.force_authenticate(ab["user_a"])
    response = api.post(
        "/api/v1/evaluations/",
        {"worker": worker.pk, "year": 2024, "score": "90", "grade": "excellent", "evaluators": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "STAFF-5"
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_study_session_one_per_day(api, ab):
    api.force_authenticate(ab["user_a"])
    today = str(timezone.localdate())
    data = {"community": ab["a"].pk, "date": today, "topic": "学习", "notes": "记录"}
    assert api.post("/api/v1/study-sessions/", data, format="json").status_code == 201
    again = api.post("/api/v1/study-sessions/", data, format="json")
    assert again.status_code == 400
    assert StudySession.objects.count() == 1


@pytest.mark.django_db
def test_reselection_result_not_writable_by_patch(api, ab):
    term = PostTermFactory(community=ab["a"], ends_on=D(2024, 12, 31))
    api.force_authenticate(ab["user_a"])
    response = api.patch(
        f"/api/v1/terms/{term.pk}/",
        {"reappointed": True, "reselected_on": "2024-12-01", "note": "备注"},
        format="json",
    )
    assert response.status_code == 200
    term.refresh_from_db()
    assert term.reappointed is None and term.reselected_on is None and term.note == "备注"


@pytest.mark.django_db
def test_reselect_records_once_and_creates_following_term(api, ab):
    today = timezone.localdate()
    ended = today - dt.timedelta(days=10)
    term = PostTermFactory(community=ab["a"], starts_on=D(2020, 1, 1), ends_on=ended)
    api.force_authenticate(ab["user_a"])
    url = f"/api/v1/terms/{term.pk}/reselect/"
    new_end = ended + dt.timedelta(days=5 * 365)
    response = api.post(url, {"reappointed": True, "new_term_end": str(new_end)}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["term"]["reappointed"] is True
    assert body["term"]["reselected_on"] == str(today)
    assert body["following"]["starts_on"] == str(ended + dt.timedelta(days=1))
    assert PostTerm.objects.filter(worker=term.worker).count() == 2
    again = api.post(url, {"reappointed": False}, format="json")
    assert again.status_code == 400
    assert again.json()["code"] == "STAFF-4"
    assert PostTerm.objects.filter(worker=term.worker).count() == 2


@pytest.mark.django_db
def test_reselect_not_reappointed_gives_subsidy_end(api, ab):
    term = PostTermFactory(community=ab["a"], starts_on=D(2020, 1, 1), ends_on=D(2025, 3, 14))
    api.force_authenticate(ab["user_a"])
    response = api.post(f"/api/v1/terms/{term.pk}/reselect/", {"reappointed": False}, format="json")
    assert response.status_code == 200
    assert response.json()["following"] is None
    assert response.json()["term"]["subsidy_ends_on"] == "2025-03-31"


@pytest.mark.django_db
def test_reselect_of_term_far_from_its_end_refused(api, ab):
    term = PostTermFactory(community=ab["a"], ends_on=timezone.localdate() + dt.timedelta(days=365))
    api.force_authenticate(ab["user_a"])
    response = api.post(f"/api/v1/terms/{term.pk}/reselect/", {"reappointed": True}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "STAFF-4"
    term.refresh_from_db()
    assert term.reappointed is None


@pytest.mark.django_db
def test_actions_on_other_communitys_rows_are_404(api, ab, rows):
    api.force_authenticate(ab["user_a"])
    term_b, handover_b = rows["b"]["terms"], rows["b"]["handovers"]
    PostTerm.objects.filter(pk=term_b.pk).update(ends_on=timezone.localdate())
    reselect = api.post(
        f"/api/v1/terms/{term_b.pk}/reselect/", {"reappointed": False}, format="json"
    )
    assert reselect.status_code == 404
    record = api.post(
        f"/api/v1/handovers/{handover_b.pk}/record/", {"outcome": "completed"}, format="json"
    )
    assert record.status_code == 404
    term_b.refresh_from_db()
    handover_b.refresh_from_db()
    assert term_b.reappointed is None
    assert handover_b.outcome == HandoverOutcome.PENDING


@pytest.mark.django_db
def test_record_handover_late_then_final(api, ab):
    handover = HandoverFactory(community=ab["a"])  # deadline 10 days ago, all items done
    api.force_authenticate(ab["user_a"])
    url = f"/api/v1/handovers/{handover.pk}/record/"
    response = api.post(url, {"outcome": "completed"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == HandoverOutcome.LATE
    assert response.json()["completed_on"] == str(timezone.localdate())
    again = api.post(url, {"outcome": "lost"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "STAFF-7"
    handover.refresh_from_db()
    assert handover.outcome == HandoverOutcome.LATE and handover.bonus_withheld_year is None
    assert api.delete(f"/api/v1/handovers/{handover.pk}/").status_code == 400
    assert Handover.objects.filter(pk=handover.pk).exists()


@pytest.mark.django_db
def test_record_refusal_before_deadline_refused(api, ab):
    handover = HandoverFactory(
        community=ab["a"], deadline=timezone.localdate() + dt.timedelta(days=5)
    )
    api.force_authenticate(ab["user_a"])
    response = api.post(
        f"/api/v1/handovers/{handover.pk}/record/", {"outcome": "refused"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "STAFF-7"
    handover.refresh_from_db()
    assert handover.outcome == HandoverOutcome.PENDING


@pytest.mark.django_db
def test_handover_outcome_not_writable_by_patch(api, ab):
    handover = HandoverFactory(community=ab["a"])
    api.force_authenticate(ab["user_a"])
    response = api.patch(
        f"/api/v1/handovers/{handover.pk}/",
        {"outcome": "refused", "bonus_withheld_year": 2024, "note": "催办"},
        format="json",
    )
    assert response.status_code == 200
    handover.refresh_from_db()
    assert handover.outcome == HandoverOutcome.PENDING and handover.bonus_withheld_year is None


@pytest.mark.django_db
def test_read_only_role_cannot_write_or_record(api, ab, rows):
    member = user_with_role(Role.MEMBER, community=ab["a"])
    api.force_authenticate(member)
    term, handover = rows["a"]["terms"], rows["a"]["handovers"]
    assert api.get(f"/api/v1/terms/{term.pk}/").status_code == 200
    assert api.patch(f"/api/v1/terms/{term.pk}/", {"note": "x"}, format="json").status_code == 403
    assert api.delete(f"/api/v1/workers/{rows['a']['workers'].pk}/").status_code == 403
    response = api.post(
        f"/api/v1/handovers/{handover.pk}/record/", {"outcome": "completed"}, format="json"
    )
    assert response.status_code == 403
    handover.refresh_from_db()
    assert handover.outcome == HandoverOutcome.PENDING


@pytest.mark.django_db
def test_filters_search_and_ordering(api, ab):
    today = timezone.localdate()
    zhang = WorkerFactory(community=ab["a"], name="张三", hired_on=D(2022, 1, 1))
    li = WorkerFactory(
        community=ab["a"], name="李四", hired_on=D(2019, 1, 1), left_on=today - dt.timedelta(days=1)
    )
    PostTermFactory(worker=zhang, post=Post.COMMITTEE_DIRECTOR, starts_on=D(2023, 1, 1))
    PostTermFactory(
        worker=li, post=Post.COMMITTEE_DIRECTOR, starts_on=D(2018, 1, 1), ends_on=D(2020, 12, 31)
    )
    TrainingRecordFactory(worker=zhang, date=D(2024, 6, 1))
    TrainingRecordFactory(worker=li, date=D(2023, 6, 1))
    api.force_authenticate(ab["user_a"])

    def names(url):
        response = api.get(url)
        assert response.status_code == 200, response.json()
        return [row.get("name") or row.get("worker_name") for row in response.json()["results"]]

    assert names("/api/v1/workers/?search=张") == ["张三"]
    assert names("/api/v1/workers/?current=true") == ["张三"]
    assert names("/api/v1/workers/?current=false") == ["李四"]
    assert names(f"/api/v1/workers/?post={Post.COMMITTEE_DIRECTOR}") == ["张三"]
    assert names(f"/api/v1/workers/?community={ab['a'].pk}&ordering=-hired_on") == ["张三", "李四"]
    assert names("/api/v1/terms/?current=true") == ["张三"]
    assert names("/api/v1/terms/?year=2019") == ["李四"]
    assert names(f"/api/v1/terms/?worker={li.pk}") == ["李四"]
    assert names("/api/v1/trainings/?year=2024") == ["张三"]
    assert names(f"/api/v1/trainings/?worker={li.pk}") == ["李四"]
    assert names("/api/v1/trainings/?search=李") == ["李四"]
    assert names(f"/api/v1/workers/?community={ab['b'].pk}") == []


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_list_query_count_is_fixed(api, ab, route):
    api.force_authenticate(ab["user_a"])
    community = ab["a"]
    day = iter(range(1, 400))

    def grow(n):
        for _ in range(n):
            worker = WorkerFactory(community=community)
            PostTermFactory(worker=worker, post=Post.COMMITTEE_MEMBER)
            PostTermFactory(worker=worker, post=Post.GRID_WORKER)
            TrainingRecordFactory(worker=worker)
            StudySessionFactory(
                community=community, date=timezone.localdate() - dt.timedelta(days=next(day))
            )
            EvaluationFactory(worker=worker)
            PartyCheckupFactory(worker=worker)
            HandoverFactory(worker=worker)

    url = f"/api/v1/{route}/"
    grow(2)
    api.get(url)
    small = query_count(api, url)
    grow(10)
    large = query_count(api, url)
    assert api.get(url).json()["count"] >= 12
    assert small == large


@pytest.mark.django_db
def test_openapi_schema_has_staffing_and_no_warnings(admin_client):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    for path in (
        b"/api/v1/workers/",
        b"/api/v1/terms/{id}/reselect/",
        b"/api/v1/handovers/{id}/record/",
        b"/api/v1/party-checkups/",
    ):
        assert path in response.content
    assert not GENERATOR_STATS, (
        dict(GENERATOR_STATS._warn_cache),
        dict(GENERATOR_STATS._error_cache),
    )
